import type { Server } from 'node:http';
import {
  type AttributeDefinition,
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type LocalSecondaryIndex,
  ResourceNotFoundException,
  type TableDescription,
  UpdateTableCommand,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { withItemChanges } from './streams.ts';
import type { StackModel } from './template.ts';

/**
 * DynamoDB locally: dynalite in this process, persisted under the data folder, with every table of the template
 * created from its KeySchema/AttributeDefinitions/indexes. Time to live is not set up: dynalite has no
 * UpdateTimeToLive and deletes nothing, so readers must filter expired items as they should on AWS anyway.
 */

type Log = (line: string) => void;

/** dynalite, with its item changes followed (the tables' streams: streams.ts). */
export function createDynalite(path: string): Server {
  return withItemChanges(() => dynalite({ path, createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 }));
}

export interface LocalTable {
  logicalId: string;
  name: string;
  keySchema: KeySchemaElement[];
  attributes: AttributeDefinition[];
  globalIndexes: GlobalSecondaryIndex[];
  localIndexes: LocalSecondaryIndex[];
}

interface IndexProps {
  IndexName: string;
  KeySchema: KeySchemaElement[];
  Projection?: GlobalSecondaryIndex['Projection'];
}

export function tablesFromTemplate(model: StackModel): LocalTable[] {
  return model.resourcesOfType('AWS::DynamoDB::Table', 'AWS::DynamoDB::GlobalTable').map(([logicalId, r]) => {
    const props = model.resolve(r.Properties ?? {}, `${logicalId}.Properties`) as {
      KeySchema: KeySchemaElement[];
      AttributeDefinitions: AttributeDefinition[];
      GlobalSecondaryIndexes?: IndexProps[];
      LocalSecondaryIndexes?: IndexProps[];
    };
    const index = (i: IndexProps) => ({
      IndexName: i.IndexName,
      KeySchema: i.KeySchema,
      Projection: i.Projection ?? { ProjectionType: 'ALL' as const },
    });
    return {
      logicalId,
      name: model.physicalName(logicalId),
      keySchema: props.KeySchema,
      attributes: props.AttributeDefinitions,
      globalIndexes: (props.GlobalSecondaryIndexes ?? []).map(index),
      localIndexes: (props.LocalSecondaryIndexes ?? []).map(index),
    };
  });
}

/** Creates missing tables, and adds global indexes the template gained since the data was created. */
export async function ensureTables(
  endpoint: string,
  region: string,
  tables: LocalTable[],
  log: Log,
): Promise<void> {
  const client = new DynamoDBClient({
    endpoint,
    region,
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  try {
    for (const table of tables) {
      let existing: TableDescription | undefined;
      try {
        existing = (await client.send(new DescribeTableCommand({ TableName: table.name }))).Table;
      } catch (error) {
        if (!(error instanceof ResourceNotFoundException)) throw error;
      }
      if (!existing) {
        await client.send(
          new CreateTableCommand({
            TableName: table.name,
            KeySchema: table.keySchema,
            AttributeDefinitions: table.attributes,
            BillingMode: 'PAY_PER_REQUEST',
            ...(table.globalIndexes.length > 0 ? { GlobalSecondaryIndexes: table.globalIndexes } : {}),
            ...(table.localIndexes.length > 0 ? { LocalSecondaryIndexes: table.localIndexes } : {}),
          }),
        );
        await untilActive(client, table.name);
        log(`[dynamodb] created table ${table.name}`);
        continue;
      }
      const present = new Set((existing.GlobalSecondaryIndexes ?? []).map((i) => i.IndexName));
      for (const index of table.globalIndexes.filter((i) => !present.has(i.IndexName))) {
        await client.send(
          new UpdateTableCommand({
            TableName: table.name,
            AttributeDefinitions: table.attributes,
            GlobalSecondaryIndexUpdates: [{ Create: index }],
          }),
        );
        await untilActive(client, table.name);
        log(`[dynamodb] added index ${index.IndexName} to ${table.name}`);
      }
    }
  } finally {
    client.destroy();
  }
}

/**
 * dynalite answers CreateTable and UpdateTable at once but makes the table (and its indexes) ACTIVE on a later
 * tick; until then every call on it is ResourceNotFoundException. The SDK's waiter polls in whole seconds, which
 * would add a second to every start: this polls every few milliseconds.
 */
async function untilActive(client: DynamoDBClient, name: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const { Table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const indexes = Table?.GlobalSecondaryIndexes ?? [];
    if (Table?.TableStatus === 'ACTIVE' && indexes.every((i) => i.IndexStatus === 'ACTIVE')) return;
    if (Date.now() > deadline)
      throw new Error(`table ${name} did not become ACTIVE in ${timeoutMs / 1000} s`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}
