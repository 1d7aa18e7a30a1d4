import { describe, expect, it } from 'vitest';
import type {
  ChannelFacts,
  ChannelHealthRecord,
  SpendLimitHits,
} from '../../../functions/core/channel-health.ts';
import type { HandoffNotice } from '../../../functions/core/oncall-handoffs.ts';
import type { StoredOverride } from '../../../functions/core/oncall-overrides.ts';
import type { Person } from '../../../functions/core/people.ts';
import { type ChannelCheckDeps, checkChannels } from '../../../functions/use-cases/channel-health.ts';
import type {
  ChannelHealthStore,
  HandoffNoticeStore,
  OverrideStore,
} from '../../../functions/use-cases/ports.ts';
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
/** Overrides as the repository lists them: those overlapping the window asked for. */
function memoryOverrides(): OverrideStore & { list: StoredOverride[] } {
  const store = {
    list: [] as StoredOverride[],
    create: async () => true,
    get: async () => undefined,
    touching: async (scheduleId: string, from: Date, to: Date) =>
      store.list.filter(
        (o) =>
          o.scheduleId === scheduleId &&
          Date.parse(o.end) > from.getTime() &&
          Date.parse(o.start) < to.getTime(),
      ),
    remove: async () => undefined,
  };
  return store;
}

/** The leased claim of each notice, as table.ts keeps it (a lease that passed is taken over). */
function memoryNotices(): HandoffNoticeStore & {
  items: Map<string, { owner: string; until: number; sentAt?: string; notice: HandoffNotice }>;
} {
  const items = new Map<string, { owner: string; until: number; sentAt?: string; notice: HandoffNotice }>();
  const key = (n: HandoffNotice) => `${n.scheduleId}|${n.at}|${n.personId}`;
  return {
    items,
    async claimHandoffNotice(notice, terms) {
      const item = items.get(key(notice));
      if (item?.sentAt) return { state: 'done', record: item.notice };
      if (item && item.until > terms.now.getTime()) return { state: 'held', record: item.notice };
      items.set(key(notice), { owner: terms.owner, until: terms.now.getTime() + terms.leaseMs, notice });
      return { state: item ? 'taken-over' : 'claimed' };
    },
    async completeHandoffNotice(notice, owner, sentAt) {
      const item = items.get(key(notice));
      if (item?.owner !== owner || item.sentAt) return false;
      item.sentAt = sentAt;
      return true;
    },
    async releaseHandoffNotice(notice, owner) {
      const item = items.get(key(notice));
      if (item?.owner !== owner || item.sentAt) return false;
      item.until = 0;
      return true;
    },
  };
}

function setup(start = '2026-12-07T12:00:00.000Z') {
  let now = new Date(start);
  let facts = open;
  const { mailer, sent } = recordingMailer();
  const channelHealth = memoryStore();
  const overrides = memoryOverrides();
  const notices = memoryNotices();
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
    overrides,
    handoffNotices: notices,
    now: () => now,
  };
  return {
    deps,
    sent,
    channelHealth,
    overrides,
    notices,
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

  const toPeople = (t: ReturnType<typeof setup>) => t.sent.filter((m) => !m.to.includes('ops@example.com'));

  it('tells whoever takes over a schedule ahead of the handoff, once, with their quiet channels', async () => {
    // 07:30 UTC: the shift that began yesterday 09:00 is still on; at 09:00 the other one takes over.
    const t = setup('2026-12-07T06:30:00.000Z');
    t.setFacts({ ...open, optedOut: ['+447700900123', '+12025550123'] });
    await checkChannels(t.deps);
    t.advance(HOUR);
    const first = await checkChannels(t.deps);
    const incoming = first.handoffs.sre as 'ada' | 'grace';
    expect(first.notices).toEqual([
      { scheduleId: 'sre', personId: incoming, at: '2026-12-07T09:00:00.000Z', ahead: true },
    ]);
    expect(t.channelHealth.record?.onCall.sre).not.toBe(incoming);
    const [notice, ...others] = toPeople(t);
    expect(others).toEqual([]);
    expect(notice?.to).toEqual([people[incoming].email]);
    expect(notice?.message.subject).toBe('Hotline - You are on call soon: SRE on call - 1 quiet channel(s)');
    expect(notice?.message.text).toContain('starts at 2026-12-07 09:00 UTC and ends at 2026-12-08 09:00 UTC');
    expect(notice?.message.text).toContain('Text START');
    // The next check sees the same handoff ahead, and the one after it finds it happened: nobody is told again.
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).notices).toEqual([]);
    t.advance(HOUR);
    const after = await checkChannels(t.deps);
    expect(after).toMatchObject({ checked: true, notices: [], handoffs: {} });
    expect(t.channelHealth.record?.onCall.sre).toBe(incoming);
    expect(t.channelHealth.record?.pendingHandoffs).toEqual({});
    expect(toPeople(t)).toHaveLength(1);
  });

  it('tells nobody at the first check, even of a handoff ahead; a later check sees it', async () => {
    // The first check (a deployment) at 07:30 tells nobody; the next runs 20 minutes late, at 08:50: it sees 09:00.
    const t = setup('2026-12-07T07:30:00.000Z');
    expect((await checkChannels(t.deps)).notices).toEqual([]);
    t.advance(HOUR + 20 * 60_000);
    const late = await checkChannels(t.deps);
    expect(late.notices.map((n) => [n.at, n.ahead])).toEqual([['2026-12-07T09:00:00.000Z', true]]);
  });

  it('tells a handoff no check saw ahead (an override made as it starts) after the fact, once', async () => {
    const t = setup('2026-12-07T10:00:00.000Z');
    await checkChannels(t.deps);
    const holder = t.channelHealth.record?.onCall.sre;
    const cover = holder === 'ada' ? 'grace' : 'ada';
    // Added at 10:20, starting 10:15: no check saw it coming.
    t.overrides.list.push({
      id: 'o1',
      scheduleId: 'sre',
      personId: cover,
      start: '2026-12-07T10:15:00.000Z',
      end: '2026-12-07T16:00:00.000Z',
      createdAt: '2026-12-07T10:20:00.000Z',
      createdBy: 'ops',
    });
    t.advance(HOUR);
    const after = await checkChannels(t.deps);
    // The override's end hands back to the rotation at 16:00: not within two hours yet.
    expect(after.notices).toEqual([
      { scheduleId: 'sre', personId: cover, at: '2026-12-07T10:15:00.000Z', ahead: false },
    ]);
    const [notice] = toPeople(t);
    expect(notice?.message.subject).toBe('Hotline - You are on call: SRE on call');
    expect(notice?.message.text).toContain(
      'You took over SRE on call at 2026-12-07 10:15 UTC; your shift ends at 2026-12-07 16:00 UTC.',
    );
    // 12:00 and 13:00: nothing within two hours; 14:00 and 15:00 see the hand back at 16:00, told once.
    for (const _ of [12, 13]) {
      t.advance(HOUR);
      expect((await checkChannels(t.deps)).notices).toEqual([]);
    }
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).notices).toEqual([
      { scheduleId: 'sre', personId: holder, at: '2026-12-07T16:00:00.000Z', ahead: true },
    ]);
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).notices).toEqual([]);
    expect(toPeople(t)).toHaveLength(2);
  });

  it('gives a notice whose mail failed back, and the next check tells it', async () => {
    const t = setup('2026-12-07T06:30:00.000Z');
    await checkChannels(t.deps);
    t.advance(HOUR);
    const send = t.deps.mailer.send;
    t.deps.mailer.send = async (to, message) => {
      if (!to.includes('ops@example.com')) throw new Error('SES is down');
      return send(to, message);
    };
    const failed = await checkChannels(t.deps);
    expect(failed.failed.map((f) => f.item)).toEqual(['channels:handoff:sre']);
    expect(failed.notices).toEqual([]);
    t.deps.mailer.send = send;
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).notices.map((n) => n.ahead)).toEqual([true]);
    t.advance(HOUR);
    expect((await checkChannels(t.deps)).notices).toEqual([]);
    expect(toPeople(t)).toHaveLength(1);
  });

  it('tells a handoff no check saw ahead at the next sweep when its mail failed', async () => {
    // Checks at 06:00, then none until 09:30 (the sweep was down): the 09:00 handoff is told after the fact.
    const t = setup('2026-12-07T06:00:00.000Z');
    await checkChannels(t.deps);
    t.advance(3.5 * HOUR);
    const send = t.deps.mailer.send;
    t.deps.mailer.send = async () => {
      throw new Error('SES is down');
    };
    const failed = await checkChannels(t.deps);
    expect(failed.failed.map((f) => f.item)).toEqual(['channels:handoff:sre']);
    expect(Object.keys(t.channelHealth.record?.pendingHandoffs ?? {})).toEqual(['sre']);
    t.deps.mailer.send = send;
    t.advance(60_000);
    const retried = await checkChannels(t.deps);
    expect(retried).toMatchObject({ checked: false });
    expect(retried.notices.map((n) => [n.at, n.ahead])).toEqual([['2026-12-07T09:00:00.000Z', false]]);
    expect(t.channelHealth.record?.pendingHandoffs).toEqual({});
    expect(toPeople(t)).toHaveLength(1);
  });
});
