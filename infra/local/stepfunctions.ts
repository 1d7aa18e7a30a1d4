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
  /**
   * Awaited before each Lambda invocation a Task makes, with the payload the definition built (the task token
   * injected): `npm run record:steps` records the inputs a release's definition gives its steps this way.
   */
  beforeInvoke?: (call: {
    executionArn: string;
    stateName: string;
    functionName: string;
    payload: Json;
  }) => Promise<void> | void;
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
  /** The history events AWS would have written so far (its limit is 25,000; see `historyEventsOf`). */
  historyEvents?: number;
  /**
   * Where the execution is: the top-level state it last entered, with that state's input, and when the timed
   * wait it runs there ends. A restart of the local target resumes it there, as AWS keeps an execution running.
   */
  checkpoint?: { state: string; input: string };
  /** The timed wait running now (the state, and when it ends, epoch ms): a resume goes on with the time left. */
  deadline?: { state: string; at: number };
  /** The task token of the callback wait running now: a resume goes on with it, so callers' tokens stay good. */
  waitToken?: { state: string; token: string };
}

/** Step Functions' limits the emulator does not hold (quotas of Standard workflows). */
export const HISTORY_EVENT_LIMIT = 25_000;
/** State input and output, task results and callback outputs: 256 KiB of UTF-8. */
export const PAYLOAD_LIMIT_BYTES = 262_144;

/**
 * The history events AWS writes when a state is entered (up to its exit), by the kind of state: a Lambda task
 * (entered, scheduled, started, succeeded, exited), a callback task (the same with submitted), a Wait, Choice,
 * Pass or Succeed (entered, exited), a Fail (entered). A retry adds a scheduled, started and failed attempt.
 */
export function historyEventsOf(kind: 'task' | 'callback' | 'simple' | 'fail' | 'retry'): number {
  return { task: 5, callback: 6, simple: 2, fail: 1, retry: 3 }[kind];
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
  /** Runners that start at a state (a resumed execution), made on first use. */
  resumers: Map<string, StateMachine>;
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
  /** Per resumed execution, the deadline its interrupted wait goes on with (used once). */
  private readonly resumeDeadlines = new Map<string, { state: string; at: number } | undefined>();
  /** Per resumed execution, the token its interrupted callback wait goes on with (used once). */
  private readonly resumeTokens = new Map<string, { state: string; token: string }>();
  private readonly file: string;
  private saveTimer: NodeJS.Timeout | undefined;
  private lastSaveMs = 0;
  private shuttingDown = false;
  private refusesStart: ((name: string) => boolean) | undefined;
  /** Told of every execution that ends (the local alarms count the failed and timed-out ones). */
  onFinished: ((record: ExecutionRecord) => void) | undefined;
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
      this.machines.set(info.arn, { info, prepared, runner, resumers: new Map() });
    }
    const saved = readJson<{ executions?: ExecutionRecord[] }>(this.file);
    for (const record of saved?.executions ?? []) this.executions.set(record.executionArn, record);
  }

  get stateMachines(): LocalStateMachine[] {
    return [...this.machines.values()].map((m) => m.info);
  }

  /**
   * Executions left RUNNING by a previous run go on where they were: at the state they last entered, with its
   * input, a timed wait ending when it would have (an execution with no checkpoint starts again; its steps are
   * idempotent).
   */
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
      const at = record.checkpoint?.state;
      this.log(
        at
          ? `[sfn] resuming ${record.name} at ${at}: it was running when the local target stopped`
          : `[sfn] restarting ${record.name} from the start: it was running when the local target stopped`,
      );
      record.events.push({
        type: 'ExecutionResumed',
        timestamp: new Date().toISOString(),
        ...(at ? { state: at } : {}),
      });
      this.run(record, true);
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
    if (Buffer.byteLength(input) > PAYLOAD_LIMIT_BYTES) {
      throw new ServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'input' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_LIMIT_BYTES}`,
      );
    }
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
    if (output !== undefined && Buffer.byteLength(output) > PAYLOAD_LIMIT_BYTES) {
      throw new ServiceError(
        'ValidationException',
        `1 validation error detected: Value at 'output' failed to satisfy constraint: Member must have length less than or equal to ${PAYLOAD_LIMIT_BYTES}`,
      );
    }
    this.tokens.succeed(token, output);
  }

  sendTaskFailure(token: string | undefined, error?: string, cause?: string): void {
    this.tokens.fail(token, error, cause);
  }

  sendTaskHeartbeat(token: string | undefined): void {
    this.tokens.heartbeat(token);
  }

  /**
   * Changes the scale of the people's waits from now on (tests that run a long stretch of time): each wait takes
   * the scale in force when it begins.
   */
  setWaitScale(scale: number): void {
    if (!(scale > 0 && scale <= 1)) throw new Error(`a wait scale is above 0 and at most 1, not ${scale}`);
    this.options.waitScale = scale;
  }

  /** The state machine whose execution issued a task token, for authorising the callback as AWS does. */
  stateMachineOfToken(token: string): string | undefined {
    const executionArn = this.tokens.executionOf(token);
    if (!executionArn) return undefined;
    // An execution's ARN names its state machine (`...:execution:<machine>:<name>`), whether or not it ran here.
    return (
      this.executions.get(executionArn)?.stateMachineArn ??
      /^(arn:[^:]+:states:[^:]+:[^:]+):execution:([^:]+):[^:]+$/
        .exec(executionArn)
        ?.slice(1, 3)
        .join(':stateMachine:')
    );
  }

  /** Tasks waiting for a token, for tests and for the operator's eyes. */
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

  private run(record: ExecutionRecord, resumed = false): void {
    const machine = this.machines.get(record.stateMachineArn);
    if (!machine) throw new Error(`No state machine ${record.stateMachineArn}`);
    const checkpoint = resumed ? record.checkpoint : undefined;
    // The timed wait a restart interrupted goes on with the time it had left, once.
    const resumeDeadline =
      checkpoint && record.deadline?.state === checkpoint.state ? record.deadline : undefined;
    this.resumeDeadlines.set(record.executionArn, resumeDeadline);
    if (checkpoint && record.waitToken?.state === checkpoint.state)
      this.resumeTokens.set(record.executionArn, record.waitToken);
    else this.resumeTokens.delete(record.executionArn);
    const runner = checkpoint ? this.resumer(machine, checkpoint.state) : machine.runner;
    const controller = new AbortController();
    const handlers: Record<string, (input: unknown) => Promise<Json>> = {};
    for (const task of machine.prepared.tasks.values()) {
      handlers[task.stateName] = (input) => this.runTask(task, input as Json, record, controller.signal);
    }
    const started = Date.now();
    const execution = runner.run(JSON.parse(checkpoint?.input ?? record.input), {
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
          StartTime: record.startDate,
        },
        StateMachine: { Id: machine.info.arn, Name: machine.info.name },
        Task: { Token: TASK_TOKEN_PLACEHOLDER },
      },
    });
    const types = new Map([...machine.prepared.tasks.values()].map((t) => [t.stateName, t.originalType]));
    const kinds = new Map(
      [...machine.prepared.tasks.values()].map((t) => [
        t.stateName,
        t.originalType === 'Wait' ? 'simple' : LAMBDA_INVOKE_TOKEN.test(t.resource) ? 'callback' : 'task',
      ]),
    );
    const topLevel = new Set(Object.keys(machine.prepared.definition.States));
    const events = this.collectEvents(record, execution.eventLogs, types, {
      kinds: kinds as Map<string, 'task' | 'callback' | 'simple'>,
      topLevel,
      resumed,
      overLimit: () => {
        running.stopReason = 'stop';
        this.finish(record, 'FAILED', {
          error: 'States.Runtime',
          cause: `The execution reached the maximum number of history events (${HISTORY_EVENT_LIMIT}).`,
        });
        this.log(
          `[sfn] ${machine.info.name}/${record.name} FAILED: over ${HISTORY_EVENT_LIMIT} history events`,
        );
        running.controller.abort();
        running.abort();
      },
    });
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

  /** A runner of the machine's definition that starts at `state` (where a resumed execution goes on). */
  private resumer(machine: Machine, state: string): StateMachine {
    let runner = machine.resumers.get(state);
    if (!runner) {
      runner = new StateMachine(
        { ...machine.prepared.definition, StartAt: state } as unknown as StateMachineDefinition,
        {
          validationOptions: { noValidate: true },
        },
      );
      machine.resumers.set(state, runner);
    }
    return runner;
  }

  private async collectEvents(
    record: ExecutionRecord,
    events: AsyncGenerator<unknown>,
    types: Map<string, string>,
    history: {
      kinds: Map<string, 'task' | 'callback' | 'simple'>;
      topLevel: ReadonlySet<string>;
      resumed: boolean;
      overLimit: () => void;
    },
  ): Promise<void> {
    let over = false;
    for await (const raw of events) {
      const event = raw as {
        type: string;
        timestamp: number;
        index?: number;
        state?: { name: string; type: string; input?: unknown };
        Error?: string;
        Cause?: unknown;
      };
      // Count the events AWS would write; past its limit the execution fails, as on AWS.
      // (An execution that ran past the limit is over: what the emulator ran on while it was stopped is not
      // history AWS would have written.)
      if (!over) {
        record.historyEvents =
          (record.historyEvents ?? 0) + this.historyEventsFor(event, history.kinds, history.resumed);
        if (record.historyEvents > HISTORY_EVENT_LIMIT && record.status === 'RUNNING') {
          over = true;
          history.overLimit();
        }
      }
      if (
        event.type === 'StateEntered' &&
        event.state &&
        event.index === undefined &&
        history.topLevel.has(event.state.name)
      ) {
        record.checkpoint = { state: event.state.name, input: JSON.stringify(event.state.input ?? null) };
        this.scheduleSave();
      }
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

  private historyEventsFor(
    event: { type: string; state?: { name: string; type: string } },
    kinds: Map<string, 'task' | 'callback' | 'simple'>,
    resumed: boolean,
  ): number {
    switch (event.type) {
      // A resumed execution's start is not a new one on AWS: it never stopped there.
      case 'ExecutionStarted':
        return resumed ? 0 : 1;
      case 'ExecutionSucceeded':
      case 'ExecutionFailed':
      case 'ExecutionTerminated':
        return 1;
      case 'StateRetried':
        return historyEventsOf('retry');
      case 'StateEntered': {
        const name = event.state?.name ?? '';
        const kind = kinds.get(name);
        if (kind) return historyEventsOf(kind);
        return event.state?.type === 'Fail' ? historyEventsOf('fail') : historyEventsOf('simple');
      }
      default:
        return 0;
    }
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
    this.onFinished?.(record);
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
    if (Buffer.byteLength(JSON.stringify(input ?? null)) > PAYLOAD_LIMIT_BYTES) {
      throw new StatesError(
        'States.DataLimitExceeded',
        `The input of state ${task.stateName} is larger than ${PAYLOAD_LIMIT_BYTES} bytes`,
        { fatal: true },
      );
    }
    if (task.resource === WAIT_RESOURCE) return this.wait(task.stateName, input, signal, record);
    const waitsForToken = LAMBDA_INVOKE_TOKEN.test(task.resource);
    const scale = waitsForToken ? (this.options.waitScale ?? 1) : 1;
    const override = this.options.taskTimeoutOverrides?.[task.stateName];
    const planned = override ?? (timeoutSeconds !== undefined ? timeoutSeconds * 1000 * scale : undefined);
    // A callback wait a restart interrupted ends when it would have, not a whole timeout later.
    const timeoutMs = waitsForToken ? this.deadlineOf(record, task.stateName, planned) : planned;
    const heartbeatMs = heartbeatSeconds !== undefined ? heartbeatSeconds * 1000 * scale : undefined;
    const cleanups: Array<() => void> = [];
    let timer: NodeJS.Timeout | undefined;
    // With the waits scaled down, a callback wait's timeout counts from when its Lambda has run, not from when
    // it was invoked: a wait of a second on AWS (ample for the function to resume it) would otherwise run out
    // before the function does, and a step that resumes its own wait would loop until the history ran out.
    let invoked: Promise<unknown> | undefined;
    const onInvoked = waitsForToken && scale < 1 ? (p: Promise<unknown>) => (invoked = p) : undefined;
    try {
      const work = this.dispatch(task, input, record, signal, heartbeatMs, cleanups, onInvoked).then(
        (output) => {
          if (Buffer.byteLength(JSON.stringify(output ?? null)) > PAYLOAD_LIMIT_BYTES) {
            throw new StatesError(
              'States.DataLimitExceeded',
              `The output of state ${task.stateName} is larger than ${PAYLOAD_LIMIT_BYTES} bytes`,
              { fatal: true },
            );
          }
          return output;
        },
      );
      if (timeoutMs === undefined) return await work;
      let ended = false;
      const timeout = new Promise<never>((_, reject) => {
        const arm = () => {
          if (ended) return;
          timer = setTimeout(
            () => reject(new StatesError('States.Timeout', `State ${task.stateName} timed out`)),
            Math.min(timeoutMs, MAX_TIMER_MS),
          );
        };
        if (invoked) void invoked.then(arm, arm);
        else arm();
      });
      work
        .finally(() => {
          ended = true;
        })
        .catch(() => undefined);
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
    onInvoked?: (invocation: Promise<unknown>) => void,
  ): Promise<Json> {
    if (LAMBDA_ARN.test(task.resource))
      return this.invokeLambda(record, task.stateName, task.resource, input);
    if (LAMBDA_INVOKE.test(task.resource)) {
      const parameters = lambdaParameters(task, input);
      if (parameters.InvocationType === 'Event') {
        void this.invokeLambda(
          record,
          task.stateName,
          parameters.FunctionName,
          parameters.Payload ?? null,
        ).catch(() => undefined);
        return { StatusCode: 202, Payload: '' };
      }
      const payload = await this.invokeLambda(
        record,
        task.stateName,
        parameters.FunctionName,
        parameters.Payload ?? null,
      );
      return {
        ExecutedVersion: '$LATEST',
        Payload: payload,
        SdkHttpMetadata: { HttpStatusCode: 200 },
        SdkResponseMetadata: { RequestId: randomUUID() },
        StatusCode: 200,
      };
    }
    if (LAMBDA_INVOKE_TOKEN.test(task.resource)) {
      const resumed = this.resumeTokens.get(record.executionArn);
      this.resumeTokens.delete(record.executionArn);
      const { token, settled, close } = this.tokens.issue(
        record.executionArn,
        task.stateName,
        heartbeatMs,
        signal,
        resumed?.state === task.stateName ? resumed.token : undefined,
      );
      record.waitToken = { state: task.stateName, token };
      this.scheduleSave();
      // A wait that ends (not one a shutdown interrupts) retires its token: a resume never revives it.
      cleanups.push(() => {
        if (!this.shuttingDown && record.waitToken?.token === token) record.waitToken = undefined;
      });
      // A settled, timed-out or retried task leaves its token closed: a late callback gets TaskTimedOut.
      cleanups.push(close);
      const parameters = lambdaParameters(task, injectToken(input, token));
      const invocation = this.invokeLambda(
        record,
        task.stateName,
        parameters.FunctionName,
        parameters.Payload ?? null,
      );
      onInvoked?.(invocation);
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

  private async invokeLambda(
    record: ExecutionRecord,
    stateName: string,
    functionRef: string,
    payload: Json,
  ): Promise<Json> {
    // The state machine's role must allow the invocation, as on AWS (the error is the one Lambda answers there).
    const denied = this.authorizeInvoke?.(record.stateMachineArn, functionRef);
    if (denied) throw new StatesError('Lambda.AWSLambdaException', denied);
    await this.options.beforeInvoke?.({
      executionArn: record.executionArn,
      stateName,
      functionName: functionRef,
      payload,
    });
    try {
      return (await this.lambda.invoke(functionRef, payload)) as Json;
    } catch (error) {
      if (error instanceof LambdaError) throw new StatesError(error.name, error.payload);
      throw error;
    }
  }

  /**
   * The time left of a timed wait at the state the execution is in: the deadline kept when the wait began (so that
   * a restart does not start the wait again), or `planned` from now, kept as that deadline.
   */
  private deadlineOf(
    record: ExecutionRecord,
    state: string,
    planned: number | undefined,
  ): number | undefined {
    if (planned === undefined) return undefined;
    const resumed = this.resumeDeadlines.get(record.executionArn);
    this.resumeDeadlines.delete(record.executionArn);
    if (resumed?.state === state) {
      record.deadline = resumed;
      return Math.max(0, resumed.at - Date.now());
    }
    record.deadline = { state, at: Date.now() + planned };
    this.scheduleSave();
    return planned;
  }

  private async wait(
    stateName: string,
    parameters: Json,
    signal: AbortSignal,
    record: ExecutionRecord,
  ): Promise<Json> {
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
    await sleep(this.deadlineOf(record, stateName, ms) ?? ms, signal);
    return p.input ?? null;
  }

  private scheduleSave(): void {
    if (this.saveTimer || this.shuttingDown) return;
    // The file grows with the executions' histories: wait at least a few writes' time, so that saving never
    // takes over the target (an incident looping for weeks writes thousands of events).
    this.saveTimer = setTimeout(
      () => {
        this.saveTimer = undefined;
        this.save();
      },
      Math.max(50, this.lastSaveMs * 4),
    );
    this.saveTimer.unref();
  }

  private save(): void {
    const started = performance.now();
    writeJson(this.file, { executions: [...this.executions.values()] });
    this.lastSaveMs = performance.now() - started;
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
