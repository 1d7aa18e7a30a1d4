import { DynamoDBClient, GetItemCommand, PutItemCommand, QueryCommand } from '@aws-sdk/client-dynamodb';
import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { GetParameterCommand, PutParameterCommand, SSMClient } from '@aws-sdk/client-ssm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertSourceParameterName, linkSigningKeysParameterName } from '../../infra/constructs/secrets.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * IAM on the local target, against the real stack's template: each function calls the local endpoints with its
 * own key (`local-<FunctionId>`), and a call its role's policies do not allow is refused with AWS's
 * AccessDeniedException and message, whatever the service; the administrator's key (`local`) is not checked.
 */

let hotline: HotlineTarget;
const region = 'us-east-1';
const as = (functionId: string) => ({ accessKeyId: `local-${functionId}`, secretAccessKey: 'local' });

beforeAll(async () => {
  hotline = await startHotline({ expectDenials: true });
});
afterAll(async () => hotline?.stop());

const dynamo = (key: { accessKeyId: string; secretAccessKey: string }) =>
  new DynamoDBClient({
    endpoint: hotline.target.functionUrls.dynamodb,
    region,
    credentials: key,
    maxAttempts: 1,
  });
const table = () => hotline.target.tables[0] ?? '';
const ssm = (functionId: string) =>
  new SSMClient({ endpoint: hotline.target.urls.aws, region, credentials: as(functionId), maxAttempts: 1 });
const mail = (from: string, raw = false) =>
  new SendEmailCommand({
    FromEmailAddress: from,
    Destination: { ToAddresses: ['someone@example.com'] },
    ConfigurationSetName: configurationSet(),
    Content: raw
      ? { Raw: { Data: Buffer.from(`From: ${from}\r\nTo: someone@example.com\r\nSubject: x\r\n\r\nbody`) } }
      : { Simple: { Subject: { Data: 'x' }, Body: { Text: { Data: 'body' } } } },
  });
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

async function refusal(call: Promise<unknown>): Promise<{ name: string; message: string }> {
  const error = (await call.then(
    () => undefined,
    (e: Error) => e,
  )) as Error | undefined;
  expect(error, 'the call was allowed').toBeDefined();
  return { name: error?.name ?? '', message: error?.message ?? '' };
}

describe('IAM on the local target', () => {
  it('lets a function make the calls its role allows', async () => {
    await dynamo(as('GetIncident')).send(
      new GetItemCommand({ TableName: table(), Key: { pk: { S: 'nothing' }, sk: { S: 'x' } } }),
    );
    await dynamo(as('StatusPage')).send(
      new QueryCommand({
        TableName: table(),
        IndexName: 'gsi3',
        KeyConditionExpression: 'gsi3pk = :p',
        ExpressionAttributeValues: { ':p': { S: 'STATUSPAGE' } },
      }),
    );
    await ses('RespondToIncident').send(mail(sender()));
    await ses('SendSloReports').send(mail(sender(), true));
  });

  it('refuses a Query on an index the function does not declare, and a GetItem of a function that only queries', async () => {
    const index = await refusal(
      dynamo(as('StatusPage')).send(
        new QueryCommand({
          TableName: table(),
          IndexName: 'gsi1',
          KeyConditionExpression: 'gsi1pk = :p',
          ExpressionAttributeValues: { ':p': { S: 'INCIDENTS' } },
        }),
      ),
    );
    expect(index.message).toContain(
      'dynamodb:Query on resource: arn:aws:dynamodb:us-east-1:000000000000:table/',
    );
    expect(index.message).toContain('/index/gsi1 because');
    const get = await refusal(
      dynamo(as('StatusPage')).send(
        new GetItemCommand({ TableName: table(), Key: { pk: { S: 'nothing' }, sk: { S: 'x' } } }),
      ),
    );
    expect(get.name).toBe('AccessDeniedException');
  });

  it('refuses a DynamoDB write by a read-only function, as AWS words it', async () => {
    const { name, message } = await refusal(
      dynamo(as('StatusPage')).send(
        new PutItemCommand({ TableName: table(), Item: { pk: { S: 'iam-test' }, sk: { S: 'x' } } }),
      ),
    );
    expect(name).toBe('AccessDeniedException');
    expect(message).toMatch(
      /^User: arn:aws:sts::000000000000:assumed-role\/StatusPageRole\/StatusPage is not authorized to perform: dynamodb:PutItem on resource: arn:aws:dynamodb:us-east-1:000000000000:table\/\S+ because no identity-based policy allows the dynamodb:PutItem action$/,
    );
    // Nothing was written.
    const admin = dynamo({ accessKeyId: 'local', secretAccessKey: 'local' });
    const read = await admin.send(
      new GetItemCommand({ TableName: table(), Key: { pk: { S: 'iam-test' }, sk: { S: 'x' } } }),
    );
    expect(read.Item).toBeUndefined();
  });

  it('refuses mail to a function without a send grant, and raw mail to one that sends simple mail only', async () => {
    expect((await refusal(ses('StatusPage').send(mail(sender())))).message).toContain(
      'not authorized to perform: ses:SendEmail on resource: arn:aws:ses:us-east-1:000000000000:identity/',
    );
    expect((await refusal(ses('RespondToIncident').send(mail(sender(), true)))).message).toContain(
      'ses:SendRawEmail',
    );
    // The report functions send raw mail only.
    expect((await refusal(ses('Reports').send(mail(sender())))).name).toBe('AccessDeniedException');
    // From another identity than the stack's sender: no grant covers it.
    expect(
      (await refusal(ses('RespondToIncident').send(mail('someone-else@example.com')))).message,
    ).toContain('identity/someone-else@example.com');
  });

  it('refuses Step Functions and Parameter Store calls a role does not allow', async () => {
    const sfn = new SFNClient({
      endpoint: hotline.target.urls.aws,
      region,
      credentials: as('ListIncidents'),
      maxAttempts: 1,
    });
    const start = await refusal(
      sfn.send(new StartExecutionCommand({ stateMachineArn: hotline.target.stateMachines[0], name: 'x' })),
    );
    expect(start.name).toBe('AccessDeniedException');
    expect(start.message).toContain('states:StartExecution on resource: arn:aws:states:');
    const read = await refusal(
      ssm('ListIncidents').send(
        new GetParameterCommand({
          Name: alertSourceParameterName('Hotline', 'alertmanager'),
          WithDecryption: true,
        }),
      ),
    );
    expect(read.name).toBe('AccessDeniedException');
    expect(read.message).toContain('ssm:GetParameter on resource: arn:aws:ssm:');
  });

  it("refuses a function another's credential parameter, as each reads only its own", async () => {
    const alertmanager = alertSourceParameterName('Hotline', 'alertmanager');
    const linkKeys = linkSigningKeysParameterName('Hotline');
    // Each reads its own, decrypted...
    const own = await ssm('IngestAlert').send(
      new GetParameterCommand({ Name: alertmanager, WithDecryption: true }),
    );
    expect(JSON.parse(own.Parameter?.Value ?? '')).toEqual({ current: hotline.secretOf('alertmanager') });
    const keys = await ssm('LinkDecision').send(
      new GetParameterCommand({ Name: linkKeys, WithDecryption: true }),
    );
    expect(JSON.parse(keys.Parameter?.Value ?? '')).toMatchObject({ activeKeyId: 'k1' });
    // ...and not the other's, nor by its ARN.
    const foreign = await refusal(
      ssm('LinkDecision').send(new GetParameterCommand({ Name: alertmanager, WithDecryption: true })),
    );
    expect(foreign.name).toBe('AccessDeniedException');
    expect(foreign.message).toContain(
      'LinkDecision is not authorized to perform: ssm:GetParameter on resource: arn:aws:ssm:us-east-1:000000000000:parameter/hotline/Hotline/alert-sources/alertmanager',
    );
    const byArn = await refusal(
      ssm('IngestAlert').send(
        new GetParameterCommand({
          Name: 'arn:aws:ssm:us-east-1:000000000000:parameter/hotline/Hotline/link-signing-keys',
        }),
      ),
    );
    expect(byArn.name).toBe('AccessDeniedException');
    // No function may write a credential; only the deploy-time custom resource's role may create one.
    const write = await refusal(
      ssm('IngestAlert').send(
        new PutParameterCommand({ Name: alertmanager, Value: '{}', Type: 'SecureString', Overwrite: true }),
      ),
    );
    expect(write.message).toContain('ssm:PutParameter');
    expect(JSON.parse(hotline.target.parameters[alertmanager] ?? '')).toHaveProperty('current');
  });

  it('refuses an unknown key, and lets the administrator through', async () => {
    const unknown = await refusal(
      dynamo({ accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'x' }).send(
        new GetItemCommand({ TableName: table(), Key: { pk: { S: 'a' }, sk: { S: 'b' } } }),
      ),
    );
    expect(unknown.message).toContain('neither a function');
    await dynamo({ accessKeyId: 'local', secretAccessKey: 'local' }).send(
      new PutItemCommand({ TableName: table(), Item: { pk: { S: 'iam-admin' }, sk: { S: 'x' } } }),
    );
  });

  it('records every denial with its principal, action and resource', () => {
    const denied = hotline.target.iam.deniedCalls();
    expect(denied.map((d) => `${d.principal} ${d.action}`)).toEqual(
      expect.arrayContaining([
        'StatusPage dynamodb:Query',
        'StatusPage dynamodb:GetItem',
        'StatusPage dynamodb:PutItem',
        'StatusPage ses:SendEmail',
        'RespondToIncident ses:SendRawEmail',
        'Reports ses:SendEmail',
        'ListIncidents states:StartExecution',
        'ListIncidents ssm:GetParameter',
        'LinkDecision ssm:GetParameter',
        'IngestAlert ssm:PutParameter',
      ]),
    );
  });
});

describe('IAM in report-only mode', () => {
  it('lets a denied call through, and still records it', async () => {
    const reporting = await startHotline({ iam: 'report', expectDenials: true });
    try {
      const db = new DynamoDBClient({
        endpoint: reporting.target.functionUrls.dynamodb,
        region,
        credentials: as('StatusPage'),
        maxAttempts: 1,
      });
      await db.send(
        new PutItemCommand({
          TableName: reporting.target.tables[0] ?? '',
          Item: { pk: { S: 'report-only' }, sk: { S: 'x' } },
        }),
      );
      expect(reporting.target.iam.deniedCalls().map((d) => `${d.principal} ${d.action}`)).toEqual([
        'StatusPage dynamodb:PutItem',
      ]);
    } finally {
      await reporting.stop();
    }
  });
});
