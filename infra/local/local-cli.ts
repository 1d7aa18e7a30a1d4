import type { ScheduleView } from './admin-api.ts';

/**
 * `npm run local -- <command>`: the running local target's admin routes (infra/local/admin-api.ts), to try the
 * schedules without waiting for them. It talks to the local AWS endpoint of a running `npm start`
 * (HOTLINE_AWS_PORT, default 4599) as the administrator (the access key `local`).
 */

const usage = `Usage: npm run local -- <command>

Commands:
  schedules      each schedule of the running local target: expression, time zone, next fire time
  fire <name>    fire a schedule now; <name> is its name or any unique part of it (e.g. slo, action-reminders)

Talks to the local target \`npm start\` runs, on HOTLINE_AWS_PORT (default 4599).`;

export interface LocalCliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  fetch: typeof fetch;
  now?: () => Date;
}

class CliError extends Error {
  constructor(
    message: string,
    readonly code = 1,
  ) {
    super(message);
  }
}

export async function run(argv: string[], io: LocalCliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    if (command === 'schedules' && rest.length === 0) {
      await listCommand(io);
      return 0;
    }
    if (command === 'fire' && rest.length === 1 && rest[0]) {
      await fireCommand(io, rest[0]);
      return 0;
    }
    if (command === 'help' || command === '--help' || command === '-h') {
      io.out(usage);
      return 0;
    }
    io.err(usage);
    return 2;
  } catch (error) {
    if (error instanceof CliError) {
      io.err(error.message);
      return error.code;
    }
    throw error;
  }
}

function endpoint(env: LocalCliIo['env']): string {
  const text = env.HOTLINE_AWS_PORT;
  const port = text === undefined || text === '' ? 4599 : Number(text);
  if (!Number.isInteger(port) || port <= 0 || port > 65535)
    throw new CliError(`HOTLINE_AWS_PORT=${text} is not a port number`, 2);
  // npm start binds HOTLINE_HOST (loopback by default); a wildcard address is reached on loopback.
  const bound = env.HOTLINE_HOST;
  const host =
    !bound || bound === '0.0.0.0' || bound === '::'
      ? '127.0.0.1'
      : bound.includes(':')
        ? `[${bound}]`
        : bound;
  return `http://${host}:${port}`;
}

/**
 * The administrator's credentials as the local target reads them: only the access key id of a SigV4
 * Authorization header counts there (the key `local` is not checked against IAM), so nothing needs signing.
 */
function adminHeaders(): Record<string, string> {
  const day = new Date().toISOString().slice(0, 10).replaceAll('-', '');
  return {
    authorization: `AWS4-HMAC-SHA256 Credential=local/${day}/us-east-1/local/aws4_request, SignedHeaders=host, Signature=0`,
  };
}

async function call<T>(io: LocalCliIo, method: 'GET' | 'POST', path: string): Promise<T> {
  const base = endpoint(io.env);
  let response: Response;
  try {
    response = await io.fetch(`${base}${path}`, { method, headers: adminHeaders() });
  } catch (error) {
    const code = (error as { cause?: { code?: string } }).cause?.code;
    if (code === 'ECONNREFUSED')
      throw new CliError(
        `Nothing is listening on ${base}: start the local target with \`npm start\`, or set HOTLINE_AWS_PORT to the port it printed as "AWS endpoint".`,
      );
    throw new CliError(`Cannot reach the local target at ${base}: ${(error as Error).message}`);
  }
  const text = await response.text();
  let body: { message?: string } & Record<string, unknown>;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new CliError(
      `${base} answered ${response.status} with something that is not the local target's: is HOTLINE_AWS_PORT its "AWS endpoint" port?`,
    );
  }
  if (!response.ok)
    throw new CliError(`The local target answered ${response.status}: ${body.message ?? text}`);
  return body as T;
}

async function listCommand(io: LocalCliIo): Promise<void> {
  const { schedules } = await call<{ schedules: ScheduleView[] }>(io, 'GET', '/_local/schedules');
  const now = io.now?.() ?? new Date();
  if (schedules.length === 0) {
    io.out('The stack has no schedules.');
    return;
  }
  // Soonest first: what is due next is what one waits for.
  const sorted = [...schedules].sort(
    (a, b) =>
      (a.next ? Date.parse(a.next) : Number.POSITIVE_INFINITY) -
        (b.next ? Date.parse(b.next) : Number.POSITIVE_INFINITY) || a.name.localeCompare(b.name),
  );
  const width = Math.max(...sorted.map((s) => s.name.length));
  for (const s of sorted) {
    io.out(`${s.name.padEnd(width)}  ${s.expression}  (${s.timezone})${s.enabled ? '' : '  DISABLED'}`);
    io.out(
      `${' '.repeat(width)}  next: ${s.next ? describeNext(new Date(s.next), s.timezone, now) : 'none'}`,
    );
    io.out(`${' '.repeat(width)}  runs: ${s.targets.map(shortArn).join(', ') || '(no target)'}`);
  }
  io.out('');
  io.out('Fire one now: npm run local -- fire <name or a unique part of it>');
}

async function fireCommand(io: LocalCliIo, wanted: string): Promise<void> {
  const { schedules } = await call<{ schedules: ScheduleView[] }>(io, 'GET', '/_local/schedules');
  const schedule = matchSchedule(schedules, wanted);
  const fired = await call<{ fired: string; at: string }>(
    io,
    'POST',
    `/_local/schedules/${encodeURIComponent(schedule.name)}/fire`,
  );
  io.out(`Fired ${fired.fired} at ${fired.at} -> ${schedule.targets.map(shortArn).join(', ')}`);
  io.out("Its mail, if any, shows in the mail viewer; npm start's log shows what ran.");
}

/** The schedule by its name, or by a unique case-insensitive part of it (punctuation ignored: action-reminders). */
export function matchSchedule<T extends { name: string }>(schedules: T[], wanted: string): T {
  const key = (text: string) => text.toLowerCase().replace(/[^a-z0-9]/g, '');
  const exact = schedules.find((s) => s.name.toLowerCase() === wanted.toLowerCase());
  if (exact) return exact;
  const part = key(wanted);
  const found = part === '' ? [] : schedules.filter((s) => key(s.name).includes(part));
  const names = (list: T[]) => list.map((s) => `  ${s.name}`).join('\n');
  if (found.length === 1 && found[0]) return found[0];
  if (found.length > 1)
    throw new CliError(`"${wanted}" matches ${found.length} schedules; say which:\n${names(found)}`, 2);
  throw new CliError(`No schedule matches "${wanted}". The schedules:\n${names(schedules)}`, 2);
}

/** The time in the schedule's zone (how its expression reads), in UTC, and how far off it is. */
function describeNext(next: Date, timezone: string, now: Date): string {
  const local = new Intl.DateTimeFormat('en-GB', {
    timeZone: timezone,
    weekday: 'short',
    year: 'numeric',
    month: 'short',
    day: 'numeric',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
    hourCycle: 'h23',
  }).format(next);
  // A rate counts from when the target started, so its times carry milliseconds nobody needs to read.
  const utc = next.toISOString().replace(/\.\d{3}Z$/, 'Z');
  const soon = `(in ${inWords(next.getTime() - now.getTime())})`;
  return UTC_ZONES.test(timezone) ? `${utc} ${soon}` : `${local} ${timezone} = ${utc} ${soon}`;
}

/** Names of UTC itself (CDK writes `Etc/UTC` for a schedule without a time zone): UTC needs saying once. */
const UTC_ZONES = /^(Etc\/)?(UTC|UCT|GMT|Universal|Zulu)$/i;

function inWords(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d ${hours % 24} h`;
}

const shortArn = (arn: string) => arn.split(':').pop() ?? arn;

if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    fetch,
  });
}
