import { describe, expect, it } from 'vitest';
import { type Override, onCallAt, type Schedule } from '../../../functions/core/oncall.ts';
import {
  type HandoffNotice,
  handoffsAhead,
  lastHandoffBetween,
  lookAheadMs,
} from '../../../functions/core/oncall-handoffs.ts';

const HOUR = 3_600_000;
const LOOK_AHEAD = lookAheadMs(HOUR);

/** Daily handoffs at 01:30 London time: inside the hour the clocks skip in March and repeat in October. */
const london: Schedule = {
  id: 'night',
  name: 'Night desk',
  timeZone: 'Europe/London',
  rotation: { members: ['ada', 'grace'], handoff: { time: '01:30' }, shift: 'daily', start: '2026-01-05' },
};

/** Checks at the given instants, each telling what it sees ahead once (the claim): the notices sent, in order. */
function checksAt(schedule: Schedule, overrides: readonly Override[], instants: string[]): HandoffNotice[] {
  const claimed = new Set<string>();
  const sent: HandoffNotice[] = [];
  for (const at of instants) {
    for (const notice of handoffsAhead(schedule, overrides, new Date(at), LOOK_AHEAD, 28)) {
      const key = `${notice.scheduleId}|${notice.at}|${notice.personId}`;
      if (claimed.has(key)) continue;
      claimed.add(key);
      sent.push(notice);
    }
  }
  return sent;
}

/** Hourly from `start`, `count` times, each `late` minutes late by the given pattern. */
const hourly = (start: string, count: number, lateMinutes: (i: number) => number = () => 0) =>
  Array.from({ length: count }, (_, i) =>
    new Date(Date.parse(start) + i * HOUR + lateMinutes(i) * 60_000).toISOString(),
  );

describe('handoffs ahead of the hourly check', () => {
  it('looks two intervals ahead: a handoff is seen by the checks 60 to 120 minutes before it, not after', () => {
    const seen = (at: string) => handoffsAhead(london, [], new Date(at), LOOK_AHEAD, 28).map((n) => n.at);
    expect(seen('2026-12-07T23:29:00.000Z')).toEqual([]);
    expect(seen('2026-12-07T23:30:00.000Z')).toEqual(['2026-12-08T01:30:00.000Z']);
    expect(seen('2026-12-08T00:30:00.000Z')).toEqual(['2026-12-08T01:30:00.000Z']);
    expect(seen('2026-12-08T01:30:00.000Z')).toEqual([]);
    expect(lookAheadMs(3_600)).toBe(7_200);
  });

  it('tells a handoff once, with when the shift ends, however the checks fall (one late by 50 minutes)', () => {
    const onTime = checksAt(london, [], hourly('2026-12-07T18:10:00.000Z', 12));
    expect(onTime).toEqual([
      {
        scheduleId: 'night',
        personId: expect.any(String),
        at: '2026-12-08T01:30:00.000Z',
        until: '2026-12-09T01:30:00.000Z',
      },
    ]);
    // The check due at 23:50 runs at 00:40: the one after (00:50) still sees 01:30 first.
    const late = checksAt(
      london,
      [],
      hourly('2026-12-07T18:50:00.000Z', 12, (i) => (i === 5 ? 50 : 0)),
    );
    expect(late.map((n) => n.at)).toEqual(['2026-12-08T01:30:00.000Z']);
  });

  it('tells the handoff in the hour the clocks skip once, at the instant it happens (02:30 BST), and its 23-hour shift', () => {
    // 29 March 2026: 01:00 GMT becomes 02:00 BST, so 01:30 does not exist that day and moves on by the change.
    const sent = checksAt(london, [], hourly('2026-03-28T18:05:00.000Z', 14));
    expect(sent.map(({ at, until }) => ({ at, until }))).toEqual([
      { at: '2026-03-29T01:30:00.000Z', until: '2026-03-30T00:30:00.000Z' },
    ]);
  });

  it('tells the handoff in the hour the clocks repeat once, at its first occurrence (01:30 BST)', () => {
    // 25 October 2026: 02:00 BST becomes 01:00 GMT, so 01:30 happens twice; the handoff is the first.
    const sent = checksAt(london, [], hourly('2026-10-24T18:05:00.000Z', 14));
    expect(sent.map(({ at, until }) => ({ at, until }))).toEqual([
      { at: '2026-10-25T00:30:00.000Z', until: '2026-10-26T01:30:00.000Z' },
    ]);
  });

  it('sees the handoffs an override makes, and no handoff to the person already on call', () => {
    const holder = handoffsAhead(london, [], new Date('2026-12-08T02:00:00.000Z'), 30 * HOUR, 28)[0]
      ?.personId;
    const other = holder === 'ada' ? 'grace' : 'ada';
    const cover: Override = {
      id: 'o1',
      personId: holder ?? '',
      start: '2026-12-08T10:00:00.000Z',
      end: '2026-12-08T11:00:00.000Z',
    };
    // From 09:30 UTC, `other` is on call; the override gives an hour to `holder` and hands back.
    const ahead = handoffsAhead(london, [cover], new Date('2026-12-08T09:30:00.000Z'), 2 * HOUR, 28);
    expect(ahead).toEqual([
      {
        scheduleId: 'night',
        personId: holder,
        at: '2026-12-08T10:00:00.000Z',
        until: '2026-12-08T11:00:00.000Z',
      },
      {
        scheduleId: 'night',
        personId: other,
        at: '2026-12-08T11:00:00.000Z',
        until: '2026-12-09T01:30:00.000Z',
      },
    ]);
    // An override by whoever is on call anyway hands nothing over.
    const same: Override = { ...cover, personId: other };
    expect(handoffsAhead(london, [same], new Date('2026-12-08T09:30:00.000Z'), 2 * HOUR, 28)).toEqual([]);
  });
});

describe('the last handoff since the previous check (told after the fact)', () => {
  it('finds who took over and when, or nothing when the same person is on call', () => {
    const found = lastHandoffBetween(
      london,
      [],
      new Date('2026-12-08T00:45:00.000Z'),
      new Date('2026-12-08T01:45:00.000Z'),
      28,
    );
    expect(found).toMatchObject({ at: '2026-12-08T01:30:00.000Z', until: '2026-12-09T01:30:00.000Z' });
    expect(
      lastHandoffBetween(
        london,
        [],
        new Date('2026-12-08T01:45:00.000Z'),
        new Date('2026-12-08T02:45:00.000Z'),
        28,
      ),
    ).toBeUndefined();
    // The same instant a check ahead claimed: a check after the fact finds it taken.
    const ahead = handoffsAhead(london, [], new Date('2026-12-08T00:00:00.000Z'), LOOK_AHEAD, 28);
    expect(ahead).toEqual([found]);
  });

  it('names the last of several handoffs (a short override inside the span)', () => {
    const holder = onCallAt(london, [], new Date('2026-12-08T09:00:00.000Z'));
    const cover: Override = {
      id: 'o1',
      personId: holder === 'ada' ? 'grace' : 'ada',
      start: '2026-12-08T10:00:00.000Z',
      end: '2026-12-08T10:20:00.000Z',
    };
    const span = [new Date('2026-12-08T09:00:00.000Z'), new Date('2026-12-08T10:30:00.000Z')] as const;
    expect(lastHandoffBetween(london, [cover], ...span, 28)).toEqual({
      scheduleId: 'night',
      personId: holder,
      at: '2026-12-08T10:20:00.000Z',
      until: '2026-12-09T01:30:00.000Z',
    });
    expect(lastHandoffBetween(london, [], ...span, 28)).toBeUndefined();
  });
});
