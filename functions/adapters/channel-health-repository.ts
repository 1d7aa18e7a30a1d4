import type { ChannelHealthRecord } from '../core/channel-health.ts';
import { keys } from '../core/keys.ts';
import type { ChannelHealthStore } from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** The one item of the last channel check (`keys.channelHealth`), each write conditional on the one it replaces. */
export class ChannelHealthRepository implements ChannelHealthStore {
  constructor(private readonly table: Table) {}

  get(): Promise<ChannelHealthRecord | undefined> {
    return this.table.get<ChannelHealthRecord>(keys.channelHealth());
  }

  replace(record: ChannelHealthRecord, previousCheckedAt: string | undefined): Promise<boolean> {
    const item = { ...keys.channelHealth(), type: 'channel-health', ...record };
    return this.table.putIfHolds(
      item,
      previousCheckedAt === undefined
        ? { ConditionExpression: 'attribute_not_exists(pk)' }
        : {
            ConditionExpression: 'checkedAt = :previous',
            ExpressionAttributeValues: { ':previous': previousCheckedAt },
          },
    );
  }

  async told(checkedAt: string, what: { operators?: boolean; handoff?: string }): Promise<void> {
    const names: Record<string, string> = {};
    const removes: string[] = [];
    if (what.operators) removes.push('pending');
    if (what.handoff !== undefined) {
      names['#schedule'] = what.handoff;
      removes.push('pendingHandoffs.#schedule');
    }
    if (removes.length === 0) return;
    // Another check since has its own pending: this one's is no longer there to clear.
    await this.table.updateIfHolds({
      Key: keys.channelHealth(),
      UpdateExpression: `REMOVE ${removes.join(', ')}`,
      ConditionExpression: 'checkedAt = :at',
      ...(Object.keys(names).length > 0 ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: { ':at': checkedAt },
    });
  }
}
