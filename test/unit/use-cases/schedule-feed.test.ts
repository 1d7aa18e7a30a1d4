import ICAL from 'ical.js';
import { describe, expect, it } from 'vitest';
import { NotFoundError, ValidationError } from '../../../functions/core/errors.ts';
import { issueLink, parseSigningKeys } from '../../../functions/core/links.ts';
import type { Schedule } from '../../../functions/core/oncall.ts';
import type { StoredOverride } from '../../../functions/core/oncall-overrides.ts';
import type { OverrideStore } from '../../../functions/use-cases/ports.ts';
import {
  issueFeedLink,
  type ScheduleFeedDeps,
  scheduleFeed,
} from '../../../functions/use-cases/schedule-feed.ts';

const keys = parseSigningKeys(
  JSON.stringify({ activeKeyId: 'k1', k1: 'a-key-of-at-least-thirty-two-characters!' }),
);
const otherKeys = parseSigningKeys(
  JSON.stringify({ activeKeyId: 'k1', k1: 'another-key-of-at-least-thirty-two-chars' }),
);

const london: Schedule = {
  id: 'payments',
  name: 'Payments on call',
  timeZone: 'Europe/London',
  // Daily at 09:00 London time: ada, grace, ada... (2026-03-29 is the spring change in London).
  rotation: { members: ['ada', 'grace'], handoff: { time: '09:00' }, shift: 'daily', start: '2026-03-01' },
};

/** Overrides in memory, with the windows the feed asked for. */
function overrideStore(items: StoredOverride[] = []) {
  const windows: { from: Date; to: Date }[] = [];
  const store = {
    touching: async (scheduleId: string, from: Date, to: Date) => {
      windows.push({ from, to });
      return items.filter(
        (o) =>
          o.scheduleId === scheduleId &&
          Date.parse(o.end) > from.getTime() &&
          Date.parse(o.start) < to.getTime(),
      );
    },
  } as unknown as OverrideStore;
  return { store, windows };
}

function deps(now: string, overrides = overrideStore().store): ScheduleFeedDeps {
  let n = 0;
  return {
    schedules: [london],
    people: { ada: { name: 'Ada Lovelace' }, grace: { name: 'Grace <Hopper>' } },
    overrides,
    keys,
    baseUrl: 'https://hotline.example.com/',
    newId: () => `01JFEED${String(++n).padStart(19, '0')}`,
    now: () => new Date(now),
  };
}

const tokenOf = (url: string) => /\/links\/([^/]+)\/calendar\.ics$/.exec(url)?.[1] ?? '';

interface Shift {
  uid: string;
  start: string;
  end: string;
  summary: string;
}

/** The feed as a calendar library reads it (ical.js, Mozilla's): each event's instants in UTC. */
function eventsOf(ics: string): Shift[] {
  const calendar = new ICAL.Component(ICAL.parse(ics));
  return calendar.getAllSubcomponents('vevent').map((component) => {
    const event = new ICAL.Event(component);
    return {
      uid: event.uid,
      start: event.startDate.toJSDate().toISOString(),
      end: event.endDate.toJSDate().toISOString(),
      summary: event.summary,
    };
  });
}

describe('issueFeedLink', () => {
  it('signs a feed link of the schedule for the days asked, at <base>/links/<token>/calendar.ics', () => {
    const feed = issueFeedLink(deps('2026-03-20T12:00:00Z'), 'payments', 30, 'schedule:payments');
    expect(feed.url).toMatch(
      /^https:\/\/hotline\.example\.com\/links\/v1\.k1\.[\w-]+\.[\w-]+\/calendar\.ics$/,
    );
    expect(feed).toMatchObject({ scheduleId: 'payments', days: 30, expiresAt: '2026-04-19T12:00:00.000Z' });
  });

  it('refuses an unknown schedule and days outside 1 to 366, naming the field', () => {
    const d = deps('2026-03-20T12:00:00Z');
    expect(() => issueFeedLink(d, 'billing', 30, 'x')).toThrow(NotFoundError);
    for (const days of [0, 367, 1.5, Number.NaN])
      expect(() => issueFeedLink(d, 'payments', days, 'x')).toThrow(/days: must be a whole number/);
    expect(() => issueFeedLink(d, 'payments', 0, 'x')).toThrow(ValidationError);
  });
});

describe('scheduleFeed', () => {
  it('lists the shifts from a week ago to three months ahead, each at 09:00 London time across the change', async () => {
    const d = deps('2026-03-20T12:00:00Z');
    const { url } = issueFeedLink(d, 'payments', 90, 'schedule:payments');
    const answer = await scheduleFeed(d, tokenOf(url));
    if (!answer.ok) throw new Error(answer.message);
    const events = eventsOf(answer.calendar);
    // From the shift holding 2026-03-13 12:00 to the one holding 2026-06-20 12:00.
    expect(events[0]).toMatchObject({
      start: '2026-03-13T09:00:00.000Z',
      summary: 'Ada Lovelace on call (Payments on call)',
    });
    // Names are text, as the person wrote them: the calendar escapes them, nothing else does.
    expect(events[1]?.summary).toBe('Grace <Hopper> on call (Payments on call)');
    expect(events.at(-1)?.start).toBe('2026-06-20T08:00:00.000Z');
    expect(events.length).toBe(100);
    // Before the change 09:00 GMT, after it 09:00 BST (08:00 UTC); the shift holding it is 23 hours.
    const change = events.find((e) => e.start === '2026-03-28T09:00:00.000Z');
    expect(change?.end).toBe('2026-03-29T08:00:00.000Z');
    expect(events.find((e) => e.start === '2026-03-29T08:00:00.000Z')?.end).toBe('2026-03-30T08:00:00.000Z');
    // Back to back: no gap, no overlap.
    for (let i = 1; i < events.length; i++) expect(events[i]?.start).toBe(events[i - 1]?.end);
  });

  it('shows an override as a covering shift, and keeps each event UID across refreshes', async () => {
    const override: StoredOverride = {
      scheduleId: 'payments',
      id: 'cover-1',
      personId: 'ada',
      start: '2026-03-24T18:00:00.000Z',
      end: '2026-03-25T09:00:00.000Z',
      createdAt: '2026-03-20T10:00:00.000Z',
      createdBy: 'ops',
    } as StoredOverride;
    const { store, windows } = overrideStore([override]);
    const first = deps('2026-03-20T12:00:00Z', store);
    const { url } = issueFeedLink(first, 'payments', 90, 'schedule:payments');
    const answer = await scheduleFeed(first, tokenOf(url));
    if (!answer.ok) throw new Error(answer.message);
    expect(windows[0]).toEqual({
      from: new Date('2026-03-13T12:00:00Z'),
      to: new Date('2026-06-20T12:00:00Z'),
    });
    const events = eventsOf(answer.calendar);
    expect(events).toContainEqual(
      expect.objectContaining({
        start: '2026-03-24T18:00:00.000Z',
        end: '2026-03-25T09:00:00.000Z',
        summary: 'Ada Lovelace on call (Payments on call), covering',
      }),
    );
    const later = await scheduleFeed(deps('2026-03-21T12:00:00Z', store), tokenOf(url));
    if (!later.ok) throw new Error(later.message);
    const again = new Map(eventsOf(later.calendar).map((e) => [e.start, e.uid]));
    const shared = events.filter((e) => again.has(e.start));
    expect(shared.length).toBeGreaterThan(90);
    for (const e of shared) expect(again.get(e.start)).toBe(e.uid);
  });

  it('refuses a forged, foreign or other-kind token with 403 and reads nothing', async () => {
    const { store, windows } = overrideStore();
    const d = deps('2026-03-20T12:00:00Z', store);
    const token = tokenOf(issueFeedLink(d, 'payments', 90, 'schedule:payments').url);
    const flipped = `${token.slice(0, -2)}${token.endsWith('AA') ? 'AB' : 'AA'}`;
    const foreign = tokenOf(issueFeedLink({ ...d, keys: otherKeys }, 'payments', 90, 'x').url);
    const view = issueLink(keys, {
      id: 'v1',
      incidentId: '01INCIDENT',
      key: 'HOT-1',
      action: 'view',
      recipient: 'ops@example.com',
      ttlHours: 24,
      now: new Date('2026-03-20T12:00:00Z'),
      ref: 'payments',
    });
    for (const bad of [flipped, foreign, view, '', 'v1.k1..', 'x'.repeat(5000)]) {
      expect(await scheduleFeed(d, bad)).toMatchObject({ ok: false, status: 403, code: 'invalid-link' });
    }
    expect(windows).toEqual([]);
  });

  it('answers 410 for an expired feed link, naming the command that issues a new one', async () => {
    const d = deps('2026-03-20T12:00:00Z');
    const token = tokenOf(issueFeedLink(d, 'payments', 1, 'schedule:payments').url);
    const answer = await scheduleFeed(deps('2026-03-21T12:00:00Z'), token);
    expect(answer).toMatchObject({ ok: false, status: 410, code: 'expired' });
    expect(!answer.ok && answer.message).toContain('incident schedule-feed payments');
    expect((await scheduleFeed(deps('2026-03-21T11:59:59Z'), token)).ok).toBe(true);
  });

  it('answers 404 once the schedule is gone from the configuration', async () => {
    const d = deps('2026-03-20T12:00:00Z');
    const token = tokenOf(issueFeedLink(d, 'payments', 90, 'schedule:payments').url);
    expect(await scheduleFeed({ ...d, schedules: [] }, token)).toMatchObject({ ok: false, status: 404 });
  });
});
