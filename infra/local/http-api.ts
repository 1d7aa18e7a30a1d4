import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { LambdaRuntime } from './functions.ts';
import type { StackModel } from './template.ts';

/**
 * The template's HTTP API (AWS::ApiGatewayV2::Route -> Integration -> function) on node:http, with API Gateway's
 * payload format 2.0 in both directions. Routes with AuthorizationType AWS_IAM take the local operator token as
 * `Authorization: Bearer <token>` instead of a SigV4 signature.
 */

export interface LocalRoute {
  routeKey: string;
  method: string;
  /** Path segments; `{name}` and a final `{name+}` capture. Empty for `$default`. */
  segments: string[];
  iam: boolean;
  functionArn: string;
  timeoutMs: number;
  /** The local id of the API the route belongs to. */
  apiId: string;
}

type Log = (line: string) => void;

const MAX_BODY = 10 * 1024 * 1024;
const TEXT_TYPES = /^(text\/|application\/(json|xml|javascript)(\s*;|$))/i;

export function routesFromTemplate(model: StackModel): LocalRoute[] {
  const routes: LocalRoute[] = [];
  for (const [logicalId, r] of model.resourcesOfType('AWS::ApiGatewayV2::Route')) {
    const props = r.Properties ?? {};
    const routeKey = model.resolveString(props.RouteKey, `${logicalId}.RouteKey`);
    const target = props.Target === undefined ? '' : model.resolveString(props.Target, `${logicalId}.Target`);
    const integrationName = target.replace(/^integrations\//, '');
    const integration = model
      .resourcesOfType('AWS::ApiGatewayV2::Integration')
      .find(([id]) => model.ref(id) === integrationName);
    if (!integration) {
      throw new Error(`Route "${routeKey}" (${logicalId}) has no integration the local target can find`);
    }
    const [integrationId, integrationResource] = integration;
    const ip = integrationResource.Properties ?? {};
    if (ip.IntegrationType !== 'AWS_PROXY') {
      throw new Error(
        `Route "${routeKey}": integration type ${String(ip.IntegrationType)} is not supported locally`,
      );
    }
    if (ip.PayloadFormatVersion !== undefined && ip.PayloadFormatVersion !== '2.0') {
      throw new Error(
        `Route "${routeKey}": payload format ${String(ip.PayloadFormatVersion)} is not supported locally`,
      );
    }
    const uri = model.resolveString(ip.IntegrationUri, `${integrationId}.IntegrationUri`);
    const functionArn = /arn:aws:lambda:[^/]+?:function:[^/:]+/.exec(uri)?.[0] ?? uri;
    const [method = '', path = ''] = routeKey === '$default' ? ['ANY', ''] : routeKey.split(' ');
    routes.push({
      routeKey,
      method: method.toUpperCase(),
      segments: routeKey === '$default' ? [] : path.split('/').slice(1),
      iam: props.AuthorizationType === 'AWS_IAM',
      functionArn,
      timeoutMs: Number(ip.TimeoutInMillis ?? 30_000),
      apiId: model.resolveString(props.ApiId, `${logicalId}.ApiId`),
    });
  }
  return routes;
}

interface Match {
  route: LocalRoute;
  pathParameters: Record<string, string>;
}

/** API Gateway picks the most specific route: fewer variables, no greedy path, an exact method over ANY. */
export function matchRoute(routes: LocalRoute[], method: string, path: string): Match | undefined {
  const parts = path.split('/').slice(1);
  const matches: Array<Match & { score: number[] }> = [];
  for (const route of routes) {
    if (route.routeKey === '$default') continue;
    if (route.method !== 'ANY' && route.method !== method) continue;
    const params = matchSegments(route.segments, parts);
    if (!params) continue;
    const literals = route.segments.filter((s) => !s.startsWith('{')).length;
    const greedy = route.segments.at(-1)?.endsWith('+}') ? 1 : 0;
    matches.push({
      route,
      pathParameters: params,
      score: [-greedy, literals, route.method === 'ANY' ? 0 : 1],
    });
  }
  matches.sort((a, b) => compareScores(b.score, a.score));
  const best = matches[0];
  if (best) return { route: best.route, pathParameters: best.pathParameters };
  const fallback = routes.find((r) => r.routeKey === '$default');
  return fallback ? { route: fallback, pathParameters: {} } : undefined;
}

function compareScores(a: number[], b: number[]): number {
  for (let i = 0; i < a.length; i++) if ((a[i] ?? 0) !== (b[i] ?? 0)) return (a[i] ?? 0) - (b[i] ?? 0);
  return 0;
}

function matchSegments(pattern: string[], parts: string[]): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (let i = 0; i < pattern.length; i++) {
    const p = pattern[i] as string;
    if (p.startsWith('{') && p.endsWith('+}')) {
      const rest = parts.slice(i);
      if (rest.length === 0 || rest.join('/') === '') return undefined;
      params[p.slice(1, -2)] = decode(rest.join('/'));
      return params;
    }
    const part = parts[i];
    if (part === undefined) return undefined;
    if (p.startsWith('{') && p.endsWith('}')) {
      if (part === '') return undefined;
      params[p.slice(1, -1)] = decode(part);
    } else if (p !== part) return undefined;
  }
  return parts.length === pattern.length ? params : undefined;
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

export function tokensMatch(presented: string, expected: string): boolean {
  // Hashing first gives equal-length buffers, so the comparison leaks neither content nor length.
  const a = createHash('sha256').update(presented).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

export interface HttpApiDeps {
  routes: LocalRoute[];
  lambda: LambdaRuntime;
  operatorToken: string;
  apiId: string;
  account: string;
  log: Log;
  /**
   * Whether the function's resource policy lets API Gateway invoke it for this request (AWS::Lambda::Permission
   * with the route's source ARN): a denial's message, or undefined.
   */
  authorizeInvoke?: (route: LocalRoute, sourceArn: string) => string | undefined;
  /** Told of each 5xx answer, as API Gateway counts it in the stage's `5xx` metric (the local alarms watch it). */
  onServerError?: (apiId: string) => void;
}

export function createHttpApi(deps: HttpApiDeps) {
  const { routes, lambda, operatorToken, log } = deps;

  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const started = Date.now();
    const url = req.url ?? '/';
    const queryAt = url.indexOf('?');
    const rawPath = queryAt >= 0 ? url.slice(0, queryAt) : url;
    const rawQueryString = queryAt >= 0 ? url.slice(queryAt + 1) : '';
    const method = (req.method ?? 'GET').toUpperCase();
    let logged = `${method} (no route)`;
    const reply = (
      status: number,
      body: string | Buffer,
      headers: Record<string, string | string[]> = {},
    ) => {
      res.writeHead(status, headers);
      res.end(body);
      if (status >= 500) deps.onServerError?.(deps.apiId);
      // The route key, never the raw path: link routes carry signed tokens in the path (as the AWS access log).
      log(`[api] ${logged} -> ${status} (${Date.now() - started} ms)`);
    };
    const gatewayError = (status: number, message: string, code: string, detail: string) =>
      reply(status, JSON.stringify({ message, error: { code, message: detail } }), {
        'content-type': 'application/json',
      });

    const match = matchRoute(routes, method, rawPath);
    if (!match) {
      gatewayError(404, 'Not Found', 'NotFound', `No route for ${method} ${rawPath}`);
      return;
    }
    const { route, pathParameters } = match;
    logged = route.routeKey;
    if (route.iam) {
      const presented = /^Bearer\s+(\S+)$/i.exec(String(req.headers.authorization ?? ''))?.[1];
      if (!presented || !tokensMatch(presented, operatorToken)) {
        gatewayError(
          403,
          'Forbidden',
          'Forbidden',
          'This route needs AWS IAM authorization; locally, send "Authorization: Bearer <operator token>" (npm start prints it)',
        );
        return;
      }
    }
    let body: Buffer;
    try {
      body = await readBody(req);
    } catch {
      gatewayError(
        413,
        'Request Entity Too Large',
        'PayloadTooLarge',
        'The request body is larger than 10 MB',
      );
      return;
    }
    // API Gateway may invoke the function only where its resource policy allows this route; else API Gateway
    // answers 500 and the request never reaches the function.
    const sourceArn = `arn:aws:execute-api:${region(route.functionArn)}:${deps.account}:${route.apiId}/$default/${method}${route.segments.length > 0 ? `/${route.segments.join('/')}` : ''}`;
    const refused = deps.authorizeInvoke?.(route, sourceArn);
    if (refused) {
      log(`[api] ${route.routeKey}: ${refused}`);
      gatewayError(500, 'Internal Server Error', 'InternalServerError', refused);
      return;
    }
    const event = buildEvent(req, deps, {
      route,
      pathParameters,
      rawPath,
      rawQueryString,
      method,
      body,
      started,
    });
    let timer: NodeJS.Timeout | undefined;
    try {
      const result = await Promise.race([
        lambda.invoke(route.functionArn, event),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new IntegrationTimeout()), route.timeoutMs);
        }),
      ]);
      const response = toHttpResponse(result);
      if ('problem' in response) {
        log(`[api] ${route.routeKey}: ${response.problem}`);
        gatewayError(500, 'Internal Server Error', 'InternalServerError', response.problem);
        return;
      }
      reply(response.statusCode, response.body, response.headers);
    } catch (error) {
      if (error instanceof IntegrationTimeout) {
        gatewayError(
          503,
          'Service Unavailable',
          'ServiceUnavailable',
          `The function did not answer within ${route.timeoutMs} ms`,
        );
      } else if ((error as Error).name === 'RequestTooLargeException') {
        gatewayError(413, 'Request Entity Too Large', 'PayloadTooLarge', (error as Error).message);
      } else {
        log(`[api] ${route.routeKey}: ${(error as Error).name}: ${(error as Error).message}`);
        gatewayError(
          500,
          'Internal Server Error',
          'InternalServerError',
          `${(error as Error).name}: ${(error as Error).message}`,
        );
      }
    } finally {
      clearTimeout(timer);
    }
  };
}

class IntegrationTimeout extends Error {}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(req.headers['content-length'] ?? 0);
    if (declared > MAX_BODY) {
      req.resume();
      reject(new Error('too large'));
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    let failed = false;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_BODY) {
        failed = true;
        chunks.length = 0;
        reject(new Error('too large'));
        return;
      }
      if (!failed) chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

interface RequestParts {
  route: LocalRoute;
  pathParameters: Record<string, string>;
  rawPath: string;
  rawQueryString: string;
  method: string;
  body: Buffer;
  started: number;
}

function buildEvent(req: IncomingMessage, deps: HttpApiDeps, parts: RequestParts): APIGatewayProxyEventV2 {
  const headers: Record<string, string> = {};
  const raw = req.rawHeaders;
  for (let i = 0; i < raw.length; i += 2) {
    const name = (raw[i] ?? '').toLowerCase();
    const value = raw[i + 1] ?? '';
    headers[name] = name in headers ? `${headers[name]},${value}` : value;
  }
  const cookieHeader = headers.cookie;
  delete headers.cookie;
  // Hop-by-hop headers end at the gateway.
  delete headers.connection;
  delete headers['keep-alive'];
  // The operator token stands in for a SigV4 signature; it is not passed on to the function.
  if (parts.route.iam) delete headers.authorization;
  const sourceIp = (req.socket.remoteAddress ?? '127.0.0.1').replace(/^::ffff:/, '');
  headers['x-forwarded-for'] = headers['x-forwarded-for']
    ? `${headers['x-forwarded-for']}, ${sourceIp}`
    : sourceIp;
  headers['x-forwarded-port'] = String(req.socket.localPort ?? '');
  headers['x-forwarded-proto'] = 'http';
  headers['x-amzn-trace-id'] =
    `Root=1-${Math.floor(parts.started / 1000).toString(16)}-${randomBytes(12).toString('hex')}`;

  const query: Record<string, string> = {};
  if (parts.rawQueryString) {
    for (const [k, v] of new URLSearchParams(parts.rawQueryString)) {
      query[k] = k in query ? `${query[k]},${v}` : v;
    }
  }
  const contentType = headers['content-type'] ?? '';
  const text = TEXT_TYPES.test(contentType);
  const host = headers.host ?? '';
  const domainName = host.replace(/:\d+$/, '');
  const time = new Date(parts.started);
  const event: APIGatewayProxyEventV2 = {
    version: '2.0',
    routeKey: parts.route.routeKey,
    rawPath: parts.rawPath,
    rawQueryString: parts.rawQueryString,
    ...(cookieHeader ? { cookies: cookieHeader.split(/;\s*/).filter((c) => c !== '') } : {}),
    headers,
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: deps.account,
      apiId: deps.apiId,
      domainName,
      domainPrefix: domainName.split('.')[0] ?? domainName,
      http: {
        method: parts.method,
        path: parts.rawPath,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomBytes(11).toString('base64'),
      routeKey: parts.route.routeKey,
      stage: '$default',
      time: apiGatewayTime(time),
      timeEpoch: parts.started,
      ...(parts.route.iam ? { authorizer: { iam: operatorIdentity(deps.account) } } : {}),
    } as APIGatewayProxyEventV2['requestContext'],
    ...(Object.keys(parts.pathParameters).length > 0 ? { pathParameters: parts.pathParameters } : {}),
    isBase64Encoded: parts.body.length > 0 && !text,
  };
  if (parts.body.length > 0) event.body = text ? parts.body.toString('utf8') : parts.body.toString('base64');
  return event;
}

/** The identity a SigV4-signed request from a local operator would carry. */
function operatorIdentity(account: string) {
  return {
    accessKey: 'ASIALOCALOPERATOR000',
    accountId: account,
    callerId: 'AIDALOCALOPERATOR000',
    cognitoIdentity: null,
    principalOrgId: null,
    userArn: `arn:aws:iam::${account}:user/local-operator`,
    userId: 'AIDALOCALOPERATOR000',
  };
}

const MONTH_NAMES = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

/** `12/Mar/2020:19:03:58 +0000`, as requestContext.time reads. */
function apiGatewayTime(t: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(t.getUTCDate())}/${MONTH_NAMES[t.getUTCMonth()]}/${t.getUTCFullYear()}:${pad(t.getUTCHours())}:${pad(t.getUTCMinutes())}:${pad(t.getUTCSeconds())} +0000`;
}

type HttpResponse = { statusCode: number; headers: Record<string, string | string[]>; body: string | Buffer };

/** Payload 2.0 responses: a structured object with statusCode, or anything else as an inferred JSON 200. */
export function toHttpResponse(result: unknown): HttpResponse | { problem: string } {
  const structured =
    result !== null && typeof result === 'object' && !Array.isArray(result) && 'statusCode' in result
      ? (result as {
          statusCode: unknown;
          headers?: Record<string, unknown>;
          cookies?: unknown[];
          body?: unknown;
          isBase64Encoded?: boolean;
        })
      : undefined;
  if (!structured) {
    return {
      statusCode: 200,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(result ?? null),
    };
  }
  const statusCode = Number(structured.statusCode);
  if (!Number.isInteger(statusCode) || statusCode < 100 || statusCode > 599) {
    return { problem: `the function returned an invalid statusCode ${String(structured.statusCode)}` };
  }
  if (structured.body !== undefined && typeof structured.body !== 'string') {
    return { problem: 'the function returned a body that is not a string' };
  }
  const headers: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(structured.headers ?? {})) headers[k.toLowerCase()] = String(v);
  if (Array.isArray(structured.cookies) && structured.cookies.length > 0) {
    headers['set-cookie'] = structured.cookies.map(String);
  }
  const body = structured.body ?? '';
  return {
    statusCode,
    headers,
    body: structured.isBase64Encoded ? Buffer.from(body, 'base64') : body,
  };
}

/** The region of an ARN. */
function region(arn: string): string {
  return arn.split(':')[3] ?? 'us-east-1';
}
