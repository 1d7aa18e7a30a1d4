import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../functions/core/incident.ts';
import { mailEventEntry, mailEventsOf, pageReachedNobody } from '../../../functions/core/mail-events.ts';
import { messageTags } from '../../../functions/core/mail-tags.ts';
import { handleMailEvent, type MailEventDeps } from '../../../functions/use-cases/mail-events.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:Hotline-MailEventsTopic';
const tags = { incident: ['01M97W3K3AC0CH86CVY49XBRAQ'], kind: ['page'], sequence: ['1'] };
const mail = {
  timestamp: '2026-12-07T09:07:10.000Z',
  messageId: '0100019a-abc',
  destination: ['oncall@example.com'],
  tags,
};
const bounce = {
  eventType: 'Bounce',
  mail,
  bounce: {
    bounceType: 'Permanent',
    bounceSubType: 'General',
    bouncedRecipients: [
      { emailAddress: 'oncall@example.com', diagnosticCode: 'smtp; 550 5.1.1 user unknown' },
    ],
    timestamp: '2026-12-07T09:07:11.000Z',
  },
};
const delivery = {
  eventType: 'Delivery',
  mail,
  delivery: { timestamp: '2026-12-07T09:07:11.500Z', recipients: ['oncall@example.com'] },
};
const record = (message: unknown, topic = TOPIC) => ({
  EventSource: 'aws:sns',
  Sns: { Type: 'Notification', TopicArn: topic, Message: JSON.stringify(message) },
});

describe('mail events', () => {
  it('tag each incident mail with what its events name', () => {
    expect(
      messageTags({ incident: '01M97W3K3AC0CH86CVY49XBRAQ', kind: 'alerts-cleared', sequence: 42 }),
    ).toEqual([
      { Name: 'incident', Value: '01M97W3K3AC0CH86CVY49XBRAQ' },
      { Name: 'kind', Value: 'alerts-cleared' },
      { Name: 'sequence', Value: '42' },
    ]);
    // A value SES would refuse is no tag at all (the mail still goes).
    expect(messageTags({ incident: 'a b', kind: 'page', sequence: 1 })).toEqual([]);
  });

  it('read a hard bounce as failed, with the server words, and a delivery as delivered', () => {
    const [bounced] = mailEventsOf(JSON.stringify(bounce)) as ReturnType<typeof mailEventsOf> & unknown[];
    expect(bounced).toMatchObject({
      outcome: 'bounced',
      failed: true,
      recipient: 'oncall@example.com',
      detail: '550 5.1.1 user unknown',
      tags: { incident: '01M97W3K3AC0CH86CVY49XBRAQ', kind: 'page', sequence: 1 },
    });
    const entry = mailEventEntry('id', bounced as never, (s) => s.length.toString());
    expect(entry.text).toBe('Page to oncall@example.com bounced 09:07:11 UTC: 550 5.1.1 user unknown.');
    expect(entry.kind).toBe('mail.failed');
    const [ok] = mailEventsOf(JSON.stringify(delivery)) as unknown[];
    expect(ok).toMatchObject({ outcome: 'delivered', failed: false });
    // A soft bounce may yet arrive: not failed.
    const soft = {
      ...bounce,
      bounce: { ...bounce.bounce, bounceType: 'Transient', bounceSubType: 'MailboxFull' },
    };
    expect((mailEventsOf(JSON.stringify(soft)) as { failed: boolean }[])[0]?.failed).toBe(false);
    const suppressed = { ...bounce, bounce: { ...bounce.bounce, bounceSubType: 'OnAccountSuppressionList' } };
    expect((mailEventsOf(JSON.stringify(suppressed)) as { detail: string }[])[0]?.detail).toBe(
      'the address is on the SES suppression list',
    );
  });

  it('refuse what is not an SES event about an incident mail', () => {
    expect(mailEventsOf('not json')).toEqual({ reason: 'not-json' });
    expect(mailEventsOf(JSON.stringify({ eventType: 'Open', mail }))).toEqual({ reason: 'not-an-ses-event' });
    expect(mailEventsOf(JSON.stringify({ ...delivery, mail: { ...mail, tags: {} } }))).toEqual({
      reason: 'not-an-incident-mail',
    });
    expect(
      mailEventsOf(JSON.stringify({ ...delivery, mail: { ...mail, tags: { ...tags, incident: ['../x'] } } })),
    ).toEqual({ reason: 'not-an-incident-mail' });
  });

  it('say a tier reached nobody only when every channel of every recipient failed', () => {
    const to = [
      { address: 'a@example.com', sequence: 1 },
      { address: 'b@example.com', sequence: 2 },
    ];
    const sent = new Set(['page|1|a@example.com', 'page|2|b@example.com', 'page-sms|2|b@example.com']);
    expect(pageReachedNobody(to, sent, new Set(['page|1|a@example.com', 'page|2|b@example.com']))).toBe(
      false,
    );
    expect(
      pageReachedNobody(
        to,
        sent,
        new Set(['page|1|a@example.com', 'page|2|b@example.com', 'page-sms|2|b@example.com']),
      ),
    ).toBe(true);
    expect(pageReachedNobody([], sent, sent)).toBe(false);
  });
});

describe('the mail events handler', () => {
  const incident = { id: '01M97W3K3AC0CH86CVY49XBRAQ', key: 'HOT-1', status: 'paged' } as Incident;
  const deps = (known: Incident | undefined) => {
    const written: unknown[] = [];
    const resumed: unknown[] = [];
    const d: MailEventDeps = {
      topicArn: TOPIC,
      incidents: {
        get: async () => known,
        view: async () => (known ? { incident: known, timeline: [], alerts: [], comms: [] } : undefined),
        appendTimeline: async (entry) => {
          written.push(entry);
        },
        change: async () => undefined,
      },
      comms: { get: async () => undefined },
      workflow: {
        resume: async (token) => {
          resumed.push(token);
          return true;
        },
      },
    };
    return { d, written, resumed };
  };

  it('records a delivery once per message and recipient (its entry key)', async () => {
    const { d, written } = deps(incident);
    const outcome = await handleMailEvent(d, record(delivery));
    expect(outcome).toMatchObject({ outcome: 'recorded', key: 'HOT-1', escalated: false });
    await handleMailEvent(d, record(delivery));
    const ids = written.map((e) => (e as { eventId: string }).eventId);
    expect(new Set(ids).size).toBe(1);
  });

  it('ignores a notification from another topic, a forged body, and an unknown incident, writing nothing', async () => {
    const { d, written, resumed } = deps(incident);
    expect(await handleMailEvent(d, record(bounce, `${TOPIC}-other`))).toEqual({
      outcome: 'ignored',
      reason: 'wrong-topic',
    });
    expect(await handleMailEvent(d, { EventSource: 'aws:sns', Sns: { Type: 'Notification' } })).toEqual({
      outcome: 'ignored',
      reason: 'not-sns-notification',
    });
    expect(await handleMailEvent(d, record({ hello: 'world' }))).toEqual({
      outcome: 'ignored',
      reason: 'not-an-ses-event',
    });
    const unknown = deps(undefined);
    expect(await handleMailEvent(unknown.d, record(bounce))).toMatchObject({
      outcome: 'ignored',
      reason: 'unknown-incident',
    });
    expect([...written, ...resumed, ...unknown.written, ...unknown.resumed]).toEqual([]);
  });
});
