import { CliError, type CliIo, EXIT } from './api.ts';
import { type Command, helpOf, wantsHelp } from './args.ts';
import { actionCommands, actionsCommand } from './commands/actions.ts';
import { incidentCommands } from './commands/incidents.ts';
import { postmortemCommands, postmortemsCommand } from './commands/postmortem.ts';
import { reportCommand } from './commands/report.ts';
import {
  oncallCommand,
  overrideCommands,
  scheduleFeedCommand,
  schedulesCommand,
} from './commands/schedules.ts';
import { testPageCommand } from './commands/test-page.ts';

export { ApiError, CliError, type CliIo, EXIT } from './api.ts';
export { editorCommand } from './commands/postmortem-edit.ts';

/**
 * `incident`: the operator CLI, for the deployed API (signed with your AWS credentials, as IAM authorizes
 * operator routes) or the local target (the bearer token `npm start` prints). One module per command under
 * commands/, over one API client (api.ts); main.ts is the process around `run`.
 */

const commands: Record<string, Command> = {
  ...incidentCommands,
  postmortems: postmortemsCommand,
  actions: actionsCommand,
  report: reportCommand,
  schedules: schedulesCommand,
  oncall: oncallCommand,
  'schedule-feed': scheduleFeedCommand,
  'test-page': testPageCommand,
};

/** Commands with subcommands: `postmortem <sub>`, `action <sub>`. */
const groups: Record<string, { summary: string; commands: Record<string, Command> }> = {
  postmortem: { summary: "An incident's postmortem.", commands: postmortemCommands },
  action: { summary: 'A postmortem action.', commands: actionCommands },
  override: { summary: "An override of a schedule's rotation.", commands: overrideCommands },
};

/** Every command and subcommand by its full name (`declare`, `postmortem set`): each has its `--help`. */
export const commandNames: string[] = [
  ...Object.keys(commands),
  ...Object.entries(groups).flatMap(([group, g]) => Object.keys(g.commands).map((sub) => `${group} ${sub}`)),
];

const ENVIRONMENT = `Environment:
  HOTLINE_URL     the API URL (the stack's ApiUrl output, or http://127.0.0.1:3000 locally)
  HOTLINE_TOKEN   the local operator token; without it requests are signed with your AWS credentials (SigV4)
  AWS_REGION      the region, when HOTLINE_URL is not an execute-api address
  VISUAL, EDITOR  the editor of \`postmortem edit\` (a command with arguments, e.g. "code -w"; default vi)`;

const EXIT_STATUS = `Exit status:
  ${EXIT.done}  done
  ${EXIT.failed}  failed (the API could not be reached, a 5xx answer, the editor failed)
  ${EXIT.refused}  refused: bad usage, a 4xx answer, an edit that does not read
  ${EXIT.stale}  stale: the postmortem changed since you read it (nothing saved: read it again and reapply)`;

const line = (name: string, summary: string) => `  ${name.padEnd(30)}${summary}`;

/** `incident --help`: every command, one line each. */
export function overview(): string {
  return [
    'Usage: incident <command> [options]        (in a clone: npx incident ..., or npm run incident -- ...)',
    '',
    'Commands:',
    ...Object.entries(commands).map(([name, c]) => line(name, c.summary)),
    ...Object.entries(groups).flatMap(([group, g]) =>
      Object.entries(g.commands).map(([sub, c]) => line(`${group} ${sub}`, c.summary)),
    ),
    '',
    'Run `incident <command> --help` for its options. Times take ISO or relative forms ("30 minutes", "in 2h").',
    '',
    EXIT_STATUS,
    '',
    ENVIRONMENT,
    '',
  ].join('\n');
}

function groupHelp(group: string): string {
  const g = groups[group];
  if (!g) return overview();
  return [
    `Usage: incident ${group} <command> [options]`,
    '',
    g.summary,
    '',
    'Commands:',
    ...Object.entries(g.commands).map(([sub, c]) => line(sub, c.summary)),
    '',
    `Run \`incident ${group} <command> --help\` for its options.`,
    '',
  ].join('\n');
}

/** The help of a command by its words (`postmortem set`), or undefined when there is no such command. */
function helpFor(words: string[]): string | undefined {
  const [name, sub] = words;
  if (name === undefined) return overview();
  const top = commands[name];
  if (top) return helpOf(name, top);
  const group = groups[name];
  if (!group) return undefined;
  const command = sub === undefined ? undefined : group.commands[sub];
  return command ? helpOf(`${name} ${sub}`, command) : groupHelp(name);
}

/** Runs one command; returns the process exit code (EXIT). */
export async function run(argv: string[], io: CliIo): Promise<number> {
  try {
    return await dispatch(argv, io);
  } catch (error) {
    // parseArgs (strict) refuses an unknown option or a missing value: a usage error like ours.
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      const help = argv[0] === undefined ? undefined : groups[argv[0]] ? argv.slice(0, 2) : argv.slice(0, 1);
      io.err(`${(error as Error).message}\nSee: incident ${help?.join(' ') ?? ''} --help`);
      return EXIT.refused;
    }
    io.err(error instanceof CliError ? error.message : `error: ${(error as Error).message}`);
    return error instanceof CliError ? EXIT.refused : EXIT.failed;
  }
}

async function dispatch(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    io.err(overview());
    return EXIT.refused;
  }
  if (name === 'help' || name === '--help' || name === '-h') {
    const help = helpFor(rest);
    if (help === undefined) return unknown(io, rest[0] ?? '');
    io.out(help);
    return EXIT.done;
  }
  const top = commands[name];
  if (top) return showHelpOr(io, name, top, rest);
  const group = groups[name];
  if (!group) return unknown(io, name);
  const [sub, ...subArgs] = rest;
  if (sub === undefined || sub === '--help' || sub === '-h' || sub === 'help') {
    if (sub === undefined) io.err(`${name} needs a command\n\n${groupHelp(name)}`);
    else io.out(groupHelp(name));
    return sub === undefined ? EXIT.refused : EXIT.done;
  }
  const command = group.commands[sub];
  if (!command) {
    io.err(
      `unknown ${name} command "${sub}" (${Object.keys(group.commands).join(', ')}); see incident ${name} --help`,
    );
    return EXIT.refused;
  }
  return showHelpOr(io, `${name} ${sub}`, command, subArgs);
}

function showHelpOr(io: CliIo, name: string, command: Command, args: string[]): Promise<number> {
  if (!wantsHelp(args)) return command.run(args, io);
  io.out(helpOf(name, command));
  return Promise.resolve(EXIT.done);
}

function unknown(io: CliIo, name: string): number {
  io.err(`unknown command "${name}": see incident --help`);
  return EXIT.refused;
}
