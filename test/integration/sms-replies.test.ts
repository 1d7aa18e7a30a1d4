import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveriesRepository } from '../../functions/adapters/alert-groups-repository.ts';
import { IncidentsRepository } from '../../functions/adapters/incidents-repository.ts';
import { PageCodesRepository } from '../../functions/adapters/page-codes-repository.ts';
import { Table } from '../../functions/adapters/table.ts';
import { parseOrganisation } from '../../functions/core/config.ts';
import { RetryableError } from '../../functions/core/errors.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { PageRefusedError } from '../../functions/core/pages-sms.ts';
import type { PageCode } from '../../functions/use-cases/ports.ts';
import { handleSmsReply, type SmsReplyDeps } from '../../functions/use-cases/sms-replies.ts';
import { storedResolvedIncident } from '../support/incidents.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisationInput } from '../support/organisation.ts';

/**
 * Acknowledging by SMS reply, against the stack's own table in dynalite: the reply that counts acknowledges once
 * and is answered; every other record is ignored with nothing written and nothing sent.
 */

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:Hotline-TwoWaySmsTopic';
const ORIGINATION = '+12065550100';
const ADA_PHONE = '+447700900123';
const GRACE_PHONE = '+12025550143';
const NOW = new Date('2026-12-07T03:00:00.000Z');

const organisation = parseOrganisation({
  ...organisationInput,
  people: {
    ada: { name: 'Ada Lovelace', email: 'ada@example.com', phone: ADA_PHONE, timeZone: 'Europe/London' },
    grace: {
      name: 'Grace Hopper',
      email: 'grace@example.com',
      phone: GRACE_PHONE,
      timeZone: 'America/New_York',
    },
  },
});

let db: LocalDb;
let table: Table;
const incidents = () => new IncidentsRepository(table);
const pageCodes = () => new PageCodesRepository(table);

beforeAll(async () => {
  db = await startLocalDb();
  table = new Table(db.client, db.table);
});
afterAll(async () => db?.stop());

let sent: { to: string; body: string }[];
let resumed: { token: string; output: unknown }[];
let sendFails: Error | undefined;
let clock: Date;
let attempts = 0;

beforeEach(() => {
  sent = [];
  resumed = [];
  sendFails = undefined;
  clock = NOW;
});

const deps = (): SmsReplyDeps => ({
  topicArn: TOPIC,
  incidents: incidents(),
  pageCodes: pageCodes(),
  deliveries: new DeliveriesRepository(table),
  workflow: {
    async resume(token, output) {
      resumed.push({ token, output });
      return true;
    },
  },
  pager: {
    async sendText(to, body) {
      if (sendFails) throw sendFails;
      sent.push({ to, body });
      return { messageId: `m-${sent.length}` };
    },
  },
  organisation,
  now: () => clock,
  attempt: `attempt-${++attempts}`,
});

let number = 500;
let codeSeq = 100_000;

/** An incident paged and waiting (its token kept), and the code texted to Ada for it. */
async function pagedIncident(
  changes: Partial<Incident> = {},
  code: Partial<PageCode> = {},
): Promise<{ incident: Incident; code: PageCode }> {
  number += 1;
  const incident = await storedResolvedIncident({ incidents: incidents() }, number, {
    status: 'paged',
    acknowledgedAt: undefined,
    impactEndedAt: undefined,
    resolvedAt: undefined,
    postmortem: undefined,
    ackTaskToken: `token-${number}`,
    ...changes,
  } as Partial<Incident>);
  codeSeq += 1;
  const pageCode: PageCode = {
    code: String(codeSeq),
    incidentId: incident.id,
    key: incident.key,
    personId: 'ada',
    address: 'ada@example.com',
    phone: ADA_PHONE,
    createdAt: '2026-12-07T02:58:00.000Z',
    expiresAt: '2026-12-07T04:58:00.000Z',
    ...code,
  };
  expect(await pageCodes().create(pageCode)).toBe(true);
  return { incident, code: pageCode };
}

let messageSeq = 0;
/** What two-way SMS publishes for a text, in the SNS record Lambda gets. */
function smsRecord(
  text: { from: string; body: string; id?: string },
  sns: Record<string, unknown> = {},
  message?: unknown,
) {
  messageSeq += 1;
  return {
    EventSource: 'aws:sns',
    EventVersion: '1.0',
    EventSubscriptionArn: `${TOPIC}:sub-1`,
    Sns: {
      Type: 'Notification',
      MessageId: `sns-${messageSeq}`,
      TopicArn: TOPIC,
      Subject: null,
      Message: JSON.stringify(
        message ?? {
          originationNumber: text.from,
          destinationNumber: ORIGINATION,
          messageKeyword: 'ACK',
          messageBody: text.body,
          inboundMessageId: text.id ?? `inbound-${messageSeq}`,
          previousPublishedMessageId: 'previous',
        },
      ),
      Timestamp: NOW.toISOString(),
      ...sns,
    },
  };
}

/** Every item of the table, to compare before and after. */
async function snapshot(): Promise<string> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.client.send(new ScanCommand({ TableName: db.table, ExclusiveStartKey: start }));
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  return JSON.stringify(items.map((i) => JSON.stringify(i)).sort());
}

/** The record is ignored for `reason`: nothing written, nothing sent, no workflow resumed. */
async function expectIgnored(record: unknown, reason: string) {
  const before = await snapshot();
  const outcome = await handleSmsReply(deps(), record);
  expect(outcome).toMatchObject({ outcome: 'ignored', reason });
  expect(await snapshot()).toBe(before);
  expect(sent).toEqual([]);
  expect(resumed).toEqual([]);
  // Only a redacted number is ever given back for the log line.
  expect(JSON.stringify(outcome)).not.toMatch(/\+\d{8,}/);
  return outcome;
}

describe('an SMS reply with the code from the paged number', () => {
  it('acknowledges the incident as that person, records it came by SMS, resumes the wait and answers', async () => {
    const { incident, code } = await pagedIncident();
    const outcome = await handleSmsReply(deps(), smsRecord({ from: ADA_PHONE, body: `ACK ${code.code}` }));
    expect(outcome).toEqual({
      outcome: 'acknowledged',
      from: '+44********23',
      key: incident.key,
      answered: true,
    });
    const view = await incidents().view(incident.id);
    expect(view?.incident).toMatchObject({
      status: 'fixing',
      acknowledgedBy: 'ada@example.com',
      acknowledgedAt: NOW.toISOString(),
      roles: { incidentManager: 'ada@example.com' },
    });
    const entry = view?.timeline.find((e) => e.kind === 'incident.acknowledged');
    expect(entry).toMatchObject({
      actor: 'ada@example.com',
      text: 'Acknowledged by SMS reply from Ada Lovelace: ada@example.com is in charge as incident manager. Status: → fixing.',
      data: { via: 'sms' },
    });
    expect(resumed).toEqual([
      { token: incident.ackTaskToken, output: expect.objectContaining({ event: 'acknowledged' }) },
    ]);
    expect(sent).toEqual([
      { to: ADA_PHONE, body: `${incident.key} acknowledged by you at 2026-12-07 03:00 Europe/London.` },
    ]);
  });

  it('acts once on the same inbound message delivered twice (SNS delivers at least once)', async () => {
    const { incident, code } = await pagedIncident();
    const record = smsRecord({ from: ADA_PHONE, body: code.code, id: 'inbound-twice' });
    expect(await handleSmsReply(deps(), record)).toMatchObject({ outcome: 'acknowledged' });
    const after = await snapshot();
    sent = [];
    resumed = [];
    clock = new Date(NOW.getTime() + 60_000);
    expect(await handleSmsReply(deps(), record)).toEqual({
      outcome: 'duplicate',
      from: '+44********23',
      key: incident.key,
    });
    expect(await snapshot()).toBe(after);
    expect(sent).toEqual([]);
    expect(resumed).toEqual([]);
  });

  it('answers a reply after the acknowledgement with who acknowledged and when, changing nothing', async () => {
    const { incident, code } = await pagedIncident();
    // Grace acknowledged from her mail at 02:59 UTC.
    await incidents().change(incident.id, {
      set: {
        status: 'fixing',
        acknowledgedBy: 'grace@example.com',
        acknowledgedAt: '2026-12-07T02:59:00.000Z',
      },
    });
    const before = await incidents().view(incident.id);
    const outcome = await handleSmsReply(deps(), smsRecord({ from: ADA_PHONE, body: `ack ${code.code}` }));
    expect(outcome).toMatchObject({ outcome: 'already-acknowledged', key: incident.key, answered: true });
    expect(sent).toEqual([
      {
        to: ADA_PHONE,
        body: `${incident.key} was already acknowledged by Grace Hopper at 2026-12-07 02:59 Europe/London.`,
      },
    ]);
    expect(resumed).toEqual([]);
    const after = await incidents().view(incident.id);
    expect(after?.incident).toEqual(before?.incident);
    expect(after?.timeline).toEqual(before?.timeline);
  });

  it('answers again, as its own acknowledgement, a second message from the one who acknowledged', async () => {
    const { incident, code } = await pagedIncident();
    await handleSmsReply(deps(), smsRecord({ from: ADA_PHONE, body: code.code }));
    sent = [];
    clock = new Date(NOW.getTime() + 5 * 60_000);
    const outcome = await handleSmsReply(deps(), smsRecord({ from: ADA_PHONE, body: code.code }));
    expect(outcome).toMatchObject({ outcome: 'already-acknowledged' });
    expect(sent).toEqual([
      { to: ADA_PHONE, body: `${incident.key} acknowledged by you at 2026-12-07 03:00 Europe/London.` },
    ]);
  });

  it('keeps the acknowledgement when the answer is refused for good (an opted-out number), and says so', async () => {
    const { incident, code } = await pagedIncident();
    sendFails = new PageRefusedError(
      'opted-out',
      'ConflictException/DESTINATION_PHONE_NUMBER_OPTED_OUT',
      'no',
    );
    const outcome = await handleSmsReply(deps(), smsRecord({ from: ADA_PHONE, body: code.code }));
    expect(outcome).toMatchObject({ outcome: 'acknowledged', answered: false, refusal: expect.any(String) });
    expect((await incidents().get(incident.id))?.status).toBe('fixing');
  });

  it('throws a transient failure to be retried, and the retry answers without acknowledging twice', async () => {
    const { incident, code } = await pagedIncident();
    const record = smsRecord({ from: ADA_PHONE, body: code.code, id: 'inbound-retried' });
    sendFails = new RetryableError('throttled');
    await expect(handleSmsReply(deps(), record)).rejects.toThrow(RetryableError);
    expect((await incidents().get(incident.id))?.status).toBe('fixing');
    // Lambda retries a minute later: the claim's lease has passed.
    sendFails = undefined;
    resumed = [];
    clock = new Date(NOW.getTime() + 60_000);
    expect(await handleSmsReply(deps(), record)).toMatchObject({
      outcome: 'already-acknowledged',
      answered: true,
    });
    expect(sent).toEqual([
      { to: ADA_PHONE, body: `${incident.key} acknowledged by you at 2026-12-07 03:00 Europe/London.` },
    ]);
    const timeline = (await incidents().view(incident.id))?.timeline ?? [];
    expect(timeline.filter((e) => e.kind === 'incident.acknowledged')).toHaveLength(1);
  });
});

describe('every other record is ignored: nothing written, nothing sent', () => {
  it('a reply from a number no code was sent to', async () => {
    const { code } = await pagedIncident();
    await expectIgnored(smsRecord({ from: '+447700900999', body: `ACK ${code.code}` }), 'wrong-number');
  });

  it("a code sent to someone else, replied from another paged person's number", async () => {
    await pagedIncident({}, { personId: 'grace', address: 'grace@example.com', phone: GRACE_PHONE });
    const adas = await pagedIncident();
    await expectIgnored(smsRecord({ from: GRACE_PHONE, body: adas.code.code }), 'wrong-number');
  });

  it('a wrong code (no page has it)', async () => {
    await pagedIncident();
    await expectIgnored(smsRecord({ from: ADA_PHONE, body: 'ACK 999999' }), 'unknown-code');
  });

  it('an expired code', async () => {
    const { code } = await pagedIncident({}, { expiresAt: '2026-12-07T02:59:59.000Z' });
    await expectIgnored(smsRecord({ from: ADA_PHONE, body: code.code }), 'unknown-code');
  });

  it('a code reused after its incident was resolved without an acknowledgement', async () => {
    const { code } = await pagedIncident({
      status: 'resolved',
      resolvedAt: '2026-12-07T02:59:00.000Z',
      resolution: 'cleared-before-acknowledgement',
    } as Partial<Incident>);
    await expectIgnored(smsRecord({ from: ADA_PHONE, body: code.code }), 'resolved-unacknowledged');
  });

  it('a code whose record names another incident than the one it points at', async () => {
    const other = await pagedIncident();
    const { code } = await pagedIncident({}, { incidentId: other.incident.id });
    await expectIgnored(smsRecord({ from: ADA_PHONE, body: code.code }), 'incident-mismatch');
    expect((await incidents().get(other.incident.id))?.status).toBe('paged');
  });

  it('a code for an incident that does not exist', async () => {
    const { code } = await pagedIncident({}, { incidentId: '01JZZZZZZZZZZZZZZZZZZZZZZZ' });
    await expectIgnored(smsRecord({ from: ADA_PHONE, body: code.code }), 'incident-mismatch');
  });

  it('a body that carries no code', async () => {
    await pagedIncident();
    for (const body of ['yes', 'ACK', 'ACK 12345', 'ACK 1234567', 'STOP', '', 'call me 123456'])
      await expectIgnored(smsRecord({ from: ADA_PHONE, body }), 'no-code');
  });

  it('a message that is not what two-way SMS publishes', async () => {
    const { code } = await pagedIncident();
    await expectIgnored(smsRecord({ from: ADA_PHONE, body: '' }, { Message: 'not json' }), 'not-two-way-sms');
    await expectIgnored(
      smsRecord({ from: ADA_PHONE, body: '' }, {}, { originationNumber: ADA_PHONE, messageBody: code.code }),
      'not-two-way-sms',
    );
    await expectIgnored(
      smsRecord(
        { from: ADA_PHONE, body: '' },
        {},
        {
          originationNumber: '07700900123',
          destinationNumber: ORIGINATION,
          messageBody: code.code,
          inboundMessageId: 'x',
        },
      ),
      'not-two-way-sms',
    );
    await expectIgnored(smsRecord({ from: ADA_PHONE, body: '' }, {}, [code.code]), 'not-two-way-sms');
  });

  it('a forged SNS record: another topic', async () => {
    const { code } = await pagedIncident();
    await expectIgnored(
      smsRecord(
        { from: ADA_PHONE, body: code.code },
        { TopicArn: 'arn:aws:sns:us-east-1:999999999999:Other' },
      ),
      'wrong-topic',
    );
  });

  it('a forged SNS record: not a Notification, or not from SNS at all', async () => {
    const { code } = await pagedIncident();
    await expectIgnored(
      smsRecord({ from: ADA_PHONE, body: code.code }, { Type: 'SubscriptionConfirmation' }),
      'not-sns-notification',
    );
    const record = smsRecord({ from: ADA_PHONE, body: code.code });
    await expectIgnored({ ...record, EventSource: 'aws:sqs' }, 'not-sns-notification');
    for (const junk of [null, undefined, 'text', 42, {}, { Sns: null }])
      await expectIgnored(junk, 'not-sns-notification');
  });
});
