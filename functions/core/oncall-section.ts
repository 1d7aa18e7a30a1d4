import { handoffHorizonDays, nextHandoffs, type Override, onCallAt, type Schedule } from './oncall.ts';
import { type PagingDirectory, parsePageTarget, schedulesNamed } from './page-targets.ts';

/**
 * The "On call" section of the incident pages (the view link's and the responder's): for each paging tier of the
 * incident's service (primary and backup incident managers, the IMOC), who is on call in each schedule it names
 * now and until when, and who is next from when, in the schedule's zone; a person or an address it names shows as
 * itself. No section when no tier names a schedule (the page then says nothing it does not already).
 */

/** One entry of a tier: whoever a schedule has on call, or a fixed person or address. */
export type OnCallEntry =
  | {
      kind: 'schedule';
      schedule: string;
      /** Who is on call now, and until when (readable, in the schedule's zone) if a handoff is in sight. */
      now: { name: string; until?: string };
      /** Who takes over next, and from when. */
      next?: { name: string; from: string };
    }
  | { kind: 'person'; name: string }
  | { kind: 'address'; address: string };

export interface OnCallTier {
  label: string;
  entries: OnCallEntry[];
}

/** An incident page's "On call" section: its tiers, or word that the schedules' overrides could not be read. */
export type OnCallSection = OnCallTier[] | 'unavailable';

/** The tiers a service pages, in the order it escalates, with the words a page shows for each. */
export function serviceTiers(
  service: { incidentManagers: { primary: readonly string[]; backup?: readonly string[] | undefined } },
  imoc: readonly string[],
): { label: string; entries: readonly string[] }[] {
  return [
    { label: 'Primary incident manager', entries: service.incidentManagers.primary },
    { label: 'Backup incident manager', entries: service.incidentManagers.backup ?? [] },
    { label: 'IMOC', entries: imoc },
  ];
}

/** The schedules the tiers name (their overrides are read before `onCallSection`); none means no section. */
export function tierSchedules(tiers: readonly { entries: readonly string[] }[]): string[] {
  return schedulesNamed(tiers.flatMap((t) => t.entries));
}

const DAY_MS = 86_400_000;

/**
 * The section at `at`, or undefined when no tier names a schedule. `overridesOf` gives each schedule's overrides
 * in precedence order, read over `[at, at + handoffHorizonDays(schedule))`. Tiers with nothing known are left out.
 */
export function onCallSection(
  directory: PagingDirectory,
  tiers: readonly { label: string; entries: readonly string[] }[],
  at: Date,
  overridesOf: (scheduleId: string) => readonly Override[],
): OnCallTier[] | undefined {
  if (tierSchedules(tiers).length === 0) return undefined;
  const people = directory.people ?? {};
  const nameOf = (id: string) => (Object.hasOwn(people, id) ? (people[id]?.name ?? id) : id);
  const entryOf = (entry: string): OnCallEntry | undefined => {
    const target = parsePageTarget(entry);
    if (!target) return undefined;
    if (target.kind === 'address') return { kind: 'address', address: target.address };
    if (target.kind === 'person')
      return Object.hasOwn(people, target.personId)
        ? { kind: 'person', name: nameOf(target.personId) }
        : undefined;
    const schedules = directory.schedules ?? {};
    const config = Object.hasOwn(schedules, target.scheduleId) ? schedules[target.scheduleId] : undefined;
    if (!config) return undefined;
    const schedule: Schedule = { id: target.scheduleId, ...config };
    const overrides = overridesOf(schedule.id);
    const [handoff] = nextHandoffs(schedule, overrides, at, 1, handoffHorizonDays(schedule));
    const when = handoff && readableTime(handoff.at, schedule.timeZone);
    return {
      kind: 'schedule',
      schedule: schedule.name,
      now: { name: nameOf(onCallAt(schedule, overrides, at)), ...(when ? { until: when } : {}) },
      ...(handoff && when ? { next: { name: nameOf(handoff.to), from: when } } : {}),
    };
  };
  return tiers
    .map((tier) => ({
      label: tier.label,
      entries: tier.entries.flatMap((e) => entryOf(e) ?? []),
    }))
    .filter((tier) => tier.entries.length > 0);
}

const formats = new Map<string, Intl.DateTimeFormat>();

/**
 * An instant as a reader reads it on a phone, in a zone: `Tue 8 Dec, 08:00 America/New_York (13:00 UTC)`; in UTC
 * `Tue 8 Dec, 13:00 UTC`. Within a year of now (a handoff's horizon), so no year.
 */
export function readableTime(instant: Date, timeZone: string): string {
  const local = clockIn(instant, timeZone);
  if (timeZone === 'UTC' || timeZone === 'Etc/UTC') return `${local} UTC`;
  const utc = clockIn(instant, 'UTC');
  const sameDay = utc.slice(0, utc.indexOf(',')) === local.slice(0, local.indexOf(','));
  return `${local} ${timeZone} (${sameDay ? utc.slice(utc.indexOf(',') + 2) : utc} UTC)`;
}

function clockIn(instant: Date, timeZone: string): string {
  let format = formats.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      weekday: 'short',
      day: 'numeric',
      month: 'short',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    });
    formats.set(timeZone, format);
  }
  const p = Object.fromEntries(format.formatToParts(instant).map((part) => [part.type, part.value]));
  return `${p.weekday} ${p.day} ${p.month}, ${p.hour}:${p.minute}`;
}

/** Each schedule's window of overrides to read for the section at `at`. */
export function overrideWindowOf(schedule: Pick<Schedule, 'rotation'>, at: Date): { from: Date; to: Date } {
  return { from: at, to: new Date(at.getTime() + handoffHorizonDays(schedule) * DAY_MS) };
}
