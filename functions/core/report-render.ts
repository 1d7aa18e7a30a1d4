/**
 * The SLO report's CSV attachments. The report mail itself moved to core/mails/report.ts; its names stay
 * importable from here.
 */
import type { ActionRow, IncidentRow, SloReport } from './report.ts';

export { type ReportEmailOptions, reportEmail } from './mails/report.ts';

// ---------------------------------------------------------------------------------------------------------
// CSV (RFC 4180), safe to open in a spreadsheet

/**
 * One cell: text that a spreadsheet would run as a formula (starting with `=`, `+`, `-`, `@`, or a tab or CR,
 * as OWASP lists) gets a leading `'`; then quoted when it holds a comma, quote, CR or LF, quotes doubled.
 * Numbers are written as they are (a negative number is data, not a formula).
 */
export function csvCell(value: string | number | undefined): string {
  if (value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

export const csvLine = (cells: readonly (string | number | undefined)[]) => cells.map(csvCell).join(',');

export const incidentCsvHeader = [
  'key',
  'severity',
  'service',
  'status',
  'summary',
  'opened_at',
  'impact_started_at',
  'detected_at',
  'acknowledged_at',
  'impact_ended_at',
  'time_to_detect_minutes',
  'time_to_recover_minutes',
  'impact_minutes',
  'recurrence_of',
] as const;

/** One incident row: callers that stream a CSV of more rows than the report keeps write these themselves. */
export function incidentCsvLine(r: IncidentRow): string {
  return csvLine([
    r.key,
    r.severity,
    r.service,
    r.status,
    r.summary,
    r.openedAt,
    r.impactStartedAt,
    r.detectedAt,
    r.acknowledgedAt,
    r.impactEndedAt,
    r.timeToDetectMinutes,
    r.timeToRecoverMinutes,
    r.impactMinutes,
    r.recurrenceOf,
  ]);
}

export const actionCsvHeader = [
  'id',
  'incident_key',
  'severity',
  'service',
  'kind',
  'category',
  'title',
  'owner_team',
  'status',
  'due_at',
  'done_at',
  'overdue_days',
  'tracker_url',
] as const;

export function actionCsvLine(r: ActionRow): string {
  return csvLine([
    r.id,
    r.incidentKey,
    r.severity,
    r.service,
    r.kind,
    r.category,
    r.title,
    r.ownerTeam,
    r.status,
    r.dueAt,
    r.doneAt,
    r.overdueDays,
    r.trackerUrl,
  ]);
}

/** RFC 4180: CRLF after every record, the header first. */
const csv = (header: readonly string[], lines: string[]) =>
  [csvLine(header), ...lines].map((l) => `${l}\r\n`).join('');

export function incidentRowsCsv(report: SloReport): string {
  return csv(incidentCsvHeader, report.incidentRows.rows.map(incidentCsvLine));
}

export function actionRowsCsv(report: SloReport): string {
  return csv(actionCsvHeader, report.actionRows.rows.map(actionCsvLine));
}
