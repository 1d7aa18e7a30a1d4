import type { Mailer } from '../adapters/mailer.ts';
import type { IncidentRepository } from '../adapters/repository.ts';
import type { EmailMessage } from '../core/comms.ts';
import type { TimelineKind } from '../core/timeline.ts';

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
  repo: IncidentRepository,
  mailer: Mailer,
  request: SendOnceRequest,
): Promise<{ messageId: string; sentAt: string; alreadySent: boolean }> {
  const { incidentId, kind, sequence, recipients, message } = request;
  const startedAt = request.now().toISOString();
  const existing = await repo.beginComms({
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
  const { messageId } = await mailer.send(recipients, message);
  const sentAt = request.now().toISOString();
  await repo.completeComms(incidentId, kind, sequence, messageId, sentAt);
  await repo.appendTimeline({
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
