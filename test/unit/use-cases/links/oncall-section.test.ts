import { describe, expect, it } from 'vitest';
import type { StoredOverride } from '../../../../functions/core/oncall-overrides.ts';
import type { LinkDeps } from '../../../../functions/use-cases/links/kind.ts';
import { onCallSectionOf } from '../../../../functions/use-cases/links/oncall-section.ts';
import type { OverrideStore } from '../../../../functions/use-cases/ports.ts';

/** The incident pages' "On call" section over a fake override store: what it reads, and when it shows nothing. */

const organisation = {
  imoc: ['imoc@example.com'],
  defaultService: 'unknown',
  services: {
    checkout: {
      name: 'Checkout',
      incidentManagers: { primary: ['payments-oncall@example.com'], backup: [] },
    },
    unknown: { name: 'Unassigned', incidentManagers: { primary: ['schedule:sre'], backup: ['person:ada'] } },
  },
  people: {
    ada: { name: 'Ada Lovelace', email: 'ada@example.com' },
    grace: { name: 'Grace Hopper', email: 'grace@example.com' },
  },
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
} as unknown as LinkDeps['organisation'];
const NOW = new Date('2026-12-08T12:00:00.000Z');

function store(overrides: StoredOverride[], fail = false) {
  const reads: { scheduleId: string; from: string; to: string }[] = [];
  const overridesStore: OverrideStore = {
    create: async () => true,
    get: async () => undefined,
    touching: async (scheduleId, from, to) => {
      reads.push({ scheduleId, from: from.toISOString(), to: to.toISOString() });
      if (fail) throw new Error('DynamoDB is down');
      return overrides;
    },
    remove: async () => undefined,
  };
  return { overrides: overridesStore, reads };
}
const deps = (overrides?: OverrideStore) => ({
  organisation,
  now: () => NOW,
  ...(overrides ? { overrides } : {}),
});

describe('the on-call section of an incident page', () => {
  it("reads each schedule's overrides once, from now over the on-call horizon, the latest added winning", async () => {
    const older: StoredOverride = {
      id: 'o1',
      scheduleId: 'sre',
      personId: 'grace',
      start: '2026-12-08T10:00:00.000Z',
      end: '2026-12-08T14:00:00.000Z',
      createdAt: '2026-12-01T00:00:00.000Z',
      createdBy: 'ops',
    };
    const newer: StoredOverride = {
      ...older,
      id: 'o2',
      personId: 'ada',
      createdAt: '2026-12-02T00:00:00.000Z',
    };
    const s = store([newer, older]);
    const section = await onCallSectionOf(deps(s.overrides), 'unknown');
    if (!Array.isArray(section)) throw new Error(`expected tiers, got ${String(section)}`);
    expect(s.reads).toEqual([{ scheduleId: 'sre', from: NOW.toISOString(), to: '2027-01-05T12:00:00.000Z' }]);
    expect(section.map((t) => t.label)).toEqual([
      'Primary incident manager',
      'Backup incident manager',
      'IMOC',
    ]);
    expect(section[0]?.entries[0]).toMatchObject({
      kind: 'schedule',
      // Grace holds the rotation's shift of the day; Ada's cover, added last, wins over Grace's.
      now: { name: 'Ada Lovelace', until: 'Tue 8 Dec, 14:00 UTC' },
      next: { name: 'Grace Hopper', from: 'Tue 8 Dec, 14:00 UTC' },
    });
    expect(section[1]?.entries).toEqual([{ kind: 'person', name: 'Ada Lovelace' }]);
  });

  it('shows nothing for a service that names no schedule, reading nothing', async () => {
    const s = store([]);
    expect(await onCallSectionOf(deps(s.overrides), 'checkout')).toBeUndefined();
    expect(s.reads).toEqual([]);
  });

  it('says who is on call could not be read when the overrides fail, and shows nothing without a store', async () => {
    expect(await onCallSectionOf(deps(store([], true).overrides), 'unknown')).toBe('unavailable');
    expect(await onCallSectionOf(deps(), 'unknown')).toBeUndefined();
  });
});
