import {
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  SendVoiceMessageCommand,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseOrganisation } from '../../../functions/core/config.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { organisationInput } from '../../support/organisation.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);
const sms = mockClient(PinpointSMSVoiceV2Client);

let handler: typeof import('../../../functions/handlers/test-pages.ts').handler;

const NOW = new Date('2026-12-07T12:00:00.000Z');

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  process.env.PAGER_SMS_ORIGINATION_IDENTITY = '+447700900999';
  process.env.PAGER_VOICE_ORIGINATION_IDENTITY = '+447700900999';
  process.env.ORGANISATION_CONFIG = JSON.stringify(
    parseOrganisation({
      ...organisationInput,
      paging: {
        sms: { originationIdentity: '+447700900999' },
        voice: { originationIdentity: '+447700900999' },
      },
      people: {
        ada: { name: 'Ada <Lovelace>', email: 'ada@example.com', phone: '+447700900123' },
        grace: { name: 'Grace Hopper', email: 'grace@example.com' },
      },
    }),
  );
  ({ handler } = await import('../../../functions/handlers/test-pages.ts'));
});

beforeEach(() => {
  ddb.reset();
  ses.reset();
  sms.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ses.on(SendEmailCommand).resolves({ MessageId: 'mail-1' });
  sms.on(SendTextMessageCommand).resolves({ MessageId: 'text-1' });
  sms.on(SendVoiceMessageCommand).resolves({ MessageId: 'call-1' });
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
});

async function call(method: 'POST' | 'GET', id: string) {
  const response = await handler(
    httpEvent({
      method,
      routeKey: `${method} /people/{id}/test-page`,
      path: `/people/${id}/test-page`,
      pathParameters: { id },
    }),
    lambdaContext,
  );
  return {
    status: response.statusCode,
    headers: response.headers ?? {},
    body: JSON.parse(response.body as string),
  };
}

const failedCondition = () => Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' });

describe('POST /people/{id}/test-page', () => {
  it('sends on each channel, claims the minute conditionally and records the outcome: 201', async () => {
    const { status, body } = await call('POST', 'ada');
    expect(status).toBe(201);
    expect(body.testPage).toMatchObject({
      personId: 'ada',
      at: NOW.toISOString(),
      status: 'sent',
      channels: [
        { channel: 'email', to: 'ada@example.com', outcome: 'sent', messageId: 'mail-1' },
        { channel: 'sms', to: '+44********23', outcome: 'sent', messageId: 'text-1' },
        { channel: 'voice', to: '+44********23', outcome: 'sent', messageId: 'call-1' },
      ],
    });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      Item: { pk: 'PERSON#ada', sk: 'TESTPAGE', status: 'sending', at: NOW.toISOString() },
      ExpressionAttributeValues: { ':cutoff': '2026-12-07T11:59:00.000Z', ':failed': 'failed' },
    });
    expect(put?.ConditionExpression).toContain('attribute_not_exists(pk)');
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':status': 'sent', ':at': NOW.toISOString() });
    const mail = ses.commandCalls(SendEmailCommand)[0]?.args[0].input;
    expect(mail?.Destination?.ToAddresses).toEqual(['ada@example.com']);
    expect(mail?.Content?.Simple?.Subject?.Data).toBe('Hotline test page for Ada <Lovelace>');
    expect(mail?.Content?.Simple?.Body?.Html?.Data).toContain('Ada &lt;Lovelace&gt;');
    expect(sms.commandCalls(SendTextMessageCommand)[0]?.args[0].input).toMatchObject({
      DestinationPhoneNumber: '+447700900123',
      MessageBody: 'Hotline test page for Ada <Lovelace>: no incident, nothing to do.',
      Context: { kind: 'test-page', person: 'ada' },
    });
    expect(sms.commandCalls(SendVoiceMessageCommand)[0]?.args[0].input.MessageBody).toContain(
      'nothing to do',
    );
  });

  it('mails a person without a phone, and nothing else', async () => {
    const { status, body } = await call('POST', 'grace');
    expect(status).toBe(201);
    expect(body.testPage.channels.map((c: { channel: string }) => c.channel)).toEqual(['email']);
    expect(sms.calls()).toHaveLength(0);
  });

  it('reports a refused channel (an opted-out number) and sends the others', async () => {
    sms.on(SendTextMessageCommand).rejects(
      Object.assign(new Error('opted out'), {
        name: 'ConflictException',
        Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
      }),
    );
    const { status, body } = await call('POST', 'ada');
    expect(status).toBe(201);
    expect(body.testPage.channels[1]).toEqual({
      channel: 'sms',
      to: '+44********23',
      outcome: 'refused',
      reason: 'opted-out',
      detail: 'ConflictException/DESTINATION_PHONE_NUMBER_OPTED_OUT',
    });
    expect(body.testPage.channels[2]).toMatchObject({ channel: 'voice', outcome: 'sent' });
  });

  it('answers 429 naming when the next is allowed, within a minute of the last (and sends nothing)', async () => {
    ddb.on(PutCommand).rejects(failedCondition());
    ddb.on(GetCommand).resolves({
      Item: {
        pk: 'PERSON#ada',
        sk: 'TESTPAGE',
        personId: 'ada',
        at: '2026-12-07T11:59:30.000Z',
        status: 'sent',
      },
    });
    const { status, headers, body } = await call('POST', 'ada');
    expect(status).toBe(429);
    // Now is 12:00:00 (NOW): the next is allowed in 30 seconds.
    expect(headers['retry-after']).toBe('30');
    expect(body.error.code).toBe('TooManyRequests');
    expect(body.error.message).toContain('the next is allowed at 2026-12-07T12:00:30.000Z');
    expect(ses.calls()).toHaveLength(0);
    expect(sms.calls()).toHaveLength(0);
  });

  it('says a mail SES refuses for good (the sandbox: an unverified address) and still texts and calls: 201', async () => {
    ses.on(SendEmailCommand).rejects(
      Object.assign(
        new Error(
          'Email address is not verified. The following identities failed the check: ada@example.com',
        ),
        {
          name: 'MessageRejected',
          $fault: 'client',
          $metadata: { httpStatusCode: 400 },
        },
      ),
    );
    const { status, body } = await call('POST', 'ada');
    expect(status).toBe(201);
    expect(
      body.testPage.channels.map((c: { channel: string; outcome: string }) => `${c.channel}:${c.outcome}`),
    ).toEqual(['email:refused', 'sms:sent', 'voice:sent']);
    expect(body.testPage.channels[0]).toMatchObject({ reason: 'rejected', detail: 'MessageRejected' });
    expect(body.testPage.status).toBe('sent');
  });

  it('fails a transient failure with a 5xx and marks the record failed, so a retry sends at once', async () => {
    sms
      .on(SendVoiceMessageCommand)
      .rejects(Object.assign(new Error('busy'), { name: 'ThrottlingException' }));
    const { status } = await call('POST', 'ada');
    expect(status).toBeGreaterThanOrEqual(500);
    const update = ddb.commandCalls(UpdateCommand)[0]?.args[0].input;
    expect(update?.ExpressionAttributeValues).toMatchObject({ ':status': 'failed' });
    expect(update?.ExpressionAttributeValues?.[':channels']).toHaveLength(2);
  });

  it('answers 404 naming an unknown person, 400 for a malformed id', async () => {
    const unknown = await call('POST', 'nobody');
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.message).toContain('"nobody"');
    const malformed = await call('POST', '..%2Fx');
    expect(malformed.status).toBe(400);
    expect(ddb.calls()).toHaveLength(0);
  });
});

describe('GET /people/{id}/test-page', () => {
  it('answers the last recorded test page, 404 when there is none', async () => {
    ddb.on(GetCommand).resolves({});
    expect((await call('GET', 'ada')).status).toBe(404);
    ddb.on(GetCommand).resolves({
      Item: { pk: 'PERSON#ada', sk: 'TESTPAGE', type: 'test-page', personId: 'ada', at: NOW.toISOString() },
    });
    const { status, body } = await call('GET', 'ada');
    expect(status).toBe(200);
    expect(body).toEqual({ testPage: { personId: 'ada', at: NOW.toISOString() } });
  });
});
