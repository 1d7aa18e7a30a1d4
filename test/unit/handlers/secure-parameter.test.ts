import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  GetSecretValueCommand,
  ListSecretsCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DeleteParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../functions/adapters/logger.ts';
import { type CustomResourceEvent, handler } from '../../../functions/handlers/secure-parameter.ts';
import { lambdaContext } from '../../support/events.ts';

const ssm = mockClient(SSMClient);
const secretsManager = mockClient(SecretsManagerClient);
const answers: Array<Record<string, unknown>> = [];
let server: Server;
let responseUrl: string;

beforeAll(async () => {
  // CloudFormation's pre-signed ResponseURL: the handler PUTs its answer there, with no content type.
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      answers.push({
        method: req.method,
        contentType: req.headers['content-type'],
        ...JSON.parse(`${Buffer.concat(chunks)}`),
      });
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  responseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/response?X-Amz-Signature=x`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

beforeEach(() => {
  ssm.reset();
  secretsManager.reset();
  answers.length = 0;
});

const name = '/hotline/Hotline/link-signing-keys';
const event = (over: Partial<CustomResourceEvent> = {}): CustomResourceEvent => ({
  RequestType: 'Create',
  ResponseURL: responseUrl,
  StackId: 'arn:aws:cloudformation:us-east-1:123456789012:stack/Hotline/x',
  RequestId: 'r-1',
  LogicalResourceId: 'CredentialsLinkSigningKeys',
  ResourceProperties: {
    Name: name,
    Template: '{"activeKeyId":"k1"}',
    GenerateKey: 'k1',
    Length: '64',
    Retain: 'true',
  },
  ...over,
});

describe('the SecureString parameter custom resource', () => {
  it('creates the parameter with a generated value of the right shape, never overwriting, under aws/ssm', async () => {
    ssm.on(PutParameterCommand).resolves({ Version: 1 });

    await handler(event(), lambdaContext);

    const put = ssm.commandCalls(PutParameterCommand)[0]?.args[0].input;
    expect(put).toMatchObject({
      Name: name,
      Type: 'SecureString',
      KeyId: 'alias/aws/ssm',
      Tier: 'Standard',
      Overwrite: false,
    });
    expect(JSON.parse(put?.Value ?? '')).toEqual({
      activeKeyId: 'k1',
      k1: expect.stringMatching(/^[A-Za-z0-9]{64}$/),
    });
    expect(answers).toEqual([
      expect.objectContaining({
        method: 'PUT',
        contentType: '',
        Status: 'SUCCESS',
        PhysicalResourceId: name,
        RequestId: 'r-1',
        LogicalResourceId: 'CredentialsLinkSigningKeys',
        Data: { Name: name },
      }),
    ]);
    // The value is never in the answer CloudFormation shows.
    expect(JSON.stringify(answers)).not.toContain(JSON.parse(put?.Value ?? '').k1);
  });

  it('keeps an existing parameter (a retained or rotated value) and succeeds: Create is idempotent', async () => {
    ssm.on(PutParameterCommand).rejects(new ParameterAlreadyExists({ message: 'exists', $metadata: {} }));

    await handler(event(), lambdaContext);

    expect(ssm).toHaveReceivedCommandTimes(PutParameterCommand, 1);
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: name });
  });

  it('changes nothing on Update', async () => {
    await handler(event({ RequestType: 'Update', PhysicalResourceId: name }), lambdaContext);
    expect(ssm.calls()).toHaveLength(0);
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: name });
  });

  it('keeps the parameter on Delete when the stack retains its data', async () => {
    await handler(event({ RequestType: 'Delete', PhysicalResourceId: name }), lambdaContext);
    expect(ssm).not.toHaveReceivedCommand(DeleteParameterCommand);
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: name });
  });

  it('deletes it on Delete when the stack does not retain data, and a parameter already gone is fine', async () => {
    const props = { ...event().ResourceProperties, Retain: 'false' };
    ssm.on(DeleteParameterCommand).resolves({});
    await handler(
      event({ RequestType: 'Delete', PhysicalResourceId: name, ResourceProperties: props }),
      lambdaContext,
    );
    expect(ssm).toHaveReceivedCommandWith(DeleteParameterCommand, { Name: name });

    ssm.reset();
    ssm.on(DeleteParameterCommand).rejects(new ParameterNotFound({ message: 'gone', $metadata: {} }));
    await handler(
      event({ RequestType: 'Delete', PhysicalResourceId: name, ResourceProperties: props }),
      lambdaContext,
    );
    expect(answers.map((a) => a.Status)).toEqual(['SUCCESS', 'SUCCESS']);
  });

  it('answers FAILED with the reason when Parameter Store refuses, under a physical id no Delete acts on', async () => {
    ssm.on(PutParameterCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: ssm:PutParameter'), {
        name: 'AccessDeniedException',
      }),
    );

    await handler(event(), lambdaContext);

    expect(answers[0]).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining('ssm:PutParameter'),
      PhysicalResourceId: 'CredentialsLinkSigningKeys-not-created',
    });
  });
});

describe('an upgrade from 0.2.0 (the credentials were Secrets Manager secrets)', () => {
  const oldKeys = `{"activeKeyId":"k2","k1":"${'a'.repeat(64)}","k2":"${'b'.repeat(64)}"}`;
  const legacy = (over: Partial<CustomResourceEvent['ResourceProperties']> = {}) =>
    event({
      ResourceProperties: {
        ...event().ResourceProperties,
        LegacySecretLogicalId: 'LinkSigningKeys',
        Shape: 'link-signing-keys',
        ...over,
      },
    });
  const tagged = (logicalId: string, stack = 'Hotline', name = `${logicalId}-AbCdEfGhIjKl`) => ({
    ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${name}-AbCdEf`,
    Name: name,
    Tags: [
      { Key: 'aws:cloudformation:stack-name', Value: stack },
      { Key: 'aws:cloudformation:logical-id', Value: logicalId },
    ],
  });
  const logged = () =>
    JSON.stringify([...vi.mocked(logger.info).mock.calls, ...vi.mocked(logger.error).mock.calls]);

  beforeEach(() => {
    ssm.on(PutParameterCommand).resolves({ Version: 1 });
    vi.spyOn(logger, 'info');
    vi.spyOn(logger, 'error');
  });
  afterEach(() => vi.restoreAllMocks());

  it("carries the old secret's value over when it has the right shape, found by this stack's tags", async () => {
    secretsManager.on(ListSecretsCommand).resolves({
      SecretList: [
        tagged('LinkSigningKeys0A1B2C3D', 'HotlineStaging'),
        tagged('LinkSigningKeysOther0A1B2C3D'),
        tagged('AlertSourceSecretGenericF00D1234'),
        tagged('LinkSigningKeys5E6F7A8B'),
      ],
    });
    secretsManager
      .on(GetSecretValueCommand, { SecretId: tagged('LinkSigningKeys5E6F7A8B').ARN })
      .resolves({ SecretString: oldKeys });

    await handler(legacy(), lambdaContext);

    expect(secretsManager).toHaveReceivedCommandWith(ListSecretsCommand, {
      Filters: [
        { Key: 'tag-key', Values: ['aws:cloudformation:stack-name'] },
        { Key: 'tag-value', Values: ['Hotline'] },
      ],
    });
    expect(secretsManager).toHaveReceivedCommandTimes(GetSecretValueCommand, 1);
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, {
      Name: name,
      Value: oldKeys,
      Type: 'SecureString',
      Overwrite: false,
    });
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: name });
    expect(logged()).toContain('carried over from LinkSigningKeys5E6F7A8B-AbCdEfGhIjKl');
    expect(logged()).not.toContain('a'.repeat(64));
    expect(JSON.stringify(answers)).not.toContain('a'.repeat(64));
  });

  it('reads every page of ListSecrets', async () => {
    secretsManager
      .on(ListSecretsCommand)
      .resolvesOnce({ SecretList: [], NextToken: 't' })
      .resolves({ SecretList: [tagged('LinkSigningKeys5E6F7A8B')] });
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: oldKeys });
    await handler(legacy(), lambdaContext);
    expect(secretsManager).toHaveReceivedCommandWith(ListSecretsCommand, { NextToken: 't' });
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, { Value: oldKeys });
  });

  it('generates the value when the stack has no such secret (a new stack)', async () => {
    secretsManager.on(ListSecretsCommand).resolves({ SecretList: [] });
    await handler(legacy(), lambdaContext);
    expect(secretsManager).not.toHaveReceivedCommand(GetSecretValueCommand);
    const put = ssm.commandCalls(PutParameterCommand)[0]?.args[0].input;
    expect(JSON.parse(put?.Value ?? '')).toEqual({
      activeKeyId: 'k1',
      k1: expect.stringMatching(/^[A-Za-z0-9]{64}$/),
    });
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS' });
  });

  it.each([
    ['not JSON', 'not json'],
    ['an active key that is not there', `{"activeKeyId":"k3","k1":"${'a'.repeat(64)}"}`],
    ['a key too short', '{"activeKeyId":"k1","k1":"short"}'],
    ['a value that is not a string', `{"activeKeyId":"k1","k1":"${'a'.repeat(64)}","n":1}`],
  ])('generates the value when the old one is malformed (%s)', async (_, malformed) => {
    secretsManager.on(ListSecretsCommand).resolves({ SecretList: [tagged('LinkSigningKeys5E6F7A8B')] });
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: malformed });
    await handler(legacy(), lambdaContext);
    const put = ssm.commandCalls(PutParameterCommand)[0]?.args[0].input;
    expect(put?.Value).not.toBe(malformed);
    expect(JSON.parse(put?.Value ?? '')).toEqual({
      activeKeyId: 'k1',
      k1: expect.stringMatching(/^[A-Za-z0-9]{64}$/),
    });
    expect(answers[0]).toMatchObject({ Status: 'SUCCESS' });
    expect(logged()).toContain('does not hold a link-signing-keys');
  });

  it("carries an alert source's rotation in progress (current and previous), refuses one with no credential", async () => {
    const rotating = `{"current":"${'c'.repeat(48)}","previous":"${'p'.repeat(48)}"}`;
    const props = {
      Name: '/hotline/Hotline/alert-sources/grafana',
      Template: '{}',
      GenerateKey: 'current',
      Length: '48',
      LegacySecretLogicalId: 'AlertSourceSecretGrafana',
      Shape: 'alert-source-credential' as const,
    };
    secretsManager
      .on(ListSecretsCommand)
      .resolves({ SecretList: [tagged('AlertSourceSecretGrafana12345678')] });
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: rotating });
    await handler(legacy(props), lambdaContext);
    expect(ssm).toHaveReceivedCommandWith(PutParameterCommand, { Value: rotating });

    ssm.resetHistory();
    secretsManager.on(GetSecretValueCommand).resolves({ SecretString: '{}' });
    await handler(legacy(props), lambdaContext);
    const put = ssm.commandCalls(PutParameterCommand)[0]?.args[0].input;
    expect(JSON.parse(put?.Value ?? '')).toEqual({ current: expect.stringMatching(/^[A-Za-z0-9]{48}$/) });
  });

  it('fails the deploy with a clear reason when ListSecrets is refused, and generates nothing', async () => {
    secretsManager.on(ListSecretsCommand).rejects(
      Object.assign(new Error('User is not authorized to perform: secretsmanager:ListSecrets'), {
        name: 'AccessDeniedException',
      }),
    );
    await handler(legacy(), lambdaContext);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
    expect(answers[0]).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringMatching(
        /could not look for the 0\.2\.0 secret LinkSigningKeys of stack Hotline \(secretsmanager:ListSecrets: AccessDeniedException.*nothing was generated/,
      ),
      PhysicalResourceId: 'CredentialsLinkSigningKeys-not-created',
    });
  });

  it('fails the deploy when the old secret cannot be read', async () => {
    secretsManager.on(ListSecretsCommand).resolves({ SecretList: [tagged('LinkSigningKeys5E6F7A8B')] });
    secretsManager
      .on(GetSecretValueCommand)
      .rejects(Object.assign(new Error('denied'), { name: 'AccessDeniedException' }));
    await handler(legacy(), lambdaContext);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
    expect(answers[0]).toMatchObject({
      Status: 'FAILED',
      Reason: expect.stringContaining('secretsmanager:GetSecretValue: AccessDeniedException'),
    });
  });

  it('fails rather than guess when two secrets of the stack claim the same credential', async () => {
    secretsManager.on(ListSecretsCommand).resolves({
      SecretList: [tagged('LinkSigningKeys5E6F7A8B'), tagged('LinkSigningKeys9A9A9A9A')],
    });
    await handler(legacy(), lambdaContext);
    expect(ssm).not.toHaveReceivedCommand(PutParameterCommand);
    expect(answers[0]).toMatchObject({ Status: 'FAILED', Reason: expect.stringContaining('2 secrets') });
  });

  it('does not look for an old secret when the resource names none, nor on Update', async () => {
    await handler(event(), lambdaContext);
    await handler(legacy({}), { ...lambdaContext });
    ssm.resetHistory();
    secretsManager.resetHistory();
    await handler(event({ RequestType: 'Update', PhysicalResourceId: name }), lambdaContext);
    expect(secretsManager.calls()).toHaveLength(0);
  });
});
