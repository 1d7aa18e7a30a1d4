import type { TrackedAction } from '../core/actions.ts';
import { indexes, keys } from '../core/keys.ts';
import type { ActionDone, ActionQuery, ActionStore } from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

function actionOf(item: Record<string, unknown>): TrackedAction {
  return entity(item) as unknown as TrackedAction;
}

/**
 * Postmortem actions followed after approval: one item per action (`keys.action`), open ones on the sparse
 * gsi3 by due date (`indexes.openActions`), done ones by completion time (`indexes.doneActions`).
 */
export class ActionsRepository implements ActionStore {
  constructor(private readonly table: Table) {}

  async track(actions: readonly TrackedAction[]): Promise<void> {
    for (const action of actions) {
      const index =
        action.status === 'done' && action.doneAt
          ? indexes.doneActions.values(action.doneAt, action.id)
          : indexes.openActions.values(action.dueAt, action.id);
      await this.table.putOnce({ ...keys.action(action.id), ...index, type: 'action', ...action });
    }
  }

  async get(actionId: string): Promise<TrackedAction | undefined> {
    const item = await this.table.getItem(keys.action(actionId));
    return item ? actionOf(item) : undefined;
  }

  async complete(actionId: string, done: ActionDone): Promise<TrackedAction | undefined> {
    const moved = indexes.doneActions.values(done.doneAt, actionId);
    const values: Record<string, unknown> = {
      ':done': 'done',
      ':open': 'open',
      ':doneAt': done.doneAt,
      ':doneBy': done.doneBy,
      ':gpk': moved.gsi3pk,
      ':gsk': moved.gsi3sk,
    };
    const sets = ['#status = :done', 'doneAt = :doneAt', 'doneBy = :doneBy', '#gpk = :gpk', '#gsk = :gsk'];
    if (done.trackerUrl) {
      sets.push('trackerUrl = :trackerUrl');
      values[':trackerUrl'] = done.trackerUrl;
    }
    if (done.note) {
      sets.push('note = :note');
      values[':note'] = done.note;
    }
    const result = await this.table.updateIfHolds({
      Key: keys.action(actionId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk) AND #status = :open',
      ExpressionAttributeNames: { '#status': 'status', '#gpk': 'gsi3pk', '#gsk': 'gsi3sk' },
      ExpressionAttributeValues: values,
      ReturnValues: 'ALL_NEW',
    });
    return result ? actionOf(result) : undefined;
  }

  async list(query: ActionQuery): Promise<TrackedAction[]> {
    const open = query.status === 'open';
    const index = open ? indexes.openActions : indexes.doneActions;
    const names: Record<string, string> = { '#pk': index.pk };
    const values: Record<string, unknown> = { ':pk': index.partition };
    let condition = '#pk = :pk';
    if (open) {
      // Both bounds are on the due date, the start of the sort key: a key condition, not a filter.
      const bounds = [
        ...(query.overdue ? [query.now.toISOString()] : []),
        ...(query.dueBefore ? [query.dueBefore] : []),
      ].sort();
      if (bounds[0]) {
        names['#sk'] = index.sk;
        values[':before'] = bounds[0];
        condition += ' AND #sk < :before';
      }
    }
    const filters: string[] = [];
    for (const name of ['kind', 'ownerTeam', 'service'] as const) {
      const value = query[name];
      if (value === undefined) continue;
      names[`#${name}`] = name;
      values[`:${name}`] = value;
      filters.push(`#${name} = :${name}`);
    }
    const found: TrackedAction[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.table.query({
        IndexName: index.name,
        KeyConditionExpression: condition,
        ...(filters.length > 0 ? { FilterExpression: filters.join(' AND ') } : {}),
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        // Open: the soonest due first; done: the latest completed first.
        ScanIndexForward: open,
        ExclusiveStartKey: cursor,
      });
      found.push(...(page.Items ?? []).map(actionOf));
      cursor = page.LastEvaluatedKey;
    } while (cursor && found.length < query.limit);
    return found.slice(0, query.limit);
  }

  async openDueBetween(from: string, to: string): Promise<TrackedAction[]> {
    const index = indexes.openActions;
    const items = await this.table.queryAll({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :to',
      ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
      ExpressionAttributeValues: { ':pk': index.partition, ':from': from, ':to': to },
    });
    return items.map(actionOf);
  }

  async markReminded(actionId: string, reminder: string): Promise<boolean> {
    const result = await this.table.updateIfHolds({
      Key: keys.action(actionId),
      UpdateExpression: 'SET reminded = list_append(if_not_exists(reminded, :none), :one)',
      ConditionExpression: 'attribute_exists(pk) AND #status = :open AND NOT contains(reminded, :reminder)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':none': [], ':one': [reminder], ':reminder': reminder, ':open': 'open' },
    });
    return result !== undefined;
  }
}
