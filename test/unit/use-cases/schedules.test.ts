import { describe, expect, it } from 'vitest';
import { ConflictError, NotFoundError, ValidationError } from '../../../functions/core/errors.ts';
import type { Schedule } from '../../../functions/core/oncall.ts';
import {
  derivedOverrideId,
  MAX_OVERRIDE_MS,
  type StoredOverride,
  zonedIso,
} from '../../../functions/core/oncall-overrides.ts';
import type { OverrideStore } from '../../../functions/use-cases/ports.ts';
import {
  addOverride,
  listOverrides,
  onCall,
  removeOverride,
  type ScheduleDeps,
} from '../../../functions/use-cases/schedules.ts';

/** The store's contract in memory: create once, mark removed, list what overlaps a window. */
class MemoryOverrides implements OverrideStore {
  readonly items = new Map<string, StoredOverride>();
  windows: { from: Date; to: Date }[] = [];
  async create(o: StoredOverride) {
    const key = `${o.scheduleId}/${o.id}`;
    if (this.items.has(key)) return false;
    this.items.set(key, { ...o });
    return true;
  }
  async get(scheduleId: string, id: string) {
    return this.items.get(`${scheduleId}/${id}`);
  }
  async touching(scheduleId: string, from: Date, to: Date) {
    this.windows.push({ from, to });
    return [...this.items.values()].filter(
      (o) =>
        o.scheduleId === scheduleId &&
        !o.removedAt &&
        Date.parse(o.end) > from.getTime() &&
        Date.parse(o.start) < to.getTime(),
    );
  }
  async remove(scheduleId: string, id: string, by: string, at: Date) {
    const o = this.items.get(`${scheduleId}/${id}`);
    if (!o || o.removedAt || Date.parse(o.end) <= at.getTime()) return undefined;
    Object.assign(o, { removedAt: at.toISOString(), removedBy: by });
    return { ...o };
  }
}

const london: Schedule = {
  id: 'payments',
  name: 'Payments on call',
  timeZone: 'Europe/London',
  // Weekly, Mondays 09:00 London time, from Monday 2026-01-05: ada, grace, alan, ada...
  rotation: {
    members: ['ada', 'grace', 'alan'],
    handoff: { weekday: 1, time: '09:00' },
    shift: 'weekly',
    start: '2026-01-05',
  },
};
const newYork: Schedule = {
  id: 'nights',
  name: 'Nights',
  timeZone: 'America/New_York',
  rotation: { members: ['grace', 'alan'], handoff: { time: '18:00' }, shift: 'daily', start: '2026-01-01' },
};
const people = {
  ada: { name: 'Ada Lovelace', phone: '+447700900123' },
  grace: { name: 'Grace Hopper' },
  alan: { name: 'Alan Turing' },
};

function setup(now: string) {
  const store = new MemoryOverrides();
  const deps: ScheduleDeps = {
    overrides: store,
    schedules: [london, newYork],
    people,
    now: () => new Date(now),
  };
  return { store, deps };
}

describe('who is on call', () => {
  it('answers the rotation with the person by id and name, the phone redacted, times in ISO and the zone', async () => {
    const { deps } = setup('2026-03-10T12:00:00.000Z');
    const answer = await onCall(deps, 'payments');
    expect(answer.at).toBe('2026-03-10T12:00:00.000Z');
    // 2026-03-09 is the 10th Monday from 2026-01-05: shift 9, ada's (9 % 3 = 0).
    expect(answer.onCall).toEqual({
      person: { id: 'ada', name: 'Ada Lovelace', phone: '+44********23' },
      start: '2026-03-09T09:00:00.000Z',
      end: '2026-03-16T09:00:00.000Z',
      local: { start: '2026-03-09T09:00+00:00', end: '2026-03-16T09:00+00:00', timeZone: 'Europe/London' },
      source: 'rotation',
    });
    expect(JSON.stringify(answer)).not.toContain('7700900123');
    // The next handoffs: grace, alan, then ada; the one after the clocks change is at 09:00 BST (08:00Z).
    expect(answer.next.map((s) => [s.person.id, s.start, s.local.start])).toEqual([
      ['grace', '2026-03-16T09:00:00.000Z', '2026-03-16T09:00+00:00'],
      ['alan', '2026-03-23T09:00:00.000Z', '2026-03-23T09:00+00:00'],
      ['ada', '2026-03-30T08:00:00.000Z', '2026-03-30T09:00+01:00'],
    ]);
  });

  it('an unknown schedule is not found', async () => {
    const { deps } = setup('2026-03-10T12:00:00.000Z');
    await expect(onCall(deps, 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(listOverrides(deps, 'nope')).rejects.toBeInstanceOf(NotFoundError);
    await expect(removeOverride(deps, 'nope', 'o-1', 'op')).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('an override across a daylight-saving change', () => {
  // Europe/London springs forward on 2026-03-29 at 01:00 GMT (to 02:00 BST).
  it('given as wall times, covers Saturday 18:00 GMT to Sunday 09:00 BST: 14 hours, and oncall answers it', async () => {
    const { deps } = setup('2026-03-20T12:00:00.000Z');
    const { created, override } = await addOverride(
      deps,
      'payments',
      {
        personId: 'grace',
        from: { date: '2026-03-28', time: '18:00' },
        to: { date: '2026-03-29', time: '09:00' },
      },
      'op@example.com',
    );
    expect(created).toBe(true);
    expect(override).toMatchObject({
      start: '2026-03-28T18:00:00.000Z',
      end: '2026-03-29T08:00:00.000Z',
      local: { start: '2026-03-28T18:00+00:00', end: '2026-03-29T09:00+01:00' },
      person: { id: 'grace', name: 'Grace Hopper' },
      createdBy: 'op@example.com',
    });
    expect(Date.parse(override.end) - Date.parse(override.start)).toBe(14 * 3_600_000);

    // alan holds the week of 2026-03-23 by the rotation; grace holds the night by the override.
    const during = await onCall(deps, 'payments', new Date('2026-03-29T07:59:00.000Z'));
    expect(during.onCall).toMatchObject({
      person: { id: 'grace' },
      source: 'override',
      overrideId: override.id,
      start: '2026-03-28T18:00:00.000Z',
      end: '2026-03-29T08:00:00.000Z',
    });
    expect(during.next[0]).toMatchObject({
      person: { id: 'alan' },
      source: 'rotation',
      start: '2026-03-29T08:00:00.000Z',
      local: { start: '2026-03-29T09:00+01:00' },
    });
    const after = await onCall(deps, 'payments', new Date('2026-03-29T08:00:00.000Z'));
    expect(after.onCall).toMatchObject({ person: { id: 'alan' }, source: 'rotation' });
    // The current piece starts where the override ended, though the override ended before `at`.
    expect(after.onCall.start).toBe('2026-03-29T08:00:00.000Z');
    const before = await onCall(deps, 'payments', new Date('2026-03-28T17:59:00.000Z'));
    expect(before.onCall.person.id).toBe('alan');
    expect(before.next[0]).toMatchObject({ person: { id: 'grace' }, source: 'override' });
  });

  it('a wall time the clocks skip moves forward by the gap; a repeated one is its first occurrence', async () => {
    const { deps } = setup('2026-03-20T12:00:00.000Z');
    const skipped = await addOverride(
      deps,
      'payments',
      {
        personId: 'ada',
        from: { date: '2026-03-29', time: '01:30' },
        to: { date: '2026-03-29', time: '06:00' },
      },
      'op',
    );
    // 01:30 does not exist in London that night: it is read as 02:30 BST, 01:30Z.
    expect(skipped.override.start).toBe('2026-03-29T01:30:00.000Z');
    expect(skipped.override.local.start).toBe('2026-03-29T02:30+01:00');

    const fall = setup('2026-10-20T12:00:00.000Z');
    // New York falls back on 2026-11-01 at 02:00 EDT: 01:30 happens twice; the first is 05:30Z.
    const repeated = await addOverride(
      fall.deps,
      'nights',
      {
        personId: 'alan',
        from: { date: '2026-11-01', time: '01:30' },
        to: { date: '2026-11-01', time: '08:00' },
      },
      'op',
    );
    expect(repeated.override.start).toBe('2026-11-01T05:30:00.000Z');
    expect(repeated.override.end).toBe('2026-11-01T13:00:00.000Z');
    expect(repeated.override.local).toMatchObject({
      start: '2026-11-01T01:30-04:00',
      end: '2026-11-01T08:00-05:00',
    });
  });
});

describe('adding overrides', () => {
  const cover = { personId: 'alan', start: '2026-03-11T18:00:00.000Z', end: '2026-03-12T09:00:00+01:00' };

  it('a retried POST (no id) adds nothing the second time; the derived id is stable', async () => {
    const { deps, store } = setup('2026-03-10T12:00:00.000Z');
    const first = await addOverride(deps, 'payments', cover, 'op');
    const again = await addOverride(deps, 'payments', { ...cover, end: '2026-03-12T08:00:00Z' }, 'op');
    expect(first.created).toBe(true);
    expect(again).toEqual({ created: false, override: first.override });
    expect(store.items.size).toBe(1);
    expect(first.override.id).toBe(
      derivedOverrideId('payments', {
        personId: 'alan',
        start: cover.start,
        end: '2026-03-12T08:00:00.000Z',
      }),
    );
    expect(first.override.id).toMatch(/^o-[0-9a-f]{20}$/);
  });

  it("a client's id is its idempotency key: the same override again is fine, another is a conflict", async () => {
    const { deps } = setup('2026-03-10T12:00:00.000Z');
    await addOverride(deps, 'payments', { ...cover, id: 'cover-1' }, 'op');
    await expect(addOverride(deps, 'payments', { ...cover, id: 'cover-1' }, 'op')).resolves.toMatchObject({
      created: false,
    });
    await expect(
      addOverride(deps, 'payments', { ...cover, id: 'cover-1', personId: 'ada' }, 'op'),
    ).rejects.toBeInstanceOf(ConflictError);
  });

  it('refuses, naming the field: someone not configured, an end not after the start, too long, too far ahead, over', async () => {
    const { deps } = setup('2026-03-10T12:00:00.000Z');
    const refused = async (request: Parameters<typeof addOverride>[2]) => {
      const error = await addOverride(deps, 'payments', request, 'op').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ValidationError);
      return (error as Error).message;
    };
    expect(await refused({ ...cover, personId: 'mallory' })).toMatch(
      /^personId: "mallory" is not one of the people/,
    );
    expect(await refused({ ...cover, end: cover.start })).toMatch(/^end: must be after start/);
    expect(await refused({ ...cover, end: '2026-04-12T09:00:00Z' })).toMatch(
      /^end: an override covers at most 31 days/,
    );
    expect(await refused({ ...cover, start: '2026-06-09T12:00:01Z', end: '2026-06-10T12:00:00Z' })).toMatch(
      /^start: an override starts at most 90 days ahead/,
    );
    expect(await refused({ ...cover, start: '2026-03-01T00:00:00Z', end: '2026-03-02T00:00:00Z' })).toMatch(
      /^end: the override would be over already/,
    );
    // Wall times are named by their own fields, and a date the calendar lacks is refused.
    expect(
      await refused({
        personId: 'ada',
        from: { date: '2026-03-12', time: '09:00' },
        to: { date: '2026-03-12', time: '08:00' },
      }),
    ).toMatch(/^to: must be after start/);
    expect(
      await refused({
        personId: 'ada',
        from: { date: '2026-02-30', time: '09:00' },
        to: { date: '2026-03-12', time: '08:00' },
      }),
    ).toMatch(/^from\.date: not a date/);
  });
});

describe('listing and removing', () => {
  it('lists the current and upcoming overrides by start, reading one window that the length cap bounds', async () => {
    const { deps, store } = setup('2026-03-10T12:00:00.000Z');
    const b = await addOverride(
      deps,
      'payments',
      { personId: 'ada', start: '2026-03-20T09:00:00Z', end: '2026-03-21T09:00:00Z' },
      'op',
    );
    const a = await addOverride(
      deps,
      'payments',
      { personId: 'alan', start: '2026-03-10T09:00:00Z', end: '2026-03-11T09:00:00Z' },
      'op',
    );
    store.windows = [];
    const listed = await listOverrides(deps, 'payments');
    expect(listed.map((o) => o.id)).toEqual([a.override.id, b.override.id]);
    expect(store.windows).toHaveLength(1);
    expect(MAX_OVERRIDE_MS).toBe(31 * 86_400_000);
    await expect(
      listOverrides(deps, 'payments', {
        from: new Date('2026-01-01T00:00:00Z'),
        to: new Date('2027-06-01T00:00:00Z'),
      }),
    ).rejects.toThrow(/at most 400 days/);
  });

  it('removes one not ended (kept, marked), answers 404 for a missing or removed one and 409 for an ended one', async () => {
    const { deps, store } = setup('2026-03-10T12:00:00.000Z');
    const { override } = await addOverride(
      deps,
      'payments',
      { personId: 'alan', start: '2026-03-10T09:00:00Z', end: '2026-03-11T09:00:00Z' },
      'op',
    );
    const removed = await removeOverride(deps, 'payments', override.id, 'op2');
    expect(removed).toMatchObject({
      id: override.id,
      removedBy: 'op2',
      removedAt: '2026-03-10T12:00:00.000Z',
    });
    expect(store.items.get(`payments/${override.id}`)?.removedAt).toBeDefined();
    await expect(removeOverride(deps, 'payments', override.id, 'op')).rejects.toThrow(/was removed at/);
    await expect(removeOverride(deps, 'payments', 'o-missing', 'op')).rejects.toBeInstanceOf(NotFoundError);
    // A removed override's id cannot be taken again: the record says it was removed.
    await expect(
      addOverride(
        deps,
        'payments',
        { personId: 'alan', start: '2026-03-10T09:00:00Z', end: '2026-03-11T09:00:00Z' },
        'op',
      ),
    ).rejects.toBeInstanceOf(ConflictError);

    const ended = await addOverride(
      deps,
      'payments',
      { personId: 'ada', start: '2026-03-10T09:00:00Z', end: '2026-03-10T13:00:00Z' },
      'op',
    );
    const later = { ...deps, now: () => new Date('2026-03-10T14:00:00.000Z') };
    await expect(removeOverride(later, 'payments', ended.override.id, 'op')).rejects.toBeInstanceOf(
      ConflictError,
    );
  });

  it('the later override wins where two overlap', async () => {
    const { deps } = setup('2026-03-10T12:00:00.000Z');
    await addOverride(
      deps,
      'payments',
      { personId: 'alan', start: '2026-03-10T09:00:00Z', end: '2026-03-12T09:00:00Z' },
      'op',
    );
    const later = { ...deps, now: () => new Date('2026-03-10T12:00:01.000Z') };
    await addOverride(
      later,
      'payments',
      { personId: 'grace', start: '2026-03-11T09:00:00Z', end: '2026-03-11T18:00:00Z' },
      'op',
    );
    const at = await onCall(deps, 'payments', new Date('2026-03-11T10:00:00Z'));
    expect(at.onCall.person.id).toBe('grace');
  });
});

describe('zonedIso', () => {
  it('writes the clock of the zone with its offset, half-hour zones included', () => {
    expect(zonedIso(new Date('2026-06-01T12:00:00Z'), 'Asia/Kolkata')).toBe('2026-06-01T17:30+05:30');
    expect(zonedIso(new Date('2026-06-01T02:00:00Z'), 'America/New_York')).toBe('2026-05-31T22:00-04:00');
  });
});
