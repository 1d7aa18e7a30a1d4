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
import { seededRandom } from '../support/seeded-random.ts';

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
let dynalite: Server;

const listen = (server: Server) =>
  new Promise<string>((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve(`http://127.0.0.1:${(server.address() as AddressInfo).port}`),
    ),
  );

beforeAll(async () => {
  dynalite = createDynalite(join(dir, 'db'));
  const direct = await listen(dynalite);
  await ensureTables(direct, region, [table], () => undefined);
});

afterAll(async () => {
  await new Promise((resolve) => dynalite?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

/**
 * A fault front of its own in front of the test's dynalite, failing `rate` of the calls with faults drawn from a
 * seeded source: calls made one after another meet the same faults on every run.
 */
async function faultFront(rate: number, seed: number) {
  const injector = new FaultInjector({ dynamodb: rate }, seededRandom(seed));
  const server = dynamoDbFaultFront(dynalite, injector);
  const endpoint = await listen(server);
  return {
    endpoint,
    injector,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

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
    // 30% of calls fail, half of them after the write (a conditional retry then fails against itself). The
    // calls go one at a time (in flight together, which call meets which fault would vary), so with the seeded
    // faults every run meets the same ones.
    const seed = 20_261_120;
    const run = async (client: DynamoDBClient, prefix: string) => {
      let unavailable = 0;
      for (let i = 0; i < 400; i++) {
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
      return unavailable;
    };
    const fast = { ...dynamoDbRetries, baseDelayMs: 1, maxDelayMs: 5 };
    const perCallFront = await faultFront(0.3, seed);
    const defaultFront = await faultFront(0.3, seed);
    const perCall = new DynamoDBClient({
      region,
      credentials,
      endpoint: perCallFront.endpoint,
      maxAttempts: fast.maxAttempts,
      retryStrategy: new PerCallRetryStrategy(fast, seededRandom(seed)),
    });
    const sdkDefault = new DynamoDBClient({ region, credentials, endpoint: defaultFront.endpoint });
    // Replaying the seed without a server: a call fails only when each of its five attempts meets a fault.
    const replay = new FaultInjector({ dynamodb: 0.3 }, seededRandom(seed));
    let fiveFaultsInARow = 0;
    for (let call = 0; call < 400; call++) {
      let faulted = 0;
      while (faulted < fast.maxAttempts && replay.decide('dynamodb') !== 'pass') faulted++;
      if (faulted === fast.maxAttempts) fiveFaultsInARow++;
    }
    try {
      expect(await run(perCall, 'per-call')).toBe(fiveFaultsInARow);
      expect(perCallFront.injector.stats()).toEqual(replay.stats());
      // What the seed gives (0.3^5 of 400 calls is about one).
      expect(fiveFaultsInARow).toBe(1);
      expect(replay.stats().dynamodb).toEqual({ requests: 557, rejected: 85, lostReplies: 73 });

      // The default's 500-token quota pays 14 per retry and is never refunded by a failed condition: once it is
      // spent, a call's first fault is final. The same seed's faults, and the SDK's own quota, give exactly this.
      expect(await run(sdkDefault, 'default')).toBe(46);
      expect(defaultFront.injector.stats().dynamodb).toEqual({
        requests: 488,
        rejected: 73,
        lostReplies: 61,
      });
    } finally {
      perCall.destroy();
      sdkDefault.destroy();
      await perCallFront.close();
      await defaultFront.close();
    }
  });
});
