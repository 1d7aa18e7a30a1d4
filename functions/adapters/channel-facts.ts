import {
  DescribeAccountAttributesCommand,
  DescribeOptedOutNumbersCommand,
  DescribeSpendLimitsCommand,
  type PinpointSMSVoiceV2Client,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { GetAccountCommand, GetSuppressedDestinationCommand, type SESv2Client } from '@aws-sdk/client-sesv2';
import { type ChannelFacts, OPT_OUT_LIST } from '../core/channel-health.ts';
import type { ChannelFactsReader } from '../use-cases/ports.ts';
import { port } from './capabilities.ts';
import { organisation } from './config.ts';
import { ses } from './mailer.ts';
import { createSmsVoiceClient } from './pager.ts';

/**
 * What AWS says about the channels, read with the `channels:check` capability: SES v2 GetAccount (production
 * access) and GetSuppressedDestination for each person's address (one call each: the account's list may hold far
 * more addresses than the organisation has people); with SMS or voice paging, End User Messaging SMS and Voice's
 * DescribeAccountAttributes (the account tier), DescribeSpendLimits and DescribeOptedOutNumbers on the account's
 * default opt-out list for each person's number. A read that fails throws: a fact not read would look like a
 * problem that cleared, and the operators would be told so wrongly.
 */

export function channelFactsReader(
  sesClient: SESv2Client,
  smsClient: PinpointSMSVoiceV2Client | undefined,
): ChannelFactsReader {
  return {
    async read(addresses, numbers) {
      const account = await sesClient.send(new GetAccountCommand({}));
      const suppressed: Record<string, { reason: string; since?: string }> = {};
      for (const address of new Set(addresses.map((a) => a.toLowerCase()))) {
        try {
          const found = await sesClient.send(new GetSuppressedDestinationCommand({ EmailAddress: address }));
          const entry = found.SuppressedDestination;
          if (entry)
            suppressed[address] = {
              reason: entry.Reason ?? 'BOUNCE',
              ...(entry.LastUpdateTime ? { since: entry.LastUpdateTime.toISOString() } : {}),
            };
        } catch (error) {
          // Not on the list: SES answers NotFoundException.
          if ((error as Error).name !== 'NotFoundException') throw error;
        }
      }
      const facts: ChannelFacts = {
        suppressed,
        optedOut: [],
        sesProductionAccess: account.ProductionAccessEnabled === true,
      };
      if (!smsClient) return facts;
      const attributes = await smsClient.send(new DescribeAccountAttributesCommand({}));
      const tier = attributes.AccountAttributes?.find((a) => a.Name === 'ACCOUNT_TIER')?.Value;
      const limits = await smsClient.send(new DescribeSpendLimitsCommand({}));
      const optedOut: string[] = [];
      // One number a call: whether AWS answers a number that is not on the list with an empty list or with
      // ResourceNotFoundException, it is not opted out (and neither is any number when the list does not exist).
      for (const number of new Set(numbers)) {
        try {
          const page = await smsClient.send(
            new DescribeOptedOutNumbersCommand({ OptOutListName: OPT_OUT_LIST, OptedOutNumbers: [number] }),
          );
          if ((page.OptedOutNumbers ?? []).some((n) => n.OptedOutNumber === number)) optedOut.push(number);
        } catch (error) {
          if ((error as Error).name !== 'ResourceNotFoundException') throw error;
        }
      }
      return {
        ...facts,
        optedOut,
        ...(tier ? { smsAccountTier: tier } : {}),
        spendLimits: (limits.SpendLimits ?? []).map((l) => ({
          name: l.Name ?? '',
          // The enforced limit applies only when overridden; otherwise the account limit does.
          limitUsd: (l.Overridden ? l.EnforcedLimit : l.MaxLimit) ?? 0,
        })),
      };
    },
  };
}

/**
 * Built once per execution environment, on first use. Without SMS or voice paging (the organisation's `paging`
 * section) no SMS and Voice call is made, and the stack grants none.
 */
export const channelFactsPort = port('channels:check', () =>
  channelFactsReader(ses, organisation().paging ? createSmsVoiceClient() : undefined),
);
