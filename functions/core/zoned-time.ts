/**
 * Wall-clock arithmetic in IANA time zones, through Intl only (the time zone database Node ships), for on-call
 * handoffs. Calendar dates are counted as day numbers (days since 1970-01-01 in the proleptic Gregorian
 * calendar), so "the same time N days later" is integer arithmetic on the date and one conversion to an instant:
 * a handoff stays at its wall time on both sides of a daylight-saving change, and the shift that contains the
 * change is simply shorter or longer.
 *
 * One rule for wall times a change makes nonexistent or ambiguous, the one RFC 5545 (3.3.5) and Temporal's
 * `compatible` disambiguation use, so our instants match what a calendar client computes from the same rule:
 * - a time skipped by a spring-forward change is read with the offset from before the change, i.e. it moves
 *   forward by the change (02:30 on a night that jumps 02:00 -> 03:00 is 03:30 in the new offset);
 * - a time repeated by a fall-back change is its first occurrence (the earlier instant).
 */

const DAY_MS = 86_400_000;
const MINUTE_MS = 60_000;

const formatters = new Map<string, Intl.DateTimeFormat>();

/** One formatter per zone (building one is the costly part), reading every field on a 24-hour clock. */
export function zoneFormatter(timeZone: string): Intl.DateTimeFormat {
  let f = formatters.get(timeZone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, f);
  }
  return f;
}

/** Whether Intl knows the IANA time zone. */
export function isIanaTimeZone(timeZone: string): boolean {
  if (timeZone.length === 0) return false;
  try {
    zoneFormatter(timeZone);
    return true;
  } catch {
    return false;
  }
}

/** A wall-clock reading: the calendar day as a day number and the minute of that day. */
export interface WallTime {
  day: number;
  /** Minutes after local midnight, 0-1439. */
  minute: number;
}

/** What the clock in `timeZone` shows at `instant` (ms since the epoch), to the minute. */
export function wallTimeAt(instant: number, timeZone: string): WallTime {
  const parts = zoneFormatter(timeZone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const day = Date.UTC(get('year'), get('month') - 1, get('day')) / DAY_MS;
  return { day, minute: get('hour') * 60 + get('minute') };
}

/** How far the zone's clock is ahead of UTC at `instant`, in ms (seconds precision, as the database has it). */
export function offsetAt(instant: number, timeZone: string): number {
  const parts = zoneFormatter(timeZone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  const wallAsUtc = Date.UTC(
    get('year'),
    get('month') - 1,
    get('day'),
    get('hour'),
    get('minute'),
    get('second'),
  );
  const wholeSeconds = instant - (((instant % 1000) + 1000) % 1000);
  return wallAsUtc - wholeSeconds;
}

/**
 * The instant at which the clock in `timeZone` shows `minute` on `day`, by the rule above. Offsets are sampled
 * a day either side: no zone changes its offset twice within two days in the database's modern data.
 */
export function instantOfWallTime(day: number, minute: number, timeZone: string): number {
  const asUtc = day * DAY_MS + minute * MINUTE_MS;
  const before = offsetAt(asUtc - DAY_MS, timeZone);
  const after = offsetAt(asUtc + DAY_MS, timeZone);
  const valid = [asUtc - before, asUtc - after].filter((t) => offsetAt(t, timeZone) === asUtc - t);
  // Both valid and different: the wall time happens twice; take the first occurrence.
  if (valid.length > 0) return Math.min(...valid);
  // Neither: skipped by a forward change; read it with the offset from before the change.
  return asUtc - before;
}

/** `HH:MM` (24 h) to minutes after midnight. */
export function minuteOfDay(time: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) throw new Error(`not a time of day (HH:MM): ${time}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** `YYYY-MM-DD` to a day number; throws on a date the calendar does not have (2025-02-30). */
export function dayNumberOf(date: string): number {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(date);
  if (!match) throw new Error(`not a date (YYYY-MM-DD): ${date}`);
  const [year, month, dayOfMonth] = [Number(match[1]), Number(match[2]), Number(match[3])];
  const d = new Date(Date.UTC(year, month - 1, dayOfMonth));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== month - 1 || d.getUTCDate() !== dayOfMonth) {
    throw new Error(`not a calendar date: ${date}`);
  }
  return Date.UTC(year, month - 1, dayOfMonth) / DAY_MS;
}

/** Whether `YYYY-MM-DD` is a real calendar date. */
export function isCalendarDate(date: string): boolean {
  try {
    dayNumberOf(date);
    return true;
  } catch {
    return false;
  }
}

/** ISO weekday of a day number: 1 = Monday ... 7 = Sunday (1970-01-01 was a Thursday). */
export function isoWeekdayOf(day: number): number {
  return ((((day + 3) % 7) + 7) % 7) + 1;
}

/** The instant of a wall time given as `YYYY-MM-DD` and `HH:MM` in `timeZone`, by the rule above. */
export function instantOf(date: string, time: string, timeZone: string): Date {
  return new Date(instantOfWallTime(dayNumberOf(date), minuteOfDay(time), timeZone));
}
