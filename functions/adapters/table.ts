import {
  DeleteCommand,
  type DeleteCommandInput,
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  type QueryCommandInput,
  UpdateCommand,
  type UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import { type Key, stripKeys } from '../core/keys.ts';
import { isConditionalCheckFailed } from './errors.ts';

/**
 * What every repository of the single table shares: reads, and conditional writes that answer whether their
 * condition held. ConditionalCheckFailedException is recognised here and nowhere else.
 */
export class Table {
  constructor(
    readonly db: DynamoDBDocumentClient,
    readonly name: string,
  ) {}

  /** A consistent read of one item, without its storage attributes (keys, type). */
  async get<T>(key: Key): Promise<T | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }),
    );
    return result.Item ? (entity(result.Item) as T) : undefined;
  }

  /** The raw item (storage attributes included). */
  async getItem(key: Key): Promise<Record<string, unknown> | undefined> {
    const result = await this.db.send(
      new GetCommand({ TableName: this.name, Key: key, ConsistentRead: true }),
    );
    return result.Item;
  }

  /** A conditional update: its ReturnValues (an empty object without), or undefined when its condition failed. */
  async updateIfHolds(
    input: Omit<UpdateCommandInput, 'TableName'>,
  ): Promise<Record<string, unknown> | undefined> {
    try {
      const result = await this.db.send(new UpdateCommand({ TableName: this.name, ...input }));
      return result.Attributes ?? {};
    } catch (error) {
      if (isConditionalCheckFailed(error)) return undefined;
      throw error;
    }
  }

  /** A conditional put: true when its condition held. */
  async putIfHolds(item: Record<string, unknown>, condition: Condition): Promise<boolean> {
    return this.holds(() => this.db.send(new PutCommand({ TableName: this.name, Item: item, ...condition })));
  }

  /** A conditional delete: true when its condition held. */
  async deleteIfHolds(key: Key, condition: Omit<DeleteCommandInput, 'TableName' | 'Key'>): Promise<boolean> {
    return this.holds(() =>
      this.db.send(new DeleteCommand({ TableName: this.name, Key: key, ...condition })),
    );
  }

  /**
   * Conditional create. True when this call created the item; false when it already existed (and, with
   * `sameAs`, matched those attributes; a mismatch is an error: two things claimed one key).
   */
  async putOnce(
    item: Record<string, unknown>,
    options: { sameAs?: Record<string, unknown> } = {},
  ): Promise<boolean> {
    if (await this.putIfHolds(item, { ConditionExpression: 'attribute_not_exists(pk)' })) return true;
    if (options.sameAs) {
      const existing = await this.getItem({ pk: String(item.pk), sk: String(item.sk) });
      for (const [name, value] of Object.entries(options.sameAs)) {
        if (existing?.[name] !== value)
          throw new Error(`${String(item.pk)} already belongs to another ${name}`);
      }
    }
    return false;
  }

  /** Every item a query matches, over all its pages (for bounded partitions: one incident's items). */
  async queryAll(input: Omit<QueryCommandInput, 'TableName' | 'ExclusiveStartKey'>) {
    const items: Record<string, unknown>[] = [];
    let cursor: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({ TableName: this.name, ...input, ExclusiveStartKey: cursor }),
      );
      items.push(...(page.Items ?? []));
      cursor = page.LastEvaluatedKey;
    } while (cursor);
    return items;
  }

  async query(input: Omit<QueryCommandInput, 'TableName'>) {
    return this.db.send(new QueryCommand({ TableName: this.name, ...input }));
  }

  /**
   * The one protocol for "do this once": a leased claim on one item. One conditional UpdateItem creates the item
   * (`claimed`), or takes over one that is not done and whose lease has passed or that has no lease (`taken-over`:
   * its holder died, or 0.1.0 wrote it without one); else it answers the item as it is, `done` (it carries the
   * done attribute) or `held` (another owner's lease runs). `attributes` are written with the claim (the record
   * itself). The holder ends the claim with `completeClaim` (one conditional write that sets the done attribute)
   * or gives it back with `releaseClaim`; a holder that dies is taken over after its lease, so the lease must
   * outlast the work it covers.
   */
  async claim(key: Key, options: ClaimOptions): Promise<Claim> {
    const done = options.doneAttribute ?? DEFAULT_DONE;
    const now = options.now.toISOString();
    const until = new Date(options.now.getTime() + options.leaseMs).toISOString();
    const names: Record<string, string> = { '#done': done, '#owner': CLAIM_OWNER, '#until': CLAIM_UNTIL };
    const values: Record<string, unknown> = { ':owner': options.owner, ':until': until, ':now': now };
    const sets = ['#owner = :owner', '#until = :until'];
    Object.entries(options.attributes ?? {}).forEach(([name, value], i) => {
      if (name === 'pk' || name === 'sk' || value === undefined) return;
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      sets.push(`#a${i} = :a${i}`);
    });
    for (let round = 0; round < 3; round++) {
      const old = await this.updateIfHolds({
        Key: key,
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression:
          'attribute_not_exists(pk) OR (attribute_not_exists(#done) AND (attribute_not_exists(#until) OR #until <= :now))',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
        ReturnValues: 'ALL_OLD',
      });
      if (old)
        return Object.keys(old).length === 0
          ? { outcome: 'claimed' }
          : { outcome: 'taken-over', previous: old };
      const item = await this.getItem(key);
      if (item?.[done] !== undefined) return { outcome: 'done', item };
      if (item && typeof item[CLAIM_UNTIL] === 'string' && (item[CLAIM_UNTIL] as string) > now)
        return { outcome: 'held', item };
      // Released or expired between the write and the read: claim again.
    }
    throw new Error(`the claim on ${key.pk}/${key.sk} keeps changing hands`);
  }

  /** Ends a claim this owner holds: sets the done attribute (and `attributes`); false when it no longer holds it. */
  async completeClaim(
    key: Key,
    options: { owner: string; doneAttribute?: string; attributes: Record<string, unknown> },
  ): Promise<boolean> {
    const done = options.doneAttribute ?? DEFAULT_DONE;
    if (options.attributes[done] === undefined) throw new Error(`completing a claim needs its ${done}`);
    const names: Record<string, string> = { '#done': done, '#owner': CLAIM_OWNER };
    const values: Record<string, unknown> = { ':owner': options.owner };
    const sets: string[] = [];
    Object.entries(options.attributes).forEach(([name, value], i) => {
      if (value === undefined) return;
      names[`#a${i}`] = name;
      values[`:a${i}`] = value;
      sets.push(`#a${i} = :a${i}`);
    });
    const held = await this.updateIfHolds({
      Key: key,
      UpdateExpression: `SET ${sets.join(', ')}`,
      ConditionExpression: '#owner = :owner AND attribute_not_exists(#done)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    });
    return held !== undefined;
  }

  /**
   * Gives a claim back while this owner holds it and it is not done (false otherwise), so the next attempt need
   * not wait for the lease: `forget` deletes the item (DeleteItem), else the lease is ended in place (UpdateItem,
   * for functions that may not delete).
   */
  async releaseClaim(
    key: Key,
    options: { owner: string; doneAttribute?: string; forget?: boolean },
  ): Promise<boolean> {
    const condition = {
      ConditionExpression: '#owner = :owner AND attribute_not_exists(#done)',
      ExpressionAttributeNames: { '#owner': CLAIM_OWNER, '#done': options.doneAttribute ?? DEFAULT_DONE },
    };
    if (options.forget) {
      return this.deleteIfHolds(key, {
        ...condition,
        ExpressionAttributeValues: { ':owner': options.owner },
      });
    }
    const held = await this.updateIfHolds({
      Key: key,
      UpdateExpression: 'SET #until = :ended',
      ...condition,
      ExpressionAttributeNames: { ...condition.ExpressionAttributeNames, '#until': CLAIM_UNTIL },
      ExpressionAttributeValues: {
        ':owner': options.owner,
        ':ended': new Date(0).toISOString(),
      },
    });
    return held !== undefined;
  }

  private async holds(write: () => Promise<unknown>): Promise<boolean> {
    try {
      await write();
      return true;
    } catch (error) {
      if (isConditionalCheckFailed(error)) return false;
      throw error;
    }
  }
}

/** The claim's own attributes: who holds it and until when (storage plumbing: `entity` leaves them out). */
export const CLAIM_OWNER = 'claimOwner';
export const CLAIM_UNTIL = 'claimUntil';
/** The done attribute of a claim whose record names none of its own. */
const DEFAULT_DONE = 'completedAt';

export interface ClaimOptions {
  /** Who claims (unique per attempt): only this owner may complete or release the claim. */
  owner: string;
  now: Date;
  /** How long the claim keeps others out: longer than the work it covers may take (else two may do it). */
  leaseMs: number;
  /** The attribute whose presence makes the claim done (default `completedAt`): records of 0.1.0 name theirs. */
  doneAttribute?: string;
  /** Written with the claim, whether it creates the item or takes it over. */
  attributes?: Record<string, unknown>;
}

export type Claim =
  /** This call created the item: do the work. */
  | { outcome: 'claimed' }
  /** The item was not done and no lease held it: this call holds it now (do the work, which may be half done). */
  | { outcome: 'taken-over'; previous: Record<string, unknown> }
  /** The work was done: the item that says so. */
  | { outcome: 'done'; item: Record<string, unknown> }
  /** Another owner's lease runs: it is doing the work now. */
  | { outcome: 'held'; item: Record<string, unknown> };

type Condition = {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
};

/** An item as its entity: without keys, index attributes and the type tag. */
export function entity(item: Record<string, unknown>): Record<string, unknown> {
  const { type: _type, [CLAIM_OWNER]: _owner, [CLAIM_UNTIL]: _until, ...rest } = stripKeys(item);
  return rest;
}
