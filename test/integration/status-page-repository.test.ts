import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StatusPageRepository } from '../../functions/adapters/status-page-repository.ts';
import { Table } from '../../functions/adapters/table.ts';
import { keys } from '../../functions/core/keys.ts';
import { publicStatusId } from '../../functions/core/status-page.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';

/** The status page's projection on dynalite with the stack's own table and indexes. */

let db: LocalDb;
let store: StatusPageRepository;

beforeAll(async () => {
  db = await startLocalDb();
  store = new StatusPageRepository(new Table(db.client, db.table));
});

afterAll(async () => {
  await db?.stop();
});

const now = new Date();
const ago = (days: number, hours = 0) =>
  new Date(now.getTime() - days * 86_400_000 - hours * 3600_000).toISOString();
const update = (id: string, at: string, text = `text of ${id}`) => ({ id, at, text });

describe('publishing to the status page', () => {
  it('records an update once: publishing the same round again adds nothing and keeps its first text', async () => {
    const incidentId = ulid();
    const openedAt = ago(0, 2);
    const first = update('initial-1', ago(0, 1), 'We are investigating issues with Checkout.');

    await store.publish({ incidentId, openedAt, products: ['Checkout'], update: first });
    await store.publish({ incidentId, openedAt, products: ['Checkout'], update: first });
    await store.publish({
      incidentId,
      openedAt,
      products: ['Checkout'],
      update: { ...first, text: 'a retry' },
    });

    const entry = (await store.current(now)).find((e) => e.publicId === publicStatusId(incidentId));
    expect(entry).toEqual({
      publicId: publicStatusId(incidentId),
      openedAt,
      products: ['Checkout'],
      updates: [first],
    });
  });

  it('creates the entry once when two rounds publish at the same time, keeping both updates', async () => {
    const incidentId = ulid();
    const openedAt = ago(0, 2);
    await Promise.all([
      store.publish({ incidentId, openedAt, products: ['Search'], update: update('initial-1', ago(0, 1)) }),
      store.publish({ incidentId, openedAt, products: ['Search'], update: update('update-1', ago(0, 0.5)) }),
    ]);

    const entry = (await store.current(now)).find((e) => e.publicId === publicStatusId(incidentId));
    expect(entry?.updates.map((u) => u.id)).toEqual(['initial-1', 'update-1']);
  });

  it('keeps nothing but public fields on the item', async () => {
    const incidentId = ulid();
    await store.publish({
      incidentId,
      openedAt: ago(0, 1),
      products: ['Checkout'],
      update: update('initial-1', ago(0, 1)),
    });

    const item = (
      await db.client.send(new GetCommand({ TableName: db.table, Key: keys.statusEntry(incidentId) }))
    ).Item;
    expect(Object.keys(item ?? {}).sort()).toEqual(
      ['gsi3pk', 'gsi3sk', 'openedAt', 'pk', 'products', 'publicId', 'sk', 'type', 'updates'].sort(),
    );
  });

  it('resolves with the final round, and a late retry of an earlier round does not reopen it', async () => {
    const incidentId = ulid();
    const openedAt = ago(1);
    const resolvedAt = ago(0, 3);
    const initial = update('initial-1', ago(1));
    await store.publish({ incidentId, openedAt, products: ['Checkout'], update: initial });
    await store.publish({
      incidentId,
      openedAt,
      products: ['Checkout'],
      update: update('final-1', ago(0, 2)),
      resolvedAt,
    });
    await store.publish({ incidentId, openedAt, products: ['Checkout'], update: initial });

    const entry = (await store.current(now)).find((e) => e.publicId === publicStatusId(incidentId));
    expect(entry?.resolvedAt).toBe(resolvedAt);
    expect(entry?.updates.map((u) => u.id)).toEqual(['initial-1', 'final-1']);
  });
});

describe('what the status page reads', () => {
  it('returns open entries whatever their age and resolved ones of the last 7 days only', async () => {
    const publish = async (openedDaysAgo: number, resolvedDaysAgo?: number) => {
      const incidentId = ulid();
      await store.publish({
        incidentId,
        openedAt: ago(openedDaysAgo),
        products: ['Checkout'],
        update: update(resolvedDaysAgo === undefined ? 'initial-1' : 'final-1', ago(openedDaysAgo)),
        ...(resolvedDaysAgo === undefined ? {} : { resolvedAt: ago(resolvedDaysAgo) }),
      });
      return publicStatusId(incidentId);
    };
    const openForAMonth = await publish(30);
    const openToday = await publish(0);
    const resolvedYesterday = await publish(2, 1);
    const resolvedSixDaysAgo = await publish(7, 6.9);
    const resolvedEightDaysAgo = await publish(9, 8);
    const resolvedLongAgo = await publish(60, 59);

    const shown = (await store.current(now)).map((e) => e.publicId);

    for (const id of [openForAMonth, openToday, resolvedYesterday, resolvedSixDaysAgo])
      expect(shown).toContain(id);
    for (const id of [resolvedEightDaysAgo, resolvedLongAgo]) expect(shown).not.toContain(id);
    // Open entries first (newest first), then the resolved ones, most recent first.
    expect(shown.indexOf(openToday)).toBeLessThan(shown.indexOf(openForAMonth));
    expect(shown.indexOf(openForAMonth)).toBeLessThan(shown.indexOf(resolvedYesterday));
    expect(shown.indexOf(resolvedYesterday)).toBeLessThan(shown.indexOf(resolvedSixDaysAgo));
  });
});
