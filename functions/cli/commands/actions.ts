import { parseArgs } from 'node:util';
import { CliError, type CliIo, call } from '../api.ts';
import { AS_HELP, AS_OPTION, type Command, TIMES, timeArg } from '../args.ts';

/** Postmortem actions: `actions` lists them, `action complete` marks one done. */

interface ActionAnswer {
  id: string;
  title: string;
  kind: string;
  ownerTeam: string;
  incidentKey: string;
  service: string;
  status: string;
  dueAt?: string;
  doneAt?: string;
  doneBy?: string;
  trackerUrl?: string;
}

async function listActions(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      status: { type: 'string' },
      kind: { type: 'string' },
      team: { type: 'string' },
      service: { type: 'string' },
      overdue: { type: 'boolean' },
      'due-before': { type: 'string' },
      limit: { type: 'string' },
    },
    strict: true,
  });
  const query = new URLSearchParams();
  if (values.status !== undefined) query.set('status', values.status);
  if (values.kind !== undefined) query.set('kind', values.kind);
  if (values.team !== undefined) query.set('ownerTeam', values.team);
  if (values.service !== undefined) query.set('service', values.service);
  if (values.overdue) query.set('overdue', 'true');
  if (values['due-before'] !== undefined)
    query.set('dueBefore', timeArg(values['due-before'], 'future') ?? '');
  if (values.limit !== undefined) query.set('limit', values.limit);
  const result = await call(io, 'GET', `/actions${query.size ? `?${query}` : ''}`);
  const actions = result.actions as ActionAnswer[];
  if (actions.length === 0) io.out('No actions.');
  const now = Date.now();
  for (const a of actions) {
    const overdue = a.status === 'open' && a.dueAt !== undefined && Date.parse(a.dueAt) < now;
    const when = a.status === 'done' ? `done ${a.doneAt} by ${a.doneBy}` : `due ${a.dueAt ?? '-'}`;
    io.out(
      `${a.id}  ${a.incidentKey.padEnd(10)} ${a.kind.padEnd(11)} ${a.ownerTeam.padEnd(14)} ${when}${overdue ? ' OVERDUE' : ''}  ${a.title}`,
    );
  }
  return 0;
}

async function completeAction(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    options: { tracker: { type: 'string' }, note: { type: 'string' }, ...AS_OPTION },
    allowPositionals: true,
    strict: true,
  });
  const [id] = positionals;
  if (!id || positionals.length > 1)
    throw new CliError(`action complete takes one action id (incident action complete --help)`);
  const body: Record<string, string> = {};
  if (values.tracker !== undefined) body.trackerUrl = values.tracker;
  if (values.note !== undefined) body.note = values.note;
  if (values.as !== undefined) body.by = values.as;
  const result = await call(io, 'POST', `/actions/${encodeURIComponent(id)}/complete`, body);
  const action = result.action as ActionAnswer;
  io.out(`${action.incidentKey}: "${action.title}" marked done by ${action.doneBy} at ${action.doneAt}.`);
  return 0;
}

export const actionsCommand: Command = {
  synopsis:
    '[--status <open|done>] [--kind <priority|improvement>] [--team <owner team>] [--service <id>] [--overdue] [--due-before <time>] [--limit <n>]',
  summary: 'List postmortem actions (open ones by due date, done ones latest first).',
  help: `Options:
  --status <open|done>   open (default) or done
  --kind <kind>          priority or improvement
  --team <team>          one owner team
  --service <id>         one service
  --overdue              only open ones past their due date
  --due-before <time>    only those due before this time ("in 2 weeks", ISO)
  --limit <n>            at most n

${TIMES}`,
  run: listActions,
};

/** `action <sub>`, by sub. */
export const actionCommands: Record<string, Command> = {
  complete: {
    synopsis: '<ID> [--tracker <url>] [--note <text>] [--as <person>]',
    summary: 'Mark an action done (refused with exit 2 when it already is).',
    help: `Options:
  --tracker <url>   the ticket that tracked it
  --note <text>     a note on the timeline
${AS_HELP}`,
    run: completeAction,
  },
};
