import { type SigningKeys, scheduleFeedUrl, verifyLink } from '../../core/links.ts';
import { schedulesOf } from '../../core/oncall.ts';
import type { LinkPage } from '../../core/pages.ts';
import { expiresAtOf, type LinkDeps, type SignedLink, type UnboundLinkKind } from './kind.ts';

/** The `action` claim of a feed link. */
export const SCHEDULE_FEED_ACTION = 'schedule-feed';

export type FeedCheck =
  | { ok: true; scheduleId: string }
  | { ok: false; reason: 'invalid' }
  | { ok: false; reason: 'expired'; endedAt: string; scheduleId: string | undefined };

/**
 * The feed route's check (`<link>/calendar.ics`, the ScheduleFeed function): that route serves this one kind, in
 * a function that does not carry the registry, so it verifies here, in the kind's own module: signature first
 * (constant time), then expiry, then that the link is a feed link. Any other kind, whoever signed it, is invalid.
 */
export function checkFeedLink(keys: SigningKeys, token: string, now: Date): FeedCheck {
  const checked = verifyLink(token, keys, now);
  if (!checked.ok && checked.reason === 'expired' && checked.claims.action === SCHEDULE_FEED_ACTION)
    return {
      ok: false,
      reason: 'expired',
      endedAt: new Date(checked.claims.exp * 1000).toISOString(),
      scheduleId: checked.claims.ref,
    };
  if (!checked.ok || checked.claims.action !== SCHEDULE_FEED_ACTION || !checked.claims.ref)
    return { ok: false, reason: 'invalid' };
  return { ok: true, scheduleId: checked.claims.ref };
}

/**
 * A schedule's calendar feed link (signed by use-cases/schedule-feed.ts, served as iCalendar at
 * `<link>/calendar.ics` by the ScheduleFeed function). Opened here, in a browser, it says what it is and the
 * address to subscribe to. It reads nothing but the configuration.
 */
function feedPage(deps: LinkDeps, link: SignedLink): LinkPage {
  const schedule = schedulesOf(deps.organisation).find((s) => s.id === link.claims.ref);
  if (!schedule) return { kind: 'not-found' };
  return {
    kind: 'calendar-feed',
    schedule: schedule.name,
    timeZone: schedule.timeZone,
    feedUrl: scheduleFeedUrl(deps.baseUrl, link.token),
    expiresAt: expiresAtOf(link.claims),
  };
}

export const scheduleFeedKind: UnboundLinkKind = {
  action: SCHEDULE_FEED_ACTION,
  family: 'view',
  incidentBound: false,
  binding: 'the schedule (its id in `ref`); no incident, no recipient check',
  lifetime:
    'what the operator asked for when issuing it (90 days by default, 366 at most); re-issued by the CLI',
  get: async (deps, link) => feedPage(deps, link),
  post: async () => ({ kind: 'view-only', shows: 'a calendar' }),
};
