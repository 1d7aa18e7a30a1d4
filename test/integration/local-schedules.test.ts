import { describe, expect, it } from 'vitest';
import { nextFireTime } from '../../infra/local/schedules.ts';

/** Schedule expressions as EventBridge and EventBridge Scheduler read them. */

const at = (iso: string) => new Date(iso);
const next = (expression: string, after: string, timezone?: string) =>
  nextFireTime(expression, at(after), timezone)?.toISOString();

describe('rate expressions', () => {
  it('fire every period from when the schedule started', () => {
    const created = at('2026-11-20T10:00:00.000Z');
    expect(
      nextFireTime('rate(5 minutes)', at('2026-11-20T10:00:00.000Z'), 'UTC', created)?.toISOString(),
    ).toBe('2026-11-20T10:05:00.000Z');
    expect(
      nextFireTime('rate(5 minutes)', at('2026-11-20T10:07:30.000Z'), 'UTC', created)?.toISOString(),
    ).toBe('2026-11-20T10:10:00.000Z');
    expect(nextFireTime('rate(1 hour)', created, 'UTC', created)?.toISOString()).toBe(
      '2026-11-20T11:00:00.000Z',
    );
    expect(nextFireTime('rate(2 days)', created, 'UTC', created)?.toISOString()).toBe(
      '2026-11-22T10:00:00.000Z',
    );
  });
});

describe('cron expressions (minutes hours day-of-month month day-of-week year)', () => {
  it('handles weekdays, lists, ranges and steps in UTC', () => {
    // 2026-11-20 is a Friday.
    expect(next('cron(0 6 ? * MON-FRI *)', '2026-11-20T07:00:00Z')).toBe('2026-11-23T06:00:00.000Z');
    expect(next('cron(0 6 ? * MON-FRI *)', '2026-11-20T05:59:00Z')).toBe('2026-11-20T06:00:00.000Z');
    expect(next('cron(0/15 * * * ? *)', '2026-11-20T10:16:00Z')).toBe('2026-11-20T10:30:00.000Z');
    expect(next('cron(5,35 9-10 * * ? *)', '2026-11-20T10:36:00Z')).toBe('2026-11-21T09:05:00.000Z');
    expect(next('cron(0 12 1 JAN,JUL ? 2027)', '2026-11-20T00:00:00Z')).toBe('2027-01-01T12:00:00.000Z');
    expect(next('cron(0 12 1 1 ? 2025)', '2026-11-20T00:00:00Z')).toBeUndefined();
  });

  it('handles L, W and # the way AWS documents them', () => {
    expect(next('cron(0 0 L * ? *)', '2026-11-20T00:00:00Z')).toBe('2026-11-30T00:00:00.000Z');
    // 2026-11-15 is a Sunday: the nearest weekday is Monday the 16th.
    expect(next('cron(0 0 15W * ? *)', '2026-11-01T00:00:00Z')).toBe('2026-11-16T00:00:00.000Z');
    // The second Monday (2) of December 2026 is the 14th; the last Friday (6L) of November is the 27th.
    expect(next('cron(0 9 ? * 2#2 *)', '2026-11-20T00:00:00Z')).toBe('2026-12-14T09:00:00.000Z');
    expect(next('cron(0 9 ? * 6L *)', '2026-11-20T00:00:00Z')).toBe('2026-11-27T09:00:00.000Z');
    expect(next('cron(0 9 ? * FRI-MON *)', '2026-11-22T10:00:00Z')).toBe('2026-11-23T09:00:00.000Z');
  });

  it('evaluates in the schedule time zone, across a DST change', () => {
    // 08:00 in Paris is 07:00 UTC in winter and 06:00 UTC in summer.
    expect(next('cron(0 8 * * ? *)', '2026-11-20T12:00:00Z', 'Europe/Paris')).toBe(
      '2026-11-21T07:00:00.000Z',
    );
    expect(next('cron(0 8 * * ? *)', '2026-03-28T12:00:00Z', 'Europe/Paris')).toBe(
      '2026-03-29T06:00:00.000Z',
    );
    expect(next('at(2027-01-01T09:30:00)', '2026-11-20T00:00:00Z', 'America/New_York')).toBe(
      '2027-01-01T14:30:00.000Z',
    );
  });

  it('rejects what AWS rejects', () => {
    expect(() => next('cron(0 6 * * * *)', '2026-11-20T00:00:00Z')).toThrow(/exactly one of day-of-month/);
    expect(() => next('cron(0 6 * *)', '2026-11-20T00:00:00Z')).toThrow(/6 fields/);
    expect(() => next('cron(61 6 ? * * *)', '2026-11-20T00:00:00Z')).toThrow(/out of range/);
    expect(() => next('every 5 minutes', '2026-11-20T00:00:00Z')).toThrow(/Invalid schedule expression/);
  });
});
