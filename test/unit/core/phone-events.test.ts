import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../functions/core/incident.ts';
import { HELD_MESSAGE_ID } from '../../../functions/core/page-storm.ts';
import {
  PHONE_EVENT_TYPES,
  phoneContext,
  phoneEventEntry,
  phoneEventOf,
} from '../../../functions/core/phone-events.ts';
import type { TimelineEntry } from '../../../functions/core/timeline.ts';
import { handleMailEvent, type MailEventDeps } from '../../../functions/use-cases/mail-events.ts';
import type { CommsRecord } from '../../../functions/use-cases/ports.ts';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:Hotline-MailEventsTopic';
const INCIDENT = '01M97W3K3AC0CH86CVY49XBRAQ';
const AT = Date.parse('2026-12-07T09:07:11.000Z');

const textEvent = (eventType: string, extra: Record<string, unknown> = {}) => ({
  eventType,
  eventVersion: '1.0',
  eventTimestamp: AT,
  isFinal: true,
  originationPhoneNumber: '+12065550152',
  destinationPhoneNumber: '+447700901234',
  messageId: 'msg-sms-1',
  messageStatus: eventType.replace(/^(TEXT|VOICE)_/, ''),
  messageStatusDescription: 'Destination phone number blocked',
  context: phoneContext({ incident: INCIDENT, kind: 'page-sms', sequence: 10101 }),
  ...extra,
});
const record = (message: unknown, topic = TOPIC) => ({
  EventSource: 'aws:sns',
  Sns: { Type: 'Notification', TopicArn: topic, Message: JSON.stringify(message) },
});

describe('SMS and voice events', () => {
  it('carry back the Context each page is sent with', () => {
    expect(phoneContext({ incident: INCIDENT, kind: 'page-voice', sequence: 3 })).toEqual({
      incident: INCIDENT,
      kind: 'page-voice',
      sequence: '3',
    });
  });

  it('read a delivered text, a blocked text and an unanswered call, with the numbers redacted', () => {
    const delivered = phoneEventOf(JSON.stringify(textEvent('TEXT_DELIVERED')));
    expect(delivered).toMatchObject({ channel: 'sms', outcome: 'delivered', failed: false });
    const entry = phoneEventEntry(INCIDENT, delivered as never, 'ada@example.com', (s) => `${s.length}`);
    expect(entry.text).toBe('Text page to +44********34 delivered 09:07:11 UTC.');
    expect(entry).toMatchObject({
      kind: 'phone.delivery',
      actor: 'sms-voice',
      data: { recipient: 'ada@example.com', kind: 'page-sms', sequence: 10101 },
    });
    expect(JSON.stringify(entry)).not.toContain('+447700901234');

    const blocked = phoneEventOf(JSON.stringify(textEvent('TEXT_BLOCKED')));
    expect(blocked).toMatchObject({ outcome: 'failed', failed: true });
    expect(phoneEventEntry(INCIDENT, blocked as never, undefined, (s) => s).text).toBe(
      'Text page to +44********34 failed 09:07:11 UTC: blocked (the number may have opted out) (Destination phone number blocked).',
    );
    const call = phoneEventOf(
      JSON.stringify(
        textEvent('VOICE_NO_ANSWER', {
          messageStatusDescription: undefined,
          context: phoneContext({ incident: INCIDENT, kind: 'page-voice', sequence: 10101 }),
        }),
      ),
    );
    expect(call).toMatchObject({ channel: 'voice', failed: true });
    const callEntry = phoneEventEntry(INCIDENT, call as never, undefined, (s) => s);
    expect(callEntry.text).toBe('Call page to +44********34 failed 09:07:11 UTC: nobody answered.');
    expect(callEntry.kind).toBe('phone.failed');
    const answered = phoneEventOf(JSON.stringify(textEvent('VOICE_COMPLETED')));
    expect(answered).toMatchObject({ outcome: 'answered', failed: false });
    // Unknown is said, and is no failure.
    expect(phoneEventOf(JSON.stringify(textEvent('TEXT_UNKNOWN')))).toMatchObject({
      outcome: 'unknown',
      failed: false,
    });
  });

  it('ignore intermediate events, and refuse what is not an incident text or call', () => {
    expect(phoneEventOf(JSON.stringify(textEvent('VOICE_RINGING')))).toEqual({ reason: 'ignored-type' });
    expect(phoneEventOf(JSON.stringify(textEvent('TEXT_SUCCESSFUL', { isFinal: false })))).toEqual({
      reason: 'ignored-type',
    });
    expect(phoneEventOf(JSON.stringify(textEvent('TEXT_SUCCESSFUL')))).toMatchObject({
      outcome: 'accepted',
    });
    expect(phoneEventOf('not json')).toEqual({ reason: 'not-json' });
    expect(phoneEventOf(JSON.stringify({ eventType: 'Delivery', mail: {} }))).toEqual({
      reason: 'not-a-phone-event',
    });
    expect(phoneEventOf(JSON.stringify(textEvent('TEXT_DELIVERED', { context: undefined })))).toEqual({
      reason: 'not-an-incident-message',
    });
    expect(
      phoneEventOf(
        JSON.stringify(
          textEvent('TEXT_DELIVERED', { context: { incident: '../x', kind: 'page', sequence: '1' } }),
        ),
      ),
    ).toEqual({ reason: 'not-an-incident-message' });
    expect(
      phoneEventOf(
        JSON.stringify(
          textEvent('TEXT_DELIVERED', { context: { incident: INCIDENT, kind: 'page', sequence: '1e3' } }),
        ),
      ),
    ).toEqual({ reason: 'not-an-incident-message' });
  });

  it('subscribe the final types only', () => {
    expect(PHONE_EVENT_TYPES).toContain('TEXT_DELIVERED');
    expect(PHONE_EVENT_TYPES).toContain('VOICE_NO_ANSWER');
    expect(PHONE_EVENT_TYPES).not.toContain('TEXT_SENT');
    expect(PHONE_EVENT_TYPES).not.toContain('VOICE_RINGING');
  });
});

describe('the delivery events handler, for texts and calls', () => {
  // Tier 0 of round 1 pages one person: sequence 10001, by mail and text.
  const incident = {
    id: INCIDENT,
    key: 'HOT-1',
    status: 'paged',
    severity: 1,
    ackTaskToken: 'token-1',
    ackWait: 'incidentManager',
    ackWaitClears: true,
    tierPage: { round: 1, tier: 0, recipients: [{ address: 'ada@example.com' }], last: false },
  } as unknown as Incident;
  const comms = (status: 'sending' | 'sent' = 'sent'): CommsRecord[] => [
    {
      incidentId: INCIDENT,
      kind: 'page',
      sequence: 10001,
      status: 'sent',
      recipients: ['ada@example.com'],
      subject: 'HOT-1 page',
      startedAt: '2026-12-07T09:07:00.000Z',
      messageId: 'mail-1',
    },
    {
      incidentId: INCIDENT,
      kind: 'page-sms',
      sequence: 10001,
      status,
      recipients: ['ada@example.com'],
      subject: 'HOT-1 sms page',
      startedAt: '2026-12-07T09:07:00.000Z',
      ...(status === 'sent' ? { messageId: 'msg-sms-1' } : {}),
    },
  ];
  const deps = (known: Incident | undefined, records = comms()) => {
    const written: TimelineEntry[] = [];
    const resumed: unknown[] = [];
    const d: MailEventDeps = {
      topicArn: TOPIC,
      incidents: {
        get: async () => known,
        view: async () =>
          known ? { incident: known, timeline: written, alerts: [], comms: records } : undefined,
        appendTimeline: async (entry) => {
          if (!written.some((e) => e.eventId === entry.eventId)) written.push(entry);
        },
        change: async () =>
          ({ ...incident, pageUndeliverable: { tier: 0, round: 1 } }) as unknown as Incident,
      },
      // One item by its key, as the table answers (the send's record, not the partition).
      comms: {
        get: async (incidentId, kind, sequence) =>
          records.find((c) => c.incidentId === incidentId && c.kind === kind && c.sequence === sequence),
      },
      workflow: {
        resume: async (token) => {
          resumed.push(token);
          return true;
        },
      },
    };
    return { d, written, resumed };
  };
  const pageEvent = (type: string) =>
    textEvent(type, { context: phoneContext({ incident: INCIDENT, kind: 'page-sms', sequence: 10001 }) });
  const mailBounce = {
    eventType: 'Bounce',
    mail: {
      timestamp: '2026-12-07T09:07:10.000Z',
      messageId: 'mail-1',
      destination: ['ada@example.com'],
      tags: { incident: [INCIDENT], kind: ['page'], sequence: ['10001'] },
    },
    bounce: {
      bounceType: 'Permanent',
      bouncedRecipients: [{ emailAddress: 'ada@example.com' }],
      timestamp: '2026-12-07T09:07:11.000Z',
    },
  };

  it('records a delivered text once, and escalates nothing', async () => {
    const { d, written, resumed } = deps(incident);
    expect(await handleMailEvent(d, record(pageEvent('TEXT_DELIVERED')))).toMatchObject({
      outcome: 'recorded',
      key: 'HOT-1',
      escalated: false,
    });
    await handleMailEvent(d, record(pageEvent('TEXT_DELIVERED')));
    expect(written.map((e) => e.kind)).toEqual(['phone.delivery']);
    expect(resumed).toEqual([]);
  });

  it('escalates when the text failed and the mail bounced: every channel failed', async () => {
    const { d, written, resumed } = deps(incident);
    expect(await handleMailEvent(d, record(pageEvent('TEXT_CARRIER_UNREACHABLE')))).toMatchObject({
      escalated: false,
    });
    expect(await handleMailEvent(d, record(mailBounce))).toMatchObject({ escalated: true });
    expect(written.map((e) => e.kind)).toEqual(['phone.failed', 'mail.failed', 'page.undeliverable']);
    expect(resumed).toEqual(['token-1']);
  });

  it('counts a text held for the storm limit neither as reached nor as failed: the mail alone decides', async () => {
    const held = comms().map((c) => (c.kind === 'page-sms' ? { ...c, messageId: HELD_MESSAGE_ID } : c));
    // A held text was never sent: an event naming a text is about no message of this page.
    const standing = deps(incident, held);
    expect(await handleMailEvent(standing.d, record(pageEvent('TEXT_CARRIER_UNREACHABLE')))).toMatchObject({
      outcome: 'ignored',
      reason: 'unknown-message',
    });
    expect(standing.resumed).toEqual([]);
    // Nor is it a channel that reached Ada: her mail bounced, so the page reached nobody.
    const bounced = deps(incident, held);
    expect(await handleMailEvent(bounced.d, record(mailBounce))).toMatchObject({ escalated: true });
    expect(bounced.written.map((e) => e.kind)).toEqual(['mail.failed', 'page.undeliverable']);
    // Held text, mail sent and a call that failed: the mail still stands, nothing escalates.
    const called = deps(incident, [
      ...held,
      { ...held[1], kind: 'page-voice', messageId: 'msg-voice-1' } as CommsRecord,
    ]);
    const voiceFailed = textEvent('VOICE_FAILED', {
      messageId: 'msg-voice-1',
      context: phoneContext({ incident: INCIDENT, kind: 'page-voice', sequence: 10001 }),
    });
    expect(await handleMailEvent(called.d, record(voiceFailed))).toMatchObject({ escalated: false });
    expect(called.resumed).toEqual([]);
  });

  it('ignores an event about another message, another topic, an unknown incident or a forged body, writing nothing', async () => {
    const { d, written, resumed } = deps(incident);
    expect(
      await handleMailEvent(d, record({ ...pageEvent('TEXT_BLOCKED'), messageId: 'someone-else' })),
    ).toMatchObject({ outcome: 'ignored', reason: 'unknown-message' });
    expect(await handleMailEvent(d, record(pageEvent('TEXT_BLOCKED'), `${TOPIC}-other`))).toEqual({
      outcome: 'ignored',
      reason: 'wrong-topic',
    });
    expect(await handleMailEvent(d, record(pageEvent('VOICE_RINGING')))).toEqual({
      outcome: 'ignored',
      reason: 'ignored-type',
    });
    expect(
      await handleMailEvent(d, record({ ...pageEvent('TEXT_BLOCKED'), context: { incident: INCIDENT } })),
    ).toEqual({ outcome: 'ignored', reason: 'not-an-incident-message' });
    const unknown = deps(undefined);
    expect(await handleMailEvent(unknown.d, record(pageEvent('TEXT_BLOCKED')))).toMatchObject({
      outcome: 'ignored',
      reason: 'unknown-incident',
    });
    expect([...written, ...resumed, ...unknown.written, ...unknown.resumed]).toEqual([]);
  });

  it('has Lambda retry an event that outran the record of its send', async () => {
    const { d, written } = deps(incident, comms('sending'));
    await expect(handleMailEvent(d, record(pageEvent('TEXT_DELIVERED')))).rejects.toThrow(/being recorded/);
    expect(written).toEqual([]);
  });
});
