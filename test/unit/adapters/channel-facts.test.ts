import {
  DescribeAccountAttributesCommand,
  DescribeOptedOutNumbersCommand,
  DescribeSpendLimitsCommand,
  PinpointSMSVoiceV2Client,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { GetAccountCommand, GetSuppressedDestinationCommand, SESv2Client } from '@aws-sdk/client-sesv2';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { channelFactsReader } from '../../../functions/adapters/channel-facts.ts';

/** What the channel check reads from AWS, and how it reads "not there" (an error name) as an open channel. */

const ses = mockClient(SESv2Client);
const sms = mockClient(PinpointSMSVoiceV2Client);
const named = (name: string) => Object.assign(new Error(name), { name });

beforeEach(() => {
  ses.reset();
  sms.reset();
  ses.on(GetAccountCommand).resolves({ ProductionAccessEnabled: false });
  ses
    .on(GetSuppressedDestinationCommand)
    .rejects(named('NotFoundException'))
    .on(GetSuppressedDestinationCommand, { EmailAddress: 'ada@example.com' })
    .resolves({
      SuppressedDestination: {
        EmailAddress: 'ada@example.com',
        Reason: 'BOUNCE',
        LastUpdateTime: new Date('2026-12-07T10:00:00Z'),
      },
    });
  sms.on(DescribeAccountAttributesCommand).resolves({
    AccountAttributes: [{ Name: 'ACCOUNT_TIER', Value: 'SANDBOX' }],
  });
  sms.on(DescribeSpendLimitsCommand).resolves({
    SpendLimits: [
      { Name: 'TEXT_MESSAGE_MONTHLY_SPEND_LIMIT', EnforcedLimit: 0, MaxLimit: 1, Overridden: false },
    ],
  });
  sms
    .on(DescribeOptedOutNumbersCommand)
    .resolves({ OptedOutNumbers: [] })
    .on(DescribeOptedOutNumbersCommand, { OptedOutNumbers: ['+447700900123'] })
    .resolves({
      OptedOutNumbers: [
        { OptedOutNumber: '+447700900123', OptedOutTimestamp: new Date(), EndUserOptedOut: true },
      ],
    })
    .on(DescribeOptedOutNumbersCommand, { OptedOutNumbers: ['+12025550123'] })
    .rejects(named('ResourceNotFoundException'));
});

describe('the channel facts', () => {
  it('reads the account, each address (once, in lower case) and each number from the default opt-out list', async () => {
    const facts = await channelFactsReader(new SESv2Client({}), new PinpointSMSVoiceV2Client({})).read(
      ['Ada@Example.com', 'grace@example.com', 'ada@example.com'],
      ['+447700900123', '+12025550123', '+447700900456'],
    );
    expect(facts).toEqual({
      suppressed: { 'ada@example.com': { reason: 'BOUNCE', since: '2026-12-07T10:00:00.000Z' } },
      optedOut: ['+447700900123'],
      sesProductionAccess: false,
      smsAccountTier: 'SANDBOX',
      spendLimits: [{ name: 'TEXT_MESSAGE_MONTHLY_SPEND_LIMIT', limitUsd: 1 }],
    });
    expect(ses.commandCalls(GetSuppressedDestinationCommand)).toHaveLength(2);
    expect(
      sms.commandCalls(DescribeOptedOutNumbersCommand).map((c) => c.args[0].input.OptOutListName),
    ).toEqual(['Default', 'Default', 'Default']);
  });

  it('makes no SMS and Voice call without phone paging', async () => {
    const facts = await channelFactsReader(new SESv2Client({}), undefined).read(
      ['ada@example.com'],
      ['+447700900123'],
    );
    expect(facts.optedOut).toEqual([]);
    expect(facts.smsAccountTier).toBeUndefined();
    expect(sms.calls()).toHaveLength(0);
  });

  it('fails the check on any other error, so that a fact not read never looks like a problem that cleared', async () => {
    ses.on(GetSuppressedDestinationCommand).rejects(named('TooManyRequestsException'));
    await expect(
      channelFactsReader(new SESv2Client({}), undefined).read(['grace@example.com'], []),
    ).rejects.toThrow('TooManyRequestsException');
  });
});
