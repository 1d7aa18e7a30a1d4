import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { marshallOptions } from '../../functions/adapters/dynamodb.ts';
import { PageCodesRepository } from '../../functions/adapters/page-codes-repository.ts';
import { Table } from '../../functions/adapters/table.ts';
import { eventually } from '../support/eventually.ts';
import { hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Acknowledging by SMS on the real stack's local target: an inbound text posted to `/_local/sms/inbound` goes
 * through the stack's two-way SMS topic and its Lambda subscription to SmsReplies (IAM enforced). The page code is
 * written straight into the table, as the page step keeps it; the example's SMS origination number answers.
 */

const ORIGINATION = '+12065550100';
/** The example's origination identity (its phone number id): the answer's `from` as the emulator records it. */
const IDENTITY = 'phone-0123456789abcdef0123456789abcdef';
const ADA_PHONE = '+447700900123';

let hotline: HotlineTarget;
const { api } = hotlineClient(() => hotline);
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const admin = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20261201/us-east-1/sms-voice/aws4_request, SignedHeaders=host, Signature=00',
};

async function local(method: string, path: string, body?: unknown) {
  const response = await fetch(`${hotline.target.urls.aws}${path}`, {
    method,
    headers: { ...admin, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const texts = async () =>
  ((await local('GET', '/_local/messages')).body.messages as Json[]).filter((m) => m.channel === 'sms');

/** The administrator's view of the table (the AWS CLI's key). */
function pageCodes() {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: hotline.target.urls.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
    { marshallOptions },
  );
  return new PageCodesRepository(new Table(db, hotline.target.tables[0] ?? ''));
}

describe('acknowledging by SMS reply on the local target', () => {
  it('acknowledges from the number the code was texted to, answers by SMS, and ignores another number', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Card payments failing',
      description: 'About 30% of card payments fail at checkout.',
      severity: 2,
      service: 'checkout',
    });
    expect(declared.status).toBe(201);
    const key = declared.body.key as string;
    const incident = (await api('GET', `/incidents/${key}`)).body.incident as Json;
    const code = '246810';
    const now = Date.now();
    expect(
      await pageCodes().create({
        code,
        incidentId: incident.id,
        key,
        personId: 'ada',
        address: 'ada@example.com',
        phone: ADA_PHONE,
        createdAt: new Date(now).toISOString(),
        expiresAt: new Date(now + 3_600_000).toISOString(),
      }),
    ).toBe(true);
    const before = await texts();

    // From a number the code was not texted to: delivered to SmsReplies, and ignored.
    const stranger = await local('POST', '/_local/sms/inbound', {
      from: '+447700900999',
      to: ORIGINATION,
      body: `ACK ${code}`,
    });
    expect(stranger.status).toBe(202);
    expect(stranger.body.deliveredTo).toEqual([hotline.target.functions.find('SmsReplies')?.arn]);

    const replied = await local('POST', '/_local/sms/inbound', {
      from: ADA_PHONE,
      to: ORIGINATION,
      body: `ACK ${code}`,
    });
    expect(replied.status).toBe(202);
    const acknowledged = await eventually(async () => {
      const view = (await api('GET', `/incidents/${key}`)).body;
      return view.incident.status === 'fixing' ? view : undefined;
    }, `${key} acknowledged by SMS`);
    expect(acknowledged.incident.acknowledgedBy).toBe('ada@example.com');
    const entries = (acknowledged.timeline as Json[]).filter((e) => e.kind === 'incident.acknowledged');
    expect(entries).toHaveLength(1);
    expect(entries[0]?.text).toContain('Acknowledged by SMS reply from Ada Lovelace');

    const answer = await eventually(async () => {
      const found = (await texts()).filter((m) => m.to === ADA_PHONE);
      return found.length > 0 ? found : undefined;
    }, 'the answer by SMS');
    expect(answer).toEqual([
      expect.objectContaining({
        to: ADA_PHONE,
        from: IDENTITY,
        body: expect.stringMatching(new RegExp(`^${key} acknowledged by you at .* Europe/London\\.$`)),
      }),
    ]);
    // The stranger got nothing, and nothing else was sent.
    await new Promise((r) => setTimeout(r, 500));
    expect((await texts()).length).toBe(before.length + 1);
  });
});
