import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  nextHandoffs,
  type Override,
  onCallAt,
  onCallNow,
  overrideFromWallTimes,
  overrideProblems,
  rotationShiftAt,
  type Schedule,
  type Shift,
  shiftDays,
  shiftsBetween,
} from '../../../functions/core/oncall.ts';
import {
  dayNumberOf,
  instantOf,
  isoWeekdayOf,
  minuteOfDay,
  offsetAt,
  wallTimeAt,
} from '../../../functions/core/zoned-time.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

/**
 * Both hemispheres, a 30-minute change (Lord Howe), a 30-minute offset without DST (Kolkata) and a zone that
 * changed its rules (Sao Paulo dropped DST in 2019). The range starts in 2017 so Sao Paulo's last real
 * changes (one of them at midnight) are inside it.
 */
const ZONES = [
  'Europe/London',
  'America/New_York',
  'Australia/Sydney',
  'Australia/Lord_Howe',
  'Asia/Kolkata',
  'America/Sao_Paulo',
] as const;
const RANGE_START = Date.parse('2017-01-01T00:00:00Z');
const RANGE_END = Date.parse('2031-01-01T00:00:00Z');

/** The zone's real offset changes in the range, found from the time zone database by bisection. */
function transitionsOf(zone: string): number[] {
  const found: number[] = [];
  const step = 6 * HOUR;
  for (let t = RANGE_START; t < RANGE_END; t += step) {
    if (offsetAt(t, zone) === offsetAt(t + step, zone)) continue;
    let [lo, hi] = [t, t + step];
    while (hi - lo > 60_000) {
      const mid = lo + Math.floor((hi - lo) / 2 / 60_000) * 60_000;
      if (offsetAt(mid, zone) === offsetAt(lo, zone)) lo = mid;
      else hi = mid;
    }
    found.push(hi);
  }
  return found;
}
const TRANSITIONS = new Map<string, number[]>(ZONES.map((zone) => [zone, transitionsOf(zone)]));

it('finds the real transitions the properties run over', () => {
  expect(TRANSITIONS.get('Europe/London')).toContain(Date.parse('2024-03-31T01:00:00Z'));
  expect(TRANSITIONS.get('Australia/Lord_Howe')).toContain(Date.parse('2024-10-05T15:30:00Z'));
  expect(TRANSITIONS.get('Asia/Kolkata')).toEqual([]);
  // Sao Paulo's last DST ended in February 2019 and never began again.
  expect(TRANSITIONS.get('America/Sao_Paulo')?.at(-1)).toBe(Date.parse('2019-02-17T02:00:00Z'));
});

const hhmm = (minute: number) =>
  `${String(Math.floor(minute / 60)).padStart(2, '0')}:${String(minute % 60).padStart(2, '0')}`;
const isoDate = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

/** Handoff times, often in the hours changes happen (00:00 for Sao Paulo, 02:00-03:00 elsewhere). */
const handoffTime = fc.oneof(
  fc.constantFrom('00:00', '00:30', '01:00', '01:30', '02:00', '02:15', '02:30', '02:45', '03:00'),
  fc.integer({ min: 0, max: 1439 }).map(hhmm),
);

const scheduleArb: fc.Arbitrary<Schedule> = fc.record({
  id: fc.constant('s'),
  name: fc.constant('Schedule'),
  timeZone: fc.constantFrom(...ZONES),
  rotation: fc.record({
    members: fc.uniqueArray(fc.constantFrom('ada', 'grace', 'linus', 'ken', 'barbara'), {
      minLength: 1,
      maxLength: 5,
    }),
    handoff: fc.record({
      weekday: fc.option(fc.integer({ min: 1, max: 7 }), { nil: undefined }),
      time: handoffTime,
    }),
    shift: fc.oneof(
      fc.constant('daily' as const),
      fc.constant('weekly' as const),
      fc.record({ days: fc.integer({ min: 1, max: 14 }) }),
    ),
    start: fc.integer({ min: dayNumberOf('2017-01-01'), max: dayNumberOf('2030-12-31') }).map(isoDate),
  }),
});

/** An instant in the range, half the time within three days of one of the zone's real changes. */
function instantNear(zone: string): fc.Arbitrary<Date> {
  const uniform = fc.integer({ min: RANGE_START, max: RANGE_END - 1 });
  const transitions = TRANSITIONS.get(zone) ?? [];
  if (transitions.length === 0) return uniform.map((t) => new Date(t));
  const near = fc
    .tuple(fc.constantFrom(...transitions), fc.integer({ min: -3 * DAY, max: 3 * DAY }))
    .map(([t, d]) => t + d);
  return fc.oneof(uniform, near).map((t) => new Date(t));
}

const scheduleAndInstant = scheduleArb.chain((schedule) =>
  fc.tuple(fc.constant(schedule), instantNear(schedule.timeZone)),
);

function expectTiling(shifts: Shift[], from: Date, to: Date) {
  expect(shifts.length).toBeGreaterThan(0);
  expect((shifts[0] as Shift).start.getTime()).toBeLessThanOrEqual(from.getTime());
  expect((shifts.at(-1) as Shift).end.getTime()).toBeGreaterThanOrEqual(to.getTime());
  for (const [i, shift] of shifts.entries()) {
    expect(shift.end.getTime()).toBeGreaterThan(shift.start.getTime());
    const next = shifts[i + 1];
    if (next) expect(next.start).toEqual(shift.end);
  }
}

/**
 * The documented rule, checked against the time zone database rather than the code's own conversion: a
 * rotation shift begins at the handoff wall time on a handoff day; when the change skipped that time, it begins
 * that many minutes later by the clock; when the time happened twice, it is the first of the two.
 */
function expectHandoffRule(schedule: Schedule, start: Date) {
  const zone = schedule.timeZone;
  const t = start.getTime();
  const configured = minuteOfDay(schedule.rotation.handoff.time);
  const wall = wallTimeAt(t, zone);
  const shiftedBy = (offsetAt(t, zone) - offsetAt(t - DAY, zone)) / 60_000;
  let handoffDay = wall.day;
  if (wall.minute !== configured) {
    // Skipped: a forward change just before, and the clock reads the configured time plus the change.
    expect(shiftedBy).toBeGreaterThan(0);
    const expected = wall.day * 1440 + wall.minute - shiftedBy;
    expect(expected % 1440).toBe(configured);
    handoffDay = Math.floor(expected / 1440);
  } else {
    // Not the second of two occurrences: no earlier instant of a changed offset shows the same wall time.
    for (const back of [30, 60, 120]) {
      const earlier = wallTimeAt(t - back * 60_000, zone);
      expect(earlier.day === wall.day && earlier.minute === wall.minute).toBe(false);
    }
  }
  const { weekday } = schedule.rotation.handoff;
  const firstDay = dayNumberOf(schedule.rotation.start);
  const days = shiftDays(schedule.rotation.shift);
  // The weekday picks the first handoff; shifts of whole weeks keep it, others step on from there.
  if (weekday !== undefined && days % 7 === 0) expect(isoWeekdayOf(handoffDay)).toBe(weekday);
  const anchor = weekday === undefined ? firstDay : firstDay + ((weekday - isoWeekdayOf(firstDay) + 7) % 7);
  expect((((handoffDay - anchor) % days) + days) % days).toBe(0);
}

describe('on-call schedules over real daylight-saving transitions (properties)', () => {
  it('(a) exactly one person is on call at every instant: one shift holds it, and it is a member', () => {
    fc.assert(
      fc.property(scheduleAndInstant, ([schedule, at]) => {
        const who = onCallAt(schedule, [], at);
        expect(schedule.rotation.members).toContain(who);
        const around = shiftsBetween(
          schedule,
          [],
          new Date(at.getTime() - 2 * DAY),
          new Date(at.getTime() + 2 * DAY),
        );
        const holding = around.filter((s) => s.start <= at && at < s.end);
        expect(holding).toHaveLength(1);
        expect(holding[0]?.personId).toBe(who);
      }),
      { numRuns: 400 },
    );
  });

  it('(b) every handoff happens at the configured wall time, or by the rule for skipped and repeated times', () => {
    fc.assert(
      fc.property(scheduleAndInstant, ([schedule, at]) => {
        const span = shiftDays(schedule.rotation.shift) * 3 * DAY;
        const shifts = shiftsBetween(schedule, [], at, new Date(at.getTime() + span));
        for (const shift of shifts) expectHandoffRule(schedule, shift.start);
        // The handoffs reported are those same instants, passing the shift to the next member in order.
        const members = schedule.rotation.members;
        for (const handoff of nextHandoffs(schedule, [], at, 3)) {
          expectHandoffRule(schedule, handoff.at);
          expect(members.indexOf(handoff.to)).toBe((members.indexOf(handoff.from) + 1) % members.length);
        }
      }),
      { numRuns: 300 },
    );
  });

  it('(c) shifts tile any window with no gap and no overlap, and a shift is whatever window asked for it', () => {
    fc.assert(
      fc.property(scheduleAndInstant, fc.integer({ min: 1, max: 40 * DAY }), ([schedule, from], length) => {
        const to = new Date(from.getTime() + length);
        const shifts = shiftsBetween(schedule, [], from, to);
        expectTiling(shifts, from, to);
        const middle = shifts[Math.floor(shifts.length / 2)] as Shift;
        expect(rotationShiftAt(schedule, middle.start)).toEqual(middle);
        expect(rotationShiftAt(schedule, new Date(middle.end.getTime() - 1))).toEqual(middle);
        // A shift spans its days on the calendar, give or take the changes inside it (at most 2 h a change).
        const days = shiftDays(schedule.rotation.shift);
        expect(Math.abs(middle.end.getTime() - middle.start.getTime() - days * DAY)).toBeLessThanOrEqual(
          2 * HOUR,
        );
      }),
      { numRuns: 300 },
    );
  });

  it('(d) overrides win inside their window, later ones over earlier ones, and the rotation resumes exactly after', () => {
    const withOverrides = scheduleAndInstant.chain(([schedule, at]) => {
      const override = fc
        .record({
          personId: fc.constantFrom('ada', 'grace', 'linus', 'ken', 'barbara', 'cover'),
          offset: fc.integer({ min: -5 * DAY, max: 5 * DAY }),
          length: fc.integer({ min: 60_000, max: 4 * DAY }),
        })
        .map(({ personId, offset, length }) => ({
          personId,
          start: at.getTime() + offset,
          end: at.getTime() + offset + length,
        }));
      return fc.tuple(
        fc.constant(schedule),
        fc.constant(at),
        fc.array(override, { minLength: 1, maxLength: 4 }).map((list) =>
          list.map(
            (o, i): Override => ({
              id: `o${i}`,
              personId: o.personId,
              start: new Date(o.start).toISOString(),
              end: new Date(o.end).toISOString(),
            }),
          ),
        ),
        fc.array(fc.integer({ min: -6 * DAY, max: 6 * DAY }), { minLength: 1, maxLength: 20 }),
      );
    });
    fc.assert(
      fc.property(withOverrides, ([schedule, at, overrides, probes]) => {
        const instants = [
          ...probes.map((d) => at.getTime() + d),
          ...overrides.flatMap((o) => [Date.parse(o.start), Date.parse(o.end) - 1, Date.parse(o.end)]),
        ];
        for (const t of instants) {
          const covering = overrides.filter((o) => Date.parse(o.start) <= t && t < Date.parse(o.end));
          const expected = covering.at(-1)?.personId ?? rotationShiftAt(schedule, new Date(t)).personId;
          expect(onCallAt(schedule, overrides, new Date(t))).toBe(expected);
        }
        const from = new Date(at.getTime() - 6 * DAY);
        const to = new Date(at.getTime() + 6 * DAY);
        const shifts = shiftsBetween(schedule, overrides, from, to);
        expectTiling(shifts, from, to);
        for (const shift of shifts) {
          expect(onCallAt(schedule, overrides, shift.start)).toBe(shift.personId);
          expect(onCallAt(schedule, overrides, new Date(shift.end.getTime() - 1))).toBe(shift.personId);
        }
      }),
      { numRuns: 200 },
    );
  });
});

const at = (iso: string) => new Date(iso);
const hours = (shift: Shift) => (shift.end.getTime() - shift.start.getTime()) / HOUR;

describe('the cases other on-call tools got wrong across DST changes', () => {
  it('Grafana OnCall #3261: a daily 08:30 handoff set up in British summer time stays at 08:30 after the clocks go back, and again after they go forward', () => {
    const schedule: Schedule = {
      id: 'uk',
      name: 'UK days',
      timeZone: 'Europe/London',
      rotation: {
        members: ['ada', 'grace'],
        handoff: { time: '08:30' },
        shift: 'daily',
        start: '2023-07-03',
      },
    };
    const winter = shiftsBetween(schedule, [], at('2023-11-06T12:00:00Z'), at('2023-11-07T12:00:00Z'));
    expect(winter.map((s) => s.start.toISOString())).toEqual([
      '2023-11-06T08:30:00.000Z',
      '2023-11-07T08:30:00.000Z',
    ]);
    const summer = shiftsBetween(schedule, [], at('2024-04-08T12:00:00Z'), at('2024-04-09T12:00:00Z'));
    expect(summer.map((s) => s.start.toISOString())).toEqual([
      '2024-04-08T07:30:00.000Z',
      '2024-04-09T07:30:00.000Z',
    ]);
    // The night the clocks went back: that day's shift is 25 hours, the next begins at 08:30 GMT.
    const change = shiftsBetween(schedule, [], at('2023-10-28T12:00:00Z'), at('2023-10-29T12:00:00Z'));
    expect(change.map(hours)).toEqual([25, 24]);
  });

  it('Grafana OnCall #5247: a weekly Monday 09:00 rotation in Chicago leaves no gap when DST ends and no overlap when it begins', () => {
    const schedule: Schedule = {
      id: 'chicago',
      name: 'Weekly',
      timeZone: 'America/Chicago',
      rotation: {
        members: ['ada', 'grace', 'linus'],
        handoff: { weekday: 1, time: '09:00' },
        shift: 'weekly',
        start: '2024-10-01',
      },
    };
    for (const [from, to] of [
      ['2024-10-21T00:00:00Z', '2024-11-19T00:00:00Z'],
      ['2025-02-24T00:00:00Z', '2025-03-25T00:00:00Z'],
    ] as const) {
      const shifts = shiftsBetween(schedule, [], at(from), at(to));
      expectTiling(shifts, at(from), at(to));
      for (const shift of shifts)
        expect(wallTimeAt(shift.start.getTime(), 'America/Chicago').minute).toBe(9 * 60);
    }
    const fallWeek = rotationShiftAt(schedule, at('2024-11-03T12:00:00Z'));
    expect(hours(fallWeek)).toBe(7 * 24 + 1);
    const springWeek = rotationShiftAt(schedule, at('2025-03-09T12:00:00Z'));
    expect(hours(springWeek)).toBe(7 * 24 - 1);
    expect(rotationShiftAt(schedule, springWeek.end).start).toEqual(springWeek.end);
  });

  it('Grafana OnCall #5455: a shift that begins before the spring-forward night and ends after it is 23 hours and the next one starts where it ends, leaving no hour uncovered', () => {
    const schedule: Schedule = {
      id: 'evenings',
      name: 'Evenings',
      timeZone: 'America/New_York',
      rotation: {
        members: ['ada', 'grace'],
        handoff: { time: '17:00' },
        shift: 'daily',
        start: '2025-03-01',
      },
    };
    const crossing = rotationShiftAt(schedule, at('2025-03-09T07:30:00Z'));
    expect(crossing.start.toISOString()).toBe('2025-03-08T22:00:00.000Z');
    expect(crossing.end.toISOString()).toBe('2025-03-09T21:00:00.000Z');
    expect(hours(crossing)).toBe(23);
    for (let t = crossing.start.getTime(); t < crossing.end.getTime(); t += 15 * 60_000) {
      expect(onCallAt(schedule, [], new Date(t))).toBe(crossing.personId);
    }
    const next = rotationShiftAt(schedule, crossing.end);
    expect(next.start).toEqual(crossing.end);
    expect(next.personId).not.toBe(crossing.personId);
  });

  it('Grafana OnCall #4197: a daily rotation of two in Paris gives each day to one person, alternating, through the spring change', () => {
    const schedule: Schedule = {
      id: 'paris',
      name: 'Daily',
      timeZone: 'Europe/Paris',
      rotation: {
        members: ['ada', 'grace'],
        handoff: { time: '08:00' },
        shift: 'daily',
        start: '2024-01-01',
      },
    };
    const shifts = shiftsBetween(schedule, [], at('2024-03-25T12:00:00Z'), at('2024-04-05T12:00:00Z'));
    expectTiling(shifts, at('2024-03-25T12:00:00Z'), at('2024-04-05T12:00:00Z'));
    for (const [i, shift] of shifts.entries()) {
      expect(wallTimeAt(shift.start.getTime(), 'Europe/Paris').minute).toBe(8 * 60);
      const next = shifts[i + 1];
      if (next) expect(next.personId).not.toBe(shift.personId);
    }
    // 2024-01-01 was ada's, so 30 March (day 89) is grace's: her shift holds the change and is 23 hours.
    const changeNight = rotationShiftAt(schedule, at('2024-03-31T01:30:00Z'));
    expect(changeNight.personId).toBe('grace');
    expect(changeNight.start.toISOString()).toBe('2024-03-30T07:00:00.000Z');
    expect(hours(changeNight)).toBe(23);
  });

  it('OneUptime #1890: a handoff set on a winter date shows at the same local time on summer days (the offset is not frozen at the start date)', () => {
    const schedule: Schedule = {
      id: 'berlin',
      name: 'Berlin',
      timeZone: 'Europe/Berlin',
      rotation: {
        members: ['ada', 'grace'],
        handoff: { weekday: 1, time: '09:00' },
        shift: 'weekly',
        start: '2025-01-06',
      },
    };
    expect(rotationShiftAt(schedule, at('2025-01-07T00:00:00Z')).start.toISOString()).toBe(
      '2025-01-06T08:00:00.000Z',
    );
    const july = rotationShiftAt(schedule, at('2025-07-08T00:00:00Z'));
    expect(july.start.toISOString()).toBe('2025-07-07T07:00:00.000Z');
    expect(wallTimeAt(july.start.getTime(), 'Europe/Berlin').minute).toBe(9 * 60);
  });
});

describe('skipped and repeated handoff times (the documented rule)', () => {
  const nightly = (time: string): Schedule => ({
    id: 'night',
    name: 'Night',
    timeZone: 'America/New_York',
    rotation: { members: ['ada', 'grace'], handoff: { time }, shift: 'daily', start: '2024-01-01' },
  });

  it('a 02:30 handoff on the night New York jumps 02:00 -> 03:00 happens at 03:30 EDT, one change later by the clock', () => {
    const shift = rotationShiftAt(nightly('02:30'), at('2024-03-10T12:00:00Z'));
    expect(shift.start.toISOString()).toBe('2024-03-10T07:30:00.000Z');
    expect(instantOf('2024-03-10', '02:30', 'America/New_York')).toEqual(shift.start);
  });

  it('a 01:30 handoff on the night New York repeats 01:00-02:00 happens at the first 01:30 (EDT)', () => {
    const shift = rotationShiftAt(nightly('01:30'), at('2024-11-03T12:00:00Z'));
    expect(shift.start.toISOString()).toBe('2024-11-03T05:30:00.000Z');
    expect(hours(shift)).toBe(25);
  });

  it('Sao Paulo midnight handoffs on the night midnight did not exist (2018-11-04) begin at 01:00', () => {
    const schedule: Schedule = {
      id: 'sp',
      name: 'SP',
      timeZone: 'America/Sao_Paulo',
      rotation: {
        members: ['ada', 'grace'],
        handoff: { time: '00:00' },
        shift: 'daily',
        start: '2018-01-01',
      },
    };
    const shift = rotationShiftAt(schedule, at('2018-11-04T12:00:00Z'));
    expect(shift.start.toISOString()).toBe('2018-11-04T03:00:00.000Z');
    expect(wallTimeAt(shift.start.getTime(), 'America/Sao_Paulo').minute).toBe(60);
  });

  it('Lord Howe moves its clocks by 30 minutes: the shift holding the change is 23.5 or 24.5 hours', () => {
    const schedule: Schedule = {
      id: 'lh',
      name: 'LH',
      timeZone: 'Australia/Lord_Howe',
      rotation: { members: ['ada'], handoff: { time: '09:00' }, shift: 'daily', start: '2024-01-01' },
    };
    // The nights of 5-6 October 2024 (02:00 -> 02:30) and 6-7 April 2024 (02:00 -> 01:30), local early morning.
    expect(hours(rotationShiftAt(schedule, at('2024-10-05T18:00:00Z')))).toBe(23.5);
    expect(hours(rotationShiftAt(schedule, at('2024-04-06T18:00:00Z')))).toBe(24.5);
  });
});

describe('overrides and who is on call next', () => {
  const schedule: Schedule = {
    id: 'primary',
    name: 'Primary',
    timeZone: 'Europe/London',
    rotation: {
      members: ['ada', 'grace'],
      handoff: { weekday: 1, time: '09:00' },
      shift: 'weekly',
      start: '2026-03-02',
    },
  };

  // Weeks from Monday 2 March 2026: ada, grace, ada, grace, ada (30 March, the first week of BST).
  it('"I cover Tuesday 18:00 to Wednesday 09:00" converts in the schedule zone, and the week resumes after', () => {
    const cover = overrideFromWallTimes(schedule, {
      id: 'o1',
      personId: 'linus',
      from: { date: '2026-03-31', time: '18:00' },
      to: { date: '2026-04-01', time: '09:00' },
    });
    expect(cover).toEqual({
      id: 'o1',
      personId: 'linus',
      start: '2026-03-31T17:00:00.000Z',
      end: '2026-04-01T08:00:00.000Z',
    });
    expect(onCallAt(schedule, [cover], at('2026-03-31T16:59:59.999Z'))).toBe('ada');
    expect(onCallAt(schedule, [cover], at('2026-03-31T17:00:00Z'))).toBe('linus');
    expect(onCallAt(schedule, [cover], at('2026-04-01T08:00:00Z'))).toBe('ada');
    expect(nextHandoffs(schedule, [cover], at('2026-03-31T12:00:00Z'), 3)).toEqual([
      { at: at('2026-03-31T17:00:00Z'), from: 'ada', to: 'linus' },
      { at: at('2026-04-01T08:00:00Z'), from: 'linus', to: 'ada' },
      { at: at('2026-04-06T08:00:00Z'), from: 'ada', to: 'grace' },
    ]);
    expect(onCallNow(schedule, [cover], at('2026-03-31T12:00:00Z'))).toEqual({
      personId: 'ada',
      next: { at: at('2026-03-31T17:00:00Z'), from: 'ada', to: 'linus' },
    });
  });

  it('a later override wins where two overlap', () => {
    const overrides: Override[] = [
      { id: 'a', personId: 'linus', start: '2026-04-01T00:00:00Z', end: '2026-04-03T00:00:00Z' },
      { id: 'b', personId: 'ken', start: '2026-04-02T00:00:00Z', end: '2026-04-02T12:00:00Z' },
    ];
    expect(onCallAt(schedule, overrides, at('2026-04-01T12:00:00Z'))).toBe('linus');
    expect(onCallAt(schedule, overrides, at('2026-04-02T06:00:00Z'))).toBe('ken');
    expect(onCallAt(schedule, overrides, at('2026-04-02T18:00:00Z'))).toBe('linus');
  });

  it('a one-member rotation has no handoffs', () => {
    const solo = { ...schedule, rotation: { ...schedule.rotation, members: ['ada'] } };
    expect(nextHandoffs(solo, [], at('2026-04-01T00:00:00Z'), 2)).toEqual([]);
    expect(onCallNow(solo, [], at('2026-04-01T00:00:00Z'))).toEqual({ personId: 'ada' });
  });

  it('refuses an override for someone not in the configuration, or one that ends before it starts', () => {
    const known = new Set(['ada', 'grace']);
    expect(
      overrideProblems(
        { id: 'x', personId: 'mallory', start: '2026-04-02T00:00:00Z', end: '2026-04-01T00:00:00Z' },
        known,
      ),
    ).toEqual([
      { field: 'personId', message: '"mallory" is not one of the people in the configuration' },
      { field: 'end', message: 'must be after start' },
    ]);
    expect(
      overrideProblems({ id: 'x', personId: 'ada', start: 'soon', end: '2026-04-01T00:00:00Z' }, known),
    ).toEqual([{ field: 'start', message: 'must be an ISO-8601 instant' }]);
  });
});
