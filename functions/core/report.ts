/**
 * The SLO report's figures (issue 12), computed by accumulators fed one item at a time: a year's report reads
 * up to 100,000 incidents, 30,000 postmortems and 100,000 actions from paginated Queries, and holds none of them.
 * What is kept is bounded: counts per severity, service and category; a percentile sketch per measure (exact up
 * to `EXACT_LIMIT` values, then a log-linear histogram of at most ~1,000 buckets); capped, order-independent
 * lists of keys and rows. Feeding the same items in any order gives the same report (every kept list is cut by
 * a total order, and sums are of whole milliseconds, exact in a double below 2^53).
 *
 * Which period an item belongs to: an incident by `openedAt` (the time index the report reads), a postmortem by
 * `openedAt` (it opens at resolution), a priority action's on-time share by its `dueAt`. Items in neither
 * period count nowhere (`ignored`). The action figures (open, due soon, overdue) and the handbook's list are as
 * of `now`, not per period: they are the backlog to work on.
 */

import { addBusinessDays } from './business-hours.ts';
import type { CommsBounce, CommsBounceOutcome } from './comms-bounces.ts';
import type { Organisation, Service, Severity } from './config.ts';
import type { Incident } from './incident.ts';
import { hadImpact, metricsOf, RESOLUTION_KINDS, type ResolutionKind } from './incident.ts';
import { serviceOf } from './organisation.ts';
import {
  type Postmortem,
  type PostmortemAction,
  type PostmortemStatus,
  type RootCauseCategory,
  rootCauseCategories,
} from './postmortem.ts';
import { acknowledgeTimeoutSeconds, cadenceMinutes } from './response.ts';

const MINUTE = 60_000;
const DAY = 86_400_000;

export interface Period {
  /** UTC ISO-8601; `from` inclusive, `to` exclusive. */
  from: string;
  to: string;
}

export interface ReportOptions extends Period {
  previous: Period;
  organisation: Organisation;
  /** When the report is made: the backlog figures (open, overdue, ages) are as of this instant. */
  now: Date | string;
  /** First comms are on time within this many minutes of the acknowledgement (handbook: 15). */
  firstCommsMinutes?: number;
  /** Postmortems are due this many business days after resolution (handbook: 5). */
  postmortemBusinessDays?: number;
  /** Priority actions due within this many days count as "due soon" (7). */
  dueSoonDays?: number;
  /** How many keys each "missed" list and the recurrences list keep (the count is always exact). */
  keysPerList?: number;
  /** How many rows the handbook's list, the incident rows and the action rows keep (CSV attachments). */
  rowLimit?: number;
}

/** An action as the report reads it: the postmortem's action and what it belongs to. */
export type ReportAction = PostmortemAction & {
  service: string;
  incidentKey: string;
  severity: number;
  /** The incident's `openedAt`, for the age of the handbook's list. */
  incidentOpenedAt?: string;
  /** The incident's id: a ULID, whose time is when the incident was opened (the age when no `incidentOpenedAt`). */
  incidentId?: string;
};

/** A distribution of durations in ms: median, p90, mean; `approximate` once the sketch left exact mode. */
export interface Distribution {
  count: number;
  medianMs?: number;
  p90Ms?: number;
  meanMs?: number;
  approximate: boolean;
}

export interface DistributionChange {
  current: Distribution;
  previous: Distribution;
  /** current - previous, in ms (absent when either side has no value). */
  change: { medianMs?: number; p90Ms?: number; meanMs?: number };
}

/** A conformance rule: how many incidents it applied to, how many met it, and which missed (capped). */
export interface Conformance {
  applicable: number;
  met: number;
  /** met / applicable, in [0, 1]; absent when the rule applied to none. */
  share?: number;
  missedCount: number;
  /** Keys of those that missed, in key order, at most `keysPerList`. */
  missed: string[];
}

export interface ServiceFigures {
  service: string;
  name: string;
  incidents: number;
  bySeverity: Record<Severity, number>;
  impactMinutes: number;
  /** Where the service has an availability objective (percent): the minutes it allows in the period. */
  availabilityObjective?: number;
  allowedMinutes?: number;
  /** usedMinutes / allowedMinutes (may exceed 1: over budget). */
  budgetUsed?: number;
}

export interface PeriodFigures extends Period {
  incidents: number;
  bySeverity: Record<Severity, number>;
  /** Every configured service (zero rows included) and any other service an incident named, by id. */
  byService: ServiceFigures[];
  /** Overlap of each incident's impact (until now while open) with the period, summed; concurrent incidents add up. */
  impactMinutes: number;
  /**
   * Resolved incidents by how they ended. False alarms and duplicates had no impact of their own: their windows
   * add no minutes of impact and their times join no time-to-detect or time-to-recover figure.
   */
  byResolution: Record<ResolutionKind, number>;
  postmortems: {
    total: number;
    byStatus: Record<PostmortemStatus, number>;
    /** Not approved within the business days after resolution: approved late, or unapproved past due. */
    lateApproval: number;
    lateKeys: string[];
  };
  rootCauses: Record<RootCauseCategory | 'unset', number>;
  recurrences: { count: number; incidents: { key: string; recurrenceOf: string }[] };
  conformance: {
    acknowledged: Conformance;
    firstComms: Conformance;
    updates: Conformance;
    postmortemApproved: Conformance;
  };
  /** Priority actions due in the period that have come due or are done: done by the due date. */
  priorityActionsOnTime: Conformance;
}

export interface HandbookRow {
  key: string;
  severity: number;
  service: string;
  ownerTeams: string[];
  /** Open priority actions: the tracked ones, or the postmortem's while it is not approved. */
  openPriorityActions: number;
  /** Its postmortem is not approved yet: no priority action is agreed, so the root cause cannot be fixed. */
  postmortemPending: boolean;
  /** Days since the incident opened (absent when neither the actions nor the postmortem told). */
  ageDays?: number;
  /** Days past the earliest due date of its open priority actions, or of its postmortem while pending; 0 if none. */
  overdueDays: number;
}

export interface IncidentRow {
  key: string;
  severity: number;
  service: string;
  status: string;
  summary: string;
  openedAt: string;
  impactStartedAt: string;
  detectedAt: string;
  acknowledgedAt?: string;
  impactEndedAt?: string;
  timeToDetectMinutes?: number;
  timeToRecoverMinutes?: number;
  impactMinutes: number;
  recurrenceOf?: string;
  /** How it ended, once resolved. */
  resolution?: ResolutionKind;
}

export interface ActionRow {
  id: string;
  incidentKey: string;
  severity: number;
  service: string;
  title: string;
  kind: string;
  category: string;
  ownerTeam: string;
  status: string;
  dueAt?: string;
  doneAt?: string;
  /** Days past due (open: as of now; done: when done); 0 when not late, absent without a due date. */
  overdueDays?: number;
  trackerUrl?: string;
}

export interface SloReport {
  generatedAt: string;
  current: PeriodFigures;
  previous: PeriodFigures;
  timeToDetect: DistributionChange;
  timeToRecover: DistributionChange;
  /** The handbook's list: sev 1-2 incidents with priority actions not all done, most overdue first. */
  rootCausesNotFixed: { count: number; rows: HandbookRow[] };
  /** Priority actions as of now (provisional due dates, before approval, are neither due soon nor overdue). */
  priorityActions: { open: number; dueSoon: number; overdue: number; dueSoonDays: number };
  improvementActionsOpen: number;
  /** The current period's incidents and the actions read, as CSV rows (capped at `rowLimit`). */
  incidentRows: { total: number; rows: IncidentRow[] };
  actionRows: { total: number; rows: ActionRow[] };
  /**
   * The comms lists' addresses that bounced, complained or were rejected in the current period (one row per
   * address: its latest outcome, the incidents whose comms it missed), newest first, capped at `rowLimit`.
   */
  commsBounces: { total: number; rows: CommsBounceRow[] };
  parameters: { firstCommsMinutes: number; postmortemBusinessDays: number; keysPerList: number };
  ignored: { incidents: number; postmortems: number };
}

export interface CommsBounceRow {
  address: string;
  outcome: CommsBounceOutcome;
  detail?: string;
  /** The latest in the period (ISO). */
  lastAt: string;
  /** The incidents whose comms it missed (the first `keysPerList`), and how many. */
  incidents: string[];
  incidentCount: number;
}

export interface ReportAccumulator {
  addIncident(incident: Incident): void;
  addPostmortem(postmortem: Postmortem): void;
  addAction(action: ReportAction): void;
  result(): SloReport;
}

// ---------------------------------------------------------------------------------------------------------
// Percentiles over a stream

/** Values kept exactly up to this many; beyond, the sketch is a histogram. */
export const EXACT_LIMIT = 10_000;
/** Sub-buckets per power of two: the histogram's relative bucket width is 1/SUB_BUCKETS. */
const SUB_BUCKETS = 64;

/**
 * The histogram's bucket of a duration: 1-minute buckets below 64 minutes, then 64 buckets per power of two of
 * minutes (width 2^(e-6) minutes for values in [2^e, 2^(e+1))). A year in minutes (~2^19) needs 64 + 13 * 64
 * buckets, so the sketch never holds more than ~900 counts whatever the stream's length.
 */
function bucketOf(ms: number): number {
  const minutes = ms / MINUTE;
  if (minutes < SUB_BUCKETS) return Math.floor(minutes);
  const e = Math.floor(Math.log2(minutes));
  const width = 2 ** (e - 6);
  return (
    SUB_BUCKETS +
    (e - 6) * SUB_BUCKETS +
    Math.min(SUB_BUCKETS - 1, Math.max(0, Math.floor(minutes / width) - SUB_BUCKETS))
  );
}

/** The bucket's range in ms: [low, high). */
function bucketRange(bucket: number): [number, number] {
  if (bucket < SUB_BUCKETS) return [bucket * MINUTE, (bucket + 1) * MINUTE];
  const e = Math.floor((bucket - SUB_BUCKETS) / SUB_BUCKETS) + 6;
  const sub = (bucket - SUB_BUCKETS) % SUB_BUCKETS;
  const width = 2 ** (e - 6);
  return [(SUB_BUCKETS + sub) * width * MINUTE, (SUB_BUCKETS + sub + 1) * width * MINUTE];
}

/**
 * Median, p90 and mean of durations fed one at a time, in bounded memory.
 *
 * Percentiles interpolate linearly between the closest ranks (R-7, numpy's default: for n values sorted as x,
 * p at h = (n - 1) p is x[floor h] + (h - floor h)(x[floor h + 1] - x[floor h])). Exact while at most
 * `EXACT_LIMIT` values were fed. Beyond, each ranked value is its bucket's midpoint clamped to [min, max], so the
 * error is at most half a bucket: 30 seconds below 64 minutes, 1/128 (0.8%) of the value above. The count, mean,
 * min and max are always exact; the bucket counts do not depend on the order of the stream, nor on when the
 * sketch left exact mode, so neither does the result.
 */
export class DurationSketch {
  #values: number[] | undefined = [];
  #buckets = new Map<number, number>();
  #count = 0;
  #sum = 0;
  #min = Number.POSITIVE_INFINITY;
  #max = Number.NEGATIVE_INFINITY;

  add(ms: number): void {
    if (!Number.isFinite(ms)) return;
    const value = Math.max(0, Math.round(ms));
    this.#count += 1;
    this.#sum += value;
    this.#min = Math.min(this.#min, value);
    this.#max = Math.max(this.#max, value);
    const bucket = bucketOf(value);
    this.#buckets.set(bucket, (this.#buckets.get(bucket) ?? 0) + 1);
    if (this.#values) {
      this.#values.push(value);
      if (this.#values.length > EXACT_LIMIT) this.#values = undefined;
    }
  }

  get count(): number {
    return this.#count;
  }

  get exact(): boolean {
    return this.#values !== undefined;
  }

  /** The p-quantile (0 <= p <= 1), or undefined when empty. */
  quantile(p: number): number | undefined {
    if (this.#count === 0) return undefined;
    const h = (this.#count - 1) * Math.min(1, Math.max(0, p));
    const lo = Math.floor(h);
    const hi = Math.ceil(h);
    const [a, b] = this.#values ? this.#exactRanks(lo, hi) : this.#bucketRanks(lo, hi);
    return a + (h - lo) * (b - a);
  }

  mean(): number | undefined {
    return this.#count === 0 ? undefined : this.#sum / this.#count;
  }

  #sorted: number[] | undefined;
  #exactRanks(lo: number, hi: number): [number, number] {
    const values = this.#values ?? [];
    if (this.#sorted?.length !== values.length) this.#sorted = [...values].sort((x, y) => x - y);
    return [this.#sorted[lo] ?? 0, this.#sorted[hi] ?? 0];
  }

  #bucketRanks(lo: number, hi: number): [number, number] {
    const order = [...this.#buckets.keys()].sort((x, y) => x - y);
    const at = (rank: number) => {
      let seen = 0;
      for (const bucket of order) {
        seen += this.#buckets.get(bucket) ?? 0;
        if (rank < seen) {
          const [low, high] = bucketRange(bucket);
          return Math.min(this.#max, Math.max(this.#min, (low + high) / 2));
        }
      }
      return this.#max;
    };
    return [at(lo), at(hi)];
  }

  summary(): Distribution {
    // Whole milliseconds: interpolation leaves float dust (24 minutes as 1440000.0000000002).
    const round = (n: number | undefined) => (n === undefined ? undefined : Math.round(n));
    const median = round(this.quantile(0.5));
    const p90 = round(this.quantile(0.9));
    const mean = round(this.mean());
    return {
      count: this.#count,
      ...(median === undefined ? {} : { medianMs: median }),
      ...(p90 === undefined ? {} : { p90Ms: p90 }),
      ...(mean === undefined ? {} : { meanMs: mean }),
      approximate: !this.exact,
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Bounded, order-independent lists

/** Incident keys in a human order: prefix, then number (HOT-9 before HOT-10). */
export function compareKeys(a: string, b: string): number {
  const ma = /^(.*?)-(\d+)$/.exec(a);
  const mb = /^(.*?)-(\d+)$/.exec(b);
  if (ma && mb && ma[1] === mb[1]) return Number(ma[2]) - Number(mb[2]);
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Keeps the first `limit` items by `compare` of everything added, and how many were added: the kept items do
 * not depend on the order they came in. Sorts only when twice the limit piles up (amortised O(log n) per add).
 */
class TopList<T> {
  #items: T[] = [];
  total = 0;
  constructor(
    private readonly limit: number,
    private readonly compare: (a: T, b: T) => number,
  ) {}
  add(item: T): void {
    this.total += 1;
    this.#items.push(item);
    if (this.#items.length >= Math.max(2 * this.limit, 64)) this.#trim();
  }
  #trim(): void {
    this.#items.sort(this.compare);
    this.#items.length = Math.min(this.#items.length, this.limit);
  }
  values(): T[] {
    this.#trim();
    return [...this.#items];
  }
}

class ConformanceCounter {
  applicable = 0;
  met = 0;
  #missed: TopList<string>;
  constructor(limit: number) {
    this.#missed = new TopList(limit, compareKeys);
  }
  record(key: string, met: boolean): void {
    this.applicable += 1;
    if (met) this.met += 1;
    else this.#missed.add(key);
  }
  result(): Conformance {
    return {
      applicable: this.applicable,
      met: this.met,
      ...(this.applicable > 0 ? { share: this.met / this.applicable } : {}),
      missedCount: this.#missed.total,
      missed: this.#missed.values(),
    };
  }
}

// ---------------------------------------------------------------------------------------------------------
// Per period

const severityCounts = (): Record<Severity, number> => ({ 1: 0, 2: 0, 3: 0 });
const asSeverity = (n: number): Severity => (n <= 1 ? 1 : n >= 3 ? 3 : 2);
const ms = (iso: string | undefined): number | undefined => {
  if (!iso) return undefined;
  const t = Date.parse(iso);
  return Number.isNaN(t) ? undefined : t;
};

function parseInstant(value: string, name: string): number {
  const t = Date.parse(value);
  if (Number.isNaN(t)) throw new RangeError(`${name} is not a date: ${value}`);
  return t;
}

/** The availability objective of a service, when its configuration has one (a percentage in (0, 100)). */
export function availabilityObjective(service: Service | undefined): number | undefined {
  const value = (service as { availabilityObjective?: unknown } | undefined)?.availabilityObjective;
  return typeof value === 'number' && Number.isFinite(value) && value > 0 && value < 100 ? value : undefined;
}

class PeriodAccumulator {
  readonly fromMs: number;
  readonly toMs: number;
  incidents = 0;
  bySeverity = severityCounts();
  byResolution: Record<ResolutionKind, number> = Object.fromEntries(
    RESOLUTION_KINDS.map((k) => [k, 0]),
  ) as Record<ResolutionKind, number>;
  services = new Map<string, { incidents: number; bySeverity: Record<Severity, number>; impactMs: number }>();
  impactMs = 0;
  ttd = new DurationSketch();
  ttr = new DurationSketch();
  postmortems = 0;
  byStatus: Record<PostmortemStatus, number> = { draft: 0, 'in-review': 0, approved: 0, published: 0 };
  late: TopList<string>;
  rootCauses: Record<RootCauseCategory | 'unset', number> = {
    ...(recordFromCategories() as Record<RootCauseCategory, number>),
    unset: 0,
  };
  recurrences: TopList<{ key: string; recurrenceOf: string }>;
  acknowledged: ConformanceCounter;
  firstComms: ConformanceCounter;
  updates: ConformanceCounter;
  postmortemApproved: ConformanceCounter;
  actionsOnTime: ConformanceCounter;

  constructor(
    readonly period: Period,
    keysPerList: number,
  ) {
    this.fromMs = parseInstant(period.from, 'from');
    this.toMs = parseInstant(period.to, 'to');
    this.late = new TopList(keysPerList, compareKeys);
    this.recurrences = new TopList(keysPerList, (a, b) => compareKeys(a.key, b.key));
    this.acknowledged = new ConformanceCounter(keysPerList);
    this.firstComms = new ConformanceCounter(keysPerList);
    this.updates = new ConformanceCounter(keysPerList);
    this.postmortemApproved = new ConformanceCounter(keysPerList);
    this.actionsOnTime = new ConformanceCounter(keysPerList);
  }

  contains(instant: number | undefined): boolean {
    return instant !== undefined && instant >= this.fromMs && instant < this.toMs;
  }

  /** The overlap of [start, end) with the period, in ms (never negative). */
  overlap(start: number, end: number): number {
    return Math.max(0, Math.min(end, this.toMs) - Math.max(start, this.fromMs));
  }
}

function recordFromCategories(): Record<string, number> {
  return Object.fromEntries(rootCauseCategories.map((c) => [c, 0]));
}

// ---------------------------------------------------------------------------------------------------------
// The accumulator

interface NotFixed {
  severity: number;
  service: string;
  ownerTeams: Set<string>;
  /** Open tracked priority actions read. */
  open: number;
  /** Open priority actions of a postmortem not yet approved. */
  pendingOpen: number;
  pending: boolean;
  earliestDue?: number;
  openedAt?: number;
}

const CROCKFORD = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';

/** When a ULID was made (its first 10 characters are ms since the epoch in Crockford base 32). */
export function ulidTime(id: string | undefined): number | undefined {
  if (!id || !/^[0-7][0-9A-HJKMNP-TV-Z]{25}$/i.test(id)) return undefined;
  let time = 0;
  for (const c of id.slice(0, 10).toUpperCase()) time = time * 32 + CROCKFORD.indexOf(c);
  return time;
}

/** The last resort of a total order: only reached by rows equal in every field compared before. */
function tieBreak(a: unknown, b: unknown): number {
  const x = JSON.stringify(a);
  const y = JSON.stringify(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

/** Minutes, to a tenth (of whole-ms sums, so the rounding does not depend on the order of the stream). */
const minutes = (milliseconds: number) => Math.round(milliseconds / 6_000) / 10;
const days = (milliseconds: number) => Math.floor(milliseconds / DAY);

export function createReportAccumulator(options: ReportOptions): ReportAccumulator {
  const org = options.organisation;
  const nowMs = typeof options.now === 'string' ? parseInstant(options.now, 'now') : options.now.getTime();
  if (Number.isNaN(nowMs)) throw new RangeError('now is not a date');
  const firstCommsMinutes = options.firstCommsMinutes ?? 15;
  const postmortemBusinessDays = options.postmortemBusinessDays ?? 5;
  const dueSoonDays = options.dueSoonDays ?? 7;
  const keysPerList = options.keysPerList ?? 20;
  const rowLimit = options.rowLimit ?? 5_000;
  const current = new PeriodAccumulator({ from: options.from, to: options.to }, keysPerList);
  const previous = new PeriodAccumulator(options.previous, keysPerList);
  for (const p of [current, previous]) {
    if (p.fromMs >= p.toMs) throw new RangeError(`from must be before to: ${p.period.from} - ${p.period.to}`);
  }
  const ignored = { incidents: 0, postmortems: 0 };

  const serviceConfig = (id: string): Service | undefined =>
    Object.hasOwn(org.services, id) ? org.services[id] : undefined;
  const serviceOrDefault = (id: string): Service => serviceOf(org, id);

  const periodOf = (instant: number | undefined) =>
    current.contains(instant) ? current : previous.contains(instant) ? previous : undefined;

  // As-of-now backlog.
  const priority = { open: 0, dueSoon: 0, overdue: 0 };
  let improvementOpen = 0;
  /**
   * Sev 1-2 incidents with open priority actions or a postmortem not yet approved: only these are held (the
   * list the report shows). Every field merges commutatively (min, union, sum), so the order of items does not
   * matter, and a postmortem's own action count is used only when no tracked action was read.
   */
  const notFixed = new Map<string, NotFixed>();
  const notFixedEntry = (key: string, severity: number, service: string): NotFixed => {
    let entry = notFixed.get(key);
    if (!entry) {
      entry = { severity, service, ownerTeams: new Set(), open: 0, pendingOpen: 0, pending: false };
      notFixed.set(key, entry);
    }
    entry.severity = Math.min(entry.severity, severity);
    if (service < entry.service) entry.service = service;
    return entry;
  };
  const minOf = (a: number | undefined, b: number | undefined) =>
    a === undefined ? b : b === undefined ? a : Math.min(a, b);

  const incidentRows = new TopList<IncidentRow>(
    rowLimit,
    (a, b) =>
      a.severity - b.severity ||
      (a.openedAt < b.openedAt ? 1 : a.openedAt > b.openedAt ? -1 : 0) ||
      compareKeys(a.key, b.key) ||
      // The same key twice is bad input; even then the kept rows must not depend on the order.
      tieBreak(a, b),
  );
  const actionRows = new TopList<ActionRow>(
    rowLimit,
    (a, b) =>
      (a.status === b.status ? 0 : a.status === 'open' ? -1 : 1) ||
      (b.overdueDays ?? -1) - (a.overdueDays ?? -1) ||
      compareKeys(a.incidentKey, b.incidentKey) ||
      (a.id < b.id ? -1 : a.id > b.id ? 1 : 0) ||
      tieBreak(a, b),
  );

  // Per lower-cased address: its latest bounce in the current period, and the incidents it missed.
  const bounced = new Map<string, { latest: CommsBounce; keys: Set<string> }>();
  function addCommsBounces(incident: Incident): void {
    for (const b of incident.commsBounces ?? []) {
      if (!current.contains(ms(b.at))) continue;
      const address = b.address.toLowerCase();
      const entry = bounced.get(address);
      if (!entry) {
        bounced.set(address, { latest: b, keys: new Set([incident.key]) });
        continue;
      }
      entry.keys.add(incident.key);
      // The latest wins; at the same instant, the greater outcome (the same whatever the order).
      if (b.at > entry.latest.at || (b.at === entry.latest.at && b.outcome > entry.latest.outcome))
        entry.latest = b;
    }
  }

  function addIncident(incident: Incident): void {
    addCommsBounces(incident);
    const p = periodOf(ms(incident.openedAt));
    if (!p) {
      ignored.incidents += 1;
      return;
    }
    const severity = asSeverity(incident.severity);
    p.incidents += 1;
    p.bySeverity[severity] += 1;
    const kind = incident.status === 'resolved' ? (incident.resolution ?? 'resolved') : undefined;
    if (kind) p.byResolution[kind] += 1;
    const impactful = hadImpact(kind);
    const start = ms(incident.impactStartedAt);
    const end = ms(incident.impactEndedAt) ?? (incident.status === 'resolved' ? undefined : nowMs);
    const impact = impactful && start !== undefined && end !== undefined ? p.overlap(start, end) : 0;
    p.impactMs += impact;
    let s = p.services.get(incident.service);
    if (!s) {
      s = { incidents: 0, bySeverity: severityCounts(), impactMs: 0 };
      p.services.set(incident.service, s);
    }
    s.incidents += 1;
    s.bySeverity[severity] += 1;
    s.impactMs += impact;

    const metrics = metricsOf(incident);
    if (impactful && metrics.timeToDetectMs !== undefined) p.ttd.add(metrics.timeToDetectMs);
    if (impactful && metrics.timeToRecoverMs !== undefined) p.ttr.add(metrics.timeToRecoverMs);

    if (incident.recurrenceOf) p.recurrences.add({ key: incident.key, recurrenceOf: incident.recurrenceOf });

    conformance(p, incident, severity);

    if (p === current) {
      incidentRows.add({
        key: incident.key,
        severity: incident.severity,
        service: incident.service,
        status: incident.status,
        summary: incident.summary,
        openedAt: incident.openedAt,
        impactStartedAt: incident.impactStartedAt,
        detectedAt: incident.detectedAt,
        ...(incident.acknowledgedAt ? { acknowledgedAt: incident.acknowledgedAt } : {}),
        ...(incident.impactEndedAt ? { impactEndedAt: incident.impactEndedAt } : {}),
        ...(metrics.timeToDetectMs === undefined
          ? {}
          : { timeToDetectMinutes: minutes(metrics.timeToDetectMs) }),
        ...(metrics.timeToRecoverMs === undefined
          ? {}
          : { timeToRecoverMinutes: minutes(metrics.timeToRecoverMs) }),
        impactMinutes: minutes(impact),
        ...(incident.recurrenceOf ? { recurrenceOf: incident.recurrenceOf } : {}),
        ...(kind ? { resolution: kind } : {}),
      });
    }
  }

  /**
   * The handbook's process, per incident. A rule applies once it can be judged: a deadline that has not yet
   * passed with nothing recorded is neither met nor missed.
   */
  function conformance(p: PeriodAccumulator, incident: Incident, severity: Severity): void {
    const service = serviceOrDefault(incident.service);
    const ended = ms(incident.resolvedAt) ?? ms(incident.impactEndedAt);
    const resolved = incident.status === 'resolved';
    /**
     * Met when done by the deadline; missed when done late, or not done once the deadline passed while the
     * incident was still open (resolved before its deadline with nothing to do: the rule does not apply).
     */
    const judge = (counter: ConformanceCounter, deadline: number, doneAt: number | undefined) => {
      if (doneAt !== undefined) counter.record(incident.key, doneAt <= deadline);
      else if (resolved ? (ended ?? nowMs) > deadline : nowMs > deadline) counter.record(incident.key, false);
    };
    // Acknowledged within the severity's timeout, from the page (sev 1-2) or the team's notice (sev 3).
    const asked = ms(incident.pagedAt) ?? ms(incident.teamNotifiedAt);
    const ack = ms(incident.acknowledgedAt);
    if (asked !== undefined) {
      judge(p.acknowledged, asked + acknowledgeTimeoutSeconds(service, severity) * 1000, ack);
    }
    // First comms within N minutes of the acknowledgement (comms before it are on time).
    if (ack !== undefined) judge(p.firstComms, ack + firstCommsMinutes * MINUTE, ms(incident.firstCommsAt));
    // Updates before they were due: only where the severity has a cadence and the incident reached comms.
    if (cadenceMinutes(service, severity) !== undefined && incident.firstCommsAt) {
      p.updates.record(incident.key, (incident.missedUpdates ?? 0) === 0);
    }
  }

  function addPostmortem(pm: Postmortem): void {
    // The backlog, whatever the period: a sev 1-2 postmortem not yet approved leaves its root cause unfixed.
    if (pm.severity <= 2 && (pm.status === 'draft' || pm.status === 'in-review')) {
      const entry = notFixedEntry(pm.key, pm.severity, pm.service);
      entry.pending = true;
      entry.ownerTeams.add(pm.ownerTeam);
      entry.pendingOpen += pm.actions.filter((a) => a.kind === 'priority' && a.status === 'open').length;
      entry.earliestDue = minOf(entry.earliestDue, postmortemDue(pm));
      entry.openedAt = minOf(entry.openedAt, ulidTime(pm.incidentId));
    }
    const p = periodOf(ms(pm.openedAt));
    if (!p) {
      ignored.postmortems += 1;
      return;
    }
    p.postmortems += 1;
    if (pm.status in p.byStatus) p.byStatus[pm.status] += 1;
    const category = pm.fields.rootCauseCategory;
    if (category && category in p.rootCauses) p.rootCauses[category] += 1;
    else p.rootCauses.unset += 1;
    const due = postmortemDue(pm);
    const approved = ms(pm.approvedAt) ?? (pm.status === 'published' ? ms(pm.publishedAt) : undefined);
    if (due === undefined) return;
    if (approved !== undefined) {
      p.postmortemApproved.record(pm.key, approved <= due);
      if (approved > due) p.late.add(pm.key);
    } else if (nowMs > due) {
      p.postmortemApproved.record(pm.key, false);
      p.late.add(pm.key);
    }
  }

  /**
   * The postmortem's due time: its recorded `due` (set at opening from the service's business hours), else N
   * business days after it opened (it opens at resolution).
   */
  function postmortemDue(pm: Postmortem): number | undefined {
    const recorded = ms(pm.due);
    if (recorded !== undefined) return recorded;
    const opened = ms(pm.openedAt);
    if (opened === undefined) return undefined;
    return addBusinessDays(
      serviceOrDefault(pm.service).businessHours,
      new Date(opened),
      postmortemBusinessDays,
    ).getTime();
  }

  function addAction(action: ReportAction): void {
    const due = ms(action.dueAt);
    const done = action.status === 'done';
    const doneAt = ms(action.doneAt);
    const fixedDue = due !== undefined && !action.dueProvisional ? due : undefined;
    if (action.kind === 'priority') {
      if (!done) {
        priority.open += 1;
        if (fixedDue !== undefined && fixedDue < nowMs) priority.overdue += 1;
        else if (fixedDue !== undefined && fixedDue - nowMs <= dueSoonDays * DAY) priority.dueSoon += 1;
        if (action.severity <= 2) {
          const entry = notFixedEntry(action.incidentKey, action.severity, action.service);
          entry.open += 1;
          entry.ownerTeams.add(action.ownerTeam);
          entry.earliestDue = minOf(entry.earliestDue, fixedDue);
          entry.openedAt = minOf(entry.openedAt, ms(action.incidentOpenedAt) ?? ulidTime(action.incidentId));
        }
      }
      // On time: of the priority actions due in a period, those done by their due date; one not done counts
      // once its due date has passed.
      const p = periodOf(fixedDue);
      if (p && fixedDue !== undefined && (done || fixedDue < nowMs)) {
        p.actionsOnTime.record(action.incidentKey, done && doneAt !== undefined && doneAt <= fixedDue);
      }
    } else if (!done) {
      improvementOpen += 1;
    }
    const lateBy =
      fixedDue === undefined
        ? undefined
        : Math.max(0, days((done ? (doneAt ?? fixedDue) : nowMs) - fixedDue));
    actionRows.add({
      id: action.id,
      incidentKey: action.incidentKey,
      severity: action.severity,
      service: action.service,
      title: action.title,
      kind: action.kind,
      category: action.category,
      ownerTeam: action.ownerTeam,
      status: action.status,
      ...(action.dueAt ? { dueAt: action.dueAt } : {}),
      ...(action.doneAt ? { doneAt: action.doneAt } : {}),
      ...(lateBy === undefined ? {} : { overdueDays: lateBy }),
      ...(action.trackerUrl ? { trackerUrl: action.trackerUrl } : {}),
    });
  }

  function periodFigures(p: PeriodAccumulator): PeriodFigures {
    const periodMinutes = (p.toMs - p.fromMs) / MINUTE;
    const ids = [...new Set([...Object.keys(org.services), ...p.services.keys()])].sort();
    const byService = ids.map((id): ServiceFigures => {
      const s = p.services.get(id);
      const config = serviceConfig(id);
      const objective = availabilityObjective(config);
      const impactMinutes = minutes(s?.impactMs ?? 0);
      const allowed = objective === undefined ? undefined : ((100 - objective) / 100) * periodMinutes;
      return {
        service: id,
        name: config?.name ?? id,
        incidents: s?.incidents ?? 0,
        bySeverity: s ? { ...s.bySeverity } : severityCounts(),
        impactMinutes,
        ...(objective === undefined || allowed === undefined
          ? {}
          : {
              availabilityObjective: objective,
              allowedMinutes: Math.round(allowed * 10) / 10,
              budgetUsed: allowed > 0 ? impactMinutes / allowed : 0,
            }),
      };
    });
    return {
      from: p.period.from,
      to: p.period.to,
      incidents: p.incidents,
      bySeverity: { ...p.bySeverity },
      byService,
      impactMinutes: minutes(p.impactMs),
      byResolution: { ...p.byResolution },
      postmortems: {
        total: p.postmortems,
        byStatus: { ...p.byStatus },
        lateApproval: p.late.total,
        lateKeys: p.late.values(),
      },
      rootCauses: { ...p.rootCauses },
      recurrences: { count: p.recurrences.total, incidents: p.recurrences.values() },
      conformance: {
        acknowledged: p.acknowledged.result(),
        firstComms: p.firstComms.result(),
        updates: p.updates.result(),
        postmortemApproved: p.postmortemApproved.result(),
      },
      priorityActionsOnTime: p.actionsOnTime.result(),
    };
  }

  function change(a: PeriodAccumulator, b: PeriodAccumulator, pick: 'ttd' | 'ttr'): DistributionChange {
    const cur = a[pick].summary();
    const prev = b[pick].summary();
    const diff = (x?: number, y?: number) => (x === undefined || y === undefined ? undefined : x - y);
    const medianMs = diff(cur.medianMs, prev.medianMs);
    const p90Ms = diff(cur.p90Ms, prev.p90Ms);
    const meanMs = diff(cur.meanMs, prev.meanMs);
    return {
      current: cur,
      previous: prev,
      change: {
        ...(medianMs === undefined ? {} : { medianMs }),
        ...(p90Ms === undefined ? {} : { p90Ms }),
        ...(meanMs === undefined ? {} : { meanMs }),
      },
    };
  }

  function result(): SloReport {
    const handbook = new TopList<HandbookRow>(
      rowLimit,
      (a, b) => b.overdueDays - a.overdueDays || a.severity - b.severity || compareKeys(a.key, b.key),
    );
    for (const [key, e] of notFixed) {
      handbook.add({
        key,
        severity: e.severity,
        service: e.service,
        ownerTeams: [...e.ownerTeams].sort(),
        openPriorityActions: e.open > 0 ? e.open : e.pendingOpen,
        postmortemPending: e.pending,
        ...(e.openedAt === undefined ? {} : { ageDays: Math.max(0, days(nowMs - e.openedAt)) }),
        overdueDays: e.earliestDue === undefined ? 0 : Math.max(0, days(nowMs - e.earliestDue)),
      });
    }
    const bounceRows = new TopList<CommsBounceRow>(rowLimit, (a, b) =>
      a.lastAt < b.lastAt ? 1 : a.lastAt > b.lastAt ? -1 : a.address < b.address ? -1 : 1,
    );
    for (const [address, { latest, keys }] of bounced) {
      const sorted = [...keys].sort(compareKeys);
      bounceRows.add({
        address,
        outcome: latest.outcome,
        ...(latest.detail ? { detail: latest.detail } : {}),
        lastAt: latest.at,
        incidents: sorted.slice(0, keysPerList),
        incidentCount: sorted.length,
      });
    }
    return {
      generatedAt: new Date(nowMs).toISOString(),
      current: periodFigures(current),
      previous: periodFigures(previous),
      timeToDetect: change(current, previous, 'ttd'),
      timeToRecover: change(current, previous, 'ttr'),
      rootCausesNotFixed: { count: handbook.total, rows: handbook.values() },
      priorityActions: { ...priority, dueSoonDays },
      improvementActionsOpen: improvementOpen,
      incidentRows: { total: incidentRows.total, rows: incidentRows.values() },
      actionRows: { total: actionRows.total, rows: actionRows.values() },
      commsBounces: { total: bounceRows.total, rows: bounceRows.values() },
      parameters: { firstCommsMinutes, postmortemBusinessDays, keysPerList },
      ignored: { ...ignored },
    };
  }

  return { addIncident, addPostmortem, addAction, result };
}
