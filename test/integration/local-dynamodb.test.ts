import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { DescribeTableCommand, DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import dynaliteServer from 'dynalite';
import { describe, expect, it } from 'vitest';
import { ensureTables, type LocalTable } from '../../infra/local/dynamodb.ts';

/** The local target's tables: created from the template's shapes, and usable once the target says so. */

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

describe('ensureTables', () => {
  it('returns only once a new table and its indexes take calls (dynalite activates them later)', async () => {
    // Activation takes a tick in the local target's dynalite, and longer here so that it cannot be missed.
    const slow = dynaliteServer({ createTableMs: 50, updateTableMs: 50 });
    const direct = await listen(slow);
    const db = new DynamoDBClient({ region, credentials, endpoint: direct, maxAttempts: 1 });
    try {
      const fresh: LocalTable = {
        logicalId: 'Fresh',
        name: 'fresh',
        keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
        attributes: [
          { AttributeName: 'pk', AttributeType: 'S' },
          { AttributeName: 'g', AttributeType: 'S' },
        ],
        localIndexes: [],
        globalIndexes: [
          {
            IndexName: 'byG',
            KeySchema: [{ AttributeName: 'g', KeyType: 'HASH' }],
            Projection: { ProjectionType: 'ALL' },
          },
        ],
      };
      await ensureTables(direct, region, [fresh], () => undefined);
      await db.send(new PutItemCommand({ TableName: fresh.name, Item: { pk: { S: 'x' }, g: { S: 'y' } } }));
      const status = await db.send(new DescribeTableCommand({ TableName: fresh.name }));
      expect(status.Table?.GlobalSecondaryIndexes?.[0]?.IndexStatus).toBe('ACTIVE');
    } finally {
      db.destroy();
      await new Promise((resolve) => slow.close(resolve));
    }
  });
});
