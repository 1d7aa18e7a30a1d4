import { parseArgs } from 'node:util';
import { postmortemStatuses, rootCauseCategories } from '../../core/postmortem.ts';
import type { ActionEdit, PostmortemEditInput } from '../../core/postmortem-edit.ts';
import { postmortemToMarkdown } from '../../core/postmortem-markdown.ts';
import { answeredWith, CliError, type CliIo, call, callText } from '../api.ts';
import { AS_HELP, AS_OPTION, byOf, type Command, timeArg } from '../args.ts';
import { approvalCommands } from './postmortem-approval.ts';
import { editCommand } from './postmortem-edit.ts';
import {
  fieldEdit,
  getPostmortem,
  keyOf,
  postmortemPath,
  readValueFile,
  saveEdit,
  settableFieldNames,
} from './postmortem-store.ts';
import {
  approvalLines,
  checkLines,
  isOverdue,
  type PostmortemAnswer,
  templateLines,
} from './postmortem-view.ts';

/** The postmortem commands (`postmortem <sub>`) and `postmortems`. */

async function openPostmortem(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: AS_OPTION,
    strict: true,
  });
  const key = keyOf('open', positionals);
  const answer = await call(io, 'POST', postmortemPath(key), byOf(values));
  const pm = answer.postmortem as PostmortemAnswer;
  io.out(
    answeredWith.get(answer) === 201
      ? `Opened the postmortem of ${pm.key}: owner ${pm.owner}, due ${pm.due}.`
      : `${pm.key} already has a postmortem: ${pm.status}, version ${pm.version}, owner ${pm.owner}, due ${pm.due}.`,
  );
  return 0;
}

async function showPostmortem(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { markdown: { type: 'boolean' } },
    strict: true,
  });
  const pm = await getPostmortem(io, keyOf('show', positionals));
  io.out(`Postmortem of ${pm.key} (${pm.service}, Sev ${pm.severity}): ${pm.status}, version ${pm.version}`);
  io.out(`owner  ${pm.owner} (team ${pm.ownerTeam})`);
  io.out(`due    ${pm.due}${isOverdue(pm) ? ' (OVERDUE)' : ''}`);
  io.out(`saved  ${pm.updatedAt} by ${pm.updatedBy}`);
  const m = pm.metrics ?? {};
  const measures = [
    m.minutesOfImpact !== undefined ? `impact ${m.minutesOfImpact} min` : '',
    m.timeToDetectMinutes !== undefined ? `to detect ${m.timeToDetectMinutes} min` : '',
    m.timeToAcknowledgeMinutes !== undefined ? `to acknowledge ${m.timeToAcknowledgeMinutes} min` : '',
    m.timeToRecoverMinutes !== undefined ? `to recover ${m.timeToRecoverMinutes} min` : '',
  ].filter(Boolean);
  if (measures.length > 0) io.out(`times  ${measures.join(', ')}`);
  for (const line of checkLines(pm.checks, pm.status)) io.out(line);
  for (const line of approvalLines(pm)) io.out(line);
  io.out('');
  if (values.markdown) {
    io.out(postmortemToMarkdown(pm).trimEnd());
    return 0;
  }
  for (const line of templateLines(pm)) io.out(line);
  return 0;
}

async function setPostmortem(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      field: { type: 'string' },
      value: { type: 'string' },
      'value-file': { type: 'string' },
      owner: { type: 'string' },
      category: { type: 'string' },
      ...AS_OPTION,
    },
    strict: true,
  });
  const key = keyOf('set', positionals);
  const hasValue = values.value !== undefined;
  const hasFile = values['value-file'] !== undefined;
  if (values.field !== undefined && hasValue === hasFile)
    throw new CliError('postmortem set --field needs one of --value <text> or --value-file <path|->');
  if (values.field === undefined && (hasValue || hasFile))
    throw new CliError('postmortem set: --value and --value-file need --field <name>');
  if (values.field === undefined && values.owner === undefined && values.category === undefined)
    throw new CliError(
      `postmortem set needs --field, --owner or --category (incident postmortem set --help)`,
    );
  const fields: NonNullable<PostmortemEditInput['fields']> = {
    ...(values.field !== undefined
      ? fieldEdit(
          values.field,
          hasFile ? await readValueFile(io, values['value-file'] ?? '-') : (values.value ?? ''),
        )
      : {}),
    ...(values.category !== undefined ? { rootCauseCategory: values.category } : {}),
  };
  const current = await getPostmortem(io, key);
  const edit: PostmortemEditInput = {
    version: current.version,
    ...(values.owner !== undefined ? { owner: values.owner } : {}),
    ...(Object.keys(fields).length > 0 ? { fields } : {}),
  };
  return saveEdit(io, key, current.version, { ...edit, ...byOf(values) });
}

async function addAction(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      title: { type: 'string' },
      kind: { type: 'string' },
      category: { type: 'string' },
      'owner-team': { type: 'string' },
      tracker: { type: 'string' },
      owner: { type: 'string' },
      due: { type: 'string' },
      ...AS_OPTION,
    },
    strict: true,
  });
  const key = keyOf('add-action', positionals);
  if (values.due !== undefined && values.kind !== 'improvement')
    throw new CliError(
      "postmortem add-action: --due is for an improvement action (a priority action is due by the service's SLO)",
    );
  const missing = (['title', 'kind', 'category'] as const).filter((name) => values[name] === undefined);
  if (missing.length > 0)
    throw new CliError(
      `postmortem add-action needs --${missing.join(', --')} (incident postmortem add-action --help)`,
    );
  const current = await getPostmortem(io, key);
  // An edit's actions replace the list: send every action as it is (by id), then the new one.
  const kept: ActionEdit[] = current.actions.map((a) => ({
    id: a.id,
    title: a.title,
    kind: a.kind,
    category: a.category,
    ownerTeam: a.ownerTeam,
    ...(a.trackerUrl ? { trackerUrl: a.trackerUrl } : {}),
  }));
  const added = {
    title: values.title ?? '',
    kind: values.kind,
    category: values.category,
    ...(values['owner-team'] !== undefined ? { ownerTeam: values['owner-team'] } : {}),
    ...(values.tracker !== undefined ? { trackerUrl: values.tracker } : {}),
    ...(values.owner !== undefined ? { owner: values.owner } : {}),
    ...(values.due !== undefined ? { dueAt: timeArg(values.due, 'future') } : {}),
  } as ActionEdit;
  const before = new Set(kept.map((a) => a.id));
  return saveEdit(
    io,
    key,
    current.version,
    { version: current.version, actions: [...kept, added], ...byOf(values) },
    (pm) => {
      for (const a of pm.actions.filter((action) => !before.has(action.id)))
        io.out(
          `Added action ${a.id}: [${a.kind}/${a.category}] ${a.title} (owner ${a.ownerTeam}${a.dueAt ? `, due ${a.dueAt}${a.dueProvisional ? ' provisionally' : ''}` : ''})`,
        );
    },
  );
}

/** `postmortem document`: the published postmortem as the API serves it, HTML or (`--markdown`) Markdown. */
async function showDocument(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: { markdown: { type: 'boolean' } },
    strict: true,
  });
  const key = keyOf('document', positionals);
  const text = await callText(
    io,
    `${postmortemPath(key)}/document`,
    values.markdown ? 'text/markdown' : 'text/html',
  );
  io.out(text.replace(/\n$/, ''));
  return 0;
}

async function listPostmortems(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      status: { type: 'string' },
      service: { type: 'string' },
      overdue: { type: 'boolean' },
      limit: { type: 'string' },
    },
    strict: true,
  });
  const query = new URLSearchParams();
  if (values.status !== undefined) query.set('status', values.status);
  if (values.service !== undefined) query.set('service', values.service);
  if (values.overdue) query.set('overdue', 'true');
  if (values.limit !== undefined) query.set('limit', values.limit);
  const result = await call(io, 'GET', `/postmortems${query.size ? `?${query}` : ''}`);
  const postmortems = result.postmortems as {
    key: string;
    status: string;
    service: string;
    severity: number;
    owner: string;
    due: string;
    overdue: boolean;
    version: number;
  }[];
  if (postmortems.length === 0) io.out('No postmortems.');
  for (const p of postmortems) {
    io.out(
      `${p.key.padEnd(10)} Sev ${p.severity}  ${p.status.padEnd(9)} ${p.service.padEnd(14)} v${String(p.version).padEnd(3)} due ${p.due}${p.overdue ? ' OVERDUE' : '        '}  ${p.owner}`,
    );
  }
  return 0;
}

/** `postmortem <sub>`, by sub: each with its help. */
export const postmortemCommands: Record<string, Command> = {
  open: {
    synopsis: '<KEY> [--as <person>]',
    summary: "Open the incident's postmortem (idempotent; a sev 3's only on request).",
    help: `Options:
${AS_HELP}`,
    run: openPostmortem,
  },
  show: {
    synopsis: '<KEY> [--markdown]',
    summary: 'Status, owner, due date, what blocks approval, approvals, the template.',
    help: `Options:
  --markdown   the template as the Markdown \`postmortem edit\` opens`,
    run: showPostmortem,
  },
  set: {
    synopsis: `<KEY> [--field <name> (--value <text> | --value-file <path|->)] [--owner <address>] [--category <${rootCauseCategories.join('|')}|none>] [--as <person>]`,
    summary: 'Set a text field, the owner or the root cause category.',
    help: `Options:
  --field <name>          ${settableFieldNames().join(', ')}
  --value <text>          the field's text
  --value-file <path|->   the field's text from a file, or - for standard input (its last line end is dropped)
  --owner <address>       the postmortem's owner
  --category <name>       the root cause category: ${rootCauseCategories.join(', ')}, or none
${AS_HELP}

Exit 3 when someone saved another version meanwhile (nothing saved: run it again).`,
    run: setPostmortem,
  },
  'add-action': {
    synopsis:
      '<KEY> --title <text> --kind <priority|improvement> --category <investigate|mitigate|repair|detect|mitigate-future|prevent-future> [--owner-team <team>] [--owner <person>] [--due <date>] [--tracker <url>] [--as <person>]',
    summary: "Add an action (a priority action is due by the service's SLO).",
    help: `Options:
  --title <text>        what is to be done
  --kind <kind>         priority or improvement
  --category <name>     investigate, mitigate, repair, detect, mitigate-future, prevent-future
  --owner-team <team>   the team that owns it (default: the service's owner team)
  --owner <person>      who does it (an address or a name), besides the team
  --due <date>          an improvement action's due date (2027-01-31, "in 6 weeks"); a priority action's is the SLO's
  --tracker <url>       its ticket
${AS_HELP}`,
    run: addAction,
  },
  edit: editCommand,
  ...approvalCommands,
  document: {
    synopsis: '<KEY> [--markdown]',
    summary: 'The published postmortem as HTML (or Markdown).',
    help: `Options:
  --markdown   Markdown instead of HTML`,
    run: showDocument,
  },
};

export const postmortemsCommand: Command = {
  synopsis: `[--status <${postmortemStatuses.join('|')}>] [--service <id>] [--overdue] [--limit <n>]`,
  summary: 'List postmortems.',
  help: `Options:
  --status <status>   ${postmortemStatuses.join(', ')}
  --service <id>      one service
  --overdue           only those past their due date
  --limit <n>         at most n`,
  run: listPostmortems,
};
