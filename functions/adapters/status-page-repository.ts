import { indexes, keys } from '../core/keys.ts';
import { publicStatusId, recentSince, type StatusEntry, type StatusUpdate } from '../core/status-page.ts';
import type { StatusPageStore, StatusPublication } from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

/** How an entry is stored: its updates as a map by update id, so a retried round cannot add one twice. */
interface StoredEntry {
  publicId: string;
  openedAt: string;
  resolvedAt?: string;
  products: string[];
  updates?: Record<string, Omit<StatusUpdate, 'id'>>;
}

/**
 * The status page's entries: one item per incident (`keys.statusEntry`) with public fields only, on the sparse
 * status page index, whose sort key moves from `~<openedAt>` to the resolution time when the final round
 * publishes.
 */
export class StatusPageRepository implements StatusPageStore {
  constructor(private readonly table: Table) {}

  async publish(publication: StatusPublication): Promise<void> {
    // Usually the entry exists: one conditional update. The first round creates it; a concurrent creator that
    // wins the race leaves the update to be added to its entry.
    if (await this.addUpdate(publication)) return;
    if (await this.create(publication)) return;
    if (!(await this.addUpdate(publication))) {
      throw new Error(`the status entry of ${publication.incidentId} could be neither created nor updated`);
    }
  }

  async current(now: Date): Promise<StatusEntry[]> {
    const index = indexes.statusPage;
    // Open entries sort after every time (`~`), so this range is "open, or resolved since": one Query, newest
    // first (open ones first), so if a page were ever cut short it is the oldest resolved that are left out.
    const page = await this.table.query({
      IndexName: index.name,
      KeyConditionExpression: '#pk = :pk AND #sk >= :since',
      ExpressionAttributeNames: { '#pk': index.pk, '#sk': index.sk },
      ExpressionAttributeValues: { ':pk': index.partition, ':since': recentSince(now) },
      ScanIndexForward: false,
    });
    return (page.Items ?? []).map((item) => toEntry(entity(item) as unknown as StoredEntry));
  }

  private async addUpdate(publication: StatusPublication): Promise<boolean> {
    const { update, resolvedAt } = publication;
    const index = indexes.statusPage;
    const values: Record<string, unknown> = {
      ':update': { at: update.at, text: update.text },
      ':products': publication.products,
    };
    // Once resolved, always resolved: a late retry of an earlier round keeps the resolution time and sort key.
    const sortKey = resolvedAt
      ? 'resolvedAt = if_not_exists(resolvedAt, :resolvedAt), #sk = if_not_exists(resolvedAt, :resolvedAt)'
      : '#sk = if_not_exists(resolvedAt, :open)';
    if (resolvedAt) values[':resolvedAt'] = resolvedAt;
    else values[':open'] = index.openSortKey(publication.openedAt);
    const result = await this.table.updateIfHolds({
      Key: keys.statusEntry(publication.incidentId),
      UpdateExpression: `SET #updates.#id = if_not_exists(#updates.#id, :update), products = :products, ${sortKey}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeNames: { '#updates': 'updates', '#id': update.id, '#sk': index.sk },
      ExpressionAttributeValues: values,
    });
    return result !== undefined;
  }

  private create(publication: StatusPublication): Promise<boolean> {
    const { incidentId, openedAt, products, update, resolvedAt } = publication;
    return this.table.putIfHolds(
      {
        ...keys.statusEntry(incidentId),
        ...indexes.statusPage.values(openedAt, resolvedAt),
        type: 'statusEntry',
        publicId: publicStatusId(incidentId),
        openedAt,
        products,
        updates: { [update.id]: { at: update.at, text: update.text } },
        ...(resolvedAt ? { resolvedAt } : {}),
      } satisfies Record<string, unknown> & StoredEntry,
      { ConditionExpression: 'attribute_not_exists(pk)' },
    );
  }
}

function toEntry(stored: StoredEntry): StatusEntry {
  return {
    publicId: stored.publicId,
    openedAt: stored.openedAt,
    ...(stored.resolvedAt ? { resolvedAt: stored.resolvedAt } : {}),
    products: stored.products ?? [],
    // Map keys are the update ids; own entries only (an id is a stored string, never a prototype member).
    updates: Object.entries(stored.updates ?? {})
      .map(([id, u]) => ({ id, at: u.at, text: u.text }))
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0)),
  };
}
