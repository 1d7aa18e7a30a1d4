import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  addBusinessDays,
  type BusinessHours,
  businessDayNumber,
  DEFAULT_BUSINESS_HOURS,
  describeBusinessHours,
  describeLocalTime,
  isBusinessTime,
  isoWeekday,
  localDate,
  nextBusinessMorning,
} from '../../../functions/core/business-hours.ts';
import { parseOrganisation } from '../../../functions/core/config.ts';
import { serviceOf } from '../../../functions/core/organisation.ts';
import { routeFor, teamAddress } from '../../../functions/core/response.ts';
import { organisationInput } from '../../support/organisation.ts';

const utc = DEFAULT_BUSINESS_HOURS;
const london: BusinessHours = {
  timeZone: 'Europe/London',
  days: [1, 2, 3, 4, 5],
  start: '09:00',
  end: '17:30',
};
const at = (iso: string) => new Date(iso);
const next = (hours: BusinessHours, iso: string) => nextBusinessMorning(hours, at(iso)).toISOString();

/** What the zone's clock shows at an instant: `YYYY-MM-DD HH:MM`. */
function wall(instant: Date, timeZone: string): string {
  const parts = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
  }).formatToParts(instant);
  const get = (type: string) => parts.find((p) => p.type === type)?.value;
  return `${get('year')}-${get('month')}-${get('day')} ${get('hour')}:${get('minute')}`;
}

describe('business time', () => {
  it('is a business day between start (inclusive) and end (exclusive), in the service time zone', () => {
    // Friday 20 November 2026.
    expect(isBusinessTime(utc, at('2026-11-20T08:59:59.999Z'))).toBe(false);
    expect(isBusinessTime(utc, at('2026-11-20T09:00:00.000Z'))).toBe(true);
    expect(isBusinessTime(utc, at('2026-11-20T16:59:59.999Z'))).toBe(true);
    expect(isBusinessTime(utc, at('2026-11-20T17:00:00.000Z'))).toBe(false);
    expect(isBusinessTime(utc, at('2026-11-21T12:00:00.000Z'))).toBe(false); // Saturday
    // Summer in London: 09:00 BST is 08:00 UTC, 17:30 BST is 16:30 UTC.
    expect(isBusinessTime(london, at('2026-07-01T08:00:00.000Z'))).toBe(true);
    expect(isBusinessTime(london, at('2026-07-01T16:29:00.000Z'))).toBe(true);
    expect(isBusinessTime(london, at('2026-07-01T16:30:00.000Z'))).toBe(false);
    // Sunday 23:30 UTC is already Monday 08:30 in Tokyo: a business day, not yet business time.
    const tokyo = { ...utc, timeZone: 'Asia/Tokyo' };
    expect(isBusinessTime(tokyo, at('2026-11-22T23:30:00.000Z'))).toBe(false);
    expect(isBusinessTime(tokyo, at('2026-11-23T00:00:00.000Z'))).toBe(true);
  });

  it('names ISO weekdays and business days by the local calendar', () => {
    expect(isoWeekday({ year: 2026, month: 11, day: 23 })).toBe(1);
    expect(isoWeekday({ year: 2026, month: 11, day: 22 })).toBe(7);
    expect(localDate({ ...utc, timeZone: 'Pacific/Auckland' }, at('2026-11-22T12:00:00Z'))).toEqual({
      year: 2026,
      month: 11,
      day: 23,
    });
    expect(businessDayNumber(london, at('2026-11-23T09:00:00Z'))).toBe(20261123);
  });
});

describe('next business morning', () => {
  it('is today at the start before business starts, else the next business day', () => {
    expect(next(utc, '2026-11-20T08:00:00.000Z')).toBe('2026-11-20T09:00:00.000Z'); // Friday early
    expect(next(utc, '2026-11-20T09:00:00.000Z')).toBe('2026-11-23T09:00:00.000Z'); // strictly after
    expect(next(utc, '2026-11-20T17:30:00.000Z')).toBe('2026-11-23T09:00:00.000Z'); // Friday evening
    expect(next(utc, '2026-11-21T10:00:00.000Z')).toBe('2026-11-23T09:00:00.000Z'); // Saturday
    expect(next(utc, '2026-11-23T12:00:00.000Z')).toBe('2026-11-24T09:00:00.000Z'); // Monday noon
  });

  it('follows the clocks across the DST changes in Europe/London', () => {
    // Clocks go forward on Sunday 29 March 2026: Friday 09:00 is GMT (09:00Z), Monday 09:00 is BST (08:00Z).
    expect(next(london, '2026-03-27T18:00:00.000Z')).toBe('2026-03-30T08:00:00.000Z');
    // Clocks go back on Sunday 25 October 2026: Monday 09:00 is GMT again.
    expect(next(london, '2026-10-23T18:00:00.000Z')).toBe('2026-10-26T09:00:00.000Z');
    // A business day of every day, starting in the skipped hour: 01:30 on the spring-forward night is 02:30 BST.
    const everyDay = { ...london, days: [1, 2, 3, 4, 5, 6, 7], start: '01:30' };
    expect(wall(nextBusinessMorning(everyDay, at('2026-03-28T12:00:00Z')), 'Europe/London')).toBe(
      '2026-03-29 02:30',
    );
    // The repeated hour on the fall-back night: 01:30 happens (once counted) and is after the input.
    const fallBack = nextBusinessMorning(everyDay, at('2026-10-24T12:00:00Z'));
    expect(wall(fallBack, 'Europe/London')).toBe('2026-10-25 01:30');
  });

  it('uses the configured business days', () => {
    const sundayToThursday = { ...utc, timeZone: 'Asia/Dubai', days: [7, 1, 2, 3, 4] };
    // Thursday evening in Dubai -> Sunday 09:00 (05:00Z).
    expect(next(sundayToThursday, '2026-11-19T16:00:00.000Z')).toBe('2026-11-22T05:00:00.000Z');
  });

  it('is always a business day at its start time, after the input, with no business morning in between', () => {
    const zones = [
      'UTC',
      'Europe/London',
      'America/New_York',
      'Asia/Kolkata',
      'Australia/Lord_Howe',
      'Asia/Tokyo',
    ];
    const hoursArb = fc.record({
      timeZone: fc.constantFrom(...zones),
      days: fc.uniqueArray(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 7 }),
      // Start times away from the night hours in which these zones change their clocks.
      start: fc
        .tuple(fc.integer({ min: 5, max: 12 }), fc.constantFrom(0, 15, 30, 45))
        .map(([h, m]) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`),
      end: fc.constant('18:00'),
    });
    const instant = fc.date({
      min: new Date('2020-01-01T00:00:00Z'),
      max: new Date('2035-12-31T00:00:00Z'),
      noInvalidDate: true,
    });
    fc.assert(
      fc.property(hoursArb, instant, (hours, after) => {
        const morning = nextBusinessMorning(hours, after);
        expect(morning.getTime()).toBeGreaterThan(after.getTime());
        const shown = wall(morning, hours.timeZone);
        expect(shown.slice(11)).toBe(hours.start);
        expect(hours.days).toContain(isoWeekday(localDate(hours, morning)));
        // Nothing earlier qualifies: one minute before, the next business morning is this one.
        const before = new Date(Math.max(after.getTime(), morning.getTime() - 60_000));
        expect(nextBusinessMorning(hours, before).getTime()).toBe(morning.getTime());
        // And at most 8 days ahead (a week, plus today's start having passed).
        expect(morning.getTime() - after.getTime()).toBeLessThanOrEqual(8 * 86_400_000);
      }),
      { numRuns: 500 },
    );
  });
});

describe('business days added (the postmortem due date)', () => {
  it('counts from the next calendar day and is due at the end of business', () => {
    // Resolved Friday afternoon: 5 business days -> the next Friday at 17:00.
    expect(addBusinessDays(utc, at('2026-11-20T15:00:00Z'), 5).toISOString()).toBe(
      '2026-11-27T17:00:00.000Z',
    );
    // Resolved on a Saturday or a Friday night: the same due date.
    expect(addBusinessDays(utc, at('2026-11-21T10:00:00Z'), 5).toISOString()).toBe(
      '2026-11-27T17:00:00.000Z',
    );
    // Resolved Monday before business: Tuesday..Monday.
    expect(addBusinessDays(utc, at('2026-11-23T07:00:00Z'), 5).toISOString()).toBe(
      '2026-11-30T17:00:00.000Z',
    );
    expect(addBusinessDays(utc, at('2026-11-23T07:00:00Z'), 1).toISOString()).toBe(
      '2026-11-24T17:00:00.000Z',
    );
  });

  it('crosses a DST change in London at local time', () => {
    // Friday 23 October 2026 -> five business days -> Friday 30 October, 17:30 GMT.
    expect(addBusinessDays(london, at('2026-10-23T12:00:00Z'), 5).toISOString()).toBe(
      '2026-10-30T17:30:00.000Z',
    );
    // Thursday 26 March 2026 (GMT) -> Thursday 2 April, 17:30 BST = 16:30Z.
    expect(addBusinessDays(london, at('2026-03-26T12:00:00Z'), 5).toISOString()).toBe(
      '2026-04-02T16:30:00.000Z',
    );
  });

  it('refuses counts below one', () => {
    expect(() => addBusinessDays(utc, at('2026-11-20T15:00:00Z'), 0)).toThrow(/from 1/);
  });
});

describe('in words', () => {
  it('describes hours and local times', () => {
    expect(describeBusinessHours(utc)).toBe('Mon-Fri 09:00-17:00 (UTC)');
    expect(describeBusinessHours({ ...london, days: [7, 1, 2, 3, 4, 6] })).toBe(
      'Mon-Thu, Sat-Sun 09:00-17:30 (Europe/London)',
    );
    expect(describeLocalTime(london, at('2026-11-23T09:00:00Z'))).toBe(
      'Mon 23 Nov 2026 09:00 (Europe/London)',
    );
  });
});

describe('the configuration of sev 3 handling', () => {
  it('defaults business hours to Monday-Friday 09:00-17:00 UTC and the team to the first internal list', () => {
    const org = parseOrganisation(organisationInput);
    expect(serviceOf(org, 'unknown').businessHours).toEqual({
      timeZone: 'UTC',
      days: [1, 2, 3, 4, 5],
      start: '09:00',
      end: '17:00',
    });
    expect(teamAddress(serviceOf(org, 'unknown'))).toBe('incidents@example.com');
    expect(teamAddress(serviceOf(org, 'checkout'))).toBe('payments-team@example.com');
    // Parts left out take their defaults.
    const partial = parseOrganisation({
      ...organisationInput,
      services: {
        ...organisationInput.services,
        checkout: { ...organisationInput.services.checkout, businessHours: { timeZone: 'Europe/London' } },
      },
    });
    expect(serviceOf(partial, 'checkout').businessHours).toEqual({ ...utc, timeZone: 'Europe/London' });
  });

  it('names each bad business hours field and a bad team address', () => {
    const bad = {
      ...organisationInput,
      services: {
        ...organisationInput.services,
        checkout: {
          ...organisationInput.services.checkout,
          team: 'payments team',
          businessHours: { timeZone: 'Europe/Londres', days: [0, 8], start: '9:00', end: '17:00' },
        },
        unknown: {
          ...organisationInput.services.unknown,
          businessHours: { days: [], start: '18:00', end: '08:00' },
        },
      },
    };
    let message = '';
    try {
      parseOrganisation(bad, 'infra/organisation.ts');
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toContain('services.checkout.team: must be an email address');
    expect(message).toContain('services.checkout.businessHours.timeZone: must be an IANA time zone');
    expect(message).toContain('services.checkout.businessHours.days[0]: days are 1 (Monday) to 7 (Sunday)');
    expect(message).toContain('services.checkout.businessHours.days[1]');
    expect(message).toContain('services.checkout.businessHours.start: must be a time of day');
    expect(message).toContain('services.unknown.businessHours.days: name at least one business day');
  });

  it('refuses a business day that ends before it starts', () => {
    const services = {
      ...organisationInput.services,
      unknown: { ...organisationInput.services.unknown, businessHours: { start: '18:00', end: '08:00' } },
    };
    expect(() => parseOrganisation({ ...organisationInput, services })).toThrowError(
      /services\.unknown\.businessHours\.end: start must be before end/,
    );
  });

  it('routes sev 3 to the team and sev 1-2 to paging', () => {
    expect([1, 2, 3].map((s) => routeFor(s as 1 | 2 | 3))).toEqual(['page', 'page', 'team']);
  });
});
