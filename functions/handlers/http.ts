import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import * as z from 'zod/mini';
import { isTransient } from '../adapters/errors.ts';
import { logger } from '../adapters/logger.ts';
import {
  DomainError,
  PayloadTooLargeError,
  TooManyRequestsError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../core/errors.ts';
import { type LinkPage, linkPageResponse } from '../core/pages.ts';
import { describeIssues } from '../core/validation.ts';

export type HttpEvent = APIGatewayProxyEventV2;
export type HttpResult = APIGatewayProxyStructuredResultV2;

const baseHeaders = {
  'content-type': 'application/json; charset=utf-8',
  'cache-control': 'no-store',
  'x-content-type-options': 'nosniff',
};

export function json(statusCode: number, body: unknown): HttpResult {
  return { statusCode, headers: baseHeaders, body: JSON.stringify(body) };
}

export function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

/**
 * The one place errors become HTTP responses: named domain errors keep their status; transient dependency
 * failures become 503 so senders retry (a 4xx is final to them); anything else is a 500 without details.
 */
export function httpErrors(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const { error } = request;
      if (error instanceof DomainError) {
        if (error.status >= 500)
          logger.warn('request failed, sender should retry', { code: error.code, detail: error.message });
        request.response = json(error.status, errorBody(error.code, error.message));
        if (error instanceof TooManyRequestsError && error.retryAfterSeconds !== undefined)
          request.response.headers = { ...baseHeaders, 'retry-after': String(error.retryAfterSeconds) };
        return;
      }
      if (isTransient(error)) {
        logger.warn('dependency unavailable', { error: describe(error) });
        request.response = {
          ...json(503, errorBody('DependencyUnavailable', 'a dependency is briefly unavailable; retry')),
          headers: { ...baseHeaders, 'retry-after': '1' },
        };
        return;
      }
      logger.error('unhandled error', { error: describe(error, { stack: true }) });
      request.response = json(500, errorBody('InternalError', 'internal error; retry later'));
    },
  };
}

/** A link page as the HTTP response (HTML with its security headers). */
export function html(page: LinkPage): HttpResult {
  return linkPageResponse(page);
}

/**
 * The same mapping for routes people open in a browser (signed links): an HTML page, never JSON, and never
 * details of the error. A transient failure is a 503 page: nothing was lost, the same link works again.
 */
export function htmlErrors(): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    onError: async (request) => {
      const { error } = request;
      if (isTransient(error) || (error instanceof DomainError && error.status === 503)) {
        logger.warn('dependency unavailable', { error: describe(error) });
        request.response = html({ kind: 'unavailable' });
        return;
      }
      if (error instanceof DomainError && error.status === 404) {
        request.response = html({ kind: 'not-found' });
        return;
      }
      logger.error('unhandled error', { error: describe(error, { stack: true }) });
      request.response = html({ kind: 'error' });
    },
  };
}

/**
 * What the logs keep of an error: its name and message, and for one nobody expected (a 500) where it was thrown,
 * the stack naming our sources (adapters/stack-traces.ts). No other field of it: an SDK error carries the raw
 * response, which is not the logs' to keep.
 */
function describe(
  error: unknown,
  options: { stack?: boolean } = {},
): { name: string; message: string; stack?: string } {
  if (!(error instanceof Error)) return { name: 'Unknown', message: String(error) };
  return {
    name: error.name,
    message: error.message,
    ...(options.stack && error.stack ? { stack: error.stack } : {}),
  };
}

/** The raw request body as text, refused above `maxBytes` before any other work. */
export function rawBody(event: HttpEvent, maxBytes: number): string {
  const body = event.body ?? '';
  const bytes = event.isBase64Encoded ? Math.floor((body.length * 3) / 4) : Buffer.byteLength(body, 'utf8');
  if (bytes > maxBytes) throw new PayloadTooLargeError(`the body is larger than ${maxBytes} bytes`);
  return event.isBase64Encoded ? Buffer.from(body, 'base64').toString('utf8') : body;
}

/**
 * A POST's form fields (`application/x-www-form-urlencoded`), refused above `maxBytes` before they are read (a
 * PayloadTooLargeError); any other body carries none. The link pages read their forms with it.
 */
export function formBody(event: HttpEvent, maxBytes: number): URLSearchParams {
  const text = rawBody(event, maxBytes);
  const header = Object.entries(event.headers ?? {}).find(([name]) => name.toLowerCase() === 'content-type');
  const mediaType = (header?.[1] ?? '').split(';', 1)[0]?.trim().toLowerCase();
  return mediaType === 'application/x-www-form-urlencoded'
    ? new URLSearchParams(text)
    : new URLSearchParams();
}

/** An event whose JSON body the `jsonBody` middleware has read. */
export type JsonHttpEvent = HttpEvent & { jsonBody: unknown };

export interface JsonBodyOptions {
  maxBytes: number;
  /** An empty body reads as `{}` (actions whose fields are all optional). */
  optional?: boolean;
  /** Other media types the route takes as JSON (SNS posts JSON as text/plain). */
  alsoAccepts?: (mediaType: string, event: HttpEvent) => boolean;
}

/**
 * The request body of every JSON route, read one way: refused above `maxBytes` (413) before anything else
 * looks at it, then its media type (415), then its syntax (400); the parsed value is `event.jsonBody`.
 */
export function jsonBody(options: JsonBodyOptions): middy.MiddlewareObj<HttpEvent, HttpResult> {
  return {
    before: async (request) => {
      const event = request.event as JsonHttpEvent;
      const text = rawBody(event, options.maxBytes);
      if (options.optional && text.trim() === '') {
        event.jsonBody = {};
        return;
      }
      const mediaType = (event.headers['content-type'] ?? '').split(';', 1)[0]?.trim().toLowerCase() ?? '';
      if (mediaType !== 'application/json' && !options.alsoAccepts?.(mediaType, event)) {
        throw new UnsupportedMediaTypeError('send the body as application/json');
      }
      try {
        event.jsonBody = JSON.parse(text);
      } catch (error) {
        throw new ValidationError(`the body is not valid JSON: ${(error as Error).message}`);
      }
    },
  };
}

/** The person an operator records an action for (`by` in the body, the CLI's `--as`): a name or an address. */
const recordedFor = z.string({ error: 'by must be a string (who the action is recorded for)' }).check(
  z.trim(),
  z.minLength(1, 'by is empty'),
  z.maxLength(200, 'by is longer than 200 characters'),
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  z.refine((v) => !/[\u0000-\u001f\u007f]/.test(v), 'by must not contain control characters'),
);

/**
 * Who an operator route records its action for: `by` in the JSON body when the caller records it for someone
 * else (an operator at a desk acting for the incident manager on the phone: the CLI's `--as`), else the
 * authenticated operator. `by` is taken out of the body, so each route's own schema stays strict; the operator
 * who made the call is logged beside it.
 */
export function actorOf(event: JsonHttpEvent): string {
  const operator = operatorOf(event);
  const body = event.jsonBody;
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('by' in body)) return operator;
  const { by, ...rest } = body as Record<string, unknown>;
  const parsed = recordedFor.safeParse(by);
  if (!parsed.success) throw new ValidationError(`invalid by: ${describeIssues(parsed.error)}`);
  event.jsonBody = rest;
  logger.info('action recorded for another person', { recordedFor: parsed.data, operator });
  return parsed.data;
}

const IDEMPOTENCY_KEY = /^[A-Za-z0-9_.:-]{8,128}$/;

/**
 * The request's `Idempotency-Key` header (after httpHeaderNormalizer), when it has one: a POST retried with the
 * same key (a timeout, a lost reply) does what the first did, once. A key of another shape is a 400.
 */
export function idempotencyKeyOf(event: HttpEvent): string | undefined {
  const key = event.headers['idempotency-key'];
  if (key === undefined) return undefined;
  if (!IDEMPOTENCY_KEY.test(key))
    throw new ValidationError('Idempotency-Key must be 8-128 letters, digits or _ . : -');
  return key;
}

/** Who is calling an operator route: the IAM identity API Gateway verified (the local target fills the same). */
export function operatorOf(event: HttpEvent): string {
  const context = event.requestContext as HttpEvent['requestContext'] & {
    authorizer?: { iam?: { userArn?: string; userId?: string } };
  };
  return context.authorizer?.iam?.userArn ?? context.authorizer?.iam?.userId ?? 'operator';
}
