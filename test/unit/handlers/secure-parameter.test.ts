import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  DeleteParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type CustomResourceEvent, handler } from '../../../functions/handlers/secure-parameter.ts';
import { lambdaContext } from '../../support/events.ts';

const ssm = mockClient(SSMClient);
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
