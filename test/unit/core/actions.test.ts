import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actionReminderEmail,
  actionReminders,
  isOverdue,
  parseCompletion,
  REMINDER_CATCH_UP_MAX_MS,
  REMINDER_HORIZON_MS,
  REMINDER_LOOKBACK_MS,
  reminderDue,
  reminderTimes,
  reminderWindow,
} from '../../../functions/core/actions.ts';
import { type BusinessHours, DEFAULT_BUSINESS_HOURS } from '../../../functions/core/business-hours.ts';
import { indexes } from '../../../functions/core/keys.ts';

// A Wednesday; the default business hours are Mon-Fri 09:00-17:00 UTC.
const due = '2027-01-13T12:00:00.000Z';
const at = (iso: string) => new Date(iso);
const utc = DEFAULT_BUSINESS_HOURS;
const priority = { kind: 'priority' as const, dueAt: due, status: 'open' as const };
const improvement = { kind: 'improvement' as const, dueAt: due, status: 'open' as const };
const times = (action: Parameters<typeof reminderTimes>[0], hours: BusinessHours) =>
  reminderTimes(action, hours).map((r) => [r.reminder, new Date(r.at).toISOString()]);

describe('which reminder an action is due', () => {
  it.each([
    ['2027-01-06T08:59:59.999Z', undefined],
    ['2027-01-06T09:00:00.000Z', 'before'],
    ['2027-01-13T08:59:59.000Z', 'before'],
    ['2027-01-13T09:00:00.000Z', 'due'],
    ['2027-01-14T08:59:00.000Z', 'due'],
    ['2027-01-14T09:00:00.000Z', 'breach'],
    ['2027-03-01T00:00:00.000Z', 'breach'],
  ] as const)('a priority action due on a Wednesday: at %s, %s', (now, expected) => {
    expect(reminderDue(priority, at(now), utc)).toBe(expected);
  });

  it('reminds an improvement only on its own due day, and never one without a due date', () => {
    expect(reminderDue(improvement, at('2027-01-08T12:00:00.000Z'), utc)).toBeUndefined();
    expect(reminderDue(improvement, at('2027-01-13T09:00:00.000Z'), utc)).toBe('due');
    expect(reminderDue(improvement, at('2027-02-10T12:00:00.000Z'), utc)).toBe('due');
    expect(
      reminderDue({ kind: 'improvement', status: 'open' }, at('2030-01-01T00:00:00Z'), utc),
    ).toBeUndefined();
  });

  it('reminds nothing of a done action', () => {
    expect(reminderDue({ ...priority, status: 'done' }, at('2027-01-15T00:00:00.000Z'), utc)).toBeUndefined();
  });

  it('never goes back to an earlier reminder as time passes (each is sent once, in order)', () => {
    const zones = ['UTC', 'Europe/London', 'America/Los_Angeles', 'Asia/Tokyo', 'Pacific/Kiritimati'];
    fc.assert(
      fc.property(
        fc.integer({ min: -20 * 86_400_000, max: 20 * 86_400_000 }),
        fc.nat(5 * 86_400_000),
        fc.constantFrom(...zones),
        (a, d, timeZone) => {
          const hours = { ...utc, timeZone };
          const t = Date.parse(due) + a;
          const first = reminderDue(priority, new Date(t), hours);
          const later = reminderDue(priority, new Date(t + d), hours);
          const rank = (r: string | undefined) => (r ? actionReminders.indexOf(r as never) : -1);
          expect(rank(later)).toBeGreaterThanOrEqual(rank(first));
        },
      ),
    );
  });

  it("times a priority action at the service's business morning: a week before, on and the day after its due day", () => {
    expect(times(priority, utc)).toEqual([
      ['before', '2027-01-06T09:00:00.000Z'],
      ['due', '2027-01-13T09:00:00.000Z'],
      ['breach', '2027-01-14T09:00:00.000Z'],
    ]);
  });

  it("uses the service's time zone: its calendar day and its morning, not a UTC instant", () => {
    // 21:00 on Wednesday in Tokyo: "due today" arrives at 09:00 there (00:00 UTC), not at 12:00 UTC.
    expect(times(priority, { ...utc, timeZone: 'Asia/Tokyo' })).toEqual([
      ['before', '2027-01-06T00:00:00.000Z'],
      ['due', '2027-01-13T00:00:00.000Z'],
      ['breach', '2027-01-14T00:00:00.000Z'],
    ]);
    // 03:00 UTC on Wednesday is 22:00 on Tuesday in New York: due Tuesday, reminded at 09:00 EST (14:00 UTC),
    // never at 03:00 UTC (a night-time mail there).
    const newYork = { ...utc, timeZone: 'America/New_York' };
    const late = { ...priority, dueAt: '2027-01-13T03:00:00.000Z' };
    expect(times(late, newYork)).toEqual([
      ['before', '2027-01-05T14:00:00.000Z'],
      ['due', '2027-01-12T14:00:00.000Z'],
      ['breach', '2027-01-13T14:00:00.000Z'],
    ]);
    // The team's own start of business, and daylight saving as the zone has it (BST in July).
    const london = { ...utc, timeZone: 'Europe/London', start: '08:30' };
    expect(times({ ...priority, dueAt: '2027-07-14T12:00:00.000Z' }, london)).toEqual([
      ['before', '2027-07-07T07:30:00.000Z'],
      ['due', '2027-07-14T07:30:00.000Z'],
      ['breach', '2027-07-15T07:30:00.000Z'],
    ]);
  });

  it('moves a warning falling on a day off to the business day before, and a breach to the one after', () => {
    // Due on a Saturday: warned on the Fridays before, breached on the Monday after.
    expect(times({ ...priority, dueAt: '2027-01-16T12:00:00.000Z' }, utc)).toEqual([
      ['before', '2027-01-08T09:00:00.000Z'],
      ['due', '2027-01-15T09:00:00.000Z'],
      ['breach', '2027-01-18T09:00:00.000Z'],
    ]);
    // Due on a Friday: the breach waits for Monday morning.
    expect(times({ ...priority, dueAt: '2027-01-15T16:00:00.000Z' }, utc).at(-1)).toEqual([
      'breach',
      '2027-01-18T09:00:00.000Z',
    ]);
  });

  it('calls an open action overdue after its due time only', () => {
    expect(isOverdue(priority, at('2027-01-13T12:00:00.000Z'))).toBe(false);
    expect(isOverdue(priority, at('2027-01-13T12:00:00.001Z'))).toBe(true);
    expect(isOverdue({ ...priority, status: 'done' }, at('2028-01-01T00:00:00Z'))).toBe(false);
  });
});

describe('the due dates a reminder sweep reads', () => {
  const now = at('2027-01-20T10:00:00.000Z');
  const days = (n: number) => new Date(now.getTime() + n * 86_400_000).toISOString();

  it('reads a week back on its first run, and to the horizon ahead', () => {
    expect(reminderWindow(now)).toEqual({ from: days(-7), to: days(15) });
    expect(REMINDER_LOOKBACK_MS).toBe(7 * 86_400_000);
  });

  it('catches up from a week before its last completed run, however long ago (within a bound)', () => {
    expect(reminderWindow(now, days(-1 / 24))).toEqual({ from: days(-7 - 1 / 24), to: days(15) });
    expect(reminderWindow(now, days(-10))).toEqual({ from: days(-17), to: days(15) });
    expect(reminderWindow(now, days(-400)).from).toBe(days(-REMINDER_CATCH_UP_MAX_MS / 86_400_000));
    // A last run "in the future" (a clock that jumped) reads as a first run would.
    expect(reminderWindow(now, days(3)).from).toBe(days(-7));
    expect(reminderWindow(now, 'not a time').from).toBe(days(-7));
  });

  it('covers every reminder due since the last run: a breach is within the look-back of its due date', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 30 * 86_400_000 }),
        fc.constantFrom('UTC', 'America/Los_Angeles', 'Asia/Tokyo'),
        (offset, timeZone) => {
          const dueAt = new Date(Date.parse('2027-01-01T00:00:00.000Z') + offset).toISOString();
          const breach = reminderTimes({ kind: 'priority', dueAt }, { ...utc, timeZone }).at(-1)?.at ?? 0;
          expect(breach - Date.parse(dueAt)).toBeLessThanOrEqual(REMINDER_LOOKBACK_MS);
          const before = reminderTimes({ kind: 'priority', dueAt }, { ...utc, timeZone })[0]?.at ?? 0;
          expect(Date.parse(dueAt) - before).toBeLessThanOrEqual(REMINDER_HORIZON_MS);
        },
      ),
    );
  });
});

describe('the open actions index', () => {
  it('sorts by due date, those without one last', () => {
    const keys = [
      indexes.openActions.values(undefined, '01A').gsi3sk,
      indexes.openActions.values('2027-02-01T00:00:00.000Z', '01B').gsi3sk,
      indexes.openActions.values('2027-01-01T00:00:00.000Z', '01C').gsi3sk,
    ].sort();
    expect(keys).toEqual(['2027-01-01T00:00:00.000Z#01C', '2027-02-01T00:00:00.000Z#01B', '9999#01A']);
  });
});

describe('completing an action', () => {
  it('takes an http(s) tracker URL and a note, capped', () => {
    expect(parseCompletion({ trackerUrl: 'https://jira.example.com/PAY-1', note: ' fixed ' })).toEqual({
      trackerUrl: 'https://jira.example.com/PAY-1',
      note: 'fixed',
    });
    expect(parseCompletion({})).toEqual({});
    expect(() => parseCompletion({ trackerUrl: 'javascript:alert(1)' })).toThrow(/http or https/);
    expect(() => parseCompletion({ note: 'x'.repeat(1001) })).toThrow(/longer than 1000/);
    expect(() => parseCompletion({ other: 1 })).toThrow(/unknown field other/);
  });
});

describe('the reminder mail', () => {
  it('carries the mark-done link and the incident link, escaped', () => {
    const mail = actionReminderEmail({
      incident: { key: 'HOT-7', severity: 2, summary: 'Card payments <failing>' },
      action: { title: 'Add <retry>', kind: 'priority', ownerTeam: 'Payments', dueAt: due },
      reminder: 'breach',
      markDoneUrl: 'https://incidents.example.com/links/v1.abc',
      viewUrl: 'https://incidents.example.com/links/v1.view',
      to: 'approvers',
    });
    expect(mail.subject).toBe('HOT-7 - Sev 2 - Card payments <failing> - Action overdue');
    expect(mail.text).toContain(
      'Mark done: Mark this action done <https://incidents.example.com/links/v1.abc>',
    );
    expect(mail.html).toContain('href="https://incidents.example.com/links/v1.abc"');
    expect(mail.html).toContain('Add &lt;retry&gt;');
    expect(mail.html).not.toContain('<retry>');
    expect(mail.text).toContain('the postmortem you approved');
  });
});
