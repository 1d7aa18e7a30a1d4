import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isConditionalCheckFailed } from '../../functions/adapters/errors.ts';
import { dynamoDbRetries, PerCallRetryStrategy } from '../../functions/adapters/retry.ts';
import { createDynalite, ensureTables, type LocalTable } from '../../infra/local/dynamodb.ts';
import { dynamoDbFaultFront, FaultInjector } from '../../infra/local/faults.ts';

/**
 * The functions' retry strategy: the SDK's standard mode per call, without the client-wide quota. Checked on
 * its own and against dynalite behind the local target's fault front, next to the SDK's default for contrast.
 */

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const table: LocalTable = {
  logicalId: 'Retries',
  name: 'retries',
  keySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
  attributes: [{ AttributeName: 'pk', AttributeType: 'S' }],
  globalIndexes: [],
  localIndexes: [],
};
const dir = mkdtempSync(join(tmpdir(), 'hotline-retry-'));
const faults = new FaultInjector();
let dynalite: Server;
let front: Server;
let endpoint: string;

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

beforeAll(async () => {
  dynalite = createDynalite(join(dir, 'db'));
  const direct = await listen(dynalite);
  front = dynamoDbFaultFront(dynalite, faults);
  endpoint = await listen(front);
  await ensureTables(direct, region, [table], () => undefined);
});

afterAll(async () => {
  await new Promise((resolve) => front?.close(resolve));
  await new Promise((resolve) => dynalite?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const transient = { errorType: 'TRANSIENT' } as const;

describe('PerCallRetryStrategy', () => {
  it('retries transient and throttling errors up to the attempt bound, never client errors', async () => {
    const strategy = new PerCallRetryStrategy(dynamoDbRetries);
    let token = await strategy.acquireInitialRetryToken();
    for (let retry = 1; retry < dynamoDbRetries.maxAttempts; retry++) {
      token = await strategy.refreshRetryTokenForRetry(
        token,
        retry % 2 ? transient : { errorType: 'THROTTLING' },
      );
      expect(token.getRetryCount()).toBe(retry);
    }
    await expect(strategy.refreshRetryTokenForRetry(token, transient)).rejects.toThrow(/No retry token/);
    const fresh = await strategy.acquireInitialRetryToken();
    await expect(strategy.refreshRetryTokenForRetry(fresh, { errorType: 'CLIENT_ERROR' })).rejects.toThrow();
    await expect(strategy.refreshRetryTokenForRetry(fresh, { errorType: 'SERVER_ERROR' })).rejects.toThrow();
  });

  it('waits a full-jitter exponential backoff, capped', async () => {
    const highest = new PerCallRetryStrategy({ ...dynamoDbRetries, maxAttempts: 20 }, () => 0.999_999);
    let token = await highest.acquireInitialRetryToken();
    const delays: number[] = [];
    for (let i = 0; i < 10; i++) {
      token = await highest.refreshRetryTokenForRetry(token, transient);
      delays.push(token.getRetryDelay());
    }
    expect(delays.slice(0, 4)).toEqual([24, 49, 99, 199]);
    expect(Math.max(...delays)).toBe(dynamoDbRetries.maxDelayMs - 1);
    const throttled = await highest.refreshRetryTokenForRetry(await highest.acquireInitialRetryToken(), {
      errorType: 'THROTTLING',
    });
    expect(throttled.getRetryDelay()).toBe(dynamoDbRetries.throttlingBaseDelayMs - 1);
    const lowest = new PerCallRetryStrategy(dynamoDbRetries, () => 0);
    const none = await lowest.refreshRetryTokenForRetry(await lowest.acquireInitialRetryToken(), transient);
    expect(none.getRetryDelay()).toBe(0);
  });

  it('keeps every call retrying through a long run of failures, where the SDK default runs out', async () => {
    // 30% of calls fail, half of them after the write (a conditional retry then fails against itself).
    faults.set({ dynamodb: 0.3 });
    const run = async (client: DynamoDBClient, prefix: string) => {
      let unavailable = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = next++; i < 400; i = next++) {
            try {
              await client.send(
                new PutItemCommand({
                  TableName: table.name,
                  Item: { pk: { S: `${prefix}-${i}` } },
                  ConditionExpression: 'attribute_not_exists(pk)',
                }),
              );
            } catch (error) {
              if (!isConditionalCheckFailed(error)) unavailable++;
            }
          }
        }),
      );
      return unavailable;
    };
    const fast = { ...dynamoDbRetries, baseDelayMs: 1, maxDelayMs: 5 };
    const perCall = new DynamoDBClient({
      region,
      credentials,
      endpoint,
      maxAttempts: fast.maxAttempts,
      retryStrategy: new PerCallRetryStrategy(fast),
    });
    const sdkDefault = new DynamoDBClient({ region, credentials, endpoint });
    try {
      // Five attempts at 30% each: about one call in 400 still fails (0.3^5 = 0.24%); 7 or more is 1 in 10,000.
      expect(await run(perCall, 'per-call')).toBeLessThanOrEqual(6);
      // The default's 500-token quota pays 14 per retry and is never refunded by a failed condition.
      expect(await run(sdkDefault, 'default')).toBeGreaterThan(20);
    } finally {
      faults.set({ dynamodb: 0 });
      perCall.destroy();
      sdkDefault.destroy();
    }
  });
});
