import { keys } from '../core/keys.ts';
import type { PageCountEntry, PageCountStore } from '../use-cases/ports.ts';
import type { Table } from './table.ts';

/** A day after its hour the table's TTL may remove a count (nothing reads an hour that has passed). */
const KEEP_SECONDS = 86_400;

/**
 * Pages per person, phone channel and clock hour (`keys.pageCount`): one item, UpdateItem only (it creates the
 * item too) and a consistent GetItem.
 *
 * Each page takes its place with one conditional UpdateItem that adds one to the count and keeps the new count under
 * the page's own attribute (`page:<id>`): concurrent pages each get a different place (DynamoDB applies the
 * updates of one item one at a time), and a retried page finds its attribute and answers the same place. Only
 * the first `keep` places are kept by page (the item stays small in a storm of thousands); a page after them is
 * counted with a plain ADD, and a retry of one counts again, which only moves later pages further past the limit.
 */
export class PageCountsRepository implements PageCountStore {
  constructor(private readonly table: Table) {}

  async count(entry: PageCountEntry): Promise<number> {
    const key = keys.pageCount(entry.personId, entry.channel, entry.hourStart);
    const expiresAt = Math.floor(Date.parse(entry.hourEnd) / 1000) + KEEP_SECONDS;
    const pageAttribute = `page:${entry.pageId}`;
    const placed = await this.table.updateIfHolds({
      Key: key,
      // Both read the count before this update: the page's place is the new count.
      UpdateExpression:
        'SET #count = if_not_exists(#count, :zero) + :one, #page = if_not_exists(#count, :zero) + :one, #type = :type, #personId = :personId, #channel = :channel, #hourStart = :hourStart, #expiresAt = :expiresAt',
      ConditionExpression: 'attribute_not_exists(#page) AND (attribute_not_exists(#count) OR #count < :keep)',
      ExpressionAttributeNames: {
        '#count': 'count',
        '#page': pageAttribute,
        '#type': 'type',
        '#personId': 'personId',
        '#channel': 'channel',
        '#hourStart': 'hourStart',
        '#expiresAt': 'expiresAt',
      },
      ExpressionAttributeValues: {
        ':zero': 0,
        ':one': 1,
        ':keep': entry.keep,
        ':type': 'pageCount',
        ':personId': entry.personId,
        ':channel': entry.channel,
        ':hourStart': entry.hourStart,
        ':expiresAt': expiresAt,
      },
      ReturnValues: 'UPDATED_NEW',
    });
    if (placed) return Number(placed.count);
    // Counted before (a retried page), or the kept places are taken: the page's own place, or a place past them.
    const item = await this.table.getItem(key);
    if (typeof item?.[pageAttribute] === 'number') return item[pageAttribute] as number;
    const counted = await this.table.updateIfHolds({
      Key: key,
      UpdateExpression: 'ADD #count :one SET #expiresAt = :expiresAt',
      ExpressionAttributeNames: { '#count': 'count', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: { ':one': 1, ':expiresAt': expiresAt },
      ReturnValues: 'UPDATED_NEW',
    });
    return Number(counted?.count);
  }
}
