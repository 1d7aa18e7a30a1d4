import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DeliveriesRepository } from '../../functions/adapters/alert-groups-repository.ts';
import { readMail } from '../../functions/adapters/inbound-mail.ts';
import { IncidentsRepository } from '../../functions/adapters/incidents-repository.ts';
import { Table } from '../../functions/adapters/table.ts';
import { parseOrganisation } from '../../functions/core/config.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { replyAddress } from '../../functions/core/mail-replies.ts';
import { handleMailReply, type MailReplyDeps } from '../../functions/use-cases/mail-replies.ts';
import { storedResolvedIncident } from '../support/incidents.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisationInput } from '../support/organisation.ts';

/**
 * Acknowledging by replying to a page mail, against the stack's own table in dynalite: the SES receipt
 * notification (as the receipt rule's SNS action publishes it) of a reply that counts acknowledges once; every
 * other record is ignored with nothing written and no workflow resumed, each for its own reason.
 */

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:Hotline-MailRepliesTopic';
const DOMAIN = 'replies.example.com';
const NOW = new Date('2026-12-07T03:00:00.000Z');

const organisation = parseOrganisation({
  ...organisationInput,
  mailReplies: { domain: DOMAIN, receiptRuleSet: 'hotline' },
  people: {
    ada: { name: 'Ada Lovelace', email: 'ada@example.com', timeZone: 'Europe/London' },
  },
});

let db: LocalDb;
let table: Table;
const incidents = () => new IncidentsRepository(table);

beforeAll(async () => {
  db = await startLocalDb();
  table = new Table(db.client, db.table);
});
afterAll(async () => db?.stop());

let resumed: { token: string; output: unknown }[];
let attempts = 0;
beforeEach(() => {
  resumed = [];
});

const deps = (changes: Partial<MailReplyDeps> = {}): MailReplyDeps => ({
  topicArn: TOPIC,
  domain: DOMAIN,
  readMail,
  incidents: incidents(),
  deliveries: new DeliveriesRepository(table),
  workflow: {
    async resume(token, output) {
      resumed.push({ token, output });
      return true;
    },
  },
  organisation,
  now: () => NOW,
  attempt: `attempt-${++attempts}`,
  ...changes,
});

let number = 700;
/** An incident paged to Ada and on-call@example.com, waiting for an acknowledgement (its token kept). */
async function pagedIncident(changes: Partial<Incident> = {}): Promise<Incident> {
  number += 1;
  return storedResolvedIncident({ incidents: incidents() }, number, {
    status: 'paged',
    acknowledgedAt: undefined,
    impactEndedAt: undefined,
    resolvedAt: undefined,
    postmortem: undefined,
    pagedTo: ['ada@example.com', 'on-call@example.com'],
    ackTaskToken: `token-${number}`,
    ...changes,
  } as Partial<Incident>);
}

function rawReply(from: string, to: string, body: string, extraHeaders: string[] = []): string {
  return [
    `From: ${from}`,
    `To: ${to}`,
    'Subject: Re: HOT - Paged',
    'MIME-Version: 1.0',
    ...extraHeaders,
    'Content-Type: text/plain; charset=utf-8',
    '',
    body,
    '',
  ].join('\r\n');
}

let messageSeq = 0;
/** The SNS record Lambda gets for SES's receipt notification of a mail. */
function receiptRecord(
  raw: string,
  options: {
    recipients?: string[];
    verdicts?: Partial<Record<'spf' | 'dkim' | 'dmarc' | 'virus', string>>;
    encoding?: 'BASE64' | 'UTF8';
    messageId?: string;
    topicArn?: string;
    message?: unknown;
  } = {},
) {
  messageSeq += 1;
  const verdicts = { spf: 'PASS', dkim: 'PASS', dmarc: 'PASS', virus: 'PASS', ...options.verdicts };
  const encoding = options.encoding ?? 'BASE64';
  return {
    EventSource: 'aws:sns',
    EventVersion: '1.0',
    Sns: {
      Type: 'Notification',
      MessageId: `sns-${messageSeq}`,
      TopicArn: options.topicArn ?? TOPIC,
      Subject: 'Amazon SES Email Receipt Notification',
      Message: JSON.stringify(
        options.message ?? {
          notificationType: 'Received',
          mail: { messageId: options.messageId ?? `ses-${messageSeq}`, source: 'bounce@example.com' },
          receipt: {
            recipients: options.recipients ?? [],
            spfVerdict: { status: verdicts.spf },
            dkimVerdict: { status: verdicts.dkim },
            dmarcVerdict: { status: verdicts.dmarc },
            virusVerdict: { status: verdicts.virus },
            spamVerdict: { status: 'PASS' },
            action: { type: 'SNS', topicArn: TOPIC, encoding },
          },
          content: encoding === 'BASE64' ? Buffer.from(raw).toString('base64') : raw,
        },
      ),
    },
  };
}

/** A reply to `incident`'s address from `from` saying `body`. */
function replyTo(
  incident: Incident,
  from: string,
  body: string,
  options: Parameters<typeof receiptRecord>[1] = {},
) {
  const address = replyAddress(DOMAIN, incident);
  return receiptRecord(rawReply(from, address, body), { recipients: [address], ...options });
}

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

async function expectIgnored(record: unknown, reason: string, changes: Partial<MailReplyDeps> = {}) {
  const before = await snapshot();
  const outcome = await handleMailReply(deps(changes), record);
  expect(outcome).toMatchObject({ outcome: 'ignored', reason });
  expect(await snapshot()).toBe(before);
  expect(resumed).toEqual([]);
}

describe('a reply saying "ack" from a paged address', () => {
  it('acknowledges as that person, records it came by mail and resumes the wait, once', async () => {
    const incident = await pagedIncident();
    const record = replyTo(incident, 'Ada <ADA@example.com>', 'ACK, on it\r\n\r\n> You are paged');
    const outcome = await handleMailReply(deps(), record);
    expect(outcome).toEqual({ outcome: 'acknowledged', key: incident.key, by: 'ada@example.com' });
    const view = await incidents().view(incident.id);
    expect(view?.incident).toMatchObject({ status: 'fixing', acknowledgedBy: 'ada@example.com' });
    expect(view?.timeline.find((e) => e.kind === 'incident.acknowledged')).toMatchObject({
      actor: 'ada@example.com',
      text: 'Acknowledged by mail reply from Ada Lovelace: ada@example.com is in charge as incident manager. Status: → fixing.',
      data: { via: 'mail' },
    });
    expect(resumed).toHaveLength(1);
    expect(resumed[0]?.token).toBe(incident.ackTaskToken);

    // The same mail delivered again (SNS delivers at least once): nothing twice.
    const again = await handleMailReply(deps(), record);
    expect(again).toEqual({ outcome: 'duplicate', key: incident.key });
    expect(resumed).toHaveLength(1);
  });

  it('reads the first line of an HTML-only, quoted-printable reply in UTF-8 encoding', async () => {
    const incident = await pagedIncident();
    const address = replyAddress(DOMAIN, incident);
    const raw = [
      'From: on-call@example.com',
      `To: ${address.toUpperCase()}`,
      'Subject: Re: Paged',
      'MIME-Version: 1.0',
      'Content-Type: text/html; charset=utf-8',
      'Content-Transfer-Encoding: quoted-printable',
      '',
      '<html><head><style>p{}</style></head><body><div>Acknowledged =E2=80=93 on it</div><blockquote>=',
      'paged</blockquote></body></html>',
    ].join('\r\n');
    const outcome = await handleMailReply(
      deps(),
      receiptRecord(raw, { recipients: [address.toUpperCase()], encoding: 'UTF8' }),
    );
    expect(outcome).toMatchObject({ outcome: 'acknowledged', by: 'on-call@example.com' });
  });

  it('answers an incident acknowledged already without changing it', async () => {
    const incident = await pagedIncident({
      status: 'fixing',
      acknowledgedAt: '2026-12-07T02:59:00.000Z',
      acknowledgedBy: 'on-call@example.com',
    });
    const outcome = await handleMailReply(deps(), replyTo(incident, 'ada@example.com', 'ack'));
    expect(outcome).toMatchObject({ outcome: 'already-acknowledged' });
    expect((await incidents().get(incident.id))?.acknowledgedBy).toBe('on-call@example.com');
    expect(resumed).toEqual([]);
  });
});

describe('every other record is ignored, nothing written', () => {
  it('from another topic (a forged or misrouted notification)', async () => {
    const incident = await pagedIncident();
    await expectIgnored(
      replyTo(incident, 'ada@example.com', 'ack', { topicArn: `${TOPIC}-forged` }),
      'wrong-topic',
    );
  });

  it('not an SNS notification, or not an SES receipt notification', async () => {
    await expectIgnored({ EventSource: 'aws:sqs', body: '{}' }, 'not-sns-notification');
    await expectIgnored(null, 'not-sns-notification');
    await expectIgnored(receiptRecord('', { message: 'not json' }), 'not-ses-receipt');
    await expectIgnored(receiptRecord('', { message: { notificationType: 'Bounce' } }), 'not-ses-receipt');
  });

  it('when the stack has no replies domain', async () => {
    const incident = await pagedIncident();
    await expectIgnored(replyTo(incident, 'ada@example.com', 'ack'), 'replies-off', { domain: undefined });
  });

  it.each([
    ['spf', 'FAIL', 'verdict-spf'],
    ['spf', 'GRAY', 'verdict-spf'],
    ['dkim', 'FAIL', 'verdict-dkim'],
    ['dkim', 'PROCESSING_FAILED', 'verdict-dkim'],
    ['dmarc', 'FAIL', 'verdict-dmarc'],
    ['virus', 'FAIL', 'verdict-virus'],
  ] as const)('with a %s verdict of %s', async (name, status, reason) => {
    const incident = await pagedIncident();
    await expectIgnored(
      replyTo(incident, 'ada@example.com', 'ack', { verdicts: { [name]: status } }),
      reason,
    );
  });

  it('to an address that is not a reply address of the domain', async () => {
    const incident = await pagedIncident();
    const address = replyAddress('other.example.com', incident);
    await expectIgnored(
      receiptRecord(rawReply('ada@example.com', address, 'ack'), { recipients: [address] }),
      'not-a-reply-address',
    );
    await expectIgnored(
      receiptRecord(rawReply('ada@example.com', `postmaster@${DOMAIN}`, 'ack'), {
        recipients: [`postmaster@${DOMAIN}`],
      }),
      'not-a-reply-address',
    );
  });

  it('to the address of another incident, or a forged one', async () => {
    const incident = await pagedIncident();
    const other = await pagedIncident({ pagedTo: ['someone@example.com'] });
    await expectIgnored(replyTo(other, 'ada@example.com', 'ack'), 'not-paged');
    // The key of one incident with the id of another.
    const forged = replyAddress(DOMAIN, { id: other.id, key: incident.key });
    await expectIgnored(
      receiptRecord(rawReply('ada@example.com', forged, 'ack'), { recipients: [forged] }),
      'unknown-incident',
    );
    const unknown = replyAddress(DOMAIN, { id: '01JF0000000000000000000000', key: incident.key });
    await expectIgnored(
      receiptRecord(rawReply('ada@example.com', unknown, 'ack'), { recipients: [unknown] }),
      'unknown-incident',
    );
  });

  it('from an address the incident did not page', async () => {
    const incident = await pagedIncident();
    await expectIgnored(replyTo(incident, 'mallory@example.com', 'ack'), 'not-paged');
  });

  it('without "ack" on the first line', async () => {
    const incident = await pagedIncident();
    await expectIgnored(replyTo(incident, 'ada@example.com', 'Looking now\r\nack'), 'no-ack');
    await expectIgnored(replyTo(incident, 'ada@example.com', 'backing off'), 'no-ack');
    await expectIgnored(replyTo(incident, 'ada@example.com', ''), 'no-ack');
  });

  it('that cannot be read as a mail, or has no From', async () => {
    const incident = await pagedIncident();
    const address = replyAddress(DOMAIN, incident);
    await expectIgnored(
      receiptRecord('Subject: no sender\r\n\r\nack\r\n', { recipients: [address] }),
      'unreadable',
    );
  });

  it('for an incident resolved before anyone acknowledged', async () => {
    const incident = await pagedIncident({ status: 'resolved', resolvedAt: '2026-12-07T02:59:00.000Z' });
    await expectIgnored(replyTo(incident, 'ada@example.com', 'ack'), 'resolved-unacknowledged');
  });
});
