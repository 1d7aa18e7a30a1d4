import { ValidationError } from './errors.ts';

/** Times as people type them: the CLI's options and the responder page's fields read them the same way. */

const UNITS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

const RELATIVE = /^(in\s+)?(\d+(?:\.\d+)?)\s*([a-z]+)(\s+ago)?$/i;

/**
 * A time as the API takes it (ISO-8601) from what a person types: an ISO time (passed on as it is), `now`,
 * `+N` (N minutes from now), `in 2h`, `30 minutes ago`, or a bare duration (`30 minutes`, `2h`), which counts
 * back from now for a time that has passed (`past`) and forward for one to come (`future`).
 */
export function typedTime(value: string, bare: 'past' | 'future', now = Date.now()): string {
  const text = value.trim();
  if (/^now$/i.test(text)) return new Date(now).toISOString();
  if (/^\+\d+$/.test(text)) return new Date(now + Number(text.slice(1)) * 60_000).toISOString();
  const m = RELATIVE.exec(text);
  if (!m) return value;
  const [, inFuture, amount, unit, ago] = m;
  const ms = UNITS[(unit ?? '').toLowerCase()];
  if (ms === undefined || (inFuture && ago))
    throw new ValidationError(
      `"${value}" is not a time: use an ISO time, "now", "+30", "in 2h" or "30 minutes ago"`,
    );
  const sign = inFuture ? 1 : ago ? -1 : bare === 'future' ? 1 : -1;
  return new Date(now + sign * Number(amount) * ms).toISOString();
}

const ISO_TIME =
  /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:\.\d{1,9})?)?(?:Z|[+-](\d{2}):?(\d{2}))?)?$/i;

/**
 * An ISO-8601 date (`2026-12-08`, midnight UTC) or date and time (`2026-12-08T10:30:00Z`, seconds, fraction and
 * zone optional, `+01:00` or `+0100`) as ms since the epoch; undefined for anything else. `Date.parse` alone also
 * takes `"1"` (2001), `"Dec 8"` and 31 February (3 March): what a field documented as ISO-8601 must refuse.
 */
export function isoTimeMs(value: string): number | undefined {
  const m = ISO_TIME.exec(value);
  if (!m) return undefined;
  const [year = 0, month = 0, day = 0, hour = 0, minute = 0, second = 0, zoneHours = 0, zoneMinutes = 0] = m
    .slice(1)
    .map((part) => (part === undefined ? undefined : Number(part)));
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) return undefined;
  if (hour > 23 || minute > 59 || second > 59 || zoneHours > 14 || zoneMinutes > 59) return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function daysInMonth(year: number, month: number): number {
  if (month === 2) return year % 4 === 0 && (year % 100 !== 0 || year % 400 === 0) ? 29 : 28;
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}
