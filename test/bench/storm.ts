import { rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { join } from 'node:path';
import { DeleteTableCommand, DynamoDBClient, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { ensureTables, tablesFromTemplate } from '../../infra/local/dynamodb.ts';
import type { FaultCounts, FaultedService } from '../../infra/local/faults.ts';
import { type LocalTarget, startLocalTarget } from '../../infra/local/target.ts';
import { States } from '../../infra/workflow/states.ts';

/**
 * An alert storm against the local target over loopback HTTP: Alertmanager deliveries for many groups, a fixed
 * number in flight, once clean and once with a fraction of the functions' DynamoDB and Step Functions calls
 * failing. The sender behaves like Alertmanager: one notification per group at a time, retried on 5xx and
 * connection errors with capped exponential backoff and jitter until a deadline; a 4xx is final. Throughput is
 * a ratio to conditional UpdateItem calls with as many in flight against the same dynalite, in the same run.
 */

export interface StormConfig {
  groups: number;
  deliveriesPerGroup: number;
  /** Delivery i of a group carries alert (i mod alertsPerGroup): the first ones are new, the rest duplicates. */
  alertsPerGroup: number;
  inFlight: number;
  baselineOps: number;
  deadlineMs: number;
  /** One run per entry: the fraction of DynamoDB and Step Functions calls that fail. */
  runs: Array<{ label: string; faultRate: number }>;
  /** Measured pairs (storm, baseline) per run: its ratio is their median, so one noisy pair cannot decide. */
  pairs: number;
  /** Called every few seconds with where the run is (stderr in `npm run bench`). */
  progress?: (line: string) => void;
}

export const stormConfig: StormConfig = {
  groups: 100,
  deliveriesPerGroup: 100,
  alertsPerGroup: 10,
  inFlight: 16,
  baselineOps: 6_000,
  deadlineMs: 15 * 60_000,
  runs: [
    { label: 'clean', faultRate: 0 },
    { label: '20% faults', faultRate: 0.2 },
  ],
  pairs: 3,
};

export const stormTargets = { minRatio: 0.5 } as const;

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const backoff = { baseMs: 25, capMs: 2_000 };

export interface StormRun {
  label: string;
  faultRate: number;
  deliveries: number;
  seconds: number;
  deliveriesPerSecond: number;
  baselineOpsPerSecond: number;
  ratio: number;
  incidents: number;
  /** Above `incidents` when numbers were skipped. */
  highestNumber: number;
  /** Groups with exactly one incident. */
  groupsWithOneIncident: number;
  executions: number;
  executionsByStatus: Record<string, number>;
  pages: number;
  distinctPagedIncidents: number;
  escalations: number;
  alertsExpected: number;
  alertsLost: number;
  /** Deliveries that never got a 2xx (a 4xx, or the deadline). */
  deliveriesFailed: number;
  duplicateP50Ms: number;
  duplicateP99Ms: number;
  firstP99Ms: number;
  serverP50Ms: number;
  serverP99Ms: number;
  senderRetries: number;
  retriesByStatus: Record<string, number>;
  faults: Record<FaultedService, FaultCounts>;
  /** What went wrong where a count is off: failed executions, incidents paged twice, stalled groups. */
  findings: string[];
  /** Warnings and errors the functions logged, by message. */
  functionWarnings: Record<string, number>;
  checks: Array<{ name: string; value: number; target: string; ok: boolean }>;
  ok: boolean;
}

interface Delivery {
  group: number;
  index: number;
  duplicate: boolean;
  attempts: number;
  latencyMs: number;
  status: number;
}

export async function benchStorm(
  assemblyDir: string,
  stackName: string,
  workDir: string,
  config: StormConfig = stormConfig,
): Promise<StormRun[]> {
  const runs: StormRun[] = [];
  // Pairs interleave the runs (clean, faulted, clean, ...) so that drift in the machine's speed hits both.
  for (let pair = 1; pair <= config.pairs; pair++) {
    for (const run of config.runs) {
      const dataDir = join(workDir, `storm-${runs.length}`);
      const label = config.pairs > 1 ? `${run.label} #${pair}` : run.label;
      config.progress?.(`storm: ${label}`);
      runs.push(await stormRun(assemblyDir, stackName, dataDir, { ...run, label }, config));
    }
  }
  return runs;
}

export interface StormSummary {
  label: string;
  ratios: number[];
  medianRatio: number;
  /** Every pair's counts exact (incidents, executions, pages, alerts lost, deliveries failed). */
  countsExact: boolean;
  ok: boolean;
}

/** Per run: the median of its pairs' throughput ratios, held to the target, with every pair's counts exact. */
export function stormSummaries(runs: StormRun[], config: StormConfig = stormConfig): StormSummary[] {
  return config.runs.map(({ faultRate, label }) => {
    const pairs = runs.filter((r) => r.faultRate === faultRate);
    const ratios = pairs.map((r) => r.ratio);
    const medianRatio = percentile(ratios, 0.5);
    const countsExact = pairs.every((r) => r.ok);
    return {
      label,
      ratios,
      medianRatio,
      countsExact,
      ok: countsExact && medianRatio >= stormTargets.minRatio,
    };
  });
}

async function stormRun(
  assemblyDir: string,
  stackName: string,
  dataDir: string,
  { label, faultRate }: StormConfig['runs'][number],
  config: StormConfig,
): Promise<StormRun> {
  rmSync(dataDir, { recursive: true, force: true });
  const observed = new LogObserver();
  const target = await startLocalTarget({
    assemblyDir,
    stackName,
    dataDir,
    ports: { api: 0, ses: 0, aws: 0, dynamodb: 0 },
    log: (line) => observed.line(line),
    // The fault front is in the path of both runs, so they differ only in the faults.
    faults: {},
    // Workflow retries back off for seconds on AWS; here they only need to happen.
    retryIntervalOverrides: Object.fromEntries(Object.values(States).map((state) => [state, 5])),
    // Nobody acknowledges during the storm: no escalation may page a second tier before the counting.
    taskTimeoutOverrides: { [States.WaitForAcknowledgement]: 60 * 60_000 },
  });
  try {
    const before = await baseline(target, config.baselineOps, config.inFlight);
    // The baseline warms its connections and the JIT before it measures; so does the storm: the functions'
    // workers start cold with the target. A fifth of the groups, on group ids of their own, not counted.
    await sendStorm(target, { ...config, groups: Math.max(1, Math.ceil(config.groups / 5)) }, WARM_UP_GROUPS);
    await settleExecutions(target, 120_000);
    const warmUpKeys = new Set(await incidentKeys(target));
    await fetch(`${target.urls.ses}/clear-store`, { method: 'POST' });
    const callsBefore = target.faultStats();

    target.setFaults({ dynamodb: faultRate, stepFunctions: faultRate });
    const storm = await sendStorm(target, config);
    target.setFaults({ dynamodb: 0, stepFunctions: 0 });
    const faults = callsSince(callsBefore, target.faultStats());

    await settleExecutions(target, 120_000);
    // Before and after the storm, so that drift in the machine's speed hits both sides alike.
    const baselineOpsPerSecond = (before + (await baseline(target, config.baselineOps, config.inFlight))) / 2;
    const counts = await countOutcome(target, config, storm.deliveries, warmUpKeys);

    const seconds = storm.ms / 1000;
    const deliveriesPerSecond = storm.deliveries.length / seconds;
    const ratio = deliveriesPerSecond / baselineOpsPerSecond;
    const latencies = (duplicate: boolean) =>
      storm.deliveries.filter((d) => d.duplicate === duplicate && d.status < 300).map((d) => d.latencyMs);
    const retriesByStatus = storm.retriesByStatus;
    // Never acknowledged: a final 4xx, the deadline during retries, or not sent before the deadline.
    const deliveriesFailed =
      config.groups * config.deliveriesPerGroup - storm.deliveries.filter((d) => d.status < 300).length;
    const checks = [
      {
        name: 'incidents',
        value: counts.incidents,
        target: `= ${config.groups}`,
        ok: counts.incidents === config.groups,
      },
      {
        name: 'groups with one incident',
        value: counts.groupsWithOneIncident,
        target: `= ${config.groups}`,
        ok: counts.groupsWithOneIncident === config.groups,
      },
      {
        name: 'executions',
        value: counts.executions,
        target: `= ${config.groups}`,
        ok:
          counts.executions === config.groups && counts.executionsByStatus.WAITING_FOR_ACK === config.groups,
      },
      {
        name: 'pages',
        value: counts.pages,
        target: `= ${config.groups}`,
        ok: counts.pages === config.groups && counts.distinctPagedIncidents === config.groups,
      },
      { name: 'alerts lost', value: counts.alertsLost, target: '= 0', ok: counts.alertsLost === 0 },
      {
        name: 'deliveries failed',
        value: deliveriesFailed,
        target: '= 0',
        ok: deliveriesFailed === 0,
      },
    ];
    const { pagesPerIncident, failedExecutions, ...outcome } = counts;
    const findings = [
      ...failedExecutions.map((line) => `execution ${line}`),
      ...Object.entries(pagesPerIncident)
        .filter(([, n]) => n > 1)
        .map(([key, n]) => `${key} was paged ${n} times`),
    ];
    // Alertmanager sends a group's next notification only after the last one: a long delivery stalls its group.
    const stalled = storm.deliveries.filter((d) => d.latencyMs > 10_000);
    if (stalled.length > 0) {
      findings.push(
        `${stalled.length} deliveries took over 10 s (${stalled.filter((d) => d.index === 0).length} of them a group's first); longest ${fixed(1)(Math.max(...stalled.map((d) => d.latencyMs)) / 1000)} s after ${Math.max(...stalled.map((d) => d.attempts))} attempts`,
      );
    }
    return {
      label,
      faultRate,
      deliveries: storm.deliveries.length,
      seconds,
      deliveriesPerSecond,
      baselineOpsPerSecond,
      ratio,
      ...outcome,
      findings,
      deliveriesFailed,
      duplicateP50Ms: percentile(latencies(true), 0.5),
      duplicateP99Ms: percentile(latencies(true), 0.99),
      firstP99Ms: percentile(latencies(false), 0.99),
      serverP50Ms: percentile(observed.ingestMs, 0.5),
      serverP99Ms: percentile(observed.ingestMs, 0.99),
      senderRetries: storm.deliveries.reduce((sum, d) => sum + d.attempts - 1, 0),
      retriesByStatus,
      faults,
      functionWarnings: observed.warnings,
      checks,
      ok: checks.every((c) => c.ok),
    };
  } finally {
    await target.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Conditional UpdateItem calls, `inFlight` at a time, on a fresh table shaped like the template's. */
async function baseline(target: LocalTarget, ops: number, inFlight: number): Promise<number> {
  const [table] = tablesFromTemplate(target.model);
  if (!table) throw new Error('the stack has no table');
  const db = new DynamoDBClient({ endpoint: target.urls.dynamodb, region: target.model.region, credentials });
  const name = `${table.name}-baseline-${Date.now()}`;
  try {
    // As the local target creates its tables: the same shape, and ACTIVE before the first call.
    await ensureTables(target.urls.dynamodb, target.model.region, [{ ...table, name }], () => undefined);
    const update = (i: number) =>
      db.send(
        new UpdateItemCommand({
          TableName: name,
          Key: { pk: { S: `COUNTER#${i % 100}` }, sk: { S: 'COUNTER' } },
          UpdateExpression: 'ADD n :one',
          ConditionExpression: 'attribute_not_exists(n) OR n < :max',
          ExpressionAttributeValues: { ':one': { N: '1' }, ':max': { N: '1000000000' } },
        }),
      );
    // Warm the connections, the table and the JIT first (a fifth of the measured calls): the first run's
    // baseline would otherwise meet a colder process than the later runs' do.
    await pool(Math.max(inFlight * 4, Math.ceil(ops / 5)), inFlight, update);
    const started = performance.now();
    await pool(ops, inFlight, update);
    return ops / ((performance.now() - started) / 1000);
  } finally {
    await db.send(new DeleteTableCommand({ TableName: name })).catch(() => undefined);
    db.destroy();
  }
}

async function pool(n: number, width: number, work: (i: number) => Promise<unknown>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      for (let i = next++; i < n; i = next++) await work(i);
    }),
  );
}

const groupKey = (group: number) => `{}/{severity="critical"}:{alertname="StormAlert", storm="g${group}"}`;
const fingerprint = (group: number, alert: number) => `storm-g${group}-a${alert}`;

/** An Alertmanager v4 notification of one group carrying one of its alerts. */
function payload(group: number, alert: number): string {
  const labels = {
    alertname: 'StormAlert',
    service: 'checkout',
    severity: 'critical',
    storm: `g${group}`,
    instance: `storm-${alert}:8080`,
  };
  const annotations = { summary: `Storm group ${group}`, description: 'A benchmark alert.' };
  return JSON.stringify({
    version: '4',
    groupKey: groupKey(group),
    truncatedAlerts: 0,
    status: 'firing',
    receiver: 'hotline',
    groupLabels: { alertname: 'StormAlert', storm: `g${group}` },
    commonLabels: { alertname: 'StormAlert', service: 'checkout', severity: 'critical', storm: `g${group}` },
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.example.com:9093',
    alerts: [
      {
        status: 'firing',
        labels,
        annotations,
        startsAt: new Date(Date.UTC(2026, 10, 20, 9, 0, alert)).toISOString(),
        endsAt: '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=up',
        fingerprint: fingerprint(group, alert),
      },
    ],
  });
}

function alertmanagerSecret(target: LocalTarget): string {
  const entry = Object.entries(target.parameters).find(([name]) =>
    name.endsWith('/alert-sources/alertmanager'),
  );
  if (!entry) throw new Error('the stack has no alertmanager credential parameter');
  return (JSON.parse(entry[1]) as { current: string }).current;
}

/**
 * Sends every delivery: groups round-robin, one delivery per group at a time (as Alertmanager notifies a
 * group), `inFlight` at a time in all.
 */
/** Warm-up deliveries go to groups from here on, far from the measured ones (0 .. groups - 1). */
const WARM_UP_GROUPS = 100_000;

/** The calls and faults between two snapshots of the fault counters. */
function callsSince(
  before: Record<FaultedService, FaultCounts>,
  after: Record<FaultedService, FaultCounts>,
): Record<FaultedService, FaultCounts> {
  const since = (service: FaultedService) => ({
    requests: after[service].requests - before[service].requests,
    rejected: after[service].rejected - before[service].rejected,
    lostReplies: after[service].lostReplies - before[service].lostReplies,
  });
  return { dynamodb: since('dynamodb'), stepFunctions: since('stepFunctions') };
}

async function sendStorm(
  target: LocalTarget,
  config: StormConfig,
  firstGroup = 0,
): Promise<{ deliveries: Delivery[]; ms: number; retriesByStatus: Record<string, number> }> {
  const url = new URL('/alerts/alertmanager', target.urls.api);
  const agent = new Agent({ keepAlive: true, maxSockets: config.inFlight });
  const headers = {
    authorization: `Bearer ${alertmanagerSecret(target)}`,
    'content-type': 'application/json',
  };
  const nextIndex = new Array<number>(config.groups).fill(0);
  const busy = new Set<number>();
  const deliveries: Delivery[] = [];
  const retriesByStatus: Record<string, number> = {};
  const deadline = Date.now() + config.deadlineMs;
  let cursor = 0;
  // Workers with nothing to send (every group left is in flight) wait for any delivery to finish.
  let waiters: Array<() => void> = [];

  const take = (): { group: number; index: number } | 'wait' | undefined => {
    if (Date.now() > deadline) return undefined;
    let remaining = false;
    for (let n = 0; n < config.groups; n++) {
      const group = (cursor + n) % config.groups;
      const index = nextIndex[group] ?? 0;
      if (index >= config.deliveriesPerGroup) continue;
      remaining = true;
      if (busy.has(group)) continue;
      cursor = (group + 1) % config.groups;
      nextIndex[group] = index + 1;
      return { group, index };
    }
    return remaining ? 'wait' : undefined;
  };

  const deliver = async (group: number, index: number): Promise<Delivery> => {
    const alert = index % config.alertsPerGroup;
    const body = payload(firstGroup + group, alert);
    const started = performance.now();
    let status = 0;
    let attempts = 0;
    for (;;) {
      attempts++;
      status = await post(url, agent, headers, body).catch(() => 0);
      if (status >= 200 && status < 500 && status !== 429) break;
      retriesByStatus[status === 0 ? 'connection error' : String(status)] =
        (retriesByStatus[status === 0 ? 'connection error' : String(status)] ?? 0) + 1;
      const delay = Math.random() * Math.min(backoff.capMs, backoff.baseMs * 2 ** Math.min(attempts - 1, 16));
      if (Date.now() + delay > deadline) break;
      await new Promise((r) => setTimeout(r, delay));
    }
    return {
      group,
      index,
      duplicate: index >= config.alertsPerGroup,
      attempts,
      latencyMs: performance.now() - started,
      status,
    };
  };

  const started = performance.now();
  const ticker = setInterval(() => {
    const done = deliveries.length;
    const retries = Object.values(retriesByStatus).reduce((a, b) => a + b, 0);
    config.progress?.(
      `  ${Math.round((performance.now() - started) / 1000)} s: ${done} deliveries done, ${busy.size} in flight, ${retries} retries ${JSON.stringify(retriesByStatus)}`,
    );
  }, 5_000);
  await Promise.all(
    Array.from({ length: config.inFlight }, async () => {
      for (;;) {
        const next = take();
        if (next === undefined) return;
        if (next === 'wait') {
          await new Promise<void>((r) => waiters.push(r));
          continue;
        }
        busy.add(next.group);
        deliveries.push(await deliver(next.group, next.index));
        busy.delete(next.group);
        const waiting = waiters;
        waiters = [];
        for (const notify of waiting) notify();
      }
    }),
  );
  const ms = performance.now() - started;
  clearInterval(ticker);
  agent.destroy();
  return { deliveries, ms, retriesByStatus };
}

function post(url: URL, agent: Agent, headers: Record<string, string>, body: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      { method: 'POST', agent, headers: { ...headers, 'content-length': String(Buffer.byteLength(body)) } },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Until every execution has paged and waits for an acknowledgement (or has ended). */
async function settleExecutions(target: LocalTarget, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const settled = () => {
    const waiting = waitingForAcknowledgement(target);
    return target.stepFunctions
      .executionsOf()
      .every((e) => e.status !== 'RUNNING' || waiting.has(e.executionArn));
  };
  while (!settled() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
}

function waitingForAcknowledgement(target: LocalTarget): Set<string> {
  return new Set(
    target.stepFunctions
      .pendingTasks()
      .filter((t) => t.stateName === States.WaitForAcknowledgement)
      .map((t) => t.executionArn),
  );
}

/** Every incident key on the target, through the API. */
async function incidentKeys(target: LocalTarget): Promise<string[]> {
  const operator = { authorization: `Bearer ${target.operatorToken}` };
  const keys: string[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
    const res = await fetch(`${target.urls.api}/incidents?${query}`, { headers: operator });
    if (res.status !== 200) throw new Error(`GET /incidents answered ${res.status}: ${await res.text()}`);
    const page = (await res.json()) as { incidents: Array<{ key: string }>; nextCursor?: string };
    keys.push(...page.incidents.map((i) => i.key));
    cursor = page.nextCursor;
  } while (cursor);
  return keys;
}

/** What the measured storm left behind; the warm-up's incidents (and their executions) are not counted. */
async function countOutcome(
  target: LocalTarget,
  config: StormConfig,
  deliveries: Delivery[],
  warmUpKeys: ReadonlySet<string>,
) {
  const operator = { authorization: `Bearer ${target.operatorToken}` };
  const keys = (await incidentKeys(target)).filter((key) => !warmUpKeys.has(key));

  // Each incident's group and stored alerts, from its detail (the list carries neither).
  const byGroup = new Map<string, Array<{ key: string; fingerprints: string[] }>>();
  for (const key of keys) {
    const res = await fetch(`${target.urls.api}/incidents/${key}`, { headers: operator });
    if (res.status !== 200) throw new Error(`GET /incidents/${key} answered ${res.status}`);
    const detail = (await res.json()) as {
      incident: { groupKey?: string };
      alerts?: Array<{ fingerprint: string }>;
    };
    const group = detail.incident.groupKey ?? '';
    const list = byGroup.get(group) ?? [];
    list.push({ key, fingerprints: (detail.alerts ?? []).map((a) => a.fingerprint) });
    byGroup.set(group, list);
  }
  let groupsWithOneIncident = 0;
  let alertsLost = 0;
  let alertsExpected = 0;
  for (let group = 0; group < config.groups; group++) {
    const sent = new Set(
      deliveries.filter((d) => d.group === group).map((d) => d.index % config.alertsPerGroup),
    );
    alertsExpected += sent.size;
    const own = byGroup.get(groupKey(group)) ?? [];
    if (own.length === 1) groupsWithOneIncident++;
    const stored = new Set(own.flatMap((incident) => incident.fingerprints));
    for (const alert of sent) if (!stored.has(fingerprint(group, alert))) alertsLost++;
  }

  const executions = target.stepFunctions.executionsOf().filter((e) => !warmUpKeys.has(e.name));
  const waiting = waitingForAcknowledgement(target);
  // Where they are: waiting for an acknowledgement (where a storm leaves them) or a final status.
  const executionsByStatus: Record<string, number> = {};
  for (const e of executions) {
    const where = waiting.has(e.executionArn) ? 'WAITING_FOR_ACK' : e.status;
    executionsByStatus[where] = (executionsByStatus[where] ?? 0) + 1;
  }

  const store = (await (await fetch(`${target.urls.ses}/store`)).json()) as {
    emails: Array<{ subject: string }>;
  };
  const pages = store.emails.filter((m) => m.subject.endsWith(' - Paged'));
  const escalations = store.emails.filter((m) => m.subject.endsWith(' - Escalated page')).length;
  return {
    incidents: keys.length,
    // Numbered after the warm-up's incidents (opened without faults, so without gaps).
    highestNumber: Math.max(0, ...keys.map((key) => Number(key.split('-').at(-1)))) - warmUpKeys.size,
    groupsWithOneIncident,
    executions: executions.length,
    executionsByStatus,
    pages: pages.length,
    distinctPagedIncidents: new Set(pages.map((m) => m.subject.split(' ', 1)[0])).size,
    escalations,
    pagesPerIncident: count(pages.map((m) => m.subject.split(' ', 1)[0] ?? '')),
    failedExecutions: executions
      .filter((e) => e.status !== 'RUNNING' && e.status !== 'SUCCEEDED')
      .map((e) => {
        // Each failed attempt of a state, in order: which error, how often.
        const failures = e.events
          .filter((ev) => ev.error && ev.state)
          .map(
            (ev) => `${ev.state}/${ev.type}: ${ev.error}${ev.cause ? ` (${errorMessageOf(ev.cause)})` : ''}`,
          );
        return `${e.name} ${e.status} (${e.error ?? ''}) after ${failures.join('; ')}`;
      }),
    alertsExpected,
    alertsLost,
  };
}

/** Reads the quiet log for what the storm needs: the API's time per ingest, and the functions' warnings. */
class LogObserver {
  readonly ingestMs: number[] = [];
  readonly warnings: Record<string, number> = {};

  line(text: string): void {
    if (text.startsWith('[api] POST /alerts/{source} -> ')) {
      const ms = /\((\d+) ms\)$/.exec(text)?.[1];
      if (ms) this.ingestMs.push(Number(ms));
      return;
    }
    if (
      !text.includes('"level":"WARN"') &&
      !text.includes('"level":"ERROR"') &&
      !/crashed|timed out/.test(text)
    )
      return;
    let key = text.slice(0, 160);
    const json = text.indexOf('{');
    if (json >= 0) {
      try {
        const entry = JSON.parse(text.slice(json)) as {
          level?: string;
          message?: string;
          code?: string;
          detail?: string;
          error?: { name?: string; message?: string };
        };
        const detail = entry.code
          ? `${entry.code}${entry.detail ? `: ${entry.detail.slice(0, 70)}` : ''}`
          : (entry.error?.name ?? '');
        key = `${entry.level} ${entry.message}${detail ? ` (${detail}${entry.error?.message ? `: ${entry.error.message.slice(0, 60)}` : ''})` : ''}`;
      } catch {}
    }
    this.warnings[key] = (this.warnings[key] ?? 0) + 1;
  }
}

function percentile(values: number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)] ?? Number.NaN;
}

const fixed = (digits: number) => (value: number) => (Number.isFinite(value) ? value.toFixed(digits) : '-');

/** One row per measure, one column per run, and the target. */
export function stormTable(
  runs: StormRun[],
  config: StormConfig = stormConfig,
): Record<string, Record<string, string>> {
  const groups = String(config.groups);
  const rows: Array<[string, (r: StormRun) => string, string]> = [
    ['incidents', (r) => String(r.incidents), groups],
    ['highest incident number (gaps)', (r) => `${r.highestNumber} (${r.highestNumber - r.incidents})`, ''],
    [
      'executions (waiting for ack)',
      (r) => `${r.executions} (${r.executionsByStatus.WAITING_FOR_ACK ?? 0})`,
      groups,
    ],
    ['pages (escalations)', (r) => `${r.pages} (${r.escalations})`, groups],
    ['alerts lost', (r) => `${r.alertsLost} of ${r.alertsExpected}`, '0'],
    ['deliveries failed (4xx, deadline)', (r) => String(r.deliveriesFailed), '0'],
    ['deliveries/s', (r) => fixed(0)(r.deliveriesPerSecond), ''],
    ['baseline UpdateItem/s', (r) => fixed(0)(r.baselineOpsPerSecond), ''],
    ['throughput ratio', (r) => fixed(2)(r.ratio), `median >= ${stormTargets.minRatio}`],
    ['duplicate delivery p50 ms', (r) => fixed(1)(r.duplicateP50Ms), ''],
    ['duplicate delivery p99 ms', (r) => fixed(1)(r.duplicateP99Ms), 'printed'],
    ['new-alert delivery p99 ms', (r) => fixed(0)(r.firstP99Ms), ''],
    ['API time p50 / p99 ms', (r) => `${r.serverP50Ms} / ${r.serverP99Ms}`, ''],
    [
      'sender retries',
      (r) =>
        `${r.senderRetries}${
          r.senderRetries
            ? ` (${Object.entries(r.retriesByStatus)
                .map(([k, v]) => `${k}: ${v}`)
                .join(', ')})`
            : ''
        }`,
      '',
    ],
    [
      'DynamoDB calls / failed (rejected+lost)',
      (r) => `${r.faults.dynamodb.requests} / ${r.faults.dynamodb.rejected}+${r.faults.dynamodb.lostReplies}`,
      '',
    ],
    [
      'Step Functions calls / failed',
      (r) =>
        `${r.faults.stepFunctions.requests} / ${r.faults.stepFunctions.rejected}+${r.faults.stepFunctions.lostReplies}`,
      '',
    ],
    ['storm seconds', (r) => fixed(1)(r.seconds), ''],
    [
      'result',
      (r) =>
        r.ok
          ? 'PASS'
          : `FAIL: ${r.checks
              .filter((c) => !c.ok)
              .map((c) => c.name)
              .join(', ')}`,
      '',
    ],
  ];
  return Object.fromEntries(
    rows.map(([name, value, target]) => [
      name,
      { ...Object.fromEntries(runs.map((r) => [r.label, value(r)])), target },
    ]),
  );
}

function count(values: string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const value of values) counts[value] = (counts[value] ?? 0) + 1;
  return counts;
}

/** The errorMessage of a Lambda error payload, or the text itself. */
function errorMessageOf(cause: string): string {
  try {
    return String((JSON.parse(cause) as { errorMessage?: string }).errorMessage ?? cause).slice(0, 80);
  } catch {
    return cause.slice(0, 80);
  }
}
