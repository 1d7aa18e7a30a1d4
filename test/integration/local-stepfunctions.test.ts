import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  GetSecretValueCommand,
  ResourceNotFoundException,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  InvalidToken,
  ListExecutionsCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StateMachineDoesNotExist,
  StopExecutionCommand,
  TaskDoesNotExist,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import {
  DeleteParameterCommand,
  GetParameterCommand,
  ParameterAlreadyExists,
  ParameterNotFound,
  PutParameterCommand,
  SSMClient,
} from '@aws-sdk/client-ssm';
import { StateMachine } from 'aws-local-stepfunctions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { prepareDefinition, WAIT_RESOURCE } from '../../infra/local/asl.ts';
import { createAwsApi } from '../../infra/local/aws-api.ts';
import { readJson } from '../../infra/local/data-files.ts';
import { LambdaError, type LambdaRuntime } from '../../infra/local/functions.ts';
import { SecretStore } from '../../infra/local/secrets.ts';
import { ParameterStore } from '../../infra/local/ssm.ts';
import { type LocalStateMachine, StepFunctionsService } from '../../infra/local/stepfunctions.ts';
import { loadAssembly, StackModel } from '../../infra/local/template.ts';
import { eventually } from '../support/eventually.ts';

/**
 * The local Step Functions runner and the local AWS endpoint, driven through the real SDK clients (wire
 * protocol, error names) with a stub Lambda runtime in place of workers.
 */

const region = 'us-east-1';
const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
const fn = (name: string) => `arn:aws:lambda:${region}:000000000000:function:${name}`;
const machineArn = `arn:aws:states:${region}:000000000000:stateMachine:Flow`;

/** IsPresent:false, a Lambda task with Retry/Catch, a wait and a waitForTaskToken task: the shapes CDK emits. */
const definition = {
  StartAt: 'Route',
  States: {
    Route: {
      Type: 'Choice',
      Choices: [
        { Variable: '$.approve', IsPresent: false, Next: 'Work' },
        { Variable: '$.approve', BooleanEquals: true, Next: 'Approval' },
      ],
      Default: 'Work',
    },
    Work: {
      Type: 'Task',
      Resource: fn('Work'),
      TimeoutSeconds: 30,
      ResultPath: '$.work',
      Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 5, MaxAttempts: 2 }],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.failure', Next: 'Failed' }],
      Next: 'Pause',
    },
    Pause: { Type: 'Wait', SecondsPath: '$.pause', Next: 'Done' },
    Approval: {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        FunctionName: fn('Notify'),
        Payload: { 'token.$': '$$.Task.Token', 'name.$': '$$.Execution.Name' },
      },
      TimeoutSeconds: 3600,
      ResultPath: '$.decision',
      Catch: [{ ErrorEquals: ['Rejected'], ResultPath: '$.failure', Next: 'Failed' }],
      Next: 'Done',
    },
    Failed: { Type: 'Fail', Error: 'FlowFailed', Cause: 'see $.failure' },
    Done: { Type: 'Succeed' },
  },
};

describe('prepareDefinition', () => {
  it('rewrites negative type tests, turns waits into local tasks and takes over task timeouts', () => {
    const { definition: prepared, tasks } = prepareDefinition(definition);
    const route = prepared.States.Route as { Choices: unknown[] };
    expect(route.Choices[0]).toEqual({ Not: { Variable: '$.approve', IsPresent: true }, Next: 'Work' });
    expect(prepared.States.Pause).toMatchObject({
      Type: 'Task',
      Resource: WAIT_RESOURCE,
      Parameters: { 'input.$': '$', 'seconds.$': '$.pause' },
      Next: 'Done',
    });
    expect(prepared.States.Work).toMatchObject({ TimeoutSeconds: 2_147_483 });
    expect(tasks.get('Work')).toMatchObject({ timeoutSeconds: 30, originalType: 'Task' });
    expect(tasks.get('Pause')).toMatchObject({ originalType: 'Wait' });
  });

  it('rewrites nested rules and refuses JSONata, which the emulator would silently ignore', () => {
    const nested = prepareDefinition({
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [
            {
              And: [{ Variable: '$.a', IsNull: false }, { Not: { Variable: '$.b', IsString: false } }],
              Next: 'D',
            },
          ],
          Default: 'D',
        },
        D: { Type: 'Succeed' },
      },
    });
    expect((nested.definition.States.C as { Choices: unknown[] }).Choices[0]).toEqual({
      And: [
        { Not: { Variable: '$.a', IsNull: true } },
        { Not: { Not: { Variable: '$.b', IsString: true } } },
      ],
      Next: 'D',
    });
    expect(() => prepareDefinition({ QueryLanguage: 'JSONata', StartAt: 'A', States: {} })).toThrow(
      /JSONata/,
    );
  });

  it('lets a result replace the whole input with ResultPath "$", as AWS does and the emulator does not', async () => {
    const { definition: prepared } = prepareDefinition({
      StartAt: 'T',
      States: {
        T: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:000000000000:function:f',
          ResultPath: '$',
          Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$', Next: 'C' }],
          Next: 'C',
        },
        C: { Type: 'Choice', Choices: [{ Variable: '$.at', StringEquals: 'x', Next: 'S' }], Default: 'S' },
        S: { Type: 'Succeed' },
      },
    });
    const states = prepared.States as Record<
      string,
      { ResultPath?: unknown; Catch?: { ResultPath?: unknown }[] }
    >;
    expect(states.T?.ResultPath).toBeUndefined();
    expect(states.T?.Catch?.[0]?.ResultPath).toBeUndefined();
    const machine = new StateMachine(prepared as never, { validationOptions: { noValidate: true } });
    const run = machine.run(
      { a: 1 },
      {
        overrides: { taskResourceLocalHandlers: { T: async () => ({ at: 'x', b: 2 }) } as never },
      },
    );
    expect(await run.result).toEqual({ at: 'x', b: 2 });
  });
});

describe('local Step Functions, Secrets Manager and Parameter Store endpoint', () => {
  let dir: string;
  let server: Server;
  let sfnService: StepFunctionsService;
  let sfn: SFNClient;
  let secretsClient: SecretsManagerClient;
  let ssm: SSMClient;
  const calls: Array<{ name: string; event: Record<string, unknown> }> = [];
  /** Work fails twice with Flaky for each `flaky` id (its execution's own), then succeeds. */
  const flakyFailures = new Map<unknown, number>();

  const lambda = {
    find: (arn: string) => ({ arn }),
    invoke: async (arn: string, event: Record<string, unknown>) => {
      const name = arn.split(':').pop() ?? '';
      calls.push({ name, event });
      if (name === 'Work' && event.fail) throw new LambdaError('Boom', 'work failed', ['Boom: work failed']);
      if (name === 'Work' && event.flaky) {
        const failures = flakyFailures.get(event.flaky) ?? 0;
        flakyFailures.set(event.flaky, failures + 1);
        if (failures < 2) throw new LambdaError('Flaky', 'not yet');
      }
      return { done: true };
    },
  } as unknown as LambdaRuntime;

  const machine: LocalStateMachine = {
    logicalId: 'Flow',
    name: 'Flow',
    arn: machineArn,
    roleArn: '',
    definition,
  };
  const start = (name: string, input: object) =>
    sfn.send(new StartExecutionCommand({ stateMachineArn: machineArn, name, input: JSON.stringify(input) }));
  const tokenOf = (executionArn: string) =>
    eventually(
      async () => sfnService.pendingTasks(executionArn)[0]?.token,
      `a pending task of ${executionArn}`,
    );

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-local-sfn-'));
    writeFileSync(
      join(dir, 'S.template.json'),
      JSON.stringify({
        Resources: {
          SourceSecretAABBCCDD: {
            Type: 'AWS::SecretsManager::Secret',
            Properties: {
              GenerateSecretString: {
                SecretStringTemplate: '{}',
                GenerateStringKey: 'current',
                ExcludePunctuation: true,
                PasswordLength: 48,
              },
            },
          },
        },
      }),
    );
    const model = new StackModel(loadAssembly(dir, 'S'));
    const log = () => undefined;
    sfnService = new StepFunctionsService([machine], lambda, dir, log, {
      waitTimeOverrides: {},
      retryIntervalOverrides: { Work: 0 },
    });
    const secrets = new SecretStore(model, dir, log);
    const parameters = new ParameterStore(dir, region, '000000000000');
    server = createServer(createAwsApi({ stepFunctions: sfnService, secrets, parameters, lambda, log }));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const address = server.address() as { port: number };
    const endpoint = `http://127.0.0.1:${address.port}`;
    sfn = new SFNClient({ endpoint, region, credentials });
    secretsClient = new SecretsManagerClient({ endpoint, region, credentials });
    ssm = new SSMClient({ endpoint, region, credentials });
  });

  afterAll(async () => {
    await sfnService.stop();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs an execution started through the SDK: Choice with IsPresent:false, retries, a wait', async () => {
    const { executionArn } = await start('run-1', { flaky: 'run-1', pause: 0 });
    await sfnService.waitForExecution(executionArn ?? '');
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described.status).toBe('SUCCEEDED');
    expect(described.name).toBe('run-1');
    expect(described.startDate).toBeInstanceOf(Date);
    expect(JSON.parse(described.output ?? '')).toEqual({ flaky: 'run-1', pause: 0, work: { done: true } });
    const states = sfnService.describeExecution(executionArn).events.filter((e) => e.type === 'StateEntered');
    expect(states.map((e) => `${e.state}:${e.stateType}`)).toEqual([
      'Route:Choice',
      'Work:Task',
      'Pause:Wait',
      'Done:Succeed',
    ]);
    expect(
      sfnService.describeExecution(executionArn).events.filter((e) => e.type === 'StateRetried'),
    ).toHaveLength(2);
  });

  it('hands a function error to Catch with Lambda-style Error and Cause', async () => {
    const { executionArn } = await start('run-fail', { fail: true, pause: 0 });
    const record = await sfnService.waitForExecution(executionArn ?? '');
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('FlowFailed');
    const caught = record.events.find((e) => e.type === 'StateCaught');
    expect(caught?.state).toBe('Work');
    const failedEvent = record.events.find((e) => e.type === 'StateFailed' && e.state === 'Work');
    expect(failedEvent?.error).toBe('Boom');
    expect(JSON.parse(failedEvent?.cause ?? '{}')).toMatchObject({
      errorType: 'Boom',
      errorMessage: 'work failed',
    });
  });

  it('is idempotent on the execution name like Standard workflows', async () => {
    const first = await start('same-name', { approve: true });
    const again = await start('same-name', { approve: true });
    expect(again.executionArn).toBe(first.executionArn);
    await expect(start('same-name', { approve: true, other: 1 })).rejects.toBeInstanceOf(
      ExecutionAlreadyExists,
    );
    await sfn.send(
      new SendTaskSuccessCommand({ taskToken: await tokenOf(first.executionArn ?? ''), output: '{}' }),
    );
    await sfnService.waitForExecution(first.executionArn ?? '');
    // A closed execution keeps its name: same input or not, a new start is refused.
    await expect(start('same-name', { approve: true })).rejects.toBeInstanceOf(ExecutionAlreadyExists);
  });

  it('completes waitForTaskToken tasks through SendTaskSuccess and SendTaskFailure', async () => {
    const ok = await start('approve-ok', { approve: true });
    const token = await tokenOf(ok.executionArn ?? '');
    const notified = calls.find((c) => c.name === 'Notify' && c.event.name === 'approve-ok')?.event;
    expect(notified).toEqual({ token, name: 'approve-ok' });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ by: 'alice' }) }));
    const done = await sfnService.waitForExecution(ok.executionArn ?? '');
    expect(JSON.parse(done.output ?? '')).toEqual({ approve: true, decision: { by: 'alice' } });
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);

    const rejected = await start('approve-no', { approve: true });
    await sfn.send(
      new SendTaskFailureCommand({
        taskToken: await tokenOf(rejected.executionArn ?? ''),
        error: 'Rejected',
        cause: 'no',
      }),
    );
    const failed = await sfnService.waitForExecution(rejected.executionArn ?? '');
    expect(failed.status).toBe('FAILED');
    expect(failed.events.find((e) => e.type === 'StateCaught')?.state).toBe('Approval');
  });

  it('answers with the error names the SDK knows', async () => {
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'garbage', output: '{}' })),
    ).rejects.toBeInstanceOf(InvalidToken);
    await expect(
      sfn.send(
        new SendTaskSuccessCommand({
          // Well formed (the emulator's tokens name their execution), but never issued.
          taskToken: `AQ${'a'.repeat(64)}.${Buffer.from(`${machineArn.replace(':stateMachine:', ':execution:')}:x`).toString('base64url')}`,
          output: '{}',
        }),
      ),
    ).rejects.toBeInstanceOf(TaskDoesNotExist);
    await expect(
      sfn.send(new StartExecutionCommand({ stateMachineArn: `${machineArn}Nope`, input: '{}' })),
    ).rejects.toBeInstanceOf(StateMachineDoesNotExist);
    await expect(start('bad name', {})).rejects.toMatchObject({ name: 'InvalidName' });
    const error = await secretsClient
      .send(new GetSecretValueCommand({ SecretId: 'nope' }))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResourceNotFoundException);
  });

  it('lists and stops executions', async () => {
    // Two closed executions of its own, so that there is a second page whatever else ran before.
    for (const name of ['listed-1', 'listed-2']) {
      const { executionArn } = await start(name, { pause: 0 });
      expect((await sfnService.waitForExecution(executionArn ?? '')).status).toBe('SUCCEEDED');
    }
    const running = await start('to-stop', { approve: true });
    await tokenOf(running.executionArn ?? '');
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn: running.executionArn, cause: 'enough' }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: running.executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', cause: 'enough' });
    const page = await sfn.send(new ListExecutionsCommand({ stateMachineArn: machineArn, maxResults: 2 }));
    expect(page.executions).toHaveLength(2);
    expect(page.nextToken).toBeDefined();
    const aborted = await sfn.send(
      new ListExecutionsCommand({ stateMachineArn: machineArn, statusFilter: 'ABORTED' }),
    );
    const abortedNames = aborted.executions?.map((e) => e.name);
    expect(abortedNames).toContain('to-stop');
    expect(abortedNames).not.toContain('listed-1');
    expect(aborted.executions?.every((e) => e.status === 'ABORTED')).toBe(true);
  });

  it('serves generated secrets in the template shape and keeps them in a private file', async () => {
    const out = await secretsClient.send(new GetSecretValueCommand({ SecretId: 'SourceSecret' }));
    expect(out.Name).toBe('SourceSecret');
    expect(out.ARN).toMatch(/:secret:SourceSecret-[A-Za-z]{6}$/);
    expect(JSON.parse(out.SecretString ?? '')).toEqual({
      current: expect.stringMatching(/^[A-Za-z0-9]{48}$/),
    });
    const byArn = await secretsClient.send(new GetSecretValueCommand({ SecretId: out.ARN }));
    expect(byArn.SecretString).toBe(out.SecretString);
    expect(statSync(join(dir, 'secrets.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, 'secrets.json'), 'utf8')).toContain(
      JSON.parse(out.SecretString ?? '').current,
    );
  });

  it('keeps SecureString parameters as Parameter Store does: once unless overwritten, decrypted when asked, in a private file', async () => {
    const Name = '/hotline/S/alert-sources/alertmanager';
    const first = JSON.stringify({ current: 'c'.repeat(48) });
    expect(
      await ssm.send(
        new PutParameterCommand({ Name, Value: first, Type: 'SecureString', KeyId: 'alias/aws/ssm' }),
      ),
    ).toMatchObject({ Version: 1, Tier: 'Standard' });
    // Overwrite false (the default) keeps the value: what makes the custom resource's Create idempotent.
    await expect(
      ssm.send(new PutParameterCommand({ Name, Value: '{}', Type: 'SecureString', Overwrite: false })),
    ).rejects.toBeInstanceOf(ParameterAlreadyExists);
    const read = await ssm.send(new GetParameterCommand({ Name, WithDecryption: true }));
    expect(read.Parameter).toMatchObject({
      Name,
      Type: 'SecureString',
      Value: first,
      Version: 1,
      ARN: 'arn:aws:ssm:us-east-1:000000000000:parameter/hotline/S/alert-sources/alertmanager',
    });
    // Without decryption, never the value.
    const sealed = await ssm.send(new GetParameterCommand({ Name }));
    expect(sealed.Parameter?.Value).not.toContain('c'.repeat(48));
    // A rotation overwrites (current/previous), by name or ARN.
    const rotated = JSON.stringify({ current: 'n'.repeat(48), previous: 'c'.repeat(48) });
    await ssm.send(new PutParameterCommand({ Name, Value: rotated, Type: 'SecureString', Overwrite: true }));
    const byArn = await ssm.send(
      new GetParameterCommand({ Name: read.Parameter?.ARN ?? '', WithDecryption: true }),
    );
    expect(byArn.Parameter).toMatchObject({ Value: rotated, Version: 2 });
    expect(statSync(join(dir, 'parameters.json')).mode & 0o777).toBe(0o600);
    // A new store on the same folder (a restart) has the same values.
    expect(new ParameterStore(dir, region, '000000000000').get(Name).value).toBe(rotated);
    await ssm.send(new DeleteParameterCommand({ Name }));
    await expect(ssm.send(new GetParameterCommand({ Name }))).rejects.toBeInstanceOf(ParameterNotFound);
  });

  it('enforces TimeoutSecondsPath and HeartbeatSeconds on token waits, scaled for tests', async () => {
    const waits: LocalStateMachine = {
      logicalId: 'Waits',
      name: 'Waits',
      arn: `${machineArn.replace(':Flow', ':Waits')}`,
      roleArn: '',
      definition: {
        StartAt: 'Ack',
        States: {
          Ack: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: fn('Notify'), Payload: { 'token.$': '$$.Task.Token' } },
            TimeoutSecondsPath: '$.ackSeconds',
            HeartbeatSeconds: 3600,
            End: true,
          },
        },
      },
    };
    const scaled = new StepFunctionsService(
      [waits],
      lambda,
      mkdtempSync(join(dir, 'waits-')),
      () => undefined,
      {
        waitScale: 0.0001,
      },
    );
    try {
      const timedOut = scaled.startExecution({ stateMachineArn: waits.arn, input: '{"ackSeconds":600}' });
      expect(await scaled.waitForExecution(timedOut.executionArn)).toMatchObject({
        status: 'FAILED',
        error: 'States.Timeout',
      });
      const silent = scaled.startExecution({ stateMachineArn: waits.arn, input: '{"ackSeconds":86400}' });
      expect(await scaled.waitForExecution(silent.executionArn)).toMatchObject({
        status: 'FAILED',
        error: 'States.HeartbeatTimeout',
      });
    } finally {
      await scaled.stop();
    }
  });

  it('with the waits scaled, counts a token wait from when its function has run (the function may resume it)', async () => {
    const ownResume: LocalStateMachine = {
      logicalId: 'OwnResume',
      name: 'OwnResume',
      arn: `${machineArn.replace(':Flow', ':OwnResume')}`,
      roleArn: '',
      definition: {
        StartAt: 'Ack',
        States: {
          Ack: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Parameters: { FunctionName: fn('Notify'), Payload: { 'token.$': '$$.Task.Token' } },
            // A second on AWS, a tenth of a millisecond scaled: far less than the function takes.
            TimeoutSeconds: 1,
            End: true,
          },
        },
      },
    };
    let service: StepFunctionsService | undefined;
    const slow = {
      find: (arn: string) => ({ arn }),
      invoke: async (_arn: string, event: Record<string, unknown>) => {
        await new Promise((r) => setTimeout(r, 50));
        service?.sendTaskSuccess(String(event.token), '{"resumed":true}');
        return {};
      },
    } as unknown as LambdaRuntime;
    service = new StepFunctionsService([ownResume], slow, mkdtempSync(join(dir, 'own-')), () => undefined, {
      waitScale: 0.0001,
    });
    try {
      const run = service.startExecution({ stateMachineArn: ownResume.arn, input: '{}' });
      expect(await service.waitForExecution(run.executionArn)).toMatchObject({ status: 'SUCCEEDED' });
    } finally {
      await service.stop();
    }
  });

  it('persists the execution registry in the data folder', async () => {
    const done = await start('persisted-done', { pause: 0 });
    await sfnService.waitForExecution(done.executionArn ?? '');
    const waiting = await start('persisted-waiting', { approve: true });
    const token = await tokenOf(waiting.executionArn ?? '');
    // The registry is written shortly after each change (not on every one): poll the file for both runs.
    const saved = await eventually(async () => {
      const registry = readJson<{ executions: { name: string; status: string }[] }>(
        join(dir, 'executions.json'),
      );
      const names = registry?.executions.map((e) => e.name) ?? [];
      return names.includes('persisted-done') && names.includes('persisted-waiting') ? registry : undefined;
    }, 'both executions in executions.json');
    expect(saved.executions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ name: 'persisted-done', status: 'SUCCEEDED' }),
        expect.objectContaining({ name: 'persisted-waiting', status: 'RUNNING' }),
      ]),
    );
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' }));
    await sfnService.waitForExecution(waiting.executionArn ?? '');
  });
});
