import { createHash } from 'node:crypto';
import { ValidationError } from './errors.ts';
import type { ApprovalRequest, Approver, Postmortem, PostmortemAction } from './postmortem.ts';
import { isEmailAddress } from './response.ts';

/**
 * Postmortem approval, as rules: what an approver approves (the content hash their link is bound to), who is
 * asked, when a set of decisions approves the postmortem or sends it back, and the due dates approval fixes.
 * The handbook: approval is agreement with the root cause and that the priority actions are an acceptable way to
 * address it. A decision counts only for the content it was made on: an edit changes the hash, and decisions on
 * the old hash are shown but count again only when re-made.
 */

// --- the content hash ------------------------------------------------------------------------------------------

/**
 * What an approver approves: the key, every field of the template, and each action's title, kind, category,
 * owner team and tracker, in the order listed. Not the owner (who writes it is not what it says), nor an
 * action's id, status or due date (ids are bookkeeping; status and due dates change after approval, and due
 * dates are fixed by approval itself), nor metrics (fixed from the incident when the postmortem opened).
 */
export function approvedContent(pm: Pick<Postmortem, 'key' | 'fields' | 'actions'>): unknown {
  return {
    // Bump when what is hashed changes, so a hash of one definition never equals a hash of another.
    hashVersion: 1,
    key: pm.key,
    // Fields added since (an empty external summary, an action's person) are left out while unset, so the hash
    // of content saved before them is what it was (links bound to it keep working). Due dates are not content.
    fields: pm.fields.externalSummary ? pm.fields : { ...pm.fields, externalSummary: undefined },
    actions: pm.actions.map((a) => ({
      title: a.title,
      kind: a.kind,
      category: a.category,
      ownerTeam: a.ownerTeam,
      trackerUrl: a.trackerUrl,
      owner: a.owner,
    })),
  };
}

/**
 * JSON with object keys sorted (recursively) and absent values dropped: `undefined` and `null` properties are
 * left out, so `{ trackerUrl: undefined }`, `{ rootCauseCategory: null }` and a missing key read the same.
 * Array order is kept: it is part of the content (the order of the whys, the timeline, the actions).
 */
export function canonicalJson(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v ?? null)).join(',')}]`;
  if (typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined && v !== null)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) return 'null';
  return JSON.stringify(value);
}

/** sha256 (base64url, 43 characters) of the canonical JSON of what an approver approves. */
export function contentHash(pm: Pick<Postmortem, 'key' | 'fields' | 'actions'>): string {
  return createHash('sha256')
    .update(canonicalJson(approvedContent(pm)), 'utf8')
    .digest('base64url');
}

/** The shape of a content hash: what a form or a link may carry. */
export const CONTENT_HASH = /^[A-Za-z0-9_-]{43}$/;

// --- requests and decisions ------------------------------------------------------------------------------------

export type { ApprovalRequest, Approver } from './postmortem.ts';

export type Decision = 'approved' | 'changes-requested';

/** One approver's decision, on the content (hash and version) they read. */
export interface ApprovalDecision {
  /** The link's recipient. */
  approver: string;
  mandatory: boolean;
  decision: Decision;
  /** Required for changes-requested; at most 2,000 characters, line breaks kept. */
  comment?: string;
  /** UTC ISO-8601 with ms. */
  at: string;
  contentHash: string;
  version: number;
  /** The request round it answers (absent on a decision of 0.1.0: round 1). */
  requestRound?: number;
  userAgent?: string;
  sourceIp?: string;
}

export interface ApprovalState {
  /** Every mandatory approver approved this request's content, and nobody asked for changes on it. */
  approved: boolean;
  /** The first request for changes on this request's content (it sends the postmortem back to its owner). */
  changesRequested?: ApprovalDecision;
  /** Mandatory approvers without an approval on this request's content, in the request's order. */
  pending: string[];
  /** Every approver asked (mandatory or optional) who has not decided on this request's content: the reminders. */
  undecided: string[];
  /** The decisions that count: each approver's latest on this request's content, in the request's order. */
  decided: ApprovalDecision[];
  /**
   * Decisions that do not count: made on other content (an earlier version), before this request (an earlier
   * round on the same content), or by someone no longer asked. Shown, oldest first.
   */
  stale: ApprovalDecision[];
}

/** Addresses compare without case: `Alice@Example.com` is `alice@example.com`. */
export const sameAddress = (a: string, b: string) => a.trim().toLowerCase() === b.trim().toLowerCase();

const byTime = (a: { at: string }, b: { at: string }) => Date.parse(a.at) - Date.parse(b.at);

/** The request round of a request or a decision (those of 0.1.0 carry none: they are round 1). */
export const requestRoundOf = (value: { requestRound?: number | undefined } | undefined): number =>
  value?.requestRound ?? 1;

/** The round of the next request: one more than the postmortem's current request, 1 for the first. */
export function nextRequestRound(pm: Pick<Postmortem, 'approval'>): number {
  return pm.approval ? requestRoundOf(pm.approval) + 1 : 1;
}

/**
 * Where a request stands. A decision counts when it was made on the request's content hash, at or after the
 * request, by an approver the request asks; of an approver's counting decisions the latest wins. All mandatory
 * approvers approved → approved (optional approvers may still comment: they are not waited for). Any counting
 * request for changes (mandatory or optional) → changesRequested, and not approved. Never approved without at
 * least one approval, even if a request somehow names no mandatory approver.
 */
export function approvalState(
  request: ApprovalRequest,
  decisions: readonly ApprovalDecision[],
): ApprovalState {
  const requestedAt = Date.parse(request.requestedAt);
  const latest = new Map<string, ApprovalDecision>();
  const stale: ApprovalDecision[] = [];
  for (const d of [...decisions].sort(byTime)) {
    const asked = request.approvers.some((a) => sameAddress(a.address, d.approver));
    const counts =
      asked &&
      d.contentHash === request.contentHash &&
      requestRoundOf(d) === requestRoundOf(request) &&
      Date.parse(d.at) >= requestedAt;
    if (!counts) {
      stale.push(d);
      continue;
    }
    const key = d.approver.trim().toLowerCase();
    const before = latest.get(key);
    if (before) stale.push(before);
    latest.set(key, d);
  }
  const decided: ApprovalDecision[] = [];
  const pending: string[] = [];
  const undecided: string[] = [];
  for (const approver of request.approvers) {
    const d = latest.get(approver.address.trim().toLowerCase());
    if (d) decided.push(d);
    else undecided.push(approver.address);
    if (approver.mandatory && d?.decision !== 'approved') pending.push(approver.address);
  }
  const changesRequested = decided
    .filter((d) => d.decision === 'changes-requested')
    .sort(byTime)
    .at(0);
  const approved =
    !changesRequested && pending.length === 0 && decided.some((d) => d.decision === 'approved');
  return {
    approved,
    ...(changesRequested ? { changesRequested } : {}),
    pending,
    undecided,
    decided,
    stale: stale.sort(byTime),
  };
}

/**
 * Is this postmortem approved, or sent back? A pure function of its state: its status, its current request (the
 * round, the mandatory approvers) and the decisions recorded. Every path that can change the answer (a decision,
 * a change of approvers, a reminder, the workflow's wait, and a retry of any of them) applies it; applying it
 * again changes nothing more.
 * - `approved`: every mandatory approver approved the request's content in its round (or the postmortem is
 *   already approved or published: only the follow-ups may be left to do).
 * - `changes-requested`: someone asked for changes in the current round; the postmortem goes (or went) back to
 *   draft, and its owner is told.
 * - `pending`: in review, still waiting for a mandatory approver.
 * - `none`: nothing asked (a draft never sent, or one sent back and edited since is still a draft: nothing to do).
 */
export type Settlement =
  | { outcome: 'approved' }
  | { outcome: 'changes-requested'; by: ApprovalDecision }
  | { outcome: 'pending'; pending: string[] }
  | { outcome: 'none' };

export function settlementOf(
  pm: Pick<Postmortem, 'status' | 'approval'>,
  decisions: readonly ApprovalDecision[],
): Settlement {
  if (pm.status === 'approved' || pm.status === 'published') return { outcome: 'approved' };
  const request = pm.approval;
  if (!request) return { outcome: 'none' };
  const state = approvalState(request, decisions);
  if (state.changesRequested) return { outcome: 'changes-requested', by: state.changesRequested };
  if (pm.status !== 'in-review') return { outcome: 'none' };
  if (state.approved) return { outcome: 'approved' };
  return { outcome: 'pending', pending: state.pending };
}

// --- who is asked ----------------------------------------------------------------------------------------------

/** An operator's changes to who is asked: replace one approver by another, add one. */
export interface ApproverOverrides {
  add?: readonly Approver[];
  replace?: readonly { from: string; to: string }[];
}

/**
 * The approvers of a list with an operator's overrides applied, in order: each replacement takes the place (and
 * the mandatory flag) of the approver it replaces; each addition is appended, or, naming someone already asked,
 * changes whether they are mandatory. Nobody else changes. Replacing someone who is not asked, or naming an
 * address that is not one, is a ValidationError.
 */
export function applyApproverOverrides(
  approvers: readonly Approver[],
  overrides: ApproverOverrides = {},
): Approver[] {
  const list = dedupe(approvers);
  for (const { from, to } of overrides.replace ?? []) {
    requireAddress(to);
    const index = list.findIndex((a) => sameAddress(a.address, from));
    if (index < 0) throw new ValidationError(`${from} is not an approver of this postmortem`);
    const replaced = list[index] as Approver;
    const existing = list.findIndex((a, i) => i !== index && sameAddress(a.address, to));
    if (existing >= 0) {
      // Already asked: they keep their place, mandatory if either was.
      const kept = list[existing] as Approver;
      list[existing] = { address: kept.address, mandatory: kept.mandatory || replaced.mandatory };
      list.splice(index, 1);
    } else {
      list[index] = { address: to.trim(), mandatory: replaced.mandatory };
    }
  }
  for (const add of overrides.add ?? []) {
    requireAddress(add.address);
    const index = list.findIndex((a) => sameAddress(a.address, add.address));
    if (index >= 0) list[index] = { address: (list[index] as Approver).address, mandatory: add.mandatory };
    else list.push({ address: add.address.trim(), mandatory: add.mandatory });
  }
  return list;
}

/**
 * The overrides with one more change, in the order they were made: replacing someone an earlier change added
 * rewrites that addition (replacements apply before additions, so a replacement of an added approver would
 * otherwise name someone not asked).
 */
export function withApproverChange(
  overrides: { add?: readonly Approver[]; replace?: readonly { from: string; to: string }[] } | undefined,
  change: { add?: Approver; replace?: { from: string; to: string } },
): { add: Approver[]; replace: { from: string; to: string }[] } {
  const add = [...(overrides?.add ?? [])];
  const replace = [...(overrides?.replace ?? [])];
  if (change.add) add.push(change.add);
  if (change.replace) {
    const { from, to } = change.replace;
    const added = add.filter((a) => sameAddress(a.address, from));
    if (added.length > 0) {
      const others = add.filter((a) => !sameAddress(a.address, from));
      const mandatory = added.at(-1)?.mandatory ?? false;
      return { add: [...others, { address: to.trim(), mandatory }], replace };
    }
    replace.push(change.replace);
  }
  return { add, replace };
}

/** Who a service's postmortems are sent to for approval: its mandatory, then its optional approvers, overridden. */
export function approversFor(
  service: { approvers: { mandatory: readonly string[]; optional: readonly string[] } },
  overrides?: ApproverOverrides,
): Approver[] {
  return applyApproverOverrides(
    [
      ...service.approvers.mandatory.map((address) => ({ address, mandatory: true })),
      ...service.approvers.optional.map((address) => ({ address, mandatory: false })),
    ],
    overrides,
  );
}

/** One entry per address (the first place it appears; mandatory if any entry is). */
function dedupe(approvers: readonly Approver[]): Approver[] {
  const out: Approver[] = [];
  for (const a of approvers) {
    const index = out.findIndex((b) => sameAddress(a.address, b.address));
    if (index < 0) out.push({ address: a.address.trim(), mandatory: a.mandatory });
    else if (a.mandatory) out[index] = { address: (out[index] as Approver).address, mandatory: true };
  }
  return out;
}

function requireAddress(address: string): void {
  if (!isEmailAddress(address.trim())) throw new ValidationError(`"${address}" is not an email address`);
}

// --- approval fixes the due dates ------------------------------------------------------------------------------

const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/**
 * The actions as approval leaves them: every priority action is due `sloWeeks` after approval (no longer
 * provisional); improvement actions keep what they have (they have no SLO).
 */
export function dueDatesAtApproval(
  pm: Pick<Postmortem, 'actions'>,
  approvedAt: Date,
  sloWeeks: 4 | 8,
): PostmortemAction[] {
  const dueAt = new Date(approvedAt.getTime() + sloWeeks * WEEK_MS).toISOString();
  return pm.actions.map((action) => {
    if (action.kind !== 'priority') return { ...action };
    const { dueProvisional: _provisional, ...rest } = action;
    return { ...rest, dueAt };
  });
}

// --- the decision form -----------------------------------------------------------------------------------------

export const approvalLimits = { comment: 2_000 } as const;

/**
 * The confirm page's form. A decision link is bound to one decision (approve, or request changes) and to the
 * content hash of the version it was sent for: the page offers both as hidden fields, with a comment box.
 */
export const approvalFormNames = {
  decision: 'decision',
  comment: 'comment',
  contentHash: 'contentHash',
} as const;

// biome-ignore lint/suspicious/noControlCharactersInRegex: dropping them is the point
const CONTROL_BUT_LINE_BREAK_AND_TAB = /[\u0000-\u0008\u000b-\u001f\u007f\u2028\u2029]/g;

/** A comment as kept: line ends as LF, other control characters dropped, trimmed; empty is none. */
export function normaliseComment(value: string): string | undefined {
  const text = value.replace(/\r\n?/g, '\n').replace(CONTROL_BUT_LINE_BREAK_AND_TAB, '').trim();
  return text === '' ? undefined : text;
}
