import { ulid } from 'ulid';
import type { Incident } from '../../functions/core/incident.ts';
import type { Stores } from '../../functions/use-cases/ports.ts';

/**
 * A resolved sev 2 of checkout (Monday 30 November 2026, 14:30-15:10 UTC), as the integration tests of the
 * postmortem start from: `HOT-<number>`, stored with its key.
 */
export async function storedResolvedIncident(
  stores: Pick<Stores, 'incidents'>,
  number: number,
  changes: Partial<Incident> = {},
): Promise<Incident> {
  const incident: Incident = {
    id: ulid(),
    key: `HOT-${number}`,
    number,
    status: 'resolved',
    severity: 2,
    service: 'checkout',
    summary: 'Card payments failing',
    description: 'About 30% of card payments fail at checkout.',
    products: ['Checkout'],
    source: 'manual',
    impactStartedAt: '2026-11-30T14:30:00.000Z',
    detectedAt: '2026-11-30T14:32:00.000Z',
    openedAt: '2026-11-30T14:32:00.000Z',
    acknowledgedAt: '2026-11-30T14:36:00.000Z',
    impactEndedAt: '2026-11-30T15:10:00.000Z',
    resolvedAt: '2026-11-30T15:12:00.000Z',
    supportCases: 4,
    postmortem: 'required',
    executionName: `HOT-${number}`,
    updatedAt: '2026-11-30T15:12:00.000Z',
    ...changes,
  };
  await stores.incidents.create(incident);
  await stores.incidents.putKey(incident.key, incident.id);
  return incident;
}
