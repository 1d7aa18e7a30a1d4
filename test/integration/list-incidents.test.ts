import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import { type Incident, type IncidentStatus, incidentStatuses } from '../../functions/core/incident.ts';
import type { Stores } from '../../functions/use-cases/ports.ts';
import { incidentList } from '../../functions/use-cases/read-incidents.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';

/** The status filter of the incident list, on the stack's table: every status, and `open`. */

let db: LocalDb;
let stores: Stores;
const byStatus = new Map<IncidentStatus, string>();

beforeAll(async () => {
  db = await startLocalDb();
  stores = dynamoStores(db.client, db.table);
  // One incident in each status, opened a second apart (newest first in the list).
  for (const [index, status] of incidentStatuses.entries()) {
    const at = new Date(Date.UTC(2026, 10, 30, 9, 0, index)).toISOString();
    const incident: Incident = {
      id: ulid(),
      key: `HOT-${index + 1}`,
      number: index + 1,
      status,
      severity: 2,
      service: 'checkout',
      summary: `An incident that is ${status}`,
      products: [],
      source: 'manual',
      impactStartedAt: at,
      detectedAt: at,
      openedAt: at,
      executionName: `HOT-${index + 1}`,
      updatedAt: at,
    };
    await stores.incidents.create(incident);
    byStatus.set(status, incident.key);
  }
});
afterAll(async () => db?.stop());

describe('listing incidents by status', () => {
  it.each(incidentStatuses)('lists only the %s incident for status=%s', async (status) => {
    const { incidents } = await incidentList(stores, { status, limit: 25 });
    expect(incidents.map((i) => i.key)).toEqual([byStatus.get(status)]);
  });

  it('lists every incident that is not resolved for status=open, newest first', async () => {
    const { incidents } = await incidentList(stores, { status: 'open', limit: 25 });
    expect(incidents.map((i) => i.status)).toEqual(['fixing', 'paged', 'new']);
  });

  it('lists all four without a status', async () => {
    const { incidents } = await incidentList(stores, { limit: 25 });
    expect(incidents).toHaveLength(4);
  });
});
