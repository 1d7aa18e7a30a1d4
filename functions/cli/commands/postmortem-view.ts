import type { Check, Postmortem, PostmortemChecks } from '../../core/postmortem.ts';
import { lessonsGuide, postmortemFieldGuide } from '../../core/postmortem-checks.ts';
import { inTimeOrder } from '../../core/postmortem-edit.ts';
import { markdownTime } from '../../core/postmortem-markdown.ts';

/** How the CLI shows a postmortem: the answer's shape, its checks, where approval stands, the template. */

/** One decision as `approvals.decisions` lists it: `current`, it counts for the content asked about now. */
export interface DecisionAnswer {
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
export interface ApprovalsAnswer {
  requestedAt?: string;
  requestedBy?: string;
  contentHash?: string;
  version?: number;
  approvers: { address: string; mandatory: boolean }[];
  pending?: string[];
  decisions: DecisionAnswer[];
}

/** The postmortem as GET and PUT /incidents/{key}/postmortem answer it. */
export type PostmortemAnswer = Postmortem & {
  checks: PostmortemChecks;
  history: { version: number; at: string; by: string; changed: string[] }[];
  approvals?: ApprovalsAnswer;
};

export const LESSON_PARTS = ['wentWell', 'couldBeBetter', 'gotLucky'] as const;

export const isOverdue = (pm: Pick<Postmortem, 'due' | 'status'>) =>
  Date.parse(pm.due) < Date.now() && (pm.status === 'draft' || pm.status === 'in-review');

/** The checks; whether approval can be asked for is said only of a draft (in review or later, it was). */
export function checkLines(checks: PostmortemChecks, status: Postmortem['status']): string[] {
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

export const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();
export const approverNames = (approvers: readonly { address: string; mandatory: boolean }[]) =>
  approvers.map((a) => `${a.address} (${a.mandatory ? 'mandatory' : 'optional'})`).join(', ');

/**
 * Where approval stands, for `postmortem show`: the request, then each approver (mandatory or optional) with
 * their decisions, oldest first, each with its time, version and whether it counts for the content asked about
 * now (a decision on earlier content, or before the request, is shown but does not count), and any comment.
 */
export function approvalLines(pm: PostmortemAnswer): string[] {
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
export function templateLines(pm: Postmortem): string[] {
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
    f.timeline.length
      ? inTimeOrder(f.timeline).map((row) => `  ${markdownTime(row.at)}  ${row.text}`)
      : ['  (empty)'],
  );
  section(
    guide.fiveWhys.label,
    'fiveWhys',
    f.fiveWhys.length ? f.fiveWhys.map((why, i) => `  ${i + 1}. ${why}`) : ['  (empty)'],
  );
  section(guide.rootCause.label, 'rootCause', indent(f.rootCause));
  section(guide.rootCauseCategory.label, 'rootCauseCategory', [`  ${f.rootCauseCategory ?? '(none)'}`]);
  section(guide.backlogCheck.label, 'backlogCheck', indent(f.backlogCheck));
  section(guide.externalSummary.label, 'externalSummary', indent(f.externalSummary ?? ''));
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
          const owner = a.owner ? `${a.owner}, ${a.ownerTeam}` : a.ownerTeam;
          return `  [${a.kind}/${a.category}] ${a.title} (${a.status}; owner ${owner}${tracker}${due}; id ${a.id})`;
        })
      : ['  (none)'],
  );
  return out.map((line) => line.trimEnd());
}
