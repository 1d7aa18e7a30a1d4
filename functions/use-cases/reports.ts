import { createHash, randomUUID } from 'node:crypto';
import type { Organisation } from '../core/config.ts';
import { IdempotencyKeyReusedError, NotFoundError, RetryableError, ValidationError } from '../core/errors.ts';
import { postmortemStatuses } from '../core/postmortem.ts';
import { createReportAccumulator, type Period, type SloReport } from '../core/report.ts';
import { actionRowsCsv, incidentRowsCsv, reportEmail } from '../core/report-render.ts';
import { isoTimeMs } from '../core/times.ts';
import type {
  Attachment,
  AttachmentMailer,
  ClaimTerms,
  IncidentStore,
  ReportJob,
  ReportRun,
  ReportStore,
} from './ports.ts';
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

function instant(value: unknown, name: string): number {
  const ms = typeof value === 'string' ? isoTimeMs(value) : undefined;
  if (ms === undefined)
    throw new ValidationError(`${name} must be an ISO-8601 date or instant (e.g. 2026-11-23T00:00:00Z)`);
  return ms;
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
  /** Sent now, or already sent for this period, scope and recipient set (nothing sent). */
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
 * How long a scheduled report run keeps other attempts out when the caller does not say (the handler gives the
 * time its invocation has left, plus a little): longer than the function may run.
 */
export const REPORT_RUN_LEASE_MS = 15 * 60_000;

/**
 * Mails a period's report: one org-wide to `reports.recipients`, and one per department to its managers. Each
 * (period, scope, recipient set) is claimed with a lease (the table's one claim protocol) before its report is
 * built and completed when its mail is sent, so a retried or doubled schedule sends once. A run that fails gives
 * its claim back (the retry sends it); a run killed mid-build (a timeout, out of memory) leaves its claim to
 * lapse, and the next attempt after the lease takes it over and sends it. A run another attempt holds right now
 * is left to it; the call then ends with a RetryableError (after the other runs), so the scheduler's retry checks
 * that it was sent.
 */
export async function sendSloReports(
  deps: SendReportsDeps,
  request: { from: string; to: string; now?: Date; leaseMs?: number; owner?: string },
): Promise<ReportMailing[]> {
  const org = deps.organisation;
  const { current } = reportPeriods(request.from, request.to);
  const now = request.now ? () => request.now as Date : deps.now;
  const owner = request.owner ?? randomUUID();
  const leaseMs = request.leaseMs ?? REPORT_RUN_LEASE_MS;
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
  const held: string[] = [];
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
    // The lease runs from the real clock: `now` may be the fire time of a retried schedule.
    const claim = await deps.reports.claimRun(run, { owner, now: new Date(), leaseMs });
    if (claim.state === 'done') {
      results.push({ scope: job.scope, recipients: run.recipients, status: 'already-sent' });
      continue;
    }
    if (claim.state === 'held') {
      held.push(job.scope);
      continue;
    }
    try {
      const report = await buildSloReport(
        { ...deps, now },
        { ...current, ...(job.department ? { department: job.department } : {}) },
      );
      const { message, attachments } = await reportMail({ ...deps, now }, report, job.title, job.recipients);
      const { messageId } = await deps.mailer.sendWithAttachments(job.recipients, message, attachments);
      await deps.reports.completeRun(run, owner, messageId, now().toISOString());
      results.push({ scope: job.scope, recipients: run.recipients, status: 'sent', messageId });
    } catch (error) {
      await deps.reports.abandonRun(run, owner).catch(() => undefined);
      throw error;
    }
  }
  if (held.length > 0) {
    throw new RetryableError(`the SLO report of ${held.join(', ')} is being sent by another attempt`);
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

// ---------------------------------------------------------------------------------------------------------
// On-demand runs answered later

/**
 * Periods longer than this are answered asynchronously (202 and `GET /reports/slo/{runId}`): a year took 13-17 s
 * on a 2-core machine, too close to API Gateway's 30 s with the API function's CPU share; a month (the longest a
 * person usually asks for) is read in well under a second at the sizes the bench seeds.
 */
export const SYNC_PERIOD_DAYS = 31;

/** Whether `POST /reports/slo` answers this period now (true) or starts a run answered later. */
export function answeredNow(request: Pick<ReportRequest, 'from' | 'to'>): boolean {
  const { current } = reportPeriods(request.from, request.to);
  return Date.parse(current.to) - Date.parse(current.from) <= SYNC_PERIOD_DAYS * DAY;
}

export interface ReportJobDeps {
  reports: ReportStore;
  organisation: Organisation;
  now: () => Date;
  /** An unguessable run id (the id is all a GET needs, behind the operators' auth). */
  newRunId: () => string;
}

/**
 * The run an `Idempotency-Key` names: the same key gives the same id, so a POST retried with it (after a timeout
 * or a lost reply) finds the run it started instead of starting a second. 144 bits, as many as a random id.
 */
export function reportRunIdFor(idempotencyKey: string): string {
  return createHash('sha256')
    .update(`slo-report-run\n${idempotencyKey}`)
    .digest()
    .subarray(0, 18)
    .toString('base64url');
}

/**
 * Starts a run of a report answered later: checks the request as `buildSloReport` would (a bad one is a 400
 * now, not a failed run later) and records the run. The record is the hand-off: the table's stream starts the
 * run's runner for each new run record (no call here that could fail after the record is written). Once per
 * request: the SDK's retry of a record whose reply was lost finds its own run, and a request sent again with
 * its `Idempotency-Key` gets the run the key started (`started: false`); the key with another request is a 422.
 */
export async function startReportJob(
  deps: ReportJobDeps,
  request: ReportRequest,
  mail: boolean,
  idempotencyKey?: string,
): Promise<{ runId: string; started: boolean }> {
  const { current } = reportPeriods(request.from, request.to);
  reportScope(deps.organisation, request);
  const runId = idempotencyKey === undefined ? deps.newRunId() : reportRunIdFor(idempotencyKey);
  const job: ReportJob = {
    runId,
    request: {
      ...current,
      ...(request.service !== undefined ? { service: request.service } : {}),
      ...(request.department !== undefined ? { department: request.department } : {}),
    },
    mail,
    requestedAt: deps.now().toISOString(),
    status: 'queued',
  };
  const existing = await deps.reports.createJob(job);
  if (!existing) return { runId, started: true };
  if (!sameJobRequest(existing, job))
    throw new IdempotencyKeyReusedError(
      `this Idempotency-Key started the report of ${describeJobRequest(existing)}, not of ${describeJobRequest(job)}`,
    );
  return { runId, started: false };
}

function sameJobRequest(a: ReportJob, b: ReportJob): boolean {
  return (
    a.mail === b.mail &&
    a.request.from === b.request.from &&
    a.request.to === b.request.to &&
    a.request.service === b.request.service &&
    a.request.department === b.request.department
  );
}

function describeJobRequest({ request, mail }: ReportJob): string {
  const scope = request.service
    ? ` of service ${request.service}`
    : request.department
      ? ` of department ${request.department}`
      : '';
  return `${request.from} to ${request.to}${scope}${mail ? ', mailed' : ''}`;
}

/**
 * Builds a run's report (and mails it when asked), once: the run is claimed with a lease that outlasts the
 * invocation, so a second delivery of the same start does nothing while the first runs or after it finished.
 * A failure the code sees is recorded (the GET says so); one it cannot see (a timeout, out of memory) leaves the
 * claim to lapse, after which the GET says the run stopped, and a later delivery (a retry of the stream's batch)
 * does not start it again (`stopped`): a run starts once, and its GET's answer stands.
 */
export async function runReportJob(
  deps: SendReportsDeps,
  runId: string,
  terms: ClaimTerms,
): Promise<'done' | 'failed' | 'held' | 'stopped' | 'already-done' | 'unknown'> {
  const job = await deps.reports.getJob(runId);
  if (!job) return 'unknown';
  if (job.status === 'queued' && job.runningUntil) {
    return Date.parse(job.runningUntil) > terms.now.getTime() ? 'held' : 'stopped';
  }
  const claim = await deps.reports.claimJob(runId, terms);
  if (claim.state === 'done') return 'already-done';
  if (claim.state === 'held') return 'held';
  try {
    const report = await buildSloReport(deps, job.request);
    const mailing = job.mail ? await mailSloReport(deps, job.request, report) : undefined;
    await deps.reports.completeJob(runId, terms.owner, {
      status: 'done',
      completedAt: deps.now().toISOString(),
      report,
      ...(mailing ? { mailing } : {}),
    });
    return 'done';
  } catch (error) {
    await deps.reports.completeJob(runId, terms.owner, {
      status: 'failed',
      completedAt: deps.now().toISOString(),
      error: error instanceof Error ? error.message : String(error),
    });
    return 'failed';
  }
}

/** A run as the GET answers it: still running, done with its report, or failed (or stopped). Changes nothing. */
export type ReportJobView =
  | { state: 'running'; runId: string; requestedAt: string }
  | { state: 'done'; runId: string; report: SloReport; mailing?: ReportJob['mailing'] }
  | { state: 'failed'; runId: string; message: string };

/** How long a run may wait for its runner to start before the GET calls it lost. */
export const QUEUED_GRACE_MS = 5 * 60_000;

export async function reportJobStatus(
  deps: Pick<ReportDeps, 'reports' | 'now'>,
  runId: string,
): Promise<ReportJobView> {
  const job = await deps.reports.getJob(runId);
  if (!job) throw new NotFoundError(`no report run ${runId}`);
  if (job.status === 'done' && job.report) {
    return { state: 'done', runId, report: job.report, ...(job.mailing ? { mailing: job.mailing } : {}) };
  }
  if (job.status === 'failed') return { state: 'failed', runId, message: job.error ?? 'the run failed' };
  const now = deps.now().getTime();
  const deadline = job.runningUntil
    ? Date.parse(job.runningUntil)
    : Date.parse(job.requestedAt) + QUEUED_GRACE_MS;
  if (now < deadline) return { state: 'running', runId, requestedAt: job.requestedAt };
  return {
    state: 'failed',
    runId,
    message: job.runningUntil
      ? 'the run stopped before it finished (a timeout or out of memory): ask for the report again'
      : 'the run did not start: ask for the report again',
  };
}
