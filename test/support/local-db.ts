import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { marshallOptions } from '../../functions/adapters/dynamodb.ts';
import { buildApp } from '../../infra/build-app.ts';
import { createDynalite, ensureTables, tablesFromTemplate } from '../../infra/local/dynamodb.ts';
import { loadAssembly, StackModel } from '../../infra/local/template.ts';
import { organisation } from './organisation.ts';

export interface LocalDb {
  client: DynamoDBDocumentClient;
  table: string;
  endpoint: string;
  count(): Promise<number>;
  stop(): Promise<void>;
}

/** dynalite with the stack's own table (keys and indexes from the synthesized template, not a copy). */
export async function startLocalDb(): Promise<LocalDb> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-db-'));
  const { app } = buildApp({ organisation, outdir: join(dir, 'cdk.out'), nag: false, bundle: false });
  app.synth();
  const model = new StackModel(loadAssembly(join(dir, 'cdk.out'), 'Hotline'));
  const tables = tablesFromTemplate(model);
  const server = createDynalite(join(dir, 'db'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await ensureTables(endpoint, 'us-east-1', tables, () => undefined);
  const raw = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
  // The functions' own marshalling: tests write and read items exactly as the functions do.
  const client = DynamoDBDocumentClient.from(raw, { marshallOptions });
  const table = tables[0]?.name ?? 'missing';
  return {
    client,
    table,
    endpoint,
    async count() {
      let total = 0;
      let start: Record<string, unknown> | undefined;
      do {
        const page = await raw.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start as never }));
        total += page.Count ?? 0;
        start = page.LastEvaluatedKey;
      } while (start);
      return total;
    },
    async stop() {
      raw.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
