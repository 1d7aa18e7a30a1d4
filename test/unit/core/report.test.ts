import fc from 'fast-check';
import { ulid } from 'ulid';
import { describe, expect, it } from 'vitest';
import type { Incident } from '../../../functions/core/incident.ts';
import type { Postmortem } from '../../../functions/core/postmortem.ts';
import {
  availabilityObjective,
  compareKeys,
  createReportAccumulator,
  DurationSketch,
  EXACT_LIMIT,
  type ReportAction,
  type SloReport,
  ulidTime,
} from '../../../functions/core/report.ts';
import {
  action,
  actions,
  incident,
  incidents,
  postmortem,
  postmortems,
  reportOptions,
  reportOrganisation,
} from './report-support.ts';

const MIN = 60_000;

function build(items = { incidents, postmortems, actions }, options = reportOptions): SloReport {
  const acc = createReportAccumulator(options);
  for (const i of items.incidents) acc.addIncident(i);
  for (const p of items.postmortems) acc.addPostmortem(p);
  for (const a of items.actions) acc.addAction(a);
  return acc.result();
}

/** R-7 (numpy's default) from a sort: the definition the sketch must match exactly in exact mode. */
function quantileBySort(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  const h = (sorted.length - 1) * p;
  const lo = Math.floor(h);
  const a = sorted[lo] ?? 0;
  const b = sorted[Math.ceil(h)] ?? 0;
  return a + (h - lo) * (b - a);
}

describe('the SLO report on a hand-computed data set', () => {
  const report = build();
  const cur = report.current;
  const prev = report.previous;

  it('counts incidents by severity and service, and ignores what is in neither period', () => {
    expect(cur.incidents).toBe(4);
    expect(cur.bySeverity).toEqual({ 1: 1, 2: 2, 3: 1 });
    expect(prev.incidents).toBe(1);
    expect(prev.bySeverity).toEqual({ 1: 0, 2: 1, 3: 0 });
    expect(report.ignored).toEqual({ incidents: 1, postmortems: 0 });
    const checkout = cur.byService.find((s) => s.service === 'checkout');
    const unknown = cur.byService.find((s) => s.service === 'unknown');
    expect(checkout).toMatchObject({ name: 'Checkout', incidents: 3, bySeverity: { 1: 1, 2: 2, 3: 0 } });
    expect(unknown).toMatchObject({ name: 'Unassigned', incidents: 1, bySeverity: { 1: 0, 2: 0, 3: 1 } });
  });

  it('sums minutes of impact within the period (an open incident until the end of the period)', () => {
    // HOT-11 65, HOT-12 120, HOT-14 open from 23:00 until the period ends at midnight: 60; HOT-13 120.
    expect(cur.byService.find((s) => s.service === 'checkout')?.impactMinutes).toBe(245);
    expect(cur.byService.find((s) => s.service === 'unknown')?.impactMinutes).toBe(120);
    expect(cur.impactMinutes).toBe(365);
    expect(prev.impactMinutes).toBe(60);
  });

  it('sets the minutes an availability objective allows against the minutes used', () => {
    const checkout = cur.byService.find((s) => s.service === 'checkout');
    // 99.9% of a week (10,080 minutes) allows 10.08 minutes.
    expect(checkout?.availabilityObjective).toBe(99.9);
    expect(checkout?.allowedMinutes).toBe(10.1);
    expect(checkout?.budgetUsed).toBeCloseTo(245 / 10.08, 9);
    expect(cur.byService.find((s) => s.service === 'unknown')?.allowedMinutes).toBeUndefined();
  });

  it('gives time to detect and recover as median, p90 and mean, with the change', () => {
    // TTD: 5, 10, 30, 2 min -> sorted 2, 5, 10, 30: median 7.5, p90 at rank 2.7 = 10 + 0.7 * 20 = 24, mean 11.75.
    expect(report.timeToDetect.current).toEqual({
      count: 4,
      medianMs: 7.5 * MIN,
      p90Ms: 24 * MIN,
      meanMs: 11.75 * MIN,
      approximate: false,
    });
    expect(report.timeToDetect.previous).toMatchObject({ count: 1, medianMs: 20 * MIN, p90Ms: 20 * MIN });
    expect(report.timeToDetect.change).toEqual({
      medianMs: -12.5 * MIN,
      p90Ms: 4 * MIN,
      meanMs: -8.25 * MIN,
    });
    // TTR: 65, 120, 120 (HOT-14 is open): median 120, p90 120, mean 101.67; previous 60.
    expect(report.timeToRecover.current).toMatchObject({ count: 3, medianMs: 120 * MIN, p90Ms: 120 * MIN });
    expect(report.timeToRecover.current.meanMs).toBe(Math.round((305 / 3) * MIN));
    expect(report.timeToRecover.change.medianMs).toBe(60 * MIN);
    expect(report.timeToRecover.change.meanMs).toBe(Math.round((305 / 3) * MIN) - 60 * MIN);
  });

  it("lists the handbook's sev 1-2 incidents whose root cause is not yet fixed", () => {
    expect(report.rootCausesNotFixed.count).toBe(2);
    expect(report.rootCausesNotFixed.rows).toEqual([
      // a2 was due 25 Nov 09:00: 5 days overdue; opened 24 Nov 10:05: 5 days 22:55 old, 5 whole days.
      {
        key: 'HOT-11',
        severity: 1,
        service: 'checkout',
        ownerTeams: ['Payments', 'Platform'],
        openPriorityActions: 2,
        postmortemPending: false,
        ageDays: 5,
        overdueDays: 5,
      },
      // a4's due date is provisional and the postmortem in review is due on 2 Dec: not overdue.
      {
        key: 'HOT-12',
        severity: 2,
        service: 'checkout',
        ownerTeams: ['Payments'],
        openPriorityActions: 1,
        postmortemPending: true,
        ageDays: 4,
        overdueDays: 0,
      },
    ]);
  });

  it('counts priority actions open, due soon, overdue and done on time', () => {
    expect(report.priorityActions).toEqual({ open: 4, dueSoon: 1, overdue: 1, dueSoonDays: 7 });
    expect(report.improvementActionsOpen).toBe(1);
    expect(cur.priorityActionsOnTime).toEqual({
      applicable: 2,
      met: 1,
      share: 0.5,
      missedCount: 1,
      missed: ['HOT-11'],
    });
    expect(prev.priorityActionsOnTime).toMatchObject({ applicable: 1, met: 0, share: 0, missed: ['HOT-9'] });
  });

  it('counts postmortems by status and those not approved within 5 business days', () => {
    expect(cur.postmortems).toEqual({
      total: 2,
      byStatus: { draft: 0, 'in-review': 1, approved: 1, published: 0 },
      lateApproval: 0,
      lateKeys: [],
    });
    expect(prev.postmortems).toEqual({
      total: 1,
      byStatus: { draft: 0, 'in-review': 0, approved: 0, published: 1 },
      lateApproval: 1,
      lateKeys: ['HOT-9'],
    });
  });

  it('measures process conformance with the incidents that missed each rule', () => {
    expect(cur.conformance.acknowledged).toEqual({
      applicable: 4,
      met: 3,
      share: 0.75,
      missedCount: 1,
      missed: ['HOT-12'],
    });
    // HOT-14 is still open 10 hours after its acknowledgement with no comms.
    expect(cur.conformance.firstComms).toEqual({
      applicable: 4,
      met: 2,
      share: 0.5,
      missedCount: 2,
      missed: ['HOT-12', 'HOT-14'],
    });
    // Sev 3 has no cadence; HOT-14 never reached comms.
    expect(cur.conformance.updates).toEqual({
      applicable: 2,
      met: 1,
      share: 0.5,
      missedCount: 1,
      missed: ['HOT-12'],
    });
    // HOT-12's is in review before its due date: not yet judged.
    expect(cur.conformance.postmortemApproved).toEqual({
      applicable: 1,
      met: 1,
      share: 1,
      missedCount: 0,
      missed: [],
    });
    expect(prev.conformance.postmortemApproved).toMatchObject({ applicable: 1, met: 0, missed: ['HOT-9'] });
    expect(prev.conformance.acknowledged.share).toBe(1);
  });

  it('counts root-cause categories and recurrences', () => {
    expect(cur.rootCauses).toEqual({
      bug: 1,
      change: 1,
      scale: 0,
      architecture: 0,
      dependency: 0,
      unknown: 0,
      unset: 0,
    });
    expect(prev.rootCauses.unset).toBe(1);
    expect(cur.recurrences).toEqual({ count: 1, incidents: [{ key: 'HOT-13', recurrenceOf: 'HOT-11' }] });
    expect(prev.recurrences.count).toBe(0);
  });

  it('keeps the rows for the CSV attachments', () => {
    expect(report.incidentRows.total).toBe(4);
    expect(report.incidentRows.rows.map((r) => r.key)).toEqual(['HOT-11', 'HOT-14', 'HOT-12', 'HOT-13']);
    expect(report.incidentRows.rows[0]).toMatchObject({
      timeToDetectMinutes: 5,
      timeToRecoverMinutes: 65,
      impactMinutes: 65,
    });
    expect(report.actionRows.total).toBe(7);
    const a2 = report.actionRows.rows.find((r) => r.id === 'a2');
    expect(a2).toMatchObject({ status: 'open', overdueDays: 5, ownerTeam: 'Platform' });
    expect(report.actionRows.rows.find((r) => r.id === 'a5')?.overdueDays).toBe(1);
  });
});

describe('report edge cases', () => {
  it('judges an unacknowledged incident only once its deadline passed while it was open', () => {
    const quick = incident('HOT-20', {
      severity: 1,
      pagedAt: '2026-11-24T10:00:00.000Z',
      resolvedAt: '2026-11-24T10:03:00.000Z',
      impactEndedAt: '2026-11-24T10:03:00.000Z',
    });
    const ignoredPage = incident('HOT-21', {
      severity: 1,
      pagedAt: '2026-11-24T10:00:00.000Z',
      resolvedAt: '2026-11-24T11:00:00.000Z',
      impactEndedAt: '2026-11-24T11:00:00.000Z',
    });
    const waiting = incident('HOT-22', {
      status: 'paged',
      severity: 2,
      openedAt: '2026-11-29T23:50:00.000Z',
      pagedAt: '2026-11-30T08:55:00.000Z',
    });
    const report = build({ incidents: [quick, ignoredPage, waiting], postmortems: [], actions: [] });
    expect(report.current.conformance.acknowledged).toMatchObject({
      applicable: 1,
      met: 0,
      missed: ['HOT-21'],
    });
  });

  it('reads an availability objective defensively', () => {
    expect(availabilityObjective(undefined)).toBeUndefined();
    expect(availabilityObjective({ availabilityObjective: 'high' } as never)).toBeUndefined();
    expect(availabilityObjective({ availabilityObjective: 100 } as never)).toBeUndefined();
    expect(availabilityObjective({ availabilityObjective: 99.5 } as never)).toBe(99.5);
  });

  it('caps the lists of keys and keeps the count exact', () => {
    const many = Array.from({ length: 30 }, (_, i) =>
      incident(`HOT-${100 + i}`, {
        severity: 1,
        pagedAt: '2026-11-24T10:00:00.000Z',
        acknowledgedAt: '2026-11-24T11:00:00.000Z',
      }),
    );
    const report = build(
      { incidents: many.reverse(), postmortems: [], actions: [] },
      {
        ...reportOptions,
        keysPerList: 5,
      },
    );
    expect(report.current.conformance.acknowledged.missedCount).toBe(30);
    expect(report.current.conformance.acknowledged.missed).toEqual([
      'HOT-100',
      'HOT-101',
      'HOT-102',
      'HOT-103',
      'HOT-104',
    ]);
  });

  it('refuses a period that ends before it starts, and a malformed date', () => {
    expect(() => createReportAccumulator({ ...reportOptions, to: reportOptions.from })).toThrow(/before/);
    expect(() => createReportAccumulator({ ...reportOptions, from: 'yesterday' })).toThrow(
      /from is not a date/,
    );
  });

  it('computes a missing postmortem due date from business days after it opened', () => {
    // Opened Friday 27 Nov: 5 business days later is Friday 4 Dec 17:00 UTC; approved on 3 Dec is on time.
    const pm = postmortem('HOT-30', {
      due: '',
      status: 'approved',
      openedAt: '2026-11-27T12:00:00.000Z',
      approvedAt: '2026-12-03T12:00:00.000Z',
    });
    const late = postmortem('HOT-31', {
      due: '',
      status: 'approved',
      openedAt: '2026-11-27T12:00:00.000Z',
      approvedAt: '2026-12-04T17:00:00.001Z',
    });
    const report = build({ incidents: [], postmortems: [pm, late], actions: [] });
    expect(report.current.conformance.postmortemApproved).toMatchObject({
      applicable: 2,
      met: 1,
      missed: ['HOT-31'],
    });
  });

  it("lists a sev 1-2 postmortem not yet approved, whatever its period, with the age from the incident's ULID", () => {
    const openedAt = Date.parse('2026-09-01T08:00:00.000Z');
    const pm = postmortem('HOT-5', {
      incidentId: ulid(openedAt),
      severity: 1,
      status: 'draft',
      openedAt: '2026-09-01T12:00:00.000Z',
      due: '2026-09-08T17:00:00.000Z',
      ownerTeam: 'Search',
      actions: [
        { id: 'x1', title: 'Fix', kind: 'priority', category: 'repair', ownerTeam: 'Search', status: 'open' },
        { id: 'x2', title: 'Fix', kind: 'priority', category: 'repair', ownerTeam: 'Search', status: 'open' },
        {
          id: 'x3',
          title: 'Nice',
          kind: 'improvement',
          category: 'detect',
          ownerTeam: 'Search',
          status: 'open',
        },
      ],
    });
    const sev3 = postmortem('HOT-6', { severity: 3, status: 'draft' });
    const report = build({ incidents: [], postmortems: [pm, sev3], actions: [] });
    expect(report.ignored.postmortems).toBe(1);
    expect(report.rootCausesNotFixed.rows).toEqual([
      {
        key: 'HOT-5',
        severity: 1,
        service: 'checkout',
        ownerTeams: ['Search'],
        openPriorityActions: 2,
        postmortemPending: true,
        // 1 Sep 08:00 to 30 Nov 09:00; due 8 Sep 17:00 to 30 Nov 09:00.
        ageDays: 90,
        overdueDays: 82,
      },
    ]);
  });

  it('reads the time of a ULID', () => {
    expect(ulidTime(ulid(1_764_000_000_123))).toBe(1_764_000_000_123);
    expect(ulidTime('id-HOT-1')).toBeUndefined();
    expect(ulidTime(undefined)).toBeUndefined();
  });

  it('orders keys by number', () => {
    expect(['HOT-10', 'HOT-9', 'ABC-1'].sort(compareKeys)).toEqual(['ABC-1', 'HOT-9', 'HOT-10']);
  });
});

describe('DurationSketch', () => {
  it('is exact against a sort for small sets', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 30 * 86_400_000 }), { minLength: 1, maxLength: 300 }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (values, p) => {
          const sketch = new DurationSketch();
          for (const v of values) sketch.add(v);
          expect(sketch.exact).toBe(true);
          expect(sketch.quantile(p)).toBeCloseTo(quantileBySort(values, p), 6);
          expect(sketch.mean()).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 6);
        },
      ),
    );
  });

  it('stays within half a bucket (30 s, or 1/128 of the value) beyond the exact limit', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 0, max: 365 * 86_400_000 }), {
          minLength: EXACT_LIMIT + 1,
          maxLength: EXACT_LIMIT + 500,
        }),
        (values) => {
          const sketch = new DurationSketch();
          for (const v of values) sketch.add(v);
          expect(sketch.exact).toBe(false);
          const sorted = [...values].sort((a, b) => a - b);
          for (const p of [0, 0.1, 0.5, 0.9, 0.99, 1]) {
            const exact = quantileBySort(values, p);
            const upper = sorted[Math.ceil((sorted.length - 1) * p)] ?? 0;
            const bound = Math.max(30_000, upper / 128) + 1;
            expect(Math.abs((sketch.quantile(p) ?? 0) - exact)).toBeLessThanOrEqual(bound);
          }
          expect(sketch.mean()).toBeCloseTo(values.reduce((a, b) => a + b, 0) / values.length, 3);
        },
      ),
      { numRuns: 5 },
    );
  });

  it('reports nothing for no values and clamps negative durations to zero', () => {
    const sketch = new DurationSketch();
    expect(sketch.summary()).toEqual({ count: 0, approximate: false });
    sketch.add(-5_000);
    expect(sketch.quantile(0.5)).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------------------
// Properties over random streams

const base = Date.parse('2026-11-10T00:00:00.000Z');
const span = 25 * 86_400_000;
const instant = fc.integer({ min: 0, max: span }).map((o) => new Date(base + o).toISOString());
const maybe = <T>(arb: fc.Arbitrary<T>) => fc.option(arb, { nil: undefined });

const arbIncident = fc
  .record({
    n: fc.integer({ min: 1, max: 9_999 }),
    severity: fc.constantFrom(1, 2, 3) as fc.Arbitrary<1 | 2 | 3>,
    service: fc.constantFrom('checkout', 'unknown', 'other'),
    status: fc.constantFrom('new', 'paged', 'fixing', 'resolved') as fc.Arbitrary<Incident['status']>,
    impactStartedAt: instant,
    detectedAt: instant,
    openedAt: instant,
    pagedAt: maybe(instant),
    teamNotifiedAt: maybe(instant),
    acknowledgedAt: maybe(instant),
    firstCommsAt: maybe(instant),
    impactEndedAt: maybe(instant),
    resolvedAt: maybe(instant),
    missedUpdates: maybe(fc.integer({ min: 0, max: 3 })),
    recurrence: fc.boolean(),
  })
  .map(({ n, recurrence, ...f }) => {
    const defined = Object.fromEntries(Object.entries(f).filter(([, v]) => v !== undefined));
    return incident(`HOT-${n}`, { ...defined, ...(recurrence ? { recurrenceOf: 'HOT-1' } : {}) });
  });

const arbPostmortem = fc
  .record({
    n: fc.integer({ min: 1, max: 9_999 }),
    status: fc.constantFrom('draft', 'in-review', 'approved', 'published') as fc.Arbitrary<
      Postmortem['status']
    >,
    openedAt: instant,
    due: instant,
    approvedAt: maybe(instant),
    category: maybe(
      fc.constantFrom(
        'bug',
        'change',
        'scale',
        'architecture',
        'dependency',
        'unknown',
      ) as fc.Arbitrary<'bug'>,
    ),
  })
  .map(({ n, approvedAt, category, ...f }) =>
    postmortem(`HOT-${n}`, {
      ...f,
      ...(approvedAt ? { approvedAt } : {}),
      ...(category ? { category } : {}),
    }),
  );

const arbAction = fc
  .record({
    id: fc.uuid(),
    n: fc.integer({ min: 1, max: 9_999 }),
    kind: fc.constantFrom('priority', 'improvement') as fc.Arbitrary<'priority'>,
    severity: fc.constantFrom(1, 2, 3),
    ownerTeam: fc.constantFrom('Payments', 'SRE', 'Platform'),
    status: fc.constantFrom('open', 'done') as fc.Arbitrary<'open'>,
    dueAt: maybe(instant),
    doneAt: maybe(instant),
    dueProvisional: fc.boolean(),
    incidentOpenedAt: maybe(instant),
  })
  .map(
    ({ n, dueAt, doneAt, incidentOpenedAt, ...f }): ReportAction =>
      action(f.id, {
        ...f,
        incidentKey: `HOT-${n}`,
        ...(dueAt ? { dueAt } : {}),
        ...(doneAt ? { doneAt } : {}),
        ...(incidentOpenedAt ? { incidentOpenedAt } : {}),
      }),
  );

type Item = { incident: Incident } | { postmortem: Postmortem } | { action: ReportAction };
const arbItems = fc.array(
  fc.oneof(
    arbIncident.map((incident): Item => ({ incident })),
    arbPostmortem.map((postmortem): Item => ({ postmortem })),
    arbAction.map((action): Item => ({ action })),
  ),
  { maxLength: 60 },
);

function feed(items: Item[], options = { ...reportOptions, keysPerList: 3, rowLimit: 10 }): SloReport {
  const acc = createReportAccumulator(options);
  for (const item of items) {
    if ('incident' in item) acc.addIncident(item.incident);
    else if ('postmortem' in item) acc.addPostmortem(item.postmortem);
    else acc.addAction(item.action);
  }
  return acc.result();
}

/** Every number under a key that names a duration, an age or minutes. */
function durations(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return /Ms$|Minutes$|Days$|impactMinutes/.test(path) ? [[path, value]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => durations(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => durations(v, path ? `${path}.${k}` : k));
  return [];
}

function shares(value: unknown, path = ''): [string, number][] {
  if (typeof value === 'number') return /share$/.test(path) ? [[path, value]] : [];
  if (Array.isArray(value)) return value.flatMap((v, i) => shares(v, `${path}[${i}]`));
  if (value && typeof value === 'object')
    return Object.entries(value).flatMap(([k, v]) => shares(v, path ? `${path}.${k}` : k));
  return [];
}

describe('report properties', () => {
  it('has no negative durations, p90 >= median, and shares between 0 and 1', () => {
    fc.assert(
      fc.property(arbItems, (items) => {
        const report = feed(items);
        for (const [path, n] of durations(report)) {
          // A change from the previous period is the only signed figure.
          if (path.includes('.change.')) continue;
          expect(n, path).toBeGreaterThanOrEqual(0);
        }
        for (const d of [report.timeToDetect, report.timeToRecover]) {
          for (const side of [d.current, d.previous]) {
            if (side.count > 0) expect(side.p90Ms ?? 0).toBeGreaterThanOrEqual(side.medianMs ?? 0);
          }
        }
        for (const [path, s] of shares(report)) {
          expect(s, path).toBeGreaterThanOrEqual(0);
          expect(s, path).toBeLessThanOrEqual(1);
        }
        for (const p of [report.current, report.previous]) {
          for (const c of [...Object.values(p.conformance), p.priorityActionsOnTime]) {
            expect(c.met).toBeLessThanOrEqual(c.applicable);
            expect(c.missedCount).toBe(c.applicable - c.met);
            expect(c.missed.length).toBeLessThanOrEqual(3);
          }
        }
      }),
      { numRuns: 200 },
    );
  });

  it('gives the same report whatever the order the items come in', () => {
    fc.assert(
      fc.property(
        arbItems.chain((items) =>
          fc.tuple(
            fc.constant(items),
            fc.shuffledSubarray(items, { minLength: items.length, maxLength: items.length }),
          ),
        ),
        ([items, shuffled]) => {
          expect(feed(shuffled)).toEqual(feed(items));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('holds the order independence beyond the exact limit of the sketch', () => {
    const many = Array.from({ length: EXACT_LIMIT + 200 }, (_, i) =>
      incident(`HOT-${i + 1}`, {
        impactStartedAt: new Date(
          Date.parse('2026-11-24T00:00:00.000Z') - ((i * 7919) % 100_000) * 1000,
        ).toISOString(),
        detectedAt: '2026-11-24T00:00:00.000Z',
        openedAt: '2026-11-24T00:00:00.000Z',
      }),
    );
    const a = build({ incidents: many, postmortems: [], actions: [] }, { ...reportOptions, rowLimit: 10 });
    const b = build(
      { incidents: [...many].reverse(), postmortems: [], actions: [] },
      { ...reportOptions, rowLimit: 10 },
    );
    expect(a.timeToDetect.current.approximate).toBe(true);
    expect(b).toEqual(a);
    expect(a.incidentRows).toMatchObject({ total: EXACT_LIMIT + 200 });
    expect(a.incidentRows.rows).toHaveLength(10);
  });

  it('reads every configured service, availability objective or not', () => {
    const report = build({ incidents: [], postmortems: [], actions: [] });
    expect(report.current.byService.map((s) => s.service)).toEqual(
      Object.keys(reportOrganisation.services).sort(),
    );
  });
});
