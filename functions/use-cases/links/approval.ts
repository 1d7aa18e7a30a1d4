import { parseDecisionForm } from '../../core/approval-form.ts';
import { requestRoundOf, sameAddress } from '../../core/approvals.ts';
import type { Incident } from '../../core/incident.ts';
import { serviceOf } from '../../core/organisation.ts';
import type { ActionWords, LinkPage, PageIncident } from '../../core/pages.ts';
import type { Postmortem } from '../../core/postmortem.ts';
import { APPROVAL_ACTION, decideApproval, decisionOfLink, parseApprovalRef } from '../approvals.ts';
import { documentHtmlOf } from '../document-rendering.ts';
import {
  expiresAtOf,
  formActionOf,
  type IncidentLink,
  type IncidentLinkKind,
  type LinkDeps,
  type LinkMeta,
  pageIncident,
} from './kind.ts';

/**
 * An approver's decision link (signed by approvals.ts, one per decision: approve, request changes): GET shows the
 * whole document and one confirm form; POST records the decision it was made for, on the content and in the
 * request round it was made for, once per approver, content and round (the decision record is its single use).
 */

/** What an approver's decision link does, in words. */
function approvalWords(incident: Incident, decision: 'approved' | 'changes-requested'): ActionWords {
  const approving = decision === 'approved';
  return {
    question: approving
      ? `Approve the postmortem of ${incident.key}?`
      : `Request changes to the postmortem of ${incident.key}?`,
    consequence: approving
      ? 'You agree with its root cause and that its priority actions are an acceptable way to address it.'
      : 'The postmortem goes back to its owner with your comment.',
    button: approving ? 'Approve' : 'Request changes',
    doneHeadline: approving
      ? `You approved the postmortem of ${incident.key}`
      : `You requested changes to the postmortem of ${incident.key}`,
    doneDetail: approving
      ? 'Your approval is recorded on the version you read.'
      : 'Its owner has your comment; you will be asked again on the new version.',
    alreadyHeadline: `You already decided on this version of the postmortem of ${incident.key}`,
  };
}

/**
 * The incident as an approver's pages show it: the status an approver cares about is the postmortem's, not the
 * (resolved) incident's, on every page of the link (confirm, done, already used, refused, stale).
 */
function postmortemFacts(incident: Incident, postmortem: Postmortem | undefined): PageIncident {
  const facts = pageIncident(incident);
  if (!postmortem) return facts;
  const status =
    postmortem.status === 'in-review'
      ? `postmortem in review (version ${postmortem.approval?.version ?? postmortem.version})`
      : postmortem.status === 'draft'
        ? `postmortem back with its owner (a draft, version ${postmortem.version})`
        : `postmortem ${postmortem.status} (version ${postmortem.version})`;
  return { ...facts, status };
}

/** GET of an approver's link: the whole document and one confirm form, or why it no longer applies. Reads only. */
async function approvalPage(
  deps: LinkDeps,
  link: IncidentLink,
  extra: { error?: string; comment?: string } = {},
): Promise<LinkPage> {
  const { claims, incident } = link;
  const ref = parseApprovalRef(claims.ref);
  if (!ref) return { kind: 'invalid' };
  const postmortem = await deps.postmortems.get(incident.id);
  if (!postmortem) return { kind: 'not-found' };
  const words = approvalWords(incident, ref.decision);
  const decided = decisionOfLink(await deps.postmortems.decisions(incident.id), ref, claims.recipient);
  if (decided) {
    return {
      kind: 'already-done',
      incident: postmortemFacts(incident, postmortem),
      action: words,
      by: decided.approver,
      at: decided.at,
    };
  }
  const request = postmortem.approval;
  if (postmortem.status !== 'in-review' || !request) {
    return {
      kind: 'refused',
      incident: postmortemFacts(incident, postmortem),
      reason: `The postmortem is ${postmortem.status === 'draft' ? 'back with its owner (a draft)' : postmortem.status}: there is nothing to decide now`,
    };
  }
  if (request.contentHash !== ref.hash || requestRoundOf(request) !== ref.requestRound) {
    return {
      kind: 'approval-stale',
      incident: postmortemFacts(incident, postmortem),
      recipient: claims.recipient,
    };
  }
  const approver = request.approvers.find((a) => sameAddress(a.address, claims.recipient));
  if (!approver) {
    return {
      kind: 'refused',
      incident: postmortemFacts(incident, postmortem),
      reason: `${claims.recipient} is no longer asked to approve this postmortem`,
    };
  }
  const service = serviceOf(deps.organisation, postmortem.service);
  return {
    kind: 'approval-confirm',
    view: {
      incident: postmortemFacts(incident, postmortem),
      decision: ref.decision,
      approver: approver.address,
      mandatory: approver.mandatory,
      expiresAt: expiresAtOf(claims),
      formAction: formActionOf(link),
      contentHash: ref.hash,
      version: request.version,
      // A GET writes nothing: a content not rendered yet (asked before renderings were kept) is rendered here.
      document: await documentHtmlOf(deps, postmortem, { incident, serviceName: service.name }, 'page', {
        keep: false,
      }),
      ...(extra.error ? { error: extra.error } : {}),
      ...(extra.comment !== undefined ? { comment: extra.comment } : {}),
    },
  };
}

/** POST of an approver's link: the decision it was made for, on the content it was made for, once. */
async function decideApprovalLink(
  deps: LinkDeps,
  link: IncidentLink,
  form: URLSearchParams,
  meta: LinkMeta,
): Promise<LinkPage> {
  const { claims, incident } = link;
  const ref = parseApprovalRef(claims.ref);
  if (!ref) return { kind: 'invalid' };
  const parsed = parseDecisionForm(Object.fromEntries(form), {
    decision: ref.decision,
    contentHash: ref.hash,
  });
  // A body that is not what the confirm page offered (another decision, another content) decides nothing.
  if (!parsed.ok && parsed.reason === 'mismatch') return { kind: 'invalid' };
  if (!parsed.ok) {
    return approvalPage(deps, link, {
      error: parsed.message,
      ...(parsed.comment !== undefined ? { comment: parsed.comment } : {}),
    });
  }
  const words = approvalWords(incident, ref.decision);
  const outcome = await decideApproval(
    deps,
    claims,
    {
      contentHash: parsed.form.contentHash,
      ...(parsed.form.comment ? { comment: parsed.form.comment } : {}),
    },
    meta,
  );
  // The postmortem as the decision left it (approved, back to draft, or as another decision or edit made it).
  const facts = postmortemFacts(incident, await deps.postmortems.get(incident.id));
  switch (outcome.kind) {
    case 'decided':
      return {
        kind: 'done',
        incident: facts,
        action: words,
        by: outcome.decision.approver,
        at: outcome.decision.at,
      };
    case 'already-decided':
      return {
        kind: 'already-done',
        incident: facts,
        action: words,
        by: outcome.decision.approver,
        at: outcome.decision.at,
      };
    case 'stale':
      return { kind: 'approval-stale', incident: facts, recipient: claims.recipient };
    case 'not-an-approver':
      return {
        kind: 'refused',
        incident: facts,
        reason: `${claims.recipient} is no longer asked to approve this postmortem`,
      };
    case 'not-in-review':
      return {
        kind: 'refused',
        incident: facts,
        reason: `The postmortem is ${outcome.status}: there is nothing to decide now`,
      };
  }
}

export const approvalKind: IncidentLinkKind = {
  action: APPROVAL_ACTION,
  family: 'decision',
  incidentBound: true,
  binding:
    "the recipient (an approver of the request), the incident, the decision, the postmortem's content hash and `requestRound` (`ref`)",
  lifetime: "the organisation's approval link days from the request (or reminder) it was mailed with",
  get: (deps, link) => approvalPage(deps, link),
  post: (deps, link, form, meta) => decideApprovalLink(deps, link, form, meta),
};
