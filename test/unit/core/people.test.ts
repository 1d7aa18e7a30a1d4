import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ConfigurationError, parseOrganisation } from '../../../functions/core/config.ts';
import { onCallAt, schedulesOf } from '../../../functions/core/oncall.ts';
import {
  type Channel,
  escalationDueAt,
  isE164,
  notificationPlan,
  reachability,
  redactPhone,
} from '../../../functions/core/people.ts';
import { organisationInput } from '../../support/organisation.ts';

const paged = new Date('2026-03-29T01:30:00.000Z');
const minutes = (n: number) => new Date(paged.getTime() + n * 60_000);

const people = {
  ada: {
    name: 'Ada Lovelace',
    email: 'ada@example.com',
    phone: '+447700900123',
    timeZone: 'Europe/London',
    notificationRules: [
      { channel: 'email', afterMinutes: 0 },
      { channel: 'sms', afterMinutes: 0 },
      { channel: 'voice', afterMinutes: 3 },
    ],
  },
  grace: { name: 'Grace Hopper', email: 'grace@example.com' },
} as const;

const schedules = {
  primary: {
    name: 'Primary',
    timeZone: 'Europe/London',
    rotation: {
      members: ['ada', 'grace'],
      handoff: { weekday: 1, time: '09:00' },
      shift: 'weekly',
      start: '2026-01-05',
    },
  },
} as const;

function problemsOf(input: unknown): string {
  try {
    parseOrganisation(input);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigurationError);
    return (error as Error).message;
  }
  throw new Error('expected the configuration to be refused');
}

describe('notification plan', () => {
  it('fires each rule at its delay and starts the tier timeout after the last one', () => {
    const plan = notificationPlan(people.ada.notificationRules, paged);
    expect(plan.notifications).toEqual([
      { channel: 'email', at: minutes(0) },
      { channel: 'sms', at: minutes(0) },
      { channel: 'voice', at: minutes(3) },
    ]);
    expect(plan.timeoutStartsAt).toEqual(minutes(3));
    expect(escalationDueAt(plan, 5)).toEqual(minutes(8));
  });

  it('mails at once when a person has no rules', () => {
    expect(notificationPlan([], paged)).toEqual({
      notifications: [{ channel: 'email', at: paged }],
      timeoutStartsAt: paged,
    });
  });

  it('whatever the rules, every one fires once, in time order, and the timeout starts at the latest', () => {
    const rule = fc.record({
      channel: fc.constantFrom<Channel>('email', 'sms', 'voice'),
      afterMinutes: fc.integer({ min: 0, max: 60 }),
    });
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 6 }), (rules) => {
        const plan = notificationPlan(rules, paged);
        expect(plan.notifications).toHaveLength(rules.length);
        const times = plan.notifications.map((n) => n.at.getTime());
        expect(times).toEqual([...times].sort((a, b) => a - b));
        expect(plan.timeoutStartsAt).toEqual(minutes(Math.max(...rules.map((r) => r.afterMinutes))));
      }),
    );
  });
});

describe('phone numbers', () => {
  it('accepts E.164 and refuses local or formatted numbers', () => {
    expect(isE164('+447700900123')).toBe(true);
    expect(isE164('+14155550100')).toBe(true);
    for (const bad of ['07700900123', '+44 7700 900123', '+0447700900123', '+1234', '+1234567890123456']) {
      expect(isE164(bad)).toBe(false);
    }
  });

  it('never shows a whole number in a log line', () => {
    expect(redactPhone('+447700900123')).toBe('+44********23');
    expect(redactPhone('+447700900123')).not.toContain('7700900');
  });

  it('says which rules cannot reach a person without a phone', () => {
    const { phone: _phone, ...noPhone } = people.ada;
    expect(reachability({ ...noPhone, notificationRules: people.ada.notificationRules })).toEqual({
      channels: ['email'],
      unreachable: [
        { channel: 'sms', afterMinutes: 0 },
        { channel: 'voice', afterMinutes: 3 },
      ],
    });
  });
});

describe('people and schedules in the organisation file', () => {
  it('stay optional: an organisation without them is valid as before', () => {
    const org = parseOrganisation(organisationInput);
    expect(org.people).toBeUndefined();
    expect(org.schedules).toBeUndefined();
  });

  it('read people with their defaults and a schedule naming them', () => {
    const org = parseOrganisation({ ...organisationInput, people, schedules });
    expect(org.people?.grace).toEqual({
      name: 'Grace Hopper',
      email: 'grace@example.com',
      timeZone: 'UTC',
      notificationRules: [{ channel: 'email', afterMinutes: 0 }],
    });
    expect(org.schedules?.primary?.rotation.members).toEqual(['ada', 'grace']);
    // What the later wiring does: the parsed schedules are what the on-call functions take.
    const [primary] = schedulesOf(org);
    expect(primary?.id).toBe('primary');
    expect(onCallAt(primary as NonNullable<typeof primary>, [], new Date('2026-01-12T09:00:00Z'))).toBe(
      'grace',
    );
  });

  it('name the field of a bad phone number, a bad zone and an sms rule without a phone', () => {
    const message = problemsOf({
      ...organisationInput,
      people: {
        ada: { ...people.ada, phone: '07700 900123' },
        grace: {
          ...people.grace,
          timeZone: 'Mars/Olympus',
          notificationRules: [{ channel: 'sms', afterMinutes: 0 }],
        },
      },
    });
    expect(message).toContain('people.ada.phone: must be a phone number in E.164 form');
    expect(message).toContain('people.grace.timeZone: must be an IANA time zone');
    expect(message).toContain(
      "people.grace.notificationRules[0].channel: a sms rule needs the person's phone number",
    );
    const twice = problemsOf({
      ...organisationInput,
      people: {
        ada: {
          ...people.ada,
          notificationRules: [...people.ada.notificationRules, { channel: 'voice', afterMinutes: 3 }],
        },
      },
    });
    expect(twice).toContain('people.ada.notificationRules[3]: voice after 3 minutes is already a rule');
  });

  it('stop on a schedule member who is not one of the people, naming the field', () => {
    const message = problemsOf({
      ...organisationInput,
      people,
      schedules: {
        primary: {
          ...schedules.primary,
          rotation: { ...schedules.primary.rotation, members: ['ada', 'linus'] },
        },
      },
    });
    expect(message).toContain(
      'schedules.primary.rotation.members[1]: "linus" is not one of the people (ada, grace)',
    );
  });

  it('refuse an empty rotation, a bad handoff time, a non-date start and a zero-day shift', () => {
    const message = problemsOf({
      ...organisationInput,
      people,
      schedules: {
        primary: {
          ...schedules.primary,
          rotation: {
            members: [],
            handoff: { weekday: 8, time: '24:00' },
            shift: { days: 0 },
            start: '2026-02-30',
          },
        },
      },
    });
    expect(message).toContain('schedules.primary.rotation.members: a rotation needs at least one member');
    expect(message).toContain('schedules.primary.rotation.handoff.weekday');
    expect(message).toContain('schedules.primary.rotation.handoff.time: must be a time of day');
    expect(message).toContain('schedules.primary.rotation.shift');
    expect(message).toContain('schedules.primary.rotation.start: must be a date, YYYY-MM-DD');
  });
});
