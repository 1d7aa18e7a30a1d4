import { mkdtempSync, rmSync } from 'node:fs';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DeleteItemCommand,
  DynamoDBClient,
  PutItemCommand,
  UpdateItemCommand,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBRecord } from 'aws-lambda';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { newReportRunPattern } from '../../functions/adapters/report-runs.ts';
import { keys } from '../../functions/core/keys.ts';
import { runIdsOf } from '../../functions/handlers/run-slo-report.ts';
import { buildApp } from '../../infra/build-app.ts';
import { createDynalite, ensureTables, tablesFromTemplate } from '../../infra/local/dynamodb.ts';
import { LambdaError, type LambdaRuntime, type LocalFunction } from '../../infra/local/functions.ts';
import { LocalIam } from '../../infra/local/iam/local-iam.ts';
import type { SecretStore } from '../../infra/local/secrets.ts';
import type { StepFunctionsService } from '../../infra/local/stepfunctions.ts';
import {
  EventSourceMappingError,
  eventSourceMappingsFromTemplate,
  LocalStreams,
  matches,
  parsePattern,
  type StreamFailureRecord,
  type StreamRecord,
  streamsFromTemplate,
} from '../../infra/local/streams.ts';
import { loadAssembly, StackModel } from '../../infra/local/template.ts';
import { eventually } from '../support/eventually.ts';
import { organisation } from '../support/organisation.ts';

/*
 * The hand-off of a long report run: Reports writes the run record, and the table's stream starts RunSloReport
 * through the event source mapping of the synthesized stack (its filter, batch size, retries and on-failure
 * destination), here on dynalite with the local target's streams (infra/local/streams.ts) and a stand-in for the
 * function, so each delivery and failure is seen.
 */

let dir: string;
let model: StackModel;
let server: Server;
let client: DynamoDBClient;
let table: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-streams-'));
  const { app } = buildApp({ organisation, outdir: join(dir, 'cdk.out'), nag: false, bundle: false });
  app.synth();
  model = new StackModel(loadAssembly(join(dir, 'cdk.out'), 'Hotline'));
  const tables = tablesFromTemplate(model);
  table = tables[0]?.name ?? 'missing';
  server = createDynalite(join(dir, 'db'));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await ensureTables(endpoint, 'us-east-1', tables, () => undefined);
  client = new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
});

afterAll(async () => {
  client?.destroy();
  await new Promise((resolve) => server?.close(resolve));
  rmSync(dir, { recursive: true, force: true });
});

const runRecord = (runId: string) => {
  const key = keys.reportJob(runId);
  return {
    pk: { S: key.pk },
    sk: { S: key.sk },
    type: { S: 'reportJob' },
    runId: { S: runId },
    status: { S: 'queued' },
  };
};
const put = (item: Record<string, { S: string }>) =>
  client.send(new PutItemCommand({ TableName: table, Item: item }));

/** A stand-in for the runtime: records each invocation and answers as `behave` says. */
function stubRuntime(behave: (event: { Records: StreamRecord[] }) => unknown) {
  const calls: StreamRecord[][] = [];
  const fn = {
    logicalId: 'RunSloReport',
    name: 'RunSloReport',
    arn: 'arn:aws:lambda:us-east-1:000000000000:function:RunSloReport',
  };
  const runtime = {
    find: (id: string) => (id.includes('RunSloReport') ? fn : undefined),
    invoke: async (_arn: string, event: { Records: StreamRecord[] }) => {
      calls.push(event.Records);
      return behave(event);
    },
  } as unknown as LambdaRuntime;
  return { runtime, calls };
}

describe('the report-run hand-off through the table stream', () => {
  let streams: LocalStreams | undefined;
  const failures: Array<{ destination: string; record: StreamFailureRecord }> = [];
  beforeEach(async () => {
    await streams?.stop();
    streams = undefined;
    failures.length = 0;
  });
  afterAll(() => streams?.stop());

  const start = (behave: (event: { Records: StreamRecord[] }) => unknown, refuse?: string) => {
    const { runtime, calls } = stubRuntime(behave);
    streams = new LocalStreams(server, model, runtime, {
      log: () => undefined,
      pollMs: 10,
      deliver: async (_fn: LocalFunction, destination, record) => void failures.push({ destination, record }),
      authorizeStreamRead: () => refuse,
    });
    return calls;
  };

  it('reads the mapping from the template: keys-only stream, new run records only, one a batch, bounded retries', () => {
    const [mapping, ...others] = eventSourceMappingsFromTemplate(model);
    expect(others).toEqual([]);
    expect(mapping).toMatchObject({
      startingPosition: 'LATEST',
      batchSize: 1,
      maximumRetryAttempts: 2,
      maximumRecordAgeSeconds: 300,
      parallelizationFactor: 10,
      bisectBatchOnFunctionError: false,
      onFailure: expect.stringMatching(/^arn:aws:sns:/),
    });
    expect(mapping?.filters).toEqual([newReportRunPattern]);
    expect(mapping?.eventSourceArn).toMatch(/:table\/[^/]+\/stream\//);
  });

  it('starts the runner once per new run record, with its run id, and for nothing else', async () => {
    const calls = start(() => ({ outcome: 'done' }));
    const before = `before-${Date.now()}`;
    await put(runRecord(before));
    await put({ pk: { S: 'INCIDENT#x' }, sk: { S: 'INCIDENT' }, type: { S: 'incident' } });
    // A change of the run (its claim, its completion) is a MODIFY: not a new run.
    await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: keys.reportJob(before).pk }, sk: { S: keys.reportJob(before).sk } },
        UpdateExpression: 'SET #s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': { S: 'done' } },
      }),
    );
    // The weekly report's runs are other items (REPORT#...): not for this runner.
    await put({ pk: { S: 'REPORT#2026-01-01#2026-01-08' }, sk: { S: 'RUN#abc' }, type: { S: 'reportRun' } });
    await eventually(
      async () => (streams?.idle() && calls.length > 0 ? true : undefined),
      'the delivery',
      5_000,
    );
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(calls).toHaveLength(1);
    const [batch] = calls;
    expect(batch).toHaveLength(1);
    expect(batch?.[0]).toMatchObject({
      eventName: 'INSERT',
      eventSource: 'aws:dynamodb',
      dynamodb: {
        Keys: { pk: { S: `REPORTJOB#${before}` }, sk: { S: 'REPORTJOB' } },
        StreamViewType: 'KEYS_ONLY',
      },
    });
    // Keys only: the stream carries no item content.
    expect(batch?.[0]?.dynamodb).not.toHaveProperty('NewImage');
    // What the handler makes of it: the run's id.
    expect(runIdsOf({ Records: batch as unknown as DynamoDBRecord[] })).toEqual([before]);
    expect(failures).toEqual([]);
  });

  it('retries a failed batch twice, then tells the operators where it was (the on-failure destination)', async () => {
    const calls = start(() => {
      throw new LambdaError('Error', 'the table is throttling');
    });
    const runId = `failing-${Date.now()}`;
    await put(runRecord(runId));
    await eventually(async () => (failures.length > 0 ? true : undefined), 'the failure record', 5_000);
    expect(calls).toHaveLength(3);
    const [failure] = failures;
    expect(failure?.destination).toMatch(/^arn:aws:sns:/);
    expect(failure?.record).toMatchObject({
      requestContext: { condition: 'RetryAttemptsExhausted', approximateInvokeCount: 3 },
      DDBStreamBatchInfo: {
        batchSize: 1,
        startSequenceNumber: calls[0]?.[0]?.dynamodb.SequenceNumber,
        endSequenceNumber: calls[0]?.[0]?.dynamodb.SequenceNumber,
        streamArn: expect.stringMatching(/\/stream\//),
      },
    });
    // The mapping goes on after it: the next run is delivered.
    const next = `next-${Date.now()}`;
    await put(runRecord(next));
    await eventually(async () => (calls.length === 6 ? true : undefined), 'the next run', 5_000);
    expect(calls[5]?.[0]?.dynamodb.Keys.pk).toEqual({ S: `REPORTJOB#${next}` });
  });

  it('makes no record of a write that changes nothing, and a REMOVE of a delete', async () => {
    const calls = start(() => undefined);
    const runId = `same-${Date.now()}`;
    await put(runRecord(runId));
    await put(runRecord(runId));
    await client.send(
      new DeleteItemCommand({
        TableName: table,
        Key: { pk: { S: keys.reportJob(runId).pk }, sk: { S: keys.reportJob(runId).sk } },
      }),
    );
    await eventually(
      async () => (streams?.idle() && calls.length > 0 ? true : undefined),
      'the delivery',
      5_000,
    );
    const stream = streams?.streams[0];
    const records = stream?.after('').filter((r) => r.record.dynamodb.Keys.pk?.S === `REPORTJOB#${runId}`);
    expect(records?.map((r) => r.record.eventName)).toEqual(['INSERT', 'REMOVE']);
    expect(calls).toHaveLength(1);
  });

  it("authorises the stream reads against the function's role in the template: the runner's, nobody else's", () => {
    const iam = new LocalIam(
      model,
      {
        stepFunctions: { stateMachines: [] } as unknown as StepFunctionsService,
        secrets: {} as SecretStore,
        lambda: { find: () => undefined } as unknown as LambdaRuntime,
      },
      { mode: 'enforce', log: () => undefined },
    );
    const [stream] = streamsFromTemplate(model);
    if (!stream) throw new Error('the table has no stream');
    expect(stream.viewType).toBe('KEYS_ONLY');
    expect(iam.streamRead('RunSloReport', stream.streamArn)).toBeUndefined();
    expect(iam.streamRead('Reports', stream.streamArn)).toMatch(
      /not authorized to perform: dynamodb:DescribeStream/,
    );
    // Another table's stream (or another stream of this one) is not the runner's.
    expect(
      iam.streamRead('RunSloReport', `${stream.streamArn.replace(/\/stream\/.*$/, '')}/stream/other`),
    ).toMatch(/not authorized/);
  });

  it('refuses a mapping whose role cannot read the stream, as CreateEventSourceMapping does', () => {
    expect(() => start(() => undefined, 'RunSloReport may not dynamodb:GetRecords')).toThrowError(
      EventSourceMappingError,
    );
    expect(() => start(() => undefined, 'denied')).toThrowError(
      /GetRecords, GetShardIterator, DescribeStream, and ListStreams/,
    );
  });
});

describe('filter patterns, as Lambda matches them', () => {
  const pattern = parsePattern(JSON.stringify(newReportRunPattern));
  const record = (eventName: string, pk: string, sk: string) => ({
    eventName,
    dynamodb: { Keys: { pk: { S: pk }, sk: { S: sk } } },
  });

  it('lets the INSERT of a run record through, and nothing else', () => {
    expect(matches(pattern, record('INSERT', 'REPORTJOB#abc', 'REPORTJOB'))).toBe(true);
    expect(matches(pattern, record('MODIFY', 'REPORTJOB#abc', 'REPORTJOB'))).toBe(false);
    expect(matches(pattern, record('REMOVE', 'REPORTJOB#abc', 'REPORTJOB'))).toBe(false);
    expect(matches(pattern, record('INSERT', 'REPORTJOB#abc', 'PART#0000'))).toBe(false);
    expect(matches(pattern, record('INSERT', 'REPORT#2026', 'REPORTJOB'))).toBe(false);
    expect(matches(pattern, { eventName: 'INSERT' })).toBe(false);
  });

  it('implements the operators it accepts, and refuses the ones it does not', () => {
    const p = (value: unknown) => parsePattern(JSON.stringify({ a: value }));
    expect(matches(p([{ suffix: '.x' }]), { a: 'f.x' })).toBe(true);
    expect(matches(p([{ 'anything-but': ['b'] }]), { a: 'c' })).toBe(true);
    expect(matches(p([{ 'anything-but': ['b'] }]), { a: 'b' })).toBe(false);
    expect(matches(p([{ numeric: ['>', 1, '<=', 3] }]), { a: 3 })).toBe(true);
    expect(matches(p([{ numeric: ['>', 1, '<=', 3] }]), { a: 4 })).toBe(false);
    expect(matches(p([{ exists: false }]), {})).toBe(true);
    expect(matches(p([{ 'equals-ignore-case': 'AbC' }]), { a: 'abc' })).toBe(true);
    expect(matches(p(['x', 'y']), { a: ['z', 'y'] })).toBe(true);
    expect(() => p([{ wildcard: '*.x' }])).toThrowError(/not/);
    expect(() => parsePattern('not json')).toThrowError(/not JSON/);
  });

  it('gives the handler the run ids of a direct invocation too', () => {
    expect(runIdsOf({ runId: 'abc' })).toEqual(['abc']);
    expect(runIdsOf({})).toEqual([]);
    expect(runIdsOf({ Records: [] })).toEqual([]);
  });
});
