import { readFile } from 'node:fs/promises';
import { textFields } from '../../core/postmortem.ts';
import type { PostmortemEditInput } from '../../core/postmortem-edit.ts';
import { ApiError, CliError, type CliIo, call, EXIT } from '../api.ts';
import { LESSON_PARTS, type PostmortemAnswer } from './postmortem-view.ts';

/** The postmortem's API (read, save an edit of a version) and what every editing command reports. */

/** The names `postmortem set --field` takes (the usage lists them): text fields, recurrence, the lessons. */
export function settableFieldNames(): string[] {
  return [...textFields, 'recurrence', ...LESSON_PARTS.map((part) => `lessons.${part}`)];
}

/** `--field <name> --value <text>` as the edit's `fields`. */
export function fieldEdit(name: string, value: string): NonNullable<PostmortemEditInput['fields']> {
  if ((textFields as readonly string[]).includes(name)) return { [name]: value };
  if (name === 'recurrence') return { recurrence: { text: value } };
  const part = LESSON_PARTS.find((p) => name === `lessons.${p}` || name === p);
  if (part) return { lessons: { [part]: value } };
  throw new CliError(
    `"${name}" is not a text field of the postmortem (${settableFieldNames().join(', ')}); ` +
      'set the root cause category with --category, the owner with --owner, add actions with ' +
      '`postmortem add-action`, and edit the timeline and the five whys with `postmortem edit`',
  );
}

/** The one positional of a postmortem command: the incident key. */
export function keyOf(what: string, positionals: string[]): string {
  const [key, extra] = positionals;
  if (!key)
    throw new CliError(`postmortem ${what} needs an incident key (incident postmortem ${what} --help)`);
  if (extra !== undefined) throw new CliError(`postmortem ${what} takes one incident key, not "${extra}"`);
  return key;
}

export const postmortemPath = (key: string) => `/incidents/${encodeURIComponent(key)}/postmortem`;

export async function getPostmortem(io: CliIo, key: string): Promise<PostmortemAnswer> {
  return (await call(io, 'GET', postmortemPath(key))).postmortem as PostmortemAnswer;
}

/** An edit as the PUT takes it: `by` records it for someone else (`--as`). */
export type RecordedEdit = PostmortemEditInput & { by?: string };

export async function putPostmortem(io: CliIo, key: string, edit: RecordedEdit): Promise<PostmortemAnswer> {
  return (await call(io, 'PUT', postmortemPath(key), edit)).postmortem as PostmortemAnswer;
}

/** After a PUT: the version it saved (or that nothing changed) and what the checks now say. */
export function reportSaved(io: CliIo, key: string, from: number, pm: PostmortemAnswer): void {
  if (pm.version === from) {
    io.out(`Nothing changed: the postmortem of ${key} is still version ${pm.version}.`);
    return;
  }
  const changed = pm.history.find((h) => h.version === pm.version)?.changed ?? [];
  io.out(
    `Saved the postmortem of ${key} as version ${pm.version}${changed.length ? ` (changed: ${changed.join(', ')})` : ''}.`,
  );
  io.out(
    `Checks: ${pm.checks.blocking.length} blocking, ${pm.checks.warnings.length} warnings (postmortem show ${key}).`,
  );
}

/**
 * A 412: somebody saved another version since this one was read. Says who saved which version (asking the API
 * again, as the answer is the current record's) and that nothing was saved; never retries on its own, since
 * the change was made on what the person saw.
 */
export async function reportStale(io: CliIo, key: string, from: number, error: ApiError): Promise<void> {
  let who = error.message;
  try {
    const now = await getPostmortem(io, key);
    const changed = now.history.find((h) => h.version === now.version)?.changed ?? [];
    who = `version ${now.version} was saved by ${now.updatedBy} at ${now.updatedAt}${changed.length ? ` (changed: ${changed.join(', ')})` : ''}`;
  } catch {
    // The 412's own message names the version and who saved it.
  }
  io.err(`The postmortem of ${key} changed since you read version ${from}: ${who}. Nothing was saved.`);
}

/** Reads `--value-file`: a path, or `-` for standard input; one final line end (an editor's) is dropped. */
export async function readValueFile(io: CliIo, path: string): Promise<string> {
  const text = path === '-' ? await (io.stdin ?? readStdin)() : await readFile(path, 'utf8');
  return text.replace(/\r?\n$/, '');
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** PUTs an edit of version `from`; a stale version is reported and exits 3, anything else refused throws. */
export async function saveEdit(
  io: CliIo,
  key: string,
  from: number,
  edit: RecordedEdit,
  saved?: (pm: PostmortemAnswer) => void,
): Promise<number> {
  try {
    const pm = await putPostmortem(io, key, edit);
    reportSaved(io, key, from, pm);
    saved?.(pm);
    return 0;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 412) throw error;
    await reportStale(io, key, from, error);
    io.err('Run the command again to apply your change to the current version.');
    return EXIT.stale;
  }
}
