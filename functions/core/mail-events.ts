import * as z from 'zod/mini';
import { type MailTags, TAG_VALUE } from './mail-tags.ts';
import type { TimelineEntry } from './timeline.ts';

export type { MailTags };

/*
 * Proof of delivery for mail: the events SES publishes for the configuration set (an SNS notification per event:
 * Delivery, Bounce, Complaint, Reject, DeliveryDelay), and what they mean for an incident. Each incident mail is
 * sent with tags naming it (`MessageTags`), which every event carries back: no lookup by message id.
 */

const address = z.string().check(z.minLength(3), z.maxLength(320));
const recipient = z.object({
  emailAddress: address,
  diagnosticCode: z.optional(z.string()),
  status: z.optional(z.string()),
});

/** The parts of an SES event notification this reads (the service sends more). */
const sesEvent = z.object({
  eventType: z.enum(['Delivery', 'Bounce', 'Complaint', 'Reject', 'DeliveryDelay', 'Send']),
  mail: z.object({
    messageId: z.string().check(z.minLength(1), z.maxLength(200)),
    timestamp: z.string(),
    destination: z.array(address),
    tags: z.optional(z.record(z.string(), z.array(z.string()))),
  }),
  delivery: z.optional(z.object({ timestamp: z.string(), recipients: z.array(address) })),
  bounce: z.optional(
    z.object({
      bounceType: z.string(),
      bounceSubType: z.optional(z.string()),
      bouncedRecipients: z.array(recipient),
      timestamp: z.string(),
    }),
  ),
  complaint: z.optional(z.object({ complainedRecipients: z.array(recipient), timestamp: z.string() })),
  reject: z.optional(z.object({ reason: z.optional(z.string()) })),
  deliveryDelay: z.optional(
    z.object({
      delayType: z.optional(z.string()),
      delayedRecipients: z.array(recipient),
      timestamp: z.string(),
    }),
  ),
});

export type MailOutcome = 'delivered' | 'bounced' | 'complained' | 'rejected' | 'delayed';

/** One event, per recipient, of one incident mail. */
export interface MailEvent {
  outcome: MailOutcome;
  messageId: string;
  at: string;
  recipient: string;
  /** Why, in the receiving server's words (a bounce's diagnostic, a reject's reason, a delay's type). */
  detail?: string;
  /** A permanent failure: the address will not receive it (a hard bounce, a reject). */
  failed: boolean;
  tags: MailTags;
}

/** Why an event notification was not one to act on. */
export type MailEventRefusal = {
  reason: 'not-json' | 'not-an-ses-event' | 'not-an-incident-mail' | 'ignored-type';
};

const one = (tags: Record<string, string[]> | undefined, name: string) => tags?.[name]?.[0];

/**
 * The events of one notification's message (an SES event as JSON): one per recipient it concerns, each naming
 * the incident mail by its tags. A notification that is not an SES event, or is about mail that is not an
 * incident's (no tags), is refused with the reason.
 */
export function mailEventsOf(message: string): MailEvent[] | MailEventRefusal {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { reason: 'not-json' };
  }
  const parsed = sesEvent.safeParse(json);
  if (!parsed.success) return { reason: 'not-an-ses-event' };
  const event = parsed.data;
  const incident = one(event.mail.tags, 'incident');
  const kind = one(event.mail.tags, 'kind');
  const sequence = Number(one(event.mail.tags, 'sequence'));
  if (
    !incident ||
    !kind ||
    !Number.isSafeInteger(sequence) ||
    ![incident, kind].every((v) => TAG_VALUE.test(v))
  )
    return { reason: 'not-an-incident-mail' };
  const tags = { incident, kind, sequence };
  const base = { messageId: event.mail.messageId, tags };
  switch (event.eventType) {
    case 'Delivery':
      return (event.delivery?.recipients ?? event.mail.destination).map((r) => ({
        ...base,
        outcome: 'delivered',
        at: event.delivery?.timestamp ?? event.mail.timestamp,
        recipient: r,
        failed: false,
      }));
    case 'Bounce':
      return (event.bounce?.bouncedRecipients ?? []).map((r) => ({
        ...base,
        outcome: 'bounced',
        at: event.bounce?.timestamp ?? event.mail.timestamp,
        recipient: r.emailAddress,
        detail: bounceDetail(event.bounce?.bounceType, event.bounce?.bounceSubType, r.diagnosticCode),
        // A transient bounce (a full mailbox) may yet be delivered: SES retries it.
        failed: event.bounce?.bounceType === 'Permanent',
      }));
    case 'Complaint':
      return (event.complaint?.complainedRecipients ?? []).map((r) => ({
        ...base,
        outcome: 'complained',
        at: event.complaint?.timestamp ?? event.mail.timestamp,
        recipient: r.emailAddress,
        failed: false,
      }));
    case 'Reject':
      return event.mail.destination.map((r) => ({
        ...base,
        outcome: 'rejected',
        at: event.mail.timestamp,
        recipient: r,
        detail: event.reject?.reason ?? 'rejected',
        failed: true,
      }));
    case 'DeliveryDelay':
      return (event.deliveryDelay?.delayedRecipients ?? []).map((r) => ({
        ...base,
        outcome: 'delayed',
        at: event.deliveryDelay?.timestamp ?? event.mail.timestamp,
        recipient: r.emailAddress,
        detail: event.deliveryDelay?.delayType ?? 'delayed',
        failed: false,
      }));
    default:
      return { reason: 'ignored-type' };
  }
}

function bounceDetail(type?: string, subType?: string, diagnostic?: string): string {
  const why =
    subType === 'Suppressed' || subType === 'OnAccountSuppressionList'
      ? 'the address is on the SES suppression list'
      : subType === 'NoEmail'
        ? 'mailbox does not exist'
        : (diagnostic?.replace(/^smtp;\s*/i, '') ?? subType ?? 'bounced');
  return `${type === 'Permanent' ? '' : 'temporarily: '}${why}`.slice(0, 300);
}

const WORDS: Record<MailOutcome, string> = {
  delivered: 'delivered',
  bounced: 'bounced',
  complained: 'marked as spam',
  rejected: 'rejected by SES',
  delayed: 'delayed',
};

/** What an incident mail's kind is, in the timeline's words. */
function mailWords(kind: string): string {
  if (kind === 'page') return 'Page';
  return `Mail (${kind})`;
}

/** The timeline entry of one event: written once per message, recipient and outcome. */
export function mailEventEntry(
  incidentId: string,
  event: MailEvent,
  digest: (s: string) => string,
): TimelineEntry {
  const time = event.at.slice(11, 19);
  return {
    incidentId,
    eventId: `mail-${event.outcome}-${digest(`${event.messageId}|${event.recipient.toLowerCase()}`)}`,
    at: event.at,
    kind: event.failed ? 'mail.failed' : 'mail.delivery',
    actor: 'ses',
    text: `${mailWords(event.tags.kind)} to ${event.recipient} ${WORDS[event.outcome]} ${time} UTC${event.detail ? `: ${event.detail}` : ''}.`,
    data: {
      outcome: event.outcome,
      recipient: event.recipient,
      messageId: event.messageId,
      kind: event.tags.kind,
      sequence: event.tags.sequence,
    },
  };
}

/**
 * Whether a tier's page reached nobody: every recipient's every channel failed. `failed` holds the
 * `kind|sequence|recipient` of each failed delivery (a bounced mail, a refused text or call); `sent` the same for
 * each channel the page went out on.
 */
export function pageReachedNobody(
  recipients: readonly { address: string; sequence: number }[],
  sent: ReadonlySet<string>,
  failed: ReadonlySet<string>,
): boolean {
  if (recipients.length === 0) return false;
  return recipients.every(({ address, sequence }) => {
    const channels = ['page', 'page-sms', 'page-voice'].map(
      (k) => `${k}|${sequence}|${address.toLowerCase()}`,
    );
    const tried = channels.filter((c) => sent.has(c));
    return tried.length > 0 && tried.every((c) => failed.has(c));
  });
}
