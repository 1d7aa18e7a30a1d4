/**
 * Business hours of a service, in its own time zone: when a sev 3 is worked on and its team may be chased
 * (handbook: "severity 3 incidents are passed to the delivery teams for resolution during business hours").
 * Wall times are converted through Intl, so daylight saving changes are the time zone database's business.
 */

import { zoneFormatter } from './zoned-time.ts';

export interface BusinessHours {
  /** IANA time zone, e.g. `Europe/London`. */
  timeZone: string;
  /** ISO weekdays that are business days: 1 = Monday ... 7 = Sunday. */
  days: readonly number[];
  /** Wall-clock start and end of a business day, `HH:MM` (24 h), start before end. */
  start: string;
  end: string;
}

export const DEFAULT_BUSINESS_HOURS: BusinessHours = {
  timeZone: 'UTC',
  days: [1, 2, 3, 4, 5],
  start: '09:00',
  end: '17:00',
};

/** A calendar date as the service's clock shows it. */
export interface LocalDate {
  year: number;
  month: number;
  day: number;
}

interface Wall extends LocalDate {
  hour: number;
  minute: number;
  second: number;
}

/** What the clock in `timeZone` shows at `instant` (ms since the epoch). */
function wallClock(instant: number, timeZone: string): Wall {
  const parts = zoneFormatter(timeZone).formatToParts(new Date(instant));
  const get = (type: Intl.DateTimeFormatPartTypes) => Number(parts.find((p) => p.type === type)?.value);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

/** How far the zone's clock is ahead of UTC at `instant`, in ms (whole seconds: sub-second parts drop out). */
function offsetAt(instant: number, timeZone: string): number {
  const w = wallClock(instant, timeZone);
  const wallAsUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return wallAsUtc - (instant - (((instant % 1000) + 1000) % 1000));
}

/**
 * The instant at which the clock in `timeZone` shows the wall time. A time a DST change skips moves forward by
 * the change (01:30 on the spring-forward night in London is 02:30 BST); a time it repeats is one of the two.
 */
function wallToInstant(date: LocalDate, minutes: number, timeZone: string): Date {
  const asUtc = Date.UTC(date.year, date.month - 1, date.day, 0, minutes);
  const first = asUtc - offsetAt(asUtc, timeZone);
  const second = asUtc - offsetAt(first, timeZone);
  if (second + offsetAt(second, timeZone) === asUtc) return new Date(second);
  // Skipped by a change: the two guesses straddle the gap, and the later one is the time moved forward.
  return new Date(Math.max(first, second));
}

/** `HH:MM` to minutes after midnight. */
export function minutesOf(time: string): number {
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match) throw new Error(`not a time of day (HH:MM): ${time}`);
  return Number(match[1]) * 60 + Number(match[2]);
}

/** ISO weekday of a calendar date: 1 = Monday ... 7 = Sunday. */
export function isoWeekday(date: LocalDate): number {
  const day = new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay();
  return day === 0 ? 7 : day;
}

function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** The calendar date the service's clock shows at `at`. */
export function localDate(hours: BusinessHours, at: Date): LocalDate {
  const { year, month, day } = wallClock(at.getTime(), hours.timeZone);
  return { year, month, day };
}

/** `YYYYMMDD` of the service's calendar date at `at`: a business day as a number (one reminder per day). */
export function businessDayNumber(hours: BusinessHours, at: Date): number {
  const { year, month, day } = localDate(hours, at);
  return year * 10_000 + month * 100 + day;
}

export function isBusinessDay(hours: BusinessHours, date: LocalDate): boolean {
  return hours.days.includes(isoWeekday(date));
}

/** Whether `at` is within business hours: a business day, at or after its start and before its end. */
export function isBusinessTime(hours: BusinessHours, at: Date): boolean {
  const w = wallClock(at.getTime(), hours.timeZone);
  if (!isBusinessDay(hours, w)) return false;
  const minute = w.hour * 60 + w.minute;
  return minute >= minutesOf(hours.start) && minute < minutesOf(hours.end);
}

/** When business starts on a calendar date (which need not be a business day). */
export function businessStart(hours: BusinessHours, date: LocalDate): Date {
  return wallToInstant(date, minutesOf(hours.start), hours.timeZone);
}

/** When business ends on a calendar date. */
export function businessEnd(hours: BusinessHours, date: LocalDate): Date {
  return wallToInstant(date, minutesOf(hours.end), hours.timeZone);
}

/**
 * The next business morning: the start of the first business day whose start is strictly after `after`. On a
 * business day before its start that is today's start; from the start on, the next business day's.
 */
export function nextBusinessMorning(hours: BusinessHours, after: Date): Date {
  const today = localDate(hours, after);
  // A week and a day covers every case: today's start may have passed, the same weekday's next one has not.
  for (let i = 0; i <= 8; i++) {
    const date = addDays(today, i);
    if (!isBusinessDay(hours, date)) continue;
    const start = businessStart(hours, date);
    if (start.getTime() > after.getTime()) return start;
  }
  throw new Error('business hours name no business day');
}

/**
 * The start of business of the service's calendar day at `at` (moved by `days`), or, when that day is no
 * business day, of the nearest business day `earlier` (the one before) or `later` (the one after). Reminders of
 * a date (an action due today, overdue since yesterday) arrive at the service's business morning, not at a UTC
 * instant.
 */
export function businessMorningOfDay(
  hours: BusinessHours,
  at: Date,
  toward: 'earlier' | 'later',
  /** Calendar days after (or before, negative) the day of `at`: the day whose morning it is. */
  days = 0,
): Date {
  const day = addDays(localDate(hours, at), days);
  const step = toward === 'earlier' ? -1 : 1;
  for (let i = 0; i <= 7; i++) {
    const date = addDays(day, i * step);
    if (isBusinessDay(hours, date)) return businessStart(hours, date);
  }
  throw new Error('business hours name no business day');
}

/**
 * The end of business on the n-th business day after the calendar day of `from` (n >= 1; days are counted from
 * the next calendar day, whatever `from` is): "5 business days after resolution" is a due date at close of
 * business, the same whether the incident was resolved in the morning, the evening or at the weekend.
 */
export function addBusinessDays(hours: BusinessHours, from: Date, n: number): Date {
  if (!Number.isInteger(n) || n < 1) throw new Error(`count business days from 1, not ${n}`);
  if (hours.days.length === 0) throw new Error('business hours name no business day');
  let date = localDate(hours, from);
  let counted = 0;
  while (counted < n) {
    date = addDays(date, 1);
    if (isBusinessDay(hours, date)) counted += 1;
  }
  return businessEnd(hours, date);
}

const DAY_NAMES = ['Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat', 'Sun'];

/** `Mon-Fri 09:00-17:00 (UTC)`, for mails and pages. */
export function describeBusinessHours(hours: BusinessHours): string {
  const days = [...new Set(hours.days)].sort((a, b) => a - b);
  const runs: string[] = [];
  for (let i = 0; i < days.length; ) {
    let j = i;
    while (j + 1 < days.length && (days[j + 1] ?? 0) === (days[j] ?? 0) + 1) j++;
    const from = DAY_NAMES[(days[i] ?? 1) - 1];
    const to = DAY_NAMES[(days[j] ?? 1) - 1];
    runs.push(j > i ? `${from}-${to}` : `${from}`);
    i = j + 1;
  }
  return `${runs.join(', ')} ${hours.start}-${hours.end} (${hours.timeZone})`;
}

/** An instant as the service's clock shows it: `Mon 23 Nov 2026 09:00 (Europe/London)`. */
export function describeLocalTime(hours: BusinessHours, at: Date): string {
  const w = wallClock(at.getTime(), hours.timeZone);
  const weekday = DAY_NAMES[isoWeekday(w) - 1];
  const month = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'][
    w.month - 1
  ];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${weekday} ${w.day} ${month} ${w.year} ${pad(w.hour)}:${pad(w.minute)} (${hours.timeZone})`;
}
