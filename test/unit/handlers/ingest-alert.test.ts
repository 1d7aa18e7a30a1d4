import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import {
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { type FakeParameterStore, fakeParameterStore } from '../../support/fake-parameter-store.ts';
import { fixtureText } from '../../support/fixtures.ts';
import { useTestOrganisation } from '../../support/organisation.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
let parameters: FakeParameterStore;
const secret = 'a'.repeat(48);
const stateMachineArn = 'arn:aws:states:us-east-1:123456789012:stateMachine:Incident';

let handler: typeof import('../../../functions/handlers/ingest-alert.ts').handler;

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  process.env.STATE_MACHINE_ARN = stateMachineArn;
  process.env.ALERTMANAGER_CREDENTIAL_PARAMETER = '/hotline/Hotline/alert-sources/alertmanager';
  parameters = await fakeParameterStore({
    '/hotline/Hotline/alert-sources/alertmanager': JSON.stringify({ current: secret }),
  });
  useTestOrganisation();
  ({ handler } = await import('../../../functions/handlers/ingest-alert.ts'));
});

afterAll(() => parameters.close());

beforeEach(() => {
  ddb.reset();
  sfn.reset();
  parameters.requests.length = 0;
});

const post = (options: { body?: string; headers?: Record<string, string>; source?: string }) =>
  handler(
    httpEvent({
      path: `/alerts/${options.source ?? 'alertmanager'}`,
      routeKey: 'POST /alerts/{source}',
      pathParameters: { source: options.source ?? 'alertmanager' },
      headers: options.headers ?? {},
      ...(options.body === undefined ? {} : { body: options.body }),
    }),
    lambdaContext,
  );

const authorised = { authorization: `Bearer ${secret}`, 'content-type': 'application/json' };
const noWrites = () => {
  expect(ddb).not.toHaveReceivedCommand(PutCommand);
  expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
  expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
};

describe('POST /alerts/{source}', () => {
  it('refuses a missing credential with a generic 401 and writes nothing', async () => {
    const response = await post({
      body: fixtureText('alertmanager', 'firing-v4'),
      headers: { 'content-type': 'application/json' },
    });
    expect(response.statusCode).toBe(401);
    expect(JSON.parse(response.body ?? '')).toEqual({
      error: { code: 'Unauthorized', message: 'missing or invalid credentials' },
    });
    noWrites();
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('refuses a wrong credential with 401', async () => {
    const response = await post({
      body: fixtureText('alertmanager', 'firing-v4'),
      headers: { ...authorised, authorization: `Bearer ${'b'.repeat(48)}` },
    });
    expect(response.statusCode).toBe(401);
    noWrites();
  });

  it("checks against the source's own SecureString parameter, decrypted, and accepts a rotation's previous value", async () => {
    parameters.values.set(
      '/hotline/Hotline/alert-sources/grafana',
      JSON.stringify({ current: 'n'.repeat(48), previous: secret }),
    );
    // Another parameter name than the other tests': each name's value is cached for five minutes.
    process.env.GRAFANA_CREDENTIAL_PARAMETER = '/hotline/Hotline/alert-sources/grafana';
    const previous = await post({ source: 'grafana', body: '{}', headers: authorised });
    expect(previous.statusCode).not.toBe(401);
    expect(parameters.requests.map((r) => [r.target, r.body])).toEqual([
      ['AmazonSSM.GetParameter', { Name: '/hotline/Hotline/alert-sources/grafana', WithDecryption: true }],
    ]);
  });

  it('refuses a malformed body with a 400 that names the problem', async () => {
    const response = await post({ body: '{"version": "4", "alerts": ', headers: authorised });
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '').error.message).toMatch(/not valid JSON/);
    const invalid = await post({ body: JSON.stringify({ version: '4', alerts: [] }), headers: authorised });
    expect(invalid.statusCode).toBe(400);
    expect(JSON.parse(invalid.body ?? '').error).toMatchObject({
      code: 'ValidationError',
      message: expect.stringMatching(/groupKey/),
    });
    noWrites();
  });

  it('refuses other content types with 415', async () => {
    const response = await post({
      body: fixtureText('alertmanager', 'firing-v4'),
      headers: { ...authorised, 'content-type': 'text/plain' },
    });
    expect(response.statusCode).toBe(415);
    noWrites();
  });

  it('refuses bodies over 1 MB before reading any secret', async () => {
    const response = await post({ body: 'x'.repeat(1_048_577), headers: authorised });
    expect(response.statusCode).toBe(413);
    expect(parameters.requests).toEqual([]);
    noWrites();
  });

  it('answers 404 for an unknown source', async () => {
    const response = await post({ source: 'nagios', body: '{}', headers: authorised });
    expect(response.statusCode).toBe(404);
    expect(JSON.parse(response.body ?? '').error.message).toContain('nagios');
  });

  it('answers 503, not 4xx, when the database is briefly unavailable, so the sender retries', async () => {
    const throttled = Object.assign(new Error('Rate of requests exceeds the allowed throughput.'), {
      name: 'ProvisionedThroughputExceededException',
      $fault: 'client',
      $metadata: { httpStatusCode: 400 },
      $retryable: { throttling: true },
    });
    ddb.onAnyCommand().rejects(throttled);
    const response = await post({ body: fixtureText('alertmanager', 'firing-v4'), headers: authorised });
    expect(response.statusCode).toBe(503);
    expect(response.headers?.['retry-after']).toBe('1');
  });

  it('opens an incident for a new group and starts its workflow named after the key', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(PutCommand).resolves({});
    ddb.on(UpdateCommand).resolves({ Attributes: { value: 7 } });
    ddb.on(QueryCommand).resolves({ Items: [] });
    sfn
      .on(StartExecutionCommand)
      .resolves({ executionArn: `${stateMachineArn}:HOT-7`, startDate: new Date() });
    const response = await post({ body: fixtureText('alertmanager', 'firing-v4'), headers: authorised });
    expect(response.statusCode).toBe(202);
    expect(JSON.parse(response.body ?? '')).toEqual({ incidents: [{ key: 'HOT-7', outcome: 'opened' }] });
    expect(sfn).toHaveReceivedCommandWith(StartExecutionCommand, { stateMachineArn, name: 'HOT-7' });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      Item: expect.objectContaining({ type: 'incident', key: 'HOT-7', severity: 1, service: 'checkout' }),
      ConditionExpression: 'attribute_not_exists(pk)',
    });
  });
});
