import { registerHooks } from 'node:module';
import { parentPort, workerData } from 'node:worker_threads';

/**
 * Runs inside a worker thread: one per local Lambda function, with that function's own process.env.
 * Loaded by Node directly (type stripping, Node >= 22.18), so this file uses erasable TypeScript only and imports
 * nothing of ours.
 */

interface WorkerData {
  handlerUrl: string;
  exportName: string;
  /** A file URL in the project, from which bare `@aws-sdk/*` imports resolve (Lambda's runtime ships the SDK). */
  sdkResolveFrom: string;
  sourceMaps: boolean;
}

interface InvokeMessage {
  type: 'invoke';
  id: number;
  event: string;
  context: {
    awsRequestId: string;
    deadline: number;
    functionName: string;
    invokedFunctionArn: string;
    memoryLimitInMB: string;
    logGroupName: string;
    logStreamName: string;
  };
}

const data = workerData as WorkerData;
const port = parentPort;
if (!port) throw new Error('lambda-worker must run in a worker thread');
if (data.sourceMaps) process.setSourceMapsEnabled(true);

registerHooks({
  resolve(specifier, context, next) {
    try {
      return next(specifier, context);
    } catch (error) {
      if (specifier.startsWith('@aws-sdk/'))
        return next(specifier, { ...context, parentURL: data.sdkResolveFrom });
      throw error;
    }
  },
});

function errorPayload(error: unknown, fallbackType: string) {
  const e = error instanceof Error ? error : new Error(String(error));
  return {
    errorType: e.name || fallbackType,
    errorMessage: e.message,
    trace: (e.stack ?? '').split('\n'),
  };
}

type Handler = (event: unknown, context: unknown) => unknown;
let handler: Handler | undefined;
let initError: ReturnType<typeof errorPayload> | undefined;

try {
  const mod = (await import(data.handlerUrl)) as Record<string, unknown>;
  const exported =
    mod[data.exportName] ?? (mod.default as Record<string, unknown> | undefined)?.[data.exportName];
  if (typeof exported === 'function') handler = exported as Handler;
  else {
    initError = {
      errorType: 'Runtime.HandlerNotFound',
      errorMessage: `${data.handlerUrl} does not export a function named "${data.exportName}"`,
      trace: [],
    };
  }
} catch (error) {
  const payload = errorPayload(error, 'Error');
  initError = {
    ...payload,
    errorType: error instanceof SyntaxError ? 'Runtime.UserCodeSyntaxError' : 'Runtime.ImportModuleError',
  };
}

port.on('message', async (message: InvokeMessage) => {
  if (message.type !== 'invoke') return;
  if (!handler) {
    port.postMessage({ type: 'result', id: message.id, ok: false, error: initError });
    return;
  }
  const { deadline, ...fields } = message.context;
  const context = {
    ...fields,
    functionVersion: '$LATEST',
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
  };
  try {
    const result = await handler(JSON.parse(message.event), context);
    const payload = result === undefined ? 'null' : JSON.stringify(result);
    port.postMessage({ type: 'result', id: message.id, ok: true, payload });
  } catch (error) {
    port.postMessage({ type: 'result', id: message.id, ok: false, error: errorPayload(error, 'Error') });
  }
});

port.postMessage({ type: 'ready' });
