import ICAL from 'ical.js';
import { type Rotation, type Schedule, shiftsBetween } from './oncall.ts';
import { instantOf, isIanaTimeZone, isoWeekdayOf, wallTimeAt } from './zoned-time.ts';

/**
 * A schedule's rotation read from an iCalendar file (at synth and start, infra/config.ts): the shifts people
 * export from another tool or keep in a shared calendar. Events are expanded with ical.js (Mozilla's: RRULE,
 * RDATE, EXDATE), each is matched to a person of the configuration (an ATTENDEE or ORGANIZER address, else the
 * summary starting with their name or id), and the occurrences must be a rotation: back to back (no gap, no
 * overlap), each the same whole number of days, handed over at the same local time in the schedule's zone, the
 * people in a repeating order seen at least twice. The rotation found is checked by laying its shifts again
 * (core/oncall.ts) over the file's span: it must give back every occurrence exactly. Anything else is refused
 * with the first thing that does not fit, never guessed: a cover for part of a shift is an override (API, CLI).
 * Wall times are read in the event's TZID as an IANA zone (the file's VTIMEZONE blocks are not trusted), UTC
 * times as instants, floating times in the schedule's zone.
 */

export interface ImportPerson {
  name: string;
  email?: string | undefined;
}

export class CalendarImportError extends Error {}

/** How far from the first event occurrences are expanded, and how many at most. */
const HORIZON_DAYS = 731;
const MAX_OCCURRENCES = 5000;
const DAY_MS = 86_400_000;

interface Occurrence {
  personId: string;
  start: number;
  end: number;
  /** What the error messages call it. */
  label: string;
}

const pad = (n: number) => String(n).padStart(2, '0');
const iso = (ms: number) => new Date(ms).toISOString().replace(':00.000Z', 'Z');

/** The person an event is for: by address (ATTENDEE, ORGANIZER), else by the start of its summary. */
function personOf(event: ICAL.Event, people: Readonly<Record<string, ImportPerson>>): string | undefined {
  const addresses = [
    ...event.attendees.map((a) => String(a.getFirstValue() ?? '')),
    String(event.component.getFirstPropertyValue('organizer') ?? ''),
  ]
    .map((value) =>
      value
        .replace(/^mailto:/i, '')
        .trim()
        .toLowerCase(),
    )
    .filter((value) => value.length > 0);
  const byAddress = Object.entries(people).filter(
    ([, p]) => p.email !== undefined && addresses.includes(p.email.toLowerCase()),
  );
  if (byAddress.length > 1)
    throw new CalendarImportError(
      `event "${event.summary ?? event.uid}" names several people (${byAddress.map(([id]) => id).join(', ')}): one person per shift`,
    );
  if (byAddress[0]) return byAddress[0][0];
  const summary = (event.summary ?? '').trim().toLowerCase();
  let best: { id: string; length: number } | undefined;
  for (const [id, p] of Object.entries(people)) {
    for (const word of [p.name.trim().toLowerCase(), id.toLowerCase()]) {
      const fits =
        summary === word || (summary.startsWith(word) && /^[\s:,(-]/.test(summary.slice(word.length)));
      if (fits && (!best || word.length > best.length)) best = { id, length: word.length };
    }
  }
  return best?.id;
}

/** The instant of an occurrence's time: in its TZID, UTC, or (floating) the schedule's zone. */
function instantOfTime(time: ICAL.Time, tzid: string | undefined, timeZone: string): number {
  const date = `${time.year}-${pad(time.month)}-${pad(time.day)}`;
  const clock = time.isDate ? '00:00' : `${pad(time.hour)}:${pad(time.minute)}`;
  if (!time.isDate && time.second !== 0)
    throw new CalendarImportError(
      `a shift starts or ends at ${date} ${clock}:${pad(time.second)}: whole minutes only`,
    );
  if (time.zone === ICAL.Timezone.utcTimezone) return Date.parse(`${date}T${clock}:00Z`);
  return instantOf(date, clock, tzid ?? timeZone).getTime();
}

function occurrencesOf(
  text: string,
  timeZone: string,
  people: Readonly<Record<string, ImportPerson>>,
): Occurrence[] {
  let calendar: ICAL.Component;
  try {
    calendar = new ICAL.Component(ICAL.parse(text) as unknown[]);
  } catch (error) {
    throw new CalendarImportError(`not an iCalendar file (${(error as Error).message})`);
  }
  if (calendar.name !== 'vcalendar') throw new CalendarImportError('not an iCalendar file (no VCALENDAR)');
  const components = calendar.getAllSubcomponents('vevent');
  if (components.length === 0) throw new CalendarImportError('the calendar has no events');
  const events = components.map((component) => new ICAL.Event(component));
  const modified = events.find((e) => e.isRecurrenceException());
  if (modified)
    throw new CalendarImportError(
      `event "${modified.summary ?? modified.uid}" changes one occurrence of a recurring shift (RECURRENCE-ID): add a cover for part of a rotation as an override (API or CLI) instead`,
    );
  const occurrences: Occurrence[] = [];
  let horizon = Number.POSITIVE_INFINITY;
  const zoneOf = (event: ICAL.Event, property: 'dtstart' | 'dtend' = 'dtstart') => {
    const tzid = event.component.getFirstProperty(property)?.getParameter('tzid');
    const id = Array.isArray(tzid) ? tzid[0] : tzid;
    if (id !== undefined && !isIanaTimeZone(id))
      throw new CalendarImportError(
        `event "${event.summary ?? event.uid}": TZID "${id}" is not an IANA time zone`,
      );
    return id;
  };
  for (const event of events) {
    if (!event.startDate)
      throw new CalendarImportError(`event "${event.summary ?? event.uid}" has no DTSTART`);
    const start = instantOfTime(event.startDate, zoneOf(event), timeZone);
    horizon = Math.min(horizon, start + HORIZON_DAYS * DAY_MS);
  }
  for (const event of events) {
    const label = event.summary ?? event.uid ?? 'an event';
    const personId = personOf(event, people);
    if (!personId)
      throw new CalendarImportError(
        `event "${label}" names none of the people (by an ATTENDEE address, or a summary starting with their name or id)`,
      );
    const tzid = zoneOf(event);
    // DTEND may name its own zone; a DURATION (or no end) keeps the start's.
    const endTzid = event.component.hasProperty('dtend') ? zoneOf(event, 'dtend') : tzid;
    const add = (start: ICAL.Time, end: ICAL.Time) => {
      const from = instantOfTime(start, tzid, timeZone);
      const to = instantOfTime(end, endTzid, timeZone);
      if (to <= from) throw new CalendarImportError(`event "${label}" at ${iso(from)} ends before it starts`);
      occurrences.push({ personId, start: from, end: to, label });
      if (occurrences.length > MAX_OCCURRENCES)
        throw new CalendarImportError(
          `more than ${MAX_OCCURRENCES} shifts in two years: shifts are whole days`,
        );
    };
    if (!event.isRecurring()) {
      add(event.startDate, event.endDate);
      continue;
    }
    const iterator = event.iterator();
    for (let next = iterator.next(); next; next = iterator.next()) {
      const details = event.getOccurrenceDetails(next);
      if (instantOfTime(details.startDate, tzid, timeZone) >= horizon) break;
      add(details.startDate, details.endDate);
    }
  }
  return occurrences.filter((o) => o.start < horizon).sort((a, b) => a.start - b.start || a.end - b.end);
}

/** The value seen most often (the first seen of equals). */
function mostCommon(values: readonly number[]): number {
  const counts = new Map<number, number>();
  for (const v of values) counts.set(v, (counts.get(v) ?? 0) + 1);
  let best = values[0] as number;
  for (const [v, n] of counts) if (n > (counts.get(best) ?? 0)) best = v;
  return best;
}

/** The smallest period of a sequence, if it is seen at least twice. */
function periodOf(sequence: readonly string[]): number | undefined {
  for (let p = 1; 2 * p <= sequence.length; p += 1) {
    if (sequence.every((value, i) => i + p >= sequence.length || sequence[i + p] === value)) return p;
  }
  return undefined;
}

/** The rotation an iCalendar file describes for a schedule in `timeZone`; throws CalendarImportError. */
export function rotationFromCalendar(
  text: string,
  options: { scheduleId: string; timeZone: string; people: Readonly<Record<string, ImportPerson>> },
): Rotation {
  const { timeZone, people } = options;
  const shifts = occurrencesOf(text, timeZone, people);
  const name = (o: Occurrence) => `${people[o.personId]?.name ?? o.personId}'s shift from ${iso(o.start)}`;
  for (let i = 1; i < shifts.length; i += 1) {
    const before = shifts[i - 1] as Occurrence;
    const shift = shifts[i] as Occurrence;
    if (shift.start < before.end)
      throw new CalendarImportError(
        `${name(shift)} overlaps ${name(before)}: a rotation has one person at a time`,
      );
    if (shift.start > before.end)
      throw new CalendarImportError(`nobody is on call from ${iso(before.end)} to ${iso(shift.start)}`);
  }
  // The handoff's local time and the shifts' length in days: what most shifts show (a handoff time the clocks
  // skip moves forward by the gap, core/zoned-time.ts, so a shift holding a change may show another).
  const walls = shifts.map((shift) => {
    const start = wallTimeAt(shift.start, timeZone);
    const end = wallTimeAt(shift.end, timeZone);
    return { start, end, days: end.day - start.day };
  });
  const minute = mostCommon(walls.map((w) => w.start.minute));
  const days = mostCommon(walls.map((w) => w.days));
  const clock = `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}`;
  const first = shifts[0] as Occurrence;
  const firstWall = walls[0] as (typeof walls)[number];
  if (days < 1)
    throw new CalendarImportError(
      `shifts shorter than a day (${name(first)}): a rotation's shifts are whole days`,
    );
  const period = periodOf(shifts.map((s) => s.personId));
  if (period === undefined)
    throw new CalendarImportError(
      'the people do not repeat in a fixed order within the file (a rotation shows every member at least twice, or recurs: RRULE)',
    );
  const rotation: Rotation = {
    members: shifts.slice(0, period).map((s) => s.personId),
    handoff: { ...(days % 7 === 0 ? { weekday: isoWeekdayOf(firstWall.start.day) } : {}), time: clock },
    shift: days === 1 ? 'daily' : days === 7 ? 'weekly' : { days },
    start: new Date(firstWall.start.day * DAY_MS).toISOString().slice(0, 10),
  };
  // The rotation must lay the file's shifts again, each one exactly.
  const schedule: Schedule = { id: options.scheduleId, name: options.scheduleId, timeZone, rotation };
  const last = shifts.at(-1) as Occurrence;
  const laid = shiftsBetween(schedule, [], new Date(first.start), new Date(last.end));
  shifts.forEach((shift, i) => {
    const again = laid[i];
    if (
      again &&
      again.personId === shift.personId &&
      again.start.getTime() === shift.start &&
      again.end.getTime() === shift.end
    )
      return;
    const wall = walls[i] as (typeof walls)[number];
    if (wall.days !== days)
      throw new CalendarImportError(
        `${name(shift)} lasts ${wall.days} days, the others ${days}: shifts of a rotation are alike`,
      );
    if (wall.start.minute !== minute || wall.end.minute !== minute)
      throw new CalendarImportError(
        `${name(shift)} is not handed over at ${clock} ${timeZone} like the others: a rotation hands over at one local time`,
      );
    throw new CalendarImportError(`${name(shift)} does not follow the order of the people before it`);
  });
  return rotation;
}
