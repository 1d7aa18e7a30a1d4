import { NotFoundError, ValidationError } from '../core/errors.ts';
import { issueLink, type SigningKeys, scheduleFeedUrl } from '../core/links.ts';
import type { Schedule } from '../core/oncall.ts';
import { renderScheduleCalendar } from '../core/oncall-calendar.ts';
import { inPrecedenceOrder, type PeopleDirectory } from '../core/oncall-overrides.ts';
import { checkFeedLink, SCHEDULE_FEED_ACTION } from './links/schedule-feed.ts';
import type { OverrideStore } from './ports.ts';

/**
 * A schedule's calendar feed: a signed, read-only link not tied to an incident (the `schedule-feed` kind of
 * use-cases/links/registry.ts), issued to an operator for N days and re-issued the same way. Calendar apps
 * subscribe to `<link>/calendar.ics`, which answers the schedule's shifts (rotation and overrides) from a week
 * ago to three months ahead, read at each refresh. The token is the credential: it is never logged.
 */

/** How long a feed link lasts unless asked otherwise, and at most (re-issue it before it ends). */
export const FEED_LINK_DAYS = { default: 90, max: 366 } as const;
/** The window a feed lists: what a calendar shows around today. */
const FEED_WINDOW_DAYS = { before: 7, after: 92 } as const;
const DAY_MS = 86_400_000;

export interface ScheduleFeedDeps {
  schedules: readonly Schedule[];
  people: PeopleDirectory;
  overrides: OverrideStore;
  keys: SigningKeys;
  /** The API's origin: feed addresses are built on it, and the events' UIDs end with its host. */
  baseUrl: string;
  newId: () => string;
  now: () => Date;
}

export interface FeedLink {
  scheduleId: string;
  url: string;
  expiresAt: string;
  days: number;
}

function scheduleOf(schedules: readonly Schedule[], scheduleId: string): Schedule {
  const schedule = schedules.find((s) => s.id === scheduleId);
  if (!schedule) throw new NotFoundError(`no schedule "${scheduleId.slice(0, 64)}"`);
  return schedule;
}

/** Signs a feed link for a schedule, valid `days` (1 to 366) from now, recorded as issued to `issuedTo`. */
export function issueFeedLink(
  deps: Pick<ScheduleFeedDeps, 'schedules' | 'keys' | 'baseUrl' | 'newId' | 'now'>,
  scheduleId: string,
  days: number,
  issuedTo: string,
): FeedLink {
  const schedule = scheduleOf(deps.schedules, scheduleId);
  if (!Number.isInteger(days) || days < 1 || days > FEED_LINK_DAYS.max)
    throw new ValidationError(`days: must be a whole number from 1 to ${FEED_LINK_DAYS.max}`);
  const now = deps.now();
  const token = issueLink(deps.keys, {
    id: deps.newId(),
    incidentId: '',
    key: '',
    action: SCHEDULE_FEED_ACTION,
    recipient: issuedTo,
    ttlHours: days * 24,
    now,
    ref: schedule.id,
  });
  return {
    scheduleId: schedule.id,
    url: scheduleFeedUrl(deps.baseUrl, token),
    expiresAt: new Date(now.getTime() + days * DAY_MS).toISOString(),
    days,
  };
}

export type FeedAnswer =
  | { ok: true; scheduleId: string; calendar: string }
  | { ok: false; status: 403 | 404 | 410; code: string; message: string };

/** The feed a token opens: verified first (constant time), then the schedule's shifts. Reads only. */
export async function scheduleFeed(deps: ScheduleFeedDeps, token: string): Promise<FeedAnswer> {
  const now = deps.now();
  const checked = checkFeedLink(deps.keys, token, now);
  if (!checked.ok && checked.reason === 'expired')
    return {
      ok: false,
      status: 410,
      code: 'expired',
      message: `this calendar link ended ${checked.endedAt}: ask an operator for a new one (incident schedule-feed ${checked.scheduleId ?? '<schedule>'})`,
    };
  if (!checked.ok)
    return { ok: false, status: 403, code: 'invalid-link', message: 'this is not a calendar link of ours' };
  const schedule = deps.schedules.find((s) => s.id === checked.scheduleId);
  if (!schedule)
    return { ok: false, status: 404, code: 'not-found', message: 'this schedule is no longer configured' };
  const from = new Date(now.getTime() - FEED_WINDOW_DAYS.before * DAY_MS);
  const to = new Date(now.getTime() + FEED_WINDOW_DAYS.after * DAY_MS);
  const overrides = inPrecedenceOrder(await deps.overrides.touching(schedule.id, from, to));
  const names = Object.fromEntries(Object.entries(deps.people).map(([id, person]) => [id, person.name]));
  const calendar = renderScheduleCalendar({
    schedule,
    overrides,
    names,
    from,
    to,
    generatedAt: now,
    uidDomain: new URL(deps.baseUrl).hostname,
  });
  return { ok: true, scheduleId: schedule.id, calendar };
}
