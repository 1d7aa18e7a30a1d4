import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  CustomResourceError,
  CustomResourceResponses,
  createCustomResources,
  customResourcesFromTemplate,
} from '../../infra/local/custom-resources.ts';
import type { LambdaRuntime } from '../../infra/local/functions.ts';
import { loadAssembly, StackModel } from '../../infra/local/template.ts';

/*
 * The local target runs a template's custom resources as CloudFormation does: a Create event to the function
 * its ServiceToken names, whose answer arrives at the ResponseURL. Here the function is a stand-in that answers
 * as it is told; test/e2e runs the stack's real one on every start.
 */

type Answer = 'SUCCESS' | 'FAILED' | 'none' | 'throw';

let dir: string;
let server: Server;
let model: StackModel;
let responses: CustomResourceResponses;
let answer: Answer = 'SUCCESS';
const events: Array<Record<string, unknown>> = [];

const lambda = {
  invoke: async (arn: string, event: Record<string, unknown>) => {
    events.push({ arn, ...event });
    if (answer === 'throw') throw new Error('Runtime.ExitError');
    if (answer === 'none') return null;
    const reply = await fetch(String(event.ResponseURL), {
      method: 'PUT',
      body: JSON.stringify({
        Status: answer,
        Reason: answer === 'FAILED' ? 'not authorized to perform: ssm:PutParameter' : undefined,
        PhysicalResourceId: 'p-1',
        RequestId: event.RequestId,
      }),
    });
    return { status: reply.status };
  },
} as unknown as LambdaRuntime;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-custom-'));
  writeFileSync(
    join(dir, 'S.template.json'),
    JSON.stringify({
      Resources: {
        MakerAABBCCDD: { Type: 'AWS::Lambda::Function', Properties: { FunctionName: 'Maker' } },
        ParamAABBCCDD: {
          Type: 'Custom::SecureStringParameter',
          Properties: {
            ServiceToken: { 'Fn::GetAtt': ['MakerAABBCCDD', 'Arn'] },
            Name: { 'Fn::Join': ['', ['/hotline/', { Ref: 'AWS::StackName' }, '/x']] },
            Length: 48,
            Retain: true,
          },
        },
      },
    }),
  );
  model = new StackModel(loadAssembly(dir, 'S'));
  responses = new CustomResourceResponses(() => `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
  server = createServer((req, res) => {
    void responses.handle(req, res).then((handled) => {
      if (!handled) res.writeHead(404).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  events.length = 0;
  answer = 'SUCCESS';
});

const create = () =>
  createCustomResources(model, customResourcesFromTemplate(model), {
    lambda,
    responses,
    log: () => undefined,
  });

describe('custom resources on the local target', () => {
  it('sends a Create event with the resolved properties as strings, and takes the SUCCESS answer', async () => {
    const results = await create();
    expect(events).toEqual([
      expect.objectContaining({
        arn: 'arn:aws:lambda:us-east-1:000000000000:function:Maker',
        RequestType: 'Create',
        ResourceType: 'Custom::SecureStringParameter',
        LogicalResourceId: 'ParamAABBCCDD',
        StackId: expect.stringContaining(':stack/S/'),
        ResponseURL: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+\/_local\/cloudformation\/responses\//),
        ResourceProperties: {
          ServiceToken: 'arn:aws:lambda:us-east-1:000000000000:function:Maker',
          Name: '/hotline/S/x',
          Length: '48',
          Retain: 'true',
        },
      }),
    ]);
    expect(results.ParamAABBCCDD).toMatchObject({ Status: 'SUCCESS', PhysicalResourceId: 'p-1' });
  });

  it('fails the start on a FAILED answer, naming the resource and the reason', async () => {
    answer = 'FAILED';
    await expect(create()).rejects.toThrow(
      new CustomResourceError(
        'Param (Custom::SecureStringParameter) failed to create: not authorized to perform: ssm:PutParameter',
      ),
    );
  });

  it('fails the start when the function errs, or returns without answering', async () => {
    answer = 'throw';
    await expect(create()).rejects.toThrow(/its function failed: Runtime.ExitError/);
    answer = 'none';
    await expect(create()).rejects.toThrow(/returned without answering the ResponseURL/);
  });

  it('refuses an answer to a request it did not send', async () => {
    const address = server.address() as AddressInfo;
    const stray = await fetch(`http://127.0.0.1:${address.port}/_local/cloudformation/responses/unknown`, {
      method: 'PUT',
      body: '{}',
    });
    expect(stray.status).toBe(404);
  });
});
