import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

/**
 * Fault injection for the local target: a fraction of the functions' DynamoDB and Step Functions calls fail,
 * half of them before the call does anything (rejected) and half after it took effect (the reply is lost and
 * replaced by a 500). The second kind is what a retry has to be idempotent against. Used by tests and the
 * storm benchmark; off unless the target is started with `faults`.
 */

export type FaultedService = 'dynamodb' | 'stepFunctions';

/** Fractions (0..1) of requests that fail, per service. */
export type FaultRates = Partial<Record<FaultedService, number>>;

export type FaultDecision = 'pass' | 'reject' | 'lose-reply';

export interface FaultCounts {
  requests: number;
  rejected: number;
  lostReplies: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

interface Failure {
  status: number;
  headers: Record<string, string>;
  body: string;
}

const injected = 'injected';

/** What AWS answers for an internal error, per service protocol (the SDK retries both as server faults). */
export const failures: Record<FaultedService, Failure> = {
  dynamodb: {
    status: 500,
    headers: { 'content-type': 'application/x-amz-json-1.0' },
    body: JSON.stringify({
      __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
      message: injected,
    }),
  },
  stepFunctions: {
    status: 500,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-errortype': 'InternalFailure' },
    body: JSON.stringify({ __type: 'InternalFailure', message: injected }),
  },
};

export class FaultInjector {
  private rates: Record<FaultedService, number> = { dynamodb: 0, stepFunctions: 0 };
  private readonly counts: Record<FaultedService, FaultCounts> = {
    dynamodb: { requests: 0, rejected: 0, lostReplies: 0 },
    stepFunctions: { requests: 0, rejected: 0, lostReplies: 0 },
  };

  constructor(
    rates: FaultRates = {},
    private readonly random: () => number = Math.random,
  ) {
    this.set(rates);
  }

  /** Changes the given services' fractions; services not named keep theirs. */
  set(rates: FaultRates): void {
    for (const [service, rate] of Object.entries(rates) as Array<[FaultedService, number | undefined]>) {
      if (rate === undefined) continue;
      if (!(service in this.rates)) throw new Error(`faults: unknown service "${service}"`);
      if (!(rate >= 0 && rate <= 1))
        throw new Error(`faults.${service} must be between 0 and 1, not ${rate}`);
      this.rates[service] = rate;
    }
  }

  get current(): Readonly<Record<FaultedService, number>> {
    return { ...this.rates };
  }

  decide(service: FaultedService): FaultDecision {
    const counts = this.counts[service];
    counts.requests++;
    const rate = this.rates[service];
    if (rate === 0 || this.random() >= rate) return 'pass';
    if (this.random() < 0.5) {
      counts.rejected++;
      return 'reject';
    }
    counts.lostReplies++;
    return 'lose-reply';
  }

  /** Requests seen and faults injected so far, per service. */
  stats(): Record<FaultedService, FaultCounts> {
    return { dynamodb: { ...this.counts.dynamodb }, stepFunctions: { ...this.counts.stepFunctions } };
  }
}

/**
 * Wraps a request handler: requests for which `applies` holds may be failed as the injector decides. A
 * rejected request is read and answered with the failure without reaching the handler; a lost reply runs the
 * handler, discards whatever it answers and sends the failure instead.
 */
export function withFaults(
  handler: Handler,
  injector: FaultInjector,
  service: FaultedService,
  applies: (req: IncomingMessage) => boolean = () => true,
): Handler {
  const failure = failures[service];
  return (req, res) => {
    const decision = applies(req) ? injector.decide(service) : 'pass';
    if (decision === 'pass') return handler(req, res);
    if (decision === 'reject') {
      req.resume();
      req.once('end', () => sendFailure(res, failure));
      return;
    }
    replaceReply(res, failure);
    return handler(req, res);
  };
}

/**
 * Makes the handler's reply go nowhere: writeHead and write are swallowed, and its end sends the failure.
 * The handlers wrapped here (dynalite, the local AWS endpoint) answer with setHeader/writeHead and one end.
 */
function replaceReply(res: ServerResponse, failure: Failure): void {
  const own = res as unknown as Record<string, unknown>;
  own.writeHead = () => res;
  own.write = () => true;
  own.end = () => {
    delete own.writeHead;
    delete own.write;
    delete own.end;
    for (const name of res.getHeaderNames()) res.removeHeader(name);
    sendFailure(res, failure);
    return res;
  };
}

function sendFailure(res: ServerResponse, failure: Failure): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(failure.status, {
    ...failure.headers,
    'content-length': String(Buffer.byteLength(failure.body)),
  });
  res.end(failure.body);
}

/**
 * A front for dynalite on its own port, for the functions: it hands each passing request to dynalite's own
 * request handler in this process (no second socket, no copy), so it costs next to nothing on the hot path.
 * Tests and counting keep the direct, fault-free dynalite URL.
 */
export function dynamoDbFaultFront(dynalite: Server, injector: FaultInjector): Server {
  const [dynaliteHandler] = dynalite.listeners('request') as Handler[];
  if (!dynaliteHandler) throw new Error('dynalite has no request handler to put faults in front of');
  const server = createServer(withFaults(dynaliteHandler, injector, 'dynamodb'));
  server.keepAliveTimeout = dynalite.keepAliveTimeout;
  return server;
}

/** Step Functions calls on the local AWS endpoint (Secrets Manager, Parameter Store and Lambda Invoke there are never failed). */
export const isStepFunctionsCall = (req: IncomingMessage): boolean =>
  String(req.headers['x-amz-target'] ?? '').startsWith('AWSStepFunctions.');
