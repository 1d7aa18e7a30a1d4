import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import {
  injectToken,
  type Json,
  type PreparedDefinition,
  prepareDefinition,
  TASK_TOKEN_PLACEHOLDER,
  type TaskInfo,
  WAIT_RESOURCE,
  WRAPPED_HEARTBEAT,
  WRAPPED_PAYLOAD,
  WRAPPED_TIMEOUT,
} from './asl.ts';
import { readJson, writeJson } from './data-files.ts';
import { ServiceError, StatesError } from './errors.ts';
import { LambdaError, type LambdaRuntime } from './functions.ts';
import { type PendingTask, TaskTokens } from './task-tokens.ts';
import type { StackModel } from './template.ts';
import { MAX_TIMER_MS, sleep } from './timers.ts';

/**
 * Runs the template's state machines with aws-local-stepfunctions and adds what the emulator lacks: Lambda
 * dispatch to the local runtime, task tokens (`.waitForTaskToken`), task timeouts and heartbeats, scalable waits,
 * and an execution registry (persisted, with Step Functions' name idempotency) behind the local SFN API.
 */

export type { PendingTask } from './task-tokens.ts';

export interface LocalStateMachine {
  logicalId: string;
  name: string;
  arn: string;
  roleArn: string;
  definition: unknown;
}

export interface StepFunctionsOptions {
  /** Milliseconds per Wait state name, instead of its duration. */
  waitTimeOverrides?: Record<string, number>;
  /** Multiplies every Wait and every `.waitForTaskToken` timeout/heartbeat (the human waits). Default 1. */
  waitScale?: number;
  /** Milliseconds before each retry, per state name (or per retrier), instead of the back-off. */
  retryIntervalOverrides?: Record<string, number | number[]>;
  /** Milliseconds per Task state name, instead of its TimeoutSeconds. */
  taskTimeoutOverrides?: Record<string, number>;
}

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

export interface ExecutionEvent {
  type: string;
  timestamp: string;
  state?: string;
  stateType?: string;
  error?: string;
  cause?: string;
}

export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  status: ExecutionStatus;
  input: string;
  output?: string;
  error?: string;
  cause?: string;
  startDate: string;
  stopDate?: string;
  events: ExecutionEvent[];
}

interface Running {
  abort: () => void;
  controller: AbortController;
  stopReason?: 'stop' | 'shutdown';
  done: Promise<void>;
}

interface Machine {
  info: LocalStateMachine;
  prepared: PreparedDefinition;
  runner: StateMachine;
}

type Log = (line: string) => void;

const LAMBDA_ARN = /^arn:aws[a-z-]*:lambda:[^:]+:[^:]+:function:/;
const LAMBDA_INVOKE = /^arn:aws[a-z-]*:states:::lambda:invoke$/;
const LAMBDA_INVOKE_TOKEN = /^arn:aws[a-z-]*:states:::lambda:invoke\.waitForTaskToken$/;
const NAME_FORBIDDEN = /[\s<>{}[\]?*"#%\\^|~`$&,;:/]/;
const MAX_EVENTS = 1000;

export function stateMachinesFromTemplate(model: StackModel): LocalStateMachine[] {
  return model.resourcesOfType('AWS::StepFunctions::StateMachine').map(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const where = `${logicalId}.DefinitionString`;
    let text =
      props.Definition !== undefined
        ? JSON.stringify(model.resolve(props.Definition, `${logicalId}.Definition`))
        : model.resolveString(props.DefinitionString, where);
    const substitutions = model.resolve(
      props.DefinitionSubstitutions ?? {},
      `${logicalId}.DefinitionSubstitutions`,
    );
    for (const [key, value] of Object.entries(substitutions as Record<string, unknown>)) {
      text = text.split(`\${${key}}`).join(String(value));
    }
    let definition: unknown;
    try {
      definition = JSON.parse(text);
    } catch (error) {
      throw new Error(`${where} is not valid JSON once resolved: ${(error as Error).message}`);
    }
    return {
      logicalId,
      name: model.physicalName(logicalId),
      arn: model.arn(logicalId),
      roleArn: props.RoleArn ? String(model.resolve(props.RoleArn, `${logicalId}.RoleArn`)) : '',
      definition,
    };
  });
}

export class StepFunctionsService {
  private readonly machines = new Map<string, Machine>();
  private readonly executions = new Map<string, ExecutionRecord>();
  private readonly running = new Map<string, Running>();
  private readonly tokens = new TaskTokens();
  private readonly finishWaiters = new Map<string, Array<(record: ExecutionRecord) => void>>();
  private readonly file: string;
  private saveTimer: NodeJS.Timeout | undefined;
  private shuttingDown = false;
  private refusesStart: ((name: string) => boolean) | undefined;
  /** Authorises a Lambda task's invocation by the state machine's role: a denial's message, or undefined. */
  authorizeInvoke: ((stateMachineArn: string, functionRef: string) => string | undefined) | undefined;

  constructor(
    machines: LocalStateMachine[],
    private readonly lambda: LambdaRuntime,
    dataDir: string,
    private readonly log: Log,
    private readonly options: StepFunctionsOptions = {},
  ) {
    this.file = join(dataDir, 'executions.json');
    for (const info of machines) {
      const problems = validationProblems(info.definition);
      if (problems) log(`[sfn] warning: ${info.name}'s definition fails local validation:\n${problems}`);
      const prepared = prepareDefinition(info.definition);
      if (prepared.duplicateNames.length > 0) {
        log(
          `[sfn] warning: ${info.name} reuses state names ${prepared.duplicateNames.join(', ')} in nested scopes`,
        );
      }
      for (const task of prepared.tasks.values()) {
        const unsupported = unsupportedResource(task.resource);
        if (unsupported) log(`[sfn] warning: ${info.name} state "${task.stateName}": ${unsupported}`);
      }
      const runner = new StateMachine(prepared.definition as unknown as StateMachineDefinition, {
        validationOptions: { noValidate: true },
      });
      this.machines.set(info.arn, { info, prepared, runner });
    }
    const saved = readJson<{ executions?: ExecutionRecord[] }>(this.file);
    for (const record of saved?.executions ?? []) this.executions.set(record.executionArn, record);
  }

  get stateMachines(): LocalStateMachine[] {
    return [...this.machines.values()].map((m) => m.info);
  }

  /** Executions left RUNNING by a previous run start again from the beginning (workflow steps are idempotent). */
  resumeInterrupted(): void {
    for (const record of this.executions.values()) {
      if (record.status !== 'RUNNING') continue;
      if (!this.machines.has(record.stateMachineArn)) {
        this.finish(record, 'ABORTED', {
          error: 'Local.StateMachineGone',
          cause: 'The state machine is no longer in the stack',
        });
        continue;
      }
      this.log(
        `[sfn] restarting ${record.name} from the start: it was running when the local target stopped`,
      );
      record.events.push({ type: 'ExecutionRestarted', timestamp: new Date().toISOString() });
      this.run(record);
    }
    this.scheduleSave();
  }

  /**
   * Fault injection for tests: StartExecution of the executions `refuse` names fails as a service that is down
   * (503, retried by the SDK), until this is called again without it.
   */
  refuseStarts(refuse?: (name: string) => boolean): void {
    this.refusesStart = refuse;
  }

  startExecution(request: { stateMachineArn?: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: Date;
  } {
    const machine = this.machine(request.stateMachineArn);
    const name = request.name ?? randomUUID();
    if (this.refusesStart?.(name)) {
      throw new ServiceError('ServiceUnavailable', 'Step Functions is unavailable (injected by a test)', 503);
    }
    if (!validName(name)) throw new ServiceError('InvalidName', `Invalid Name: '${name}'`);
    const input = request.input ?? '{}';
    try {
      JSON.parse(input);
    } catch {
      throw new ServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${input}'`);
    }
    const executionArn = `${machine.info.arn.replace(':stateMachine:', ':execution:')}:${name}`;
    const existing = this.executions.get(executionArn);
    if (existing) {
      // Step Functions (Standard): same name and input while open is idempotent; anything else is a conflict.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn, startDate: new Date(existing.startDate) };
      }
      throw new ServiceError('ExecutionAlreadyExists', `Execution Already Exists: '${executionArn}'`);
    }
    const record: ExecutionRecord = {
      executionArn,
      stateMachineArn: machine.info.arn,
      name,
      status: 'RUNNING',
      input,
      startDate: new Date().toISOString(),
      events: [],
    };
    this.executions.set(executionArn, record);
    this.run(record);
    this.scheduleSave();
    return { executionArn, startDate: new Date(record.startDate) };
  }

  describeExecution(executionArn: string | undefined): ExecutionRecord {
    if (!executionArn?.startsWith('arn:'))
      throw new ServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const record = this.executions.get(executionArn);
    if (!record)
      throw new ServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  listExecutions(request: {
    stateMachineArn?: string;
    statusFilter?: string;
    maxResults?: number;
    nextToken?: string;
  }) {
    const machine = this.machine(request.stateMachineArn);
    const all = [...this.executions.values()]
      .filter((e) => e.stateMachineArn === machine.info.arn)
      .filter((e) => !request.statusFilter || e.status === request.statusFilter)
      .sort((a, b) => b.startDate.localeCompare(a.startDate));
    const offset = request.nextToken ? Number(Buffer.from(request.nextToken, 'base64url').toString()) : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new ServiceError('InvalidToken', 'Invalid nextToken');
    const size = request.maxResults && request.maxResults > 0 ? Math.min(request.maxResults, 1000) : 100;
    const page = all.slice(offset, offset + size);
    const next =
      offset + size < all.length ? Buffer.from(String(offset + size)).toString('base64url') : undefined;
    return { executions: page, nextToken: next };
  }

  stopExecution(executionArn: string | undefined, error?: string, cause?: string): { stopDate: Date } {
    const record = this.describeExecution(executionArn);
    const running = this.running.get(record.executionArn);
    if (record.status === 'RUNNING' && running) {
      running.stopReason = 'stop';
      this.finish(record, 'ABORTED', { error, cause });
      running.abort();
    }
    return { stopDate: new Date(record.stopDate ?? Date.now()) };
  }

  sendTaskSuccess(token: string | undefined, output: string | undefined): void {
    this.tokens.succeed(token, output);
  }

  sendTaskFailure(token: string | undefined, error?: string, cause?: string): void {
    this.tokens.fail(token, error, cause);
  }

  sendTaskHeartbeat(token: string | undefined): void {
    this.tokens.heartbeat(token);
  }

  /** Tasks waiting for a token, for tests and for the operator's eyes. */
  /** The state machine whose execution issued a task token, for authorising the callback as AWS does. */
  stateMachineOfToken(token: string): string | undefined {
    const executionArn = this.tokens.executionOf(token);
    return executionArn ? this.executions.get(executionArn)?.stateMachineArn : undefined;
  }

  pendingTasks(executionArn?: string): PendingTask[] {
    return this.tokens.pending(executionArn);
  }

  executionsOf(stateMachineArnOrName?: string): ExecutionRecord[] {
    return [...this.executions.values()].filter(
      (e) =>
        !stateMachineArnOrName ||
        e.stateMachineArn === stateMachineArnOrName ||
        e.stateMachineArn.endsWith(`:${stateMachineArnOrName}`),
    );
  }

  /** Resolves once the execution has left RUNNING. */
  waitForExecution(executionArn: string, timeoutMs = 30_000): Promise<ExecutionRecord> {
    const record = this.describeExecution(executionArn);
    if (record.status !== 'RUNNING') return Promise.resolve(record);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`${record.name} still RUNNING after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const list = this.finishWaiters.get(executionArn) ?? [];
      list.push((done) => {
        clearTimeout(timer);
        resolve(done);
      });
      this.finishWaiters.set(executionArn, list);
    });
  }

  /** Stops every run without closing it: RUNNING executions stay RUNNING on disk and restart next time. */
  async stop(): Promise<void> {
    this.shuttingDown = true;
    const runs = [...this.running.values()];
    for (const run of runs) {
      run.stopReason = 'shutdown';
      run.controller.abort();
      run.abort();
    }
    this.tokens.closeAll();
    await Promise.allSettled(runs.map((r) => r.done));
    clearTimeout(this.saveTimer);
    this.save();
  }

  private machine(arn: string | undefined): Machine {
    if (!arn?.startsWith('arn:')) throw new ServiceError('InvalidArn', `Invalid Arn: '${arn}'`);
    const machine = this.machines.get(arn);
    if (!machine)
      throw new ServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return machine;
  }

  private run(record: ExecutionRecord): void {
    const machine = this.machines.get(record.stateMachineArn);
    if (!machine) throw new Error(`No state machine ${record.stateMachineArn}`);
    const controller = new AbortController();
    const handlers: Record<string, (input: unknown) => Promise<Json>> = {};
    for (const task of machine.prepared.tasks.values()) {
      handlers[task.stateName] = (input) => this.runTask(task, input as Json, record, controller.signal);
    }
    const started = Date.now();
    const execution = machine.runner.run(JSON.parse(record.input), {
      overrides: {
        taskResourceLocalHandlers: handlers as never,
        retryIntervalOverrides: this.options.retryIntervalOverrides ?? {},
      },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: machine.info.roleArn,
          RedriveCount: 0,
        },
        StateMachine: { Id: machine.info.arn, Name: machine.info.name },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });
    const types = new Map([...machine.prepared.tasks.values()].map((t) => [t.stateName, t.originalType]));
    const events = this.collectEvents(record, execution.eventLogs, types);
    // The event log closes as the execution ends; waiting for it keeps a finished record's history complete.
    const eventsClosed = () => Promise.race([events, new Promise((r) => setTimeout(r, 1000).unref())]);
    const running: Running = { abort: execution.abort, controller, done: Promise.resolve() };
    running.done = execution.result.then(
      async (output) => {
        await eventsClosed();
        if (running.stopReason) return;
        this.finish(record, 'SUCCEEDED', { output: JSON.stringify(output ?? null) });
        this.log(`[sfn] ${machine.info.name}/${record.name} SUCCEEDED in ${Date.now() - started} ms`);
      },
      async (error: unknown) => {
        await eventsClosed();
        if (running.stopReason || error instanceof ExecutionAbortedError) return;
        if (error instanceof ExecutionTimeoutError) {
          this.finish(record, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out' });
        } else {
          const cause =
            error instanceof ExecutionError ? (error.cause as Error | undefined) : (error as Error);
          this.finish(record, 'FAILED', {
            error: cause?.name ?? 'Error',
            cause: cause?.message ?? String(error),
          });
        }
        this.log(
          `[sfn] ${machine.info.name}/${record.name} ${record.status}: ${record.error}: ${record.cause}`,
        );
      },
    );
    void running.done.finally(() => {
      this.running.delete(record.executionArn);
      controller.abort();
      this.tokens.closeExecution(record.executionArn);
    });
    this.running.set(record.executionArn, running);
  }

  private async collectEvents(
    record: ExecutionRecord,
    events: AsyncGenerator<unknown>,
    types: Map<string, string>,
  ): Promise<void> {
    for await (const raw of events) {
      const event = raw as {
        type: string;
        timestamp: number;
        state?: { name: string; type: string };
        Error?: string;
        Cause?: unknown;
      };
      const entry: ExecutionEvent = { type: event.type, timestamp: new Date(event.timestamp).toISOString() };
      if (event.state) {
        entry.state = event.state.name;
        entry.stateType = types.get(event.state.name) ?? event.state.type;
      }
      if (event.Error !== undefined) entry.error = event.Error;
      if (event.Cause !== undefined) {
        const cause = event.Cause instanceof Error ? event.Cause.message : event.Cause;
        entry.cause = (typeof cause === 'string' ? cause : JSON.stringify(cause)).slice(0, 2000);
      }
      record.events.push(entry);
      if (record.events.length > MAX_EVENTS) record.events.splice(0, record.events.length - MAX_EVENTS);
    }
    this.scheduleSave();
  }

  private finish(
    record: ExecutionRecord,
    status: ExecutionStatus,
    detail: { output?: string; error?: string | undefined; cause?: string | undefined },
  ): void {
    if (record.status !== 'RUNNING') return;
    record.status = status;
    record.stopDate = new Date().toISOString();
    if (detail.output !== undefined) record.output = detail.output;
    if (detail.error !== undefined) record.error = detail.error;
    if (detail.cause !== undefined) record.cause = detail.cause;
    this.scheduleSave();
    const waiters = this.finishWaiters.get(record.executionArn) ?? [];
    this.finishWaiters.delete(record.executionArn);
    for (const notify of waiters) notify(record);
  }

  private async runTask(
    task: TaskInfo,
    rawInput: Json,
    record: ExecutionRecord,
    signal: AbortSignal,
  ): Promise<Json> {
    // The emulator retries a task that failed because its execution was stopped; that retry must not start
    // work (a token wait would never settle and its timeout timer would keep the process alive).
    if (signal.aborted) throw new StatesError('Local.Aborted', 'execution stopped', { fatal: true });
    let input = rawInput;
    let timeoutSeconds = task.timeoutSeconds;
    let heartbeatSeconds = task.heartbeatSeconds;
    if (task.wrapped && rawInput && typeof rawInput === 'object' && !Array.isArray(rawInput)) {
      input = rawInput[WRAPPED_PAYLOAD] ?? null;
      if (typeof rawInput[WRAPPED_TIMEOUT] === 'number') timeoutSeconds = rawInput[WRAPPED_TIMEOUT];
      if (typeof rawInput[WRAPPED_HEARTBEAT] === 'number') heartbeatSeconds = rawInput[WRAPPED_HEARTBEAT];
    }
    if (task.resource === WAIT_RESOURCE) return this.wait(task.stateName, input, signal);
    const waitsForToken = LAMBDA_INVOKE_TOKEN.test(task.resource);
    const scale = waitsForToken ? (this.options.waitScale ?? 1) : 1;
    const override = this.options.taskTimeoutOverrides?.[task.stateName];
    const timeoutMs = override ?? (timeoutSeconds !== undefined ? timeoutSeconds * 1000 * scale : undefined);
    const heartbeatMs = heartbeatSeconds !== undefined ? heartbeatSeconds * 1000 * scale : undefined;
    const cleanups: Array<() => void> = [];
    let timer: NodeJS.Timeout | undefined;
    try {
      const work = this.dispatch(task, input, record, signal, heartbeatMs, cleanups);
      if (timeoutMs === undefined) return await work;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new StatesError('States.Timeout', `State ${task.stateName} timed out`)),
          Math.min(timeoutMs, MAX_TIMER_MS),
        );
      });
      return await Promise.race([work, timeout]);
    } finally {
      clearTimeout(timer);
      for (const cleanup of cleanups) cleanup();
    }
  }

  private async dispatch(
    task: TaskInfo,
    input: Json,
    record: ExecutionRecord,
    signal: AbortSignal,
    heartbeatMs: number | undefined,
    cleanups: Array<() => void>,
  ): Promise<Json> {
    if (LAMBDA_ARN.test(task.resource)) return this.invokeLambda(record, task.resource, input);
    if (LAMBDA_INVOKE.test(task.resource)) {
      const parameters = lambdaParameters(task, input);
      if (parameters.InvocationType === 'Event') {
        void this.invokeLambda(record, parameters.FunctionName, parameters.Payload ?? null).catch(
          () => undefined,
        );
        return { StatusCode: 202, Payload: '' };
      }
      const payload = await this.invokeLambda(record, parameters.FunctionName, parameters.Payload ?? null);
      return {
        ExecutedVersion: '$LATEST',
        Payload: payload,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: randomUUID() },
        StatusCode: 200,
      };
    }
    if (LAMBDA_INVOKE_TOKEN.test(task.resource)) {
      const { token, settled, close } = this.tokens.issue(
        record.executionArn,
        task.stateName,
        heartbeatMs,
        signal,
      );
      // A settled, timed-out or retried task leaves its token closed: a late callback gets TaskTimedOut.
      cleanups.push(close);
      const parameters = lambdaParameters(task, injectToken(input, token));
      const invocation = this.invokeLambda(record, parameters.FunctionName, parameters.Payload ?? null);
      if (parameters.InvocationType === 'Event') {
        invocation.catch((error: Error) =>
          this.log(`[sfn] ${record.name} state ${task.stateName}: async invoke failed: ${error.message}`),
        );
        return settled;
      }
      await invocation;
      return settled;
    }
    throw new StatesError(
      'States.Runtime',
      `State ${task.stateName}: ${unsupportedResource(task.resource)}`,
      {
        fatal: true,
      },
    );
  }

  private async invokeLambda(record: ExecutionRecord, functionRef: string, payload: Json): Promise<Json> {
    // The state machine's role must allow the invocation, as on AWS (the error is the one Lambda answers there).
    const denied = this.authorizeInvoke?.(record.stateMachineArn, functionRef);
    if (denied) throw new StatesError('Lambda.AWSLambdaException', denied);
    try {
      return (await this.lambda.invoke(functionRef, payload)) as Json;
    } catch (error) {
      if (error instanceof LambdaError) throw new StatesError(error.name, error.payload);
      throw error;
    }
  }

  private async wait(stateName: string, parameters: Json, signal: AbortSignal): Promise<Json> {
    const p = (parameters ?? {}) as { input?: Json; seconds?: Json; timestamp?: Json };
    let ms: number;
    const override = this.options.waitTimeOverrides?.[stateName];
    if (override !== undefined) ms = override;
    else if (p.seconds !== undefined) {
      if (typeof p.seconds !== 'number' || p.seconds < 0 || !Number.isInteger(p.seconds)) {
        throw new StatesError('States.Runtime', `Wait ${stateName}: seconds must be a non-negative integer`, {
          fatal: true,
        });
      }
      ms = p.seconds * 1000 * (this.options.waitScale ?? 1);
    } else if (typeof p.timestamp === 'string' && !Number.isNaN(Date.parse(p.timestamp))) {
      ms = Math.max(0, Date.parse(p.timestamp) - Date.now()) * (this.options.waitScale ?? 1);
    } else {
      throw new StatesError('States.Runtime', `Wait ${stateName}: no valid Seconds or Timestamp`, {
        fatal: true,
      });
    }
    await sleep(ms, signal);
    return p.input ?? null;
  }

  private scheduleSave(): void {
    if (this.saveTimer || this.shuttingDown) return;
    this.saveTimer = setTimeout(() => {
      this.saveTimer = undefined;
      this.save();
    }, 50);
    this.saveTimer.unref();
  }

  private save(): void {
    writeJson(this.file, { executions: [...this.executions.values()] });
  }
}

/** Step Functions' rules for execution names: 1-80 characters, no whitespace, brackets, wildcards or controls. */
function validName(name: string): boolean {
  if (name.length < 1 || name.length > 80 || NAME_FORBIDDEN.test(name)) return false;
  return ![...name].some((c) => {
    const code = c.charCodeAt(0);
    return code <= 0x1f || (code >= 0x7f && code <= 0x9f);
  });
}

function lambdaParameters(
  task: TaskInfo,
  input: Json,
): { FunctionName: string; Payload?: Json; InvocationType?: string } {
  const parameters = input as { FunctionName?: Json; Payload?: Json; InvocationType?: Json } | null;
  if (!parameters || typeof parameters.FunctionName !== 'string') {
    throw new StatesError(
      'States.Runtime',
      `State ${task.stateName}: lambda:invoke needs Parameters.FunctionName`,
      {
        fatal: true,
      },
    );
  }
  return {
    FunctionName: parameters.FunctionName,
    ...(parameters.Payload !== undefined ? { Payload: parameters.Payload } : {}),
    ...(typeof parameters.InvocationType === 'string' ? { InvocationType: parameters.InvocationType } : {}),
  };
}

function unsupportedResource(resource: string): string | undefined {
  if (resource === WAIT_RESOURCE || LAMBDA_ARN.test(resource) || LAMBDA_INVOKE.test(resource))
    return undefined;
  if (LAMBDA_INVOKE_TOKEN.test(resource)) return undefined;
  return `Resource ${resource} is not supported by the local target (it runs Lambda tasks: a function ARN, lambda:invoke and lambda:invoke.waitForTaskToken)`;
}

function validationProblems(definition: unknown): string | undefined {
  try {
    new StateMachine(definition as StateMachineDefinition, {
      validationOptions: { checkArn: true, checkPaths: true },
    });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
