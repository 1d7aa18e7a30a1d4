import { describe, expect, it } from 'vitest';
import { parseOrganisation } from '../../../functions/core/config.ts';
import type { Override } from '../../../functions/core/oncall.ts';
import {
  everyAddressOf,
  type PagingDirectory,
  pageSequence,
  parsePageTarget,
  recipientWords,
  resolvePageTargets,
  schedulesNamed,
} from '../../../functions/core/page-targets.ts';
import { organisation as testOrganisation } from '../../support/organisation.ts';

const directory: PagingDirectory = {
  people: {
    ada: { name: 'Ada Lovelace', email: 'ada@example.com' },
    grace: { name: 'Grace Hopper', email: 'grace@example.com' },
    alan: { name: 'Alan Turing', email: 'alan@example.com' },
  },
  schedules: {
    payments: {
      name: 'Payments on call',
      timeZone: 'Europe/London',
      rotation: {
        members: ['ada', 'grace'],
        handoff: { weekday: 1, time: '09:00' },
        shift: 'weekly',
        start: '2026-01-05',
      },
    },
  },
};
const none = () => [];
// Monday 2026-03-30 08:59 London (BST, UTC+1) is still Ada's week? Shifts from 2026-01-05 09:00, weekly: count.
const at = (iso: string) => new Date(iso);

describe('page targets', () => {
  it('reads an address, a person and a schedule; anything else is not a target', () => {
    expect(parsePageTarget('oncall@example.com')).toEqual({ kind: 'address', address: 'oncall@example.com' });
    expect(parsePageTarget('person:ada')).toEqual({ kind: 'person', personId: 'ada' });
    expect(parsePageTarget('schedule:payments')).toEqual({ kind: 'schedule', scheduleId: 'payments' });
    for (const bad of ['', 'ada', 'person:', 'schedule:Payments', 'team:x', 'a@b', 'person:ada ', ' x@y.z'])
      expect(parsePageTarget(bad), bad).toBeUndefined();
    expect(schedulesNamed(['schedule:payments', 'person:ada', 'schedule:payments', 'x@example.com'])).toEqual(
      ['payments'],
    );
  });

  it('pages whoever holds the schedule at the moment, each handoff exact in the zone', () => {
    // 2026-01-05 09:00 London is the first handoff: Ada's week, then Grace's from 2026-01-12 09:00.
    const holder = (iso: string) =>
      resolvePageTargets(directory, ['schedule:payments'], at(iso), none).map((r) => r.personId);
    expect(holder('2026-01-12T08:59:59.999Z')).toEqual(['ada']);
    expect(holder('2026-01-12T09:00:00.000Z')).toEqual(['grace']);
    // Across the spring change (2026-03-29 01:00 UTC): the Monday handoff is at 09:00 BST, 08:00 UTC.
    expect(holder('2026-03-30T07:59:00.000Z')).toEqual(holder('2026-03-29T12:00:00.000Z'));
    expect(holder('2026-03-30T08:00:00.000Z')).not.toEqual(holder('2026-03-29T12:00:00.000Z'));
  });

  it('pages the person an override names while it covers, and the rotation again after it', () => {
    const cover: Override = {
      id: 'o1',
      personId: 'alan',
      start: '2026-01-13T18:00:00.000Z',
      end: '2026-01-14T09:00:00.000Z',
    };
    const overrides = (id: string) => (id === 'payments' ? [cover] : []);
    const who = (iso: string) => resolvePageTargets(directory, ['schedule:payments'], at(iso), overrides);
    expect(who('2026-01-13T17:59:00.000Z')[0]?.personId).toBe('grace');
    expect(who('2026-01-13T18:00:00.000Z')[0]).toEqual({
      address: 'alan@example.com',
      personId: 'alan',
      name: 'Alan Turing',
      scheduleId: 'payments',
      scheduleName: 'Payments on call',
    });
    expect(who('2026-01-14T09:00:00.000Z')[0]?.personId).toBe('grace');
  });

  it('pages each address once, in the order of the entries; names nothing unknown', () => {
    const recipients = resolvePageTargets(
      directory,
      [
        'person:grace',
        'GRACE@example.com',
        'schedule:payments',
        'person:nobody',
        'schedule:none',
        'x@example.com',
      ],
      at('2026-01-13T10:00:00.000Z'),
      none,
    );
    expect(recipients.map((r) => r.address)).toEqual(['grace@example.com', 'x@example.com']);
    expect(recipientWords(recipients[0] ?? { address: '' })).toBe('Grace Hopper <grace@example.com>');
    expect(recipientWords({ address: 'a@example.com', name: 'A', scheduleName: 'Payments on call' })).toBe(
      'A <a@example.com> (on call in Payments on call)',
    );
    expect(everyAddressOf(directory, ['schedule:payments', 'person:alan', 'x@example.com'])).toEqual([
      'ada@example.com',
      'grace@example.com',
      'alan@example.com',
      'x@example.com',
    ]);
  });
});

describe('the configuration of who is paged', () => {
  const withPaging = (change: (o: Record<string, unknown>) => void) => {
    const o = structuredClone({ ...testOrganisation, ...directory }) as unknown as Record<string, unknown>;
    change(o);
    return parseOrganisation(o);
  };
  const checkout = (o: Record<string, unknown>) =>
    (o.services as Record<string, { incidentManagers: { primary: string[]; backup?: string[] } }>).checkout;

  it('takes schedules and people as incident managers and IMOC', () => {
    const org = withPaging((o) => {
      const service = checkout(o);
      if (service) service.incidentManagers = { primary: ['schedule:payments'], backup: ['person:alan'] };
      o.imoc = ['person:ada', 'imoc@example.com'];
    });
    expect(org.services.checkout?.incidentManagers.primary).toEqual(['schedule:payments']);
    expect(org.imoc).toEqual(['person:ada', 'imoc@example.com']);
  });

  it('refuses an unknown schedule or person, and an entry that is none of the three, naming the field', () => {
    expect(() =>
      withPaging((o) => {
        const service = checkout(o);
        if (service) service.incidentManagers = { primary: ['schedule:paymnts'] };
      }),
    ).toThrow(
      /services\.checkout\.incidentManagers\.primary\[0\]: "paymnts" is not one of the schedules \(payments\)/s,
    );
    expect(() => withPaging((o) => (o.imoc = ['person:bob']))).toThrow(
      /imoc\[0\]: "bob" is not one of the people/s,
    );
    expect(() =>
      withPaging((o) => {
        const service = checkout(o);
        if (service) service.incidentManagers = { primary: ['team:payments'] };
      }),
    ).toThrow(/primary\[0\]: must be an email address, person:ID/s);
  });
});

describe('pageSequence', () => {
  it('keeps the numbering pages always had for the first 99 places of the first 100 tiers', () => {
    expect(pageSequence(0, 0, 0)).toBe(1);
    expect(pageSequence(0, 2, 3)).toBe(204);
    expect(pageSequence(3, 99, 98)).toBe(39_999);
  });

  it('gives every round, tier and place its own number: the IMOC paged again hundreds of times, a tier of 150', () => {
    const seen = new Map<number, string>();
    for (let round = 0; round < 4; round++)
      for (let tier = 0; tier < 320; tier++)
        for (const index of [0, 1, 2, 97, 98, 99, 100, 149]) {
          const sequence = pageSequence(round, tier, index);
          const here = `${round}/${tier}/${index}`;
          expect(seen.get(sequence), `${here} and ${seen.get(sequence)} share ${sequence}`).toBeUndefined();
          expect(Number.isSafeInteger(sequence)).toBe(true);
          seen.set(sequence, here);
        }
    // The old numbering's collision: tier 100 of round 0 and tier 0 of round 1.
    expect(pageSequence(0, 100, 0)).not.toBe(pageSequence(1, 0, 0));
    expect(Number.isSafeInteger(pageSequence(89_999, 9_999_999, 9_999))).toBe(true);
  });
});
