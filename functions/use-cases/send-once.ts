import { randomUUID } from 'node:crypto';
import { sameAddress } from '../core/approvals.ts';
import { type EmailMessage, externalEmail, withoutStatusPageLink } from '../core/comms.ts';
import type { Service } from '../core/config.ts';
import { RetryableError } from '../core/errors.ts';
import { type Incident, publicProducts } from '../core/incident.ts';
import type { TimelineKind } from '../core/timeline.ts';
import type { CommsStore, IncidentStore, Mailer, StatusPageStore } from './ports.ts';
import { type LinkSigning, responderUrlFor, viewUrlFor } from './view-links.ts';

/** What sending needs: the comms records, the timeline, the mailer, and link signing for the incident page. */
export interface Outbox extends LinkSigning {
  comms: CommsStore;
  incidents: Pick<IncidentStore, 'appendTimeline'>;
  mailer: Mailer;
}

/** A message, or one made around the signed view link for its recipients (every mail naming an incident). */
export type MessageFor = EmailMessage | ((viewUrl: string) => EmailMessage);

export interface SendOnceRequest {
  incidentId: string;
  /** The incident's key, for the view link. */
  incidentKey: string;
  kind: string;
  sequence: number;
  recipients: string[];
  message: MessageFor;
  timelineKind: TimelineKind;
  timelineText: string;
  now: () => Date;
  /**
   * Recipients who hold a role on the incident: each gets the message alone, made around their own responder
   * link (their page with the forms their role allows) instead of the shared view link.
   */
  responders?: readonly string[];
}

/**
 * How long a claimed send keeps other attempts out: the send is one SES call between the claim and its record
 * (the SDK gives up on a call long before this). A send claimed but never recorded (its function died between
 * the claim and the record) is taken over and sent again after the lease: at least once.
 */
export const SEND_LEASE_MS = 30_000;

/**
 * Sends one message of an incident once per (kind, sequence), on the table's one leased claim, so a retried
 * workflow task or request does not mail twice; the send is recorded on the timeline at the time it went out.
 * A send already made answers `alreadySent` (nothing sent). A send another attempt holds right now (within its
 * lease) throws a RetryableError (503 from the API; the workflow task's Retry tries again), so two concurrent
 * attempts do not both mail: the retry finds it sent, or takes it over once the lease has passed. A send that
 * fails gives its claim back at once, so the retry sends without waiting for the lease.
 */
export async function sendOnce(
  outbox: Outbox,
  request: SendOnceRequest,
): Promise<{ messageId: string; sentAt: string; alreadySent: boolean }> {
  const { incidentId, kind, sequence, recipients } = request;
  const incident = { id: incidentId, key: request.incidentKey };
  const personal = recipients.filter((r) => request.responders?.some((p) => sameAddress(p, r)));
  const shared = recipients.filter((r) => !personal.includes(r));
  // One message to the shared recipients (one view link for them all), one to each responder (their own link).
  const messages: { to: string[]; message: EmailMessage }[] = [];
  const made = (url: string) =>
    typeof request.message === 'function' ? request.message(url) : request.message;
  if (shared.length > 0 || personal.length === 0)
    messages.push({
      to: shared,
      message:
        typeof request.message === 'function'
          ? request.message(await viewUrlFor(outbox, incident, shared))
          : request.message,
    });
  for (const person of personal)
    messages.push({ to: [person], message: made(await responderUrlFor(outbox, incident, person)) });
  const message = (messages[0] as { message: EmailMessage }).message;
  const now = request.now();
  const owner = randomUUID();
  const claim = await outbox.comms.claim(
    {
      incidentId,
      kind,
      sequence,
      status: 'sending',
      recipients,
      subject: message.subject,
      startedAt: now.toISOString(),
    },
    { owner, now, leaseMs: SEND_LEASE_MS },
  );
  if (claim.state === 'done' && claim.record.sentAt && claim.record.messageId !== undefined) {
    return { messageId: claim.record.messageId, sentAt: claim.record.sentAt, alreadySent: true };
  }
  if (claim.state === 'held' || claim.state === 'done') {
    throw new RetryableError(`the ${kind} message ${sequence} of ${request.incidentKey} is being sent`);
  }
  let messageId = '';
  try {
    // A failure part way gives the claim back: the retry sends them all again (at least once, never none).
    for (const m of messages) {
      const sent = await outbox.mailer.send(m.to, m.message, { incident: incidentId, kind, sequence });
      messageId ||= sent.messageId;
    }
  } catch (error) {
    await outbox.comms.release(incidentId, kind, sequence, owner).catch(() => undefined);
    throw error;
  }
  const sentAt = request.now().toISOString();
  await outbox.comms.complete(incidentId, kind, sequence, owner, messageId, sentAt);
  await outbox.incidents.appendTimeline({
    incidentId,
    eventId: `comms-${kind}-${sequence}`,
    at: sentAt,
    kind: request.timelineKind,
    actor: 'hotline',
    text: request.timelineText,
    data: { recipients, subject: message.subject, messageId },
  });
  return { messageId, sentAt, alreadySent: false };
}

/** A comms round also publishes its external wording to the status page. */
export interface CommsOutbox extends Outbox {
  statusPage: Pick<StatusPageStore, 'publish'>;
}

export interface CommsPair {
  /** The status page entry needs when it opened, its products and (final round) when it was resolved. */
  incident: Pick<Incident, 'id' | 'key' | 'openedAt' | 'products' | 'resolvedAt'>;
  service: Service;
  leadership: readonly string[];
  /** `<kind>` goes to the internal lists, `<kind>-external` to the external list. */
  kind: string;
  sequence: number;
  internal: MessageFor;
  internalText: string;
  /** Short public wording for the status page and the external list (absent: internal only). */
  external?: { wording: string };
  timelineKind: TimelineKind;
  now: () => Date;
}

/**
 * One round of comms: the internal message to the service's internal lists and leadership, and the external
 * wording to the status page and to its external list when it has one. Each at most once per kind and sequence.
 */
export async function sendCommsPair(outbox: CommsOutbox, pair: CommsPair) {
  const internal = await sendOnce(outbox, {
    incidentId: pair.incident.id,
    incidentKey: pair.incident.key,
    kind: pair.kind,
    sequence: pair.sequence,
    recipients: [...new Set([...pair.service.comms.internal, ...pair.leadership])],
    message: pair.internal,
    timelineKind: pair.timelineKind,
    timelineText: pair.internalText,
    now: pair.now,
  });
  if (pair.external && pair.service.statusPage !== false) {
    // The status page is the public channel, whether or not the service has an external list (unless the
    // service is kept off it). The update is timed by the round (a retried round keeps its time) and recorded
    // once per round.
    await outbox.statusPage.publish({
      incidentId: pair.incident.id,
      openedAt: pair.incident.openedAt,
      products: publicProducts(pair.incident.products, pair.service.name),
      update: {
        id: `${pair.kind}-${pair.sequence}`,
        at: internal.sentAt,
        text: withoutStatusPageLink(pair.external.wording),
      },
      ...(pair.kind === 'final' ? { resolvedAt: pair.incident.resolvedAt ?? internal.sentAt } : {}),
    });
  }
  if (pair.external && pair.service.comms.external.length > 0) {
    // External lists get the public wording only: no link to the (internal) incident page.
    await sendOnce(outbox, {
      incidentId: pair.incident.id,
      incidentKey: pair.incident.key,
      kind: `${pair.kind}-external`,
      sequence: pair.sequence,
      recipients: pair.service.comms.external,
      message: externalEmail(pair.external.wording),
      timelineKind: 'comms.sent',
      timelineText: `External comms sent: "${pair.external.wording}"`,
      now: pair.now,
    });
  }
  return internal;
}
