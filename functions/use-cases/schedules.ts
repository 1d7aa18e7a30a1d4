import { ConflictError, NotFoundError, RetryableError, ValidationError } from '../core/errors.ts';
import {
  handoffHorizonDays,
  nextHandoffs,
  type Override,
  overrideFromWallTimes,
  overrideProblems,
  rotationShiftAt,
  type Schedule,
  type Shift,
  shiftsBetween,
} from '../core/oncall.ts';
import {
  derivedOverrideId,
  inPrecedenceOrder,
  OVERRIDE_LIMITS,
  type OverrideView,
  overrideLimitProblems,
  overrideView,
  type PeopleDirectory,
  personView,
  type ShiftView,
  type StoredOverride,
  shiftView,
} from '../core/oncall-overrides.ts';
import { isCalendarDate } from '../core/zoned-time.ts';
import type { OverrideStore } from './ports.ts';

/**
 * The on-call schedules of the configuration and the overrides operators add to them: who is on call at a
 * time and next, and the overrides of a window (added once, removed by marking, kept for the record).
 */

export interface ScheduleDeps {
  overrides: OverrideStore;
  schedules: readonly Schedule[];
  people: PeopleDirectory;
  now: () => Date;
}

const DAY_MS = 86_400_000;
/** How many handoffs `oncall` answers after the current shift. */
const NEXT_HANDOFFS = 3;
/** How far from now `oncall` answers for. */
export const MAX_AT_YEARS = 10;
/** The widest window `GET /schedules/{id}/overrides` reads. */
export const MAX_LIST_DAYS = 400;

function scheduleOf(deps: ScheduleDeps, scheduleId: string): Schedule {
  const schedule = deps.schedules.find((s) => s.id === scheduleId);
  if (!schedule) throw new NotFoundError(`no schedule "${scheduleId.slice(0, 64)}"`);
  return schedule;
}

export function listSchedules(deps: ScheduleDeps) {
  return deps.schedules.map((s) => ({
    id: s.id,
    name: s.name,
    timeZone: s.timeZone,
    rotation: {
      members: s.rotation.members.map((id) => personView(deps.people, id)),
      handoff: s.rotation.handoff,
      shift: s.rotation.shift,
      start: s.rotation.start,
    },
  }));
}

/** The piece of the schedule that holds `at` (rotation or override), with `overrides` in precedence order. */
function shiftAt(schedule: Schedule, overrides: readonly Override[], at: Date): Shift {
  const found = shiftsBetween(schedule, overrides, at, new Date(at.getTime() + 1)).find(
    (s) => s.start.getTime() <= at.getTime() && at.getTime() < s.end.getTime(),
  );
  if (!found) throw new Error(`schedule ${schedule.id} has no shift at ${at.toISOString()}`);
  return found;
}

export interface OnCall {
  schedule: { id: string; name: string; timeZone: string };
  at: string;
  onCall: ShiftView;
  /** The shifts of the next people to take over (a handoff to the same person is not one). */
  next: ShiftView[];
}

/** Who is on call at `at` (now by default) and the next handoffs, overrides included. */
export async function onCall(deps: ScheduleDeps, scheduleId: string, at?: Date): Promise<OnCall> {
  const schedule = scheduleOf(deps, scheduleId);
  const when = at ?? deps.now();
  // Shifts are found by walking from an estimate: a time centuries away would cost seconds and say nothing.
  if (Math.abs(when.getTime() - deps.now().getTime()) > MAX_AT_YEARS * 366 * DAY_MS)
    throw new ValidationError(`at: must be within ${MAX_AT_YEARS} years of now`);
  // Overrides from the start of the rotation shift holding `when` (one that ended earlier in that shift cuts
  // it), to the horizon the handoffs are looked for in: beyond it, no override was read.
  const horizonDays = handoffHorizonDays(schedule);
  const from = rotationShiftAt(schedule, when).start;
  const to = new Date(when.getTime() + horizonDays * DAY_MS);
  const overrides = inPrecedenceOrder(await deps.overrides.touching(schedule.id, from, to));
  const view = (shift: Shift) => shiftView(schedule, deps.people, shift);
  return {
    schedule: { id: schedule.id, name: schedule.name, timeZone: schedule.timeZone },
    at: when.toISOString(),
    onCall: view(shiftAt(schedule, overrides, when)),
    next: nextHandoffs(schedule, overrides, when, NEXT_HANDOFFS, horizonDays).map((h) =>
      view(shiftAt(schedule, overrides, h.at)),
    ),
  };
}

/** An override as a request gives it: instants, or wall times in the schedule's zone. */
export type OverrideRequest = { id?: string; personId: string } & (
  | { start: string; end: string }
  | { from: { date: string; time: string }; to: { date: string; time: string } }
);

function instantsOf(schedule: Schedule, request: OverrideRequest): Override {
  if ('start' in request) {
    return {
      id: '',
      personId: request.personId,
      start: new Date(request.start).toISOString(),
      end: new Date(request.end).toISOString(),
    };
  }
  const bad = (['from', 'to'] as const).filter((side) => !isCalendarDate(request[side].date));
  if (bad.length > 0)
    throw new ValidationError(bad.map((side) => `${side}.date: not a date the calendar has`).join('; '));
  return overrideFromWallTimes(schedule, {
    id: '',
    personId: request.personId,
    from: request.from,
    to: request.to,
  });
}

export interface AddedOverride {
  /** False when the override already existed (a retried POST): nothing was written. */
  created: boolean;
  override: OverrideView;
}

/**
 * Adds an override once: its id is the client's, or derived from the schedule, person and instants, so a
 * retried request answers the override it made. An id already naming another override is a conflict.
 */
export async function addOverride(
  deps: ScheduleDeps,
  scheduleId: string,
  request: OverrideRequest,
  by: string,
): Promise<AddedOverride> {
  const schedule = scheduleOf(deps, scheduleId);
  const override = instantsOf(schedule, request);
  const wall = !('start' in request);
  const named = (field: string) =>
    wall && field === 'start' ? 'from' : wall && field === 'end' ? 'to' : field;
  const now = deps.now();
  const problems = [
    ...overrideProblems(override, new Set(Object.keys(deps.people))),
    ...overrideLimitProblems(override, now),
  ];
  if (problems.length > 0)
    throw new ValidationError(problems.map((p) => `${named(p.field)}: ${p.message}`).join('; '));
  const id = request.id ?? derivedOverrideId(schedule.id, override);
  const stored: StoredOverride = {
    ...override,
    id,
    scheduleId: schedule.id,
    createdAt: now.toISOString(),
    createdBy: by,
  };
  if (await deps.overrides.create(stored))
    return { created: true, override: overrideView(schedule, deps.people, stored) };
  const existing = await deps.overrides.get(schedule.id, id);
  if (!existing) throw new RetryableError(`override ${id} is being written; retry`);
  if (existing.removedAt)
    throw new ConflictError(`override ${id} was removed at ${existing.removedAt}; add it with another id`);
  const same =
    existing.personId === stored.personId && existing.start === stored.start && existing.end === stored.end;
  if (!same) throw new ConflictError(`override id ${id} already names another override`);
  return { created: false, override: overrideView(schedule, deps.people, existing) };
}

/** The overrides of a schedule overlapping `[from, to)`: by default the current and every upcoming one. */
export async function listOverrides(
  deps: ScheduleDeps,
  scheduleId: string,
  window: { from?: Date; to?: Date } = {},
): Promise<OverrideView[]> {
  const schedule = scheduleOf(deps, scheduleId);
  const from = window.from ?? deps.now();
  const to =
    window.to ?? new Date(from.getTime() + (OVERRIDE_LIMITS.aheadDays + OVERRIDE_LIMITS.maxDays) * DAY_MS);
  if (to.getTime() <= from.getTime()) throw new ValidationError('to: must be after from');
  if (to.getTime() - from.getTime() > MAX_LIST_DAYS * DAY_MS)
    throw new ValidationError(`to: a window is at most ${MAX_LIST_DAYS} days`);
  const found = await deps.overrides.touching(schedule.id, from, to);
  return [...found]
    .sort((a, b) => a.start.localeCompare(b.start) || a.createdAt.localeCompare(b.createdAt))
    .map((o) => overrideView(schedule, deps.people, o));
}

/**
 * Removes an override that has not ended (the record stays, marked, out of the lists). One that ended stays as
 * it is: it is the record of who was on call.
 */
export async function removeOverride(
  deps: ScheduleDeps,
  scheduleId: string,
  overrideId: string,
  by: string,
): Promise<OverrideView> {
  const schedule = scheduleOf(deps, scheduleId);
  const now = deps.now();
  const removed = await deps.overrides.remove(schedule.id, overrideId, by, now);
  if (removed) return overrideView(schedule, deps.people, removed);
  const existing = await deps.overrides.get(schedule.id, overrideId);
  if (!existing) throw new NotFoundError(`no override ${overrideId} on schedule ${schedule.id}`);
  if (existing.removedAt)
    throw new NotFoundError(
      `override ${overrideId} was removed at ${existing.removedAt} by ${existing.removedBy}`,
    );
  throw new ConflictError(
    `override ${overrideId} ended at ${existing.end}: an ended override stays as the record of who was on call`,
  );
}
