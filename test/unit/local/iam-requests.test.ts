import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  BatchWriteItemCommand,
  DynamoDBClient,
  ExecuteStatementCommand,
  GetItemCommand,
  QueryCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
// client-lambda is in node_modules through aws-local-stepfunctions: the real Invoke wire format is the point.
import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { CreateContactListCommand, SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import {
  CreateStateMachineAliasCommand,
  DescribeExecutionCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { afterAll, describe, expect, it } from 'vitest';
import { evaluate } from '../../../infra/local/iam/policy.ts';
import {
  type AwsCall,
  accessDeniedMessage,
  accessDeniedResponse,
  accessKeyOf,
  awsEndpointCall,
  type CallEnvironment,
  dynamoDbCall,
  sesCall,
  UnmappedCallError,
} from '../../../infra/local/iam/requests.ts';
import { LOCAL_ACCOUNT } from '../../../infra/local/template.ts';

/*
 * Each request is made by the real SDK client against a throwaway server that maps what arrived and answers
 * AccessDenied with the first authorisation's message: the test sees the SDK's own wire format go in and the
 * SDK's own error parsing come out.
 */

const KEY = 'local-IngestAlert';
const PRINCIPAL = `arn:aws:sts::${LOCAL_ACCOUNT}:assumed-role/${KEY}/${KEY}`;
const arn = (service: string, resource: string) =>
  `arn:aws:${service}:us-east-1:${LOCAL_ACCOUNT}:${resource}`;
const MACHINE = arn('states', 'stateMachine:IncidentWorkflow');
const EXECUTION = arn('states', 'execution:IncidentWorkflow:INC-1');
const KNOWN_TOKEN = `AQ${'k'.repeat(64)}`;
const UNKNOWN_TOKEN = `AQ${'u'.repeat(64)}`;
const SECRET_NAME = 'hotline/link-signing-keys';
const SECRET_ARN = arn('secretsmanager', `secret:${SECRET_NAME}-AbCdEf`);
const FUNCTION = 'hotline-IngestAlert';
const FUNCTION_ARN = arn('lambda', `function:${FUNCTION}`);

const env: CallEnvironment = {
  region: 'us-east-1',
  account: LOCAL_ACCOUNT,
  stateMachineOfToken: (token) => (token === KNOWN_TOKEN ? MACHINE : undefined),
  secretArn: (id) => ([SECRET_NAME, SECRET_ARN].includes(id) ? SECRET_ARN : undefined),
  secretTags: (secret) =>
    secret === SECRET_ARN ? { 'aws:cloudformation:stack-name': 'Hotline', team: 'sre' } : undefined,
  functionArn: (name) => (name.split(':')[0] === FUNCTION ? FUNCTION_ARN : undefined),
};

type Mapper = (request: Captured) => AwsCall;

interface Captured {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

interface Exchange {
  request: Captured;
  call?: AwsCall;
  mappingError?: unknown;
  message?: string;
  error: unknown;
}

const json = (body: string): unknown => (body ? JSON.parse(body) : {});
const target = (r: Captured) =>
  typeof r.headers['x-amz-target'] === 'string' ? r.headers['x-amz-target'] : '';

const mappers = {
  dynamodb: (r: Captured) => dynamoDbCall(target(r), json(r.body), env),
  ses: (r: Captured) => sesCall(r.method, r.url, r.body, r.headers['content-type'], env),
  endpoint: (r: Captured) =>
    awsEndpointCall(r.method, r.url, target(r) || undefined, target(r) ? json(r.body) : undefined, env),
} satisfies Record<string, Mapper>;

let mapper: Mapper = mappers.dynamodb;
let last: Omit<Exchange, 'error'> | undefined;

// Listening before the describe blocks run: they build their clients with the endpoint as they are collected.
const server = createServer((req, res) => {
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const request = {
      method: req.method ?? '',
      url: req.url ?? '',
      headers: req.headers,
      body: Buffer.concat(chunks).toString('utf8'),
    };
    try {
      const call = mapper(request);
      const first = call.authorizations[0];
      if (!first) throw new Error(`${call.operation} mapped to no authorisation`);
      const message = accessDeniedMessage(PRINCIPAL, first, 'implicit-deny');
      const denied = accessDeniedResponse(call.service, message, { protocol: call.protocol });
      last = { request, call, message };
      res.writeHead(denied.status, denied.headers).end(denied.body);
    } catch (mappingError) {
      last = { request, mappingError };
      res
        .writeHead(400, { 'content-type': 'application/json', 'x-amzn-errortype': 'ValidationException' })
        .end(JSON.stringify({ __type: 'ValidationException', message: 'unmapped' }));
    }
  });
});
server.listen(0, '127.0.0.1');
await once(server, 'listening');
const endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

afterAll(() => {
  server.closeAllConnections();
  server.close();
});

const clientConfig = () => ({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: KEY, secretAccessKey: 'x' },
  maxAttempts: 1,
});

/** Sends with the SDK, expecting it to fail, and returns what the server saw and what the SDK threw. */
async function exchange(use: Mapper, send: () => Promise<unknown>): Promise<Exchange> {
  mapper = use;
  last = undefined;
  const error = await send().then(
    () => new Error('the SDK call succeeded'),
    (e: unknown) => e,
  );
  // The server's handler set it meanwhile, which the compiler cannot see.
  const seen = last as Omit<Exchange, 'error'> | undefined;
  if (!seen) throw new Error('the server saw no request');
  return { ...seen, error };
}

/** The SDK turned the answer into AccessDenied with our message, and the request carried the caller's key. */
function expectDenied(result: Exchange): AwsCall {
  expect(result.mappingError).toBeUndefined();
  expect(result.error).toBeInstanceOf(Error);
  expect((result.error as Error).name).toBe('AccessDeniedException');
  expect((result.error as Error).message).toBe(result.message);
  expect(accessKeyOf(result.request.headers, result.request.url)).toBe(KEY);
  return result.call as AwsCall;
}

describe('DynamoDB through the SDK', () => {
  const ddb = new DynamoDBClient(clientConfig());
  afterAll(() => ddb.destroy());
  const table = arn('dynamodb', 'table/incidents');

  it('maps GetItem to dynamodb:GetItem on the table', async () => {
    const result = await exchange(mappers.dynamodb, () =>
      ddb.send(new GetItemCommand({ TableName: 'incidents', Key: { pk: { S: 'INC#1' } } })),
    );
    const call = expectDenied(result);
    expect(call).toEqual({
      service: 'dynamodb',
      operation: 'GetItem',
      protocol: 'awsJson',
      authorizations: [{ action: 'dynamodb:GetItem', resource: table }],
    });
    expect(result.message).toBe(
      `User: ${PRINCIPAL} is not authorized to perform: dynamodb:GetItem on resource: ${table} because no identity-based policy allows the dynamodb:GetItem action`,
    );
  });

  it('maps Query to the table, or to the index it names', async () => {
    const query = (IndexName?: string) =>
      ddb.send(
        new QueryCommand({
          TableName: 'incidents',
          ...(IndexName ? { IndexName } : {}),
          KeyConditionExpression: 'pk = :pk',
          ExpressionAttributeValues: { ':pk': { S: 'INC#1' } },
          Select: 'ALL_ATTRIBUTES',
        }),
      );
    const onTable = expectDenied(await exchange(mappers.dynamodb, () => query()));
    expect(onTable.authorizations).toEqual([
      { action: 'dynamodb:Query', resource: table, context: { 'dynamodb:Select': 'ALL_ATTRIBUTES' } },
    ]);
    const onIndex = expectDenied(await exchange(mappers.dynamodb, () => query('byStatus')));
    expect(onIndex.authorizations).toEqual([
      {
        action: 'dynamodb:Query',
        resource: `${table}/index/byStatus`,
        context: { 'dynamodb:Select': 'ALL_ATTRIBUTES' },
      },
    ]);
  });

  it('maps BatchWriteItem to dynamodb:BatchWriteItem on each table', async () => {
    const put = { PutRequest: { Item: { pk: { S: 'a' } } } };
    const call = expectDenied(
      await exchange(mappers.dynamodb, () =>
        ddb.send(new BatchWriteItemCommand({ RequestItems: { incidents: [put], actions: [put, put] } })),
      ),
    );
    expect(call.authorizations).toEqual([
      { action: 'dynamodb:BatchWriteItem', resource: table },
      { action: 'dynamodb:BatchWriteItem', resource: arn('dynamodb', 'table/actions') },
    ]);
  });

  it('maps TransactWriteItems to each item action, marked as enclosed in the transaction', async () => {
    const key = { pk: { S: 'INC#1' } };
    const call = expectDenied(
      await exchange(mappers.dynamodb, () =>
        ddb.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              { Put: { TableName: 'incidents', Item: key } },
              {
                Update: {
                  TableName: 'incidents',
                  Key: key,
                  UpdateExpression: 'SET v = :v',
                  ExpressionAttributeValues: { ':v': { N: '1' } },
                },
              },
              { Delete: { TableName: 'actions', Key: key } },
              {
                ConditionCheck: {
                  TableName: 'actions',
                  Key: key,
                  ConditionExpression: 'attribute_exists(pk)',
                },
              },
              { Put: { TableName: 'incidents', Item: { pk: { S: 'INC#2' } } } },
            ],
          }),
        ),
      ),
    );
    const enclosed = { 'dynamodb:EnclosingOperation': 'TransactWriteItems' };
    expect(call.operation).toBe('TransactWriteItems');
    expect(call.authorizations).toEqual([
      { action: 'dynamodb:PutItem', resource: table, context: enclosed },
      { action: 'dynamodb:UpdateItem', resource: table, context: enclosed },
      { action: 'dynamodb:DeleteItem', resource: arn('dynamodb', 'table/actions'), context: enclosed },
      {
        action: 'dynamodb:ConditionCheckItem',
        resource: arn('dynamodb', 'table/actions'),
        context: enclosed,
      },
    ]);
  });

  it('refuses to map an operation it does not know (PartiQL)', async () => {
    const result = await exchange(mappers.dynamodb, () =>
      ddb.send(new ExecuteStatementCommand({ Statement: 'SELECT * FROM incidents' })),
    );
    expect(result.mappingError).toBeInstanceOf(UnmappedCallError);
    expect((result.mappingError as Error).message).toContain('ExecuteStatement');
  });
});

describe('SES v2 through the SDK', () => {
  const ses = new SESv2Client(clientConfig());
  afterAll(() => ses.destroy());
  const identity = arn('ses', 'identity/hotline@example.com');
  const configurationSet = arn('ses', 'configuration-set/hotline-mail');

  it('maps a simple SendEmail to ses:SendEmail on the identity and the configuration set', async () => {
    const result = await exchange(mappers.ses, () =>
      ses.send(
        new SendEmailCommand({
          FromEmailAddress: '"Hotline" <hotline@example.com>',
          Destination: { ToAddresses: ['oncall@example.com'], CcAddresses: ['"Lead" <lead@example.com>'] },
          ConfigurationSetName: 'hotline-mail',
          Content: { Simple: { Subject: { Data: 'INC-1' }, Body: { Text: { Data: 'down' } } } },
        }),
      ),
    );
    const call = expectDenied(result);
    expect(result.request).toMatchObject({ method: 'POST', url: '/v2/email/outbound-emails' });
    const context = {
      'ses:FromAddress': 'hotline@example.com',
      'ses:FromDisplayName': 'Hotline',
      'ses:Recipients': ['oncall@example.com', 'lead@example.com'],
      'ses:ApiVersion': '2',
    };
    expect(call).toEqual({
      service: 'ses',
      operation: 'SendEmail',
      protocol: 'restJson',
      authorizations: [
        { action: 'ses:SendEmail', resource: identity, context },
        { action: 'ses:SendEmail', resource: configurationSet, context },
      ],
    });
  });

  it('maps a raw SendEmail to ses:SendRawEmail, taking sender and recipients from the MIME', async () => {
    const mime = [
      'From: "Hotline Reports" <hotline@example.com>',
      'To: a@example.com,',
      ' "B, the second" <b@example.com>',
      'Subject: SLO report',
      'Content-Type: text/plain',
      '',
      'From: not-a-header@example.com',
    ].join('\r\n');
    const call = expectDenied(
      await exchange(mappers.ses, () =>
        ses.send(
          new SendEmailCommand({
            ConfigurationSetName: 'hotline-mail',
            Content: { Raw: { Data: Buffer.from(mime, 'utf8') } },
          }),
        ),
      ),
    );
    const context = {
      'ses:FromAddress': 'hotline@example.com',
      'ses:FromDisplayName': 'Hotline Reports',
      'ses:Recipients': ['a@example.com', 'b@example.com'],
      'ses:ApiVersion': '2',
    };
    expect(call.authorizations).toEqual([
      { action: 'ses:SendRawEmail', resource: identity, context },
      { action: 'ses:SendRawEmail', resource: configurationSet, context },
    ]);
  });

  it('refuses to map an SES v2 operation it does not know', async () => {
    const result = await exchange(mappers.ses, () =>
      ses.send(new CreateContactListCommand({ ContactListName: 'subscribers' })),
    );
    expect(result.request).toMatchObject({ method: 'POST', url: '/v2/email/contact-lists' });
    expect(result.mappingError).toBeInstanceOf(UnmappedCallError);
  });
});

describe('Step Functions through the SDK', () => {
  const sfn = new SFNClient(clientConfig());
  afterAll(() => sfn.destroy());

  it('maps StartExecution to the state machine', async () => {
    const call = expectDenied(
      await exchange(mappers.endpoint, () =>
        sfn.send(new StartExecutionCommand({ stateMachineArn: MACHINE, name: 'INC-1', input: '{}' })),
      ),
    );
    expect(call).toEqual({
      service: 'states',
      operation: 'StartExecution',
      protocol: 'awsJson',
      authorizations: [{ action: 'states:StartExecution', resource: MACHINE }],
    });
  });

  it('maps DescribeExecution to the execution', async () => {
    const call = expectDenied(
      await exchange(mappers.endpoint, () =>
        sfn.send(new DescribeExecutionCommand({ executionArn: EXECUTION })),
      ),
    );
    expect(call.authorizations).toEqual([{ action: 'states:DescribeExecution', resource: EXECUTION }]);
  });

  it('maps SendTaskSuccess to the state machine that issued the token, or * for an unknown token', async () => {
    const send = (taskToken: string) => () =>
      sfn.send(new SendTaskSuccessCommand({ taskToken, output: '{}' }));
    const known = expectDenied(await exchange(mappers.endpoint, send(KNOWN_TOKEN)));
    expect(known.authorizations).toEqual([{ action: 'states:SendTaskSuccess', resource: MACHINE }]);
    const unknown = expectDenied(await exchange(mappers.endpoint, send(UNKNOWN_TOKEN)));
    expect(unknown.authorizations).toEqual([{ action: 'states:SendTaskSuccess', resource: '*' }]);
  });

  it('refuses to map a Step Functions operation it does not know', async () => {
    const result = await exchange(mappers.endpoint, () =>
      sfn.send(
        new CreateStateMachineAliasCommand({
          name: 'live',
          routingConfiguration: [{ stateMachineVersionArn: `${MACHINE}:1`, weight: 100 }],
        }),
      ),
    );
    expect(result.mappingError).toBeInstanceOf(UnmappedCallError);
    expect((result.mappingError as Error).message).toMatch(/states.*CreateStateMachineAlias/);
  });
});

describe('Secrets Manager through the SDK', () => {
  const secrets = new SecretsManagerClient(clientConfig());
  afterAll(() => secrets.destroy());

  it.each([
    ['by name', SECRET_NAME],
    ['by ARN', SECRET_ARN],
  ])('maps GetSecretValue %s to the secret’s full ARN', async (_, SecretId) => {
    const result = await exchange(mappers.endpoint, () =>
      secrets.send(new GetSecretValueCommand({ SecretId })),
    );
    expect(result.request.headers['content-type']).toBe('application/x-amz-json-1.1');
    const call = expectDenied(result);
    expect(call).toEqual({
      service: 'secretsmanager',
      operation: 'GetSecretValue',
      protocol: 'awsJson',
      authorizations: [
        {
          action: 'secretsmanager:GetSecretValue',
          resource: SECRET_ARN,
          // The secret's tags, under both condition keys Secrets Manager documents for the action.
          context: {
            'secretsmanager:SecretId': SecretId,
            'aws:ResourceTag/aws:cloudformation:stack-name': 'Hotline',
            'secretsmanager:ResourceTag/aws:cloudformation:stack-name': 'Hotline',
            'aws:ResourceTag/team': 'sre',
            'secretsmanager:ResourceTag/team': 'sre',
          },
        },
      ],
    });
  });

  it("lets a grant conditioned on the secret's stack-name tag read this stack's secret only", async () => {
    const grant = {
      name: 'LegacySecretsPolicy',
      document: {
        Version: '2012-10-17' as const,
        Statement: [
          {
            Effect: 'Allow' as const,
            Action: 'secretsmanager:GetSecretValue',
            Resource: arn('secretsmanager', 'secret:hotline/*'),
            Condition: {
              StringEquals: { 'secretsmanager:ResourceTag/aws:cloudformation:stack-name': 'Hotline' },
            },
          },
        ],
      },
    };
    const decide = async (stack: string | undefined) => {
      const call = expectDenied(
        await exchange(
          (r) =>
            awsEndpointCall(r.method, r.url, target(r), json(r.body), {
              ...env,
              secretTags: (): Record<string, string> =>
                stack ? { 'aws:cloudformation:stack-name': stack } : {},
            }),
          () => secrets.send(new GetSecretValueCommand({ SecretId: SECRET_ARN })),
        ),
      );
      return call.authorizations.every((a) => evaluate([grant], a).allowed);
    };
    expect(await decide('Hotline')).toBe(true);
    expect(await decide('HotlineStaging')).toBe(false);
    expect(await decide(undefined)).toBe(false);
  });

  it('maps ListSecrets, with or without filters, to secretsmanager:ListSecrets on * (no resource-level permission)', async () => {
    const result = await exchange(mappers.endpoint, () =>
      secrets.send(
        new ListSecretsCommand({ Filters: [{ Key: 'tag-key', Values: ['aws:cloudformation:stack-name'] }] }),
      ),
    );
    expect(expectDenied(result).authorizations).toEqual([
      { action: 'secretsmanager:ListSecrets', resource: '*' },
    ]);
  });
});

describe('SSM Parameter Store through the SDK', () => {
  const ssm = new SSMClient(clientConfig());
  afterAll(() => ssm.destroy());
  const NAME = '/hotline/Hotline/alert-sources/alertmanager';
  const PARAMETER_ARN = arn('ssm', 'parameter/hotline/Hotline/alert-sources/alertmanager');

  it.each([
    ['by name', NAME],
    ['by ARN', PARAMETER_ARN],
    ['with a version selector', `${NAME}:3`],
  ])(
    'maps GetParameter %s to ssm:GetParameter on the parameter’s ARN (no KMS action for aws/ssm)',
    async (_, Name) => {
      const result = await exchange(mappers.endpoint, () =>
        ssm.send(new GetParameterCommand({ Name, WithDecryption: true })),
      );
      expect(result.request.headers['content-type']).toBe('application/x-amz-json-1.1');
      expect(expectDenied(result)).toEqual({
        service: 'ssm',
        operation: 'GetParameter',
        protocol: 'awsJson',
        authorizations: [{ action: 'ssm:GetParameter', resource: PARAMETER_ARN }],
      });
    },
  );

  it('maps PutParameter with its overwrite flag, and DeleteParameter, to the parameter’s ARN', async () => {
    const put = expectDenied(
      await exchange(mappers.endpoint, () =>
        ssm.send(
          new PutParameterCommand({ Name: NAME, Value: '{}', Type: 'SecureString', Overwrite: false }),
        ),
      ),
    );
    expect(put.authorizations).toEqual([
      { action: 'ssm:PutParameter', resource: PARAMETER_ARN, context: { 'ssm:Overwrite': 'false' } },
    ]);
    const remove = expectDenied(
      await exchange(mappers.endpoint, () => ssm.send(new DeleteParameterCommand({ Name: NAME }))),
    );
    expect(remove.authorizations).toEqual([{ action: 'ssm:DeleteParameter', resource: PARAMETER_ARN }]);
  });

  it('maps a name without a path to parameter/<name>', () => {
    const call = awsEndpointCall('POST', '/', 'AmazonSSM.GetParameter', { Name: 'plain' }, env);
    expect(call.authorizations).toEqual([
      { action: 'ssm:GetParameter', resource: arn('ssm', 'parameter/plain') },
    ]);
  });
});

describe('Lambda through the SDK', () => {
  const lambda = new LambdaClient(clientConfig());
  afterAll(() => lambda.destroy());
  const payload = new TextEncoder().encode('{"source":"test"}');

  it('maps Invoke by name to lambda:InvokeFunction on the unqualified function', async () => {
    const result = await exchange(mappers.endpoint, () =>
      lambda.send(new InvokeCommand({ FunctionName: FUNCTION, Payload: payload })),
    );
    expect(result.request).toMatchObject({
      method: 'POST',
      url: `/2015-03-31/functions/${FUNCTION}/invocations`,
    });
    const call = expectDenied(result);
    expect(call).toEqual({
      service: 'lambda',
      operation: 'Invoke',
      protocol: 'restJson',
      authorizations: [{ action: 'lambda:InvokeFunction', resource: FUNCTION_ARN }],
    });
  });

  it.each([
    ['in the name', { FunctionName: `${FUNCTION}:live` }],
    ['as the Qualifier parameter', { FunctionName: FUNCTION, Qualifier: 'live' }],
  ])('maps a qualified Invoke (%s) to the qualified ARN', async (_, input) => {
    const call = expectDenied(
      await exchange(mappers.endpoint, () => lambda.send(new InvokeCommand({ ...input, Payload: payload }))),
    );
    expect(call.authorizations).toEqual([
      { action: 'lambda:InvokeFunction', resource: `${FUNCTION_ARN}:live` },
    ]);
  });
});

describe('mapping without the SDK', () => {
  it('authorises a secret the local state does not know against the ARN its name would have', () => {
    const call = awsEndpointCall('POST', '/', 'secretsmanager.GetSecretValue', { SecretId: 'other' }, env);
    expect(call.authorizations).toEqual([
      {
        action: 'secretsmanager:GetSecretValue',
        resource: arn('secretsmanager', 'secret:other'),
        context: { 'secretsmanager:SecretId': 'other' },
      },
    ]);
  });

  it('maps a function named by a qualified ARN the local state does not know', () => {
    const name = encodeURIComponent('arn:aws:lambda:eu-west-1:111122223333:function:other:7');
    const call = awsEndpointCall(
      'POST',
      `/2015-03-31/functions/${name}/invocations`,
      undefined,
      undefined,
      env,
    );
    expect(call.authorizations).toEqual([
      { action: 'lambda:InvokeFunction', resource: 'arn:aws:lambda:eu-west-1:111122223333:function:other:7' },
    ]);
  });

  it('uses a TableName given as an ARN as is, and maps ListTables to *', () => {
    const tableArn = arn('dynamodb', 'table/incidents');
    expect(
      dynamoDbCall('DynamoDB_20120810.Scan', { TableName: tableArn, IndexName: 'i' }, env).authorizations,
    ).toEqual([{ action: 'dynamodb:Scan', resource: `${tableArn}/index/i` }]);
    expect(dynamoDbCall('DynamoDB_20120810.ListTables', {}, env).authorizations).toEqual([
      { action: 'dynamodb:ListTables', resource: '*' },
    ]);
  });

  it('maps an SES v1 SendRawEmail form, sender from the raw message', () => {
    const raw = Buffer.from('From: Hotline <hotline@example.com>\r\nTo: a@example.com\r\n\r\nbody').toString(
      'base64',
    );
    const form = new URLSearchParams({
      Action: 'SendRawEmail',
      Version: '2010-12-01',
      'RawMessage.Data': raw,
      'Destinations.member.1': 'a@example.com',
      'Destinations.member.2': 'b@example.com',
      ConfigurationSetName: 'hotline-mail',
    });
    const call = sesCall(
      'POST',
      '/',
      form.toString(),
      'application/x-www-form-urlencoded; charset=utf-8',
      env,
    );
    const context = {
      'ses:FromAddress': 'hotline@example.com',
      'ses:FromDisplayName': 'Hotline',
      'ses:Recipients': ['a@example.com', 'b@example.com'],
      'ses:ApiVersion': '1',
    };
    expect(call).toEqual({
      service: 'ses',
      operation: 'SendRawEmail',
      protocol: 'query',
      authorizations: [
        { action: 'ses:SendRawEmail', resource: arn('ses', 'identity/hotline@example.com'), context },
        { action: 'ses:SendRawEmail', resource: arn('ses', 'configuration-set/hotline-mail'), context },
      ],
    });
  });

  it('maps an SES v1 SendEmail form by its Source', () => {
    const form = new URLSearchParams({
      Action: 'SendEmail',
      Source: 'hotline@example.com',
      'Destination.ToAddresses.member.1': 'a@example.com',
      'Message.Subject.Data': 's',
      'Message.Body.Text.Data': 'b',
    });
    const call = sesCall('POST', '/', form.toString(), 'application/x-www-form-urlencoded', env);
    expect(call.authorizations).toEqual([
      {
        action: 'ses:SendEmail',
        resource: arn('ses', 'identity/hotline@example.com'),
        context: {
          'ses:FromAddress': 'hotline@example.com',
          'ses:Recipients': ['a@example.com'],
          'ses:ApiVersion': '1',
        },
      },
    ]);
  });

  it('answers SES v1 with the query protocol’s XML error, message escaped', () => {
    const denied = accessDeniedResponse('ses', 'a <b> & "c"', { protocol: 'query', requestId: 'r-1' });
    expect(denied).toEqual({
      status: 403,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': 'r-1' },
      body:
        '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/"><Error><Type>Sender</Type>' +
        '<Code>AccessDenied</Code><Message>a &lt;b&gt; &amp; &quot;c&quot;</Message></Error>' +
        '<RequestId>r-1</RequestId></ErrorResponse>',
    });
  });

  it('words an explicit deny as AWS does', () => {
    expect(accessDeniedMessage(PRINCIPAL, { action: 'ses:SendEmail', resource: '*' }, 'explicit-deny')).toBe(
      `User: ${PRINCIPAL} is not authorized to perform: ses:SendEmail on resource: * with an explicit deny in an identity-based policy`,
    );
  });

  it('reads the access key from a presigned URL', () => {
    const url = `/?X-Amz-Credential=${encodeURIComponent(`${KEY}/20240101/us-east-1/ses/aws4_request`)}`;
    expect(accessKeyOf({}, url)).toBe(KEY);
    expect(accessKeyOf({})).toBeUndefined();
  });

  it('refuses an unknown request on the AWS endpoint', () => {
    expect(() => awsEndpointCall('GET', '/2015-03-31/functions/x/policy', undefined, undefined, env)).toThrow(
      UnmappedCallError,
    );
    expect(() => awsEndpointCall('POST', '/', 'AmazonSQS.SendMessage', {}, env)).toThrow(UnmappedCallError);
  });
});
