import { signRequest } from './sigv4.ts';

/** What a command needs from the world: tests put their own here. */
export interface CliIo {
  env: Record<string, string | undefined>;
  out: (line: string) => void;
  err: (line: string) => void;
  fetch: typeof fetch;
  /**
   * Opens `path` in the person's editor and resolves when they close it (rejects if it cannot start or
   * fails). Default: `$VISUAL` or `$EDITOR` (default `vi`) on the terminal. Tests put a function here.
   */
  edit?: (path: string) => Promise<void>;
  /** All of standard input (`--value-file -`). Default: the process's stdin. */
  stdin?: () => Promise<string>;
}

/** A refusal: bad usage, or (as ApiError) a 4xx. Exits 2. */
export class CliError extends Error {
  override name = 'CliError';
}

/** The API refused a request: its status and error code, for the commands that treat some (412) apart. */
export class ApiError extends CliError {
  override name = 'ApiError';
  readonly status: number;
  readonly code: string;
  constructor(status: number, code: string, message: string) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Exit status: 0 done, 1 failed, 2 refused (bad usage or a 4xx), 3 a stale version (nothing saved). */
export const EXIT = { done: 0, failed: 1, refused: 2, stale: 3 } as const;

/** The HTTP status each answer of `call` came with (201 Created and 200 tell `postmortem open` apart). */
export const answeredWith = new WeakMap<object, number>();

/** A JSON request to the API; a refusal throws ApiError. */
export async function call(
  io: CliIo,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const { response, text, url } = await send(io, method, path, body, headers);
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    throw new Error(`${response.status} from ${url.origin}: ${text.slice(0, 200)}`);
  }
  if (!response.ok) throw apiError(response.status, parsed, text);
  answeredWith.set(parsed, response.status);
  return parsed;
}

/** A GET of a document (not JSON): its text as answered, with `accept` naming the type wanted. */
export async function callText(io: CliIo, path: string, accept: string): Promise<string> {
  const { response, text } = await send(io, 'GET', path, undefined, { accept });
  if (response.ok) return text;
  let parsed: Record<string, unknown> = {};
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not the API's JSON error: its text says what it is.
  }
  throw apiError(response.status, parsed, text);
}

/** `path?query` from the options that are set (an empty query adds nothing). */
export function withQuery(path: string, query: Record<string, string | undefined>): string {
  const params = new URLSearchParams(
    Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== ''),
  );
  return params.size ? `${path}?${params}` : path;
}

/** A 4xx is a refusal (ApiError, exit 2); a 5xx is a failure (exit 1). */
function apiError(status: number, parsed: Record<string, unknown>, text: string): Error {
  const error = parsed.error as { code?: string; message?: string } | undefined;
  const message = `${status} ${error?.code ?? ''}: ${error?.message ?? (parsed.message as string) ?? text}`;
  return status >= 500 ? new Error(message) : new ApiError(status, error?.code ?? '', message);
}

/**
 * One request to the API, authorised (bearer token locally, SigV4 on AWS): the response and its text. The
 * query is sent exactly as it was signed (RFC 3986 escapes, `%20` for a space), never URLSearchParams' `+`.
 */
async function send(
  io: CliIo,
  method: string,
  path: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ response: Response; text: string; url: URL }> {
  const base = io.env.HOTLINE_URL?.replace(/\/+$/, '');
  if (!base)
    throw new CliError('set HOTLINE_URL to the API URL (the ApiUrl stack output, or http://127.0.0.1:3000)');
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const request: Record<string, string> = {
    accept: 'application/json',
    ...(payload ? { 'content-type': 'application/json' } : {}),
    ...headers,
  };
  const token = io.env.HOTLINE_TOKEN;
  const { url, headers: signed } = token
    ? signWithToken(`${base}${path}`, request, token)
    : await signRequest(io.env, method, `${base}${path}`, request, payload);
  const response = await io.fetch(url, { method, headers: signed, ...(payload ? { body: payload } : {}) });
  return { response, text: await response.text(), url };
}

function signWithToken(address: string, headers: Record<string, string>, token: string) {
  return { url: new URL(address), headers: { ...headers, authorization: `Bearer ${token}` } };
}
