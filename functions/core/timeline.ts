/**
 * The incident timeline: append-only, UTC with milliseconds; a correction is a new entry. Entries written by
 * retryable steps carry a deterministic event id, so a retried step writes the same item, not a second one.
 */
export type TimelineKind =
  | 'incident.opened'
  | 'incident.declared'
  | 'incident.recurrence'
  | 'alerts.all-resolved'
  | 'alerts.cleared'
  | 'mail.delivery'
  | 'mail.failed'
  | 'phone.delivery'
  | 'phone.failed'
  | 'page.undeliverable'
  | 'alerts.refired'
  | 'incident.acknowledged'
  | 'incident.escalated'
  | 'response.started'
  | 'comms.sent'
  | 'update.posted'
  | 'update.overdue'
  | 'severity.changed'
  | 'roles.changed'
  | 'measures.corrected'
  | 'incident.resolved'
  | 'incident.service-unknown'
  | 'alert.firing'
  | 'alert.resolved'
  | 'workflow.started'
  | 'workflow.recovered'
  | 'workflow.continued'
  | 'postmortem.opened'
  | 'postmortem.edited'
  | 'postmortem.reminded'
  | 'postmortem.approval-requested'
  | 'postmortem.decided'
  | 'postmortem.published'
  | 'postmortem.approvers-changed'
  | 'page.sent'
  /** A text or call not sent for the storm limit (core/page-storm.ts): the page went on by mail. */
  | 'page.held'
  | 'team.notified'
  | 'team.reminded'
  | 'action.completed'
  | 'action.reminded'
  | 'status.changed'
  | 'workflow.failed'
  | 'heartbeat.silent'
  | 'heartbeat.back';

export interface TimelineEntry {
  incidentId: string;
  eventId: string;
  at: string;
  kind: TimelineKind;
  actor: string;
  text: string;
  data?: Record<string, unknown>;
}

export function timelineEntry(entry: TimelineEntry): TimelineEntry {
  return entry;
}

/** UTC ISO-8601 with milliseconds, the only timestamp format stored. */
export function isoNow(now: Date = new Date()): string {
  return now.toISOString();
}

export function toIso(value: string | number | Date): string {
  return new Date(value).toISOString();
}
