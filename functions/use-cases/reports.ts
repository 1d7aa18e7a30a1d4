import type { Organisation } from '../core/config.ts';
import { ValidationError } from '../core/errors.ts';
import { postmortemStatuses } from '../core/postmortem.ts';
import { createReportAccumulator, type Period, type SloReport } from '../core/report.ts';
import { actionRowsCsv, incidentRowsCsv, reportEmail } from '../core/report-render.ts';
import type { Attachment, AttachmentMailer, IncidentStore, ReportRun, ReportStore } from './ports.ts';
import { type LinkSigning, viewUrlFor } from './view-links.ts';

const DAY = 86_400_000;
/** A report covers at most a year (a leap year's days). */
export const MAX_PERIOD_DAYS = 366;
/**
 * A done action can only count in the period if it was due in it (or the previous one); an action is due at most
 * 8 weeks after its approval and done after it, so nothing done earlier than this before the previous period counts.
 */
const DONE_LOOKBACK_MS = 57 * DAY;
/** Postmortems are due 5 business days after they open: with holidays and weekends, well inside three weeks. */
const POSTMORTEM_DUE_SLACK_MS = 21 * DAY;

export interface ReportRequest {
  from: string;
  to: string;
  service?: string;
  department?: string;
}

export interface ReportDeps {
  reports: ReportStore;
  organisation: Organisation;
  now: () => Date;
}

const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:\d{2}))?$/;

function instant(value: unknown, name: string): number {
  if (typeof value !== 'string' || !ISO_INSTANT.test(value) || Number.isNaN(Date.parse(value))) {
    throw new ValidationError(`${name} must be an ISO-8601 date or instant (e.g. 2026-11-23T00:00:00Z)`);
  }
  return Date.parse(value);
}

/** The period asked for, checked: [from, to) in UTC ms ISO, at most a year, and the one before it. */
export function reportPeriods(from: unknown, to: unknown): { current: Period; previous: Period } {
  const fromMs = instant(from, 'from');
  const toMs = instant(to, 'to');
  if (fromMs >= toMs) throw new ValidationError('from must be before to');
  if (toMs - fromMs > MAX_PERIOD_DAYS * DAY) {
    throw new ValidationError(`the period from ${String(from)} to ${String(to)} is longer than a year`);
  }
  const iso = (ms: number) => new Date(ms).toISOString();
  return {
    current: { from: iso(fromMs), to: iso(toMs) },
    previous: { from: iso(fromMs - (toMs - fromMs)), to: iso(fromMs) },
  };
}

/** The services a report covers: one, a department's, or all (undefined); an unknown name is a 400. */
export function reportScope(org: Organisation, request: Pick<ReportRequest, 'service' | 'department'>) {
  if (request.service !== undefined && request.department !== undefined) {
    throw new ValidationError('ask for a service or a department, not both');
  }
  if (request.service !== undefined) {
    if (typeof request.service !== 'string' || !Object.hasOwn(org.services, request.service)) {
      throw new ValidationError(`service "${String(request.service)}" is not configured`);
    }
    return new Set([request.service]);
  }
  if (request.department !== undefined) {
    if (typeof request.department !== 'string' || !Object.hasOwn(org.departments, request.department)) {
      throw new ValidationError(`department "${String(request.department)}" is not configured`);
    }
    return new Set(
      Object.entries(org.services)
        .filter(([, s]) => s.department === request.department)
        .map(([id]) => id),
    );
  }
  return undefined;
}

/**
 * The SLO report of a period beside the one before it. Streams every source a page at a time into the pure
 * accumulator (core/report.ts), holding no page after it is folded in:
 * - incidents opened in either period (gsi1, or the service's gsi2 when the report is of one service);
 * - postmortems by status: the unapproved ones whole (the backlog), the approved and published ones whose due
 *   date can fall in either period (a key condition on the due date);
 * - open actions whole (the backlog), done actions completed since the earliest moment one could count.
 */
export async function buildSloReport(deps: ReportDeps, request: ReportRequest): Promise<SloReport> {
  const { current, previous } = reportPeriods(request.from, request.to);
  const org = deps.organisation;
  const scope = reportScope(org, request);
  const inScope = (service: string) => scope === undefined || scope.has(service);
  const organisation: Organisation =
    scope === undefined
      ? org
      : {
          ...org,
          services: Object.fromEntries(Object.entries(org.services).filter(([id]) => scope.has(id))),
        };
  const accumulator = createReportAccumulator({
    ...current,
    previous,
    organisation,
    now: deps.now(),
    firstCommsMinutes: org.reports.firstCommsMinutes,
  });

  const single = scope?.size === 1 ? [...scope][0] : undefined;
  if (scope === undefined || single !== undefined) {
    for await (const page of deps.reports.incidentsOpened(previous.from, current.to, single)) {
      for (const incident of page) if (inScope(incident.service)) accumulator.addIncident(incident);
    }
  } else {
    // A department: its services' own indexes read only their incidents.
    for (const service of [...scope].sort()) {
      for await (const page of deps.reports.incidentsOpened(previous.from, current.to, service)) {
        for (const incident of page) accumulator.addIncident(incident);
      }
    }
  }

  const dueFrom = previous.from;
  const dueTo = new Date(Date.parse(current.to) + POSTMORTEM_DUE_SLACK_MS).toISOString();
  for (const status of postmortemStatuses) {
    const pending = status === 'draft' || status === 'in-review';
    for await (const page of deps.reports.postmortems(
      status,
      pending ? undefined : { from: dueFrom, to: dueTo },
    )) {
      for (const postmortem of page) if (inScope(postmortem.service)) accumulator.addPostmortem(postmortem);
    }
  }

  const doneFrom = new Date(Date.parse(previous.from) - DONE_LOOKBACK_MS).toISOString();
  for (const status of ['open', 'done'] as const) {
    for await (const page of deps.reports.actions(status, status === 'done' ? doneFrom : undefined)) {
      for (const action of page) {
        if (!inScope(action.service)) continue;
        accumulator.addAction(action);
      }
    }
  }
  return accumulator.result();
}

// ---------------------------------------------------------------------------------------------------------
// Mailing

export interface SendReportsDeps extends ReportDeps, LinkSigning {
  incidents: Pick<IncidentStore, 'idForKey'>;
  mailer: AttachmentMailer;
}

export interface ReportMailing {
  scope: string;
  recipients: string[];
  /** Sent now, or already sent for this period and recipient set (nothing sent). */
  status: 'sent' | 'already-sent' | 'no-recipients';
  messageId?: string;
}

/** The mail of a report for its recipients: each incident it names linked to its signed view page. */
export async function reportMail(
  deps: Pick<SendReportsDeps, 'incidents' | 'signingKeys' | 'baseUrl' | 'now'>,
  report: SloReport,
  title: string,
  recipients: readonly string[],
) {
  // The renderer links keys synchronously: collect the keys it names, resolve and sign them, then render.
  const named = new Set<string>();
  reportEmail(report, {
    title,
    viewUrlFor: (key) => {
      named.add(key);
      return '';
    },
  });
  const urls = new Map<string, string>();
  for (const key of named) {
    const id = await deps.incidents.idForKey(key);
    if (id) urls.set(key, await viewUrlFor(deps, { id, key }, recipients));
  }
  const message = reportEmail(report, { title, viewUrlFor: (key) => urls.get(key) ?? '' });
  const day = report.current.from.slice(0, 10);
  const attachments: Attachment[] = [
    { filename: `incidents-${day}.csv`, contentType: 'text/csv', content: incidentRowsCsv(report) },
    { filename: `actions-${day}.csv`, contentType: 'text/csv', content: actionRowsCsv(report) },
  ];
  return { message, attachments };
}

/**
 * Mails a period's report: one org-wide to `reports.recipients`, and one per department to its managers. Each
 * (period, recipient set) is recorded before its mail goes out, so a retried or doubled schedule sends once; a
 * failed send forgets its record so the next attempt sends it.
 */
export async function sendSloReports(
  deps: SendReportsDeps,
  request: { from: string; to: string; now?: Date },
): Promise<ReportMailing[]> {
  const org = deps.organisation;
  const { current } = reportPeriods(request.from, request.to);
  const now = request.now ? () => request.now as Date : deps.now;
  const jobs: { scope: string; title: string; recipients: string[]; department?: string }[] = [
    { scope: 'org', title: `SLO report: ${org.sender.name}`, recipients: org.reports.recipients },
    ...Object.entries(org.departments)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([name, d]) => ({
        scope: `department:${name}`,
        title: `SLO report: ${name}`,
        recipients: d.managers,
        department: name,
      })),
  ];
  const results: ReportMailing[] = [];
  for (const job of jobs) {
    if (job.recipients.length === 0) {
      results.push({ scope: job.scope, recipients: [], status: 'no-recipients' });
      continue;
    }
    const run: ReportRun = {
      ...current,
      recipients: [...job.recipients],
      scope: job.scope,
      startedAt: now().toISOString(),
    };
    if (!(await deps.reports.beginRun(run))) {
      results.push({ scope: job.scope, recipients: run.recipients, status: 'already-sent' });
      continue;
    }
    try {
      const report = await buildSloReport(
        { ...deps, now },
        { ...current, ...(job.department ? { department: job.department } : {}) },
      );
      const { message, attachments } = await reportMail({ ...deps, now }, report, job.title, job.recipients);
      const { messageId } = await deps.mailer.sendWithAttachments(job.recipients, message, attachments);
      await deps.reports.completeRun(run, messageId, now().toISOString());
      results.push({ scope: job.scope, recipients: run.recipients, status: 'sent', messageId });
    } catch (error) {
      await deps.reports.abandonRun(run);
      throw error;
    }
  }
  return results;
}

/**
 * The last full week before `at` in a time zone: from the Monday 00:00 seven days before the Monday 00:00 that
 * starts `at`'s week (both local), to that Monday; as UTC instants.
 */
export function lastFullWeek(at: Date, timeZone: string): Period {
  const local = localParts(at, timeZone);
  // ISO weekday of the local date: 1 = Monday.
  const weekday = ((new Date(Date.UTC(local.year, local.month - 1, local.day)).getUTCDay() + 6) % 7) + 1;
  const mondayUtcDate = Date.UTC(local.year, local.month - 1, local.day - (weekday - 1));
  const end = zonedMidnight(mondayUtcDate, timeZone);
  const start = zonedMidnight(mondayUtcDate - 7 * DAY, timeZone);
  return { from: new Date(start).toISOString(), to: new Date(end).toISOString() };
}

function localParts(at: Date, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** The UTC instant of local midnight of a date (given as its UTC-midnight ms) in a time zone. */
function zonedMidnight(dateUtcMs: number, timeZone: string): number {
  // Offset at the guess, then correct once (enough outside the hour a DST change moves).
  let guess = dateUtcMs;
  for (let i = 0; i < 2; i++) {
    const p = localParts(new Date(guess), timeZone);
    const asUtc = Date.UTC(p.year, p.month - 1, p.day, p.hour, p.minute, p.second);
    guess = dateUtcMs - (asUtc - guess);
  }
  return guess;
}

/**
 * Mails an on-demand report (`POST /reports/slo` with `mail: true`): a department's to its managers, any other
 * to `reports.recipients`. Asked for by an operator, it is sent each time it is asked (no run record).
 */
export async function mailSloReport(
  deps: SendReportsDeps,
  request: ReportRequest,
  report: SloReport,
): Promise<ReportMailing> {
  const org = deps.organisation;
  const department = request.department !== undefined ? org.departments[request.department] : undefined;
  const recipients = department ? department.managers : org.reports.recipients;
  const scope = request.department
    ? `department:${request.department}`
    : request.service
      ? `service:${request.service}`
      : 'org';
  if (recipients.length === 0) return { scope, recipients: [], status: 'no-recipients' };
  const title = `SLO report: ${request.department ?? (request.service ? org.services[request.service]?.name : undefined) ?? org.sender.name}`;
  const { message, attachments } = await reportMail(deps, report, title, recipients);
  const { messageId } = await deps.mailer.sendWithAttachments(recipients, message, attachments);
  return { scope, recipients: [...recipients], status: 'sent', messageId };
}
