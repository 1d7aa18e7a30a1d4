import { describe, expect, it } from 'vitest';
import type { Override } from '../../../functions/core/oncall.ts';
import {
  onCallSection,
  overrideWindowOf,
  readableTime,
  serviceTiers,
} from '../../../functions/core/oncall-section.ts';
import { type IncidentPageView, renderLinkPage } from '../../../functions/core/pages.ts';

const hostile = `<script>alert("x")</script>&'"`;
const person = (name: string) => ({ name, email: `${name.split(' ')[0]?.toLowerCase()}@example.com` });
const directory = {
  people: {
    ada: person('Ada Lovelace'),
    grace: person('Grace Hopper'),
    mallory: { name: `Mallory ${hostile}`, email: 'mallory@example.com' },
  },
  schedules: {
    sre: {
      name: 'SRE on call',
      timeZone: 'America/New_York',
      rotation: {
        members: ['ada', 'grace'],
        handoff: { time: '08:00' },
        shift: 'daily' as const,
        start: '2026-01-05',
      },
    },
  },
};
const none = () => [];
// Tuesday 8 December 2026, 07:00 in New York: Ada's shift began Monday 08:00 there; Grace's begins at 08:00.
const AT = new Date('2026-12-08T12:00:00.000Z');

describe('the on-call section of the incident pages', () => {
  it('is absent when no tier names a schedule', () => {
    const tiers = serviceTiers(
      { incidentManagers: { primary: ['im@example.com'], backup: ['person:ada'] } },
      ['imoc@example.com'],
    );
    expect(onCallSection(directory, tiers, AT, none)).toBeUndefined();
  });

  it("names who is on call now, until when, and who is next from when, in the schedule's zone; a person or address as itself", () => {
    const tiers = serviceTiers({ incidentManagers: { primary: ['schedule:sre'] } }, [
      'person:grace',
      'imoc@example.com',
    ]);
    const section = onCallSection(directory, tiers, AT, none);
    expect(section).toEqual([
      {
        label: 'Primary incident manager',
        entries: [
          {
            kind: 'schedule',
            schedule: 'SRE on call',
            now: { name: 'Ada Lovelace', until: 'Tue 8 Dec, 08:00 America/New_York (13:00 UTC)' },
            next: { name: 'Grace Hopper', from: 'Tue 8 Dec, 08:00 America/New_York (13:00 UTC)' },
          },
        ],
      },
      // The backup names nobody: left out.
      {
        label: 'IMOC',
        entries: [
          { kind: 'person', name: 'Grace Hopper' },
          { kind: 'address', address: 'imoc@example.com' },
        ],
      },
    ]);
  });

  it('reads overrides: the cover is on call now, and the rotation takes over when it ends', () => {
    const cover: Override = {
      id: 'o1',
      personId: 'mallory',
      start: '2026-12-08T11:00:00.000Z',
      end: '2026-12-08T15:30:00.000Z',
    };
    const tiers = serviceTiers({ incidentManagers: { primary: ['schedule:sre'] } }, []);
    const [primary] = onCallSection(directory, tiers, AT, (id) => (id === 'sre' ? [cover] : [])) ?? [];
    expect(primary?.entries).toEqual([
      {
        kind: 'schedule',
        schedule: 'SRE on call',
        now: { name: `Mallory ${hostile}`, until: 'Tue 8 Dec, 10:30 America/New_York (15:30 UTC)' },
        next: { name: 'Grace Hopper', from: 'Tue 8 Dec, 10:30 America/New_York (15:30 UTC)' },
      },
    ]);
    // The overrides to read: from now over the horizon the on-call route looks for handoffs in.
    expect(overrideWindowOf(directory.schedules.sre, AT)).toEqual({
      from: AT,
      to: new Date('2027-01-05T12:00:00.000Z'),
    });
  });

  it('shows times readably in the zone, across a daylight-saving change and a change of day', () => {
    expect(readableTime(new Date('2026-03-08T12:00:00.000Z'), 'America/New_York')).toBe(
      'Sun 8 Mar, 08:00 America/New_York (12:00 UTC)',
    );
    expect(readableTime(new Date('2026-03-07T13:00:00.000Z'), 'America/New_York')).toBe(
      'Sat 7 Mar, 08:00 America/New_York (13:00 UTC)',
    );
    expect(readableTime(new Date('2026-12-08T02:00:00.000Z'), 'America/New_York')).toBe(
      'Mon 7 Dec, 21:00 America/New_York (Tue 8 Dec, 02:00 UTC)',
    );
    expect(readableTime(new Date('2026-12-08T02:00:00.000Z'), 'UTC')).toBe('Tue 8 Dec, 02:00 UTC');
  });

  it('renders on the incident page, every name escaped, and not at all without a section', () => {
    const view: IncidentPageView = {
      key: 'HOT-7',
      summary: 'Checkout down',
      severity: 1,
      status: 'paged',
      service: 'Checkout',
      products: [],
      roles: {},
      meeting: {},
      times: { impactStartedAt: '2026-12-08T11:50:00.000Z', detectedAt: '2026-12-08T11:52:00.000Z' },
      metrics: [],
      alerts: [],
      comms: [],
      timeline: [],
      recipient: 'oncall@example.com',
      expiresAt: '2026-12-09T12:00:00.000Z',
    };
    expect(renderLinkPage({ kind: 'incident', view })).not.toContain('On call');
    const cover: Override = {
      id: 'o1',
      personId: 'mallory',
      start: AT.toISOString(),
      end: '2026-12-08T15:30:00.000Z',
    };
    const onCall = onCallSection(
      directory,
      serviceTiers({ incidentManagers: { primary: ['schedule:sre'] } }, ["o'brien&co@example.com"]),
      AT,
      () => [cover],
    );
    const page = renderLinkPage({ kind: 'incident', view: { ...view, ...(onCall ? { onCall } : {}) } });
    expect(page).toContain('<h2>On call</h2>');
    expect(page).not.toContain('<script>');
    expect(page).toContain('<strong>Mallory &lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;');
    expect(page).toContain('until Tue 8 Dec, 10:30 America/New_York (15:30 UTC)');
    expect(page).toContain('Next:</span> Grace Hopper, from Tue 8 Dec, 10:30 America/New_York (15:30 UTC)');
    expect(page).toContain('<dd>o&#39;brien&amp;co@example.com</dd>');
    // The section sits under the people of the incident, before its measures.
    expect(page.indexOf('On call')).toBeLessThan(page.indexOf('Measures'));
    // Overrides that could not be read: the section says so, naming nobody the rotation alone would.
    const unread = renderLinkPage({ kind: 'incident', view: { ...view, onCall: 'unavailable' } });
    expect(unread).toContain('<h2>On call</h2>');
    expect(unread).toContain('Who is on call could not be read just now');
    expect(unread).not.toContain('<dl class="guide">');
  });
});
