import { gunzipSync, gzipSync } from 'node:zlib';
import { type ApprovalDecision, requestRoundOf } from '../core/approvals.ts';
import { RetryableError } from '../core/errors.ts';
import { indexes, keys } from '../core/keys.ts';
import type { Postmortem, PostmortemVersion, VersionSummary } from '../core/postmortem.ts';
import { emptyFields, postmortemStatuses } from '../core/postmortem.ts';
import type { DocumentRendering, DocumentVersion, RenderedSections } from '../core/postmortem-document.ts';
import type {
  KeptToken,
  PostmortemQuery,
  PostmortemStore,
  PostmortemWait,
  PostmortemWrite,
  PublishedDocument,
} from '../use-cases/ports.ts';
import { entity, type Table } from './table.ts';

/** Attributes of the postmortem item that are not the postmortem (kept server side). */
const PRIVATE = ['taskToken', 'taskTokenWait', 'reminders', 'waitsExecution', 'waitsCount', 'lock'] as const;
/** Reads and writes of one `update` before it gives up (each lost race means another write landed). */
const UPDATE_ATTEMPTS = 8;

/** The postmortem of its item, without what the workflow keeps on it. */
export function postmortemOf(item: Record<string, unknown>): Postmortem {
  const value = entity(item);
  for (const name of PRIVATE) delete value[name];
  // A field the template gained after it was saved reads as empty (the external summary, since 0.3.0).
  const pm = value as unknown as Postmortem;
  return { ...pm, fields: { ...emptyFields(), ...pm.fields } };
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

  async update(
    incidentId: string,
    change: (current: Postmortem) => PostmortemWrite | undefined,
  ): Promise<{ before: Postmortem; after: Postmortem } | undefined> {
    for (let attempt = 0; attempt < UPDATE_ATTEMPTS; attempt += 1) {
      const item = await this.table.getItem(keys.postmortem(incidentId));
      if (!item) return undefined;
      const before = postmortemOf(item);
      const write = change(before);
      if (!write) return undefined;
      const lock = typeof item.lock === 'number' ? item.lock : undefined;
      if (await this.write(write.postmortem, lock)) {
        // Keyed by its number: a retried save writes the same version record once.
        if (write.version) await this.table.putOnce(this.versionItem(incidentId, write.version));
        return { before, after: write.postmortem };
      }
    }
    throw new RetryableError(
      `the postmortem of incident ${incidentId} kept changing during ${UPDATE_ATTEMPTS} attempts: try again`,
    );
  }

  /** One write on the lock read (absent on an item of 0.1.0); the lock moves on. False when it moved first. */
  private async write(postmortem: Postmortem, lock: number | undefined): Promise<boolean> {
    // An update, not a put: the item's private attributes (the workflow's task token, the reminders sent) stay.
    const names: Record<string, string> = { '#lock': 'lock' };
    const values: Record<string, unknown> = { ':next': (lock ?? 0) + 1 };
    const { key: _key, incidentId: _id, ...changed } = postmortem;
    const attributes = {
      ...changed,
      ...indexes.postmortemsByStatus.values(postmortem.status, postmortem.due, postmortem.incidentId),
    };
    const sets = Object.entries(attributes)
      .filter(([name]) => !(PRIVATE as readonly string[]).includes(name))
      .map(([name, value], i) => {
        names[`#a${i}`] = name;
        values[`:a${i}`] = value;
        return `#a${i} = :a${i}`;
      });
    if (lock !== undefined) values[':lock'] = lock;
    const saved = await this.table.updateIfHolds({
      Key: keys.postmortem(postmortem.incidentId),
      UpdateExpression: `SET ${sets.join(', ')}, #lock = :next`,
      ConditionExpression:
        lock === undefined ? 'attribute_exists(pk) AND attribute_not_exists(#lock)' : '#lock = :lock',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return saved !== undefined;
  }

  async recordDecision(
    incidentId: string,
    decision: ApprovalDecision,
  ): Promise<ApprovalDecision | undefined> {
    const key = keys.approvalDecision(
      incidentId,
      decision.contentHash,
      decision.approver,
      requestRoundOf(decision),
    );
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

  async putRendering(incidentId: string, rendering: DocumentRendering): Promise<void> {
    // One item per version, gzipped: the sections of the largest content (150 KB) fit an item either way.
    for (const version of ['page', 'email'] as const) {
      await this.table.putOnce({
        ...keys.postmortemRendering(incidentId, rendering.contentHash, version),
        type: 'postmortemRendering',
        html: gzipSync(JSON.stringify(rendering[version])),
      });
    }
  }

  async rendering(
    incidentId: string,
    contentHash: string,
    version: DocumentVersion,
  ): Promise<RenderedSections | undefined> {
    const item = await this.table.getItem(keys.postmortemRendering(incidentId, contentHash, version));
    if (!(item?.html instanceof Uint8Array)) return undefined;
    const sections = JSON.parse(gunzipSync(item.html).toString('utf8')) as Partial<RenderedSections>;
    return typeof sections.main === 'string' && typeof sections.external === 'string'
      ? { main: sections.main, external: sections.external }
      : undefined;
  }

  async history(incidentId: string): Promise<VersionSummary[]> {
    const items = await this.table.queryAll({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :versions)',
      ProjectionExpression: '#version, #at, #by, #changed',
      ExpressionAttributeNames: { '#version': 'version', '#at': 'at', '#by': 'by', '#changed': 'changed' },
      ExpressionAttributeValues: {
        ':pk': keys.postmortem(incidentId).pk,
        ':versions': 'VERSION#',
      },
      ConsistentRead: true,
    });
    return items
      .map((item) => ({
        version: Number(item.version),
        at: String(item.at),
        by: String(item.by),
        changed: Array.isArray(item.changed) ? item.changed.map(String) : [],
      }))
      .sort((a, b) => a.version - b.version);
  }

  async version(incidentId: string, version: number): Promise<PostmortemVersion | undefined> {
    const saved = await this.table.get<PostmortemVersion>(keys.postmortemVersion(incidentId, version));
    return saved ? { ...saved, fields: { ...emptyFields(), ...saved.fields } } : undefined;
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

  async taskTokenOf(incidentId: string): Promise<KeptToken | undefined> {
    const item = await this.table.getItem(keys.postmortem(incidentId));
    if (typeof item?.taskToken !== 'string') return undefined;
    const wait =
      item.taskTokenWait === 'postmortem' || item.taskTokenWait === 'approval'
        ? item.taskTokenWait
        : undefined;
    return { token: item.taskToken, ...(wait ? { wait } : {}) };
  }

  async keepTaskToken(
    incidentId: string,
    token: string,
    options: { execution?: string | undefined; wait?: PostmortemWait } = {},
  ): Promise<{ postmortem: Postmortem; waits: number } | undefined> {
    const { execution, wait } = options;
    const keep = (update: string, condition: string, values: Record<string, unknown>) =>
      this.table.updateIfHolds({
        Key: keys.postmortem(incidentId),
        UpdateExpression: `${update}${wait ? ', taskTokenWait = :wait' : ' REMOVE taskTokenWait'}`,
        ConditionExpression: condition,
        ExpressionAttributeValues: { ':token': token, ...(wait ? { ':wait': wait } : {}), ...values },
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
