import { createHash } from 'node:crypto';
import type { Override, Schedule, Shift } from './oncall.ts';
import { redactPhone } from './people.ts';
import { offsetAt, wallTimeAt } from './zoned-time.ts';

/**
 * Overrides as the API stores and shows them: the rules an override must keep beyond `overrideProblems` (its
 * length and how far ahead it may be), its id when the client gives none, and how a shift reads in an answer
 * (the person by id and name, never a full phone number; the times in ISO and in the schedule's zone).
 */

/**
 * An override covers at most 31 days (a month's leave; longer is a change of the rotation), and starts at most
 * 90 days ahead (a quarter's planning). The cap on the length also bounds the Query that lists a window's
 * overrides (keys.ts `indexes.scheduleOverrides`).
 */
export const OVERRIDE_LIMITS = { maxDays: 31, aheadDays: 90 } as const;

const DAY_MS = 86_400_000;
export const MAX_OVERRIDE_MS = OVERRIDE_LIMITS.maxDays * DAY_MS;

/** An override as stored: who added it and when; a removed one says who removed it and when. */
export interface StoredOverride extends Override {
  scheduleId: string;
  createdAt: string;
  createdBy: string;
  removedAt?: string;
  removedBy?: string;
}

/** Override ids: what a client may choose (the idempotency key of its POST), and what is derived. */
export const OVERRIDE_ID = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/;

/**
 * The id of an override the client did not name one for: the same schedule, person and instants give the same
 * id, so a retried POST finds the override it made instead of making a second.
 */
export function derivedOverrideId(scheduleId: string, override: Omit<Override, 'id'>): string {
  const canonical = [
    scheduleId,
    override.personId,
    new Date(override.start).toISOString(),
    new Date(override.end).toISOString(),
  ].join('\n');
  return `o-${createHash('sha256').update(canonical).digest('hex').slice(0, 20)}`;
}

/** What breaks the API's caps: too long, too far ahead, or already over (`overrideProblems` checks the rest). */
export function overrideLimitProblems(
  override: Pick<Override, 'start' | 'end'>,
  now: Date,
): { field: 'start' | 'end'; message: string }[] {
  const start = Date.parse(override.start);
  const end = Date.parse(override.end);
  if (Number.isNaN(start) || Number.isNaN(end) || end <= start) return [];
  const problems: { field: 'start' | 'end'; message: string }[] = [];
  if (end - start > MAX_OVERRIDE_MS)
    problems.push({ field: 'end', message: `an override covers at most ${OVERRIDE_LIMITS.maxDays} days` });
  if (start - now.getTime() > OVERRIDE_LIMITS.aheadDays * DAY_MS)
    problems.push({
      field: 'start',
      message: `an override starts at most ${OVERRIDE_LIMITS.aheadDays} days ahead`,
    });
  if (end <= now.getTime()) problems.push({ field: 'end', message: 'the override would be over already' });
  return problems;
}

/** Overrides in the order `onCallAt` reads them (the later wins): the one added last is last. */
export function inPrecedenceOrder<T extends StoredOverride>(overrides: readonly T[]): T[] {
  return [...overrides].sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** An instant as the schedule's clock shows it, ISO-8601 with its offset: `2026-03-29T09:00+02:00`. */
export function zonedIso(instant: Date, timeZone: string): string {
  const { day, minute } = wallTimeAt(instant.getTime(), timeZone);
  const date = new Date(day * DAY_MS).toISOString().slice(0, 10);
  const offsetMinutes = Math.round(offsetAt(instant.getTime(), timeZone) / 60_000);
  const sign = offsetMinutes < 0 ? '-' : '+';
  const abs = Math.abs(offsetMinutes);
  return `${date}T${pad(Math.floor(minute / 60))}:${pad(minute % 60)}${sign}${pad(Math.floor(abs / 60))}:${pad(abs % 60)}`;
}

/** Whom a person id names, for an answer: id and name, a phone number only redacted. */
export interface PersonView {
  id: string;
  name: string;
  phone?: string;
}

export type PeopleDirectory = Readonly<Record<string, { name: string; phone?: string | undefined }>>;

export function personView(people: PeopleDirectory, personId: string): PersonView {
  const person = Object.hasOwn(people, personId) ? people[personId] : undefined;
  if (!person) return { id: personId, name: personId };
  return person.phone
    ? { id: personId, name: person.name, phone: redactPhone(person.phone) }
    : { id: personId, name: person.name };
}

/** A stretch one person holds from one source, as the API answers it. */
export interface ShiftView {
  person: PersonView;
  start: string;
  end: string;
  /** The same instants on the schedule's clock. */
  local: { start: string; end: string; timeZone: string };
  source: 'rotation' | 'override';
  overrideId?: string;
}

export function shiftView(schedule: Schedule, people: PeopleDirectory, shift: Shift): ShiftView {
  return {
    person: personView(people, shift.personId),
    start: shift.start.toISOString(),
    end: shift.end.toISOString(),
    local: {
      start: zonedIso(shift.start, schedule.timeZone),
      end: zonedIso(shift.end, schedule.timeZone),
      timeZone: schedule.timeZone,
    },
    source: shift.source.kind,
    ...(shift.source.kind === 'override' ? { overrideId: shift.source.overrideId } : {}),
  };
}

/** An override as the API answers it: its instants, the same on the schedule's clock, and whom it names. */
export function overrideView(schedule: Schedule, people: PeopleDirectory, override: StoredOverride) {
  return {
    id: override.id,
    scheduleId: override.scheduleId,
    person: personView(people, override.personId),
    start: override.start,
    end: override.end,
    local: {
      start: zonedIso(new Date(override.start), schedule.timeZone),
      end: zonedIso(new Date(override.end), schedule.timeZone),
      timeZone: schedule.timeZone,
    },
    createdAt: override.createdAt,
    createdBy: override.createdBy,
    ...(override.removedAt ? { removedAt: override.removedAt, removedBy: override.removedBy } : {}),
  };
}

export type OverrideView = ReturnType<typeof overrideView>;
