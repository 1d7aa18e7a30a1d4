import { parseArgs } from 'node:util';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';

/**
 * `incident`: the operator CLI, for the deployed API (signed with your AWS credentials, as IAM authorizes
 * operator routes) or the local target (the bearer token `npm start` prints).
 *
 *   HOTLINE_URL=<api url> [HOTLINE_TOKEN=<local token>] npm run incident -- <command> [options]
 */

const usage = `Usage: npm run incident -- <command> [options]

Commands:
  declare   --summary <text> --impact <customer impact> --severity <1|2|3> --service <id|unknown>
            [--products <a,b>] [--since <ISO time impact started>] [--idempotency-key <key>]
  list      [--status <status>] [--severity <n>] [--service <id>] [--from <ISO>] [--to <ISO>] [--limit <n>]
  show      <KEY>

Environment:
  HOTLINE_URL     the API URL (the stack's ApiUrl output, or http://127.0.0.1:3000 locally)
  HOTLINE_TOKEN   the local operator token; without it requests are signed with your AWS credentials (SigV4)
`;

export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  fetch: typeof fetch;
}

export class CliError extends Error {
  override name = 'CliError';
}

/** Runs one command; returns the process exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'declare':
        return await declare(rest, io);
      case 'list':
        return await list(rest, io);
      case 'show':
        return await show(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command "${command}"\n\n${usage}`);
    }
  } catch (error) {
    io.err(error instanceof CliError ? error.message : `error: ${(error as Error).message}`);
    return error instanceof CliError ? 2 : 1;
  }
}

async function declare(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      summary: { type: 'string' },
      impact: { type: 'string' },
      severity: { type: 'string' },
      service: { type: 'string' },
      products: { type: 'string' },
      since: { type: 'string' },
      'idempotency-key': { type: 'string' },
    },
    strict: true,
  });
  const missing = ['summary', 'impact', 'severity', 'service'].filter(
    (k) => !values[k as keyof typeof values],
  );
  if (missing.length > 0) throw new CliError(`declare needs --${missing.join(', --')}\n\n${usage}`);
  const body = {
    summary: values.summary,
    description: values.impact,
    severity: Number(values.severity),
    service: values.service,
    ...(values.products
      ? {
          products: values.products
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean),
        }
      : {}),
    ...(values.since ? { impactStartedAt: values.since } : {}),
  };
  // One key per invocation: a retried request (timeout, network) cannot declare twice.
  const key =
    values['idempotency-key'] ?? `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const result = await call(io, 'POST', '/incidents', body, { 'idempotency-key': key });
  io.out(result.outcome === 'declared' ? `Declared ${result.key}` : `${result.key} was already declared`);
  return 0;
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      status: { type: 'string' },
      severity: { type: 'string' },
      service: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
    },
    strict: true,
  });
  const query = new URLSearchParams(Object.entries(values).filter((e): e is [string, string] => !!e[1]));
  const result = await call(io, 'GET', `/incidents${query.size ? `?${query}` : ''}`);
  const incidents = result.incidents as {
    key: string;
    status: string;
    severity: number;
    service: string;
    openedAt: string;
    summary: string;
  }[];
  if (incidents.length === 0) io.out('No incidents.');
  for (const i of incidents) {
    io.out(
      `${i.key.padEnd(10)} Sev ${i.severity}  ${i.status.padEnd(9)} ${i.service.padEnd(14)} ${i.openedAt}  ${i.summary}`,
    );
  }
  return 0;
}

async function show(args: string[], io: CliIo): Promise<number> {
  const [key] = args;
  if (!key) throw new CliError(`show needs an incident key\n\n${usage}`);
  const result = await call(io, 'GET', `/incidents/${encodeURIComponent(key)}`);
  const incident = result.incident as Record<string, unknown>;
  io.out(`${incident.key} - Sev ${incident.severity} - ${incident.summary}`);
  io.out(
    `status ${incident.status}, service ${incident.service}, opened ${incident.openedAt}, impact since ${incident.impactStartedAt}`,
  );
  for (const entry of result.timeline as { at: string; kind: string; text: string }[]) {
    io.out(`  ${entry.at}  ${entry.kind.padEnd(24)} ${entry.text}`);
  }
  return 0;
}

async function call(
  io: CliIo,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const base = io.env.HOTLINE_URL?.replace(/\/+$/, '');
  if (!base)
    throw new CliError('set HOTLINE_URL to the API URL (the ApiUrl stack output, or http://127.0.0.1:3000)');
  const url = new URL(`${base}${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const request: Record<string, string> = {
    accept: 'application/json',
    ...(payload ? { 'content-type': 'application/json' } : {}),
    ...headers,
  };
  const token = io.env.HOTLINE_TOKEN;
  const signed = token
    ? { ...request, authorization: `Bearer ${token}` }
    : await sigv4(io, method, url, request, payload);
  const response = await io.fetch(url, { method, headers: signed, ...(payload ? { body: payload } : {}) });
  const text = await response.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new Error(`${response.status} from ${url.origin}: ${text.slice(0, 200)}`);
  }
  if (!response.ok) {
    const error = parsed.error as { code?: string; message?: string } | undefined;
    throw new CliError(
      `${response.status} ${error?.code ?? ''}: ${error?.message ?? (parsed.message as string) ?? text}`,
    );
  }
  return parsed;
}

/** Signs like the AWS CLI does, for API Gateway's IAM authorizer (service execute-api). */
async function sigv4(io: CliIo, method: string, url: URL, headers: Record<string, string>, body?: string) {
  const region = /execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ?? io.env.AWS_REGION;
  if (!region)
    throw new CliError('cannot tell the region: set AWS_REGION or HOTLINE_TOKEN for the local target');
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: defaultProvider(),
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...headers, host: url.host },
    ...(body ? { body } : {}),
  });
  return signed.headers as Record<string, string>;
}

if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    fetch,
  });
}
