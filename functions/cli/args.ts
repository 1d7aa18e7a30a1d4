import { type ParseArgsConfig, parseArgs } from 'node:util';
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

const UNITS: Record<string, number> = {
  s: 1_000,
  sec: 1_000,
  secs: 1_000,
  second: 1_000,
  seconds: 1_000,
  m: 60_000,
  min: 60_000,
  mins: 60_000,
  minute: 60_000,
  minutes: 60_000,
  h: 3_600_000,
  hr: 3_600_000,
  hrs: 3_600_000,
  hour: 3_600_000,
  hours: 3_600_000,
  d: 86_400_000,
  day: 86_400_000,
  days: 86_400_000,
  w: 604_800_000,
  week: 604_800_000,
  weeks: 604_800_000,
};

const RELATIVE = /^(in\s+)?(\d+(?:\.\d+)?)\s*([a-z]+)(\s+ago)?$/i;

/**
 * A time as the API takes it (ISO-8601) from what a person types: an ISO time (passed on as it is), `now`,
 * `+N` (N minutes from now), `in 2h`, `30 minutes ago`, or a bare duration (`30 minutes`, `2h`), which counts
 * back from now for a time that has passed (`past`) and forward for one to come (`future`).
 */
export function timeArg(
  value: string | undefined,
  bare: 'past' | 'future',
  now = Date.now(),
): string | undefined {
  if (value === undefined) return undefined;
  const text = value.trim();
  if (/^now$/i.test(text)) return new Date(now).toISOString();
  if (/^\+\d+$/.test(text)) return new Date(now + Number(text.slice(1)) * 60_000).toISOString();
  const m = RELATIVE.exec(text);
  if (!m) return value;
  const [, inFuture, amount, unit, ago] = m;
  const ms = UNITS[(unit ?? '').toLowerCase()];
  if (ms === undefined || (inFuture && ago))
    throw new CliError(
      `"${value}" is not a time: use an ISO time, "now", "+30", "in 2h" or "30 minutes ago"`,
    );
  const sign = inFuture ? 1 : ago ? -1 : bare === 'future' ? 1 : -1;
  return new Date(now + sign * Number(amount) * ms).toISOString();
}

/** How `--help` describes the times a command takes. */
export const TIMES =
  'Times: an ISO time, "now", or relative: "30 minutes" or "2h" (back from now for a time that has passed,\n' +
  'ahead for one to come), "30 minutes ago", "in 2h", "+30" (minutes ahead).';
