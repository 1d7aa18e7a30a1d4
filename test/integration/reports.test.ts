import { randomBytes } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { rawMessage } from '../../functions/adapters/attachment-mailer.ts';
import { marshallOptions } from '../../functions/adapters/dynamodb.ts';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import type { TrackedAction } from '../../functions/core/actions.ts';
import type { EmailMessage } from '../../functions/core/comms.ts';
import {
  IdempotencyKeyReusedError,
  NotFoundError,
  RetryableError,
  ValidationError,
} from '../../functions/core/errors.ts';
import { verifyLink } from '../../functions/core/links.ts';
import type { SloReport } from '../../functions/core/report.ts';
import type { Attachment, AttachmentMailer, Stores } from '../../functions/use-cases/ports.ts';
import {
  answeredNow,
  buildSloReport,
  lastFullWeek,
  reportJobStatus,
  reportRunIdFor,
  runReportJob,
  type SendReportsDeps,
  sendSloReports,
  startReportJob,
} from '../../functions/use-cases/reports.ts';
import { testSigningKeys } from '../support/fakes.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';
import { actions, handReport, incidents, postmortems, reportOptions } from '../unit/core/report-support.ts';

/**
 * The SLO report read from the stack's table: the hand-computed data set of the core tests (test/unit/core/
 * report-support.ts) is stored as the system stores it, and the report built from paginated Queries must be the
 * report the accumulator makes of the same items in memory, with the figures worked out by hand there.
 */

let db: LocalDb;
let stores: Stores;
const keys = testSigningKeys();
const NOW = reportOptions.now as string;
const period = { from: reportOptions.from, to: reportOptions.to };

const sent: { to: readonly string[]; message: EmailMessage; attachments: readonly Attachment[] }[] = [];
const mailer: AttachmentMailer = {
  async sendWithAttachments(to, message, attachments) {
    sent.push({ to, message, attachments });
    return { messageId: `m-${sent.length}` };
  },
};

const deps = (): SendReportsDeps => ({
  reports: stores.reports,
  incidents: stores.incidents,
  organisation,
  mailer,
  baseUrl: 'https://incidents.example.com',
  signingKeys: async () => keys,
  now: () => new Date(NOW),
});

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
  for (const incident of incidents) {
    await stores.incidents.create(incident);
    await stores.incidents.putKey(incident.key, incident.id);
  }
  for (const postmortem of postmortems) await stores.postmortems.create(postmortem);
  const tracked: TrackedAction[] = actions.map((a) => ({
    ...a,
    incidentId: `id-${a.incidentKey}`,
    summary: `Incident ${a.incidentKey}`,
    approvedAt: '2026-11-20T00:00:00.000Z',
  }));
  await stores.actions.track(tracked);
});
afterAll(async () => db?.stop());

describe('buildSloReport on the table', () => {
  it('streams the period and the previous one into the same report as the hand-computed set', async () => {
    const report = await buildSloReport(deps(), period);
    // HOT-1, opened in neither period, is not even read: the Query's key condition leaves it out.
    expect(report).toEqual({ ...handReport(), ignored: { incidents: 0, postmortems: 0 } });
    // A few figures worked out by hand (see test/unit/core/report.test.ts).
    expect(report.current.incidents).toBe(4);
    expect(report.current.bySeverity).toEqual({ 1: 1, 2: 2, 3: 1 });
    expect(report.previous.incidents).toBe(1);
    expect(report.current.impactMinutes).toBe(365);
    expect(report.rootCausesNotFixed.count).toBe(2);
    expect(report.priorityActions).toEqual({ open: 4, dueSoon: 1, overdue: 1, dueSoonDays: 7 });
  });

  it('reads with Queries only, a page at a time', async () => {
    const spy = vi.spyOn(db.client, 'send');
    try {
      await buildSloReport(deps(), period);
      const commands = spy.mock.calls.map(([c]) => c.constructor.name);
      expect(new Set(commands)).toEqual(new Set([QueryCommand.name]));
      // One incident Query, four postmortem statuses, open and done actions.
      expect(commands).toHaveLength(7);
    } finally {
      spy.mockRestore();
    }
  });

  it('reports one service, or a department, alone', async () => {
    const checkout = await buildSloReport(deps(), { ...period, service: 'checkout' });
    expect(checkout.current.incidents).toBe(3);
    expect(checkout.current.bySeverity).toEqual({ 1: 1, 2: 2, 3: 0 });
    expect(checkout.current.byService.map((s) => s.service)).toEqual(['checkout']);
    expect(checkout.previous.incidents).toBe(1);
    const commerce = await buildSloReport(deps(), { ...period, department: 'commerce' });
    expect(commerce.current).toEqual(checkout.current);
    expect(commerce.priorityActions.open).toBe(3); // a6 is the unassigned service's
    const unknown = await buildSloReport(deps(), { ...period, service: 'unknown' });
    expect(unknown.current.incidents).toBe(1);
    expect(unknown.current.bySeverity).toEqual({ 1: 0, 2: 0, 3: 1 });
  });

  it.each([
    [{ from: '2026-11-30T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' }, /from must be before to/],
    [{ from: '2025-01-01T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' }, /longer than a year/],
    [{ from: '2026-11-23', to: 'next tuesday' }, /to must be an ISO-8601/],
    [{ from: '2026-13-45T00:00:00Z', to: '2026-11-23T00:00:00Z' }, /from must be an ISO-8601/],
    [{ ...period, service: 'nope' }, /service "nope" is not configured/],
    [{ ...period, department: 'retail' }, /department "retail" is not configured/],
    [{ ...period, service: 'checkout', department: 'commerce' }, /not both/],
  ])('refuses %o with a 400 naming it', async (request, message) => {
    const attempt = buildSloReport(deps(), request);
    await expect(attempt).rejects.toThrowError(ValidationError);
    await expect(buildSloReport(deps(), request)).rejects.toThrowError(message);
  });
});

describe('sendSloReports', () => {
  it('mails the org-wide report and one per department once, however often it runs', async () => {
    const first = await sendSloReports(deps(), { ...period, now: new Date(NOW) });
    expect(first.map((r) => [r.scope, r.status])).toEqual([
      ['org', 'sent'],
      ['department:commerce', 'sent'],
    ]);
    expect(sent.map((s) => s.to)).toEqual([
      ['engineering-leads@example.com'],
      ['commerce-managers@example.com'],
    ]);
    const again = await sendSloReports(deps(), { ...period, now: new Date(NOW) });
    expect(again.map((r) => r.status)).toEqual(['already-sent', 'already-sent']);
    expect(sent).toHaveLength(2);

    const org = sent[0];
    expect(org?.message.subject).toContain('SLO report');
    expect(org?.attachments.map((a) => [a.filename, a.contentType])).toEqual([
      ['incidents-2026-11-23.csv', 'text/csv'],
      ['actions-2026-11-23.csv', 'text/csv'],
    ]);
    expect(org?.attachments[0]?.content).toContain('HOT-11');
    expect(org?.attachments[1]?.content).toContain('a1');
    // The department's mail covers its services only.
    expect(sent[1]?.attachments[0]?.content).not.toContain('HOT-13');
    // Each incident links to its signed, read-only view page for these recipients.
    const url = /https:\/\/incidents\.example\.com\/links\/([A-Za-z0-9._~-]+)/.exec(org?.message.html ?? '');
    expect(url).not.toBeNull();
    const check = verifyLink(decodeURIComponent(url?.[1] ?? ''), keys, new Date(NOW));
    expect(check).toMatchObject({
      ok: true,
      claims: { action: 'view', recipient: 'engineering-leads@example.com' },
    });
  });

  it('forgets a run whose mail failed, so the next attempt sends it', async () => {
    const failing: AttachmentMailer = {
      async sendWithAttachments() {
        throw new Error('SES down');
      },
    };
    const week = { from: '2026-11-16T00:00:00.000Z', to: '2026-11-23T00:00:00.000Z' };
    await expect(sendSloReports({ ...deps(), mailer: failing }, week)).rejects.toThrowError('SES down');
    const before = sent.length;
    const retried = await sendSloReports(deps(), week);
    expect(retried.map((r) => r.status)).toEqual(['sent', 'sent']);
    expect(sent.length).toBe(before + 2);
  });
});

describe('a report run killed mid-build', () => {
  it('is sent by the next attempt after the lease, once', async () => {
    const week = { from: '2026-11-09T00:00:00.000Z', to: '2026-11-16T00:00:00.000Z' };
    // The first attempt claims the org-wide run and then its process dies while building (a timeout or out of
    // memory): nothing it could catch, so nothing gives the claim back. Simulated by a read that never returns.
    let started!: () => void;
    const building = new Promise<void>((resolve) => {
      started = resolve;
    });
    const dying = Object.create(stores.reports) as Stores['reports'];
    dying.incidentsOpened = async function* () {
      started();
      await new Promise(() => undefined);
      yield [];
    };
    const before = sent.length;
    void sendSloReports({ ...deps(), reports: dying }, { ...week, leaseMs: 200 });
    await building;
    expect(sent.length).toBe(before);

    // An attempt within the lease leaves the run to its holder and asks to be retried (after the runs it could
    // send: the department's).
    await expect(sendSloReports(deps(), { ...week, leaseMs: 200 })).rejects.toThrowError(RetryableError);
    expect(sent.slice(before).map((m) => m.to)).toEqual([['commerce-managers@example.com']]);

    // After the lease the next attempt takes the run over and sends it; a later one sends nothing.
    await new Promise((resolve) => setTimeout(resolve, 250));
    const retried = await sendSloReports(deps(), { ...week, leaseMs: 200 });
    expect(retried.map((r) => [r.scope, r.status])).toEqual([
      ['org', 'sent'],
      ['department:commerce', 'already-sent'],
    ]);
    const again = await sendSloReports(deps(), week);
    expect(again.map((r) => r.status)).toEqual(['already-sent', 'already-sent']);
    expect(sent.slice(before).map((m) => m.to)).toEqual([
      ['commerce-managers@example.com'],
      ['engineering-leads@example.com'],
    ]);
  });

  it('keys a run by its scope too: two scopes with the same recipients each get their mail', async () => {
    const shared = {
      ...organisation,
      reports: { ...organisation.reports, recipients: ['commerce-managers@example.com'] },
    };
    const week = { from: '2026-11-02T00:00:00.000Z', to: '2026-11-09T00:00:00.000Z' };
    const before = sent.length;
    const result = await sendSloReports({ ...deps(), organisation: shared }, week);
    expect(result.map((r) => [r.scope, r.status])).toEqual([
      ['org', 'sent'],
      ['department:commerce', 'sent'],
    ]);
    expect(sent.slice(before).map((m) => m.to)).toEqual([
      ['commerce-managers@example.com'],
      ['commerce-managers@example.com'],
    ]);
  });
});

describe('on-demand runs answered later', () => {
  const year = { from: '2025-11-30T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' };
  let ids = 0;
  const jobDeps = () => ({ ...deps(), newRunId: () => `run-${++ids}-${Date.now()}` });

  it('answers a month now and a longer period later', () => {
    expect(answeredNow({ from: '2026-10-30T00:00:00Z', to: '2026-11-30T00:00:00Z' })).toBe(true);
    expect(answeredNow({ from: '2026-10-29T00:00:00Z', to: '2026-11-30T00:00:00Z' })).toBe(false);
  });

  it('records the run, has the runner build it once, and the status reads it without changing it', async () => {
    const { runId } = await startReportJob(jobDeps(), { ...year, department: 'commerce' }, true);
    // The record is the hand-off (the table's stream starts the runner): queued until a runner claims it.
    expect(await stores.reports.getJob(runId)).toMatchObject({ runId, status: 'queued', mail: true });
    expect(await reportJobStatus(deps(), runId)).toMatchObject({ state: 'running' });
    const before = sent.length;
    const terms = { owner: 'attempt-1', now: new Date(), leaseMs: 60_000 };
    expect(await runReportJob(deps(), runId, terms)).toBe('done');
    // A second delivery of the same start does nothing.
    expect(await runReportJob(deps(), runId, { ...terms, owner: 'attempt-2' })).toBe('already-done');
    expect(sent.length).toBe(before + 1);
    const count = await db.count();
    const view = await reportJobStatus(deps(), runId);
    expect(view).toMatchObject({ state: 'done', mailing: { status: 'sent' } });
    expect(view.state === 'done' && view.report).toEqual(
      await buildSloReport(deps(), { ...year, department: 'commerce' }),
    );
    expect(await db.count()).toBe(count);
    await expect(reportJobStatus(deps(), 'no-such-run')).rejects.toThrowError(NotFoundError);
  });

  it('refuses a bad request before recording a run', async () => {
    const count = await db.count();
    await expect(startReportJob(jobDeps(), { ...year, department: 'retail' }, false)).rejects.toThrowError(
      ValidationError,
    );
    expect(await db.count()).toBe(count);
  });

  it('says a run killed mid-build stopped once its lease has passed, and does not start it again', async () => {
    const { runId } = await startReportJob(jobDeps(), year, false);
    // The runner claimed the queued run (no lease yet: taken over) and died (nothing recorded).
    expect(await stores.reports.claimJob(runId, { owner: 'dead', now: new Date(), leaseMs: 300 })).toEqual({
      state: 'taken-over',
    });
    expect(await reportJobStatus(deps(), runId)).toMatchObject({ state: 'running' });
    const later = () => new Date(Date.now() + 1_000);
    expect(await reportJobStatus({ ...deps(), now: later }, runId)).toMatchObject({
      state: 'failed',
      message: expect.stringMatching(/stopped before it finished/),
    });
    // A redelivery (the stream mapping retrying the batch) while the claim holds, and after it lapsed: the run
    // started once, and the GET's answer stands.
    const before = sent.length;
    expect(await runReportJob(deps(), runId, { owner: 'retry', now: new Date(), leaseMs: 60_000 })).toBe(
      'held',
    );
    expect(await runReportJob(deps(), runId, { owner: 'late', now: later(), leaseMs: 60_000 })).toBe(
      'stopped',
    );
    expect(await reportJobStatus({ ...deps(), now: later }, runId)).toMatchObject({ state: 'failed' });
    expect(sent.length).toBe(before);
  });

  it("records a run once when the record's reply is lost and the SDK sends it again", async () => {
    // A client of the same table whose first run record is written and its reply lost (a 500, as AWS answers an
    // internal error): the SDK's own retry then meets the record the first attempt wrote.
    const raw = new DynamoDBClient({
      endpoint: db.endpoint,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    // Attempts of the run's PutItem (this middleware sees each, inside the SDK's retry loop).
    let attempts = 0;
    raw.middlewareStack.add(
      (next, context) => async (args) => {
        const result = await next(args);
        const item = (args.input as { Item?: { type?: { S?: string } } }).Item;
        if (context.commandName === 'PutItemCommand' && item?.type?.S === 'reportJob' && attempts++ === 0)
          throw Object.assign(new Error('reply lost'), {
            name: 'InternalServerError',
            $fault: 'server',
            $metadata: { httpStatusCode: 500 },
          });
        return result;
      },
      { step: 'deserialize', name: 'loseFirstRunReply' },
    );
    const lossy = dynamoStores(DynamoDBDocumentClient.from(raw, { marshallOptions }), db.table);
    const count = await db.count();
    const started = await startReportJob({ ...jobDeps(), reports: lossy.reports }, year, true);
    expect(attempts).toBe(2);
    expect(started.started).toBe(false);
    expect(await stores.reports.getJob(started.runId)).toMatchObject({ status: 'queued', mail: true });
    expect(await db.count()).toBe(count + 1);
  });

  it('starts one run per Idempotency-Key, and refuses the key with another request', async () => {
    const count = await db.count();
    const key = `report-${Date.now()}`;
    const first = await startReportJob(jobDeps(), { ...year, service: 'checkout' }, false, key);
    const again = await startReportJob(jobDeps(), { ...year, service: 'checkout' }, false, key);
    expect(first).toEqual({ runId: reportRunIdFor(key), started: true });
    expect(again).toEqual({ runId: first.runId, started: false });
    await expect(startReportJob(jobDeps(), year, false, key)).rejects.toThrowError(IdempotencyKeyReusedError);
    await expect(startReportJob(jobDeps(), { ...year, service: 'checkout' }, true, key)).rejects.toThrowError(
      /started the report of 2025-11-30T00:00:00.000Z to .* of service checkout, not of .*, mailed/,
    );
    expect(await db.count()).toBe(count + 1);
    expect(await stores.reports.getJob(first.runId)).toMatchObject({
      request: { ...year, service: 'checkout' },
      mail: false,
    });
  });

  it("derives a run id of a random id's shape from the key, a different one per key", () => {
    const id = reportRunIdFor('key-00000001');
    expect(id).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(reportRunIdFor('key-00000001')).toBe(id);
    expect(reportRunIdFor('key-00000002')).not.toBe(id);
  });

  it('stores a report of megabytes in parts under the 400 KB item limit', async () => {
    const { runId } = await startReportJob(jobDeps(), year, false);
    const owner = 'big';
    await stores.reports.claimJob(runId, { owner, now: new Date(), leaseMs: 60_000 });
    // Random (incompressible) text: about 1.2 MB gzipped.
    const noise = Array.from({ length: 4_000 }, () => randomBytes(300).toString('base64'));
    const report = { ...(await buildSloReport(deps(), year)), noise } as unknown as SloReport;
    const completed = await stores.reports.completeJob(runId, owner, {
      status: 'done',
      completedAt: new Date().toISOString(),
      report,
    });
    expect(completed).toBe(true);
    const job = await stores.reports.getJob(runId);
    expect(job?.report).toEqual(report);
  });
});

describe('the report mail as raw MIME', () => {
  it('carries text, HTML and the CSV attachments', () => {
    const raw = rawMessage(
      organisation,
      ['a@example.com'],
      { subject: 'SLO report', text: 'text body', html: '<p>html body</p>' },
      [{ filename: 'incidents.csv', contentType: 'text/csv', content: 'key,severity\nHOT-1,1\n' }],
    );
    expect(raw).toMatch(/Content-Type: multipart\/mixed/);
    expect(raw).toMatch(/Content-Type: text\/plain/);
    expect(raw).toMatch(/Content-Type: text\/html/);
    expect(raw).toMatch(/filename="incidents\.csv"/);
    expect(raw).toContain(Buffer.from('key,severity\nHOT-1,1\n').toString('base64'));
  });
});

describe('lastFullWeek', () => {
  it('is the Monday-to-Monday week before the fire time, in the time zone', () => {
    expect(lastFullWeek(new Date('2026-11-30T08:00:00Z'), 'UTC')).toEqual(period);
    expect(lastFullWeek(new Date('2026-12-02T15:00:00Z'), 'UTC')).toEqual(period);
    // 08:00 on Monday in London (UTC+0 in winter); in Auckland (UTC+13) Monday starts on Sunday 11:00 UTC.
    expect(lastFullWeek(new Date('2026-11-30T08:00:00Z'), 'Europe/London')).toEqual(period);
    expect(lastFullWeek(new Date('2026-11-29T19:00:00Z'), 'Pacific/Auckland')).toEqual({
      from: '2026-11-22T11:00:00.000Z',
      to: '2026-11-29T11:00:00.000Z',
    });
    // Summer time, and the week the clocks change (London: 29 March 2026, 01:00 UTC).
    expect(lastFullWeek(new Date('2026-06-01T07:00:00Z'), 'Europe/London')).toEqual({
      from: '2026-05-24T23:00:00.000Z',
      to: '2026-05-31T23:00:00.000Z',
    });
    expect(lastFullWeek(new Date('2026-03-30T07:00:00Z'), 'Europe/London')).toEqual({
      from: '2026-03-23T00:00:00.000Z',
      to: '2026-03-29T23:00:00.000Z',
    });
  });
});
