import { describe, expect, it } from 'vitest';
import {
  type ChannelFacts,
  channelCheckDue,
  quietChanges,
  quietChannels,
  quietChannelsOf,
  remedy,
} from '../../../functions/core/channel-health.ts';
import { handoffEmail, quietChannelsEmail } from '../../../functions/core/mails/channel-health.ts';
import type { Person } from '../../../functions/core/people.ts';

const people: Record<string, Person> = {
  ada: {
    name: 'Ada Lovelace',
    email: 'Ada@Example.com',
    phone: '+447700900123',
    timeZone: 'Europe/London',
    notificationRules: [
      { channel: 'email', afterMinutes: 0 },
      { channel: 'sms', afterMinutes: 0 },
    ],
  },
  bob: {
    name: 'Bob <b>',
    email: 'bob@example.com',
    phone: '+14155550100',
    timeZone: 'America/New_York',
    notificationRules: [{ channel: 'email', afterMinutes: 0 }],
  },
};
const open: ChannelFacts = { suppressed: {}, optedOut: [], sesProductionAccess: true };
const phone = { sms: true, voice: true };

describe('quiet channels', () => {
  it('finds nothing when every channel is open', () => {
    expect(quietChannels(people, open, phone)).toEqual([]);
  });

  it('finds a suppressed address (any case) and an opted-out number, naming the person, never the whole number', () => {
    const quiet = quietChannels(
      people,
      {
        ...open,
        suppressed: { 'ada@example.com': { reason: 'BOUNCE', since: '2026-12-07T10:00:00.000Z' } },
        optedOut: ['+447700900123'],
      },
      phone,
    );
    expect(quiet.map((q) => [q.personId, q.channel, q.problem])).toEqual([
      ['ada', 'email', 'suppressed'],
      ['ada', 'sms', 'opted-out'],
    ]);
    expect(quiet[0]?.detail).toContain('bounce since 2026-12-07');
    expect(JSON.stringify(quiet)).not.toContain('+447700900123');
  });

  it('says nothing of a number that opted out when its person is never texted or called', () => {
    expect(quietChannels(people, { ...open, optedOut: ['+14155550100'] }, phone)).toEqual([]);
  });

  it('finds the account-wide problems: the SES and SMS sandboxes and a spend limit that lets nothing through', () => {
    const quiet = quietChannels(
      people,
      {
        ...open,
        sesProductionAccess: false,
        smsAccountTier: 'SANDBOX',
        spendLimits: [
          { name: 'TEXT_MESSAGE_MONTHLY_SPEND_LIMIT', limitUsd: 0 },
          { name: 'VOICE_MESSAGE_MONTHLY_SPEND_LIMIT', limitUsd: 10 },
        ],
      },
      phone,
    );
    expect(quiet.map((q) => [q.personId, q.channel, q.problem])).toEqual([
      [undefined, 'email', 'ses-sandbox'],
      [undefined, 'sms', 'sms-sandbox'],
      [undefined, 'sms', 'spend-limit'],
    ]);
    // Without SMS paging, the SMS account is nobody's problem.
    expect(
      quietChannels(people, { ...open, smsAccountTier: 'SANDBOX' }, { sms: false, voice: false }),
    ).toEqual([]);
  });

  it("gives a person their own quiet channels and the account's ones of the channels they are paged on", () => {
    const quiet = quietChannels(
      people,
      { ...open, smsAccountTier: 'SANDBOX', suppressed: { 'bob@example.com': { reason: 'COMPLAINT' } } },
      phone,
    );
    expect(quietChannelsOf(quiet, 'ada', people.ada).map((q) => q.problem)).toEqual(['sms-sandbox']);
    expect(quietChannelsOf(quiet, 'bob', people.bob).map((q) => q.problem)).toEqual(['suppressed']);
  });

  it('tells what changed once: appeared and cleared, and nothing for the same problems found again', () => {
    const before = quietChannels(people, { ...open, optedOut: ['+447700900123'] }, phone);
    const after = quietChannels(
      people,
      { ...open, suppressed: { 'ada@example.com': { reason: 'BOUNCE' } } },
      phone,
    );
    const changes = quietChanges(before, after);
    expect(changes.appeared.map((q) => q.problem)).toEqual(['suppressed']);
    expect(changes.cleared.map((q) => q.problem)).toEqual(['opted-out']);
    expect(quietChanges(after, after)).toEqual({ appeared: [], cleared: [] });
  });

  it('is due hourly (scaled), and at once when never checked', () => {
    const at = new Date('2026-12-07T12:00:00Z');
    expect(channelCheckDue(undefined, at)).toBe(true);
    expect(channelCheckDue({ checkedAt: '2026-12-07T11:30:00.000Z' }, at)).toBe(false);
    expect(channelCheckDue({ checkedAt: '2026-12-07T11:00:00.000Z' }, at)).toBe(true);
    expect(channelCheckDue({ checkedAt: '2026-12-07T11:59:00.000Z' }, at, 0.01)).toBe(true);
  });

  it('says what to do, with the command for a suppressed address', () => {
    const [q] = quietChannels(
      people,
      { ...open, suppressed: { 'ada@example.com': { reason: 'BOUNCE' } } },
      phone,
    );
    expect(q && remedy(q, people.ada)).toContain(
      'aws sesv2 delete-suppressed-destination --email-address Ada@Example.com',
    );
  });
});

describe('quiet channel mails', () => {
  const quiet = quietChannels(
    people,
    { ...open, suppressed: { 'bob@example.com': { reason: 'BOUNCE' } }, optedOut: ['+447700900123'] },
    phone,
  );

  it('tells the operators what went quiet with what to do, escaping names', () => {
    const mail = quietChannelsEmail({
      appeared: quiet,
      cleared: [],
      quiet,
      people,
      checkedAt: '2026-12-07T12:00:00.000Z',
    });
    expect(mail.subject).toBe('Hotline - Quiet channels: 2 went quiet');
    expect(mail.text).toContain('Ada Lovelace (ada): SMS');
    expect(mail.text).toContain('Text START');
    expect(mail.text).toContain('delete-suppressed-destination --email-address bob@example.com');
    expect(mail.html).toContain('Bob &lt;b&gt;');
    expect(mail.html).not.toContain('Bob <b>');
    const cleared = quietChannelsEmail({
      appeared: [],
      cleared: quiet,
      quiet: [],
      people,
      checkedAt: '2026-12-07T13:00:00.000Z',
    });
    expect(cleared.subject).toBe('Hotline - Quiet channels: 2 cleared');
    expect(cleared.text).toContain('Nothing: every channel is open.');
  });

  it('tells the person taking over when their shift starts and ends, in the schedule zone, and their quiet channels', () => {
    const mail = handoffEmail({
      person: people.ada as Person,
      personId: 'ada',
      schedule: { id: 'primary', name: 'Primary IMOC', timeZone: 'America/New_York' },
      startsAt: '2026-12-07T14:00:00.000Z',
      until: '2026-12-14T14:00:00.000Z',
      ahead: true,
      quiet,
    });
    expect(mail.subject).toBe('Hotline - You are on call soon: Primary IMOC - 1 quiet channel(s)');
    expect(mail.text).toContain(
      'Your shift on Primary IMOC starts at 2026-12-07 14:00 UTC (09:00 America/New_York) and ends at 2026-12-14 14:00 UTC (09:00 America/New_York).',
    );
    expect(mail.text).toContain('Please fix them before it starts.');
    expect(mail.text).toContain('Text START');
    expect(mail.text).not.toContain('bob@example.com');
    const clear = handoffEmail({
      person: people.bob as Person,
      personId: 'bob',
      schedule: { id: 'primary', name: 'Primary\r\nIMOC', timeZone: 'UTC' },
      startsAt: '2026-12-07T09:00:00.000Z',
      until: '2026-12-14T09:00:00.000Z',
      ahead: false,
      quiet: [],
    });
    expect(clear.subject).toBe('Hotline - You are on call: Primary IMOC');
    expect(clear.text).toContain('at 2026-12-07 09:00 UTC; your shift ends at 2026-12-14 09:00 UTC.');
    expect(clear.text).toContain('Every channel you are paged on is open.');
    const open = handoffEmail({
      person: people.bob as Person,
      personId: 'bob',
      schedule: { id: 'primary', name: 'Primary', timeZone: 'UTC' },
      startsAt: '2026-12-07T09:00:00.000Z',
      ahead: true,
      quiet: [],
    });
    expect(open.text).toContain('starts at 2026-12-07 09:00 UTC and has no end planned yet.');
  });
});
