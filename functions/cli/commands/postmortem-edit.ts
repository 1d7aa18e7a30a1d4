import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ValidationError } from '../../core/errors.ts';
import type { PostmortemEditInput } from '../../core/postmortem-edit.ts';
import { markdownToEdit, postmortemToMarkdown } from '../../core/postmortem-markdown.ts';
import { ApiError, CliError, type CliIo, EXIT } from '../api.ts';
import { AS_HELP, AS_OPTION, byOf, type Command } from '../args.ts';
import { getPostmortem, keyOf, putPostmortem, reportSaved, reportStale } from './postmortem-store.ts';

/**
 * `postmortem edit`: the postmortem as Markdown in the person's editor, saved back as the next version. The
 * file is private (0600 in a fresh 0700 directory) and removed once saved or left unchanged; whenever the edit
 * cannot be saved it is kept and its path printed, so nothing typed is lost.
 */
async function editPostmortem(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: AS_OPTION,
    strict: true,
  });
  const key = keyOf('edit', positionals);
  const current = await getPostmortem(io, key);
  const original = postmortemToMarkdown(current);
  const dir = await mkdtemp(join(io.env.TMPDIR || tmpdir(), 'hotline-postmortem-'));
  const path = join(dir, `${current.key}-postmortem-v${current.version}.md`);
  await writeFile(path, original, { mode: 0o600, flag: 'wx' });
  const discard = () => rm(dir, { recursive: true, force: true });
  const keep = (problem: string) => {
    io.err(problem);
    io.err(`Your edit is kept in ${path}.`);
  };

  let text: string;
  try {
    await (io.edit ?? editorOf(io.env))(path);
    text = await readFile(path, 'utf8');
  } catch (error) {
    const changed = await readFile(path, 'utf8').then(
      (t) => t !== original,
      () => false,
    );
    if (!changed) await discard();
    throw changed ? new Error(`${(error as Error).message}\nYour edit is kept in ${path}.`) : error;
  }
  if (text === original) {
    await discard();
    io.out(`No changes: the postmortem of ${current.key} is still version ${current.version}.`);
    return 0;
  }

  let edit: PostmortemEditInput;
  try {
    edit = markdownToEdit(text, current.version);
  } catch (error) {
    if (!(error instanceof ValidationError)) throw error;
    keep(`Cannot read your edit: ${error.message}. Nothing was saved.`);
    io.err(
      `Fix it there, then run \`postmortem edit ${current.key}\` again and paste your changes from that file.`,
    );
    return 2;
  }
  try {
    reportSaved(
      io,
      current.key,
      current.version,
      await putPostmortem(io, current.key, { ...edit, ...byOf(values) }),
    );
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) {
      await reportStale(io, current.key, current.version, error);
      io.err(`Your edit is kept in ${path}.`);
      io.err(
        `To merge: run \`postmortem edit ${current.key}\` again (it opens the current version) and paste your changes from that file.`,
      );
      return EXIT.stale;
    }
    keep(
      `${error instanceof CliError ? error.message : `error: ${(error as Error).message}`}. Nothing was saved.`,
    );
    return error instanceof CliError ? 2 : 1;
  }
  await discard();
  return 0;
}

/**
 * Splits an editor setting into a command and its arguments, as a shell would split words (quotes and
 * backslashes) but without running a shell: `code -w`, `"/opt/My Editor/bin/edit" --wait`.
 */
export function editorCommand(setting: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (let i = 0; i < setting.length; i++) {
    const c = setting[i] as string;
    if (quote === "'") {
      if (c === "'") quote = undefined;
      else word += c;
    } else if (quote === '"') {
      if (c === '"') quote = undefined;
      else if (c === '\\' && /["\\$`]/.test(setting[i + 1] ?? '')) word += setting[++i];
      else word += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      inWord = true;
    } else if (c === '\\' && i + 1 < setting.length) {
      word += setting[++i];
      inWord = true;
    } else if (/\s/.test(c)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      word += c;
      inWord = true;
    }
  }
  if (quote) throw new CliError(`the editor setting has an unclosed quote: ${setting}`);
  if (inWord) words.push(word);
  return words;
}

/**
 * The default editor: `$VISUAL`, else `$EDITOR`, else `vi`, on this terminal; resolves when it exits 0. Like
 * git, the CLI ignores Ctrl-C while the editor runs (the editor gets it): it must live to save or keep the file.
 */
function editorOf(env: CliIo['env']): (path: string) => Promise<void> {
  return (path) =>
    new Promise((resolve, reject) => {
      const [command, ...args] = editorCommand(env.VISUAL || env.EDITOR || 'vi');
      if (!command) return reject(new CliError('VISUAL or EDITOR is set but names no command'));
      const ignore = () => undefined;
      process.on('SIGINT', ignore);
      const done = (error?: Error) => {
        process.off('SIGINT', ignore);
        if (error) reject(error);
        else resolve();
      };
      const child = spawn(command, [...args, path], { stdio: 'inherit' });
      child.once('error', (error) =>
        done(new Error(`cannot start the editor "${command}": ${error.message}`)),
      );
      child.once('exit', (code, signal) =>
        done(
          code === 0
            ? undefined
            : new Error(`the editor "${command}" exited with ${signal ?? `status ${code}`}: nothing saved`),
        ),
      );
    });
}

export const editCommand: Command = {
  synopsis: '<KEY> [--as <person>]',
  summary: 'Edit the whole postmortem as Markdown in $VISUAL or $EDITOR (default vi).',
  help: `The file is private and removed once saved; when the edit cannot be saved it is kept and its path printed.
Exit 2 when the edit does not read (nothing saved), 3 when someone saved another version meanwhile.

Options:
${AS_HELP}

Environment:
  VISUAL, EDITOR   the editor: a command with arguments, e.g. "code -w" (default vi)`,
  run: editPostmortem,
};
