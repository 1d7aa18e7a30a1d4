import { randomUUID } from 'node:crypto';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import { Readable } from 'node:stream';
import { type FaultInjector, withFaults } from '../faults.ts';
import { dynamoDbLimitViolation, SES_MAX_REQUEST_BYTES, sesLimitViolation } from '../limits.ts';
import type { Denied, IamEnforcer } from './enforcer.ts';
import {
  type AwsCall,
  accessKeyOf,
  type CallEnvironment,
  dynamoDbCall,
  sesCall,
  UnmappedCallError,
} from './requests.ts';

/**
 * The functions reach dynalite and aws-ses-v2-local through these fronts, each on a port of its own: the request
 * is read, authorised as AWS would (the caller's role, from its access key) and only then handed on. The
 * emulators' own URLs stay open for tests and the administrator.
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void | Promise<void>;

/** Requests larger than this are refused before they are read (dynalite's and SES's own limits are lower). */
const MAX_BODY_BYTES = 16 * 1024 * 1024;

export function readRequestBody(req: IncomingMessage, maxBytes = MAX_BODY_BYTES): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > maxBytes) {
        req.destroy();
        reject(new Error('request body too large'));
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

export function sendDenied(res: ServerResponse, denied: Denied): void {
  res.writeHead(denied.status, {
    ...denied.headers,
    'content-length': String(Buffer.byteLength(denied.body)),
  });
  res.end(denied.body);
}

/** A call that cannot be mapped to what AWS authorises is refused: enforcement never lets through unchecked. */
function unmapped(
  iam: IamEnforcer,
  accessKey: string | undefined,
  service: string,
  error: Error,
): Denied | undefined {
  if (
    !iam.refuse({
      principal: accessKey ?? '(none)',
      action: `${service}:?`,
      resource: '*',
      reason: 'implicit-deny',
      message: error.message,
    })
  )
    return undefined;
  const body = JSON.stringify({
    __type: 'AccessDeniedException',
    message: `The local target cannot authorise this call: ${error.message}`,
  });
  return { status: 400, headers: { 'content-type': 'application/x-amz-json-1.0' }, body };
}

/** Authorises a call read from a request; undefined when it may go on (or IAM is off for this principal). */
export function authorizeCall(
  iam: IamEnforcer,
  req: IncomingMessage,
  service: string,
  map: () => AwsCall,
): Denied | undefined {
  const accessKey = accessKeyOf(req.headers, req.url);
  let call: AwsCall;
  try {
    call = map();
  } catch (error) {
    if (error instanceof UnmappedCallError) return unmapped(iam, accessKey, service, error);
    throw error;
  }
  return iam.check(accessKey, call);
}

/** A request dynalite can read again: the body already read, replayed as the stream it expects. */
function replayed(req: IncomingMessage, body: Buffer): IncomingMessage {
  const stream = Readable.from(body.length > 0 ? [body] : []);
  return Object.assign(stream, {
    headers: req.headers,
    method: req.method,
    url: req.url,
    httpVersion: req.httpVersion,
    socket: req.socket,
  }) as unknown as IncomingMessage;
}

/**
 * dynalite on a port of its own for the functions: each request is authorised, then handed to dynalite's own
 * request handler in this process (no second socket), with the injected faults when the target has them.
 */
/** What a front authorises with; a getter, because the fronts listen before the rest of the target exists. */
export type FrontIam = () => { enforcer: IamEnforcer; env: CallEnvironment };

export function dynamoDbFront(dynalite: Server, options: { iam: FrontIam; faults?: FaultInjector }): Server {
  const [dynaliteHandler] = dynalite.listeners('request') as Handler[];
  if (!dynaliteHandler) throw new Error('dynalite has no request handler to put a front before');
  const inner: Handler = options.faults
    ? withFaults(dynaliteHandler, options.faults, 'dynamodb')
    : dynaliteHandler;
  const server = createServer((req, res) => {
    readRequestBody(req)
      .then((body) => {
        const target = String(req.headers['x-amz-target'] ?? '');
        if (req.method === 'POST' && target) {
          const { enforcer, env } = options.iam();
          const parsed: unknown = body.length > 0 ? JSON.parse(body.toString('utf8')) : {};
          const denied = authorizeCall(enforcer, req, 'dynamodb', () => dynamoDbCall(target, parsed, env));
          if (denied) return sendDenied(res, denied);
          // AWS counts an item's size in UTF-8 bytes; dynalite counts characters.
          const tooLarge = dynamoDbLimitViolation(target, parsed);
          if (tooLarge) return sendDenied(res, tooLarge);
        }
        return inner(replayed(req, body), res);
      })
      .catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/x-amz-json-1.0' });
        res.end(
          JSON.stringify({
            __type: 'com.amazonaws.dynamodb.v20120810#InternalServerError',
            message: error.message,
          }),
        );
      });
  });
  server.keepAliveTimeout = dynalite.keepAliveTimeout;
  return server;
}

/**
 * A test's stand-in for SES refusing a message (an unverified recipient in the sandbox, a suppressed address):
 * given the request's path and body, the message SES refuses it with, or undefined to let it through.
 */
export type MailRefusal = (request: { path: string; body: string }) => string | undefined;

/** SES's MessageRejected in each API's protocol (v2: restJson1 with `x-amzn-errortype`; v1: query XML). */
function messageRejected(path: string, message: string): Denied {
  const requestId = randomUUID();
  if (path.startsWith('/v2/')) {
    return {
      status: 400,
      headers: {
        'content-type': 'application/json',
        'x-amzn-errortype': 'MessageRejected',
        'x-amzn-requestid': requestId,
      },
      body: JSON.stringify({ message }),
    };
  }
  const escaped = message.replace(/[&<>]/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;' })[c] ?? c);
  return {
    status: 400,
    headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
    body:
      '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">' +
      `<Error><Type>Sender</Type><Code>MessageRejected</Code><Message>${escaped}</Message></Error>` +
      `<RequestId>${requestId}</RequestId></ErrorResponse>`,
  };
}

/** aws-ses-v2-local behind a front for the functions: authorised requests are passed on over loopback. */
export function sesFront(
  sesUrl: string,
  options: {
    iam: FrontIam;
    refusal?: () => MailRefusal | undefined;
    /** Told of each message SES accepted (its request and message id): what its events are made from. */
    sent?: (call: { path: string; body: string; messageId: string }) => void;
    /** Answers the account's own calls the emulator does not keep (ses-account.ts), once authorised. */
    answer?: (
      method: string,
      path: string,
      body: string,
    ) => { status: number; body: unknown; errorType?: string } | undefined;
  },
): Server {
  const target = new URL(sesUrl);
  return createServer((req, res) => {
    // An SES v2 message may be 40 MB, base64 in JSON: past the other fronts' cap.
    readRequestBody(req, SES_MAX_REQUEST_BYTES)
      .then((body) => {
        const { enforcer, env } = options.iam();
        const denied = authorizeCall(enforcer, req, 'ses', () =>
          sesCall(
            req.method ?? 'GET',
            req.url ?? '/',
            body.toString('utf8'),
            req.headers['content-type'],
            env,
          ),
        );
        if (denied) return sendDenied(res, denied);
        const answered = options.answer?.(req.method ?? 'GET', req.url ?? '/', body.toString('utf8'));
        if (answered) {
          const text = JSON.stringify(answered.body);
          res.writeHead(answered.status, {
            'content-type': 'application/json',
            'x-amzn-requestid': randomUUID(),
            ...(answered.errorType ? { 'x-amzn-errortype': answered.errorType } : {}),
          });
          res.end(text);
          return;
        }
        // AWS checks SES's limits once the call is authorised; a refused message never reaches the emulator.
        const refused = sesLimitViolation({
          method: req.method ?? 'GET',
          path: req.url ?? '/',
          body,
          contentType: req.headers['content-type'],
        });
        if (refused) return sendDenied(res, refused);
        const rejected = options.refusal?.()?.({ path: req.url ?? '/', body: body.toString('utf8') });
        if (rejected !== undefined) return sendDenied(res, messageRejected(req.url ?? '/', rejected));
        const upstream = httpRequest(
          {
            host: target.hostname,
            port: target.port,
            method: req.method,
            path: req.url,
            headers: { ...req.headers, host: target.host, 'content-length': String(body.length) },
          },
          (answer) => {
            res.writeHead(answer.statusCode ?? 502, answer.headers);
            const { sent } = options;
            if (!sent || answer.statusCode !== 200) {
              answer.pipe(res);
              return;
            }
            const chunks: Buffer[] = [];
            answer.on('data', (chunk: Buffer) => {
              chunks.push(chunk);
              res.write(chunk);
            });
            answer.on('end', () => {
              res.end();
              const text = Buffer.concat(chunks).toString('utf8');
              const messageId = /"MessageId"\s*:\s*"([^"]+)"|<MessageId>([^<]+)<\/MessageId>/.exec(text);
              const id = messageId?.[1] ?? messageId?.[2];
              if (id) sent({ path: req.url ?? '/', body: body.toString('utf8'), messageId: id });
            });
          },
        );
        upstream.on('error', (error) => {
          if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: `SES emulator unreachable: ${error.message}` }));
        });
        upstream.end(body);
      })
      .catch((error: Error) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ message: error.message }));
      });
  });
}
