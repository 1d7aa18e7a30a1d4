import { COMPLETE_ACTION } from '../core/actions.ts';
import {
  approvalState,
  approversFor,
  parseDecisionForm,
  requestRoundOf,
  sameAddress,
} from '../core/approvals.ts';
import {
  ConflictError,
  DomainError,
  NotFoundError,
  PreconditionFailedError,
  ValidationError,
} from '../core/errors.ts';
import type { Incident } from '../core/incident.ts';
import { type LinkClaims, type SigningKeys, verifyLink } from '../core/links.ts';
import { serviceOf } from '../core/organisation.ts';
import {
  type ActionWords,
  FRESH_EDITOR_LINK,
  incidentPageView,
  type LinkPage,
  type PageIncident,
} from '../core/pages.ts';
import type { Postmortem, VersionSummary } from '../core/postmortem.ts';
import { publishedHtml, publishedMarkdown } from '../core/postmortem-document.ts';
import { editFromForm } from '../core/postmortem-edit.ts';
import {
  type EditorApproval,
  type EditorNotice,
  type EditorResult,
  type EditorValues,
  mergeStale,
  REQUEST_APPROVAL_INTENT,
  valuesFromForm,
  valuesOf,
} from '../core/postmortem-page.ts';
import { actionLinkPage, decideActionLink } from './action-links.ts';
import {
  APPROVAL_ACTION,
  decideApproval,
  decisionOfLink,
  parseApprovalRef,
  requestApproval,
  saveEdit,
} from './approvals.ts';
import { PENDING, type SingleUse, useOnce } from './link-uses.ts';
import type { ActionStore, LinkUse, LinkUseStore, PostmortemStore } from './ports.ts';
import { EDITABLE, mailEditorLink, viewOf } from './postmortems.ts';
import { acknowledge, type ResponseDeps } from './respond.ts';

/**
 * What signed links do. `viewLink` (GET) only reads: mail scanners prefetch every link in a mail. `decideLink`
 * (POST) uses the link once and performs its action. Expiry and who the decision is recorded for come from the
 * signed claims; the action's own state rules (conditional writes) decide whether it still applies.
 *
 * Single use and retries: a use is first recorded as `pending` with an attempt id (a conditional create on
 * the link id, so two requests cannot both hold it), then the action runs, then the use is completed with
 * what the action did. When the action fails, the attempt gives the use back (a conditional delete), so the
 * person can press the button again; when the attempt dies before it can (a Lambda timeout or crash), a later
 * request takes the pending use over once its lease has passed. Actions are idempotent (acknowledging twice
 * acknowledges once), so repeating an attempt that got half way is safe.
 */

export interface LinkDeps extends ResponseDeps {
  links: LinkUseStore;
  /** The postmortem owner's editor link reads and saves the postmortem. */
  postmortems: PostmortemStore;
  /** A reminder's "mark done" link completes a postmortem action. */
  actions: ActionStore;
  keys: SigningKeys;
  /** Attempt ids (ULIDs). */
  newId: () => string;
}

export interface LinkDecision {
  outcome: 'done' | 'already-done';
  /** Who did it and when: this link's recipient, or whoever did it first. */
  by: string;
  at: string;
}

/** One kind of link: postmortem approvals register theirs next to `acknowledge`. */
export interface LinkAction {
  describe(incident: Incident): ActionWords;
  /** Whether what the link asks for has already happened (by anyone), and by whom. */
  alreadyDone(incident: Incident): { by: string; at: string } | undefined;
  /** Performs the action for the link's recipient. Must be idempotent; domain errors mean it cannot apply. */
  decide(deps: ResponseDeps, claims: LinkClaims): Promise<LinkDecision>;
}

export const linkActions: Record<string, LinkAction> = {
  acknowledge: {
    describe: (incident) => ({
      question: `Acknowledge ${incident.key}?`,
      consequence:
        incident.severity === 3
          ? `You take charge of ${incident.key} as incident manager: the incident moves to fixing and the team's daily reminders stop.`
          : `You take charge of ${incident.key} as incident manager: the incident moves to fixing and the paging stops escalating.`,
      button: `Acknowledge ${incident.key}`,
      doneHeadline: `You acknowledged ${incident.key}`,
      doneDetail:
        'You are in charge as incident manager. Open the incident room, assess the impact and post the first update.',
      alreadyHeadline: `${incident.key} was already acknowledged`,
    }),
    alreadyDone: (incident) =>
      incident.acknowledgedAt
        ? { by: incident.acknowledgedBy ?? 'someone', at: incident.acknowledgedAt }
        : undefined,
    async decide(deps, claims) {
      const result = await acknowledge(deps, {
        incidentId: claims.incidentId,
        by: claims.recipient,
        via: 'link',
      });
      return {
        outcome: result.outcome === 'acknowledged' ? 'done' : 'already-done',
        by: result.acknowledgedBy,
        at: result.acknowledgedAt,
      };
    },
  },
};

function pageIncident(incident: Incident): PageIncident {
  return {
    key: incident.key,
    summary: incident.summary,
    severity: incident.severity,
    status: incident.status,
  };
}

/** The read-only link in every mail that names an incident: it shows the incident, never decides. */
export const VIEW_ACTION = 'view';

/**
 * The postmortem owner's editor link: not single use. GET shows the form, each POST saves one version edited
 * from the version it names (a stale one is refused and shown with what was typed), until the link expires. It
 * never decides anything else.
 */
export const EDIT_POSTMORTEM_ACTION = 'edit-postmortem';

type Checked =
  | { ok: true; claims: LinkClaims; action: LinkAction; incident: Incident }
  | {
      ok: true;
      claims: LinkClaims;
      action: 'view' | 'edit-postmortem' | 'approve-postmortem' | 'complete-action';
      incident: Incident;
    }
  | { ok: false; page: LinkPage };

/** An expired editor link's page: it offers to mail a fresh link to the postmortem's owner, while it is editable. */
async function expiredEditorPage(deps: LinkDeps, token: string, claims: LinkClaims): Promise<LinkPage> {
  const incident = await deps.incidents.get(claims.incidentId);
  const postmortem =
    incident && incident.key === claims.key ? await deps.postmortems.get(incident.id) : undefined;
  if (!incident || !postmortem || !(EDITABLE as readonly string[]).includes(postmortem.status))
    return { kind: 'expired' };
  return {
    kind: 'editor-expired',
    incident: pageIncident(incident),
    owner: postmortem.owner,
    formAction: `./${token}`,
  };
}

/**
 * POST of an expired editor link asking for a fresh one: mailed to the postmortem's current owner (never to
 * whoever asks), at most once in ten minutes. Anything else posted to an expired link changes nothing.
 */
async function freshEditorLink(
  deps: LinkDeps,
  token: string,
  form: URLSearchParams,
): Promise<LinkPage | undefined> {
  if (form.get(FRESH_EDITOR_LINK.name) !== FRESH_EDITOR_LINK.value) return undefined;
  const verified = verifyLink(token, deps.keys, deps.now());
  if (verified.ok || verified.reason !== 'expired' || verified.claims.action !== EDIT_POSTMORTEM_ACTION)
    return undefined;
  const incident = await deps.incidents.get(verified.claims.incidentId);
  if (!incident || incident.key !== verified.claims.key) return { kind: 'invalid' };
  try {
    const sent = await mailEditorLink(deps, { incidentId: incident.id, by: verified.claims.recipient });
    return {
      kind: 'editor-link-sent',
      incident: pageIncident(incident),
      owner: sent.owner,
      expiresAt: sent.expiresAt,
    };
  } catch (error) {
    if (error instanceof ConflictError)
      return { kind: 'refused', incident: pageIncident(incident), reason: error.message };
    throw error;
  }
}

/** Everything both methods check before they look at uses: signature, expiry, action, incident. Reads only. */
async function check(deps: LinkDeps, token: string): Promise<Checked> {
  const verified = verifyLink(token, deps.keys, deps.now());
  if (!verified.ok && verified.reason === 'expired' && verified.claims.action === EDIT_POSTMORTEM_ACTION)
    return { ok: false, page: await expiredEditorPage(deps, token, verified.claims) };
  if (!verified.ok)
    return { ok: false, page: { kind: verified.reason === 'expired' ? 'expired' : 'invalid' } };
  const { claims } = verified;
  const action =
    claims.action === VIEW_ACTION ||
    claims.action === EDIT_POSTMORTEM_ACTION ||
    claims.action === APPROVAL_ACTION ||
    claims.action === COMPLETE_ACTION
      ? claims.action
      : Object.hasOwn(linkActions, claims.action)
        ? linkActions[claims.action]
        : undefined;
  if (!action) return { ok: false, page: { kind: 'invalid' } };
  const incident = await deps.incidents.get(claims.incidentId);
  if (!incident) return { ok: false, page: { kind: 'not-found' } };
  // The key is signed too: a link whose key and incident disagree was not made by us for this incident.
  if (incident.key !== claims.key) return { ok: false, page: { kind: 'invalid' } };
  return { ok: true, claims, action, incident };
}

/**
 * The incident's read-only page, for as long as the incident is open and `viewLinkDays` after its resolution.
 * One Query of the incident's partition; nothing is written.
 */
async function incidentPage(deps: LinkDeps, claims: LinkClaims, incident: Incident): Promise<LinkPage> {
  const days = deps.organisation.viewLinkDays ?? 30;
  const closesAt = incident.resolvedAt ? Date.parse(incident.resolvedAt) + days * 86_400_000 : undefined;
  if (closesAt !== undefined && closesAt <= deps.now().getTime()) return { kind: 'expired' };
  const view = await deps.incidents.view(incident.id);
  if (!view) return { kind: 'not-found' };
  const expiresAt = new Date(Math.min(claims.exp * 1000, closesAt ?? Number.POSITIVE_INFINITY)).toISOString();
  const service = serviceOf(deps.organisation, view.incident.service);
  return {
    kind: 'incident',
    view: incidentPageView(view, service.name, claims.recipient, expiresAt),
  };
}

/** The page for a finished use of this link. */
function usedPage(action: LinkAction, incident: Incident, use: LinkUse): LinkPage {
  const done = action.alreadyDone(incident) ?? { by: use.recipient, at: use.completedAt ?? use.usedAt };
  return {
    kind: 'already-done',
    incident: pageIncident(incident),
    action: action.describe(incident),
    ...done,
  };
}

/**
 * Where approval stands, for the editor: who is (or would be) asked and, once approval was requested, each
 * approver's decision on the content asked about (and an earlier one that no longer counts) and the requests for
 * changes. Reads the decisions only when approval was requested.
 */
async function editorApproval(deps: LinkDeps, postmortem: Postmortem): Promise<EditorApproval> {
  const request = postmortem.approval;
  if (!request) {
    const service = serviceOf(deps.organisation, postmortem.service);
    return { approvers: approversFor(service, postmortem.approverChanges), changesRequested: [] };
  }
  const state = approvalState(request, await deps.postmortems.decisions(postmortem.incidentId));
  const brief = (d: { decision: 'approved' | 'changes-requested'; at: string; version: number }) => ({
    decision: d.decision,
    at: d.at,
    version: d.version,
  });
  return {
    approvers: request.approvers.map((approver) => {
      const decision = state.decided.find((d) => sameAddress(d.approver, approver.address));
      const earlier = state.stale.filter((d) => sameAddress(d.approver, approver.address)).at(-1);
      return {
        ...approver,
        ...(decision ? { decision: brief(decision) } : {}),
        ...(earlier ? { earlier: brief(earlier) } : {}),
      };
    }),
    request: { at: request.requestedAt, by: request.requestedBy, version: request.version },
    changesRequested: state.decided
      .filter((d) => d.decision === 'changes-requested')
      .sort((a, b) => Date.parse(a.at) - Date.parse(b.at))
      .map((d) => ({
        approver: d.approver,
        mandatory: d.mandatory,
        at: d.at,
        version: d.version,
        comment: d.comment ?? '',
      })),
  };
}

/**
 * The editor's page model: the postmortem as saved now with its checks, versions and approval, the form showing
 * `values` (what was typed, for a refused save) or the saved values.
 */
async function editorPage(
  deps: LinkDeps,
  link: { token: string; claims: LinkClaims; incident: Incident },
  postmortem: Postmortem,
  history: readonly VersionSummary[],
  status: 200 | 400 | 409,
  more: { values?: EditorValues; notice?: EditorNotice; approvalNotAsked?: boolean } = {},
): Promise<EditorResult> {
  const { incident, claims } = link;
  const approval = await editorApproval(deps, postmortem);
  return {
    kind: 'postmortem-editor',
    status,
    view: {
      postmortem,
      checks: viewOf(deps, postmortem).checks,
      incident: {
        key: incident.key,
        summary: incident.summary,
        severity: incident.severity,
        service: serviceOf(deps.organisation, incident.service).name,
      },
      recipient: claims.recipient,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      formAction: `./${link.token}`,
      values: more.values ?? valuesOf(postmortem),
      history: [...history].sort((a, b) => a.version - b.version),
      readOnly: !(EDITABLE as readonly string[]).includes(postmortem.status),
      approval,
      ...(more.notice ? { notice: more.notice } : {}),
      ...(more.approvalNotAsked ? { approvalNotAsked: true } : {}),
    },
  };
}

/** What an editor link's GET reads from its query: the version a save made, or the one approval was asked on. */
export interface EditorQuery {
  saved?: string;
  unchanged?: string;
  requested?: string;
}

/**
 * GET of an editor link: the form (read-only once approved). `saved`/`unchanged` name the version a save made,
 * `requested` the version approval was asked on (each shown only while it is still the case).
 */
async function showEditor(
  deps: LinkDeps,
  link: { token: string; claims: LinkClaims; incident: Incident },
  query: EditorQuery,
): Promise<LinkPage | EditorResult> {
  const postmortem = await deps.postmortems.get(link.incident.id);
  if (!postmortem) return { kind: 'not-found' };
  const versions = await deps.postmortems.history(link.incident.id);
  const { version } = postmortem;
  const notice: EditorNotice | undefined =
    query.requested !== undefined &&
    postmortem.status === 'in-review' &&
    query.requested === String(postmortem.approval?.version)
      ? { kind: 'requested', version: postmortem.approval?.version ?? version }
      : query.saved === String(version)
        ? { kind: 'saved', version, by: postmortem.updatedBy, at: postmortem.updatedAt }
        : query.unchanged === String(version)
          ? { kind: 'unchanged', version }
          : undefined;
  return editorPage(deps, link, postmortem, versions, 200, notice ? { notice } : {});
}

/**
 * POST of an editor link: saves the form as the next version, recorded for the link's recipient, and answers
 * 303 back to the link (a reload then shows, never re-posts). A refused save answers the form as typed: 400
 * naming the fields, 409 when the version is stale (with who saved what since, and the current version in the
 * hidden field so the next save replaces it on purpose) or the postmortem can no longer be edited.
 *
 * "Ask for approval" (`intent=request-approval`) saves the same way, then asks for approval as the link's
 * recipient: 303 back to the link once asked; 409 with the page when it cannot be asked (each unmet blocking
 * check named, what was typed saved). A refused save asks nobody.
 */
async function saveEditor(
  deps: LinkDeps,
  link: { token: string; claims: LinkClaims; incident: Incident },
  form: URLSearchParams,
): Promise<LinkPage | EditorResult> {
  const { incident, claims } = link;
  const current = await deps.postmortems.get(incident.id);
  if (!current) return { kind: 'not-found' };
  const asking = form.get(REQUEST_APPROVAL_INTENT.name) === REQUEST_APPROVAL_INTENT.value;
  const notAsked = asking ? { approvalNotAsked: true } : {};
  const refused = async (message: string) => {
    const versions = await deps.postmortems.history(incident.id);
    if (!(EDITABLE as readonly string[]).includes(current.status))
      return editorPage(deps, link, current, versions, 409, {
        notice: { kind: 'closed', tried: true },
        ...notAsked,
      });
    const values = valuesFromForm(form, current.version);
    return editorPage(deps, link, current, versions, 400, {
      values,
      notice: { kind: 'invalid', message },
      ...notAsked,
    });
  };
  let edit: ReturnType<typeof editFromForm>;
  try {
    edit = editFromForm(form);
  } catch (error) {
    if (error instanceof ValidationError) return refused(error.message);
    throw error;
  }
  let saved: Awaited<ReturnType<typeof saveEdit>>;
  try {
    saved = await saveEdit(deps, { incidentId: incident.id, by: claims.recipient, edit });
  } catch (error) {
    if (error instanceof ValidationError) return refused(error.message);
    if (!(error instanceof PreconditionFailedError || error instanceof ConflictError)) throw error;
    const now = (await deps.postmortems.get(incident.id)) ?? current;
    const versions = await deps.postmortems.history(incident.id);
    if (!(EDITABLE as readonly string[]).includes(now.status))
      return editorPage(deps, link, now, versions, 409, {
        notice: { kind: 'closed', tried: true },
        ...notAsked,
      });
    // Merged against the version the form was typed on, so saving again keeps both edits where they differ.
    const base = await deps.postmortems.version(incident.id, edit.version);
    const merged = mergeStale(
      valuesFromForm(form, now.version),
      base && valuesOf({ ...now, ...base, key: now.key }),
      valuesOf(now),
    );
    const others = versions.filter((v) => v.version > edit.version).sort((a, b) => a.version - b.version);
    const notice: EditorNotice = {
      kind: 'stale',
      yourVersion: String(edit.version),
      others,
      taken: merged.taken,
      conflicts: merged.conflicts,
    };
    return editorPage(deps, link, now, versions, 409, { values: merged.values, notice, ...notAsked });
  }
  const changed = saved.changed.length > 0;
  if (!asking) {
    return {
      kind: 'postmortem-saved',
      location: `./${link.token}?${changed ? 'saved' : 'unchanged'}=${saved.postmortem.version}`,
    };
  }
  return askForApproval(deps, link, { version: saved.postmortem.version, changed });
}

/**
 * The second half of "Ask for approval", after the form was saved as `saved`: asks for approval as the link's
 * recipient and answers 303 back to the link (`?requested=<version>`), also when it is already in review on that
 * version (a double click). Refused (a blocking check unmet, in review on another version, changed meanwhile): the
 * page with 409, naming each unmet blocking check, with the saved values.
 */
async function askForApproval(
  deps: LinkDeps,
  link: { token: string; claims: LinkClaims; incident: Incident },
  saved: { version: number; changed: boolean },
): Promise<LinkPage | EditorResult> {
  const { incident, claims } = link;
  try {
    const asked = await requestApproval(deps, { incidentId: incident.id, by: claims.recipient });
    return {
      kind: 'postmortem-saved',
      location: `./${link.token}?requested=${asked.postmortem.approval?.version ?? asked.postmortem.version}`,
    };
  } catch (error) {
    if (!(error instanceof ConflictError || error instanceof PreconditionFailedError)) throw error;
    const now = await deps.postmortems.get(incident.id);
    if (!now) return { kind: 'not-found' };
    // Already in review on the version just saved (a double click, a retried POST): it is asked, as wanted.
    if (now.status === 'in-review' && now.approval?.version === saved.version)
      return { kind: 'postmortem-saved', location: `./${link.token}?requested=${saved.version}` };
    const versions = await deps.postmortems.history(incident.id);
    const blocking = now.status === 'draft' ? viewOf(deps, now).checks.blocking : [];
    const notice: EditorNotice = {
      kind: 'not-requested',
      saved,
      blocking,
      ...(blocking.length === 0 ? { reason: error.message } : {}),
    };
    return editorPage(deps, link, now, versions, 409, { notice });
  }
}

/** GET: what the link would do, or why it cannot. Never writes. */
export async function viewLink(
  deps: LinkDeps,
  token: string,
  query: EditorQuery = {},
): Promise<LinkPage | EditorResult> {
  const checked = await check(deps, token);
  if (!checked.ok) return checked.page;
  if (checked.action === VIEW_ACTION) return incidentPage(deps, checked.claims, checked.incident);
  if (checked.action === EDIT_POSTMORTEM_ACTION) return showEditor(deps, { token, ...checked }, query);
  if (checked.action === APPROVAL_ACTION) return approvalPage(deps, token, checked.claims, checked.incident);
  if (checked.action === COMPLETE_ACTION)
    return actionLinkPage(deps, token, checked.claims, checked.incident);
  const { claims, action, incident } = checked;
  const use = await deps.links.get(claims.id);
  if (use && use.outcome !== PENDING) return usedPage(action, incident, use);
  if (incident.status === 'resolved') return { kind: 'resolved', incident: pageIncident(incident) };
  const done = action.alreadyDone(incident);
  const words = action.describe(incident);
  if (done) return { kind: 'already-done', incident: pageIncident(incident), action: words, ...done };
  return {
    kind: 'confirm',
    incident: pageIncident(incident),
    action: words,
    recipient: claims.recipient,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    // Relative to /links/<token>: the form posts back to the link itself, wherever the API is mounted.
    formAction: `./${token}`,
  };
}

/**
 * POST: uses the link once and performs its action. Transient failures throw, leaving the link usable. `form` is
 * read by the editor link only (its save); every other link decides what it was signed for and nothing else.
 */
export async function decideLink(
  deps: LinkDeps,
  token: string,
  form: URLSearchParams = new URLSearchParams(),
  meta: { userAgent?: string; sourceIp?: string } = {},
): Promise<LinkPage | EditorResult> {
  const fresh = await freshEditorLink(deps, token, form);
  if (fresh) return fresh;
  const checked = await check(deps, token);
  if (!checked.ok) return checked.page;
  // A view link shows; it can never decide anything.
  if (checked.action === VIEW_ACTION) return { kind: 'view-only' };
  if (checked.action === EDIT_POSTMORTEM_ACTION) return saveEditor(deps, { token, ...checked }, form);
  if (checked.action === APPROVAL_ACTION) return decideApprovalLink(deps, token, checked, form, meta);
  if (checked.action === COMPLETE_ACTION) return decideActionLink(deps, checked.claims, checked.incident);
  const { claims, action, incident } = checked;
  const words = action.describe(incident);
  // Reads first: a link that cannot do anything any more is answered without a write.
  const used = await deps.links.get(claims.id);
  if (used && used.outcome !== PENDING) return usedPage(action, incident, used);
  if (incident.status === 'resolved') return { kind: 'resolved', incident: pageIncident(incident) };
  // Done by someone else: nothing to do. Done by this recipient while this link is not marked used: an earlier
  // attempt may have failed half way, so the (idempotent) action runs again and can finish its follow-ups.
  const done = action.alreadyDone(incident);
  if (done && done.by !== claims.recipient) {
    return { kind: 'already-done', incident: pageIncident(incident), action: words, ...done };
  }

  let once: SingleUse<LinkDecision>;
  try {
    once = await useOnce(deps, claims, async () => {
      const decision = await action.decide(deps, claims);
      return { value: decision, outcome: decision.outcome };
    });
  } catch (error) {
    if (error instanceof NotFoundError) return { kind: 'not-found' };
    if (error instanceof DomainError && error.status < 500) {
      const current = (await deps.incidents.get(claims.incidentId)) ?? incident;
      if (current.status === 'resolved') return { kind: 'resolved', incident: pageIncident(current) };
      return { kind: 'refused', incident: pageIncident(current), reason: error.message };
    }
    throw error;
  }
  if (once.kind === 'used') return usedPage(action, incident, once.use);
  if (once.kind === 'in-progress')
    return { kind: 'in-progress', incident: pageIncident(incident), action: words };
  const decision = once.value;
  const after = (await deps.incidents.get(claims.incidentId).catch(() => undefined)) ?? incident;
  return {
    kind: decision.outcome,
    incident: pageIncident(after),
    action: action.describe(after),
    by: decision.by,
    at: decision.at,
  };
}

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

/** GET of an approver's link: the whole document and one confirm form, or why it no longer applies. Reads only. */
async function approvalPage(
  deps: LinkDeps,
  token: string,
  claims: LinkClaims,
  incident: Incident,
  extra: { error?: string; comment?: string } = {},
): Promise<LinkPage> {
  const ref = parseApprovalRef(claims.ref);
  if (!ref) return { kind: 'invalid' };
  const postmortem = await deps.postmortems.get(incident.id);
  if (!postmortem) return { kind: 'not-found' };
  const words = approvalWords(incident, ref.decision);
  const decided = decisionOfLink(await deps.postmortems.decisions(incident.id), ref, claims.recipient);
  if (decided) {
    return {
      kind: 'already-done',
      incident: pageIncident(incident),
      action: words,
      by: decided.approver,
      at: decided.at,
    };
  }
  const request = postmortem.approval;
  if (postmortem.status !== 'in-review' || !request) {
    return {
      kind: 'refused',
      incident: pageIncident(incident),
      reason: `The postmortem is ${postmortem.status === 'draft' ? 'back with its owner (a draft)' : postmortem.status}: there is nothing to decide now`,
    };
  }
  if (request.contentHash !== ref.hash || requestRoundOf(request) !== ref.requestRound) {
    return { kind: 'approval-stale', incident: pageIncident(incident), recipient: claims.recipient };
  }
  const approver = request.approvers.find((a) => sameAddress(a.address, claims.recipient));
  if (!approver) {
    return {
      kind: 'refused',
      incident: pageIncident(incident),
      reason: `${claims.recipient} is no longer asked to approve this postmortem`,
    };
  }
  const service = serviceOf(deps.organisation, postmortem.service);
  return {
    kind: 'approval-confirm',
    view: {
      // The status an approver cares about is the postmortem's, not the (resolved) incident's.
      incident: { ...pageIncident(incident), status: `postmortem in review (version ${request.version})` },
      decision: ref.decision,
      approver: approver.address,
      mandatory: approver.mandatory,
      expiresAt: new Date(claims.exp * 1000).toISOString(),
      formAction: `./${token}`,
      contentHash: ref.hash,
      version: request.version,
      document: publishedHtml(publishedMarkdown(postmortem, { incident, serviceName: service.name })),
      ...(extra.error ? { error: extra.error } : {}),
      ...(extra.comment !== undefined ? { comment: extra.comment } : {}),
    },
  };
}

/** POST of an approver's link: the decision it was made for, on the content it was made for, once. */
async function decideApprovalLink(
  deps: LinkDeps,
  token: string,
  link: { claims: LinkClaims; incident: Incident },
  form: URLSearchParams,
  meta: { userAgent?: string; sourceIp?: string },
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
    return approvalPage(deps, token, claims, incident, {
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
  switch (outcome.kind) {
    case 'decided':
      return {
        kind: 'done',
        incident: pageIncident(incident),
        action: words,
        by: outcome.decision.approver,
        at: outcome.decision.at,
      };
    case 'already-decided':
      return {
        kind: 'already-done',
        incident: pageIncident(incident),
        action: words,
        by: outcome.decision.approver,
        at: outcome.decision.at,
      };
    case 'stale':
      return { kind: 'approval-stale', incident: pageIncident(incident), recipient: claims.recipient };
    case 'not-an-approver':
      return {
        kind: 'refused',
        incident: pageIncident(incident),
        reason: `${claims.recipient} is no longer asked to approve this postmortem`,
      };
    case 'not-in-review':
      return {
        kind: 'refused',
        incident: pageIncident(incident),
        reason: `The postmortem is ${outcome.status}: there is nothing to decide now`,
      };
  }
}
