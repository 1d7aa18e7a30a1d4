import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import { Table } from '../../functions/adapters/table.ts';
import type { EmailMessage } from '../../functions/core/comms.ts';
import { RetryableError } from '../../functions/core/errors.ts';
import { keys } from '../../functions/core/keys.ts';
import type { Mailer, Stores } from '../../functions/use-cases/ports.ts';
import { SEND_LEASE_MS, sendOnce } from '../../functions/use-cases/send-once.ts';
import { testSigningKeys } from '../support/fakes.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';

/**
 * The one leased claim of the table layer (adapters/table.ts), against dynalite with the stack's table: what
 * each outcome means, that each step is one conditional write, and that the items 0.1.0 wrote keep their meaning.
 */

let db: LocalDb;
let table: Table;
let stores: Stores;
let n = 0;
const key = () => ({ pk: `TEST#${++n}`, sk: 'CLAIM' });
const T0 = new Date('2026-11-30T08:00:00.000Z');
const at = (ms: number) => new Date(T0.getTime() + ms);

beforeAll(async () => {
  db = await startLocalDb();
  table = new Table(db.client, db.table);
  stores = dynamoStores(db.client, db.table);
});
afterAll(async () => db?.stop());

describe('Table.claim', () => {
  it('claims once: a second owner is held out during the lease, and takes over after it', async () => {
    const k = key();
    const terms = { now: T0, leaseMs: 60_000, attributes: { type: 'test', what: 'first' } };
    expect(await table.claim(k, { ...terms, owner: 'a' })).toEqual({ outcome: 'claimed' });
    const held = await table.claim(k, { ...terms, owner: 'b', now: at(59_999) });
    expect(held).toMatchObject({ outcome: 'held', item: { claimOwner: 'a', what: 'first' } });
    const taken = await table.claim(k, {
      ...terms,
      owner: 'c',
      now: at(60_000),
      attributes: { what: 'second' },
    });
    expect(taken).toMatchObject({ outcome: 'taken-over', previous: { claimOwner: 'a', what: 'first' } });
    // The owner that died can no longer complete or release it; the new owner can.
    expect(await table.completeClaim(k, { owner: 'a', attributes: { completedAt: 'x' } })).toBe(false);
    expect(await table.releaseClaim(k, { owner: 'a', forget: true })).toBe(false);
    expect(
      await table.completeClaim(k, { owner: 'c', attributes: { completedAt: at(61_000).toISOString() } }),
    ).toBe(true);
    // Done is done: no lease, however old, lets anyone in again, and the holder cannot complete it twice.
    const done = await table.claim(k, { ...terms, owner: 'd', now: at(86_400_000) });
    expect(done).toMatchObject({ outcome: 'done', item: { what: 'second', claimOwner: 'c' } });
    expect(await table.completeClaim(k, { owner: 'c', attributes: { completedAt: 'y' } })).toBe(false);
    // The claim's plumbing stays out of the entity.
    expect(await table.get(k)).toEqual({ what: 'second', completedAt: at(61_000).toISOString() });
  });

  it('lets exactly one of many concurrent owners in', async () => {
    const k = key();
    const outcomes = await Promise.all(
      Array.from({ length: 12 }, (_, i) => table.claim(k, { owner: `o${i}`, now: T0, leaseMs: 60_000 })),
    );
    expect(outcomes.filter((o) => o.outcome === 'claimed')).toHaveLength(1);
    expect(outcomes.filter((o) => o.outcome === 'held')).toHaveLength(11);
  });

  it('gives a claim back: forgotten (deleted) or its lease ended in place; only by its owner', async () => {
    const forgotten = key();
    await table.claim(forgotten, { owner: 'a', now: T0, leaseMs: 60_000 });
    expect(await table.releaseClaim(forgotten, { owner: 'b', forget: true })).toBe(false);
    expect(await table.releaseClaim(forgotten, { owner: 'a', forget: true })).toBe(true);
    expect(await table.getItem(forgotten)).toBeUndefined();
    expect(await table.claim(forgotten, { owner: 'b', now: T0, leaseMs: 60_000 })).toEqual({
      outcome: 'claimed',
    });

    const ended = key();
    await table.claim(ended, { owner: 'a', now: T0, leaseMs: 60_000, attributes: { kept: true } });
    expect(await table.releaseClaim(ended, { owner: 'a' })).toBe(true);
    expect(await table.get(ended)).toEqual({ kept: true });
    // Within what was the lease, the next attempt takes it over at once.
    expect(await table.claim(ended, { owner: 'b', now: at(1), leaseMs: 60_000 })).toMatchObject({
      outcome: 'taken-over',
    });
  });

  it('is one conditional write per step (a read only when a claim did not hold)', async () => {
    const k = key();
    const calls: string[] = [];
    const original = db.client.send.bind(db.client);
    const spy = Object.assign(Object.create(db.client), {
      send: (command: { constructor: { name: string } }) => {
        calls.push(command.constructor.name);
        return original(command as never);
      },
    });
    const counted = new Table(spy, db.table);
    await counted.claim(k, { owner: 'a', now: T0, leaseMs: 60_000 });
    await counted.completeClaim(k, { owner: 'a', attributes: { completedAt: 'now' } });
    expect(calls).toEqual(['UpdateCommand', 'UpdateCommand']);
    calls.length = 0;
    await counted.claim(k, { owner: 'b', now: T0, leaseMs: 60_000 });
    expect(calls).toEqual(['UpdateCommand', 'GetCommand']);
  });
});

describe('the claim under the callers, with items 0.1.0 wrote', () => {
  const message: EmailMessage = { subject: 'Update', text: 'text', html: '<p>html</p>' };
  const sent: string[] = [];
  const mailer: Mailer = {
    async send(to) {
      sent.push(to.join(','));
      return { messageId: `m-${sent.length}` };
    },
  };
  const outbox = () => ({
    comms: stores.comms,
    incidents: stores.incidents,
    mailer,
    baseUrl: 'https://incidents.example.com',
    signingKeys: async () => testSigningKeys(),
    now: () => new Date(),
  });
  const request = (incidentId: string, now: () => Date) => ({
    incidentId,
    incidentKey: 'HOT-1',
    kind: 'update',
    sequence: 1,
    recipients: ['list@example.com'],
    message,
    timelineKind: 'comms.sent' as const,
    timelineText: 'Update sent',
    now,
  });

  it('sendOnce: a 0.1.0 "sent" record is never sent again; a "sending" one (no lease) is sent again', async () => {
    const base = { kind: 'update', sequence: 1, recipients: ['list@example.com'], subject: 'Update' };
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: {
          ...keys.comms('i-sent', 'update', 1),
          type: 'comms',
          ...base,
          incidentId: 'i-sent',
          status: 'sent',
          startedAt: T0.toISOString(),
          sentAt: T0.toISOString(),
          messageId: 'old-1',
        },
      }),
    );
    await db.client.send(
      new PutCommand({
        TableName: db.table,
        Item: {
          ...keys.comms('i-sending', 'update', 1),
          type: 'comms',
          ...base,
          incidentId: 'i-sending',
          status: 'sending',
          startedAt: T0.toISOString(),
        },
      }),
    );
    const before = sent.length;
    expect(
      await sendOnce(
        outbox(),
        request('i-sent', () => at(1000)),
      ),
    ).toEqual({
      messageId: 'old-1',
      sentAt: T0.toISOString(),
      alreadySent: true,
    });
    expect(sent.length).toBe(before);
    const again = await sendOnce(
      outbox(),
      request('i-sending', () => at(1000)),
    );
    expect(again.alreadySent).toBe(false);
    expect(sent.length).toBe(before + 1);
  });

  it('sendOnce: a send held by a live attempt is a RetryableError; after the lease it is sent, once', async () => {
    // An attempt claimed the send and died before recording it (a Lambda timeout between claim and SES).
    const now = new Date();
    const claim = await stores.comms.claim(
      {
        incidentId: 'i-dead',
        kind: 'update',
        sequence: 1,
        status: 'sending',
        recipients: ['list@example.com'],
        subject: 'Update',
        startedAt: now.toISOString(),
      },
      { owner: 'dead-attempt', now, leaseMs: SEND_LEASE_MS },
    );
    expect(claim).toEqual({ state: 'claimed' });
    const before = sent.length;
    await expect(
      sendOnce(
        outbox(),
        request('i-dead', () => new Date()),
      ),
    ).rejects.toThrowError(RetryableError);
    expect(sent.length).toBe(before);
    const later = () => new Date(now.getTime() + SEND_LEASE_MS + 1);
    expect(await sendOnce(outbox(), request('i-dead', later))).toMatchObject({ alreadySent: false });
    expect(await sendOnce(outbox(), request('i-dead', later))).toMatchObject({ alreadySent: true });
    expect(sent.length).toBe(before + 1);
  });

  it('sendOnce: two concurrent attempts mail once (the other is told to retry)', async () => {
    const before = sent.length;
    const results = await Promise.allSettled([
      sendOnce(
        outbox(),
        request('i-race', () => new Date()),
      ),
      sendOnce(
        outbox(),
        request('i-race', () => new Date()),
      ),
    ]);
    expect(sent.length).toBe(before + 1);
    const failed = results.filter((r) => r.status === 'rejected');
    // The other found it held (RetryableError) or already sent.
    for (const r of failed) expect((r as PromiseRejectedResult).reason).toBeInstanceOf(RetryableError);
  });
});
