import { type AlertCounts, countsFromMarkers } from '../core/alert.ts';
import type { Incident } from '../core/incident.ts';
import { keys } from '../core/keys.ts';
import type {
  AlertGroupRecord,
  AlertGroupStore,
  AlertMarker,
  DeliveryStore,
  RememberedStates,
} from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** A released lease ends at the epoch: expired for any clock. */
const RELEASED = new Date(0).toISOString();
/** Alerts per group update: each costs about 40 characters of the 4 KB update expression. */
const ALERTS_PER_UPDATE = 40;

/** Alert groups (the dedup pointers) and the incident counter that numbers what they open. */
export class AlertGroupsRepository implements AlertGroupStore {
  constructor(private readonly table: Table) {}

  get(source: string, groupKey: string): Promise<AlertGroupRecord | undefined> {
    return this.table.get<AlertGroupRecord>(keys.alertGroup(source, groupKey));
  }

  claim(record: AlertGroupRecord): Promise<boolean> {
    return this.table.putIfHolds(claimedGroup(record), { ConditionExpression: 'attribute_not_exists(pk)' });
  }

  reclaimClosed(closed: AlertGroupRecord, claim: AlertGroupRecord): Promise<boolean> {
    return this.table.putIfHolds(
      {
        ...claimedGroup(claim),
        previousIncidentId: closed.incidentId,
        ...(closed.incidentKey ? { previousKey: closed.incidentKey } : {}),
      },
      {
        ConditionExpression: 'incidentId = :old AND #state = :closed',
        ExpressionAttributeNames: { '#state': 'state' },
        ExpressionAttributeValues: { ':old': closed.incidentId, ':closed': 'closed' },
      },
    );
  }

  /** Large deliveries are written in parts: an update expression is limited to 4 KB. */
  async rememberStates(
    source: string,
    groupKey: string,
    incidentId: string,
    alerts: readonly AlertMarker[],
    seenAt: string,
  ): Promise<RememberedStates | undefined> {
    let before: Record<string, string> | undefined;
    let after = new Map<string, string>();
    for (let start = 0; start < alerts.length; start += ALERTS_PER_UPDATE) {
      const part = alerts.slice(start, start + ALERTS_PER_UPDATE);
      const clauses = stateClauses(part, seenAt);
      // The states as this write found them: what the group held just before, whoever wrote it since it was read.
      const group = await this.table.updateIfHolds({
        Key: keys.alertGroup(source, groupKey),
        UpdateExpression: `SET ${clauses.sets.join(', ')}`,
        ConditionExpression: 'incidentId = :id AND attribute_exists(states) AND attribute_exists(seen)',
        ExpressionAttributeNames: clauses.names,
        ExpressionAttributeValues: { ...clauses.values, ':id': incidentId },
        ReturnValues: 'ALL_OLD',
      });
      if (!group) return undefined;
      const found = (group as Pick<AlertGroupRecord, 'states'>).states ?? {};
      before ??= found;
      after = new Map(Object.entries(found));
      for (const { fingerprint, marker } of part) after.set(fingerprint, marker);
    }
    return { before: Object.values(before ?? {}), after: [...after.values()] };
  }

  async countsOf(incident: Pick<Incident, 'id' | 'source' | 'groupKey'>): Promise<AlertCounts | undefined> {
    if (!incident.groupKey) return undefined;
    const group = await this.get(incident.source, incident.groupKey);
    if (group?.incidentId !== incident.id) return undefined;
    return countsFromMarkers(Object.values(group.states ?? {}));
  }

  async close(source: string, groupKey: string, incidentId: string): Promise<boolean> {
    const held = await this.table.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: 'SET #state = :closed',
      ConditionExpression: 'incidentId = :id AND #state = :open',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':closed': 'closed', ':open': 'open', ':id': incidentId },
    });
    return held !== undefined;
  }

  async takeOverLease(source: string, groupKey: string, owner: string, now: string, until: string) {
    const taken = await this.table.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: 'SET leaseOwner = :owner, leaseUntil = :until',
      ConditionExpression: '#state = :opening AND leaseUntil < :now',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':owner': owner, ':until': until, ':now': now, ':opening': 'opening' },
    });
    if (taken) return true;
    // A lost reply retried by the SDK fails its condition against its own write: check whose lease it is.
    return (await this.get(source, groupKey))?.leaseOwner === owner;
  }

  async releaseLease(source: string, groupKey: string, owner: string): Promise<void> {
    await this.table.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: 'SET leaseUntil = :released',
      ConditionExpression: '#state = :opening AND leaseOwner = :owner',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: { ':owner': owner, ':released': RELEASED, ':opening': 'opening' },
    });
  }

  /**
   * The counter remembers who counted last, so a lost reply retried by the SDK answers the same number instead
   * of skipping one; a gap is left only when another opener counts in between.
   */
  async nextIncidentNumber(owner: string): Promise<number> {
    for (;;) {
      const counted = await this.table.updateIfHolds({
        Key: keys.counter('incident'),
        UpdateExpression: 'SET #value = if_not_exists(#value, :zero) + :one, lastOwner = :owner',
        // Once per owner in a row: the SDK's retry of an increment whose reply was lost does not count again.
        ConditionExpression: 'attribute_not_exists(lastOwner) OR lastOwner <> :owner',
        ExpressionAttributeNames: { '#value': 'value' },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':owner': owner },
        ReturnValues: 'UPDATED_NEW',
      });
      if (counted) return Number(counted.value);
      const counter = await this.table.getItem(keys.counter('incident'));
      if (counter?.lastOwner === owner) return Number(counter.value);
      // Another opener counted after this one's lost reply: that number is gone (a gap); take the next.
    }
  }

  async assignNumber(source: string, groupKey: string, owner: string, number: number, key: string) {
    const held = await this.table.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: 'SET #number = :number, incidentKey = :key',
      ConditionExpression: 'attribute_not_exists(#number) AND leaseOwner = :owner',
      ExpressionAttributeNames: { '#number': 'number' },
      ExpressionAttributeValues: { ':number': number, ':key': key, ':owner': owner },
    });
    return held !== undefined;
  }

  /** The states go in the same write as the opening when they fit in one. */
  async markOpen(
    source: string,
    groupKey: string,
    incidentId: string,
    alerts: readonly AlertMarker[],
    seenAt: string,
  ): Promise<void> {
    const last = alerts.length - (alerts.length % ALERTS_PER_UPDATE || ALERTS_PER_UPDATE);
    if (last > 0) await this.rememberStates(source, groupKey, incidentId, alerts.slice(0, last), seenAt);
    const clauses = stateClauses(alerts.slice(Math.max(last, 0)), seenAt);
    const opened = await this.table.updateIfHolds({
      Key: keys.alertGroup(source, groupKey),
      UpdateExpression: `SET ${['#state = :open', ...clauses.sets].join(', ')} REMOVE leaseOwner, leaseUntil`,
      ConditionExpression: 'incidentId = :id',
      ExpressionAttributeNames: { ...clauses.names, '#state': 'state' },
      ExpressionAttributeValues: { ...clauses.values, ':open': 'open', ':id': incidentId },
    });
    if (!opened)
      throw new Error(`alert group ${source}/${groupKey.slice(0, 40)} moved on while being opened`);
  }
}

/** How long a processed delivery id is refused: far beyond any sender's signature tolerance. */
const DELIVERY_MEMORY_SECONDS = 24 * 60 * 60;
/** How long a claim blocks a copy of its delivery: longer than the ingest function may run (29 s). */
const DELIVERY_LEASE_MS = 35_000;

/** Delivery ids a sender assigned (Standard Webhooks' webhook-id, Grafana's timestamped signature). */
export class DeliveriesRepository implements DeliveryStore {
  constructor(private readonly table: Table) {}

  claim(source: string, deliveryId: string, owner: string, now: Date): Promise<boolean> {
    // TTL deletes late (and never locally): expiry is decided in the condition, like a lapsed claim.
    return this.table.putIfHolds(
      {
        ...keys.delivery(source, deliveryId),
        type: 'delivery',
        source,
        status: 'processing',
        owner,
        leaseUntil: new Date(now.getTime() + DELIVERY_LEASE_MS).toISOString(),
        expiresAt: Math.floor(now.getTime() / 1000) + DELIVERY_MEMORY_SECONDS,
      },
      {
        ConditionExpression:
          'attribute_not_exists(pk) OR expiresAt < :nowSeconds OR (#status = :processing AND (leaseUntil < :now OR #owner = :owner))',
        ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
        ExpressionAttributeValues: {
          ':nowSeconds': Math.floor(now.getTime() / 1000),
          ':now': now.toISOString(),
          ':processing': 'processing',
          ':owner': owner,
        },
      },
    );
  }

  async complete(source: string, deliveryId: string, owner: string, now: Date): Promise<void> {
    await this.table.updateIfHolds({
      Key: keys.delivery(source, deliveryId),
      UpdateExpression: 'SET #status = :processed, processedAt = :now REMOVE leaseUntil',
      ConditionExpression: '#owner = :owner',
      ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
      ExpressionAttributeValues: { ':processed': 'processed', ':now': now.toISOString(), ':owner': owner },
    });
  }

  async release(source: string, deliveryId: string, owner: string): Promise<void> {
    await this.table.deleteIfHolds(keys.delivery(source, deliveryId), {
      ConditionExpression: '#status = :processing AND #owner = :owner',
      ExpressionAttributeNames: { '#status': 'status', '#owner': 'owner' },
      ExpressionAttributeValues: { ':processing': 'processing', ':owner': owner },
    });
  }
}

/** A freshly claimed group's item: no alert states yet. */
function claimedGroup(claim: AlertGroupRecord): Record<string, unknown> {
  return {
    ...keys.alertGroup(claim.source, claim.groupKey),
    type: 'alertGroup',
    ...claim,
    states: {},
    seen: {},
  };
}

/** The clauses of a group update that record alerts' states and when they were seen. */
function stateClauses(alerts: readonly AlertMarker[], seenAt: string) {
  const names: Record<string, string> = {};
  const values: Record<string, unknown> = alerts.length > 0 ? { ':seen': seenAt } : {};
  const sets = alerts.flatMap(({ fingerprint, marker }, i) => {
    names[`#f${i}`] = fingerprint;
    values[`:m${i}`] = marker;
    return [`states.#f${i} = :m${i}`, `seen.#f${i} = :seen`];
  });
  return { names, values, sets };
}
