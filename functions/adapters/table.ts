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

type Condition = {
  ConditionExpression: string;
  ExpressionAttributeNames?: Record<string, string>;
  ExpressionAttributeValues?: Record<string, unknown>;
};

/** An item as its entity: without keys, index attributes and the type tag. */
export function entity(item: Record<string, unknown>): Record<string, unknown> {
  const { type: _type, ...rest } = stripKeys(item);
  return rest;
}
