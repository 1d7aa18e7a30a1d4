import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { defaultProvider } from '@aws-sdk/credential-provider-node';
import { Sha256 } from '@smithy/core/checksum';
import { SignatureV4 } from '@smithy/signature-v4';
import { ValidationError } from '../core/errors.ts';
import {
  type Check,
  type Postmortem,
  type PostmortemChecks,
  postmortemStatuses,
  rootCauseCategories,
  textFields,
} from '../core/postmortem.ts';
import { lessonsGuide, postmortemFieldGuide } from '../core/postmortem-checks.ts';
import type { ActionEdit, PostmortemEditInput } from '../core/postmortem-edit.ts';
import { markdownTime, markdownToEdit, postmortemToMarkdown } from '../core/postmortem-markdown.ts';
import type { SloReport as SloReportAnswer } from '../core/report.ts';

/**
 * `incident`: the operator CLI, for the deployed API (signed with your AWS credentials, as IAM authorizes
 * operator routes) or the local target (the bearer token `npm start` prints).
 *
 *   HOTLINE_URL=<api url> [HOTLINE_TOKEN=<local token>] npm run incident -- <command> [options]
 */

const usage = `Usage: npm run incident -- <command> [options]

Commands:
  declare   --summary <text> --impact <customer impact> --severity <1|2|3> --service <id|unknown>
            [--products <a,b>] [--since <ISO time impact started>] [--idempotency-key <key>]
  list      [--status <status>] [--severity <n>] [--service <id>] [--from <ISO>] [--to <ISO>] [--limit <n>]
  show      <KEY>
  acknowledge <KEY> [--as <incident manager email>]
  update    <KEY> --summary <1-2 sentences> --status <bullet> --status <bullet> --next <bullet> --next <bullet>
            --impact <text> --internal <n|unknown> --external <n|unknown> --root-cause <text|"currently unknown">
            --eta <ISO|"no ETA"> --next-update <ISO|+minutes> [--external-text <short public text>]
  severity  <KEY> <1|2|3> --reason <text>
  roles     <KEY> [--im <email>] [--tech-lead <email>]... [--comms <email>]
  resolve   <KEY> --support-cases <n> [--impact-start <ISO>] [--impact-end <ISO>] [--postmortem] [--summary <text>]

  postmortem open <KEY>         open the incident's postmortem (idempotent; a sev 3 has one only on request)
  postmortem show <KEY> [--markdown]
                                status, version, owner, due, what blocks approval, and the template
  postmortem set  <KEY> [--field <name> (--value <text> | --value-file <path|->)] [--owner <address>]
                  [--category <${rootCauseCategories.join('|')}|none>]
                                fields: summary, leadup, fault, impact, detection, response, recovery,
                                rootCause, backlogCheck, recurrence, lessons.wentWell,
                                lessons.couldBeBetter, lessons.gotLucky (a value file's last line end is dropped)
  postmortem add-action <KEY> --title <text> --kind <priority|improvement>
                  --category <investigate|mitigate|repair|detect|mitigate-future|prevent-future>
                  [--owner-team <team>] [--tracker <url>]
  postmortem edit <KEY>         edit the whole postmortem as Markdown in $VISUAL or $EDITOR (default vi)
  postmortem request-approval <KEY>
                                mail the approvers (refused, naming each unmet blocking check, with exit 2)
  postmortem editor-link <KEY>  mail the postmortem's owner a fresh editor link (to the owner only; at most one
                                mail in ten minutes)
  postmortem approvers <KEY> (--add <address> [--mandatory] | --replace <address> --with <address>)
                                add an approver (optional unless --mandatory) or replace one; nobody else's
                                decision is reset, and in review the new approver is asked at once
  postmortem document <KEY> [--markdown]
                                the published postmortem as HTML (or Markdown)
  postmortems [--status <${postmortemStatuses.join('|')}>] [--service <id>] [--overdue] [--limit <n>]

  actions   [--status <open|done>] [--kind <priority|improvement>] [--team <owner team>] [--service <id>]
            [--overdue] [--due-before <ISO>] [--limit <n>]
                                postmortem actions (open ones by due date, done ones latest first)
  action complete <ID> [--tracker <url>] [--note <text>]
                                mark an action done (refused with exit 2 when it already is)

  report    --from <ISO> --to <ISO> [--service <id> | --department <name>] [--mail] [--json]
                                the SLO report of a period (to exclusive) beside the one before it; --mail
                                mails it (a department's to its managers, else to reports.recipients); a
                                period over 31 days runs in the background and is waited for

Exit status: 0 done, 1 failed, 2 refused (usage, a 4xx answer, an edit that does not read), 3 the postmortem
changed since you read it (nothing saved: read it again and reapply your change).

Environment:
  HOTLINE_URL     the API URL (the stack's ApiUrl output, or http://127.0.0.1:3000 locally)
  HOTLINE_TOKEN   the local operator token; without it requests are signed with your AWS credentials (SigV4)
  VISUAL, EDITOR  the editor of \`postmortem edit\` (a command with arguments, e.g. "code -w"; default vi)
`;

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

export class CliError extends Error {
  override name = 'CliError';
}

/** The API refused a request: its status and error code, for the commands that treat some (412) apart. */
export class ApiError extends CliError {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

/** Exit status when an edit was made on a version that is no longer the current one. */
const EXIT_STALE = 3;

/** Runs one command; returns the process exit code. */
export async function run(argv: string[], io: CliIo): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'declare':
        return await declare(rest, io);
      case 'list':
        return await list(rest, io);
      case 'show':
        return await show(rest, io);
      case 'acknowledge':
      case 'update':
      case 'severity':
      case 'roles':
      case 'resolve':
        return await respond(command, rest, io);
      case 'postmortem':
        return await postmortem(rest, io);
      case 'postmortems':
        return await listPostmortems(rest, io);
      case 'actions':
        return await listActions(rest, io);
      case 'action':
        return await actionCommand(rest, io);
      case 'report':
        return await sloReport(rest, io);
      case undefined:
      case 'help':
      case '--help':
        io.out(usage);
        return command === undefined ? 2 : 0;
      default:
        throw new CliError(`unknown command "${command}"\n\n${usage}`);
    }
  } catch (error) {
    // parseArgs (strict) refuses an unknown option or a missing value: a usage error like ours.
    if ((error as { code?: string }).code?.startsWith('ERR_PARSE_ARGS')) {
      io.err(`${(error as Error).message}\n\n${usage}`);
      return 2;
    }
    io.err(error instanceof CliError ? error.message : `error: ${(error as Error).message}`);
    return error instanceof CliError ? 2 : 1;
  }
}

async function declare(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      summary: { type: 'string' },
      impact: { type: 'string' },
      severity: { type: 'string' },
      service: { type: 'string' },
      products: { type: 'string' },
      since: { type: 'string' },
      'idempotency-key': { type: 'string' },
    },
    strict: true,
  });
  const missing = ['summary', 'impact', 'severity', 'service'].filter(
    (k) => !values[k as keyof typeof values],
  );
  if (missing.length > 0) throw new CliError(`declare needs --${missing.join(', --')}\n\n${usage}`);
  const body = {
    summary: values.summary,
    description: values.impact,
    severity: Number(values.severity),
    service: values.service,
    ...(values.products
      ? {
          products: values.products
            .split(',')
            .map((p) => p.trim())
            .filter(Boolean),
        }
      : {}),
    ...(values.since ? { impactStartedAt: values.since } : {}),
  };
  // One key per invocation: a retried request (timeout, network) cannot declare twice.
  const key =
    values['idempotency-key'] ?? `cli-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 10)}`;
  const result = await call(io, 'POST', '/incidents', body, { 'idempotency-key': key });
  io.out(result.outcome === 'declared' ? `Declared ${result.key}` : `${result.key} was already declared`);
  return 0;
}

async function list(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      status: { type: 'string' },
      severity: { type: 'string' },
      service: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      limit: { type: 'string' },
    },
    strict: true,
  });
  const query = new URLSearchParams(Object.entries(values).filter((e): e is [string, string] => !!e[1]));
  const result = await call(io, 'GET', `/incidents${query.size ? `?${query}` : ''}`);
  const incidents = result.incidents as {
    key: string;
    status: string;
    severity: number;
    service: string;
    openedAt: string;
    summary: string;
  }[];
  if (incidents.length === 0) io.out('No incidents.');
  for (const i of incidents) {
    io.out(
      `${i.key.padEnd(10)} Sev ${i.severity}  ${i.status.padEnd(9)} ${i.service.padEnd(14)} ${i.openedAt}  ${i.summary}`,
    );
  }
  return 0;
}

async function show(args: string[], io: CliIo): Promise<number> {
  const [key] = args;
  if (!key) throw new CliError(`show needs an incident key\n\n${usage}`);
  const result = await call(io, 'GET', `/incidents/${encodeURIComponent(key)}`);
  const incident = result.incident as Record<string, unknown>;
  io.out(`${incident.key} - Sev ${incident.severity} - ${incident.summary}`);
  io.out(
    `status ${incident.status}, service ${incident.service}, opened ${incident.openedAt}, impact since ${incident.impactStartedAt}`,
  );
  for (const entry of result.timeline as { at: string; kind: string; text: string }[]) {
    io.out(`  ${entry.at}  ${entry.kind.padEnd(24)} ${entry.text}`);
  }
  return 0;
}

/** The response actions: POST /incidents/{key}/{acknowledge,updates,severity,roles,resolve}. */
async function respond(command: string, args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      as: { type: 'string' },
      summary: { type: 'string' },
      status: { type: 'string', multiple: true },
      next: { type: 'string', multiple: true },
      impact: { type: 'string' },
      internal: { type: 'string' },
      external: { type: 'string' },
      'root-cause': { type: 'string' },
      eta: { type: 'string' },
      'next-update': { type: 'string' },
      'external-text': { type: 'string' },
      reason: { type: 'string' },
      im: { type: 'string' },
      'tech-lead': { type: 'string', multiple: true },
      comms: { type: 'string' },
      'support-cases': { type: 'string' },
      'impact-start': { type: 'string' },
      'impact-end': { type: 'string' },
      postmortem: { type: 'boolean' },
    },
    strict: true,
  });
  const [key, arg] = positionals;
  if (!key) throw new CliError(`${command} needs an incident key\n\n${usage}`);
  const count = (v?: string) => (v === undefined ? undefined : v === 'unknown' ? 'unknown' : Number(v));
  const when = (v?: string) =>
    v && /^\+\d+$/.test(v) ? new Date(Date.now() + Number(v.slice(1)) * 60_000).toISOString() : v;
  const defined = (o: Record<string, unknown>) =>
    Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined));
  const bodies: Record<string, [string, Record<string, unknown>]> = {
    acknowledge: ['acknowledge', defined({ incidentManager: values.as })],
    update: [
      'updates',
      defined({
        summary: values.summary,
        status: values.status,
        nextSteps: values.next,
        impact: values.impact,
        customers:
          values.internal !== undefined || values.external !== undefined
            ? { internal: count(values.internal), external: count(values.external) }
            : undefined,
        rootCause: values['root-cause'],
        eta: values.eta,
        nextUpdateAt: when(values['next-update']),
        external: values['external-text'],
      }),
    ],
    severity: [
      'severity',
      defined({ severity: arg === undefined ? undefined : Number(arg), reason: values.reason }),
    ],
    roles: [
      'roles',
      defined({ incidentManager: values.im, techLeads: values['tech-lead'], commsManager: values.comms }),
    ],
    resolve: [
      'resolve',
      defined({
        supportCases: values['support-cases'] === undefined ? undefined : Number(values['support-cases']),
        impactStartedAt: values['impact-start'],
        impactEndedAt: values['impact-end'],
        postmortem: values.postmortem,
        summary: values.summary,
      }),
    ],
  };
  const [action, body] = bodies[command] ?? ['', {}];
  const result = await call(io, 'POST', `/incidents/${encodeURIComponent(key)}/${action}`, body);
  io.out(describeResult(command, key, result));
  return 0;
}

function describeResult(command: string, key: string, r: Record<string, unknown>): string {
  switch (command) {
    case 'acknowledge':
      return r.outcome === 'acknowledged'
        ? `${key} acknowledged: ${r.acknowledgedBy} is in charge`
        : `${key} was already acknowledged by ${r.acknowledgedBy}`;
    case 'update':
      return `${key}: update ${r.sequence} sent; next update due ${r.nextUpdateDue}`;
    case 'severity':
      return r.changed ? `${key} is now Sev ${r.severity}` : `${key} was already Sev ${r.severity}`;
    case 'roles':
      return `${key} roles: ${JSON.stringify(r.roles)}`;
    default:
      return `${key} resolved: impact ${r.impactStartedAt} -> ${r.impactEndedAt}; postmortem ${r.postmortem}`;
  }
}

// --- postmortems ----------------------------------------------------------------------------------------------

/** One decision as `approvals.decisions` lists it: `current`, it counts for the content asked about now. */
interface DecisionAnswer {
  approver: string;
  mandatory: boolean;
  decision: 'approved' | 'changes-requested';
  comment?: string;
  at: string;
  contentHash: string;
  version: number;
  current: boolean;
}

/** The postmortem's `approvals`: who is asked and, once requested, the request and every decision. */
interface ApprovalsAnswer {
  requestedAt?: string;
  requestedBy?: string;
  contentHash?: string;
  version?: number;
  approvers: { address: string; mandatory: boolean }[];
  pending?: string[];
  decisions: DecisionAnswer[];
}

/** The postmortem as GET and PUT /incidents/{key}/postmortem answer it. */
type PostmortemAnswer = Postmortem & {
  checks: PostmortemChecks;
  history: { version: number; at: string; by: string; changed: string[] }[];
  approvals?: ApprovalsAnswer;
};

const LESSON_PARTS = ['wentWell', 'couldBeBetter', 'gotLucky'] as const;

/** The names `postmortem set --field` takes (the usage lists them): text fields, recurrence, the lessons. */
function settableFieldNames(): string[] {
  return [...textFields, 'recurrence', ...LESSON_PARTS.map((part) => `lessons.${part}`)];
}

/** `--field <name> --value <text>` as the edit's `fields`. */
function fieldEdit(name: string, value: string): NonNullable<PostmortemEditInput['fields']> {
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

async function postmortem(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'open':
      return openPostmortem(rest, io);
    case 'show':
      return showPostmortem(rest, io);
    case 'set':
      return setPostmortem(rest, io);
    case 'add-action':
      return addAction(rest, io);
    case 'edit':
      return editPostmortem(rest, io);
    case 'request-approval':
      return requestApproval(rest, io);
    case 'approvers':
      return changeApprovers(rest, io);
    case 'editor-link':
      return mailEditorLink(rest, io);
    case 'document':
      return showDocument(rest, io);
    default:
      throw new CliError(
        `${sub === undefined ? 'postmortem needs a command' : `unknown postmortem command "${sub}"`} (open, show, set, add-action, edit, request-approval, editor-link, approvers, document)\n\n${usage}`,
      );
  }
}

/** The one positional of a postmortem command: the incident key. */
function keyOf(what: string, positionals: string[]): string {
  const [key, extra] = positionals;
  if (!key) throw new CliError(`postmortem ${what} needs an incident key\n\n${usage}`);
  if (extra !== undefined) throw new CliError(`postmortem ${what} takes one incident key, not "${extra}"`);
  return key;
}

const postmortemPath = (key: string) => `/incidents/${encodeURIComponent(key)}/postmortem`;

async function getPostmortem(io: CliIo, key: string): Promise<PostmortemAnswer> {
  return (await call(io, 'GET', postmortemPath(key))).postmortem as PostmortemAnswer;
}

async function putPostmortem(io: CliIo, key: string, edit: PostmortemEditInput): Promise<PostmortemAnswer> {
  return (await call(io, 'PUT', postmortemPath(key), edit)).postmortem as PostmortemAnswer;
}

const isOverdue = (pm: Pick<Postmortem, 'due' | 'status'>) =>
  Date.parse(pm.due) < Date.now() && (pm.status === 'draft' || pm.status === 'in-review');

/** The checks; whether approval can be asked for is said only of a draft (in review or later, it was). */
function checkLines(checks: PostmortemChecks, status: Postmortem['status']): string[] {
  const line = (check: Check) => `  ${check.field ?? 'postmortem'}: ${check.message}`;
  if (checks.blocking.length === 0 && checks.warnings.length === 0) return ['Checks: all clear'];
  return [
    checks.blocking.length === 0
      ? `Blocking: none${status === 'draft' ? ' (approval can be requested)' : ''}`
      : `Blocking (${checks.blocking.length}, approval cannot be requested until they are met):`,
    ...checks.blocking.map(line),
    ...(checks.warnings.length > 0 ? [`Warnings (${checks.warnings.length}):`] : []),
    ...checks.warnings.map(line),
  ];
}

/** After a PUT: the version it saved (or that nothing changed) and what the checks now say. */
function reportSaved(io: CliIo, key: string, from: number, pm: PostmortemAnswer): void {
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
async function reportStale(io: CliIo, key: string, from: number, error: ApiError): Promise<void> {
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

async function openPostmortem(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {}, strict: true });
  const key = keyOf('open', positionals);
  const answer = await call(io, 'POST', postmortemPath(key), {});
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

const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
const approverNames = (approvers: readonly { address: string; mandatory: boolean }[]) =>
  approvers.map((a) => `${a.address} (${a.mandatory ? 'mandatory' : 'optional'})`).join(', ');

/**
 * Where approval stands, for `postmortem show`: the request, then each approver (mandatory or optional) with
 * their decisions, oldest first, each with its time, version and whether it counts for the content asked about
 * now (a decision on earlier content, or before the request, is shown but does not count), and any comment.
 */
function approvalLines(pm: PostmortemAnswer): string[] {
  const a = pm.approvals;
  if (!a) return [];
  const request = a.requestedAt
    ? `requested ${a.requestedAt} by ${a.requestedBy} on version ${a.version}`
    : undefined;
  const state: Record<string, string> = {
    draft: request
      ? `last ${request}; changes were requested, so it is a draft again`
      : `not requested yet (postmortem request-approval ${pm.key})`,
    'in-review': `${request}; ${
      a.pending?.length ? `waiting for ${a.pending.join(', ')}` : 'every mandatory approver approved'
    }`,
    approved: `${request}; approved${pm.approvedAt ? ` ${pm.approvedAt}` : ''}`,
    published: `${request}; approved${pm.approvedAt ? ` ${pm.approvedAt}` : ''} and published`,
  };
  const out = [`Approval: ${state[pm.status] ?? `${pm.status}${request ? `, ${request}` : ''}`}`];
  const width = Math.max(0, ...a.approvers.map((x) => x.address.length));
  const decisionLines = (decisions: DecisionAnswer[]) =>
    decisions.flatMap((d) => {
      const counts = d.current
        ? 'counts'
        : a.contentHash !== undefined && d.contentHash !== a.contentHash
          ? 'does not count: made on other content'
          : 'does not count: made before the current request';
      return [
        `    ${d.decision === 'approved' ? 'approved' : 'requested changes'} ${d.at} on version ${d.version} (${counts})`,
        ...(d.comment ? d.comment.split('\n').map((line) => `      | ${line}`) : []),
      ];
    });
  const byTime = (x: DecisionAnswer, y: DecisionAnswer) => Date.parse(x.at) - Date.parse(y.at);
  for (const approver of a.approvers) {
    const theirs = a.decisions.filter((d) => sameAddress(d.approver, approver.address)).sort(byTime);
    out.push(
      `  ${approver.address.padEnd(width)}  ${approver.mandatory ? 'mandatory' : 'optional'}`,
      ...(theirs.length ? decisionLines(theirs) : ['    no decision']),
    );
  }
  const others = a.decisions
    .filter((d) => !a.approvers.some((x) => sameAddress(x.address, d.approver)))
    .sort(byTime);
  for (const d of others)
    out.push(`  ${d.approver.padEnd(width)}  no longer asked`, ...decisionLines([{ ...d, current: false }]));
  return out;
}

/** The template for reading, each section with the name `set --field` takes. */
function templateLines(pm: Postmortem): string[] {
  const guide = postmortemFieldGuide;
  const f = pm.fields;
  const out: string[] = [];
  const indent = (text: string, by = '  ') =>
    text.trim() === '' ? [`${by}(empty)`] : text.split('\n').map((line) => `${by}${line}`);
  const section = (label: string, name: string, body: string[]) =>
    out.push(`${label} [${name}]`, ...body, '');
  for (const name of ['summary', 'leadup', 'fault', 'impact', 'detection', 'response', 'recovery'] as const)
    section(guide[name].label, name, indent(f[name]));
  section(
    guide.timeline.label,
    'timeline',
    f.timeline.length ? f.timeline.map((row) => `  ${markdownTime(row.at)}  ${row.text}`) : ['  (empty)'],
  );
  section(
    guide.fiveWhys.label,
    'fiveWhys',
    f.fiveWhys.length ? f.fiveWhys.map((why, i) => `  ${i + 1}. ${why}`) : ['  (empty)'],
  );
  section(guide.rootCause.label, 'rootCause', indent(f.rootCause));
  section(guide.rootCauseCategory.label, 'rootCauseCategory', [`  ${f.rootCauseCategory ?? '(none)'}`]);
  section(guide.backlogCheck.label, 'backlogCheck', indent(f.backlogCheck));
  section(guide.recurrence.label, 'recurrence', [
    ...indent(f.recurrence.text),
    `  related incidents: ${f.recurrence.relatedIncidents.join(', ') || 'none'}`,
  ]);
  out.push(guide.lessons.label);
  for (const part of LESSON_PARTS)
    out.push(`  ${lessonsGuide[part].label} [lessons.${part}]`, ...indent(f.lessons[part], '    '));
  out.push('');
  section(
    guide.actions.label,
    'actions',
    pm.actions.length
      ? pm.actions.map((a) => {
          const due = a.dueAt ? `; due ${a.dueAt}${a.dueProvisional ? ' (provisional)' : ''}` : '';
          const tracker = a.trackerUrl ? `; ${a.trackerUrl}` : '';
          return `  [${a.kind}/${a.category}] ${a.title} (${a.status}; owner ${a.ownerTeam}${tracker}${due}; id ${a.id})`;
        })
      : ['  (none)'],
  );
  return out.map((line) => line.trimEnd());
}

/** Reads `--value-file`: a path, or `-` for standard input; one final line end (an editor's) is dropped. */
async function readValueFile(io: CliIo, path: string): Promise<string> {
  const text = path === '-' ? await (io.stdin ?? readStdin)() : await readFile(path, 'utf8');
  return text.replace(/\r?\n$/, '');
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
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
    throw new CliError(`postmortem set needs --field, --owner or --category\n\n${usage}`);
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
  return saveEdit(io, key, current.version, edit);
}

/** PUTs an edit of version `from`; a stale version is reported and exits 3, anything else refused throws. */
async function saveEdit(
  io: CliIo,
  key: string,
  from: number,
  edit: PostmortemEditInput,
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
    return EXIT_STALE;
  }
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
    },
    strict: true,
  });
  const key = keyOf('add-action', positionals);
  const missing = (['title', 'kind', 'category'] as const).filter((name) => values[name] === undefined);
  if (missing.length > 0)
    throw new CliError(`postmortem add-action needs --${missing.join(', --')}\n\n${usage}`);
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
  } as ActionEdit;
  const before = new Set(kept.map((a) => a.id));
  return saveEdit(io, key, current.version, { version: current.version, actions: [...kept, added] }, (pm) => {
    for (const a of pm.actions.filter((action) => !before.has(action.id)))
      io.out(
        `Added action ${a.id}: [${a.kind}/${a.category}] ${a.title} (owner ${a.ownerTeam}${a.dueAt ? `, due ${a.dueAt}${a.dueProvisional ? ' provisionally' : ''}` : ''})`,
      );
  });
}

/**
 * `postmortem edit`: the postmortem as Markdown in the person's editor, saved back as the next version. The
 * file is private (0600 in a fresh 0700 directory) and removed once saved or left unchanged; whenever the edit
 * cannot be saved it is kept and its path printed, so nothing typed is lost.
 */
async function editPostmortem(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {}, strict: true });
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
    reportSaved(io, current.key, current.version, await putPostmortem(io, current.key, edit));
  } catch (error) {
    if (error instanceof ApiError && error.status === 412) {
      await reportStale(io, current.key, current.version, error);
      io.err(`Your edit is kept in ${path}.`);
      io.err(
        `To merge: run \`postmortem edit ${current.key}\` again (it opens the current version) and paste your changes from that file.`,
      );
      return EXIT_STALE;
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

/**
 * `postmortem request-approval`: mails the approvers. A 409 is refused with exit 2: each unmet blocking check
 * on its own line (as the postmortem's checks name them), or the API's reason (already in review).
 */
async function requestApproval(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {}, strict: true });
  const key = keyOf('request-approval', positionals);
  try {
    const answer = await call(io, 'POST', `${postmortemPath(key)}/request-approval`, {});
    const pm = answer.postmortem as PostmortemAnswer;
    const approvers = pm.approvals?.approvers ?? pm.approval?.approvers ?? [];
    io.out(
      `Asked for approval of the postmortem of ${pm.key} (version ${pm.version}, now ${pm.status}): ${approverNames(approvers)}.`,
    );
    io.out(
      `Each approver got one email with the whole postmortem and their links; \`postmortem show ${pm.key}\` lists their decisions.`,
    );
    return 0;
  } catch (error) {
    if (!(error instanceof ApiError) || error.status !== 409) throw error;
    let blocking: Check[] = [];
    try {
      const now = await getPostmortem(io, key);
      if (now.status === 'draft') blocking = now.checks.blocking;
    } catch {
      // The 409's own message names the checks, on one line.
    }
    if (blocking.length === 0) {
      io.err(`Approval not requested: ${error.message}`);
      return 2;
    }
    io.err(
      `Approval not requested: ${blocking.length === 1 ? 'one blocking check is' : `${blocking.length} blocking checks are`} not met:`,
    );
    for (const check of blocking) io.err(`  ${check.field ?? 'postmortem'}: ${check.message}`);
    io.err(
      `Nobody was asked. Meet them (postmortem set, add-action, edit), then run request-approval again.`,
    );
    return 2;
  }
}

/** `postmortem editor-link`: mails the owner a fresh editor link (an expired one cannot be used to save). */
async function mailEditorLink(args: string[], io: CliIo): Promise<number> {
  const { positionals } = parseArgs({ args, allowPositionals: true, options: {}, strict: true });
  const key = keyOf('editor-link', positionals);
  const answer = await call(io, 'POST', `${postmortemPath(key)}/editor-link`, {});
  io.out(
    `Mailed a fresh editor link for the postmortem of ${String(answer.key)} to ${String(answer.mailedTo)}; it works until ${String(answer.expiresAt)}.`,
  );
  return 0;
}

/** `postmortem approvers`: adds an approver, or replaces one by another; nobody else's decision is reset. */
async function changeApprovers(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      add: { type: 'string' },
      mandatory: { type: 'boolean' },
      replace: { type: 'string' },
      with: { type: 'string' },
    },
    strict: true,
  });
  const key = keyOf('approvers', positionals);
  const adding = values.add !== undefined;
  const replacing = values.replace !== undefined;
  if (adding === replacing)
    throw new CliError(
      `postmortem approvers needs one of --add <address> [--mandatory] or --replace <address> --with <address>\n\n${usage}`,
    );
  if (adding && values.with !== undefined)
    throw new CliError('postmortem approvers: --with goes with --replace, not --add');
  if (replacing && values.with === undefined)
    throw new CliError('postmortem approvers --replace <address> needs --with <address>');
  if (replacing && values.mandatory)
    throw new CliError(
      'postmortem approvers: --mandatory goes with --add (a replacement takes the place, and the flag, of whom it replaces)',
    );
  const body = adding
    ? { add: { address: values.add, mandatory: values.mandatory === true } }
    : { replace: { from: values.replace, to: values.with } };
  const pm = (await call(io, 'POST', `${postmortemPath(key)}/approvers`, body))
    .postmortem as PostmortemAnswer;
  const approvers = pm.approvals?.approvers ?? [];
  const named = adding ? (values.add ?? '') : (values.with ?? '');
  const now = approvers.find((a) => sameAddress(a.address, named));
  io.out(
    adding
      ? `${named} is ${now?.mandatory ? 'a mandatory' : 'an optional'} approver of the postmortem of ${pm.key}.`
      : `${values.replace} is replaced by ${named} (${now?.mandatory ? 'mandatory' : 'optional'}) as an approver of the postmortem of ${pm.key}.`,
  );
  io.out(`Approvers: ${approverNames(approvers)}.`);
  if (pm.status === 'in-review')
    io.out(`${named} is asked now: one email with the whole postmortem and their links.`);
  return 0;
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

// --- postmortem actions ----------------------------------------------------------------------------------------

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
  if (values['due-before'] !== undefined) query.set('dueBefore', values['due-before']);
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

async function actionCommand(args: string[], io: CliIo): Promise<number> {
  const [sub, ...rest] = args;
  if (sub !== 'complete') throw new CliError(`unknown action command "${sub ?? ''}"\n\n${usage}`);
  const { values, positionals } = parseArgs({
    args: rest,
    options: { tracker: { type: 'string' }, note: { type: 'string' } },
    allowPositionals: true,
    strict: true,
  });
  const [id] = positionals;
  if (!id || positionals.length > 1) throw new CliError(`action complete takes one action id\n\n${usage}`);
  const body: Record<string, string> = {};
  if (values.tracker !== undefined) body.trackerUrl = values.tracker;
  if (values.note !== undefined) body.note = values.note;
  const result = await call(io, 'POST', `/actions/${encodeURIComponent(id)}/complete`, body);
  const action = result.action as ActionAnswer;
  io.out(`${action.incidentKey}: "${action.title}" marked done by ${action.doneBy} at ${action.doneAt}.`);
  return 0;
}

async function sloReport(args: string[], io: CliIo): Promise<number> {
  const { values } = parseArgs({
    args,
    options: {
      from: { type: 'string' },
      to: { type: 'string' },
      service: { type: 'string' },
      department: { type: 'string' },
      mail: { type: 'boolean' },
      json: { type: 'boolean' },
    },
    strict: true,
  });
  if (values.from === undefined || values.to === undefined)
    throw new CliError(`report needs --from and --to\n\n${usage}`);
  if (values.service !== undefined && values.department !== undefined)
    throw new CliError(`report takes --service or --department, not both\n\n${usage}`);
  const body: Record<string, unknown> = { from: values.from, to: values.to };
  if (values.service !== undefined) body.service = values.service;
  if (values.department !== undefined) body.department = values.department;
  if (values.mail) body.mail = true;
  let result = await call(io, 'POST', '/reports/slo', body);
  if (answeredWith.get(result) === 202) result = await awaitReportRun(io, result);
  if (values.json) {
    io.out(JSON.stringify(result, null, 2));
    return 0;
  }
  const report = result.report as SloReportAnswer;
  const cur = report.current;
  const share = (c: { share?: number }) => (c.share === undefined ? 'n/a' : `${Math.round(c.share * 100)}%`);
  const minutes = (ms: number | undefined) => (ms === undefined ? 'n/a' : `${Math.round(ms / 60_000)} min`);
  io.out(`SLO report ${cur.from} to ${cur.to} (previous: ${report.previous.incidents} incidents)`);
  io.out(
    `Incidents: ${cur.incidents} (sev 1: ${cur.bySeverity[1]}, sev 2: ${cur.bySeverity[2]}, sev 3: ${cur.bySeverity[3]}), ${cur.impactMinutes} min of impact`,
  );
  io.out(
    `Time to detect: median ${minutes(report.timeToDetect.current.medianMs)}, p90 ${minutes(report.timeToDetect.current.p90Ms)}; time to recover: median ${minutes(report.timeToRecover.current.medianMs)}, mean ${minutes(report.timeToRecover.current.meanMs)}`,
  );
  io.out(
    `Root causes not fixed (sev 1-2): ${report.rootCausesNotFixed.count}; priority actions open ${report.priorityActions.open}, due soon ${report.priorityActions.dueSoon}, overdue ${report.priorityActions.overdue}`,
  );
  io.out(
    `Conformance: acknowledged ${share(cur.conformance.acknowledged)}, first comms ${share(cur.conformance.firstComms)}, updates ${share(cur.conformance.updates)}, postmortems approved ${share(cur.conformance.postmortemApproved)}`,
  );
  for (const row of report.rootCausesNotFixed.rows) {
    io.out(
      `  ${row.key.padEnd(10)} sev ${row.severity} ${row.service.padEnd(14)} ${row.openPriorityActions} open, ${row.overdueDays} days overdue  ${row.ownerTeams.join(', ')}`,
    );
  }
  const mail = result.mail as { status: string; recipients: string[] } | undefined;
  if (mail)
    io.out(`Mail: ${mail.status}${mail.recipients.length ? ` to ${mail.recipients.join(', ')}` : ''}`);
  return 0;
}

/**
 * A long period's report is answered later: polls its run (`GET /reports/slo/{runId}`, which changes nothing)
 * every few seconds (HOTLINE_POLL_MS) until it answers 200, for up to HOTLINE_REPORT_WAIT_S (default 900).
 */
async function awaitReportRun(io: CliIo, started: Record<string, unknown>): Promise<Record<string, unknown>> {
  const location = String(started.location ?? `/reports/slo/${String(started.runId)}`);
  const pollMs = Number(io.env.HOTLINE_POLL_MS ?? '') || 3_000;
  const deadline = Date.now() + (Number(io.env.HOTLINE_REPORT_WAIT_S ?? '') || 900) * 1000;
  io.err(`The report runs in the background (${location}); waiting for it...`);
  for (;;) {
    await new Promise((resolve) => setTimeout(resolve, pollMs));
    const answer = await call(io, 'GET', location);
    if (answeredWith.get(answer) !== 202) return answer;
    if (Date.now() > deadline)
      throw new CliError(`the report is still running: ask again later with GET ${location}`);
  }
}

async function call(
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
async function callText(io: CliIo, path: string, accept: string): Promise<string> {
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

function apiError(status: number, parsed: Record<string, unknown>, text: string): ApiError {
  const error = parsed.error as { code?: string; message?: string } | undefined;
  return new ApiError(
    status,
    error?.code ?? '',
    `${status} ${error?.code ?? ''}: ${error?.message ?? (parsed.message as string) ?? text}`,
  );
}

/** One request to the API, signed (bearer token locally, SigV4 on AWS): the response and its text. */
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
  const url = new URL(`${base}${path}`);
  const payload = body === undefined ? undefined : JSON.stringify(body);
  const request: Record<string, string> = {
    accept: 'application/json',
    ...(payload ? { 'content-type': 'application/json' } : {}),
    ...headers,
  };
  const token = io.env.HOTLINE_TOKEN;
  const signed = token
    ? { ...request, authorization: `Bearer ${token}` }
    : await sigv4(io, method, url, request, payload);
  const response = await io.fetch(url, { method, headers: signed, ...(payload ? { body: payload } : {}) });
  return { response, text: await response.text(), url };
}

/** The HTTP status each answer of `call` came with (201 Created and 200 tell `postmortem open` apart). */
const answeredWith = new WeakMap<object, number>();

/** Signs like the AWS CLI does, for API Gateway's IAM authorizer (service execute-api). */
async function sigv4(io: CliIo, method: string, url: URL, headers: Record<string, string>, body?: string) {
  const region = /execute-api\.([a-z0-9-]+)\.amazonaws\.com/.exec(url.hostname)?.[1] ?? io.env.AWS_REGION;
  if (!region)
    throw new CliError('cannot tell the region: set AWS_REGION or HOTLINE_TOKEN for the local target');
  const signer = new SignatureV4({
    service: 'execute-api',
    region,
    credentials: defaultProvider(),
    sha256: Sha256,
  });
  const signed = await signer.sign({
    method,
    protocol: url.protocol,
    hostname: url.hostname,
    path: url.pathname,
    query: Object.fromEntries(url.searchParams),
    headers: { ...headers, host: url.host },
    ...(body ? { body } : {}),
  });
  return signed.headers as Record<string, string>;
}

if (import.meta.main) {
  process.exitCode = await run(process.argv.slice(2), {
    env: process.env,
    out: (line) => console.log(line),
    err: (line) => console.error(line),
    fetch,
  });
}
