import {
  dayNumberOf,
  instantOf,
  instantOfWallTime,
  isoWeekdayOf,
  minuteOfDay,
  wallTimeAt,
} from './zoned-time.ts';

/**
 * On-call schedules: who is on call at an instant, the next handoffs, and the shifts in a window (the calendar
 * feed). One rotation per schedule: members in order, each holding one shift of a whole number of days that
 * begins at the handoff's wall time in the schedule's zone. A team that needs a day and a night rotation
 * configures two schedules (a service names one schedule per role).
 *
 * Shifts are counted on the calendar, never in elapsed hours: shift k begins at the handoff time on the date
 * `anchor + k * days`, so a handoff at 09:00 is at 09:00 on both sides of a daylight-saving change and the shift
 * holding the change is 23 or 25 hours long (23.5/24.5 at Lord Howe). Nonexistent and repeated handoff times
 * follow the rule in `zoned-time.ts` (RFC 5545: a skipped time moves forward by the change, a repeated one is
 * its first occurrence).
 *
 * The start date anchors who is first; the rotation also runs backwards from it, so every instant has exactly
 * one person on call and no query can fall into a hole.
 */

export type ShiftLength = 'daily' | 'weekly' | { days: number };

export interface Rotation {
  /** Person ids in the order they take shifts. */
  members: readonly string[];
  /**
   * When shifts change hands, in the schedule's zone. `weekday` (1 = Monday ... 7 = Sunday, optional) picks the
   * first handoff on or after `start`; shifts of whole weeks keep that weekday, other lengths step on from it.
   */
  handoff: { weekday?: number | undefined; time: string };
  shift: ShiftLength;
  /** `YYYY-MM-DD`: the first member's first shift begins on the first handoff on or after this date. */
  start: string;
}

export interface Schedule {
  id: string;
  name: string;
  /** IANA time zone the handoff is read in. */
  timeZone: string;
  rotation: Rotation;
}

/** Someone covering part of a rotation; when overrides overlap, the one later in the list wins. */
export interface Override {
  id: string;
  personId: string;
  /** ISO-8601 instants; `start` inclusive, `end` exclusive. */
  start: string;
  end: string;
}

export type ShiftSource = { kind: 'rotation'; index: number } | { kind: 'override'; overrideId: string };

/** A stretch of time one person holds: `start` inclusive, `end` exclusive. */
export interface Shift {
  personId: string;
  start: Date;
  end: Date;
  source: ShiftSource;
}

/** The schedules of an organisation file (config.ts validates them), in the shape these functions take. */
export function schedulesOf(org: {
  schedules?: Readonly<Record<string, Omit<Schedule, 'id'>>> | undefined;
}): Schedule[] {
  return Object.entries(org.schedules ?? {}).map(([id, schedule]) => ({ id, ...schedule }));
}

export interface Handoff {
  at: Date;
  from: string;
  to: string;
}

const DAY_MS = 86_400_000;

export function shiftDays(length: ShiftLength): number {
  if (length === 'daily') return 1;
  if (length === 'weekly') return 7;
  return length.days;
}

/**
 * How far ahead (days) the next handoff is looked for, and a schedule's overrides read: four shifts, at least four
 * weeks, at most a year. One window for `GET /schedules/{id}/oncall`, the incident pages' "On call" and the
 * channel check's handoffs.
 */
export function handoffHorizonDays(schedule: Pick<Schedule, 'rotation'>): number {
  return Math.min(366, Math.max(28, 4 * shiftDays(schedule.rotation.shift)));
}

/** The day number of the first handoff: the start date, or the first date after it on the handoff weekday. */
function anchorDay(rotation: Rotation): number {
  const start = dayNumberOf(rotation.start);
  const weekday = rotation.handoff.weekday;
  if (weekday === undefined) return start;
  return start + ((weekday - isoWeekdayOf(start) + 7) % 7);
}

/** A rotation with its calendar facts worked out once. */
interface Plan {
  anchor: number;
  days: number;
  minute: number;
  timeZone: string;
  members: readonly string[];
}

function planOf(schedule: Schedule): Plan {
  const { rotation } = schedule;
  if (rotation.members.length === 0) throw new Error(`schedule ${schedule.id} has no members`);
  const days = shiftDays(rotation.shift);
  if (!Number.isInteger(days) || days < 1)
    throw new Error(`schedule ${schedule.id}: shift length must be whole days`);
  return {
    anchor: anchorDay(rotation),
    days,
    minute: minuteOfDay(rotation.handoff.time),
    timeZone: schedule.timeZone,
    members: rotation.members,
  };
}

/** When rotation shift `k` begins (k may be negative: before the anchor). */
function shiftStart(plan: Plan, k: number): number {
  return instantOfWallTime(plan.anchor + k * plan.days, plan.minute, plan.timeZone);
}

function memberOf(plan: Plan, k: number): string {
  const n = plan.members.length;
  return plan.members[((k % n) + n) % n] as string;
}

/** The index of the rotation shift holding `instant`: estimated from the local date, then corrected. */
function shiftIndexAt(plan: Plan, instant: number): number {
  const wall = wallTimeAt(instant, plan.timeZone);
  let k = Math.floor((wall.day - plan.anchor) / plan.days);
  while (shiftStart(plan, k) > instant) k -= 1;
  while (shiftStart(plan, k + 1) <= instant) k += 1;
  return k;
}

function rotationShift(plan: Plan, k: number): Shift {
  return {
    personId: memberOf(plan, k),
    start: new Date(shiftStart(plan, k)),
    end: new Date(shiftStart(plan, k + 1)),
    source: { kind: 'rotation', index: k },
  };
}

/** The rotation's own shift at an instant, ignoring overrides. */
export function rotationShiftAt(schedule: Schedule, at: Date): Shift {
  const plan = planOf(schedule);
  return rotationShift(plan, shiftIndexAt(plan, at.getTime()));
}

function overrideCovering(overrides: readonly Override[], instant: number): Override | undefined {
  for (let i = overrides.length - 1; i >= 0; i -= 1) {
    const o = overrides[i] as Override;
    if (Date.parse(o.start) <= instant && instant < Date.parse(o.end)) return o;
  }
  return undefined;
}

/** Who is on call at `at`: the latest override covering it, else the rotation. */
export function onCallAt(schedule: Schedule, overrides: readonly Override[], at: Date): string {
  const covering = overrideCovering(overrides, at.getTime());
  return covering ? covering.personId : rotationShiftAt(schedule, at).personId;
}

/**
 * The shifts that cover `[from, to)`, in order, tiling it with no gap and no overlap. Rotation shifts are whole
 * (the first may begin before `from`, the last end after `to`) so a shift keeps its start, end and calendar id
 * whatever window asked for it; overrides cut rotation shifts into pieces, and adjacent pieces with the same
 * holder and source are one shift. An override reaching past the window's edge widens it to the rotation shift
 * where the override ends, so an override is whole too.
 */
export function shiftsBetween(
  schedule: Schedule,
  overrides: readonly Override[],
  from: Date,
  to: Date,
): Shift[] {
  const plan = planOf(schedule);
  if (to.getTime() <= from.getTime()) return [];
  const { first, last } = wholeShiftsCovering(plan, overrides, from.getTime(), to.getTime());
  const windowStart = shiftStart(plan, first);
  const windowEnd = shiftStart(plan, last + 1);

  const cuts = new Set<number>();
  for (let k = first; k <= last + 1; k += 1) cuts.add(shiftStart(plan, k));
  for (const o of overrides) {
    for (const t of [Date.parse(o.start), Date.parse(o.end)]) {
      if (t > windowStart && t < windowEnd) cuts.add(t);
    }
  }
  const points = [...cuts].sort((a, b) => a - b);

  const shifts: Shift[] = [];
  let k = first;
  for (let i = 0; i + 1 < points.length; i += 1) {
    const start = points[i] as number;
    const end = points[i + 1] as number;
    while (shiftStart(plan, k + 1) <= start) k += 1;
    const covering = overrideCovering(overrides, start);
    const piece: Shift = covering
      ? {
          personId: covering.personId,
          start: new Date(start),
          end: new Date(end),
          source: { kind: 'override', overrideId: covering.id },
        }
      : {
          personId: memberOf(plan, k),
          start: new Date(start),
          end: new Date(end),
          source: { kind: 'rotation', index: k },
        };
    const previous = shifts.at(-1);
    if (previous && previous.personId === piece.personId && sameSource(previous.source, piece.source)) {
      previous.end = piece.end;
    } else {
      shifts.push(piece);
    }
  }
  return shifts;
}

/** The rotation shifts (first and last index) covering `[from, to)` and every override that touches them. */
function wholeShiftsCovering(
  plan: Plan,
  overrides: readonly Override[],
  from: number,
  to: number,
): { first: number; last: number } {
  let first = shiftIndexAt(plan, from);
  let last = shiftIndexAt(plan, to - 1);
  // Each pass can only widen the window, and only to an override's edge: it ends once no override crosses it.
  for (let widened = true; widened; ) {
    widened = false;
    const start = shiftStart(plan, first);
    const end = shiftStart(plan, last + 1);
    for (const o of overrides) {
      const [oStart, oEnd] = [Date.parse(o.start), Date.parse(o.end)];
      if (oEnd <= start || oStart >= end) continue;
      if (oStart < start) {
        first = shiftIndexAt(plan, oStart);
        widened = true;
      }
      if (oEnd > end) {
        last = shiftIndexAt(plan, oEnd - 1);
        widened = true;
      }
    }
  }
  return { first, last };
}

function sameSource(a: ShiftSource, b: ShiftSource): boolean {
  if (a.kind === 'rotation' && b.kind === 'rotation') return a.index === b.index;
  if (a.kind === 'override' && b.kind === 'override') return a.overrideId === b.overrideId;
  return false;
}

/**
 * The next `count` moments after `from` at which the person on call changes (a rotation handoff to the same
 * person, as in a one-member rotation, is not a handoff). Looks at most `horizonDays` ahead.
 */
export function nextHandoffs(
  schedule: Schedule,
  overrides: readonly Override[],
  from: Date,
  count: number,
  horizonDays = 366,
): Handoff[] {
  const handoffs: Handoff[] = [];
  const horizon = from.getTime() + horizonDays * DAY_MS;
  let cursor = from.getTime();
  // Windows return whole rotation shifts, so one window's last shifts come again in the next: skip them.
  let seenUntil = cursor;
  let holder = onCallAt(schedule, overrides, from);
  // Walk in windows of a few shifts so a long horizon never builds one huge list.
  const step = Math.max(7, shiftDays(schedule.rotation.shift) * 4) * DAY_MS;
  while (handoffs.length < count && cursor < horizon) {
    const windowEnd = Math.min(cursor + step, horizon);
    for (const shift of shiftsBetween(schedule, overrides, new Date(cursor), new Date(windowEnd))) {
      const start = shift.start.getTime();
      if (start <= seenUntil || start > horizon) continue;
      seenUntil = start;
      if (shift.personId !== holder) {
        handoffs.push({ at: shift.start, from: holder, to: shift.personId });
        holder = shift.personId;
        if (handoffs.length === count) break;
      }
    }
    cursor = windowEnd;
  }
  return handoffs;
}

/** Who is on call at `at` and who takes over next (when anyone does within the horizon). */
export function onCallNow(
  schedule: Schedule,
  overrides: readonly Override[],
  at: Date,
): { personId: string; next?: Handoff } {
  const [next] = nextHandoffs(schedule, overrides, at, 1);
  return next
    ? { personId: onCallAt(schedule, overrides, at), next }
    : { personId: onCallAt(schedule, overrides, at) };
}

/** A cover given as wall times in the schedule's zone ("Tuesday 18:00 to Wednesday 09:00"), as instants. */
export interface WallTimeCover {
  id: string;
  personId: string;
  /** `YYYY-MM-DD` and `HH:MM` in the schedule's zone. */
  from: { date: string; time: string };
  to: { date: string; time: string };
}

export function overrideFromWallTimes(schedule: Schedule, cover: WallTimeCover): Override {
  const start = instantOf(cover.from.date, cover.from.time, schedule.timeZone);
  const end = instantOf(cover.to.date, cover.to.time, schedule.timeZone);
  return { id: cover.id, personId: cover.personId, start: start.toISOString(), end: end.toISOString() };
}

/**
 * What is wrong with an override before it is stored (the API answers 400 naming the field): an unknown
 * person, an instant that does not parse, or an end not after the start.
 */
export function overrideProblems(
  override: Override,
  knownPeople: ReadonlySet<string>,
): { field: keyof Override; message: string }[] {
  const problems: { field: keyof Override; message: string }[] = [];
  if (!knownPeople.has(override.personId)) {
    problems.push({
      field: 'personId',
      message: `"${override.personId}" is not one of the people in the configuration`,
    });
  }
  const start = Date.parse(override.start);
  const end = Date.parse(override.end);
  if (Number.isNaN(start)) problems.push({ field: 'start', message: 'must be an ISO-8601 instant' });
  if (Number.isNaN(end)) problems.push({ field: 'end', message: 'must be an ISO-8601 instant' });
  if (!Number.isNaN(start) && !Number.isNaN(end) && end <= start) {
    problems.push({ field: 'end', message: 'must be after start' });
  }
  return problems;
}
