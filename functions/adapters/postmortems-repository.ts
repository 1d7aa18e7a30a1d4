import type { ApprovalDecision } from '../core/approvals.ts';
import { indexes, keys } from '../core/keys.ts';
import type { Postmortem, PostmortemStatus, PostmortemVersion } from '../core/postmortem.ts';
import { postmortemStatuses } from '../core/postmortem.ts';
import type { PostmortemQuery, PostmortemStore, PublishedDocument } from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

/** Attributes of the postmortem item that are not the postmortem (kept server side). */
const PRIVATE = ['taskToken', 'reminders', 'waitsExecution', 'waitsCount'] as const;

/** The postmortem of its item, without what the workflow keeps on it. */
export function postmortemOf(item: Record<string, unknown>): Postmortem {
  const value = entity(item);
  for (const name of PRIVATE) delete value[name];
  return value as unknown as Postmortem;
}

/** Postmortems and their versions, in the incident's partition; by status on the sparse gsi3. */
export class PostmortemsRepository implements PostmortemStore {
  constructor(private readonly table: Table) {}

  private item(postmortem: Postmortem): Record<string, unknown> {
    return {
      ...keys.postmortem(postmortem.incidentId),
      ...indexes.postmortemsByStatus.values(postmortem.status, postmortem.due, postmortem.incidentId),
      type: 'postmortem',
      ...postmortem,
    };
  }

  private versionItem(incidentId: string, version: PostmortemVersion): Record<string, unknown> {
    return { ...keys.postmortemVersion(incidentId, version.version), type: 'postmortemVersion', ...version };
  }

  async create(postmortem: Postmortem): Promise<boolean> {
    const created = await this.table.putOnce(this.item(postmortem));
    // The first version is written after the postmortem: a retry of a create that stopped in between adds it.
    await this.table.putOnce(
      this.versionItem(postmortem.incidentId, {
        key: postmortem.key,
        version: postmortem.version,
        at: postmortem.openedAt,
        by: postmortem.updatedBy,
        changed: [],
        fields: postmortem.fields,
        actions: postmortem.actions,
        owner: postmortem.owner,
      }),
    );
    return created;
  }

  async get(incidentId: string): Promise<Postmortem | undefined> {
    const item = await this.table.getItem(keys.postmortem(incidentId));
    return item ? postmortemOf(item) : undefined;
  }

  async save(
    postmortem: Postmortem,
    expectedVersion: number,
    version: PostmortemVersion | undefined,
    statusIn: readonly PostmortemStatus[],
  ): Promise<boolean> {
    // An update, not a put: the item's private attributes (the workflow's task token, the reminders sent) stay.
    const names: Record<string, string> = { '#status': 'status', '#version': 'version' };
    const values: Record<string, unknown> = { ':expected': expectedVersion };
    const { key: _key, incidentId: _id, ...changed } = postmortem;
    const attributes = {
      ...changed,
      ...indexes.postmortemsByStatus.values(postmortem.status, postmortem.due, postmortem.incidentId),
    };
    const sets = Object.entries(attributes).map(([name, value], i) => {
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      return `#a${i} = :a${i}`;
    });
    const statuses = statusIn.map((status, i) => {
      values[`:s${i}`] = status;
      return `:s${i}`;
    });
    const saved = await this.table.updateIfHolds({
      Key: keys.postmortem(postmortem.incidentId),
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: `#version = :expected AND #status IN (${statuses.join(', ')})`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    if (!saved) return false;
    // Keyed by its number: a retried save writes the same version record once.
    if (version) await this.table.putOnce(this.versionItem(postmortem.incidentId, version));
    return true;
  }

  async recordDecision(
    incidentId: string,
    decision: ApprovalDecision,
  ): Promise<ApprovalDecision | undefined> {
    const key = keys.approvalDecision(incidentId, decision.contentHash, decision.approver);
    if (await this.table.putOnce({ ...key, type: 'approvalDecision', ...decision })) return undefined;
    return (await this.table.get<ApprovalDecision>(key)) ?? decision;
  }

  async decisions(incidentId: string): Promise<ApprovalDecision[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :decisions)',
      ExpressionAttributeValues: { ':pk': keys.postmortem(incidentId).pk, ':decisions': 'DECISION#' },
      ConsistentRead: true,
    });
    return items
      .map((item) => entity(item) as unknown as ApprovalDecision)
      .sort((a, b) => (a.at < b.at ? -1 : a.at > b.at ? 1 : 0));
  }

  async putDocument(incidentId: string, document: PublishedDocument): Promise<void> {
    // Once: a retried publication leaves the first document as it is.
    await this.table.putOnce({
      ...keys.postmortemDocument(incidentId),
      type: 'postmortemDocument',
      ...document,
    });
  }

  getDocument(incidentId: string): Promise<PublishedDocument | undefined> {
    return this.table.get<PublishedDocument>(keys.postmortemDocument(incidentId));
  }

  async versions(incidentId: string): Promise<PostmortemVersion[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :versions)',
      ExpressionAttributeValues: {
        ':pk': keys.postmortem(incidentId).pk,
        ':versions': 'VERSION#',
      },
      ConsistentRead: true,
    });
    return items.map((item) => entity(item) as unknown as PostmortemVersion);
  }

  async list(query: PostmortemQuery): Promise<Postmortem[]> {
    const index = indexes.postmortemsByStatus;
    const statuses = query.status
      ? [query.status]
      : query.overdue
        ? (['draft', 'in-review'] as const)
        : postmortemStatuses;
    const found: Postmortem[] = [];
    for (const status of statuses) {
      const names: Record<string, string> = { '#pk': index.pk };
      const values: Record<string, unknown> = { ':pk': index.partition(status) };
      let condition = '#pk = :pk';
      if (query.overdue) {
        names['#sk'] = index.sk;
        values[':now'] = query.now.toISOString();
        condition += ' AND #sk < :now';
      }
      let cursor: Record<string, unknown> | undefined;
      do {
        const page = await this.table.query({
          IndexName: index.name,
          KeyConditionExpression: condition,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ...(query.service ? { FilterExpression: 'service = :service' } : {}),
          ...(query.service ? { ExpressionAttributeValues: { ...values, ':service': query.service } } : {}),
          ExclusiveStartKey: cursor,
        });
        found.push(...(page.Items ?? []).map(postmortemOf));
        cursor = page.LastEvaluatedKey;
      } while (cursor && found.length < query.limit);
    }
    return found.sort((a, b) => (a.due < b.due ? -1 : a.due > b.due ? 1 : 0)).slice(0, query.limit);
  }

  async taskTokenOf(incidentId: string): Promise<string | undefined> {
    const item = await this.table.getItem(keys.postmortem(incidentId));
    return typeof item?.taskToken === 'string' ? item.taskToken : undefined;
  }

  async keepTaskToken(
    incidentId: string,
    token: string,
    execution?: string,
  ): Promise<{ postmortem: Postmortem; waits: number } | undefined> {
    const keep = (update: string, condition: string, values: Record<string, unknown>) =>
      this.table.updateIfHolds({
        Key: keys.postmortem(incidentId),
        UpdateExpression: update,
        ConditionExpression: condition,
        ExpressionAttributeValues: { ':token': token, ...values },
        ReturnValues: 'ALL_NEW',
      });
    // The same execution counts on; a new one (or the first wait) starts its count at 1.
    const result = execution
      ? ((await keep(
          'SET taskToken = :token, waitsCount = waitsCount + :one',
          'attribute_exists(pk) AND waitsExecution = :execution',
          { ':one': 1, ':execution': execution },
        )) ??
        (await keep(
          'SET taskToken = :token, waitsExecution = :execution, waitsCount = :one',
          'attribute_exists(pk)',
          {
            ':one': 1,
            ':execution': execution,
          },
        )))
      : await keep('SET taskToken = :token', 'attribute_exists(pk)', {});
    return result ? { postmortem: postmortemOf(result), waits: Number(result.waitsCount ?? 0) } : undefined;
  }

  async markReminded(incidentId: string, reminder: string): Promise<boolean> {
    const result = await this.table.updateIfHolds({
      Key: keys.postmortem(incidentId),
      UpdateExpression: 'ADD reminders :reminder',
      ConditionExpression: 'attribute_exists(pk) AND NOT contains(reminders, :one)',
      ExpressionAttributeValues: { ':reminder': new Set([reminder]), ':one': reminder },
    });
    return result !== undefined;
  }
}
