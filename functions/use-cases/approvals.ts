import {
  approvalPendingEmail,
  approvalRequestEmail,
  changesRequestedEmail,
  postmortemPublishedEmail,
} from '../core/approval-mails.ts';
import {
  type ApprovalDecision,
  type ApprovalRequest,
  approvalState,
  approversFor,
  contentHash,
  dueDatesAtApproval,
} from '../core/approvals.ts';
import { addBusinessDays } from '../core/business-hours.ts';
import { ConflictError, NotFoundError, PreconditionFailedError } from '../core/errors.ts';
import { shouldContinue } from '../core/executions.ts';
import type { Incident } from '../core/incident.ts';
import { digestNumber } from '../core/keys.ts';
import { issueLink, type LinkClaims, signedLinkUrl } from '../core/links.ts';
import { serviceOf } from '../core/organisation.ts';
import type { Postmortem } from '../core/postmortem.ts';
import { checkPostmortem } from '../core/postmortem-checks.ts';
import { publishedHtml, publishedMarkdown } from '../core/postmortem-document.ts';
import type { PostmortemEdit } from '../core/postmortem-edit.ts';
import { reviewResume } from '../core/workflow-resume.ts';
import { trackPostmortemActions } from './actions.ts';
import { editorUrlFor, editPostmortem, type PostmortemDeps, peopleOf, viewOf } from './postmortems.ts';
import { incidentOrThrow } from './respond.ts';
import { sendOnce } from './send-once.ts';

/**
 * Approval of a postmortem by the service's approvers, through signed links bound to the content they read:
 * request (every blocking check met), decisions (single use, recorded with who, when, the content hash, the user
 * agent and source address), a re-ask on every edit made in review, the outcome (changes requested: back to
 * draft; every mandatory approver approved: approved, then published by the workflow).
 */

/** The link action of an approver's decision; its `ref` says which decision and on which content. */
export const APPROVAL_ACTION = 'approve-postmortem';
export type Decision = ApprovalDecision['decision'];
/** How often pending approvers are reminded, in business days. */
export const REMIND_EVERY_BUSINESS_DAYS = 2;

export function approvalRef(decision: Decision, hash: string): string {
  return `${decision}:${hash}`;
}

export function parseApprovalRef(ref: string | undefined): { decision: Decision; hash: string } | undefined {
  const match = /^(approved|changes-requested):([A-Za-z0-9_-]{16,128})$/.exec(ref ?? '');
  return match ? { decision: match[1] as Decision, hash: match[2] as string } : undefined;
}

async function loaded(deps: PostmortemDeps, ref: { key?: string; incidentId?: string }) {
  const incident = await incidentOrThrow(deps, ref);
  const postmortem = await deps.postmortems.get(incident.id);
  if (!postmortem) throw new NotFoundError(`${incident.key} has no postmortem`);
  return { incident, postmortem };
}

/** How long a decision link works (configurable; a reminder sends fresh ones before they expire). */
function linkDays(deps: PostmortemDeps): number {
  return deps.organisation.postmortems?.approvalLinkDays ?? 14;
}

/** Seconds until the next reminder of pending approvers: two business days in the service's hours. */
export function reminderWaitSeconds(deps: PostmortemDeps, postmortem: Postmortem): number {
  const service = serviceOf(deps.organisation, postmortem.service);
  const now = deps.now();
  const next = addBusinessDays(service.businessHours, now, REMIND_EVERY_BUSINESS_DAYS);
  return Math.max(60, Math.ceil((next.getTime() - now.getTime()) / 1000));
}

/** A fresh review plan (no reminder sent yet): what every resume of the postmortem's waits carries. */
export function reviewPlan(deps: PostmortemDeps, postmortem: Postmortem) {
  return { round: 0, waitSeconds: reminderWaitSeconds(deps, postmortem) };
}

/** Mails each approver (or those in `only`) the whole postmortem with their two signed decision links. */
async function askApprovers(
  deps: PostmortemDeps,
  incident: Incident,
  postmortem: Postmortem,
  request: ApprovalRequest,
  options: { only?: readonly string[]; round?: number } = {},
): Promise<void> {
  const keys = await deps.signingKeys();
  const ttlHours = linkDays(deps) * 24;
  const expiresAt = new Date(deps.now().getTime() + ttlHours * 3_600_000).toISOString();
  for (const approver of request.approvers) {
    if (options.only && !options.only.includes(approver.address)) continue;
    const link = (decision: Decision) =>
      signedLinkUrl(
        deps.baseUrl,
        issueLink(keys, {
          id: deps.newId(),
          incidentId: incident.id,
          key: incident.key,
          action: APPROVAL_ACTION,
          recipient: approver.address,
          ttlHours,
          now: deps.now(),
          ref: approvalRef(decision, request.contentHash),
        }),
      );
    const approveUrl = link('approved');
    const requestChangesUrl = link('changes-requested');
    const round = options.round ?? 0;
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'approval-request',
      // Once per approver, content and reminder round: an edit or a reminder is a new mail, a retry is not.
      sequence: digestNumber(`${request.contentHash}|${approver.address}|${round}`),
      recipients: [approver.address],
      message: (viewUrl) =>
        approvalRequestEmail({
          incident,
          postmortem,
          serviceName: serviceOf(deps.organisation, postmortem.service).name,
          approveUrl,
          requestChangesUrl,
          viewUrl,
          approver: approver.address,
          mandatory: approver.mandatory,
          expiresAt,
          reminder: round > 0,
        }),
      timelineKind: 'postmortem.approval-requested',
      timelineText:
        round > 0
          ? `Reminded ${approver.address} to decide on the postmortem (version ${request.version}).`
          : `Asked ${approver.address} (${approver.mandatory ? 'mandatory' : 'optional'}) to approve the postmortem (version ${request.version}).`,
      now: deps.now,
    });
  }
}

/**
 * Asks the approvers (API, CLI, the editor page's button). Refused while any blocking check is unmet, naming
 * each. The postmortem moves to in-review; the workflow's wait is resumed (its token stays server side).
 */
export async function requestApproval(
  deps: PostmortemDeps,
  input: { key?: string; incidentId?: string; by: string },
) {
  const { incident, postmortem } = await loaded(deps, input);
  if (postmortem.status !== 'draft') {
    throw new ConflictError(
      `the postmortem of ${incident.key} is ${postmortem.status}: approval was already requested`,
    );
  }
  const checks = checkPostmortem(postmortem, peopleOf(deps.organisation, incident));
  if (checks.blocking.length > 0) {
    throw new ConflictError(
      `the postmortem of ${incident.key} is not ready for approval: ${checks.blocking
        .map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`)
        .join('; ')}`,
    );
  }
  const request = newRequest(deps, postmortem, input.by);
  const now = deps.now().toISOString();
  const next: Postmortem = { ...postmortem, status: 'in-review', approval: request, updatedAt: now };
  if (!(await deps.postmortems.save(next, postmortem.version, undefined, ['draft']))) {
    throw new PreconditionFailedError('the postmortem changed meanwhile: reload and ask again');
  }
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `approval-requested-${request.contentHash.slice(0, 16)}`,
    at: now,
    kind: 'postmortem.approval-requested',
    actor: input.by,
    text: `Approval requested by ${input.by} on version ${request.version}: ${request.approvers.map((a) => a.address).join(', ')}.`,
    data: { contentHash: request.contentHash, version: request.version },
  });
  await askApprovers(deps, incident, next, request);
  const token = await deps.postmortems.taskTokenOf(incident.id);
  if (token) {
    await deps.workflow.resume(token, reviewResume('approval-requested', reviewPlan(deps, next)));
  }
  return viewOf(deps, next);
}

function newRequest(deps: PostmortemDeps, postmortem: Postmortem, by: string): ApprovalRequest {
  const service = serviceOf(deps.organisation, postmortem.service);
  return {
    requestedAt: deps.now().toISOString(),
    requestedBy: by,
    contentHash: contentHash(postmortem),
    version: postmortem.version,
    approvers: approversFor(service, postmortem.approverChanges),
  };
}

/**
 * Saves an edit (API, CLI, the editor page). An edit made in review changes the content the approvers were
 * asked about: every outstanding link then refuses, and the approvers are asked again on the new version.
 */
export async function saveEdit(
  deps: PostmortemDeps,
  input: { key?: string; incidentId?: string; by: string; edit: PostmortemEdit },
) {
  const saved = await editPostmortem(deps, input);
  if (saved.postmortem.status === 'in-review' && saved.changed.length > 0) {
    await reask(deps, saved.postmortem, input.by);
  }
  return saved;
}

async function reask(deps: PostmortemDeps, postmortem: Postmortem, by: string) {
  const incident = await incidentOrThrow(deps, { incidentId: postmortem.incidentId });
  const request = newRequest(deps, postmortem, by);
  if (request.contentHash === postmortem.approval?.contentHash) return;
  const next: Postmortem = { ...postmortem, approval: request };
  if (!(await deps.postmortems.save(next, postmortem.version, undefined, ['in-review']))) return;
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `approval-requested-${request.contentHash.slice(0, 16)}`,
    at: request.requestedAt,
    kind: 'postmortem.approval-requested',
    actor: by,
    text: `The postmortem changed in review (version ${request.version}): the approvers are asked again; earlier decisions count only when made again.`,
    data: { contentHash: request.contentHash, version: request.version },
  });
  await askApprovers(deps, incident, next, request);
}

export type DecisionOutcome =
  | { kind: 'decided'; decision: ApprovalDecision; outcome: 'approved' | 'changes-requested' | 'pending' }
  | { kind: 'already-decided'; decision: ApprovalDecision }
  | { kind: 'stale' }
  | { kind: 'not-in-review'; status: string }
  | { kind: 'not-an-approver' };

/**
 * An approver's decision from their link (POST). The link names its decision and the content it was made
 * for; the form must carry the same content hash the confirm page offered; the content must still be the one
 * in review. Once per approver and content.
 */
export async function decideApproval(
  deps: PostmortemDeps,
  claims: LinkClaims,
  form: { contentHash: string; comment?: string },
  meta: { userAgent?: string; sourceIp?: string },
): Promise<DecisionOutcome> {
  const ref = parseApprovalRef(claims.ref);
  if (!ref || form.contentHash !== ref.hash) throw new ConflictError('the form does not match the link');
  const { incident, postmortem } = await loaded(deps, { incidentId: claims.incidentId });
  // This approver's decision on this content, whatever happened since, is what a used link shows.
  const madeBefore = (await deps.postmortems.decisions(incident.id)).find(
    (d) => d.contentHash === ref.hash && d.approver.toLowerCase() === claims.recipient.toLowerCase(),
  );
  if (madeBefore) return { kind: 'already-decided', decision: madeBefore };
  const request = postmortem.approval;
  if (postmortem.status !== 'in-review' || !request)
    return { kind: 'not-in-review', status: postmortem.status };
  if (request.contentHash !== ref.hash) return { kind: 'stale' };
  const approver = request.approvers.find((a) => a.address.toLowerCase() === claims.recipient.toLowerCase());
  if (!approver) return { kind: 'not-an-approver' };
  const decision: ApprovalDecision = {
    approver: approver.address,
    mandatory: approver.mandatory,
    decision: ref.decision,
    ...(form.comment ? { comment: form.comment } : {}),
    at: deps.now().toISOString(),
    contentHash: ref.hash,
    version: request.version,
    ...(meta.userAgent ? { userAgent: meta.userAgent.slice(0, 300) } : {}),
    ...(meta.sourceIp ? { sourceIp: meta.sourceIp.slice(0, 64) } : {}),
  };
  const earlier = await deps.postmortems.recordDecision(incident.id, decision);
  if (earlier) return { kind: 'already-decided', decision: earlier };
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `decision-${ref.hash.slice(0, 16)}-${digestNumber(approver.address)}`,
    at: decision.at,
    kind: 'postmortem.decided',
    actor: approver.address,
    text:
      decision.decision === 'approved'
        ? `${approver.address} approved the postmortem (version ${request.version}).`
        : `${approver.address} requested changes to the postmortem (version ${request.version}): ${decision.comment ?? ''}`,
    data: { decision: decision.decision, contentHash: ref.hash, version: request.version },
  });
  const state = approvalState(request, await deps.postmortems.decisions(incident.id));
  if (state.changesRequested) {
    await returnToDraft(deps, incident, postmortem, state.changesRequested);
    return { kind: 'decided', decision, outcome: 'changes-requested' };
  }
  if (state.approved) {
    await approve(deps, incident, postmortem);
    return { kind: 'decided', decision, outcome: 'approved' };
  }
  return { kind: 'decided', decision, outcome: 'pending' };
}

async function returnToDraft(
  deps: PostmortemDeps,
  incident: Incident,
  postmortem: Postmortem,
  by: ApprovalDecision,
) {
  const next: Postmortem = { ...postmortem, status: 'draft', updatedAt: deps.now().toISOString() };
  await deps.postmortems.save(next, postmortem.version, undefined, ['in-review']);
  const editorUrl = await editorUrlFor(deps, incident, postmortem);
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'changes-requested',
    sequence: digestNumber(`${by.contentHash}|${by.approver}`),
    recipients: [postmortem.owner],
    message: (viewUrl) =>
      changesRequestedEmail({
        incident,
        postmortem,
        approver: by.approver,
        comment: by.comment ?? '',
        editorUrl,
        viewUrl,
      }),
    timelineKind: 'postmortem.decided',
    timelineText: `The postmortem is back to draft: ${by.approver} asked for changes; told ${postmortem.owner}.`,
    now: deps.now,
  });
  const token = await deps.postmortems.taskTokenOf(incident.id);
  if (token) await deps.workflow.resume(token, reviewResume('changes-requested', reviewPlan(deps, next)));
}

/** Every mandatory approver approved: the priority actions' due dates are fixed; the workflow publishes. */
async function approve(deps: PostmortemDeps, incident: Incident, postmortem: Postmortem) {
  const service = serviceOf(deps.organisation, postmortem.service);
  const now = deps.now();
  const next: Postmortem = {
    ...postmortem,
    status: 'approved',
    approvedAt: now.toISOString(),
    actions: dueDatesAtApproval(postmortem, now, service.actionSloWeeks),
    updatedAt: now.toISOString(),
  };
  if (!(await deps.postmortems.save(next, postmortem.version, undefined, ['in-review']))) return;
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: 'postmortem-approved',
    at: now.toISOString(),
    kind: 'postmortem.decided',
    actor: 'hotline',
    text: `The postmortem is approved by every mandatory approver; priority actions are due in ${service.actionSloWeeks} weeks.`,
  });
  // Each action is followed from now on (lists, reminders, completion); publication writes any left missing.
  await trackPostmortemActions(deps, next, incident.summary);
  const token = await deps.postmortems.taskTokenOf(incident.id);
  if (token) await deps.workflow.resume(token, reviewResume('approved', reviewPlan(deps, next)));
}

/** Workflow step: publishes an approved postmortem (once): stored, and mailed to the lists that read it. */
export async function publishPostmortem(deps: PostmortemDeps, input: { incidentId: string; key: string }) {
  const { incident, postmortem } = await loaded(deps, input);
  if (postmortem.status === 'published') return { published: true };
  if (postmortem.status !== 'approved') return { published: false, status: postmortem.status };
  // An approval that stopped before its actions were written: they are written here (once).
  await trackPostmortemActions(deps, postmortem, incident.summary);
  const service = serviceOf(deps.organisation, postmortem.service);
  const decisions = await deps.postmortems.decisions(incident.id);
  const approvals = postmortem.approval
    ? approvalState(postmortem.approval, decisions).decided.filter((d) => d.decision === 'approved')
    : [];
  const markdown = publishedMarkdown(postmortem, {
    incident,
    serviceName: service.name,
    approvals,
    publishedAt: deps.now().toISOString(),
  });
  const html: string = publishedHtml(markdown);
  const now = deps.now().toISOString();
  await deps.postmortems.putDocument(incident.id, {
    key: incident.key,
    markdown,
    html,
    publishedAt: now,
    contentHash: postmortem.approval?.contentHash ?? contentHash(postmortem),
  });
  const document = (await deps.postmortems.getDocument(incident.id)) ?? { markdown, html, publishedAt: now };
  const recipients = [
    ...new Set([
      ...service.comms.internal,
      ...deps.organisation.leadership,
      ...(deps.organisation.postmortems?.publishTo ?? []),
    ]),
  ];
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'postmortem-published',
    sequence: 1,
    recipients,
    message: (viewUrl) => postmortemPublishedEmail({ incident, documentText: document.markdown, viewUrl }),
    timelineKind: 'postmortem.published',
    timelineText: `The postmortem is published and mailed to ${recipients.join(', ')}.`,
    now: deps.now,
  });
  // Read again: an action completed since the read above is in the record's action list, and must stay there.
  const latest = (await deps.postmortems.get(incident.id)) ?? postmortem;
  await deps.postmortems.save(
    { ...latest, status: 'published', publishedAt: document.publishedAt, updatedAt: now },
    latest.version,
    undefined,
    ['approved'],
  );
  return { published: true };
}

/**
 * Workflow step: two business days passed in review. Pending approvers are reminded with fresh links (so a link
 * never runs out while they have not decided) and the owner is told who is still pending.
 */
export async function remindApprovers(
  deps: PostmortemDeps,
  input: { incidentId: string; key: string; round?: number },
) {
  const { incident, postmortem } = await loaded(deps, input);
  const request = postmortem.approval;
  const round = (input.round ?? 0) + 1;
  if (postmortem.status !== 'in-review' || !request)
    return { round, waitSeconds: reminderWaitSeconds(deps, postmortem) };
  const state = approvalState(request, await deps.postmortems.decisions(incident.id));
  if (state.pending.length > 0) {
    await askApprovers(deps, incident, postmortem, request, { only: state.pending, round });
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'approval-pending',
      sequence: digestNumber(`${request.contentHash}|${round}`),
      recipients: [postmortem.owner],
      message: (viewUrl) => approvalPendingEmail({ incident, pending: state.pending, viewUrl }),
      timelineKind: 'postmortem.reminded',
      timelineText: `Still pending approval: ${state.pending.join(', ')}; told ${postmortem.owner}.`,
      now: deps.now,
    });
  }
  return { round, waitSeconds: reminderWaitSeconds(deps, postmortem) };
}

/** Operators add or replace an approver of this postmortem; nobody else's decision is reset. */
export async function changeApprovers(
  deps: PostmortemDeps,
  input: {
    key: string;
    by: string;
    add?: { address: string; mandatory: boolean };
    replace?: { from: string; to: string };
  },
) {
  const { incident, postmortem } = await loaded(deps, input);
  const changes = {
    add: [...(postmortem.approverChanges?.add ?? []), ...(input.add ? [input.add] : [])],
    replace: [...(postmortem.approverChanges?.replace ?? []), ...(input.replace ? [input.replace] : [])],
  };
  const service = serviceOf(deps.organisation, postmortem.service);
  const approvers = approversFor(service, changes);
  const request = postmortem.approval ? { ...postmortem.approval, approvers } : undefined;
  const next: Postmortem = {
    ...postmortem,
    approverChanges: changes,
    ...(request ? { approval: request } : {}),
  };
  if (!(await deps.postmortems.save(next, postmortem.version, undefined, ['draft', 'in-review']))) {
    throw new PreconditionFailedError('the postmortem changed meanwhile: reload and try again');
  }
  const now = deps.now().toISOString();
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `approvers-${digestNumber(JSON.stringify(changes))}`,
    at: now,
    kind: 'postmortem.approvers-changed',
    actor: input.by,
    text: input.add
      ? `${input.by} added ${input.add.address} as ${input.add.mandatory ? 'a mandatory' : 'an optional'} approver.`
      : `${input.by} replaced approver ${input.replace?.from} with ${input.replace?.to}.`,
  });
  // In review, the new approver is asked now (the others keep their links and decisions).
  const added = input.add?.address ?? input.replace?.to;
  if (next.status === 'in-review' && request && added)
    await askApprovers(deps, incident, next, request, { only: [added] });
  return viewOf(deps, next);
}

/** The approvals of a postmortem as the API shows them: who is asked, and each decision with its content. */
export async function approvalsOf(deps: PostmortemDeps, postmortem: Postmortem) {
  const decisions = await deps.postmortems.decisions(postmortem.incidentId);
  const request = postmortem.approval;
  const state = request ? approvalState(request, decisions) : undefined;
  return {
    ...(request
      ? {
          requestedAt: request.requestedAt,
          requestedBy: request.requestedBy,
          contentHash: request.contentHash,
          version: request.version,
          approvers: request.approvers,
          pending: state?.pending ?? [],
        }
      : {
          approvers: approversFor(
            serviceOf(deps.organisation, postmortem.service),
            postmortem.approverChanges,
          ),
        }),
    // For operators: the audit of each decision (who, when, on which content, from which agent and address);
    // `current`: it counts for the request in review (a decision on an earlier content or round does not).
    decisions: decisions.map((decision) => ({
      ...decision,
      current: state?.decided.some((d) => d.approver === decision.approver && d.at === decision.at) ?? false,
    })),
  };
}

/** Where a postmortem wait is: its task token, and the execution waiting (counted, see core/executions.ts). */
interface PostmortemWaitInput {
  incidentId: string;
  key: string;
  token: string;
  execution?: string | undefined;
  executionStartedAt?: string | undefined;
}

/**
 * Keeps a postmortem wait's task token and counts the wait. An execution that has waited enough hands over to a
 * new one: the wait resumes itself with `continue` (the postmortem is then picked up where it is).
 */
async function keepPostmortemWait(deps: PostmortemDeps, input: PostmortemWaitInput) {
  const kept = await deps.postmortems.keepTaskToken(input.incidentId, input.token, input.execution);
  if (!kept) throw new NotFoundError(`${input.key} has no postmortem`);
  const handOver =
    input.execution !== undefined &&
    shouldContinue({ waits: kept.waits, startedAt: input.executionStartedAt, now: deps.now() });
  if (handOver)
    await deps.workflow.resume(input.token, reviewResume('continue', reviewPlan(deps, kept.postmortem)));
  return { postmortem: kept.postmortem, handOver };
}

/**
 * Workflow step: keeps the postmortem wait's task token (server side), then resumes at once if approval was
 * already requested before the token was kept. The resume carries the review plan: the approval wait that
 * follows is bounded by its `waitSeconds`, and its reminders count from its `round`.
 */
export async function waitForPostmortem(deps: PostmortemDeps, input: PostmortemWaitInput) {
  const { postmortem, handOver } = await keepPostmortemWait(deps, input);
  if (handOver) return { waiting: false };
  if (postmortem.status !== 'draft') {
    await deps.workflow.resume(input.token, reviewResume('approval-requested', reviewPlan(deps, postmortem)));
  }
  return { waiting: postmortem.status === 'draft' };
}

/**
 * Workflow step: keeps the approval wait's task token, then resumes at once when the outcome came before the
 * token was kept (approved or sent back to draft meanwhile).
 */
export async function waitForApproval(deps: PostmortemDeps, input: PostmortemWaitInput) {
  const { postmortem, handOver } = await keepPostmortemWait(deps, input);
  if (handOver) return { waiting: false };
  if (postmortem.status === 'approved' || postmortem.status === 'published') {
    await deps.workflow.resume(input.token, reviewResume('approved', reviewPlan(deps, postmortem)));
  } else if (postmortem.status === 'draft') {
    await deps.workflow.resume(input.token, reviewResume('changes-requested', reviewPlan(deps, postmortem)));
  }
  return { waiting: postmortem.status === 'in-review' };
}
