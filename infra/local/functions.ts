import { randomBytes, randomUUID } from 'node:crypto';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { functionAccessKey } from './iam/principals.ts';
import type { LocalUrls, StackModel } from './template.ts';

/**
 * A local Lambda runtime: every AWS::Lambda::Function of the template runs its bundled code from the assembly in
 * its own worker thread with its own environment (the template's variables plus what Lambda sets), so functions
 * never see each other's env. Workers start on first use and stay warm; several invocations may share a worker.
 */

export interface LocalFunction {
  logicalId: string;
  name: string;
  arn: string;
  handlerFile: string;
  exportName: string;
  timeoutSeconds: number;
  memoryMb: number;
  env: Record<string, string>;
  /** Its AWS::Lambda::EventInvokeConfig: retries and destinations of asynchronous invocations. */
  asyncConfig: AsyncInvokeConfig;
}

export interface AsyncInvokeConfig {
  /** Lambda's default is 2. */
  maximumRetryAttempts: number;
  onFailure?: string;
  onSuccess?: string;
}

/** What Lambda sends to an asynchronous invocation's destination (the invocation record). */
export interface InvocationRecord {
  version: '1.0';
  timestamp: string;
  requestContext: {
    requestId: string;
    functionArn: string;
    condition: 'Success' | 'RetriesExhausted';
    approximateInvokeCount: number;
  };
  requestPayload: unknown;
  responseContext: { statusCode: number; executedVersion: string; functionError?: string };
  responsePayload: unknown;
}

/** A function error as Lambda reports it; `name` is the JS error name, which Step Functions Retry/Catch match. */
export class LambdaError extends Error {
  constructor(
    name: string,
    message: string,
    readonly trace: string[] = [],
  ) {
    super(message);
    this.name = name;
  }

  /** The JSON Step Functions puts in `Cause` for a failed Lambda task. */
  get payload(): string {
    return JSON.stringify({ errorType: this.name, errorMessage: this.message, trace: this.trace });
  }
}

type Log = (line: string) => void;

interface Pending {
  resolve: (value: unknown) => void;
  reject: (error: Error) => void;
  timer: NodeJS.Timeout;
}

interface WorkerSlot {
  worker: Worker;
  pending: Map<number, Pending>;
  retiring: boolean;
}

const projectRoot = new URL('../../package.json', import.meta.url).href;
const MAX_PAYLOAD_BYTES = 6 * 1024 * 1024;
/** A synchronous response may be a little larger than a request (AWS measures 6,291,556 bytes). */
const MAX_RESPONSE_BYTES = 6_291_556;
const STOP_GRACE_MS = 3_000;
const workerFile = new URL('./lambda-worker.ts', import.meta.url);

/** Each function's EventInvokeConfig (unqualified or $LATEST), by the function's physical name. */
function asyncConfigs(model: StackModel): Map<string, AsyncInvokeConfig> {
  const configs = new Map<string, AsyncInvokeConfig>();
  for (const [id, resource] of model.resourcesOfType('AWS::Lambda::EventInvokeConfig')) {
    const p = model.resolve(resource.Properties ?? {}, `${id}.Properties`) as {
      FunctionName?: unknown;
      Qualifier?: unknown;
      MaximumRetryAttempts?: unknown;
      DestinationConfig?: { OnFailure?: { Destination?: unknown }; OnSuccess?: { Destination?: unknown } };
    };
    if (p.Qualifier !== undefined && p.Qualifier !== '$LATEST') continue;
    const name = String(p.FunctionName).split(':').pop() ?? '';
    const onFailure = p.DestinationConfig?.OnFailure?.Destination;
    const onSuccess = p.DestinationConfig?.OnSuccess?.Destination;
    configs.set(name, {
      maximumRetryAttempts: p.MaximumRetryAttempts === undefined ? 2 : Number(p.MaximumRetryAttempts),
      ...(onFailure ? { onFailure: String(onFailure) } : {}),
      ...(onSuccess ? { onSuccess: String(onSuccess) } : {}),
    });
  }
  return configs;
}

/** Reads every AWS::Lambda::Function of the template into what the runtime needs. */
export function functionsFromTemplate(model: StackModel, urls: LocalUrls): LocalFunction[] {
  const configs = asyncConfigs(model);
  return model.resourcesOfType('AWS::Lambda::Function').flatMap(([logicalId, resource]) => {
    const props = resource.Properties ?? {};
    const code = (props.Code ?? {}) as Record<string, unknown>;
    if (code.ZipFile !== undefined) return [];
    const bundle = model.functionBundle(logicalId);
    const name = model.physicalName(logicalId);
    const variables = model.resolve(
      (props.Environment as { Variables?: unknown } | undefined)?.Variables ?? {},
      `${logicalId}.Environment.Variables`,
    ) as Record<string, unknown>;
    const memoryMb = Number(props.MemorySize ?? 128);
    const env: Record<string, string> = {
      ...Object.fromEntries(Object.entries(variables).map(([k, v]) => [k, String(v)])),
      ...lambdaEnvironment(model, name, memoryMb, bundle.dir, String(props.Handler ?? 'index.handler')),
      // Each function calls the local endpoints as itself: they authorise the call against its role's policies.
      AWS_ACCESS_KEY_ID: functionAccessKey(model.readableName(logicalId)),
      ...endpointEnvironment(urls),
    };
    return [
      {
        logicalId,
        name,
        arn: model.arn(logicalId),
        handlerFile: bundle.file,
        exportName: bundle.exportName,
        timeoutSeconds: Number(props.Timeout ?? 3),
        memoryMb,
        env,
        asyncConfig: configs.get(name) ?? { maximumRetryAttempts: 2 },
      },
    ];
  });
}

function lambdaEnvironment(
  model: StackModel,
  name: string,
  memoryMb: number,
  taskRoot: string,
  handler: string,
) {
  return {
    AWS_REGION: model.region,
    AWS_DEFAULT_REGION: model.region,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_SESSION_TOKEN: 'local',
    AWS_LAMBDA_FUNCTION_NAME: name,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(memoryMb),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/${name}`,
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs24.x',
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    LAMBDA_TASK_ROOT: taskRoot,
    _HANDLER: handler,
    POWERTOOLS_TRACE_ENABLED: 'false',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
  };
}

/** The SDK reads AWS_ENDPOINT_URL_<SERVICE ID>; anything else lands on the local AWS endpoint, which says no. */
export function endpointEnvironment(urls: LocalUrls): Record<string, string> {
  return {
    AWS_ENDPOINT_URL: urls.aws,
    AWS_ENDPOINT_URL_DYNAMODB: urls.dynamodb,
    AWS_ENDPOINT_URL_SESV2: urls.ses,
    AWS_ENDPOINT_URL_SES: urls.ses,
    AWS_ENDPOINT_URL_SFN: urls.aws,
    AWS_ENDPOINT_URL_SECRETS_MANAGER: urls.aws,
    AWS_ENDPOINT_URL_SSM: urls.aws,
    AWS_ENDPOINT_URL_LAMBDA: urls.aws,
  };
}

export class LambdaRuntime {
  private readonly byKey = new Map<string, LocalFunction>();
  private readonly slots = new Map<string, WorkerSlot>();
  private nextId = 1;
  private stopped = false;

  constructor(
    readonly functions: LocalFunction[],
    private readonly log: Log,
  ) {
    if (!process.features.typescript) {
      throw new Error(
        `The local Lambda runtime needs Node >= 22.18 (it loads its worker as TypeScript); this is Node ${process.version}. npm start and npx use the project's Node 24.`,
      );
    }
    for (const fn of functions) {
      for (const key of [fn.logicalId, fn.name, fn.arn]) this.byKey.set(key, fn);
    }
  }

  /** By logical id, name or ARN (a version/alias qualifier is ignored). */
  find(idOrArn: string): LocalFunction | undefined {
    const direct = this.byKey.get(idOrArn);
    if (direct) return direct;
    const match = /^(arn:aws:lambda:[^:]+:[^:]+:function:[^:]+)(:[^:]+)?$/.exec(idOrArn);
    return match?.[1] ? this.byKey.get(match[1]) : undefined;
  }

  /** Told of each invocation that ends in a function error (the local alarms count them), and of each log line. */
  onFunctionError: ((fn: LocalFunction, error: LambdaError) => void) | undefined;
  onLogLine: ((fn: LocalFunction, line: string) => void) | undefined;

  /** Runs the function's handler with `event` (JSON round-tripped, as Lambda does) and returns its result. */
  async invoke(idOrArn: string, event: unknown): Promise<unknown> {
    if (this.stopped) throw new LambdaError('Lambda.ServiceException', 'The local target is stopping');
    const fn = this.find(idOrArn);
    if (!fn) {
      throw new LambdaError('Lambda.ResourceNotFoundException', `Function not found: ${idOrArn}`);
    }
    try {
      return await this.run(fn, event);
    } catch (error) {
      if (error instanceof LambdaError && error.name !== 'RequestTooLargeException')
        this.onFunctionError?.(fn, error);
      throw error;
    }
  }

  /**
   * Delivers an asynchronous invocation's record to a destination (target.ts routes it to the topic), with the
   * function's role as Lambda does.
   */
  onAsyncDestination:
    | ((fn: LocalFunction, destination: string, record: InvocationRecord) => Promise<void>)
    | undefined;

  /**
   * An asynchronous invocation (InvocationType Event: Scheduler's, or another function's), as Lambda runs it from
   * its queue: retried on a function error up to the function's MaximumRetryAttempts (Lambda waits about one and
   * then two minutes between attempts; the local target tries again at once), then the invocation record goes to
   * the onFailure destination (or onSuccess). Resolves when all that is done; a function error never rejects it,
   * as the caller of an Event invocation never hears of one.
   */
  async invokeAsync(idOrArn: string, event: unknown): Promise<void> {
    const fn = this.find(idOrArn);
    if (!fn) throw new LambdaError('Lambda.ResourceNotFoundException', `Function not found: ${idOrArn}`);
    const { maximumRetryAttempts, onFailure, onSuccess } = fn.asyncConfig;
    const requestId = randomUUID();
    const record = (
      attempts: number,
      outcome: { ok: true; result: unknown } | { ok: false; error: LambdaError },
    ) =>
      ({
        version: '1.0',
        timestamp: new Date().toISOString(),
        requestContext: {
          requestId,
          functionArn: `${fn.arn}:$LATEST`,
          condition: outcome.ok ? 'Success' : 'RetriesExhausted',
          approximateInvokeCount: attempts,
        },
        requestPayload: event,
        responseContext: {
          statusCode: 200,
          executedVersion: '$LATEST',
          ...(outcome.ok ? {} : { functionError: 'Unhandled' }),
        },
        responsePayload: outcome.ok
          ? outcome.result
          : {
              errorType: outcome.error.name,
              errorMessage: outcome.error.message,
              trace: outcome.error.trace,
            },
      }) satisfies InvocationRecord;
    let lastError: LambdaError | undefined;
    for (let attempt = 1; attempt <= 1 + maximumRetryAttempts; attempt++) {
      try {
        const result = await this.invoke(fn.arn, event);
        if (onSuccess) await this.deliver(fn, onSuccess, record(attempt, { ok: true, result }));
        return;
      } catch (error) {
        if (!(error instanceof LambdaError)) throw error;
        lastError = error;
        this.log(
          `[${fn.name}] asynchronous invocation ${requestId} failed (attempt ${attempt} of ${1 + maximumRetryAttempts}): ${error.name}: ${error.message}`,
        );
      }
    }
    if (lastError && onFailure)
      await this.deliver(fn, onFailure, record(1 + maximumRetryAttempts, { ok: false, error: lastError }));
    else if (lastError) this.log(`[${fn.name}] ${requestId} dropped: no onFailure destination`);
  }

  private async deliver(fn: LocalFunction, destination: string, record: InvocationRecord): Promise<void> {
    if (!this.onAsyncDestination) {
      this.log(`[${fn.name}] destination ${destination}: not delivered (no destinations here)`);
      return;
    }
    await this.onAsyncDestination(fn, destination, record);
  }

  private run(fn: LocalFunction, event: unknown): Promise<unknown> {
    const slot = this.slotFor(fn);
    const id = this.nextId++;
    const requestId = randomUUID();
    const timeoutMs = fn.timeoutSeconds * 1000;
    const serialised = JSON.stringify(event ?? null);
    if (Buffer.byteLength(serialised) > MAX_PAYLOAD_BYTES) {
      return Promise.reject(
        new LambdaError('RequestTooLargeException', 'The request payload exceeds the 6 MB Lambda limit'),
      );
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        slot.pending.delete(id);
        reject(
          new LambdaError('Sandbox.Timedout', `Task timed out after ${fn.timeoutSeconds.toFixed(2)} seconds`),
        );
        this.log(`[${fn.name}] ${requestId} timed out after ${fn.timeoutSeconds} s: the worker is replaced`);
        this.retire(fn, slot);
      }, timeoutMs);
      slot.pending.set(id, { resolve, reject, timer });
      slot.worker.postMessage({
        type: 'invoke',
        id,
        event: serialised,
        context: {
          awsRequestId: requestId,
          deadline: Date.now() + timeoutMs,
          functionName: fn.name,
          invokedFunctionArn: fn.arn,
          memoryLimitInMB: String(fn.memoryMb),
          logGroupName: `/aws/lambda/${fn.name}`,
          logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${randomBytes(16).toString('hex')}`,
        },
      });
    });
  }

  async stop(): Promise<void> {
    this.stopped = true;
    // Let invocations in flight finish (briefly): a worker killed mid-write leaves a request inside dynalite
    // that then fails against a closed database.
    const deadline = Date.now() + STOP_GRACE_MS;
    while (Date.now() < deadline && [...this.slots.values()].some((slot) => slot.pending.size > 0)) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    const slots = [...this.slots.values()];
    this.slots.clear();
    for (const slot of slots)
      this.failAll(slot, new LambdaError('Lambda.ServiceException', 'The local target stopped'));
    await Promise.all(slots.map((slot) => slot.worker.terminate()));
  }

  private slotFor(fn: LocalFunction): WorkerSlot {
    const existing = this.slots.get(fn.logicalId);
    if (existing) return existing;
    const worker = new Worker(workerFile, {
      env: fn.env,
      execArgv: [],
      stdout: true,
      stderr: true,
      // The function's memory setting bounds its heap: what runs out of memory on Lambda does so here too.
      resourceLimits: { maxOldGenerationSizeMb: fn.memoryMb },
      workerData: {
        handlerUrl: pathToFileURL(fn.handlerFile).href,
        exportName: fn.exportName,
        sdkResolveFrom: projectRoot,
        sourceMaps: (fn.env.NODE_OPTIONS ?? '').includes('--enable-source-maps'),
      },
      name: fn.name,
    });
    const slot: WorkerSlot = { worker, pending: new Map(), retiring: false };
    this.prefixLines(worker.stdout, fn);
    this.prefixLines(worker.stderr, fn);
    worker.on(
      'message',
      (message: { type: string; id: number; ok: boolean; payload?: string; error?: ErrorBody }) => {
        if (message.type !== 'result') return;
        const pending = slot.pending.get(message.id);
        if (!pending) return;
        slot.pending.delete(message.id);
        clearTimeout(pending.timer);
        if (message.ok && Buffer.byteLength(message.payload ?? '') > MAX_RESPONSE_BYTES) {
          pending.reject(
            new LambdaError('Function.ResponseSizeTooLarge', 'The response exceeds the 6 MB limit'),
          );
        } else if (message.ok) pending.resolve(JSON.parse(message.payload ?? 'null'));
        else pending.reject(toLambdaError(message.error));
        if (slot.retiring && slot.pending.size === 0) void worker.terminate();
      },
    );
    worker.on('error', (error: NodeJS.ErrnoException) => {
      // An uncaught exception, an unhandled rejection or running out of memory ends the sandbox, failing
      // whatever it was running.
      this.log(`[${fn.name}] runtime crashed: ${error.stack ?? error.message}`);
      const type = error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'Runtime.OutOfMemory' : 'Runtime.ExitError';
      this.failAll(slot, new LambdaError(type, `The function's runtime exited: ${error.message}`));
      if (this.slots.get(fn.logicalId) === slot) this.slots.delete(fn.logicalId);
    });
    worker.on('exit', () => {
      this.failAll(slot, new LambdaError('Runtime.ExitError', 'The function runtime exited'));
      if (this.slots.get(fn.logicalId) === slot) this.slots.delete(fn.logicalId);
    });
    this.slots.set(fn.logicalId, slot);
    return slot;
  }

  /** After a timeout the sandbox is not reused: new invocations get a fresh worker, this one ends when idle. */
  private retire(fn: LocalFunction, slot: WorkerSlot): void {
    slot.retiring = true;
    if (this.slots.get(fn.logicalId) === slot) this.slots.delete(fn.logicalId);
    if (slot.pending.size === 0) void slot.worker.terminate();
  }

  private failAll(slot: WorkerSlot, error: Error): void {
    for (const pending of slot.pending.values()) {
      clearTimeout(pending.timer);
      pending.reject(error);
    }
    slot.pending.clear();
  }

  private prefixLines(stream: Readable, fn: LocalFunction): void {
    createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', (line) => {
      this.log(`[${fn.name}] ${line}`);
      this.onLogLine?.(fn, line);
    });
  }
}

interface ErrorBody {
  errorType?: string;
  errorMessage?: string;
  trace?: string[];
}

function toLambdaError(body: ErrorBody | undefined): LambdaError {
  return new LambdaError(
    body?.errorType ?? 'Error',
    body?.errorMessage ?? 'Unknown error',
    body?.trace ?? [],
  );
}
