import { ConflictError, PreconditionFailedError, ValidationError } from '../../core/errors.ts';
import { blankRowsAfterAdd } from '../../core/html/postmortem-editor/form.ts';
import {
  addRowIntent,
  MEASURES_INTENT,
  MEASURES_VERSION,
  type RowList,
} from '../../core/html/postmortem-editor/model.ts';
import { FRESH_EDITOR_LINK, type LinkPage } from '../../core/pages.ts';
import type { Postmortem } from '../../core/postmortem.ts';
import { editFromForm } from '../../core/postmortem-edit.ts';
import {
  type EditorNotice,
  mergeStale,
  REQUEST_APPROVAL_INTENT,
  valuesFromForm,
  valuesOf,
} from '../../core/postmortem-page.ts';
import { readResponderForm, typedFields } from '../../core/responder.ts';
import { requestApproval, saveEdit } from '../approvals.ts';
import { mailEditorLink, viewOf } from '../postmortems.ts';
import { correctMeasures } from '../respond.ts';
import { EDITOR_SELF, editorLinkDeclaration } from './editor-link.ts';
import { editorPage, isEditable } from './editor-page.ts';
import {
  type ExpiredHandler,
  type IncidentLink,
  type IncidentLinkKind,
  type LinkDeps,
  type LinkQuery,
  type LinkResult,
  pageIncident,
} from './kind.ts';

/**
 * The postmortem owner's editor link (signed by postmortems.ts `editorUrlFor`): a working page, not single use,
 * served at `/links/{token}/edit` by the PostmortemEditor function (editor-route.ts; the link pages' function
 * only redirects there, editor-link.ts). GET shows the form, each POST saves one version edited from the version
 * it names (a stale one is refused and shown with what was typed), until the link expires. It never decides
 * anything else. Expired, it offers to mail a fresh link to the postmortem's owner. Its forms and redirects
 * point at the page itself (`./edit`, relative to `/links/<token>/edit`).
 */
export { EDIT_POSTMORTEM_ACTION } from './editor-link.ts';

/** What an editor link's GET reads from its query: the version a save made, or the one approval was asked on. */
export type EditorQuery = {
  saved?: string | undefined;
  unchanged?: string | undefined;
  requested?: string | undefined;
  corrected?: string | undefined;
};

/**
 * GET of an editor link: the form (read-only once approved). `saved`/`unchanged` name the version a save made,
 * `requested` the version approval was asked on (each shown only while it is still the case).
 */
async function showEditor(deps: LinkDeps, link: IncidentLink, query: EditorQuery): Promise<LinkResult> {
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
          : query.corrected !== undefined
            ? { kind: 'measures-corrected' }
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
async function saveEditor(deps: LinkDeps, link: IncidentLink, form: URLSearchParams): Promise<LinkResult> {
  const { incident, claims } = link;
  const current = await deps.postmortems.get(incident.id);
  if (!current) return { kind: 'not-found' };
  if (form.get(MEASURES_INTENT.name) === MEASURES_INTENT.value)
    return correctTimes(deps, link, current, form);
  const adding = addRowIntent(form);
  if (adding) return addRow(deps, link, current, form, adding);
  const asking = form.get(REQUEST_APPROVAL_INTENT.name) === REQUEST_APPROVAL_INTENT.value;
  const notAsked = asking ? { approvalNotAsked: true } : {};
  const refused = async (message: string) => {
    const versions = await deps.postmortems.history(incident.id);
    if (!isEditable(current))
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
    if (!isEditable(now))
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
      location: `${EDITOR_SELF}?${changed ? 'saved' : 'unchanged'}=${saved.postmortem.version}`,
    };
  }
  return askForApproval(deps, link, { version: saved.postmortem.version, changed });
}

/**
 * The correction form below the editor's: the incident's times corrected as the link's recipient (the same use
 * case as the API's and the responder page's), then 303 back to the link. Refused: the page with what was typed
 * in that form (400 naming the problem; 409 when the times were corrected since the page was shown, or cannot be).
 */
async function correctTimes(
  deps: LinkDeps,
  link: IncidentLink,
  current: Postmortem,
  form: URLSearchParams,
): Promise<LinkResult> {
  const { incident, claims } = link;
  const refused = async (message: string, status: 400 | 409) =>
    editorPage(deps, link, current, await deps.postmortems.history(incident.id), status, {
      notice: { kind: 'measures-refused', message, status },
      measuresTyped: typedFields(form),
    });
  if ((form.get(MEASURES_VERSION) ?? '') !== (incident.measuresCorrectedAt ?? ''))
    return refused('the times were corrected by someone else meanwhile (the page shows them now)', 409);
  try {
    const request = readResponderForm(form, deps.now());
    if (request.intent !== 'measures') return refused('the form says nothing to correct', 400);
    await correctMeasures(deps, {
      incidentId: incident.id,
      by: claims.recipient,
      correction: request.correction,
    });
  } catch (error) {
    if (error instanceof ValidationError) return refused(error.message, 400);
    if (error instanceof ConflictError) return refused(error.message, 409);
    throw error;
  }
  return { kind: 'postmortem-saved', location: `${EDITOR_SELF}?corrected=1` };
}

/**
 * "Add another action row" / "Add another timeline row": the form rendered again (200) with what was typed and one
 * more blank row of that list. Nothing is saved and nothing is checked: the version posted stays in the form, so
 * the save that follows is told if someone else saved meanwhile. No longer editable: the page says so (409).
 */
async function addRow(
  deps: LinkDeps,
  link: IncidentLink,
  current: Postmortem,
  form: URLSearchParams,
  list: RowList,
): Promise<LinkResult> {
  const versions = await deps.postmortems.history(link.incident.id);
  if (!isEditable(current))
    return editorPage(deps, link, current, versions, 409, { notice: { kind: 'closed', tried: true } });
  return editorPage(deps, link, current, versions, 200, {
    values: valuesFromForm(form, current.version),
    notice: { kind: 'row-added', list },
    blankRows: { [list]: blankRowsAfterAdd(form, list) },
  });
}

/**
 * The second half of "Ask for approval", after the form was saved as `saved`: asks for approval as the link's
 * recipient and answers 303 back to the link (`?requested=<version>`), also when it is already in review on that
 * version (a double click). Refused (a blocking check unmet, in review on another version, changed meanwhile): the
 * page with 409, naming each unmet blocking check, with the saved values.
 */
async function askForApproval(
  deps: LinkDeps,
  link: IncidentLink,
  saved: { version: number; changed: boolean },
): Promise<LinkResult> {
  const { incident, claims } = link;
  try {
    const asked = await requestApproval(deps, { incidentId: incident.id, by: claims.recipient });
    return {
      kind: 'postmortem-saved',
      location: `${EDITOR_SELF}?requested=${asked.postmortem.approval?.version ?? asked.postmortem.version}`,
    };
  } catch (error) {
    if (!(error instanceof ConflictError || error instanceof PreconditionFailedError)) throw error;
    const now = await deps.postmortems.get(incident.id);
    if (!now) return { kind: 'not-found' };
    // Already in review on the version just saved (a double click, a retried POST): it is asked, as wanted.
    if (now.status === 'in-review' && now.approval?.version === saved.version)
      return { kind: 'postmortem-saved', location: `${EDITOR_SELF}?requested=${saved.version}` };
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

/**
 * An expired editor link: GET (and any other POST) shows a page offering a fresh link mailed to the postmortem's
 * owner, while the postmortem is editable; the POST of that one form mails it to the current owner (never to
 * whoever asks), at most once in ten minutes. Nothing else posted to an expired link changes anything.
 */
const expiredEditor: ExpiredHandler = {
  async get(deps, link): Promise<LinkPage> {
    const { claims } = link;
    const incident = await deps.incidents.get(claims.incidentId);
    const postmortem =
      incident && incident.key === claims.key ? await deps.postmortems.get(incident.id) : undefined;
    if (!incident || !postmortem || !isEditable(postmortem)) return { kind: 'expired' };
    return {
      kind: 'editor-expired',
      incident: pageIncident(incident),
      owner: postmortem.owner,
      formAction: EDITOR_SELF,
    };
  },
  async post(deps, link, form): Promise<LinkPage | undefined> {
    if (form.get(FRESH_EDITOR_LINK.name) !== FRESH_EDITOR_LINK.value) return undefined;
    const { claims } = link;
    const incident = await deps.incidents.get(claims.incidentId);
    if (!incident || incident.key !== claims.key) return { kind: 'invalid' };
    try {
      const sent = await mailEditorLink(deps, { incidentId: incident.id, by: claims.recipient });
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
  },
};

/** The editor's kind, served by its own route (editor-route.ts); the registry holds its declaration only. */
export const editorKind: IncidentLinkKind = {
  ...editorLinkDeclaration,
  incidentBound: true,
  get: (deps, link, query: LinkQuery) =>
    showEditor(deps, link, {
      saved: query.saved,
      unchanged: query.unchanged,
      requested: query.requested,
      corrected: query.corrected,
    }),
  post: (deps, link, form) => saveEditor(deps, link, form),
  onExpired: expiredEditor,
};
