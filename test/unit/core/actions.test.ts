import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  actionReminderEmail,
  actionReminders,
  isOverdue,
  parseCompletion,
  reminderDue,
  reminderTimes,
} from '../../../functions/core/actions.ts';
import { indexes } from '../../../functions/core/keys.ts';

const due = '2027-01-10T12:00:00.000Z';
const at = (iso: string) => new Date(iso);
const priority = { kind: 'priority' as const, dueAt: due, status: 'open' as const };
const improvement = { kind: 'improvement' as const, dueAt: due, status: 'open' as const };

describe('which reminder an action is due', () => {
  it.each([
    ['2027-01-03T11:59:59.999Z', undefined],
    ['2027-01-03T12:00:00.000Z', 'before'],
    ['2027-01-10T11:59:59.000Z', 'before'],
    ['2027-01-10T12:00:00.000Z', 'due'],
    ['2027-01-11T11:59:00.000Z', 'due'],
    ['2027-01-11T12:00:00.000Z', 'breach'],
    ['2027-03-01T00:00:00.000Z', 'breach'],
  ] as const)('a priority action due %s: at %s, %s', (now, expected) => {
    expect(reminderDue(priority, at(now))).toBe(expected);
  });

  it('reminds an improvement only at its own due date, and never one without a due date', () => {
    expect(reminderDue(improvement, at('2027-01-05T12:00:00.000Z'))).toBeUndefined();
    expect(reminderDue(improvement, at('2027-01-10T12:00:00.000Z'))).toBe('due');
    expect(reminderDue(improvement, at('2027-02-10T12:00:00.000Z'))).toBe('due');
    expect(reminderDue({ kind: 'improvement', status: 'open' }, at('2030-01-01T00:00:00Z'))).toBeUndefined();
  });

  it('reminds nothing of a done action', () => {
    expect(reminderDue({ ...priority, status: 'done' }, at('2027-01-12T00:00:00.000Z'))).toBeUndefined();
  });

  it('never goes back to an earlier reminder as time passes (each is sent once, in order)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: -20 * 86_400_000, max: 20 * 86_400_000 }),
        fc.nat(5 * 86_400_000),
        (a, d) => {
          const t = Date.parse(due) + a;
          const first = reminderDue(priority, new Date(t));
          const later = reminderDue(priority, new Date(t + d));
          const rank = (r: string | undefined) => (r ? actionReminders.indexOf(r as never) : -1);
          expect(rank(later)).toBeGreaterThanOrEqual(rank(first));
        },
      ),
    );
  });

  it('times a priority action a week before, at and a day after its due time', () => {
    expect(reminderTimes(priority).map((r) => [r.reminder, new Date(r.at).toISOString()])).toEqual([
      ['before', '2027-01-03T12:00:00.000Z'],
      ['due', due],
      ['breach', '2027-01-11T12:00:00.000Z'],
    ]);
  });

  it('calls an open action overdue after its due time only', () => {
    expect(isOverdue(priority, at('2027-01-10T12:00:00.000Z'))).toBe(false);
    expect(isOverdue(priority, at('2027-01-10T12:00:00.001Z'))).toBe(true);
    expect(isOverdue({ ...priority, status: 'done' }, at('2028-01-01T00:00:00Z'))).toBe(false);
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
