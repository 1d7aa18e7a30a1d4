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
  acknowledge <KEY> [--as <incident manager email>]
  update    <KEY> --summary <1-2 sentences> --status <bullet> --status <bullet> --next <bullet> --next <bullet>
            --impact <text> --internal <n|unknown> --external <n|unknown> --root-cause <text|"currently unknown">
            --eta <ISO|"no ETA"> --next-update <ISO|+minutes> [--external-text <short public text>]
  severity  <KEY> <1|2|3> --reason <text>
  roles     <KEY> [--im <email>] [--tech-lead <email>]... [--comms <email>]
  resolve   <KEY> --support-cases <n> [--impact-start <ISO>] [--impact-end <ISO>] [--postmortem] [--summary <text>]

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
      case 'acknowledge':
      case 'update':
      case 'severity':
      case 'roles':
      case 'resolve':
        return await respond(command, rest, io);
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

/** The response actions: POST /incidents/{key}/{acknowledge,updates,severity,roles,resolve}. */
async function respond(command: string, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      as: { type: 'string' },
      summary: { type: 'string' },
      status: { type: 'string', multiple: true },
      next: { type: 'string', multiple: true },
      impact: { type: 'string' },
      internal: { type: 'string' },
      external: { type: 'string' },
      'root-cause': { type: 'string' },
      eta: { type: 'string' },
      'next-update': { type: 'string' },
      'external-text': { type: 'string' },
      reason: { type: 'string' },
      im: { type: 'string' },
      'tech-lead': { type: 'string', multiple: true },
      comms: { type: 'string' },
      'support-cases': { type: 'string' },
      'impact-start': { type: 'string' },
      'impact-end': { type: 'string' },
      postmortem: { type: 'boolean' },
    },
    strict: true,
  });
  const [key, arg] = positionals;
  if (!key) throw new CliError(`${command} needs an incident key\n\n${usage}`);
  const count = (v?: string) => (v === undefined ? undefined : v === 'unknown' ? 'unknown' : Number(v));
  const when = (v?: string) =>
    v && /^\+\d+$/.test(v) ? new Date(Date.now() + Number(v.slice(1)) * 60_000).toISOString() : v;
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const bodies: Record<string, [string, Record<string, unknown>]> = {
    acknowledge: ['acknowledge', defined({ incidentManager: values.as })],
    update: [
      'updates',
      defined({
        summary: values.summary,
        status: values.status,
        nextSteps: values.next,
        impact: values.impact,
        customers:
          values.internal !== undefined || values.external !== undefined
            ? { internal: count(values.internal), external: count(values.external) }
            : undefined,
        rootCause: values['root-cause'],
        eta: values.eta,
        nextUpdateAt: when(values['next-update']),
        external: values['external-text'],
      }),
    ],
    severity: [
      'severity',
      defined({ severity: arg === undefined ? undefined : Number(arg), reason: values.reason }),
    ],
    roles: [
      'roles',
      defined({ incidentManager: values.im, techLeads: values['tech-lead'], commsManager: values.comms }),
    ],
    resolve: [
      'resolve',
      defined({
        supportCases: values['support-cases'] === undefined ? undefined : Number(values['support-cases']),
        impactStartedAt: values['impact-start'],
        impactEndedAt: values['impact-end'],
        postmortem: values.postmortem,
        summary: values.summary,
      }),
    ],
  };
  const [action, body] = bodies[command] ?? ['', {}];
  const result = await call(io, 'POST', `/incidents/${encodeURIComponent(key)}/${action}`, body);
  io.out(describeResult(command, key, result));
  return 0;
}

function describeResult(command: string, key: string, r: Record<string, unknown>): string {
  switch (command) {
    case 'acknowledge':
      return r.outcome === 'acknowledged'
        ? `${key} acknowledged: ${r.acknowledgedBy} is in charge`
        : `${key} was already acknowledged by ${r.acknowledgedBy}`;
    case 'update':
      return `${key}: update ${r.sequence} sent; next update due ${r.nextUpdateDue}`;
    case 'severity':
      return r.changed ? `${key} is now Sev ${r.severity}` : `${key} was already Sev ${r.severity}`;
    case 'roles':
      return `${key} roles: ${JSON.stringify(r.roles)}`;
    default:
      return `${key} resolved: impact ${r.impactStartedAt} -> ${r.impactEndedAt}; postmortem ${r.postmortem}`;
  }
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
