import { type Handoff, nextHandoffs, type Override, type Schedule } from './oncall.ts';

/**
 * Which handoffs the hourly channel check tells the incoming person of, and when. Each check looks ahead: every
 * handoff starting within the next two check intervals is told (once: the notice is claimed per schedule, handoff
 * instant and person), so with checks an hour apart the notice goes 60 to 120 minutes before the handoff, and a
 * handoff is still seen ahead when one check is late or fails (the next one sees it too). A handoff no check saw
 * ahead (an override made minutes before it starts) is told after the fact by the first check that finds the
 * person on call changed (`lastHandoffBetween`), under the same claim, so nobody is told twice.
 *
 * Instants only: a handoff is where the rotation (calendar, core/oncall.ts) or an override puts it, so one across
 * a daylight-saving change is told once, at the instant it happens.
 */

/** How far ahead a check looks: two intervals, so consecutive checks overlap by one (`interval` is scaled). */
export function lookAheadMs(intervalMs: number): number {
  return 2 * intervalMs;
}

/** A handoff to tell: who takes over at `at` and, when known within the horizon, until when. */
export interface HandoffNotice {
  scheduleId: string;
  personId: string;
  /** ISO instant the shift starts (the claim's instant). */
  at: string;
  /** ISO instant the person's shift ends (the next handoff), if one falls within the horizon. */
  until?: string;
}

const DAY_MS = 86_400_000;

/** The handoff after `at`, within `horizonDays` of it, if any. */
function handoffAfter(
  schedule: Schedule,
  overrides: readonly Override[],
  at: Date,
  horizonDays: number,
): Handoff | undefined {
  return nextHandoffs(schedule, overrides, at, 1, horizonDays)[0];
}

/**
 * The handoffs in `(now, now + lookAhead]`, each with the end of the shift it starts (looked for within
 * `horizonDays` of its start). `overrides` in precedence order, read over `[now, now + lookAhead + horizon)`.
 */
export function handoffsAhead(
  schedule: Schedule,
  overrides: readonly Override[],
  now: Date,
  lookAhead: number,
  horizonDays: number,
): HandoffNotice[] {
  if (lookAhead <= 0) return [];
  // A short override can make several handoffs in the window; a handful is plenty.
  return handoffsWithin(schedule, overrides, now, lookAhead, 8).map((h) =>
    noticeOf(schedule, overrides, h, horizonDays),
  );
}

/**
 * The last handoff in `(from, to]` (the person on call at `to` took over then), or undefined when whoever was on
 * call at `from` still is: what a check tells after the fact, `from` being the previous check.
 */
export function lastHandoffBetween(
  schedule: Schedule,
  overrides: readonly Override[],
  from: Date,
  to: Date,
  horizonDays: number,
): HandoffNotice | undefined {
  const span = to.getTime() - from.getTime();
  if (span <= 0) return undefined;
  const last = handoffsWithin(schedule, overrides, from, span, 1_000).at(-1);
  return last ? noticeOf(schedule, overrides, last, horizonDays) : undefined;
}

/** The handoffs in `(from, from + spanMs]`, to the millisecond (days as a fraction would round). */
function handoffsWithin(
  schedule: Schedule,
  overrides: readonly Override[],
  from: Date,
  spanMs: number,
  count: number,
): Handoff[] {
  const end = from.getTime() + spanMs;
  return nextHandoffs(schedule, overrides, from, count, (spanMs + 1) / DAY_MS).filter(
    (h) => h.at.getTime() <= end,
  );
}

function noticeOf(
  schedule: Schedule,
  overrides: readonly Override[],
  handoff: Handoff,
  horizonDays: number,
): HandoffNotice {
  const end = handoffAfter(schedule, overrides, handoff.at, horizonDays);
  return {
    scheduleId: schedule.id,
    personId: handoff.to,
    at: handoff.at.toISOString(),
    ...(end ? { until: end.at.toISOString() } : {}),
  };
}
