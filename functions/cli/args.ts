import { type ParseArgsConfig, parseArgs } from 'node:util';
import { typedTime } from '../core/times.ts';
import { CliError, type CliIo } from './api.ts';

/** One command or subcommand: its synopsis and help (what `--help` prints) and what it does. */
export interface Command {
  /** The arguments after the command's name, as `Usage:` shows them. */
  synopsis: string;
  /** One line for the command list. */
  summary: string;
  /** The rest of `--help`: what it does and each option. */
  help: string;
  run: (args: string[], io: CliIo) => Promise<number>;
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** parseArgs, strict, with positionals allowed. */
export function parse<O extends Options>(args: string[], options: O) {
  return parseArgs({ args, options, allowPositionals: true, strict: true });
}

/** `--as`: whom an action is recorded for (the API's `by`), on every command that records one for a person. */
export const AS_OPTION = { as: { type: 'string' } } as const;
export const AS_HELP =
  '  --as <person>             record it for this person, an address or a name (default: you, as the API authenticates you)';

/** The body field `--as` sets (nothing when it is not given: the API records the caller). */
export function byOf(values: { as?: string | undefined }): { by?: string } {
  return values.as === undefined ? {} : { by: values.as };
}

/** Whether `--help` or `-h` is among the arguments (before a `--`). */
export function wantsHelp(args: string[]): boolean {
  const end = args.indexOf('--');
  return (end < 0 ? args : args.slice(0, end)).some((a) => a === '--help' || a === '-h');
}

/** The `--help` text of a command named `name` (e.g. `postmortem set`). */
export function helpOf(name: string, command: Command): string {
  return `Usage: incident ${name} ${command.synopsis}\n\n${command.summary}\n${command.help ? `\n${command.help}\n` : ''}`;
}

/** Refuses with the command's usage line. */
export function usageError(name: string, command: Pick<Command, 'synopsis'>, problem: string): CliError {
  return new CliError(`${problem}\n\nUsage: incident ${name} ${command.synopsis} (incident ${name} --help)`);
}

/**
 * A time as the API takes it, from what a person types (core/times.ts: ISO, `now`, `+30`, `in 2h`, `30 minutes
 * ago`, or a bare duration counted back for a time that has passed and ahead for one to come).
 */
export function timeArg(
  value: string | undefined,
  bare: 'past' | 'future',
  now = Date.now(),
): string | undefined {
  if (value === undefined) return undefined;
  try {
    return typedTime(value, bare, now);
  } catch (error) {
    throw new CliError((error as Error).message);
  }
}

/** How `--help` describes the times a command takes. */
export const TIMES =
  'Times: an ISO time, "now", or relative: "30 minutes" or "2h" (back from now for a time that has passed,\n' +
  'ahead for one to come), "30 minutes ago", "in 2h", "+30" (minutes ahead).';
