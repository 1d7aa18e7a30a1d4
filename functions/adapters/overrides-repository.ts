import { indexes, keys } from '../core/keys.ts';
import { MAX_OVERRIDE_MS, type StoredOverride } from '../core/oncall-overrides.ts';
import type { OverrideStore } from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

function overrideOf(item: Record<string, unknown>): StoredOverride {
  return entity(item) as unknown as StoredOverride;
}

/**
 * Schedule overrides: one item per override (`keys.scheduleOverride`), listed by end on the sparse gsi3
 * (`indexes.scheduleOverrides`). Created once (PutItem on absence); removing one is an UpdateItem that marks it
 * and takes it out of the list, so the record stays (no TTL, no DeleteItem). The list is a GSI, so on AWS it
 * trails a write by a moment (GSI reads are eventually consistent; typically well under a second).
 */
export class OverridesRepository implements OverrideStore {
  constructor(private readonly table: Table) {}

  create(override: StoredOverride): Promise<boolean> {
    return this.table.putIfHolds(
      {
        ...keys.scheduleOverride(override.scheduleId, override.id),
        ...indexes.scheduleOverrides.values(override.scheduleId, override.end, override.id),
        type: 'scheduleOverride',
        ...override,
      },
      { ConditionExpression: 'attribute_not_exists(pk)' },
    );
  }

  async get(scheduleId: string, overrideId: string): Promise<StoredOverride | undefined> {
    const item = await this.table.getItem(keys.scheduleOverride(scheduleId, overrideId));
    return item ? overrideOf(item) : undefined;
  }

  async touching(scheduleId: string, from: Date, to: Date): Promise<StoredOverride[]> {
    if (to.getTime() <= from.getTime()) return [];
    const index = indexes.scheduleOverrides;
    // Overlapping means ending after `from` and starting before `to`; starting before `to` and lasting at most
    // the cap, it ends before `to + cap`: both bounds are on the end, the sort key's start.
    const items = await this.table.queryAll({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :until',
      FilterExpression: '#start < :to',
      ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk, '#start': 'start' },
      ExpressionAttributeValues: {
        ':pk': index.partition(scheduleId),
        ':from': from.toISOString(),
        ':until': `${new Date(to.getTime() + MAX_OVERRIDE_MS).toISOString()}~`,
        ':to': to.toISOString(),
      },
    });
    return items
      .map(overrideOf)
      .filter((o) => Date.parse(o.end) > from.getTime() && Date.parse(o.start) < to.getTime());
  }

  async remove(
    scheduleId: string,
    overrideId: string,
    by: string,
    at: Date,
  ): Promise<StoredOverride | undefined> {
    const result = await this.table.updateIfHolds({
      Key: keys.scheduleOverride(scheduleId, overrideId),
      UpdateExpression: 'SET removedAt = :at, removedBy = :by REMOVE #gpk, #gsk',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt) AND #end > :at',
      ExpressionAttributeNames: { '#gpk': 'gsi3pk', '#gsk': 'gsi3sk', '#end': 'end' },
      ExpressionAttributeValues: { ':at': at.toISOString(), ':by': by },
      ReturnValues: 'ALL_NEW',
    });
    return result ? overrideOf(result) : undefined;
  }
}
