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
  nextRequestRound,
  requestRoundOf,
  type Settlement,
  sameAddress,
  settlementOf,
  withApproverChange,
} from '../core/approvals.ts';
import { addBusinessDays } from '../core/business-hours.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import { shouldContinue } from '../core/executions.ts';
import { type Incident, publicProducts } from '../core/incident.ts';
import { digestNumber } from '../core/keys.ts';
import { issueLink, type LinkClaims, signedLinkUrl } from '../core/links.ts';
import { serviceOf } from '../core/organisation.ts';
import type { Postmortem } from '../core/postmortem.ts';
import { checkPostmortem } from '../core/postmortem-checks.ts';
import { publishedMarkdown } from '../core/postmortem-document.ts';
import type { PostmortemEdit } from '../core/postmortem-edit.ts';
import { isEmailAddress } from '../core/response.ts';
import { type ReviewEvent, reviewResume } from '../core/workflow-resume.ts';
import { trackPostmortemActions } from './actions.ts';
import { documentHtmlOf, sectionsOf } from './document-rendering.ts';
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

/**
 * The signed `ref` of a decision link: the decision, the content hash and the request round it was sent in
 * (`approved:<hash>:<round>`). A link of 0.1.0 has no round: it reads as round 1.
 */
export function approvalRef(decision: Decision, hash: string, requestRound = 1): string {
  return `${decision}:${hash}:${requestRound}`;
}

export function parseApprovalRef(
  ref: string | undefined,
): { decision: Decision; hash: string; requestRound: number } | undefined {
  const match = /^(approved|changes-requested):([A-Za-z0-9_-]{16,128})(?::([1-9][0-9]{0,5}))?$/.exec(
    ref ?? '',
  );
  return match
    ? { decision: match[1] as Decision, hash: match[2] as string, requestRound: Number(match[3] ?? 1) }
    : undefined;
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

/**
 * Mails each approver (or those in `only`) the whole postmortem with their two signed decision links, bound to
 * the request's content and round. Once per request round, content, approver and reminder: an edit, a new
 * request or a reminder is a new mail; a retry is not.
 */
async function askApprovers(
  deps: PostmortemDeps,
  incident: Incident,
  postmortem: Postmortem,
  request: ApprovalRequest,
  options: { only?: readonly string[]; reminder?: number } = {},
): Promise<void> {
  const keys = await deps.signingKeys();
  const ttlHours = linkDays(deps) * 24;
  const expiresAt = new Date(deps.now().getTime() + ttlHours * 3_600_000).toISOString();
  const requestRound = requestRoundOf(request);
  const reminder = options.reminder ?? 0;
  const sections = await sectionsOf(deps, postmortem, 'email');
  // Asked again: each approver is told what changed since the version they decided on, and their own comment.
  const earlier =
    requestRound > 1
      ? await Promise.all([deps.postmortems.decisions(incident.id), deps.postmortems.history(incident.id)])
      : undefined;
  const sinceFor = (address: string) => {
    if (!earlier) return undefined;
    const [decisions, history] = earlier;
    const last = decisions
      .filter((d) => sameAddress(d.approver, address) && d.version < postmortem.version)
      .sort((a, b) => (a.at < b.at ? 1 : -1))[0];
    if (!last) return undefined;
    const changed = [...new Set(history.filter((h) => h.version > last.version).flatMap((h) => h.changed))];
    return {
      version: last.version,
      changed,
      decision: last.decision,
      ...(last.decision === 'changes-requested' && last.comment ? { comment: last.comment } : {}),
    };
  };
  for (const approver of request.approvers) {
    if (options.only && !options.only.some((address) => sameAddress(address, approver.address))) continue;
    const since = sinceFor(approver.address);
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
          ref: approvalRef(decision, request.contentHash, requestRound),
        }),
      );
    const approveUrl = link('approved');
    const requestChangesUrl = link('changes-requested');
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'approval-request',
      sequence: digestNumber(
        // Round 1 keeps the key of 0.1.0 (content, approver, reminder), so a retry across the upgrade mails once.
        `${requestRound > 1 ? `R${requestRound}|` : ''}${request.contentHash}|${approver.address}|${reminder}`,
      ),
      recipients: [approver.address],
      message: (viewUrl) =>
        approvalRequestEmail({
          incident,
          postmortem,
          sections,
          serviceName: serviceOf(deps.organisation, postmortem.service).name,
          approveUrl,
          requestChangesUrl,
          viewUrl,
          approver: approver.address,
          mandatory: approver.mandatory,
          expiresAt,
          reminder: reminder > 0,
          ...(since ? { since } : {}),
        }),
      timelineKind: 'postmortem.approval-requested',
      timelineText:
        reminder > 0
          ? `Reminded ${approver.address} to decide on the postmortem (version ${request.version}, request ${requestRound}).`
          : `Asked ${approver.address} (${approver.mandatory ? 'mandatory' : 'optional'}) to approve the postmortem (version ${request.version}, request ${requestRound}).`,
      now: deps.now,
    });
  }
}

/** A request's timeline entry and its mails: what a request does after it is saved (again on a retry). */
async function announceRequest(
  deps: PostmortemDeps,
  incident: Incident,
  postmortem: Postmortem,
  request: ApprovalRequest,
  text: string,
) {
  const requestRound = requestRoundOf(request);
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `approval-requested-r${requestRound}-${request.contentHash.slice(0, 16)}`,
    at: request.requestedAt,
    kind: 'postmortem.approval-requested',
    actor: request.requestedBy,
    text,
    data: { contentHash: request.contentHash, version: request.version, requestRound },
  });
  await askApprovers(deps, incident, postmortem, request);
}

const requestedText = (request: ApprovalRequest) =>
  `Approval requested by ${request.requestedBy} on version ${request.version} (request ${requestRoundOf(request)}): ${request.approvers.map((a) => a.address).join(', ')}.`;

/**
 * Asks the approvers (API, CLI, the editor page's button). Refused while any blocking check is unmet, naming
 * each. The postmortem moves to in-review in a new request round (even on content the approvers saw before: a
 * request after changes were requested is asked again); the workflow's wait is resumed (its token stays server
 * side). Asked again while in review, it answers 409 after finishing the current request's mails (a request
 * that stopped half way is completed by its retry).
 */
export async function requestApproval(
  deps: PostmortemDeps,
  input: { key?: string; incidentId?: string; by: string },
) {
  const incident = await incidentOrThrow(deps, input);
  const people = peopleOf(deps.organisation, incident);
  let inReview: Postmortem | undefined;
  const written = await deps.postmortems.update(incident.id, (current) => {
    if (current.status === 'in-review' && current.approval) {
      inReview = current;
      return undefined;
    }
    if (current.status !== 'draft') {
      throw new ConflictError(
        `the postmortem of ${incident.key} is ${current.status}: approval was already requested`,
      );
    }
    const checks = checkPostmortem(current, people);
    if (checks.blocking.length > 0) {
      throw new ConflictError(
        `the postmortem of ${incident.key} is not ready for approval: ${checks.blocking
          .map((c) => `${c.field ? `${c.field}: ` : ''}${c.message}`)
          .join('; ')}`,
      );
    }
    const approval = newRequest(deps, current, input.by);
    return {
      postmortem: { ...current, status: 'in-review', approval, updatedAt: approval.requestedAt },
    };
  });
  if (inReview?.approval) {
    await announceRequest(deps, incident, inReview, inReview.approval, requestedText(inReview.approval));
    throw new ConflictError(`the postmortem of ${incident.key} is in-review: approval was already requested`);
  }
  if (!written) throw new NotFoundError(`${incident.key} has no postmortem`);
  const next = written.after;
  const request = next.approval as ApprovalRequest;
  await announceRequest(deps, incident, next, request, requestedText(request));
  const kept = await deps.postmortems.taskTokenOf(incident.id);
  if (kept)
    await deps.workflow.resume(kept.token, reviewResume('approval-requested', reviewPlan(deps, next)));
  return viewOf(deps, next);
}

function newRequest(deps: PostmortemDeps, postmortem: Postmortem, by: string): ApprovalRequest {
  const service = serviceOf(deps.organisation, postmortem.service);
  return {
    requestRound: nextRequestRound(postmortem),
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
    await reask(deps, saved.postmortem.incidentId, input.by);
  }
  return saved;
}

/** In review, on content the current request was not made on: a new request round on the new content. */
async function reask(deps: PostmortemDeps, incidentId: string, by: string) {
  const incident = await incidentOrThrow(deps, { incidentId });
  const written = await deps.postmortems.update(incident.id, (current) => {
    if (current.status !== 'in-review' || contentHash(current) === current.approval?.contentHash)
      return undefined;
    return { postmortem: { ...current, approval: newRequest(deps, current, by) } };
  });
  const request = written?.after.approval;
  if (!written || !request) return;
  await announceRequest(
    deps,
    incident,
    written.after,
    request,
    `The postmortem changed in review (version ${request.version}): the approvers are asked again (request ${requestRoundOf(request)}); earlier decisions count only when made again.`,
  );
}

export type DecisionOutcome =
  | { kind: 'decided'; decision: ApprovalDecision; outcome: 'approved' | 'changes-requested' | 'pending' }
  | { kind: 'already-decided'; decision: ApprovalDecision }
  | { kind: 'stale' }
  | { kind: 'not-in-review'; status: string }
  | { kind: 'not-an-approver' };

/** This approver's decision in the link's round on the link's content, if made. */
export function decisionOfLink(
  decisions: readonly ApprovalDecision[],
  ref: { hash: string; requestRound: number },
  recipient: string,
): ApprovalDecision | undefined {
  return decisions.find(
    (d) =>
      d.contentHash === ref.hash &&
      requestRoundOf(d) === ref.requestRound &&
      sameAddress(d.approver, recipient),
  );
}

/**
 * An approver's decision from their link (POST). The link names its decision, the content and the request
 * round it was made for; the form must carry the same content hash the confirm page offered; the content and
 * round must still be the ones in review. Once per approver, content and round. Whatever the decision found
 * (new, or made before by a request that stopped half way), the approval is settled from the state.
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
  // This approver's decision on this content in this round, whatever happened since, is what a used link shows.
  const madeBefore = decisionOfLink(await deps.postmortems.decisions(incident.id), ref, claims.recipient);
  if (madeBefore) {
    await settleApproval(deps, incident);
    return { kind: 'already-decided', decision: madeBefore };
  }
  const request = postmortem.approval;
  if (postmortem.status !== 'in-review' || !request)
    return { kind: 'not-in-review', status: postmortem.status };
  if (request.contentHash !== ref.hash || requestRoundOf(request) !== ref.requestRound)
    return { kind: 'stale' };
  const approver = request.approvers.find((a) => sameAddress(a.address, claims.recipient));
  if (!approver) return { kind: 'not-an-approver' };
  const decision: ApprovalDecision = {
    approver: approver.address,
    mandatory: approver.mandatory,
    decision: ref.decision,
    ...(form.comment ? { comment: form.comment } : {}),
    at: deps.now().toISOString(),
    contentHash: ref.hash,
    version: request.version,
    requestRound: ref.requestRound,
    ...(meta.userAgent ? { userAgent: meta.userAgent.slice(0, 300) } : {}),
    ...(meta.sourceIp ? { sourceIp: meta.sourceIp.slice(0, 64) } : {}),
  };
  const earlier = await deps.postmortems.recordDecision(incident.id, decision);
  if (earlier) {
    await settleApproval(deps, incident);
    return { kind: 'already-decided', decision: earlier };
  }
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `decision-r${ref.requestRound}-${ref.hash.slice(0, 16)}-${digestNumber(approver.address)}`,
    at: decision.at,
    kind: 'postmortem.decided',
    actor: approver.address,
    text:
      decision.decision === 'approved'
        ? `${approver.address} approved the postmortem (version ${request.version}).`
        : `${approver.address} requested changes to the postmortem (version ${request.version}): ${decision.comment ?? ''}`,
    data: {
      decision: decision.decision,
      contentHash: ref.hash,
      version: request.version,
      requestRound: ref.requestRound,
    },
  });
  const settled = await settleApproval(deps, incident);
  const outcome =
    settled.outcome === 'approved' || settled.outcome === 'changes-requested' ? settled.outcome : 'pending';
  return { kind: 'decided', decision, outcome };
}

/**
 * Settles the approval from the postmortem's state (core/approvals.ts `settlementOf`), idempotently: in review
 * and approved by every mandatory approver, it becomes approved (the priority actions' due dates fixed); in
 * review with changes requested, it goes back to draft. Then the follow-ups of the outcome, each once however
 * often this runs: the timeline, the actions followed, the owner's mail, and the workflow's approval wait resumed.
 * Called by a decision (and its retry), a change of approvers, the reminder and the workflow's approval wait.
 */
export async function settleApproval(
  deps: PostmortemDeps,
  incident: Incident,
): Promise<Settlement & { postmortem: Postmortem }> {
  const decisions = await deps.postmortems.decisions(incident.id);
  let settled: Settlement = { outcome: 'none' };
  let seen: Postmortem | undefined;
  const written = await deps.postmortems.update(incident.id, (current) => {
    seen = current;
    settled = settlementOf(current, decisions);
    if (current.status !== 'in-review') return undefined;
    const now = deps.now();
    if (settled.outcome === 'approved') {
      const service = serviceOf(deps.organisation, current.service);
      return {
        postmortem: {
          ...current,
          status: 'approved',
          approvedAt: now.toISOString(),
          actions: dueDatesAtApproval(current, now, service.actionSloWeeks),
          updatedAt: now.toISOString(),
        },
      };
    }
    if (settled.outcome === 'changes-requested')
      return { postmortem: { ...current, status: 'draft', updatedAt: now.toISOString() } };
    return undefined;
  });
  // What was written, or what was read when nothing needed writing: no read again.
  const postmortem = written?.after ?? seen;
  if (!postmortem) throw new NotFoundError(`${incident.key} has no postmortem`);
  const outcome = settled as Settlement;
  if (outcome.outcome === 'approved') await afterApproval(deps, incident, postmortem);
  if (outcome.outcome === 'changes-requested' && postmortem.status === 'draft')
    await afterChangesRequested(deps, incident, postmortem, outcome.by);
  return { ...outcome, postmortem };
}

/** The follow-ups of a change request: the owner's mail (once per request round), the approval wait resumed. */
async function afterChangesRequested(
  deps: PostmortemDeps,
  incident: Incident,
  postmortem: Postmortem,
  by: ApprovalDecision,
) {
  const editorUrl = await editorUrlFor(deps, incident, postmortem);
  const round = requestRoundOf(by);
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'changes-requested',
    sequence: digestNumber(`${round > 1 ? `R${round}|` : ''}${by.contentHash}|${by.approver}`),
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
  await resumeApprovalWait(deps, incident, postmortem, 'changes-requested');
}

/** The follow-ups of approval: the timeline, each action followed from now on, the approval wait resumed. */
async function afterApproval(deps: PostmortemDeps, incident: Incident, postmortem: Postmortem) {
  const service = serviceOf(deps.organisation, postmortem.service);
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: 'postmortem-approved',
    at: postmortem.approvedAt ?? deps.now().toISOString(),
    kind: 'postmortem.decided',
    actor: 'hotline',
    text: `The postmortem is approved by every mandatory approver; priority actions are due in ${service.actionSloWeeks} weeks.`,
  });
  // Each action is followed from now on (lists, reminders, completion); publication writes any left missing.
  await trackPostmortemActions(deps, postmortem, incident.summary);
  await resumeApprovalWait(deps, incident, postmortem, 'approved');
}

/**
 * Resumes the workflow's approval wait with an outcome. Only that wait: the postmortem wait (a draft waiting for
 * its request) goes on waiting; a token already used (the wait moved on) is a no-op.
 */
async function resumeApprovalWait(
  deps: PostmortemDeps,
  incident: Incident,
  postmortem: Postmortem,
  event: Extract<ReviewEvent, 'approved' | 'changes-requested'>,
) {
  const kept = await deps.postmortems.taskTokenOf(incident.id);
  if (!kept || kept.wait === 'postmortem') return;
  await deps.workflow.resume(kept.token, reviewResume(event, reviewPlan(deps, postmortem)));
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
  const context = { incident, serviceName: service.name, approvals };
  const markdown = publishedMarkdown(postmortem, { ...context, publishedAt: deps.now().toISOString() });
  const now = deps.now().toISOString();
  // Markdown only: the page renders its HTML when read (stored too, it would not fit the item beside it).
  await deps.postmortems.putDocument(incident.id, {
    key: incident.key,
    markdown,
    publishedAt: now,
    contentHash: postmortem.approval?.contentHash ?? contentHash(postmortem),
  });
  const document = (await deps.postmortems.getDocument(incident.id)) ?? { markdown, publishedAt: now };
  const mailHtml = await documentHtmlOf(
    deps,
    postmortem,
    { ...context, publishedAt: document.publishedAt },
    'email',
  );
  const recipients = [
    ...new Set([
      ...service.comms.internal,
      ...deps.organisation.leadership,
      ...(deps.organisation.postmortems?.publishTo ?? []),
      // Its owner hears that the postmortem they wrote is out.
      ...(isEmailAddress(postmortem.owner) ? [postmortem.owner] : []),
    ]),
  ];
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'postmortem-published',
    sequence: 1,
    recipients,
    message: (viewUrl) =>
      postmortemPublishedEmail({
        incident,
        documentText: document.markdown,
        documentHtml: mailHtml,
        viewUrl,
      }),
    timelineKind: 'postmortem.published',
    timelineText: `The postmortem is published and mailed to ${recipients.join(', ')}.`,
    now: deps.now,
  });
  // The promise of the resolved message is kept: the external summary goes to the status page and its feeds,
  // in the incident's public entry (its wording is external by the field's own rule; nothing else is added).
  const external = postmortem.fields.externalSummary?.trim();
  if (external)
    await deps.statusPage.publish({
      incidentId: incident.id,
      openedAt: incident.openedAt,
      products: publicProducts(incident.products, service.name),
      update: { id: 'postmortem-1', at: document.publishedAt, text: `Postmortem: ${external}` },
      resolvedAt: incident.resolvedAt ?? document.publishedAt,
    });
  // Under the lock: an action completed meanwhile stays done in the record's action list.
  await deps.postmortems.update(incident.id, (current) =>
    current.status === 'approved'
      ? {
          postmortem: { ...current, status: 'published', publishedAt: document.publishedAt, updatedAt: now },
        }
      : undefined,
  );
  return { published: true };
}

/**
 * Workflow step: two business days passed in review. The approval is settled first (a decision whose follow-ups
 * stopped half way, or approvers changed so that nobody is pending); then pending approvers are reminded with
 * fresh links (so a link never runs out while they have not decided) and the owner is told who is still pending.
 */
export async function remindApprovers(
  deps: PostmortemDeps,
  input: { incidentId: string; key: string; round?: number },
) {
  const incident = await incidentOrThrow(deps, input);
  const round = (input.round ?? 0) + 1;
  const settled = await settleApproval(deps, incident);
  const { postmortem } = settled;
  const request = postmortem.approval;
  if (settled.outcome === 'pending' && request && settled.pending.length > 0) {
    const pending = settled.pending;
    await askApprovers(deps, incident, postmortem, request, { only: pending, reminder: round });
    const requestRound = requestRoundOf(request);
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'approval-pending',
      sequence: digestNumber(`${requestRound > 1 ? `R${requestRound}|` : ''}${request.contentHash}|${round}`),
      recipients: [postmortem.owner],
      message: (viewUrl) => approvalPendingEmail({ incident, pending, viewUrl }),
      timelineKind: 'postmortem.reminded',
      timelineText: `Still pending approval: ${pending.join(', ')}; told ${postmortem.owner}.`,
      now: deps.now,
    });
  }
  return { round, waitSeconds: reminderWaitSeconds(deps, postmortem) };
}

/**
 * Operators add or replace an approver of this postmortem; nobody else's decision is reset. In review, the new
 * approver is asked now, and the approval is settled (replacing the only undecided one, or making them
 * optional, may leave every mandatory approver approved).
 */
export async function changeApprovers(
  deps: PostmortemDeps,
  input: {
    key: string;
    by: string;
    add?: { address: string; mandatory: boolean };
    replace?: { from: string; to: string };
  },
) {
  const incident = await incidentOrThrow(deps, input);
  let changes: NonNullable<Postmortem['approverChanges']> = { add: [], replace: [] };
  const written = await deps.postmortems.update(incident.id, (current) => {
    if (current.status !== 'draft' && current.status !== 'in-review') {
      throw new ConflictError(
        `the postmortem of ${incident.key} is ${current.status}: its approvers can no longer change`,
      );
    }
    changes = withApproverChange(current.approverChanges, {
      ...(input.add ? { add: input.add } : {}),
      ...(input.replace ? { replace: input.replace } : {}),
    });
    const approvers = approversFor(serviceOf(deps.organisation, current.service), changes);
    return {
      postmortem: {
        ...current,
        approverChanges: changes,
        ...(current.approval ? { approval: { ...current.approval, approvers } } : {}),
      },
    };
  });
  if (!written) throw new NotFoundError(`${incident.key} has no postmortem`);
  const next = written.after;
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `approvers-${digestNumber(JSON.stringify(changes))}`,
    at: deps.now().toISOString(),
    kind: 'postmortem.approvers-changed',
    actor: input.by,
    text: input.add
      ? `${input.by} added ${input.add.address} as ${input.add.mandatory ? 'a mandatory' : 'an optional'} approver.`
      : `${input.by} replaced approver ${input.replace?.from} with ${input.replace?.to}.`,
  });
  // In review, the new approver is asked now (the others keep their links and decisions).
  const added = input.add?.address ?? input.replace?.to;
  if (next.status === 'in-review' && next.approval && added)
    await askApprovers(deps, incident, next, next.approval, { only: [added] });
  const settled = next.status === 'in-review' ? await settleApproval(deps, incident) : undefined;
  return viewOf(deps, settled?.postmortem ?? next);
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
 * Keeps a postmortem wait's task token, with the wait keeping it, and counts the wait. An execution that has
 * waited enough hands over to a new one: the wait resumes itself with `continue` (the postmortem is then picked
 * up where it is).
 */
async function keepPostmortemWait(
  deps: PostmortemDeps,
  input: PostmortemWaitInput,
  wait: 'postmortem' | 'approval',
) {
  const kept = await deps.postmortems.keepTaskToken(input.incidentId, input.token, {
    execution: input.execution,
    wait,
  });
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
  const { postmortem, handOver } = await keepPostmortemWait(deps, input, 'postmortem');
  if (handOver) return { waiting: false };
  if (postmortem.status !== 'draft') {
    await deps.workflow.resume(input.token, reviewResume('approval-requested', reviewPlan(deps, postmortem)));
  }
  return { waiting: postmortem.status === 'draft' };
}

/**
 * Workflow step: keeps the approval wait's task token, then settles the approval from the state: an outcome
 * reached before the token was kept (or whose follow-ups stopped half way) resumes the wait at once. A draft
 * with no change request (the request was withdrawn some other way) goes back to the postmortem wait.
 */
export async function waitForApproval(deps: PostmortemDeps, input: PostmortemWaitInput) {
  const { postmortem, handOver } = await keepPostmortemWait(deps, input, 'approval');
  if (handOver) return { waiting: false };
  const incident = await incidentOrThrow(deps, { incidentId: input.incidentId });
  const settled = await settleApproval(deps, incident);
  if (settled.outcome === 'none' && postmortem.status === 'draft') {
    await deps.workflow.resume(input.token, reviewResume('changes-requested', reviewPlan(deps, postmortem)));
  }
  return { waiting: settled.outcome === 'pending' };
}
