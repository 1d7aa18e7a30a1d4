import { describe, expect, it } from 'vitest';
import type {
  ChannelFacts,
  ChannelHealthRecord,
  SpendLimitHits,
} from '../../../functions/core/channel-health.ts';
import type { Person } from '../../../functions/core/people.ts';
import { type ChannelCheckDeps, checkChannels } from '../../../functions/use-cases/channel-health.ts';
import type { ChannelHealthStore, OverrideStore } from '../../../functions/use-cases/ports.ts';
import { recordingMailer } from '../../support/fakes.ts';

/** The hourly channel check over fakes: what it tells, once, and what it keeps to tell when a mail fails. */

const person = (name: string, email: string, phone: string): Person => ({
  name,
  email,
  phone,
  timeZone: 'Europe/London',
  notificationRules: [
    { channel: 'email', afterMinutes: 0 },
    { channel: 'sms', afterMinutes: 0 },
  ],
});
const people = {
  ada: person('Ada Lovelace', 'ada@example.com', '+447700900123'),
  grace: person('Grace Hopper', 'grace@example.com', '+12025550123'),
};
const open: ChannelFacts = { suppressed: {}, optedOut: [], sesProductionAccess: true };

/** The one item, with the repository's conditions. */
function memoryStore(): ChannelHealthStore & { record?: ChannelHealthRecord; hits: SpendLimitHits } {
  const store: ChannelHealthStore & { record?: ChannelHealthRecord; hits: SpendLimitHits } = {
    hits: {},
    async spendLimitHits() {
      return structuredClone(store.hits);
    },
    async noteSpendLimitHit(channel, at) {
      store.hits[channel] = { at };
    },
    async settleSpendLimitHit(channel, at, limitUsd) {
      const hit = store.hits[channel];
      if (hit?.at !== at) return;
      if (limitUsd === undefined) delete store.hits[channel];
      else hit.limitUsd = limitUsd;
    },
    async get() {
      return store.record && structuredClone(store.record);
    },
    async replace(record, previous) {
      if (store.record?.checkedAt !== previous) return false;
      store.record = structuredClone(record);
      return true;
    },
    async told(checkedAt, what) {
      if (!store.record || store.record.checkedAt !== checkedAt) return;
      if (what.operators) delete store.record.pending;
      if (what.handoff !== undefined) delete store.record.pendingHandoffs?.[what.handoff];
    },
  };
  return store;
}
const noOverrides: OverrideStore = {
  create: async () => true,
  get: async () => undefined,
  touching: async () => [],
  remove: async () => undefined,
};

function setup(start = '2026-12-07T12:00:00.000Z') {
  let now = new Date(start);
  let facts = open;
  const { mailer, sent } = recordingMailer();
  const channelHealth = memoryStore();
  const deps: ChannelCheckDeps = {
    organisation: {
      people,
      operators: ['ops@example.com'],
      paging: { sms: { originationIdentity: 'phone-0123456789abcdef0123456789abcdef' } },
      schedules: {
        sre: {
          name: 'SRE on call',
          timeZone: 'UTC',
          rotation: {
            members: ['ada', 'grace'],
            handoff: { time: '09:00' },
            shift: 'daily',
            start: '2026-01-05',
          },
        },
      },
    } as unknown as ChannelCheckDeps['organisation'],
    channelHealth,
    facts: { read: async () => facts },
    mailer,
    overrides: noOverrides,
    now: () => now,
  };
  return {
    deps,
    sent,
    channelHealth,
    setFacts: (f: ChannelFacts) => {
      facts = f;
    },
    advance: (ms: number) => {
      now = new Date(now.getTime() + ms);
    },
  };
}
const HOUR = 3_600_000;

describe('the channel check', () => {
  it('checks at once, then at most hourly, telling the operators once per change', async () => {
    const t = setup();
    expect(await checkChannels(t.deps)).toMatchObject({ checked: true, quiet: [] });
    expect(t.sent).toEqual([]);
    t.setFacts({ ...open, optedOut: ['+447700900123'] });
    // Not due within the hour: AWS is not read.
    t.advance(HOUR / 2);
    expect(await checkChannels(t.deps)).toMatchObject({ checked: false, quiet: [] });
    t.advance(HOUR / 2);
    const found = await checkChannels(t.deps);
    expect(found).toMatchObject({ checked: true, told: { appeared: 1, cleared: 0 } });
    expect(t.sent.map((m) => [m.to, m.message.subject])).toEqual([
      [['ops@example.com'], 'Hotline - Quiet channels: 1 went quiet'],
    ]);
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).told).toBeUndefined();
    t.setFacts(open);
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).told).toEqual({ appeared: 0, cleared: 1 });
    expect(t.sent.at(-1)?.message.subject).toBe('Hotline - Quiet channels: 1 cleared');
    expect(t.sent).toHaveLength(2);
  });

  it("says a text refused for the month's spend limit until the limit rises or the month ends", async () => {
    const t = setup('2026-12-07T12:00:00.000Z');
    const limits = (usd: number) => ({
      ...open,
      spendLimits: [{ name: 'TEXT_MESSAGE_MONTHLY_SPEND_LIMIT', limitUsd: usd }],
    });
    t.setFacts(limits(10));
    await checkChannels(t.deps);
    // A page's text was refused for the spend limit: the sender noted it.
    await t.channelHealth.noteSpendLimitHit('sms', '2026-12-07T12:30:00.000Z');
    t.advance(HOUR);
    const found = await checkChannels(t.deps);
    expect(found.quiet).toEqual([
      expect.objectContaining({
        channel: 'sms',
        problem: 'spend-limit',
        detail: expect.stringContaining('($10) was reached'),
      }),
    ]);
    expect(t.sent.at(-1)?.message.subject).toBe('Hotline - Quiet channels: 1 went quiet');
    // Stamped with the limit in force when first seen; it stands while the limit does.
    expect(t.channelHealth.hits.sms).toEqual({ at: '2026-12-07T12:30:00.000Z', limitUsd: 10 });
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).quiet).toHaveLength(1);
    // The operators raised it: cleared, and they are told.
    t.setFacts(limits(50));
    t.advance(HOUR);
    const raised = await checkChannels(t.deps);
    expect(raised).toMatchObject({ quiet: [], told: { appeared: 0, cleared: 1 } });
    expect(t.channelHealth.hits).toEqual({});
  });

  it('lets a spend-limit refusal of an earlier month lapse (AWS resets the spend monthly)', async () => {
    const t = setup('2026-12-31T23:30:00.000Z');
    t.setFacts({ ...open, spendLimits: [{ name: 'TEXT_MESSAGE_MONTHLY_SPEND_LIMIT', limitUsd: 10 }] });
    await t.channelHealth.noteSpendLimitHit('sms', '2026-12-31T23:00:00.000Z');
    expect((await checkChannels(t.deps)).quiet).toHaveLength(1);
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).quiet).toEqual([]);
    expect(t.channelHealth.hits).toEqual({});
  });

  it('keeps what it could not tell, and tells it at the next sweep', async () => {
    const t = setup();
    t.setFacts({ ...open, suppressed: { 'grace@example.com': { reason: 'BOUNCE' } } });
    const send = t.deps.mailer.send;
    t.deps.mailer.send = async () => {
      throw new Error('SES is down');
    };
    const failed = await checkChannels(t.deps);
    expect(failed.failed.map((f) => f.item)).toEqual(['channels:operators']);
    expect(t.channelHealth.record?.pending?.appeared).toHaveLength(1);
    t.deps.mailer.send = send;
    t.advance(60_000);
    const retried = await checkChannels(t.deps);
    expect(retried).toMatchObject({ checked: false, told: { appeared: 1, cleared: 0 } });
    expect(t.channelHealth.record?.pending).toBeUndefined();
    expect(t.sent).toHaveLength(1);
  });

  it('writes one result when two runs overlap: only the first tells', async () => {
    const t = setup();
    t.setFacts({ ...open, optedOut: ['+447700900123'] });
    const runs = await Promise.all([checkChannels(t.deps), checkChannels(t.deps)]);
    expect(runs.filter((r) => r.checked)).toHaveLength(1);
    expect(t.sent).toHaveLength(1);
  });

  it('tells whoever takes over a schedule, with their quiet channels, and nobody at the first check', async () => {
    // 08:00 UTC: the shift that began yesterday 09:00 is still on; at 09:00 the other one takes over.
    const t = setup('2026-12-07T08:30:00.000Z');
    t.setFacts({ ...open, optedOut: ['+447700900123', '+12025550123'] });
    const first = await checkChannels(t.deps);
    expect(first.handoffs).toEqual({});
    expect(t.sent.filter((m) => !m.to.includes('ops@example.com'))).toEqual([]);
    const before = t.channelHealth.record?.onCall.sre;
    t.advance(HOUR);
    const after = await checkChannels(t.deps);
    const incoming = after.handoffs.sre;
    expect(incoming).toBeDefined();
    expect(incoming).not.toBe(before);
    const notice = t.sent.find((m) => m.to.includes(people[incoming as 'ada'].email));
    expect(notice?.message.subject).toBe('Hotline - You are on call: SRE on call - 1 quiet channel(s)');
    expect(notice?.message.text).toContain('Text START');
    expect(t.channelHealth.record?.pendingHandoffs).toEqual({});
  });
});
