import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type LocalTarget, startLocalTarget } from '../../infra/local/target.ts';
import { eventually } from '../support/eventually.ts';
import { synthToyStacks } from './fixtures/local-target/toy-stack.ts';

/**
 * The local target on a toy stack built from the same CDK constructs as the real one: everything it runs comes
 * from the synthesized template, so a route or a state added to the stack runs with no other change.
 */

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let dir: string;
let assemblyDir: string;
let base: LocalTarget;
const logs: string[] = [];

const baseOptions = () => ({
  assemblyDir,
  stackName: 'ToyBase',
  dataDir: join(dir, 'base-data'),
  waitTimeOverrides: { Pause: 10 },
  retryIntervalOverrides: { Work: 0 },
  log: (line: string) => logs.push(line),
});

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-local-target-'));
  assemblyDir = join(dir, 'cdk.out');
  synthToyStacks(assemblyDir);
  base = await startLocalTarget(baseOptions());
});

afterAll(async () => {
  await base?.stop();
  rmSync(dir, { recursive: true, force: true });
});

const sfnOf = (t: LocalTarget) => new SFNClient({ endpoint: t.urls.aws, region: 'eu-west-1', credentials });
const item = async (t: LocalTarget, pk: string) => {
  const db = new DynamoDBClient({ endpoint: t.urls.dynamodb, region: 'eu-west-1', credentials });
  const out = await db.send(new GetItemCommand({ TableName: t.tables[0], Key: { pk: { S: pk } } }));
  db.destroy();
  return out.Item;
};
const startRun = (t: LocalTarget, name: string, input: object) =>
  sfnOf(t).send(
    new StartExecutionCommand({ stateMachineArn: t.stateMachines[0], name, input: JSON.stringify(input) }),
  );
const tokenFor = (t: LocalTarget, name: string) =>
  eventually(async () => (await item(t, `token#${name}`))?.token?.S, `the task token of ${name}`);
type Echoed = {
  // biome-ignore lint/suspicious/noExplicitAny: the echoed event is read loosely
  event: Record<string, any>;
  marker: string;
  functionName: string;
  hostHome: null;
  publicBaseUrl: string;
};

describe('HTTP API from the template', () => {
  it('builds a payload 2.0 event for a greedy route', async () => {
    const response = await fetch(`${base.urls.api}/echo/a%20b/c?x=1&x=2&y=`, {
      headers: { cookie: 'session=abc; theme=dark', 'X-Custom': 'One' },
    });
    expect(response.status).toBe(200);
    const { event } = (await response.json()) as Echoed;
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /echo/{proxy+}',
      rawPath: '/echo/a%20b/c',
      rawQueryString: 'x=1&x=2&y=',
      cookies: ['session=abc', 'theme=dark'],
      queryStringParameters: { x: '1,2', y: '' },
      pathParameters: { proxy: 'a b/c' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        http: { method: 'GET', path: '/echo/a%20b/c', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1' },
        routeKey: 'GET /echo/{proxy+}',
        stage: '$default',
      },
    });
    expect(event.headers['x-custom']).toBe('One');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(event.requestContext.time).toMatch(/^\d\d\/[A-Z][a-z]{2}\/\d{4}:\d\d:\d\d:\d\d \+0000$/);
    expect(typeof event.requestContext.timeEpoch).toBe('number');
  });

  it('passes text bodies as they are and binary bodies base64-encoded', async () => {
    const json = await fetch(`${base.urls.api}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(((await json.json()) as Echoed).event).toMatchObject({ body: '{"a":1}', isBase64Encoded: false });
    const binary = await fetch(`${base.urls.api}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'application/octet-stream' },
      body: new Uint8Array([0, 1, 2, 255]),
    });
    expect(((await binary.json()) as Echoed).event).toMatchObject({
      body: 'AAEC/w==',
      isBase64Encoded: true,
    });
  });

  it('maps structured, inferred and binary responses, and function errors', async () => {
    const structured = await fetch(`${base.urls.api}/echo/x`);
    expect(structured.headers.get('x-marker')).toBe('echo');
    expect(structured.headers.getSetCookie()).toEqual(['first=1; Path=/', 'second=2; Path=/']);
    const inferred = await fetch(`${base.urls.api}/echo/x/inferred`);
    expect(inferred.status).toBe(200);
    expect(inferred.headers.get('content-type')).toBe('application/json');
    expect(await inferred.json()).toEqual({ inferred: true, path: '/echo/x/inferred' });
    const binary = await fetch(`${base.urls.api}/echo/x/binary`);
    expect([...new Uint8Array(await binary.arrayBuffer())]).toEqual([0, 1, 2, 255]);
    const thrown = await fetch(`${base.urls.api}/echo/x/throw`);
    expect(thrown.status).toBe(500);
    expect(await thrown.json()).toMatchObject({ message: 'Internal Server Error' });
  });

  it('answers 404 for unknown routes and 413 above 10 MB', async () => {
    const unknown = await fetch(`${base.urls.api}/nope`);
    expect(unknown.status).toBe(404);
    expect(await unknown.json()).toMatchObject({ error: { code: 'NotFound' } });
    expect((await fetch(`${base.urls.api}/echo`, { method: 'DELETE' })).status).toBe(404);
    const big = await fetch(`${base.urls.api}/echo`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'x'.repeat(10 * 1024 * 1024 + 1),
    });
    expect(big.status).toBe(413);
  });

  it('requires the operator token on AWS_IAM routes and passes an IAM identity on', async () => {
    const missing = await fetch(`${base.urls.api}/private/echo`);
    expect(missing.status).toBe(403);
    expect(await missing.json()).toMatchObject({ error: { code: 'Forbidden' } });
    const wrong = await fetch(`${base.urls.api}/private/echo`, {
      headers: { authorization: 'Bearer wrong' },
    });
    expect(wrong.status).toBe(403);
    const ok = await fetch(`${base.urls.api}/private/echo`, {
      headers: { authorization: `Bearer ${base.operatorToken}` },
    });
    expect(ok.status).toBe(200);
    const { event } = (await ok.json()) as Echoed;
    expect(event.requestContext.authorizer.iam).toMatchObject({
      accountId: '000000000000',
      userArn: 'arn:aws:iam::000000000000:user/local-operator',
    });
    expect(event.headers.authorization).toBeUndefined();
  });
});

describe('functions from the template', () => {
  it('gives each function its own environment from the template, endpoints included', async () => {
    const echo = (await (await fetch(`${base.urls.api}/echo/env`)).json()) as Echoed;
    expect(echo).toMatchObject({ marker: 'echo', functionName: 'Echo', hostHome: null });
    expect(echo.publicBaseUrl).toBe(`${base.urls.api}/`);
    const step = (await base.functions.invoke('Step', { action: 'ok' })) as { marker: string };
    expect(step.marker).toBe('step');
    const fn = base.functions.find('Items');
    expect(fn?.env).toMatchObject({
      FUNCTION_MARKER: 'items',
      TABLE_NAME: 'ToyTable',
      // DynamoDB and SES through the fronts that authorise each call against the function's role.
      AWS_ENDPOINT_URL_DYNAMODB: base.functionUrls.dynamodb,
      AWS_ENDPOINT_URL_SFN: base.urls.aws,
      AWS_ENDPOINT_URL_SECRETS_MANAGER: base.urls.aws,
      AWS_ENDPOINT_URL_SSM: base.urls.aws,
      AWS_ENDPOINT_URL_SESV2: base.functionUrls.ses,
      STATE_MACHINE_ARN: base.stateMachines[0],
      // Each function calls as itself.
      AWS_ACCESS_KEY_ID: 'local-Items',
    });
    expect(base.functionUrls.dynamodb).not.toBe(base.urls.dynamodb);
  });

  it('reads generated secrets through the SDK', async () => {
    const secret = (await (await fetch(`${base.urls.api}/secret`)).json()) as { name: string; value: string };
    expect(secret.name).toBe('ToySecret');
    expect(secret.value).toBe(base.secrets.ToySecret);
    expect(JSON.parse(secret.value)).toEqual({ current: expect.stringMatching(/^[A-Za-z0-9]{48}$/) });
  });

  it('times a function out as Lambda does and starts a fresh worker after', async () => {
    const started = Date.now();
    await expect(base.functions.invoke('Step', { action: 'slow' })).rejects.toMatchObject({
      name: 'Sandbox.Timedout',
    });
    expect(Date.now() - started).toBeLessThan(3000);
    expect(await base.functions.invoke('Step', { action: 'ok' })).toMatchObject({ ok: true });
  });
});

describe('workflow from the template', () => {
  it('runs a Lambda task with Retry after a shortened Wait, started by a handler through the SDK', async () => {
    const started = await fetch(`${base.urls.api}/start/flaky-1`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ action: 'flaky' }),
    });
    expect(started.status).toBe(202);
    const { executionArn } = (await started.json()) as { executionArn: string };
    const record = await base.stepFunctions.waitForExecution(executionArn);
    expect(record.status).toBe('SUCCEEDED');
    expect(JSON.parse(record.output ?? '')).toMatchObject({
      work: { ok: true, attempts: 3, marker: 'step' },
    });
    const entered = record.events
      .filter((e) => e.type === 'StateEntered')
      .map((e) => `${e.state}:${e.stateType}`);
    expect(entered).toEqual([
      'ShouldPause:Choice',
      'Pause:Wait',
      'Work:Task',
      'NeedsApproval:Choice',
      'Done:Succeed',
    ]);
  });

  it('routes a task failure through Catch to the recording task (lambda:invoke) and the Fail state', async () => {
    const { executionArn } = await startRun(base, 'fail-1', { skipPause: true, action: 'fail' });
    const record = await base.stepFunctions.waitForExecution(executionArn ?? '');
    expect(record).toMatchObject({ status: 'FAILED', error: 'ToyWorkflowFailed', cause: 'a task failed' });
    const failure = await item(base, 'failure#fail-1');
    expect(failure?.error?.S).toBe('ToyFailure');
    expect(JSON.parse(failure?.cause?.S ?? '{}')).toMatchObject({
      errorType: 'ToyFailure',
      errorMessage: 'step failed for fail-1',
    });
  });

  it('waits for a task token and resumes on SendTaskSuccess from the SDK', async () => {
    const sfn = sfnOf(base);
    const { executionArn } = await startRun(base, 'approve-1', {
      skipPause: true,
      action: 'ok',
      approve: true,
    });
    const token = await tokenFor(base, 'approve-1');
    expect(base.stepFunctions.pendingTasks(executionArn)).toEqual([
      { token, executionArn, stateName: 'Approval' },
    ]);
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ approvedBy: 'ops' }) }),
    );
    const record = await base.stepFunctions.waitForExecution(executionArn ?? '');
    expect(record.status).toBe('SUCCEEDED');
    expect(JSON.parse(record.output ?? '')).toMatchObject({ approval: { approvedBy: 'ops' } });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('treats StartExecution with a known name as Step Functions does', async () => {
    const input = { skipPause: true, action: 'ok', approve: true };
    const first = await startRun(base, 'HOT-7', input);
    expect((await startRun(base, 'HOT-7', input)).executionArn).toBe(first.executionArn);
    await expect(startRun(base, 'HOT-7', { ...input, other: true })).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
    const sfn = sfnOf(base);
    await sfn.send(new SendTaskSuccessCommand({ taskToken: await tokenFor(base, 'HOT-7'), output: '{}' }));
    const described = await eventually(async () => {
      const out = await sfn.send(new DescribeExecutionCommand({ executionArn: first.executionArn }));
      return out.status === 'RUNNING' ? undefined : out;
    }, 'HOT-7 to finish');
    expect(described.status).toBe('SUCCEEDED');
    await expect(startRun(base, 'HOT-7', input)).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });
});

describe('schedules from the template', () => {
  it('lists the rate and cron schedules with their next run', () => {
    const list = base.schedules.list();
    expect(list).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'NightlyRun',
          expression: 'rate(5 minutes)',
          next: expect.any(Date),
        }),
        expect.objectContaining({
          name: 'TickRule',
          expression: 'cron(0 6 ? * MON-FRI *)',
          next: expect.any(Date),
        }),
      ]),
    );
  });

  it('starts the state machine and invokes the function its targets name', async () => {
    const before = base.stepFunctions.executionsOf().length;
    await base.schedules.trigger('NightlyRun');
    const started = base.stepFunctions.executionsOf().slice(before);
    expect(started).toHaveLength(1);
    expect(JSON.parse(started[0]?.input ?? '')).toEqual({ skipPause: true, action: 'ok' });
    // The tick count is the stack's own (a real 06:00 weekday tick adds to it too): count this trigger's.
    const ticksBefore = Number((await item(base, 'ticks'))?.count?.N ?? 0);
    await base.schedules.trigger('TickRule');
    const ticks = await item(base, 'ticks');
    expect(Number(ticks?.count?.N)).toBe(ticksBefore + 1);
    expect(JSON.parse(ticks?.lastEvent?.S ?? '{}')).toMatchObject({
      'detail-type': 'Scheduled Event',
      source: 'aws.events',
    });
  });
});

describe('restart', () => {
  it('keeps data, secrets and the operator token, and resumes running executions where they were', async () => {
    const put = await fetch(`${base.urls.api}/items/kept`, { method: 'PUT', body: 'still here' });
    expect(put.status).toBe(201);
    const { executionArn } = await startRun(base, 'across-restart', {
      skipPause: true,
      action: 'ok',
      approve: true,
    });
    const oldToken = await tokenFor(base, 'across-restart');
    const before = { secrets: base.secrets, token: base.operatorToken };
    await base.stop();

    logs.length = 0;
    base = await startLocalTarget(baseOptions());
    expect(base.secrets).toEqual(before.secrets);
    expect(base.operatorToken).toBe(before.token);
    const got = await fetch(`${base.urls.api}/items/kept`, {
      headers: { authorization: `Bearer ${base.operatorToken}` },
    });
    expect(await got.json()).toMatchObject({ id: 'kept', value: 'still here' });
    // It goes on at the callback wait it was in: the wait's task runs again with the token it had, so the token
    // its callers hold stays good, as on AWS where the execution never stopped.
    expect(logs.some((l) => /resuming across-restart at \w+/.test(l))).toBe(true);
    const resumed = base.stepFunctions.describeExecution(executionArn ?? '');
    expect(resumed.events.find((e) => e.type === 'ExecutionResumed')?.state).toBe(resumed.checkpoint?.state);
    await eventually(
      async () => (base.stepFunctions.pendingTasks(executionArn).length > 0 ? true : undefined),
      'the wait to go on',
    );
    expect(base.stepFunctions.pendingTasks(executionArn).map((t) => t.token)).toEqual([oldToken]);
    await sfnOf(base).send(new SendTaskSuccessCommand({ taskToken: oldToken, output: '{}' }));
    expect((await base.stepFunctions.waitForExecution(executionArn ?? '')).status).toBe('SUCCEEDED');
  });
});

describe('a route and a state added to the stack', () => {
  let extended: LocalTarget;
  beforeAll(async () => {
    extended = await startLocalTarget({
      assemblyDir,
      stackName: 'ToyExtended',
      dataDir: join(dir, 'extended-data'),
      waitScale: 0.0001,
      log: () => undefined,
    });
  });
  afterAll(() => extended?.stop());

  it('serves the added route only where the template has it', async () => {
    expect((await fetch(`${extended.urls.api}/added`)).status).toBe(200);
    expect((await fetch(`${base.urls.api}/added`)).status).toBe(404);
  });

  it('runs the added state, with a one-hour Wait scaled down', async () => {
    const started = Date.now();
    const { executionArn } = await startRun(extended, 'added-1', { action: 'ok' });
    const record = await extended.stepFunctions.waitForExecution(executionArn ?? '');
    expect(record.status).toBe('SUCCEEDED');
    expect(Date.now() - started).toBeLessThan(5000);
    expect(record.events.filter((e) => e.type === 'StateEntered').map((e) => e.state)).toContain('AddedStep');
    expect(JSON.parse(record.output ?? '')).toMatchObject({ added: { action: 'added' } });
  });

  it('times a token wait out at the scaled TimeoutSeconds and catches States.Timeout', async () => {
    const { executionArn } = await startRun(extended, 'timeout-1', {
      skipPause: true,
      action: 'ok',
      approve: true,
    });
    const record = await extended.stepFunctions.waitForExecution(executionArn ?? '');
    expect(record.status).toBe('FAILED');
    expect((await item(extended, 'failure#timeout-1'))?.error?.S).toBe('States.Timeout');
  });
});

describe('IAM on the toy stack', () => {
  it('denied none of the toy functions calls: the constructs grant what their code calls', () => {
    // The default roles CDK gives the toy functions carry the AWS managed basic execution policy, which the
    // local target knows; each call above was authorised against them.
    expect(base.iam.deniedCalls()).toEqual([]);
    expect(Object.keys(base.iam.usage().principals)).toContain('Items');
  });
});
