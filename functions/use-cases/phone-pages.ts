import { createHmac, randomUUID } from 'node:crypto';
import type { Severity } from '../core/config.ts';
import { RetryableError } from '../core/errors.ts';
import type { Incident } from '../core/incident.ts';
import type { SigningKeys } from '../core/links.ts';
import {
  HELD_MESSAGE_ID,
  heldWords,
  hourWindow,
  placesKept,
  smsStormSummaryText,
  stormDecision,
  summaryWords,
  voiceStormSummaryText,
} from '../core/page-storm.ts';
import { ACK_CODE_DIGITS, PageRefusedError, smsPageText, voicePageText } from '../core/pages-sms.ts';
import { redactPhone } from '../core/people.ts';
import { phoneContext } from '../core/phone-events.ts';
import type {
  ChannelHealthStore,
  CommsStore,
  IncidentStore,
  PageCodeStore,
  PageCountStore,
  PagerSender,
} from './ports.ts';
import { SEND_LEASE_MS } from './send-once.ts';

/**
 * Pages by SMS and voice (End User Messaging SMS and Voice), once per page and channel on the same leased claim
 * as the mail (`sendOnce`): a retried step texts nobody twice. Each page carries an acknowledgement code, kept
 * with the incident, the person and the number (`PageCodeStore`), so a reply from that number acknowledges.
 * A refusal for good (an opted-out number, a channel not configured) is recorded on the timeline and the page
 * goes on: the tier escalates when its time is up, as for a page nobody answers.
 *
 * During an alert storm (`paging.sms.maxPerHour`, core/page-storm.ts) each page is counted in its person's hour
 * on its channel: past the limit one summary goes out, then pages are held (written on the timeline, recorded as
 * `held`, never a failure) and the page step mails the person instead.
 */

export interface PhoneOutbox {
  comms: CommsStore;
  incidents: Pick<IncidentStore, 'appendTimeline'>;
  pager?: PagerSender | undefined;
  pageCodes?: PageCodeStore | undefined;
  /** Pages per person and hour, where a limit applies (`paging.sms.maxPerHour`). */
  pageCounts?: PageCountStore | undefined;
  /** Where a refusal for the monthly spend limit is noted, for the channel check to tell the operators. */
  spendLimits?: Pick<ChannelHealthStore, 'noteSpendLimitHit'> | undefined;
  signingKeys: () => Promise<SigningKeys>;
  now: () => Date;
}

export interface PhonePage {
  incident: Pick<Incident, 'id' | 'key' | 'severity' | 'summary'>;
  channel: 'sms' | 'voice';
  /** The page's sequence (the same as its mail's): one text and one call per page and person. */
  sequence: number;
  person: { id: string; name: string; address: string; phone?: string | undefined };
  /** "incident manager", "backup incident manager (escalated)"... */
  label: string;
  /** At most this many texts (and as many calls) to one person in an hour, then a summary, then mail only. */
  maxPerHour?: number | undefined;
}

/** What a phone send did: sent now, sent before (a retry), refused for good, or held for the storm limit. */
export type PhoneSendOutcome = 'sent' | 'already-sent' | 'refused' | 'held';

/** How long a code's reply counts: the incident is usually over well before. */
export const ACK_CODE_DAYS = 7;
const ATTEMPTS = 5;

/**
 * The page's code: derived from the page with the link signing key (the same on a retry, unguessable without
 * the key), drawn again while another page holds it. Kept once.
 */
export async function pageCodeFor(
  outbox: Pick<PhoneOutbox, 'pageCodes' | 'signingKeys' | 'now'>,
  page: Pick<PhonePage, 'incident' | 'sequence' | 'person'> & { phone: string },
): Promise<string> {
  if (!outbox.pageCodes) throw new Error('paging by phone needs the page codes store');
  const keys = await outbox.signingKeys();
  const secret = keys.keys[keys.activeKeyId] ?? '';
  const now = outbox.now();
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    const digest = createHmac('sha256', secret)
      .update(`page-code|${page.incident.id}|${page.sequence}|${page.person.id}|${attempt}`)
      .digest();
    const code = String(digest.readUInt32BE(0) % 10 ** ACK_CODE_DIGITS).padStart(ACK_CODE_DIGITS, '0');
    const kept = {
      code,
      incidentId: page.incident.id,
      key: page.incident.key,
      personId: page.person.id,
      address: page.person.address,
      phone: page.phone,
      createdAt: now.toISOString(),
      expiresAt: new Date(now.getTime() + ACK_CODE_DAYS * 86_400_000).toISOString(),
    };
    if (await outbox.pageCodes.create(kept)) return code;
    const existing = await outbox.pageCodes.get(code, now);
    // This page's own code, kept by an earlier attempt.
    if (existing?.incidentId === kept.incidentId && existing.personId === kept.personId) return code;
  }
  throw new RetryableError(`no free acknowledgement code for ${page.incident.key} after ${ATTEMPTS} draws`);
}

/** One phone send, once per kind and sequence (the leased claim the mails use): what it sent, or its refusal. */
async function phoneSendOnce(
  outbox: PhoneOutbox,
  send: {
    incident: Pick<Incident, 'id' | 'key'>;
    kind: string;
    sequence: number;
    address: string;
    subject: string;
    timelineKind: 'page.sent' | 'comms.sent';
    channel: 'sms' | 'voice';
    /** Sends; answers the message id and the timeline's words for it, or the words for a page held. */
    run: () => Promise<{ messageId: string; text: string } | { held: string }>;
    /** The timeline's words for a refusal for good. */
    refused: (error: PageRefusedError) => string;
  },
): Promise<PhoneSendOutcome> {
  const { incident, kind, sequence } = send;
  const now = outbox.now();
  const owner = randomUUID();
  const claim = await outbox.comms.claim(
    {
      incidentId: incident.id,
      kind,
      sequence,
      status: 'sending',
      recipients: [send.address],
      subject: send.subject,
      startedAt: now.toISOString(),
    },
    { owner, now, leaseMs: SEND_LEASE_MS },
  );
  if (claim.state === 'done' && claim.record.sentAt)
    return claim.record.messageId === HELD_MESSAGE_ID ? 'held' : 'already-sent';
  if (claim.state === 'held' || claim.state === 'done')
    throw new RetryableError(`the ${kind} ${sequence} of ${incident.key} is being sent`);
  const record = async (
    messageId: string,
    text: string,
    data: Record<string, unknown>,
    timelineKind: 'page.sent' | 'comms.sent' | 'page.held' = send.timelineKind,
  ) => {
    const at = outbox.now().toISOString();
    await outbox.comms.complete(incident.id, kind, sequence, owner, messageId, at);
    await outbox.incidents.appendTimeline({
      incidentId: incident.id,
      eventId: `comms-${kind}-${sequence}`,
      at,
      kind: timelineKind,
      actor: 'hotline',
      text,
      data: { channel: send.channel, recipients: [send.address], ...data },
    });
  };
  try {
    const sent = await send.run();
    if ('held' in sent) {
      // Recorded as done (a retry holds it again) and written on the timeline: never dropped silently.
      await record(HELD_MESSAGE_ID, sent.held, { held: true }, 'page.held');
      return 'held';
    }
    await record(sent.messageId, sent.text, { messageId: sent.messageId });
    return 'sent';
  } catch (error) {
    if (error instanceof PageRefusedError) {
      try {
        // Before the record: a failure here retries the send, which is refused again and noted then.
        if (error.reason === 'spend-limit')
          await outbox.spendLimits?.noteSpendLimitHit(send.channel, outbox.now().toISOString());
      } catch (noteError) {
        await outbox.comms.release(incident.id, kind, sequence, owner).catch(() => undefined);
        throw noteError;
      }
      // For good: recorded once, not retried.
      await record('refused', send.refused(error), { refused: error.reason, detail: error.detail });
      return 'refused';
    }
    await outbox.comms.release(incident.id, kind, sequence, owner).catch(() => undefined);
    throw error;
  }
}

/** Texts or calls one person once for this page; answers what happened (for the tier's notice of who was reached). */
export async function phonePageOnce(outbox: PhoneOutbox, page: PhonePage): Promise<PhoneSendOutcome> {
  const { incident, channel, sequence, person } = page;
  const verb = channel === 'sms' ? 'Texted' : 'Called';
  const phone = person.phone ? ` (${redactPhone(person.phone)})` : '';
  return phoneSendOnce(outbox, {
    incident,
    kind: `page-${channel}`,
    sequence,
    address: person.address,
    subject: `${incident.key} ${channel} page`,
    timelineKind: 'page.sent',
    channel,
    async run() {
      if (!person.phone)
        throw new PageRefusedError('invalid', 'NoPhoneNumber', `${person.name} has no phone number`);
      if (!outbox.pager)
        throw new PageRefusedError('not-permitted', 'NoPager', 'this function does not page by phone');
      const storm = await stormOf(outbox, page);
      const who = `${page.label} ${person.name}${phone}`;
      if (storm.decision === 'hold') return { held: heldWords({ channel, who, ...storm.terms }) };
      const code = await pageCodeFor(outbox, { incident, sequence, person, phone: person.phone });
      const message = {
        key: incident.key,
        severity: incident.severity as Severity,
        summary: incident.summary,
        code,
      };
      // Its delivery events name the page by this (core/phone-events.ts), as a mail's tags do.
      const context = phoneContext({ incident: incident.id, kind: `page-${channel}`, sequence });
      const summary = storm.decision === 'summary' ? { ...message, ...storm.terms } : undefined;
      const sent =
        channel === 'sms'
          ? await outbox.pager.sendText(
              person.phone,
              summary ? smsStormSummaryText(summary) : smsPageText(message),
              context,
            )
          : await outbox.pager.sendVoice(
              person.phone,
              summary ? voiceStormSummaryText(summary) : voicePageText(message),
              context,
            );
      const text = summary ? summaryWords({ channel, who, ...storm.terms }) : `${verb} ${who}.`;
      return { messageId: sent.messageId, text };
    },
    // The tier's timeout still escalates.
    refused: (error) =>
      `Could not ${channel === 'sms' ? 'text' : 'call'} ${page.label} ${person.name}${phone}: ${error.message}.`,
  });
}

/**
 * Where the page stands in its person's hour on its channel: counted (once per page) when a limit applies, and
 * what its place means. Without a limit nothing is counted.
 */
async function stormOf(
  outbox: PhoneOutbox,
  page: PhonePage,
): Promise<{
  decision: 'send' | 'summary' | 'hold';
  terms: { maxPerHour: number; until: string };
}> {
  const hour = hourWindow(outbox.now());
  const { maxPerHour } = page;
  if (maxPerHour === undefined) return { decision: 'send', terms: { maxPerHour: 0, until: hour.end } };
  if (!outbox.pageCounts) throw new Error('a limit on pages per hour needs the page counts store');
  const place = await outbox.pageCounts.count({
    personId: page.person.id,
    channel: page.channel,
    hourStart: hour.start,
    hourEnd: hour.end,
    pageId: `${page.incident.id}:${page.channel}:${page.sequence}`,
    keep: placesKept(maxPerHour),
  });
  return { decision: stormDecision(maxPerHour, place), terms: { maxPerHour, until: hour.end } };
}

/**
 * Texts a person a notice about a page they had (the alerts cleared), once per notice (`kind` and `sequence`
 * name it) on the same leased claim as the pages: a retried step texts nobody twice. A refusal for good is
 * recorded on the timeline and the notice goes on to the others.
 */
export async function phoneNoticeOnce(
  outbox: PhoneOutbox,
  notice: {
    incident: Pick<Incident, 'id' | 'key'>;
    kind: string;
    sequence: number;
    person: { id: string; name: string; address: string; phone: string };
    text: string;
  },
): Promise<PhoneSendOutcome> {
  const { incident, kind, person } = notice;
  const who = `${person.name} (${redactPhone(person.phone)})`;
  return phoneSendOnce(outbox, {
    incident,
    kind,
    sequence: notice.sequence,
    address: person.address,
    subject: `${incident.key} ${kind}`,
    timelineKind: 'comms.sent',
    channel: 'sms',
    async run() {
      if (!outbox.pager)
        throw new PageRefusedError('not-permitted', 'NoPager', 'this function does not text');
      const sent = await outbox.pager.sendText(
        person.phone,
        notice.text,
        phoneContext({ incident: incident.id, kind, sequence: notice.sequence }),
      );
      return { messageId: sent.messageId, text: `Texted ${who}: ${notice.text}` };
    },
    refused: (error) => `Could not text ${who}: ${error.message}.`,
  });
}
