import { fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BatchWriteCommand, DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { TrackedAction } from '../../functions/core/actions.ts';
import type { Organisation } from '../../functions/core/config.ts';
import { type Incident, postmortemNeed } from '../../functions/core/incident.ts';
import { indexes, keys } from '../../functions/core/keys.ts';
import {
  actionCategories,
  type Postmortem,
  type PostmortemAction,
  type PostmortemStatus,
  rootCauseCategories,
} from '../../functions/core/postmortem.ts';
import { createDynalite, ensureTables, tablesFromTemplate } from '../../infra/local/dynamodb.ts';
import { loadAssembly, StackModel } from '../../infra/local/template.ts';

/**
 * `npm run bench -- report`: the SLO report of a whole year over a seeded table, against a raw paginated Query of
 * the same index ranges on the same table in the same run.
 *
 * The parent seeds a standalone dynalite in this process (made as the local target makes its own, with the stack's
 * table from the synthesized template, but without the target's functions and schedules) with BatchWriteItem, through the repositories'
 * key shapes; a forked Node process (with --expose-gc) then runs buildSloReport and the raw Queries, so the heap it
 * measures is the report's alone, not dynalite's. The same is done on a table with a tenth of the data, to show
 * that the report's memory does not grow with the number of items.
 */

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MINUTE = 60_000;
/** As functions/use-cases/reports.ts (not exported there): how far back done actions are read, and due slack. */
const DONE_LOOKBACK_MS = 57 * DAY;
const POSTMORTEM_DUE_SLACK_MS = 21 * DAY;

const scale = Number(process.env.HOTLINE_REPORT_BENCH_SCALE ?? '1');

export const reportConfig = {
  /** HOTLINE_REPORT_BENCH_SCALE: 1 is the spec (100,000 incidents, 30,000 postmortems, 100,000 actions). */
  scale: Number.isFinite(scale) && scale > 0 ? scale : 1,
  incidents: Math.round(100_000 * (Number.isFinite(scale) && scale > 0 ? scale : 1)),
  postmortems: Math.round(30_000 * (Number.isFinite(scale) && scale > 0 ? scale : 1)),
  actions: Math.round(100_000 * (Number.isFinite(scale) && scale > 0 ? scale : 1)),
  /** The second table holds this fraction of the data (memory must not grow with it). */
  smallFraction: 0.1,
  /** Timed runs of each side (after one warm-up of each), interleaved; the medians are compared. */
  runs: 3,
  /** BatchWriteItem calls in flight while seeding. */
  inFlight: 8,
  seed: 20261130,
};
export type ReportConfig = typeof reportConfig;

export const reportTargets = {
  maxRatio: 1.5,
  maxReadFactor: 1.2,
  /** Bounded: the heap the report retains at full size is at most this many times that at a tenth (+ 4 MB). */
  maxMemoryGrowth: 2,
  memorySlackBytes: 4 * 1024 * 1024,
};

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

// ---------------------------------------------------------------------------------------------------------
// Data

interface Period {
  from: string;
  to: string;
}

interface Ranges {
  current: Period;
  previous: Period;
  dueFrom: string;
  dueTo: string;
  doneFrom: string;
}

/** The ranges buildSloReport reads for a period (functions/use-cases/reports.ts): the raw side reads the same. */
function rangesOf(period: Period): Ranges {
  const fromMs = Date.parse(period.from);
  const toMs = Date.parse(period.to);
  const previous = {
    from: new Date(fromMs - (toMs - fromMs)).toISOString(),
    to: new Date(fromMs).toISOString(),
  };
  return {
    current: { from: new Date(fromMs).toISOString(), to: new Date(toMs).toISOString() },
    previous,
    dueFrom: previous.from,
    dueTo: new Date(toMs + POSTMORTEM_DUE_SLACK_MS).toISOString(),
    doneFrom: new Date(Date.parse(previous.from) - DONE_LOOKBACK_MS).toISOString(),
  };
}

/** A small fast PRNG (mulberry32), one per incident so any incident can be made again alone. */
function rngOf(...seeds: number[]): () => number {
  let a = 0x9e3779b9;
  for (const s of seeds) a = Math.imul(a ^ (s >>> 0), 0x85ebca6b) + 0x27d4eb2f;
  return () => {
    a |= 0;
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
function ulid(ms: number, r: () => number): string {
  let time = '';
  let t = ms;
  for (let i = 0; i < 10; i++) {
    time = CROCKFORD[t % 32] + time;
    t = Math.floor(t / 32);
  }
  let random = '';
  for (let i = 0; i < 16; i++) random += CROCKFORD[Math.floor(r() * 32)];
  return time + random;
}

const WORDS =
  'the checkout api returned errors for card payments after a deploy of the new pricing service because a cache ' +
  'key changed and every request missed it so the database saw ten times its usual load until we rolled back ' +
  'customers saw timeouts and some orders were charged twice which support refunded by hand the alert fired ' +
  'late since its threshold was tuned for the old traffic and the on call engineer was paged through the backup'.split(
    ' ',
  );
function text(r: () => number, words: number): string {
  const out: string[] = [];
  for (let i = 0; i < words; i++) out.push(WORDS[Math.floor(r() * WORDS.length)] ?? 'the');
  const s = out.join(' ');
  return `${s.charAt(0).toUpperCase()}${s.slice(1)}.`;
}
const pick = <T>(r: () => number, values: readonly T[]): T => values[Math.floor(r() * values.length)] as T;
const iso = (ms: number) => new Date(ms).toISOString();

interface Sizes {
  incidents: number;
  postmortems: number;
  actions: number;
}

interface Planned {
  incident: Incident;
  postmortem?: Postmortem;
  /** The postmortem is approved or published: its actions are tracked. */
  tracked: boolean;
}

/**
 * Incident `i` of `n` spread over the year before `now`, with its postmortem when it has one: the same index
 * always makes the same incident (the generator is run twice: once to count approved postmortems, once to write).
 */
function plan(i: number, sizes: Sizes, org: Organisation, nowMs: number, seed: number): Planned {
  const r = rngOf(seed, i);
  const services = Object.keys(org.services);
  const n = sizes.incidents;
  const span = 365 * DAY - 2 * HOUR;
  const openedAtMs = Math.floor(nowMs - 365 * DAY + ((i + r()) * span) / n);
  const hasPostmortem =
    Math.floor(((i + 1) * sizes.postmortems) / n) > Math.floor((i * sizes.postmortems) / n);
  const severity = hasPostmortem ? (r() < 0.15 ? 1 : r() < 0.9 ? 2 : 3) : 3;
  const service = services.length > 1 && r() < 0.7 ? (services[0] as string) : pick(r, services);
  const config = org.services[service];
  const id = ulid(openedAtMs, r);
  const number = i + 1;
  const key = `${org.incidentKeyPrefix}-${number}`;
  const detectDelay = 30_000 + r() * r() * 30 * MINUTE;
  const open = !hasPostmortem && openedAtMs > nowMs - 8 * HOUR && r() < 0.5;
  const asked = openedAtMs + 2_000;
  const acked = r() < 0.96;
  const ackAt = asked + r() * r() * (severity === 3 ? 90 : 20) * MINUTE;
  const firstComms = severity <= 2 && acked ? ackAt + r() * 25 * MINUTE : undefined;
  const resolvedAt = Math.min(nowMs - HOUR, (acked ? ackAt : asked) + 10 * MINUTE + r() * r() * 8 * HOUR);
  const updates = firstComms ? Math.floor(r() * 6) : 0;
  const recurrence =
    number > 100 && r() < 0.03 ? `${org.incidentKeyPrefix}-${number - 1 - Math.floor(r() * 99)}` : undefined;
  const incident: Incident = {
    id,
    key,
    number,
    status: open ? 'fixing' : 'resolved',
    severity: severity as 1 | 2 | 3,
    service,
    summary: `${config?.name ?? service}: ${text(r, 6)}`,
    products: config?.products ?? [],
    source: r() < 0.85 ? 'alertmanager' : 'declared',
    impactStartedAt: iso(openedAtMs - detectDelay - 5_000),
    detectedAt: iso(openedAtMs - 5_000),
    openedAt: iso(openedAtMs),
    executionName: id,
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:Hotline-Incident:${id}`,
    workflowStartedAt: iso(openedAtMs + 1_000),
    updatedAt: iso(open ? openedAtMs + HOUR : resolvedAt),
    description: text(r, 30 + Math.floor(r() * 30)),
    ...(severity <= 2
      ? { pagedAt: iso(asked), pageTier: r() < 0.9 ? 0 : 1 }
      : { teamNotifiedAt: iso(asked) }),
    ...(acked
      ? { acknowledgedAt: iso(ackAt), acknowledgedBy: `oncall-${Math.floor(r() * 20)}@example.com` }
      : {}),
    ...(firstComms
      ? {
          firstCommsAt: iso(firstComms),
          externalWording: text(r, 15),
          updateCount: updates,
          missedUpdates: r() < 0.1 ? 1 : 0,
          lastUpdateAt: iso(firstComms + updates * 30 * MINUTE),
        }
      : {}),
    chatChannel: `inc-${number}`,
    chatRoomUrl: `https://chat.example.com/incidents/channels/inc-${number}`,
    stateDocumentUrl: `https://docs.example.com/incidents/${key}`,
    ...(recurrence ? { recurrenceOf: recurrence } : {}),
    ...(open
      ? {}
      : {
          resolvedAt: iso(resolvedAt),
          resolvedBy: `oncall-${Math.floor(r() * 20)}@example.com`,
          impactEndedAt: iso(resolvedAt - r() * 10 * MINUTE),
          supportCases: Math.floor(r() * r() * 40),
        }),
    postmortem: postmortemNeed(severity as 1 | 2 | 3, hasPostmortem && severity === 3),
  };
  if (!hasPostmortem || open) return { incident, tracked: false };

  const ago = nowMs - resolvedAt;
  const u = r();
  let status: PostmortemStatus;
  if (ago < 5 * DAY) status = u < 0.6 ? 'draft' : 'in-review';
  else if (ago < 14 * DAY)
    status = u < 0.15 ? 'draft' : u < 0.5 ? 'in-review' : u < 0.7 ? 'approved' : 'published';
  else status = u < 0.02 ? 'draft' : u < 0.04 ? 'in-review' : u < 0.12 ? 'approved' : 'published';
  const tracked = status === 'approved' || status === 'published';
  const approvedAtMs = tracked ? Math.min(nowMs - HOUR, resolvedAt + (2 + r() * 10) * DAY) : undefined;
  const owner = `${(config?.ownerTeam ?? 'sre').toLowerCase()}-${Math.floor(r() * 8)}@example.com`;
  const postmortem: Postmortem = {
    key,
    incidentId: id,
    status,
    version: 2 + Math.floor(r() * 10),
    owner,
    ownerTeam: config?.ownerTeam ?? 'SRE',
    service,
    severity,
    due: iso(resolvedAt + 7 * DAY),
    openedAt: iso(resolvedAt),
    updatedAt: iso(approvedAtMs ?? resolvedAt + DAY),
    updatedBy: owner,
    fields: {
      summary: text(r, 40),
      leadup: text(r, 30),
      fault: text(r, 25),
      impact: text(r, 25),
      detection: text(r, 20),
      response: text(r, 30),
      recovery: text(r, 20),
      timeline: [0, 1, 2, 3].map((k) => ({ at: iso(openedAtMs + k * 10 * MINUTE), text: text(r, 8) })),
      fiveWhys: [0, 1, 2, 3, 4].map(() => text(r, 10)),
      rootCause: text(r, 20),
      ...(tracked || r() < 0.5 ? { rootCauseCategory: pick(r, rootCauseCategories) } : {}),
      backlogCheck: text(r, 10),
      recurrence: { text: text(r, 10), relatedIncidents: recurrence ? [recurrence] : [] },
      lessons: { wentWell: text(r, 10), couldBeBetter: text(r, 10), gotLucky: text(r, 8) },
      externalSummary: '',
    },
    actions: [],
    metrics: {
      minutesOfImpact: Math.round((resolvedAt - openedAtMs) / MINUTE),
      timeToDetectMinutes: Math.round(detectDelay / MINUTE),
      ...(acked ? { timeToAcknowledgeMinutes: Math.round((ackAt - asked) / MINUTE) } : {}),
      timeToRecoverMinutes: Math.round((resolvedAt - openedAtMs) / MINUTE),
    },
    prefilled: ['timeline'],
    ...(approvedAtMs !== undefined ? { approvedAt: iso(approvedAtMs) } : {}),
    ...(status === 'published' && approvedAtMs !== undefined
      ? { publishedAt: iso(approvedAtMs + HOUR) }
      : {}),
  };
  return { incident, postmortem, tracked };
}

/** The actions of a tracked postmortem (its `count` of them), as the postmortem lists them and as tracked. */
function actionsOf(
  planned: Planned,
  count: number,
  org: Organisation,
  nowMs: number,
  seed: number,
): TrackedAction[] {
  const { incident, postmortem } = planned;
  if (!postmortem?.approvedAt) return [];
  const approvedMs = Date.parse(postmortem.approvedAt);
  const sloWeeks = org.services[incident.service]?.actionSloWeeks ?? 8;
  const actions: TrackedAction[] = [];
  for (let a = 0; a < count; a++) {
    const r = rngOf(seed, incident.number, a + 1);
    const priority = a === 0 || r() < 0.55;
    const dueMs = priority ? approvedMs + sloWeeks * 7 * DAY : undefined;
    const doneDelay = priority
      ? r() < 0.8
        ? (0.1 + r() * 0.9) * sloWeeks * 7 * DAY
        : (1 + r()) * sloWeeks * 7 * DAY
      : r() < 0.5
        ? (7 + r() * 120) * DAY
        : Number.POSITIVE_INFINITY;
    const doneMs = approvedMs + doneDelay < nowMs ? approvedMs + doneDelay : undefined;
    const action: PostmortemAction = {
      id: ulid(approvedMs + a, r),
      title: text(r, 8),
      kind: priority ? 'priority' : 'improvement',
      category: pick(r, actionCategories),
      ownerTeam: postmortem.ownerTeam,
      trackerUrl: `https://tracker.example.com/browse/OPS-${incident.number * 10 + a}`,
      ...(dueMs !== undefined ? { dueAt: iso(dueMs) } : {}),
      status: doneMs !== undefined ? 'done' : 'open',
      ...(doneMs !== undefined ? { doneAt: iso(doneMs), doneBy: postmortem.owner } : {}),
    };
    actions.push({
      ...action,
      incidentId: incident.id,
      incidentKey: incident.key,
      summary: incident.summary,
      severity: incident.severity,
      service: incident.service,
      approvedAt: postmortem.approvedAt,
      ...(doneMs !== undefined ? { note: text(r, 8) } : {}),
    });
  }
  return actions;
}

// Items as the repositories write them (incidents-repository `create`, postmortems-repository `item`,
// actions-repository `track`). Resolved incidents' workflows are known to run: no awaitingWorkflow key.
const incidentItem = (incident: Incident) => ({
  ...keys.incident(incident.id),
  ...indexes.byTime.values(incident.openedAt, incident.id),
  ...indexes.byService.values(incident.service, incident.openedAt, incident.id),
  type: 'incident',
  ...incident,
});
const postmortemItem = (postmortem: Postmortem) => ({
  ...keys.postmortem(postmortem.incidentId),
  ...indexes.postmortemsByStatus.values(postmortem.status, postmortem.due, postmortem.incidentId),
  type: 'postmortem',
  ...postmortem,
});
const actionItem = (action: TrackedAction) => ({
  ...keys.action(action.id),
  ...(action.status === 'done' && action.doneAt
    ? indexes.doneActions.values(action.doneAt, action.id)
    : indexes.openActions.values(action.dueAt, action.id)),
  type: 'action',
  ...action,
});

interface Seeded {
  table: string;
  sizes: Sizes;
  items: number;
  /** Items in the ranges the report reads (the raw side reads exactly these), and their JSON bytes. */
  covered: number;
  coveredBytes: number;
  /** Postmortems by status, actions open and done. */
  byStatus: Record<string, number>;
  seconds: number;
}

/** Every item of a table of `sizes`, in order; `covered` is told which the report's ranges include. */
function* itemsOf(
  sizes: Sizes,
  org: Organisation,
  nowMs: number,
  seed: number,
  covered: (item: Record<string, unknown>, kind: 'incident' | 'postmortem' | 'action') => void,
): Generator<Record<string, unknown>> {
  // First pass: how many postmortems are tracked, to give them exactly `sizes.actions` actions between them.
  let trackedTotal = 0;
  for (let i = 0; i < sizes.incidents; i++) if (plan(i, sizes, org, nowMs, seed).tracked) trackedTotal += 1;
  let tracked = 0;
  for (let i = 0; i < sizes.incidents; i++) {
    const planned = plan(i, sizes, org, nowMs, seed);
    const incident = incidentItem(planned.incident);
    covered(incident, 'incident');
    yield incident;
    if (!planned.postmortem) continue;
    let actions: TrackedAction[] = [];
    if (planned.tracked) {
      const count =
        Math.floor(((tracked + 1) * sizes.actions) / trackedTotal) -
        Math.floor((tracked * sizes.actions) / trackedTotal);
      tracked += 1;
      actions = actionsOf(planned, count, org, nowMs, seed);
      planned.postmortem.actions = actions.map(
        ({
          incidentId: _i,
          incidentKey: _k,
          summary: _s,
          severity: _v,
          service: _e,
          approvedAt: _a,
          note: _n,
          ...a
        }) => a,
      );
    } else {
      // Drafts list provisional actions (due as if approved now); they are tracked only once approved.
      const r = rngOf(seed, planned.incident.number, 0);
      planned.postmortem.actions = [0, 1].map((a) => ({
        id: ulid(Date.parse(planned.postmortem?.openedAt ?? '') + a, r),
        title: text(r, 8),
        kind: a === 0 ? 'priority' : 'improvement',
        category: pick(r, actionCategories),
        ownerTeam: planned.postmortem?.ownerTeam ?? 'SRE',
        ...(a === 0 ? { dueAt: iso(nowMs + 28 * DAY), dueProvisional: true } : {}),
        status: 'open',
      }));
    }
    const postmortem = postmortemItem(planned.postmortem);
    covered(postmortem, 'postmortem');
    yield postmortem;
    for (const action of actions) {
      const item = actionItem(action);
      covered(item, 'action');
      yield item;
    }
  }
}

async function seed(
  client: DynamoDBDocumentClient,
  table: string,
  sizes: Sizes,
  org: Organisation,
  nowMs: number,
  ranges: Ranges,
  config: ReportConfig,
  progress: (done: number) => void,
): Promise<Seeded> {
  const started = performance.now();
  const result: Seeded = { table, sizes, items: 0, covered: 0, coveredBytes: 0, byStatus: {}, seconds: 0 };
  const count = (item: Record<string, unknown>, kind: 'incident' | 'postmortem' | 'action') => {
    let inRange: boolean;
    if (kind === 'incident') {
      const opened = String(item.openedAt);
      inRange = opened >= ranges.previous.from && opened < ranges.current.to;
    } else if (kind === 'postmortem') {
      const status = String(item.status);
      result.byStatus[`postmortems ${status}`] = (result.byStatus[`postmortems ${status}`] ?? 0) + 1;
      const sk = String(item.gsi3sk);
      inRange =
        status === 'draft' ||
        status === 'in-review' ||
        (sk >= ranges.dueFrom && sk <= `${ranges.dueTo}\uffff`);
    } else {
      const status = String(item.status);
      result.byStatus[`actions ${status}`] = (result.byStatus[`actions ${status}`] ?? 0) + 1;
      inRange = status === 'open' || String(item.gsi3sk) >= ranges.doneFrom;
    }
    if (inRange) {
      result.covered += 1;
      result.coveredBytes += Buffer.byteLength(JSON.stringify(item));
    }
  };
  const items = itemsOf(sizes, org, nowMs, config.seed, count);
  const next = (): Record<string, unknown>[] => {
    const batch: Record<string, unknown>[] = [];
    while (batch.length < 25) {
      const step = items.next();
      if (step.done) break;
      batch.push(step.value);
    }
    return batch;
  };
  const write = async (batch: Record<string, unknown>[]) => {
    let requests = batch.map((Item) => ({ PutRequest: { Item } }));
    for (let attempt = 0; requests.length > 0; attempt++) {
      const out = await client.send(new BatchWriteCommand({ RequestItems: { [table]: requests } }));
      const left = out.UnprocessedItems?.[table] ?? [];
      requests = left as typeof requests;
      if (requests.length > 0) await new Promise((r) => setTimeout(r, Math.min(1_000, 20 * 2 ** attempt)));
    }
    result.items += batch.length;
    progress(batch.length);
  };
  const worker = async () => {
    for (let batch = next(); batch.length > 0; batch = next()) await write(batch);
  };
  await Promise.all(Array.from({ length: config.inFlight }, worker));
  result.seconds = (performance.now() - started) / 1000;
  return result;
}

// ---------------------------------------------------------------------------------------------------------
// The measuring process (forked): the report and the raw Queries, timed; items read; heap.

interface ChildJob {
  endpoint: string;
  region: string;
  tables: string[];
  period: Period;
  nowMs: number;
  runs: number;
}

interface Measured {
  table: string;
  reportMs: number[];
  rawMs: number[];
  /** Items and Query calls of one report, and of one raw pass. */
  reportItems: number;
  reportQueries: number;
  rawItems: number;
  rawQueries: number;
  /** Heap growth over the heap before the report: retained (after a GC at every page), and sampled (no GC). */
  retainedPeakBytes: number;
  retainedAfterBytes: number;
  sampledPeakBytes: number;
  reportIncidents: number;
  /** CPU time (user + system) the report process spent in each timed report: what Lambda's CPU share slows. */
  reportCpuMs: number[];
}

interface ChildResult {
  gc: boolean;
  measured: Measured[];
}

async function child(job: ChildJob): Promise<ChildResult> {
  const [{ buildSloReport }, { dynamoStores }, { marshallOptions }, { loadOrganisation }] = await Promise.all(
    [
      import('../../functions/use-cases/reports.ts'),
      import('../../functions/adapters/stores.ts'),
      import('../../functions/adapters/dynamodb.ts'),
      import('../../infra/config.ts'),
    ],
  );
  const { organisation } = await loadOrganisation();
  const gc = (globalThis as { gc?: () => void }).gc;
  const raw = new DynamoDBClient({ endpoint: job.endpoint, region: job.region, credentials });
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions });
  // Every QueryCommand's Items counted; `onPage` sees each page as it arrives.
  const counter = { items: 0, queries: 0 };
  let onPage: (() => void) | undefined;
  const send = client.send.bind(client) as (command: unknown) => Promise<{ Items?: unknown[] }>;
  (client as unknown as { send: (command: unknown) => Promise<unknown> }).send = async (command: unknown) => {
    const out = await send(command);
    if (command instanceof QueryCommand) {
      counter.queries += 1;
      counter.items += out.Items?.length ?? 0;
      onPage?.();
    }
    return out;
  };
  const ranges = rangesOf(job.period);
  const now = new Date(job.nowMs);

  const measured: Measured[] = [];
  for (const table of job.tables) {
    const reports = dynamoStores(client, table).reports;
    const report = () => buildSloReport({ reports, organisation, now: () => now }, job.period);
    const query = async (input: Omit<ConstructorParameters<typeof QueryCommand>[0], 'TableName'>) => {
      let cursor: Record<string, unknown> | undefined;
      let n = 0;
      do {
        const page = await client.send(
          new QueryCommand({ TableName: table, ...input, ExclusiveStartKey: cursor }),
        );
        n += page.Items?.length ?? 0;
        cursor = page.LastEvaluatedKey;
      } while (cursor);
      return n;
    };
    // The same index ranges as the report: incidents of both periods on gsi1, postmortems by status (the
    // approved and published ones by due date), open actions whole, done ones since the lookback.
    const rawPass = async () => {
      let n = await query({
        IndexName: indexes.byTime.name,
        KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
        ExpressionAttributeNames: { '#pk': indexes.byTime.pk, '#sk': indexes.byTime.sk },
        ExpressionAttributeValues: {
          ':pk': indexes.byTime.partition,
          ':from': ranges.previous.from,
          ':to': ranges.current.to,
        },
      });
      const pm = indexes.postmortemsByStatus;
      for (const status of ['draft', 'in-review'] as const) {
        n += await query({
          IndexName: pm.name,
          KeyConditionExpression: '#pk = :pk',
          ExpressionAttributeNames: { '#pk': pm.pk },
          ExpressionAttributeValues: { ':pk': pm.partition(status) },
        });
      }
      for (const status of ['approved', 'published'] as const) {
        n += await query({
          IndexName: pm.name,
          KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
          ExpressionAttributeNames: { '#pk': pm.pk, '#sk': pm.sk },
          ExpressionAttributeValues: {
            ':pk': pm.partition(status),
            ':from': ranges.dueFrom,
            ':to': `${ranges.dueTo}\uffff`,
          },
        });
      }
      n += await query({
        IndexName: indexes.openActions.name,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': indexes.openActions.pk },
        ExpressionAttributeValues: { ':pk': indexes.openActions.partition },
      });
      n += await query({
        IndexName: indexes.doneActions.name,
        KeyConditionExpression: '#pk = :pk AND #sk >= :from',
        ExpressionAttributeNames: { '#pk': indexes.doneActions.pk, '#sk': indexes.doneActions.sk },
        ExpressionAttributeValues: { ':pk': indexes.doneActions.partition, ':from': ranges.doneFrom },
      });
      return n;
    };
    const timed = async <T>(run: () => Promise<T>) => {
      const started = performance.now();
      await run();
      return performance.now() - started;
    };
    const counted = async <T>(run: () => Promise<T>) => {
      counter.items = 0;
      counter.queries = 0;
      const value = await run();
      return { value, items: counter.items, queries: counter.queries };
    };

    // Warm-up of both sides (connections, JIT), counting what each reads.
    const warmReport = await counted(report);
    const warmRaw = await counted(rawPass);
    const m: Measured = {
      table,
      reportMs: [],
      rawMs: [],
      reportItems: warmReport.items,
      reportQueries: warmReport.queries,
      rawItems: warmRaw.items,
      rawQueries: warmRaw.queries,
      retainedPeakBytes: 0,
      retainedAfterBytes: 0,
      sampledPeakBytes: 0,
      reportIncidents: warmReport.value.current.incidents,
      reportCpuMs: [],
    };

    // Timed, interleaved; the report's heap sampled at every page (no forced GC: what the process really holds).
    for (let run = 0; run < job.runs; run++) {
      gc?.();
      const base = process.memoryUsage().heapUsed;
      let peak = base;
      onPage = () => {
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      };
      const cpu = process.cpuUsage();
      m.reportMs.push(await timed(report));
      const used = process.cpuUsage(cpu);
      m.reportCpuMs.push((used.user + used.system) / 1000);
      onPage = undefined;
      m.sampledPeakBytes = Math.max(m.sampledPeakBytes, peak - base);
      gc?.();
      m.rawMs.push(await timed(rawPass));
    }

    // Retained: a GC at every page, so the heap is what the report holds (its accumulator and the page).
    if (gc) {
      gc();
      const base = process.memoryUsage().heapUsed;
      let peak = base;
      onPage = () => {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed);
      };
      const result = await report();
      onPage = undefined;
      gc();
      m.retainedAfterBytes = process.memoryUsage().heapUsed - base;
      m.retainedPeakBytes = peak - base;
      if (result.current.incidents < 0) console.error('unreachable'); // keep the result alive until here
    }
    measured.push(m);
  }
  raw.destroy();
  return { gc: gc !== undefined, measured };
}

if (process.env.HOTLINE_REPORT_BENCH_CHILD === '1' && process.send) {
  process.once('message', (job: ChildJob) => {
    child(job).then(
      (result) => process.send?.({ result }, () => process.exit(0)),
      (error: Error) => process.send?.({ error: error.stack ?? String(error) }, () => process.exit(1)),
    );
  });
}

function measureInChild(job: ChildJob): Promise<ChildResult> {
  return new Promise((resolvePromise, reject) => {
    const proc = fork(fileURLToPath(import.meta.url), [], {
      env: { ...process.env, HOTLINE_REPORT_BENCH_CHILD: '1' },
      execArgv: [...process.execArgv, '--expose-gc'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    let settled = false;
    proc.on('message', (message: { result?: ChildResult; error?: string }) => {
      settled = true;
      if (message.result) resolvePromise(message.result);
      else reject(new Error(`report bench process: ${message.error}`));
    });
    proc.on('exit', (code) => {
      if (!settled) reject(new Error(`report bench process exited with ${code} before answering`));
    });
    proc.send(job);
  });
}

// ---------------------------------------------------------------------------------------------------------
// The bench

export interface ReportSide {
  label: string;
  /** Median CPU time of the report process per report. */
  reportCpuMedianMs: number;
  seeded: Seeded;
  measured: Measured;
  reportMedianMs: number;
  rawMedianMs: number;
  ratio: number;
  readFactor: number;
}

export interface ReportBench {
  config: ReportConfig;
  period: Period;
  gc: boolean;
  full: ReportSide;
  small: ReportSide;
  /** Retained (or sampled, without GC) heap growth, full over small. */
  memoryGrowth: number;
  findings: string[];
  ok: boolean;
}

/**
 * The year's report on a Lambda function of each memory size, from the CPU time it took here: Lambda gives
 * `memory / 1769` of a vCPU below 1,769 MB and a whole one at it (the report is one thread: more does not help),
 * so its CPU time stretches by the inverse; each Query page adds DynamoDB's latency on top (which the local
 * dynalite's own CPU, in the parent process, is not a measure of).
 */
export const lambdaEstimate = {
  memoriesMb: [512, 1024, 1769, 3008],
  /** A 1 MB Query page of DynamoDB, from a function in the same region (a conservative round figure). */
  pageLatencyMs: 30,
};

export function lambdaSeconds(cpuMs: number, queries: number, memoryMb: number): number {
  const share = Math.min(1, memoryMb / 1769);
  return (cpuMs / share + queries * lambdaEstimate.pageLatencyMs) / 1000;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export async function benchReport(
  assemblyDir: string,
  stackName: string,
  config: ReportConfig,
  progress: (line: string, final?: boolean) => void,
): Promise<ReportBench> {
  const { loadOrganisation } = await import('../../infra/config.ts');
  const { organisation } = await loadOrganisation();
  // The stack's own table (keys and indexes from the synthesized template) on a dynalite of its own, in a
  // directory of its own: no function or schedule of the local target touches it while it is measured.
  const model = new StackModel(loadAssembly(assemblyDir, stackName));
  const [template] = tablesFromTemplate(model);
  if (!template) throw new Error('the stack has no table');
  const dataDir = mkdtempSync(join(tmpdir(), 'hotline-report-bench-'));
  const server = createDynalite(join(dataDir, 'dynamodb'));
  await new Promise<void>((resolveListen) => server.listen(0, '127.0.0.1', resolveListen));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const region = model.region;
  try {
    const table = template.name;
    const smallTable = `${table}-tenth`;
    await ensureTables(endpoint, region, [template, { ...template, name: smallTable }], () => undefined);
    const raw = new DynamoDBClient({ endpoint, region, credentials });
    const { marshallOptions } = await import('../../functions/adapters/dynamodb.ts');
    const client = DynamoDBDocumentClient.from(raw, { marshallOptions });

    // A whole year to today's midnight (UTC), the data spread over it.
    const nowMs = Math.floor(Date.now() / DAY) * DAY;
    const period = { from: iso(nowMs - 365 * DAY), to: iso(nowMs) };
    const ranges = rangesOf(period);
    const fullSizes: Sizes = {
      incidents: config.incidents,
      postmortems: config.postmortems,
      actions: config.actions,
    };
    const smallSizes: Sizes = {
      incidents: Math.round(config.incidents * config.smallFraction),
      postmortems: Math.round(config.postmortems * config.smallFraction),
      actions: Math.round(config.actions * config.smallFraction),
    };
    const total =
      fullSizes.incidents +
      fullSizes.postmortems +
      fullSizes.actions +
      smallSizes.incidents +
      smallSizes.postmortems +
      smallSizes.actions;
    let written = 0;
    let lastShown = 0;
    const started = performance.now();
    const bar = (add: number) => {
      written += add;
      const now = performance.now();
      if (now - lastShown < 250 && written < total) return;
      lastShown = now;
      const width = 30;
      const filled = Math.round((written / total) * width);
      const rate = written / ((now - started) / 1000);
      const eta = rate > 0 ? (total - written) / rate : 0;
      progress(
        `seeding [${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${((written / total) * 100).toFixed(0).padStart(3)}% ` +
          `${written.toLocaleString('en')}/${total.toLocaleString('en')} items, ${rate.toFixed(0)}/s, ${eta.toFixed(0)} s left`,
        written >= total,
      );
    };
    const fullSeeded = await seed(client, table, fullSizes, organisation, nowMs, ranges, config, bar);
    const smallSeeded = await seed(client, smallTable, smallSizes, organisation, nowMs, ranges, config, bar);
    raw.destroy();

    const measured = await measureInChild({
      endpoint,
      region,
      tables: [table, smallTable],
      period,
      nowMs,
      runs: config.runs,
    });
    const side = (label: string, seeded: Seeded, m: Measured | undefined): ReportSide => {
      if (!m) throw new Error(`no measures for ${label}`);
      const reportMedianMs = median(m.reportMs);
      const rawMedianMs = median(m.rawMs);
      return {
        label,
        seeded,
        measured: m,
        reportMedianMs,
        reportCpuMedianMs: median(m.reportCpuMs),
        rawMedianMs,
        ratio: reportMedianMs / rawMedianMs,
        readFactor: m.reportItems / seeded.covered,
      };
    };
    const full = side('full', fullSeeded, measured.measured[0]);
    const small = side('tenth', smallSeeded, measured.measured[1]);
    const memoryOf = (s: ReportSide) =>
      measured.gc ? s.measured.retainedPeakBytes : s.measured.sampledPeakBytes;
    const memoryGrowth = memoryOf(full) / Math.max(1, memoryOf(small));
    const findings: string[] = [];
    if (full.ratio > reportTargets.maxRatio) {
      findings.push(`MISSED: report/raw ${full.ratio.toFixed(2)} > ${reportTargets.maxRatio}`);
    }
    if (full.readFactor > reportTargets.maxReadFactor) {
      findings.push(
        `MISSED: items read ${full.readFactor.toFixed(2)}x covered > ${reportTargets.maxReadFactor}x`,
      );
    }
    if (full.measured.rawItems !== full.seeded.covered) {
      findings.push(
        `the raw Queries read ${full.measured.rawItems} items, the seed put ${full.seeded.covered} in their ranges`,
      );
    }
    if (memoryOf(full) > reportTargets.maxMemoryGrowth * memoryOf(small) + reportTargets.memorySlackBytes) {
      findings.push(
        `MISSED: the report's heap grew ${mb(memoryOf(full))} at full size against ${mb(memoryOf(small))} at a tenth`,
      );
    }
    if (full.measured.reportIncidents !== fullSeeded.sizes.incidents) {
      findings.push(
        `the report counts ${full.measured.reportIncidents} incidents in the year, ${fullSeeded.sizes.incidents} were seeded`,
      );
    }
    return {
      config,
      period,
      gc: measured.gc,
      full,
      small,
      memoryGrowth,
      findings,
      ok: !findings.some((f) => f.startsWith('MISSED')),
    };
  } finally {
    await new Promise<void>((resolveClose) => server.close(() => resolveClose()));
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

/** One row per table size. */
export function reportTable(bench: ReportBench) {
  return [bench.full, bench.small].map((s) => ({
    data: s.label,
    'items seeded': s.seeded.items,
    'seed s': s.seeded.seconds.toFixed(1),
    'covered items': s.seeded.covered,
    'covered JSON': mb(s.seeded.coveredBytes),
    'report ms (median)': s.reportMedianMs.toFixed(0),
    'raw Query ms (median)': s.rawMedianMs.toFixed(0),
    ratio: s.ratio.toFixed(2),
    'items read (report/raw)': `${s.measured.reportItems}/${s.measured.rawItems}`,
    'read/covered': s.readFactor.toFixed(2),
    'Queries (report/raw)': `${s.measured.reportQueries}/${s.measured.rawQueries}`,
    'heap retained peak': bench.gc ? mb(s.measured.retainedPeakBytes) : 'n/a',
    'heap sampled peak': mb(s.measured.sampledPeakBytes),
  }));
}
