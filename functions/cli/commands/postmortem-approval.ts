import { parseArgs } from 'node:util';
import type { Check } from '../../core/postmortem.ts';
import { ApiError, CliError, type CliIo, call } from '../api.ts';
import { AS_HELP, AS_OPTION, byOf, type Command } from '../args.ts';
import { getPostmortem, keyOf, postmortemPath } from './postmortem-store.ts';
import { approverNames, type PostmortemAnswer, sameAddress } from './postmortem-view.ts';

/** Asking for approval: `postmortem request-approval`, `approvers` and `editor-link`. */

/**
 * `postmortem request-approval`: mails the approvers. A 409 is refused with exit 2: each unmet blocking check
 * on its own line (as the postmortem's checks name them), or the API's reason (already in review).
 */
async function requestApproval(args: string[], io: CliIo): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: AS_OPTION,
    strict: true,
  });
  const key = keyOf('request-approval', positionals);
  try {
    const answer = await call(io, 'POST', `${postmortemPath(key)}/request-approval`, byOf(values));
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
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: AS_OPTION,
    strict: true,
  });
  const key = keyOf('editor-link', positionals);
  const answer = await call(io, 'POST', `${postmortemPath(key)}/editor-link`, byOf(values));
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
      ...AS_OPTION,
    },
    strict: true,
  });
  const key = keyOf('approvers', positionals);
  const adding = values.add !== undefined;
  const replacing = values.replace !== undefined;
  if (adding === replacing)
    throw new CliError(
      `postmortem approvers needs one of --add <address> [--mandatory] or --replace <address> --with <address> (incident postmortem approvers --help)`,
    );
  if (adding && values.with !== undefined)
    throw new CliError('postmortem approvers: --with goes with --replace, not --add');
  if (replacing && values.with === undefined)
    throw new CliError('postmortem approvers --replace <address> needs --with <address>');
  if (replacing && values.mandatory)
    throw new CliError(
      'postmortem approvers: --mandatory goes with --add (a replacement takes the place, and the flag, of whom it replaces)',
    );
  const body = {
    ...(adding
      ? { add: { address: values.add, mandatory: values.mandatory === true } }
      : { replace: { from: values.replace, to: values.with } }),
    ...byOf(values),
  };
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

export const approvalCommands: Record<string, Command> = {
  'request-approval': {
    synopsis: '<KEY> [--as <person>]',
    summary: 'Mail the approvers (exit 2 naming each unmet blocking check).',
    help: `Options:
${AS_HELP}`,
    run: requestApproval,
  },
  'editor-link': {
    synopsis: '<KEY> [--as <person>]',
    summary: 'Mail the owner a fresh editor link (at most one mail in ten minutes).',
    help: `Options:
${AS_HELP}`,
    run: mailEditorLink,
  },
  approvers: {
    synopsis: '<KEY> (--add <address> [--mandatory] | --replace <address> --with <address>) [--as <person>]',
    summary: "Add or replace an approver (nobody else's decision is reset).",
    help: `In review, a new approver is asked at once.

Options:
  --add <address>       add an approver (optional unless --mandatory)
  --mandatory           with --add: their approval is required
  --replace <address>   replace this approver (the replacement takes their place, and flag) ...
  --with <address>      ... by this one
${AS_HELP}`,
    run: changeApprovers,
  },
};
