import { keys } from '../core/keys.ts';
import type { CommsRecord, CommsStore } from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** One record per message kind and sequence of an incident: what makes a send happen at most once. */
export class CommsRepository implements CommsStore {
  constructor(private readonly table: Table) {}

  async begin(record: CommsRecord): Promise<CommsRecord | undefined> {
    const key = keys.comms(record.incidentId, record.kind, record.sequence);
    if (await this.table.putOnce({ ...key, type: 'comms', ...record })) return undefined;
    const stored = await this.table.get<CommsRecord>(key);
    // A record left at "sending" means an earlier attempt died between SES and here: send again (at least once).
    return stored?.status === 'sent' ? stored : undefined;
  }

  async complete(incidentId: string, kind: string, sequence: number, messageId: string, at: string) {
    const held = await this.table.updateIfHolds({
      Key: keys.comms(incidentId, kind, sequence),
      UpdateExpression: 'SET #status = :sent, messageId = :id, sentAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':sent': 'sent', ':id': messageId, ':at': at },
    });
    if (!held) throw new Error(`comms record ${kind}/${sequence} of ${incidentId} is missing`);
  }
}
