import type { Mailer } from '../adapters/mailer.ts';
import type { EmailMessage } from '../core/comms.ts';
import type { Service } from '../core/config.ts';
import type { TimelineKind } from '../core/timeline.ts';
import type { CommsStore, IncidentStore } from './ports.ts';

/** What sending needs: the comms records, the timeline and the mailer. */
export interface Outbox {
  comms: CommsStore;
  incidents: Pick<IncidentStore, 'appendTimeline'>;
  mailer: Mailer;
}

export interface SendOnceRequest {
  incidentId: string;
  kind: string;
  sequence: number;
  recipients: string[];
  message: EmailMessage;
  timelineKind: TimelineKind;
  timelineText: string;
  now: () => Date;
}

/**
 * Sends one message of an incident at most once per (kind, sequence), so a retried workflow task never mails
 * twice; the send is recorded on the timeline at the time it went out.
 */
export async function sendOnce(
  outbox: Outbox,
  request: SendOnceRequest,
): Promise<{ messageId: string; sentAt: string; alreadySent: boolean }> {
  const { incidentId, kind, sequence, recipients, message } = request;
  const startedAt = request.now().toISOString();
  const existing = await outbox.comms.begin({
    incidentId,
    kind,
    sequence,
    status: 'sending',
    recipients,
    subject: message.subject,
    startedAt,
  });
  if (existing?.sentAt && existing.messageId !== undefined) {
    return { messageId: existing.messageId, sentAt: existing.sentAt, alreadySent: true };
  }
  const { messageId } = await outbox.mailer.send(recipients, message);
  const sentAt = request.now().toISOString();
  await outbox.comms.complete(incidentId, kind, sequence, messageId, sentAt);
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

export interface CommsPair {
  incident: { id: string };
  service: Service;
  leadership: readonly string[];
  /** `<kind>` goes to the internal lists, `<kind>-external` to the external list. */
  kind: string;
  sequence: number;
  internal: EmailMessage;
  internalText: string;
  /** Short public wording for the external list (absent: internal only). */
  external?: { message: EmailMessage; wording: string };
  timelineKind: TimelineKind;
  now: () => Date;
}

/**
 * One round of comms: the internal message to the service's internal lists and leadership, and the external
 * wording to its external list when it has one. Each at most once per kind and sequence.
 */
export async function sendCommsPair(outbox: Outbox, pair: CommsPair) {
  const internal = await sendOnce(outbox, {
    incidentId: pair.incident.id,
    kind: pair.kind,
    sequence: pair.sequence,
    recipients: [...new Set([...pair.service.comms.internal, ...pair.leadership])],
    message: pair.internal,
    timelineKind: pair.timelineKind,
    timelineText: pair.internalText,
    now: pair.now,
  });
  if (pair.external && pair.service.comms.external.length > 0) {
    await sendOnce(outbox, {
      incidentId: pair.incident.id,
      kind: `${pair.kind}-external`,
      sequence: pair.sequence,
      recipients: pair.service.comms.external,
      message: pair.external.message,
      timelineKind: 'comms.sent',
      timelineText: `External comms sent: "${pair.external.wording}"`,
      now: pair.now,
    });
  }
  return internal;
}
