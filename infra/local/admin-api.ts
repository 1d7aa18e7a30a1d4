import { timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { accessKeyOf } from './iam/requests.ts';
import { nextFireTime, type Scheduler } from './schedules.ts';

/**
 * The local target's own admin routes, on the local AWS endpoint under `/_local/` (a prefix no AWS API uses, kept
 * for these): what the schedules will do next, and firing one now, so reminders can be tried without waiting
 * days. Only the administrator may call them: the access key `local` (as the AWS CLI and tests sign with) or the
 * operator token as a bearer token.
 *
 *   GET  /_local/schedules               {"schedules":[{name, kind, expression, timezone, enabled, next, targets}]}
 *   POST /_local/schedules/{name}/fire   {"fired": name, "at": ISO}; 404 for an unknown name
 *
 * The texts and voice messages (`/_local/messages`, `/_local/sms/inbound`) are sms-voice.ts's.
 */

export const ADMIN_PREFIX = '/_local/';
/** The administrator's access key id on the local target (its calls are not checked against IAM). */
export const ADMIN_ACCESS_KEY = 'local';

export interface ScheduleView {
  name: string;
  kind: 'scheduler' | 'events';
  expression: string;
  timezone: string;
  enabled: boolean;
  /** The next fire time (ISO), or null when it will not fire again (disabled, ended, an `at()` passed). */
  next: string | null;
  targets: string[];
}

export interface AdminApiDeps {
  /** The target's Scheduler; undefined while the target is still starting. */
  schedules: () => Scheduler | undefined;
  operatorToken: string;
  log: (line: string) => void;
}

type Answer = { status: number; body: unknown; headers?: Record<string, string> };

/** A request handler: true when the request was an admin route (answered), false to let the caller go on. */
export function createAdminApi({ schedules, operatorToken, log }: AdminApiDeps) {
  const isAdmin = administratorCheck(operatorToken);

  const route = async (req: IncomingMessage, path: string): Promise<Answer> => {
    if (!isAdmin(req)) {
      return {
        status: 403,
        body: {
          message: `${ADMIN_PREFIX} routes need the administrator's credentials: the access key "${ADMIN_ACCESS_KEY}" or the operator token (Authorization: Bearer <token>)`,
        },
      };
    }
    const scheduler = schedules();
    if (path === '/_local/schedules') {
      if (req.method !== 'GET') return notAllowed('GET');
      if (!scheduler) return starting();
      return { status: 200, body: { schedules: listSchedules(scheduler) } };
    }
    const fire = /^\/_local\/schedules\/([^/]+)\/fire$/.exec(path);
    if (fire?.[1] !== undefined) {
      if (req.method !== 'POST') return notAllowed('POST');
      if (!scheduler) return starting();
      const name = safeDecode(fire[1]);
      const schedule = scheduler.schedules.find((s) => s.name === name || s.logicalId === name);
      if (!schedule) {
        return {
          status: 404,
          body: {
            message: `No schedule named ${name}`,
            schedules: scheduler.schedules.map((s) => s.name),
          },
        };
      }
      const at = new Date();
      log(`[schedules] ${schedule.name} fired now by the administrator`);
      // Waits for the targets to be called, so the answer means "done"; a target's failure is in the log.
      await scheduler.trigger(schedule.name);
      return { status: 200, body: { fired: schedule.name, at: at.toISOString() } };
    }
    return { status: 404, body: { message: `No admin route ${req.method} ${path}` } };
  };

  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!path.startsWith(ADMIN_PREFIX)) return false;
    // The body is never read (no route takes one): drain it so the connection can be reused.
    req.resume();
    const answer = await route(req, path);
    res
      .writeHead(answer.status, { 'content-type': 'application/json', ...answer.headers })
      .end(JSON.stringify(answer.body));
    return true;
  };
}

/** Whether a request carries the administrator's credentials: the access key `local`, or the operator token. */
export function administratorCheck(operatorToken: string): (req: IncomingMessage) => boolean {
  const token = Buffer.from(operatorToken);
  return (req) => {
    if (accessKeyOf(req.headers, req.url) === ADMIN_ACCESS_KEY) return true;
    const bearer = /^Bearer\s+(\S+)\s*$/i.exec(req.headers.authorization ?? '')?.[1];
    if (bearer === undefined) return false;
    const given = Buffer.from(bearer);
    return given.length === token.length && timingSafeEqual(given, token);
  };
}

/** Every schedule with its next fire time, as the Scheduler has armed it. */
export function listSchedules(scheduler: Scheduler, now = new Date()): ScheduleView[] {
  const armed = new Map(scheduler.list().map((s) => [s.name, s.next]));
  return scheduler.schedules.map((s) => ({
    name: s.name,
    kind: s.kind,
    expression: s.expression,
    timezone: s.timezone,
    enabled: s.enabled,
    next: s.enabled ? (upcoming(armed.get(s.name), s.expression, s.timezone, now, s.endDate) ?? null) : null,
    targets: s.targets.map((t) => t.arn),
  }));
}

/**
 * The armed time, or, while a due run is still going (the Scheduler re-arms once its targets answered), the
 * following fire time on the same grid: a rate is counted from the armed time, as the Scheduler counts it.
 */
function upcoming(
  armed: Date | undefined,
  expression: string,
  timezone: string,
  now: Date,
  endDate: Date | undefined,
): string | undefined {
  if (!armed) return undefined;
  if (armed > now) return armed.toISOString();
  try {
    const next = nextFireTime(expression, now, timezone, armed);
    return next && !(endDate && next > endDate) ? next.toISOString() : undefined;
  } catch {
    return undefined;
  }
}

function safeDecode(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

const notAllowed = (allow: string): Answer => ({
  status: 405,
  body: { message: `Use ${allow}` },
  headers: { allow },
});

const starting = (): Answer => ({
  status: 503,
  body: { message: 'The local target is still starting' },
  headers: { 'retry-after': '1' },
});

/** What a `/_local/` route answers with: JSON, or a JSON error `{ error: { code, message } }`. */
export interface LocalReply {
  answer(status: number, body: unknown, headers?: Record<string, string>): true;
  error(status: number, code: string, message: string, headers?: Record<string, string>): true;
}

/**
 * A `/_local/` route beside the AWS endpoint: false when the path is not one it `takes` (the caller goes on);
 * otherwise a request without the administrator's credentials gets 403 (its body drained), and `handle` answers
 * the rest through the reply.
 */
export function localRoute(
  takes: (path: string) => boolean,
  isAdmin: (req: IncomingMessage) => boolean,
  handle: (req: IncomingMessage, path: string, reply: LocalReply) => Promise<true>,
) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<boolean> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (!takes(path)) return false;
    const answer = (status: number, body: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
      return true as const;
    };
    const reply: LocalReply = {
      answer,
      error: (status, code, message, headers = {}) => answer(status, { error: { code, message } }, headers),
    };
    if (!isAdmin(req)) {
      req.resume();
      return reply.error(
        403,
        'Forbidden',
        `${ADMIN_PREFIX} routes need the administrator's credentials: the access key "${ADMIN_ACCESS_KEY}" or the operator token (Authorization: Bearer <token>)`,
      );
    }
    return handle(req, path, reply);
  };
}

export class BodyTooLargeError extends Error {
  override name = 'BodyTooLargeError';
}

/** A request's body, up to `max` bytes (a larger one is drained and refused with BodyTooLargeError). */
export function readBody(req: IncomingMessage, max: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= max) chunks.push(chunk);
    });
    req.on('end', () =>
      size > max ? reject(new BodyTooLargeError(`larger than ${max} bytes`)) : resolve(Buffer.concat(chunks)),
    );
    req.on('error', reject);
  });
}
