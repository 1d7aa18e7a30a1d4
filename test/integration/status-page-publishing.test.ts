import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import { finalExternalWording, initialExternalWording } from '../../functions/core/comms.ts';
import type { Incident } from '../../functions/core/incident.ts';
import { publicStatusId } from '../../functions/core/status-page.ts';
import type { Stores } from '../../functions/use-cases/ports.ts';
import { type CommsOutbox, type CommsPair, sendCommsPair } from '../../functions/use-cases/send-once.ts';
import { testSigningKeys } from '../support/fakes.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisation } from '../support/organisation.ts';

/** Every comms round with an external wording publishes it to the status page (sendCommsPair, on dynalite). */

let db: LocalDb;
let stores: Stores;
const sent: { to: readonly string[]; subject: string }[] = [];

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
});

afterAll(async () => {
  await db?.stop();
});

const keys = testSigningKeys();
const outbox = (): CommsOutbox => ({
  ...stores,
  mailer: {
    send: async (to, message) => {
      sent.push({ to, subject: message.subject });
      return { messageId: ulid() };
    },
  },
  signingKeys: async () => keys,
  baseUrl: 'https://incidents.example.com',
  now: () => new Date(),
});

const statusUrl = 'https://incidents.example.com/status';
const checkout = organisation.services.checkout;
const unassigned = organisation.services.unknown;
if (!checkout || !unassigned) throw new Error('the test organisation lost a service');

function incident(changes: Partial<Incident> = {}): Incident {
  const at = new Date().toISOString();
  return {
    id: ulid(),
    key: 'HOT-77',
    number: 77,
    status: 'fixing',
    severity: 2,
    service: 'checkout',
    summary: 'Internal summary',
    products: [],
    source: 'manual',
    impactStartedAt: at,
    detectedAt: at,
    openedAt: at,
    executionName: 'HOT-77',
    updatedAt: at,
    ...changes,
  };
}

const round = (i: Incident, changes: Partial<CommsPair> & Pick<CommsPair, 'kind'>): CommsPair => {
  const wording = initialExternalWording('Checkout', statusUrl);
  return {
    incident: i,
    service: checkout,
    leadership: [],
    sequence: 1,
    internal: { subject: `${i.key} internal`, text: 'internal', html: '<p>internal</p>' },
    internalText: 'Internal comms sent.',
    external: { wording },
    timelineKind: 'comms.sent',
    now: () => new Date(),
    ...changes,
  };
};

const entryOf = async (i: Incident) =>
  (await stores.statusPage.current(new Date())).find((e) => e.publicId === publicStatusId(i.id));

describe('publishing comms rounds to the status page', () => {
  it('publishes the initial wording without the link to the page itself, once however often the round runs', async () => {
    const i = incident({ products: ['Checkout', 'Payments'] });

    await sendCommsPair(outbox(), round(i, { kind: 'initial' }));
    await sendCommsPair(outbox(), round(i, { kind: 'initial' }));

    const entry = await entryOf(i);
    expect(entry?.products).toEqual(['Checkout', 'Payments']);
    expect(entry?.updates).toEqual([
      { id: 'initial-1', at: expect.any(String), text: 'We are investigating issues with Checkout.' },
    ]);
    expect(entry?.resolvedAt).toBeUndefined();
  });

  it('publishes even when the service has no external list (the status page is the public channel)', async () => {
    const i = incident({ service: 'unknown' });
    expect(unassigned.comms.external).toEqual([]);
    const before = sent.length;

    await sendCommsPair(outbox(), round(i, { kind: 'initial', service: unassigned }));

    // Only the internal mail went out; the public wording still reached the status page, under the service name.
    expect(sent.slice(before).map((m) => m.to)).toEqual([unassigned.comms.internal]);
    expect((await entryOf(i))?.products).toEqual([unassigned.name]);
    expect((await entryOf(i))?.updates).toHaveLength(1);
  });

  it('publishes nothing for a service kept off the status page (statusPage: false, as monitoring)', async () => {
    const i = incident({ service: 'unknown' });
    const internal = { ...unassigned, statusPage: false };
    const before = sent.length;

    await sendCommsPair(outbox(), round(i, { kind: 'initial', service: internal }));

    expect(sent.slice(before).map((m) => m.to)).toEqual([unassigned.comms.internal]);
    expect(await entryOf(i)).toBeUndefined();
  });

  it('publishes nothing for a round without external wording', async () => {
    const i = incident();
    const { external: _, ...internalOnly } = round(i, { kind: 'update', sequence: 2 });

    await sendCommsPair(outbox(), internalOnly);

    expect(await entryOf(i)).toBeUndefined();
  });

  it('marks the entry resolved with the final round, at the incident resolution time', async () => {
    const i = incident();
    await sendCommsPair(outbox(), round(i, { kind: 'initial' }));
    const person = 'We rolled back the release; payments recover.';
    await sendCommsPair(
      outbox(),
      round(i, {
        kind: 'update',
        sequence: 1,
        external: { wording: person },
      }),
    );
    const resolvedAt = new Date().toISOString();
    const restored = finalExternalWording('Checkout', statusUrl);
    await sendCommsPair(
      outbox(),
      round({ ...i, status: 'resolved', resolvedAt }, { kind: 'final', external: { wording: restored } }),
    );

    const entry = await entryOf(i);
    expect(entry?.resolvedAt).toBe(resolvedAt);
    expect(entry?.updates.map((u) => [u.id, u.text])).toEqual([
      ['initial-1', 'We are investigating issues with Checkout.'],
      ['update-1', person],
      ['final-1', finalExternalWording('Checkout')],
    ]);
  });
});
