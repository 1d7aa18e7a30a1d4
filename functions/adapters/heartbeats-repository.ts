import { HEARTBEAT_PRECISION_MS, type HeartbeatRecord } from '../core/heartbeats.ts';
import { keys } from '../core/keys.ts';
import type { HeartbeatStore } from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** One item per configured heartbeat (`keys.heartbeat`): each change conditional on the state it leaves. */
export class HeartbeatsRepository implements HeartbeatStore {
  constructor(private readonly table: Table) {}

  get(id: string): Promise<HeartbeatRecord | undefined> {
    return this.table.get<HeartbeatRecord>(keys.heartbeat(id));
  }

  async beat(id: string, source: string, at: string): Promise<boolean> {
    // Moves last seen forward only, and only by more than the precision: a duplicate (or an older delivery
    // arriving late) changes nothing. During a silence any later beat is its return, so it is always recorded.
    // The state is left to the sweep, which tells the operators.
    const fresh = new Date(Date.parse(at) - HEARTBEAT_PRECISION_MS).toISOString();
    const result = await this.table.updateIfHolds({
      Key: keys.heartbeat(id),
      UpdateExpression:
        'SET #type = :type, id = :id, #source = :source, lastSeenAt = :at, #state = if_not_exists(#state, :alive)',
      ConditionExpression:
        'attribute_not_exists(lastSeenAt) OR lastSeenAt < :fresh OR (#state = :silent AND lastSeenAt < :at)',
      ExpressionAttributeNames: { '#type': 'type', '#source': 'source', '#state': 'state' },
      ExpressionAttributeValues: {
        ':type': 'heartbeat',
        ':id': id,
        ':source': source,
        ':at': at,
        ':alive': 'alive',
        ':silent': 'silent',
        ':fresh': fresh,
      },
    });
    return result !== undefined;
  }

  async markSilent(id: string, lastSeenAt: string, silentAt: string): Promise<boolean> {
    const result = await this.table.updateIfHolds({
      Key: keys.heartbeat(id),
      UpdateExpression:
        'SET #state = :silent, silentSince = :seen, silentAt = :at REMOVE incidentId, incidentKey',
      ConditionExpression: '#state = :alive AND lastSeenAt = :seen',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':silent': 'silent',
        ':alive': 'alive',
        ':seen': lastSeenAt,
        ':at': silentAt,
      },
    });
    return result !== undefined;
  }

  async recordIncident(id: string, silentSince: string, incident: { id: string; key: string }) {
    const result = await this.table.updateIfHolds({
      Key: keys.heartbeat(id),
      UpdateExpression: 'SET incidentId = :incidentId, incidentKey = :key',
      ConditionExpression: '#state = :silent AND silentSince = :since',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':silent': 'silent',
        ':since': silentSince,
        ':incidentId': incident.id,
        ':key': incident.key,
      },
    });
    return result !== undefined;
  }

  async markBack(id: string, silentSince: string, backAt: string): Promise<boolean> {
    const result = await this.table.updateIfHolds({
      Key: keys.heartbeat(id),
      // The incident stays named on the item (the last one it paged through) until the next silence.
      UpdateExpression: 'SET #state = :alive, backAt = :at REMOVE silentSince, silentAt',
      ConditionExpression: '#state = :silent AND silentSince = :since AND attribute_exists(incidentKey)',
      ExpressionAttributeNames: { '#state': 'state' },
      ExpressionAttributeValues: {
        ':silent': 'silent',
        ':alive': 'alive',
        ':since': silentSince,
        ':at': backAt,
      },
    });
    return result !== undefined;
  }
}
