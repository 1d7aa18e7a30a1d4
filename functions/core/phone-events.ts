import * as z from 'zod/mini';
import { type MailTags, TAG_VALUE } from './mail-tags.ts';
import { redactPhone } from './people.ts';
import type { TimelineEntry } from './timeline.ts';

/*
 * Proof of delivery for texts and calls: the events AWS End User Messaging SMS and Voice (v2) publishes for a
 * configuration set's event destination (an SNS notification per event, its message the event as JSON:
 * eventType TEXT_* or VOICE_*, messageId, destinationPhoneNumber, messageStatus, messageStatusDescription,
 * eventTimestamp in milliseconds, isFinal, and the Context the message was sent with). Each page's text and call
 * is sent with a Context naming it (phoneContext, the mail tags' three values), which every event carries back.
 */

/** The Context a page's text or call is sent with: what its events name (AWS: at most 5 entries). */
export function phoneContext(tags: MailTags): Record<string, string> {
  return { incident: tags.incident, kind: tags.kind, sequence: String(tags.sequence) };
}

const phoneEvent = z.object({
  eventType: z.string().check(z.regex(/^(TEXT|VOICE)_[A-Z_]{2,40}$/)),
  eventTimestamp: z.int().check(z.positive()),
  isFinal: z.optional(z.boolean()),
  messageId: z.string().check(z.minLength(1), z.maxLength(200)),
  destinationPhoneNumber: z.string().check(z.regex(/^\+?[0-9]{3,19}$/)),
  messageStatus: z.optional(z.string().check(z.maxLength(100))),
  messageStatusDescription: z.optional(z.string().check(z.maxLength(1000))),
  context: z.optional(z.record(z.string(), z.string())),
});

export type PhoneChannel = 'sms' | 'voice';
export type PhoneOutcome = 'delivered' | 'accepted' | 'answered' | 'failed' | 'unknown';

/** One event of one incident text or call. */
export interface PhoneEvent {
  channel: PhoneChannel;
  /** The event type as AWS names it (TEXT_DELIVERED, VOICE_NO_ANSWER...). */
  type: string;
  outcome: PhoneOutcome;
  messageId: string;
  at: string;
  phone: string;
  /** Why, in the service's words (a failure's or an unknown status's description). */
  detail?: string;
  /** For good: the number did not get it (blocked, invalid, unreachable, expired, a call not answered). */
  failed: boolean;
  tags: MailTags;
}

/** Why an event notification was not one to act on. */
export type PhoneEventRefusal = {
  reason: 'not-json' | 'not-a-phone-event' | 'not-an-incident-message' | 'ignored-type';
};

/** The events that say a text or call did not reach its number, and will not (End User Messaging's types). */
const FAILURES: Record<string, string> = {
  TEXT_INVALID: 'the number is not valid',
  TEXT_INVALID_MESSAGE: 'the message is not valid',
  TEXT_UNREACHABLE: 'the phone is unreachable',
  TEXT_CARRIER_UNREACHABLE: 'the carrier is unreachable',
  TEXT_BLOCKED: 'blocked (the number may have opted out)',
  TEXT_CARRIER_BLOCKED: 'blocked by the carrier',
  TEXT_SPAM: 'refused by the carrier as spam',
  TEXT_TTL_EXPIRED: 'not delivered in time (expired)',
  TEXT_PROTECT_BLOCKED: 'blocked by SMS Protect',
  VOICE_BUSY: 'the line was busy',
  VOICE_NO_ANSWER: 'nobody answered',
  VOICE_FAILED: 'the call failed',
  VOICE_TTL_EXPIRED: 'not placed in time (expired)',
};

/** Whether an event type (TEXT_* or VOICE_*) is a final failure of the message. */
export function isPhoneFailure(type: string): boolean {
  return Object.hasOwn(FAILURES, type);
}

/**
 * The event types the stack's configuration set sends: the final ones (never queued, sent, ringing...), and not
 * a carrier's acceptance, which is followed by its delivery receipt where the country gives one.
 */
export const PHONE_EVENT_TYPES = [
  'TEXT_DELIVERED',
  'TEXT_UNKNOWN',
  ...Object.keys(FAILURES).filter((t) => t.startsWith('TEXT_')),
  'VOICE_COMPLETED',
  ...Object.keys(FAILURES).filter((t) => t.startsWith('VOICE_')),
];

/**
 * The event of one notification's message, naming the incident text or call by its Context. What is not such an
 * event (an SES event, anything else) is refused with the reason; so is an intermediate event (queued, ringing;
 * and a carrier's acceptance when a delivery receipt is still to come: TEXT_SUCCESSFUL not final).
 */
export function phoneEventOf(message: string): PhoneEvent | PhoneEventRefusal {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { reason: 'not-json' };
  }
  const parsed = phoneEvent.safeParse(json);
  if (!parsed.success) return { reason: 'not-a-phone-event' };
  const event = parsed.data;
  const context = event.context ?? {};
  const { incident, kind } = context;
  const sequence = Number(context.sequence);
  if (
    !incident ||
    !kind ||
    !/^\d{1,15}$/.test(context.sequence ?? '') ||
    !Number.isSafeInteger(sequence) ||
    ![incident, kind].every((v) => TAG_VALUE.test(v))
  )
    return { reason: 'not-an-incident-message' };
  const channel: PhoneChannel = event.eventType.startsWith('TEXT_') ? 'sms' : 'voice';
  const outcome = outcomeOf(event.eventType, event.isFinal);
  if (!outcome) return { reason: 'ignored-type' };
  const description = event.messageStatusDescription?.trim();
  const detail =
    outcome === 'failed'
      ? `${FAILURES[event.eventType]}${description ? ` (${description})` : ''}`
      : outcome === 'unknown'
        ? (description ?? 'the carrier never said')
        : undefined;
  return {
    channel,
    type: event.eventType,
    outcome,
    messageId: event.messageId,
    at: new Date(event.eventTimestamp).toISOString(),
    phone: event.destinationPhoneNumber,
    ...(detail ? { detail: detail.slice(0, 300) } : {}),
    failed: outcome === 'failed',
    tags: { incident, kind, sequence },
  };
}

function outcomeOf(type: string, isFinal: boolean | undefined): PhoneOutcome | undefined {
  if (isPhoneFailure(type)) return 'failed';
  switch (type) {
    case 'TEXT_DELIVERED':
      return 'delivered';
    // Accepted by the carrier: worth saying only when no delivery receipt will follow (isFinal).
    case 'TEXT_SUCCESSFUL':
      return isFinal === true ? 'accepted' : undefined;
    case 'TEXT_UNKNOWN':
      return 'unknown';
    case 'VOICE_COMPLETED':
      return 'answered';
    default:
      return undefined;
  }
}

const WORDS: Record<PhoneOutcome, string> = {
  delivered: 'delivered',
  accepted: 'accepted by the carrier',
  answered: 'answered',
  failed: 'failed',
  unknown: 'status unknown',
};

function phoneWords(channel: PhoneChannel, kind: string): string {
  const what = channel === 'sms' ? 'Text' : 'Call';
  if (kind.startsWith('page')) return `${what} page`;
  return `${what} (${kind})`;
}

/**
 * The timeline entry of one event: written once per message and event type. `address` is the person's address
 * the page was sent for (their comms record's), which the "reached nobody" rule counts by; the number is shown
 * redacted only.
 */
export function phoneEventEntry(
  incidentId: string,
  event: PhoneEvent,
  address: string | undefined,
  digest: (s: string) => string,
): TimelineEntry {
  const time = event.at.slice(11, 19);
  return {
    incidentId,
    eventId: `phone-${event.outcome}-${digest(`${event.messageId}|${event.type}`)}`,
    at: event.at,
    kind: event.failed ? 'phone.failed' : 'phone.delivery',
    actor: 'sms-voice',
    text: `${phoneWords(event.channel, event.tags.kind)} to ${redactPhone(event.phone)} ${WORDS[event.outcome]} ${time} UTC${event.detail ? `: ${event.detail}` : ''}.`,
    data: {
      outcome: event.outcome,
      type: event.type,
      channel: event.channel,
      messageId: event.messageId,
      kind: event.tags.kind,
      sequence: event.tags.sequence,
      ...(address ? { recipient: address } : {}),
    },
  };
}
