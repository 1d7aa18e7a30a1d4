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
