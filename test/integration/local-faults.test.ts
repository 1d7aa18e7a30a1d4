import { DynamoDBClient, GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { ListExecutionsCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTarget } from '../../infra/local/target.ts';
import { States } from '../../infra/workflow/states.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { seededRandom } from '../support/seeded-random.ts';

/**
 * Fault injection on the local target (the real stack): the functions' DynamoDB and Step Functions calls fail
 * at the set fraction, half rejected before they take effect and half with the reply lost after; tests and
 * counting keep a fault-free view; setFaults(0) stops them.
 */

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
// One attempt per call: the SDK's own retries would hide the faults this test counts.
const once = { region, credentials, maxAttempts: 1 };
let hotline: HotlineTarget;
let target: LocalTarget;

beforeAll(async () => {
  hotline = await startHotline({
    faults: {},
    // Seeded: the same faults in the same order on every run (which call meets which still depends on timing).
    faultRandom: seededRandom(20261130),
    retryIntervalOverrides: Object.fromEntries(Object.values(States).map((s) => [s, 1])),
  });
  target = hotline.target;
});

afterAll(async () => {
  await hotline?.stop();
});

/** Runs `call` n times, 8 at a time, and returns each outcome's error (undefined for success). */
async function outcomes(n: number, call: (i: number) => Promise<unknown>): Promise<Array<Error | undefined>> {
  const results: Array<Error | undefined> = new Array(n);
  let next = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      for (let i = next++; i < n; i = next++) {
        results[i] = await call(i).then(
          () => undefined,
          (error: Error) => error,
        );
      }
    }),
  );
  return results;
}

const tableName = () => target.tables[0] ?? '';
const functionsDynamoDb = () => target.functions.functions[0]?.env.AWS_ENDPOINT_URL_DYNAMODB ?? '';

describe('fault injection on the local target', () => {
  it('points the functions at a fault front, not at urls.dynamodb, and starts with no faults', async () => {
    expect(functionsDynamoDb()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(functionsDynamoDb()).not.toBe(target.urls.dynamodb);
    for (const fn of target.functions.functions)
      expect(fn.env.AWS_ENDPOINT_URL_DYNAMODB).toBe(functionsDynamoDb());
    const db = new DynamoDBClient({ ...once, endpoint: functionsDynamoDb() });
    const results = await outcomes(50, (i) =>
      db.send(
        new GetItemCommand({ TableName: tableName(), Key: { pk: { S: `none-${i}` }, sk: { S: 'x' } } }),
      ),
    );
    expect(results.filter(Boolean)).toEqual([]);
  });

  it('fails about the set fraction of DynamoDB calls, both before and after the write', async () => {
    const before = target.faultStats().dynamodb;
    target.setFaults({ dynamodb: 0.3 });
    const front = new DynamoDBClient({ ...once, endpoint: functionsDynamoDb() });
    const direct = new DynamoDBClient({ ...once, endpoint: target.urls.dynamodb });
    const key = (i: number) => ({ pk: { S: `fault-test-${i}` }, sk: { S: 'item' } });
    const n = 400;
    const results = await outcomes(n, (i) =>
      front.send(new PutItemCommand({ TableName: tableName(), Item: { ...key(i), n: { N: String(i) } } })),
    );
    target.setFaults({ dynamodb: 0 });

    const failed = results.flatMap((error, i) => (error ? [i] : []));
    for (const i of failed) {
      const error = results[i] as Error & { $metadata?: { httpStatusCode?: number } };
      expect(error.name).toBe('InternalServerError');
      expect(error.$metadata?.httpStatusCode).toBe(500);
    }
    // 120 expected; the binomial's standard deviation is about 9.
    expect(failed.length).toBeGreaterThan(80);
    expect(failed.length).toBeLessThan(160);

    const stored = await outcomes(n, async (i) => {
      const item = await direct.send(new GetItemCommand({ TableName: tableName(), Key: key(i) }));
      if (!item.Item) throw new Error('missing');
    });
    // Every success was written; of the failures, the lost replies were written and the rejected ones not.
    expect(stored.filter((e, i) => e && !results[i])).toEqual([]);
    const lostReplies = failed.filter((i) => !stored[i]).length;
    const rejected = failed.filter((i) => stored[i]).length;
    expect(lostReplies).toBeGreaterThan(20);
    expect(rejected).toBeGreaterThan(20);
    const counted = target.faultStats().dynamodb;
    expect({
      lostReplies: counted.lostReplies - before.lostReplies,
      rejected: counted.rejected - before.rejected,
    }).toEqual({ lostReplies, rejected });

    const after = await outcomes(100, (i) =>
      front.send(new GetItemCommand({ TableName: tableName(), Key: key(i) })),
    );
    expect(after.filter(Boolean)).toEqual([]);
  });

  it('fails Step Functions calls the same two ways, and leaves Parameter Store alone', async () => {
    const sfn = new SFNClient({ ...once, endpoint: target.urls.aws });
    const [stateMachineArn] = target.stateMachines;
    const stats = () => target.faultStats().stepFunctions;
    const before = stats();
    target.setFaults({ stepFunctions: 0.5 });

    const reads = await outcomes(200, () => sfn.send(new ListExecutionsCommand({ stateMachineArn })));
    const readFailures = reads.filter(Boolean).length;
    expect(readFailures).toBeGreaterThan(70);
    expect(readFailures).toBeLessThan(130);
    for (const error of reads.filter(Boolean)) {
      expect(error?.name).toBe('InternalFailure');
      expect((error as { $fault?: string }).$fault).toBe('server');
    }

    const names = Array.from({ length: 60 }, (_, i) => `FAULT-${i}`);
    const starts = await outcomes(names.length, (i) =>
      sfn.send(
        new StartExecutionCommand({
          stateMachineArn,
          name: names[i],
          input: JSON.stringify({ incidentId: `none-${i}`, key: names[i] }),
        }),
      ),
    );
    const ssm = new SSMClient({ ...once, endpoint: target.urls.aws });
    const secretReads = await outcomes(40, () =>
      ssm.send(new GetParameterCommand({ Name: Object.keys(target.parameters)[0], WithDecryption: true })),
    );
    target.setFaults({ stepFunctions: 0 });

    expect(secretReads.filter(Boolean)).toEqual([]);
    const started = new Set(target.stepFunctions.executionsOf().map((e) => e.name));
    // A lost reply started the execution; a rejected call did not; a success always did.
    expect(names.filter((name, i) => !starts[i] && !started.has(name))).toEqual([]);
    const lost = names.filter((name, i) => starts[i] && started.has(name)).length;
    const rejected = names.filter((name, i) => starts[i] && !started.has(name)).length;
    expect(lost).toBeGreaterThan(3);
    expect(rejected).toBeGreaterThan(3);
    expect(stats().requests - before.requests).toBe(260);
    expect(stats().lostReplies - before.lostReplies + stats().rejected - before.rejected).toBe(
      readFailures + lost + rejected,
    );

    const after = await outcomes(50, () => sfn.send(new ListExecutionsCommand({ stateMachineArn })));
    expect(after.filter(Boolean)).toEqual([]);
  });

  it('refuses a fraction outside 0..1', () => {
    expect(() => target.setFaults({ dynamodb: 1.5 })).toThrow(/between 0 and 1/);
    expect(() => target.setFaults({ stepFunctions: -0.1 })).toThrow(/between 0 and 1/);
  });
});
