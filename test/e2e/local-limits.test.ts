import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient, GetItemCommand, PutItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
// client-lambda is in node_modules through aws-local-stepfunctions: what the Invoke caller sees is the point.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import { BadRequestException, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SendTaskSuccessCommand, SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { HttpApi, HttpMethod } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Code, Function as LambdaFunction, Runtime } from 'aws-cdk-lib/aws-lambda';
import {
  Choice,
  Condition,
  DefinitionBody,
  JsonPath,
  Pass,
  StateMachine,
  Succeed,
  TaskInput,
  Timeout,
} from 'aws-cdk-lib/aws-stepfunctions';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DYNAMODB_MAX_ITEM_BYTES,
  dynamoDbItemSize,
  dynamoDbLimitViolation,
  SES_MAX_RECIPIENTS,
  SES_V1_MAX_MESSAGE_BYTES,
  SES_V2_MAX_MESSAGE_BYTES,
  sesLimitViolation,
} from '../../infra/local/limits.ts';
import { HISTORY_EVENT_LIMIT, PAYLOAD_LIMIT_BYTES } from '../../infra/local/stepfunctions.ts';
import { type LocalTarget, startLocalTarget } from '../../infra/local/target.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { parseXml } from '../support/xml.ts';

/**
 * The local target refuses what AWS refuses for the service limits a green run could otherwise hide: SES's
 * recipients and message size, DynamoDB's 400 KB item, Lambda's 6 MB payloads, each function's timeout and
 * memory from the template, and the HTTP API's integration timeout. Each case is made as the caller makes it
 * (the SDK, or HTTP) and asserts what AWS shows that caller; each has its counterpart just within the limit.
 */

const MiB = 1024 * 1024;
const region = 'us-east-1';
const as = (functionId: string) => ({ accessKeyId: `local-${functionId}`, secretAccessKey: 'local' });

/** The rejection a call ends in; fails the test when the call went through. */
async function refusal(call: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  const error = await call.then(
    () => undefined,
    (e: Error) => e,
  );
  expect(error, 'the call was allowed').toBeDefined();
  return error as Error;
}

/** A raw MIME message of exactly `bytes` bytes: lines of 998 characters, as RFC 5322 allows. */
function rawMessage(from: string, bytes: number, marker: string): Buffer {
  const head = Buffer.from(`From: ${from}\r\nTo: someone@example.com\r\nSubject: ${marker}\r\n\r\n`);
  const message = Buffer.alloc(bytes, `${'x'.repeat(998)}\r\n`);
  head.copy(message);
  return message;
}

const addresses = (count: number, prefix: string) =>
  Array.from({ length: count }, (_, i) => `${prefix}${i}@example.com`);

describe('SES and DynamoDB limits, through the fronts the functions call', () => {
  let hotline: HotlineTarget;
  beforeAll(async () => {
    // One call below is refused by IAM on purpose (authorisation comes before the limits); the last test checks
    // that it is the only denial.
    hotline = await startHotline({ expectDenials: true });
  });
  afterAll(async () => hotline?.stop());

  const sender = () =>
    hotline.target.model
      .resourcesOfType('AWS::SES::EmailIdentity')
      .map(([id]) => hotline.target.model.physicalName(id))[0] ?? '';
  const configurationSet = () =>
    hotline.target.model
      .resourcesOfType('AWS::SES::ConfigurationSet')
      .map(([id]) => hotline.target.model.physicalName(id))[0] ?? '';
  const ses = (functionId: string) =>
    new SESv2Client({
      endpoint: hotline.target.functionUrls.ses,
      region,
      credentials: as(functionId),
      maxAttempts: 1,
    });
  /** The subjects of the mail the SES emulator holds: what got past the front. */
  const delivered = async () => {
    const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as {
      emails: Array<{ subject: string }>;
    };
    return store.emails.map((e) => e.subject);
  };
  const simpleMail = (subject: string, to: string[], cc: string[] = [], bcc: string[] = []) =>
    new SendEmailCommand({
      FromEmailAddress: sender(),
      Destination: { ToAddresses: to, CcAddresses: cc, BccAddresses: bcc },
      ConfigurationSetName: configurationSet(),
      Content: { Simple: { Subject: { Data: subject }, Body: { Text: { Data: 'limits' } } } },
    });
  const rawMail = (bytes: number, subject: string) =>
    new SendEmailCommand({
      ConfigurationSetName: configurationSet(),
      Content: { Raw: { Data: rawMessage(sender(), bytes, subject) } },
    });

  /** An SES v1 (query protocol) call as the SDK v1 client makes it; the front reads the key id, not the signature. */
  const v1 = (functionId: string, params: Record<string, string>) =>
    fetch(hotline.target.functionUrls.ses, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded; charset=utf-8',
        authorization: `AWS4-HMAC-SHA256 Credential=local-${functionId}/20260101/${region}/ses/aws4_request, SignedHeaders=host, Signature=${'0'.repeat(64)}`,
      },
      body: new URLSearchParams({ Version: '2010-12-01', ...params }).toString(),
    });
  /** The Error of an SES v1 ErrorResponse, as the SDK v1 client reads it. */
  const v1Error = (xml: string) => {
    const root = parseXml(xml);
    const error = root.children.find((c) => c.name === 'Error');
    const field = (name: string) => error?.children.find((c) => c.name === name)?.text;
    return { root: root.name, type: field('Type'), code: field('Code'), message: field('Message') };
  };

  it('sends to 50 recipients and refuses 51 (To, Cc and Bcc together) with the BadRequestException AWS answers', async () => {
    await ses('RespondToIncident').send(
      simpleMail('limits-50', addresses(30, 'to'), addresses(10, 'cc'), addresses(10, 'bcc')),
    );
    const error = await refusal(
      ses('RespondToIncident').send(
        simpleMail('limits-51', addresses(30, 'to'), addresses(10, 'cc'), addresses(11, 'bcc')),
      ),
    );
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toBe('Recipient count exceeds 50.');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    const subjects = await delivered();
    expect(subjects).toContain('limits-50');
    expect(subjects).not.toContain('limits-51');
  });

  it('refuses a raw v2 message over 40 MB before the emulator sees it, and sends one within the limit', async () => {
    // Within the limit at a size the emulator takes (it reads request bodies up to 25 MB).
    await ses('SendSloReports').send(rawMail(5 * MiB, 'limits-raw-5mb'));
    const bytes = SES_V2_MAX_MESSAGE_BYTES + 1;
    const error = await refusal(ses('SendSloReports').send(rawMail(bytes, 'limits-raw-40mb')));
    expect(error).toBeInstanceOf(BadRequestException);
    expect(error.message).toBe(`Message length is more than 41943040 bytes long: '${bytes}'.`);
    const subjects = await delivered();
    expect(subjects).toContain('limits-raw-5mb');
    expect(subjects).not.toContain('limits-raw-40mb');
  });

  it('answers the v1 query API in its XML, InvalidParameterValue for 51 recipients and for a raw message over 10 MB', async () => {
    const to = (count: number) =>
      Object.fromEntries(
        addresses(count, 'v1-').map((a, i) => [`Destination.ToAddresses.member.${i + 1}`, a]),
      );
    const simple = (subject: string, count: number) =>
      v1('RespondToIncident', {
        Action: 'SendEmail',
        Source: sender(),
        ConfigurationSetName: configurationSet(),
        'Message.Subject.Data': subject,
        'Message.Body.Text.Data': 'limits',
        ...to(count),
      });
    const fifty = await simple('limits-v1-50', SES_MAX_RECIPIENTS);
    expect(fifty.status).toBe(200);
    expect(await fifty.text()).toContain('<SendEmailResponse');
    const fiftyOne = await simple('limits-v1-51', SES_MAX_RECIPIENTS + 1);
    expect(fiftyOne.status).toBe(400);
    expect(v1Error(await fiftyOne.text())).toEqual({
      root: 'ErrorResponse',
      type: 'Sender',
      code: 'InvalidParameterValue',
      message: 'Recipient count exceeds 50.',
    });

    const raw = (bytes: number, subject: string) =>
      v1('SendSloReports', {
        Action: 'SendRawEmail',
        ConfigurationSetName: configurationSet(),
        'RawMessage.Data': rawMessage(sender(), bytes, subject).toString('base64'),
      });
    const within = await raw(SES_V1_MAX_MESSAGE_BYTES, 'limits-v1-raw-10mb');
    expect(within.status).toBe(200);
    const over = await raw(SES_V1_MAX_MESSAGE_BYTES + 1, 'limits-v1-raw-over');
    expect(over.status).toBe(400);
    expect(v1Error(await over.text())).toEqual({
      root: 'ErrorResponse',
      type: 'Sender',
      code: 'InvalidParameterValue',
      message: `Message length is more than 10485760 bytes long: '${SES_V1_MAX_MESSAGE_BYTES + 1}'.`,
    });
    const subjects = await delivered();
    expect(subjects).toEqual(expect.arrayContaining(['limits-v1-50', 'limits-v1-raw-10mb']));
    expect(subjects).not.toContain('limits-v1-51');
    expect(subjects).not.toContain('limits-v1-raw-over');
  });

  it('authorises before it checks a limit: a function without the grant is denied, not told the count', async () => {
    const error = await refusal(
      ses('StatusPage').send(simpleMail('limits-denied', addresses(SES_MAX_RECIPIENTS + 1, 'denied'))),
    );
    expect(error.name).toBe('AccessDeniedException');
  });

  const dynamo = () =>
    new DynamoDBClient({
      endpoint: hotline.target.functionUrls.dynamodb,
      region,
      credentials: as('RespondToIncident'),
      maxAttempts: 1,
    });
  const table = () => hotline.target.tables[0] ?? '';
  /** An item of exactly `bytes` bytes as DynamoDB counts them (ASCII names and strings: one byte a character). */
  const itemOf = (pk: string, bytes: number) => {
    const keys = { pk: { S: pk }, sk: { S: 'limits' } };
    const fixed = dynamoDbItemSize({ ...keys, data: { S: '' } });
    return { ...keys, data: { S: 'd'.repeat(bytes - fixed) } };
  };

  it('stores an item of 400 KB and refuses a PutItem one byte over, as AWS words it', async () => {
    const db = dynamo();
    const atLimit = itemOf('limits#put-400kb', DYNAMODB_MAX_ITEM_BYTES);
    expect(dynamoDbItemSize(atLimit)).toBe(409_600);
    await db.send(new PutItemCommand({ TableName: table(), Item: atLimit }));
    const error = await refusal(
      db.send(
        new PutItemCommand({
          TableName: table(),
          Item: itemOf('limits#put-over', DYNAMODB_MAX_ITEM_BYTES + 1),
        }),
      ),
    );
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe('Item size has exceeded the maximum allowed size');
    expect(error.$metadata?.httpStatusCode).toBe(400);
    const stored = await db.send(
      new GetItemCommand({ TableName: table(), Key: { pk: { S: 'limits#put-over' }, sk: { S: 'limits' } } }),
    );
    expect(stored.Item).toBeUndefined();
  });

  it('refuses an UpdateItem that grows a stored item past 400 KB, and leaves the item as it was', async () => {
    const db = dynamo();
    const key = { pk: { S: 'limits#update' }, sk: { S: 'limits' } };
    await db.send(new PutItemCommand({ TableName: table(), Item: itemOf('limits#update', 300 * 1024) }));
    const grow = (bytes: number) =>
      db.send(
        new UpdateItemCommand({
          TableName: table(),
          Key: key,
          UpdateExpression: 'SET #more = :more',
          ExpressionAttributeNames: { '#more': 'more' },
          ExpressionAttributeValues: { ':more': { S: 'm'.repeat(bytes) } },
        }),
      );
    // 'more' (4 bytes) and its value: up to exactly 400 KB, then past it.
    await grow(100 * 1024 - 4);
    const error = await refusal(grow(100 * 1024 - 3));
    expect(error.name).toBe('ValidationException');
    expect(error.message).toBe('Item size to update has exceeded the maximum allowed size');
    const stored = await db.send(new GetItemCommand({ TableName: table(), Key: key }));
    expect(stored.Item?.more?.S).toHaveLength(100 * 1024 - 4);
  });

  it('denied only the call made to be denied', () => {
    expect(hotline.target.iam.deniedCalls().map((d) => `${d.principal} ${d.action}`)).toEqual([
      'StatusPage ses:SendEmail',
    ]);
  });
});

describe('the limits as pure checks (what the fronts call)', () => {
  const v2Raw = (bytes: number) =>
    JSON.stringify({ Content: { Raw: { Data: Buffer.alloc(bytes, 'x').toString('base64') } } });
  const send = (body: string) => ({
    method: 'POST',
    path: '/v2/email/outbound-emails',
    body,
    contentType: 'application/json',
  });

  it('counts the recipients of a raw message in its headers when the request names none, groups included', () => {
    const mime = (to: string) =>
      Buffer.from(`From: a@example.com\r\nTo: ${to}\r\nSubject: x\r\n\r\nbody`).toString('base64');
    const request = (to: string) => send(JSON.stringify({ Content: { Raw: { Data: mime(to) } } }));
    const group = (count: number) => `"Team, the whole" : ${addresses(count, 'g').join(', ')};`;
    expect(sesLimitViolation(request(group(50)))).toBeUndefined();
    expect(sesLimitViolation(request(group(51)))?.body).toBe('{"message":"Recipient count exceeds 50."}');
  });

  it('takes a v2 message of exactly 40 MB and refuses one byte more', () => {
    expect(sesLimitViolation(send(v2Raw(SES_V2_MAX_MESSAGE_BYTES)))).toBeUndefined();
    expect(sesLimitViolation(send(v2Raw(SES_V2_MAX_MESSAGE_BYTES + 1)))).toMatchObject({
      status: 400,
      headers: { 'x-amzn-errortype': 'BadRequestException' },
    });
  });

  it('counts a simple message by its parts, attachments as base64', () => {
    const simple = (attachmentBytes: number) =>
      send(
        JSON.stringify({
          Content: {
            Simple: {
              Subject: { Data: 'x' },
              Body: { Text: { Data: 'y' } },
              Attachments: [
                { FileName: 'a.bin', RawContent: Buffer.alloc(attachmentBytes).toString('base64') },
              ],
            },
          },
        }),
      );
    // 30 MB of attachment is 40 MB once base64-encoded in the message.
    expect(sesLimitViolation(simple(30 * MiB - 3))).toBeUndefined();
    expect(sesLimitViolation(simple(30 * MiB + 1))?.body).toMatch(
      /^\{"message":"Message length is more than/,
    );
  });

  it('counts DynamoDB item sizes in UTF-8 bytes, as AWS does and dynalite does not', () => {
    const item = (text: string) => ({ pk: { S: 'k' }, sk: { S: 's' }, data: { S: text } });
    // 210,000 characters of 'é' are 420,000 bytes: over 400 KB on AWS, under it for dynalite's character count.
    const accented = item('é'.repeat(210_000));
    expect(dynamoDbItemSize(accented)).toBe(2 + 1 + 2 + 1 + 4 + 420_000);
    expect(
      dynamoDbLimitViolation('DynamoDB_20120810.PutItem', { TableName: 't', Item: accented }),
    ).toMatchObject({ status: 400 });
    expect(dynamoDbLimitViolation('DynamoDB_20120810.PutItem', { TableName: 't', Item: item('e') })).toBe(
      undefined,
    );
    expect(
      JSON.parse(
        dynamoDbLimitViolation('DynamoDB_20120810.BatchWriteItem', {
          RequestItems: { t: [{ PutRequest: { Item: accented } }] },
        })?.body ?? '{}',
      ),
    ).toEqual({
      __type: 'com.amazon.coral.validate#ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
    });
  });

  it('sizes numbers, lists and maps as the DynamoDB guide does', () => {
    // Names: 1 byte each. N 12345 (5 digits): 3 + 1. L [S 'ab', BOOL]: 3 + (1 + 2) + (1 + 1). M {k: NULL}: 3 + (1 + 1 + 1).
    expect(
      dynamoDbItemSize({
        n: { N: '12345' },
        l: { L: [{ S: 'ab' }, { BOOL: true }] },
        m: { M: { k: { NULL: true } } },
      }),
    ).toBe(1 + 4 + (1 + 8) + (1 + 6));
  });
});

/**
 * The function of the limits' own stack, written to the test's folder as its code asset (ESM, nothing to bundle):
 * the toy stack's handlers cannot sleep behind an HTTP route nor fill their heap, which these limits need.
 */
const LIMITS_HANDLER = `
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));
export const handler = async (event) => {
  if (event.requestContext) {
    if (event.routeKey === 'POST /echo') {
      return { statusCode: 200, headers: { 'content-type': 'text/plain' }, body: event.body ?? '' };
    }
    const ms = Number(event.pathParameters?.ms ?? 0);
    await sleep(ms);
    return { statusCode: 200, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ slept: ms }) };
  }
  if (event.action === 'sleep') {
    await sleep(event.ms);
    return { slept: event.ms };
  }
  if (event.action === 'allocate') {
    // Arrays of doubles live on the JS heap (a Buffer would not): 131,072 of them are 1 MB.
    const kept = [];
    for (let i = 0; i < event.mb; i++) kept.push(new Array(131072).fill(i + 0.5));
    return { allocated: kept.length };
  }
  if (event.action === 'respond') return 'x'.repeat(event.bytes - 2);
  return { ok: true };
};
`;

/** Function timeout 3 s and 256 MB; one route at the default 30 s integration timeout, one at 1 s. */
class LimitsStack extends Stack {
  constructor(scope: App, codeDir: string) {
    super(scope, 'HotlineLimits', { env: { region: 'eu-west-1' } });
    const fn = new LambdaFunction(this, 'Limits', {
      code: Code.fromAsset(codeDir),
      handler: 'index.handler',
      runtime: Runtime.NODEJS_24_X,
      timeout: Duration.seconds(3),
      memorySize: 256,
    });
    const api = new HttpApi(this, 'LimitsApi');
    api.addRoutes({
      path: '/wait/{ms}',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('Wait', fn),
    });
    api.addRoutes({
      path: '/hurried/{ms}',
      methods: [HttpMethod.GET],
      integration: new HttpLambdaIntegration('Hurried', fn, { timeout: Duration.seconds(1) }),
    });
    api.addRoutes({
      path: '/echo',
      methods: [HttpMethod.POST],
      integration: new HttpLambdaIntegration('Echo', fn),
    });
    const task = new LambdaInvoke(this, 'Sleep', {
      lambdaFunction: fn,
      payload: TaskInput.fromObject({ action: 'sleep', ms: JsonPath.numberAt('$.ms') }),
      taskTimeout: Timeout.duration(Duration.seconds(30)),
    });
    new StateMachine(this, 'LimitsWorkflow', { definitionBody: DefinitionBody.fromChainable(task) });
    // A loop that never ends: four history events a round, until the execution's history is full.
    const spin = new Pass(this, 'Spin');
    spin.next(
      new Choice(this, 'Again')
        .when(Condition.booleanEquals('$.stop', true), new Succeed(this, 'Stopped'))
        .otherwise(spin),
    );
    new StateMachine(this, 'Forever', { definitionBody: DefinitionBody.fromChainable(spin) });
    // A task whose answer is larger than a state may carry.
    const respond = new LambdaInvoke(this, 'Respond', {
      lambdaFunction: fn,
      payload: TaskInput.fromObject({ action: 'respond', bytes: JsonPath.numberAt('$.bytes') }),
      payloadResponseOnly: true,
      taskTimeout: Timeout.duration(Duration.seconds(30)),
    });
    new StateMachine(this, 'Large', { definitionBody: DefinitionBody.fromChainable(respond) });
  }
}

describe('Lambda and HTTP API limits from the template', () => {
  let dir: string;
  let target: LocalTarget;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-limits-'));
    const codeDir = join(dir, 'code');
    mkdirSync(codeDir);
    writeFileSync(join(codeDir, 'index.mjs'), LIMITS_HANDLER);
    const app = new App({ outdir: join(dir, 'cdk.out') });
    new LimitsStack(app, codeDir);
    app.synth();
    target = await startLocalTarget({
      assemblyDir: join(dir, 'cdk.out'),
      stackName: 'HotlineLimits',
      dataDir: join(dir, 'data'),
      log: () => undefined,
    });
    // Warm: the first invocation starts the function's worker, which is not what these tests time.
    await target.functions.invoke('Limits', { action: 'ok' });
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  const lambda = () => new LambdaClient({ endpoint: target.urls.aws, region, credentials, maxAttempts: 1 });
  const invoke = async (event: unknown) => {
    const out = await lambda().send(
      new InvokeCommand({ FunctionName: 'Limits', Payload: Buffer.from(JSON.stringify(event)) }),
    );
    return {
      functionError: out.FunctionError,
      payload: JSON.parse(Buffer.from(out.Payload ?? []).toString()),
    };
  };

  it('answers 503 Service Unavailable when the function outlasts the route integration timeout (1 s)', async () => {
    // The function's own timeout is 3 s: only the integration's cuts a 2 s answer short.
    expect((await fetch(`${target.urls.api}/hurried/0`)).status).toBe(200);
    const late = await fetch(`${target.urls.api}/hurried/2000`);
    expect(late.status).toBe(503);
    expect(await late.json()).toMatchObject({ message: 'Service Unavailable' });
  });

  it('fails a function past its own timeout (3 s): a 500 at the API, Sandbox.Timedout in Step Functions', async () => {
    expect((await fetch(`${target.urls.api}/wait/100`)).status).toBe(200);
    const timedOut = await fetch(`${target.urls.api}/wait/10000`);
    expect(timedOut.status).toBe(500);
    expect(await timedOut.json()).toMatchObject({ message: 'Internal Server Error' });

    const sfn = new SFNClient({ endpoint: target.urls.aws, region, credentials, maxAttempts: 1 });
    const run = async (name: string, ms: number) => {
      const { executionArn } = await sfn.send(
        new StartExecutionCommand({
          stateMachineArn: target.stateMachines[0],
          name,
          input: JSON.stringify({ ms }),
        }),
      );
      return target.stepFunctions.waitForExecution(executionArn ?? '');
    };
    expect((await run('quick', 100)).status).toBe('SUCCEEDED');
    const failed = await run('too-slow', 10_000);
    expect(failed).toMatchObject({ status: 'FAILED', error: 'Sandbox.Timedout' });
    expect(JSON.parse(failed.cause ?? '{}')).toMatchObject({
      errorType: 'Sandbox.Timedout',
      errorMessage: 'Task timed out after 3.00 seconds',
    });
  });

  it('bounds the heap by the memory size in the template (256 MB): Runtime.OutOfMemory past it', async () => {
    // Well within the heap (100 of 256 MB): nearer the limit, the collector's work under a loaded machine can take
    // the 3 s timeout (seen once at 160 MB with the suite and a browser on 2 cores).
    expect(await invoke({ action: 'allocate', mb: 100 })).toEqual({
      functionError: undefined,
      payload: { allocated: 100 },
    });
    expect(await invoke({ action: 'allocate', mb: 400 })).toMatchObject({
      functionError: 'Unhandled',
      payload: { errorType: 'Runtime.OutOfMemory' },
    });
    // The sandbox that ran out is replaced: the next invocation runs.
    expect((await invoke({ action: 'ok' })).payload).toEqual({ ok: true });
  });

  it('fails a response over 6 MB with Function.ResponseSizeTooLarge, and returns one within it', async () => {
    const within = await invoke({ action: 'respond', bytes: 6 * MiB - 1024 });
    expect(within.functionError).toBeUndefined();
    expect(within.payload).toHaveLength(6 * MiB - 1024 - 2);
    expect(await invoke({ action: 'respond', bytes: 6 * MiB + 1024 })).toMatchObject({
      functionError: 'Unhandled',
      payload: { errorType: 'Function.ResponseSizeTooLarge' },
    });
  });

  it('refuses an invocation request over 6 MB with RequestTooLargeException, a 413 at the HTTP API', async () => {
    // What the HTTP API and Step Functions hand the function goes through the runtime's own check.
    const event = (bytes: number) => ({ action: 'ok', padding: 'p'.repeat(bytes) });
    expect(await target.functions.invoke('Limits', event(6 * MiB - 1024))).toEqual({ ok: true });
    await expect(target.functions.invoke('Limits', event(6 * MiB + 1024))).rejects.toMatchObject({
      name: 'RequestTooLargeException',
    });

    // The HTTP API takes 10 MB, but the event it builds for the function must fit Lambda's 6 MB.
    const post = (bytes: number) =>
      fetch(`${target.urls.api}/echo`, {
        method: 'POST',
        headers: { 'content-type': 'text/plain' },
        body: 'b'.repeat(bytes),
      });
    const echoed = await post(5 * MiB);
    expect(echoed.status).toBe(200);
    expect((await echoed.text()).length).toBe(5 * MiB);
    const tooLarge = await post(7 * MiB);
    expect(tooLarge.status).toBe(413);
    expect(await tooLarge.json()).toMatchObject({ message: 'Request Entity Too Large' });
  });

  it('refuses a direct Lambda Invoke over 6 MB as AWS does, with a 413 the SDK reads', async () => {
    const sent = lambda().send(
      new InvokeCommand({
        FunctionName: 'Limits',
        Payload: Buffer.from(JSON.stringify({ action: 'ok', padding: 'p'.repeat(6 * MiB + 1024) })),
      }),
    );
    await expect(sent).rejects.toMatchObject({ $metadata: { httpStatusCode: 413 } });
    await expect(sent).rejects.toThrow(
      /Request must be smaller than 6291456 bytes for the InvokeFunction operation/,
    );
  });
});

describe('Step Functions limits of Standard workflows', () => {
  let dir: string;
  let target: LocalTarget;
  const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
  const sfn = () => new SFNClient({ endpoint: target.urls.aws, region, credentials, maxAttempts: 1 });
  const machine = (name: string) => target.stateMachines.find((arn) => arn.includes(name)) ?? '';
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-sfn-limits-'));
    const codeDir = join(dir, 'code');
    mkdirSync(codeDir);
    writeFileSync(join(codeDir, 'index.mjs'), LIMITS_HANDLER);
    const app = new App({ outdir: join(dir, 'cdk.out') });
    new LimitsStack(app, codeDir);
    app.synth();
    target = await startLocalTarget({
      assemblyDir: join(dir, 'cdk.out'),
      stackName: 'HotlineLimits',
      dataDir: join(dir, 'data'),
      log: () => undefined,
    });
  });
  afterAll(async () => {
    await target?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('fails an execution whose history passes 25,000 events, counted as AWS writes them', async () => {
    const { executionArn } = await sfn().send(
      new StartExecutionCommand({
        stateMachineArn: machine('Forever'),
        name: 'spins',
        input: '{"stop":false}',
      }),
    );
    const record = await target.stepFunctions.waitForExecution(executionArn ?? '', 120_000);
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('States.Runtime');
    expect(record.cause).toBe(
      `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`,
    );
    // Started, then two events for each Pass and Choice entered, up to the limit.
    expect(record.historyEvents).toBeGreaterThan(HISTORY_EVENT_LIMIT);
    expect(record.historyEvents).toBeLessThan(HISTORY_EVENT_LIMIT + 100);
  });

  it('fails a task whose answer is over 256 KB with States.DataLimitExceeded, and passes one within it', async () => {
    const run = async (name: string, bytes: number) => {
      const { executionArn } = await sfn().send(
        new StartExecutionCommand({
          stateMachineArn: machine('Large'),
          name,
          input: JSON.stringify({ bytes }),
        }),
      );
      return target.stepFunctions.waitForExecution(executionArn ?? '', 30_000);
    };
    expect((await run('within', PAYLOAD_LIMIT_BYTES - 64)).status).toBe('SUCCEEDED');
    const over = await run('over', PAYLOAD_LIMIT_BYTES + 64);
    expect(over.status).toBe('FAILED');
    expect(over.error).toBe('States.DataLimitExceeded');
  });

  it('refuses an execution input or a callback output over 256 KB, and a name Step Functions does not take', async () => {
    const big = JSON.stringify({ padding: 'p'.repeat(PAYLOAD_LIMIT_BYTES) });
    await expect(
      sfn().send(
        new StartExecutionCommand({ stateMachineArn: machine('Large'), name: 'big-input', input: big }),
      ),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    await expect(
      sfn().send(new SendTaskSuccessCommand({ taskToken: `AQ${'a'.repeat(64)}`, output: big })),
    ).rejects.toMatchObject({ name: 'ValidationException' });
    for (const name of ['x'.repeat(81), 'has space', 'star*', 'a/b']) {
      await expect(
        sfn().send(new StartExecutionCommand({ stateMachineArn: machine('Large'), name, input: '{}' })),
        name,
      ).rejects.toMatchObject({ name: 'InvalidName' });
    }
    await sfn().send(
      new StartExecutionCommand({
        stateMachineArn: machine('Large'),
        name: 'x'.repeat(80),
        input: '{"bytes":10}',
      }),
    );
  });
});
