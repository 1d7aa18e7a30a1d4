import { approvalState, approversFor, sameAddress } from '../../core/approvals.ts';
import type { PostmortemEditorView } from '../../core/html/postmortem-editor/model.ts';
import { serviceOf } from '../../core/organisation.ts';
import type { Postmortem, VersionSummary } from '../../core/postmortem.ts';
import {
  type EditorApproval,
  type EditorNotice,
  type EditorResult,
  type EditorValues,
  valuesOf,
} from '../../core/postmortem-page.ts';
import { postmortemMetrics } from '../../core/postmortem-prefill.ts';
import { EDITABLE, viewOf } from '../postmortems.ts';
import { EDITOR_SELF } from './editor-link.ts';
import { expiresAtOf, type IncidentLink, type LinkDeps } from './kind.ts';

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
export async function editorPage(
  deps: LinkDeps,
  link: IncidentLink,
  postmortem: Postmortem,
  history: readonly VersionSummary[],
  status: 200 | 400 | 409,
  more: {
    values?: EditorValues;
    notice?: EditorNotice;
    approvalNotAsked?: boolean;
    blankRows?: PostmortemEditorView['blankRows'];
    /** What was typed in a refused correction of the measures. */
    measuresTyped?: Record<string, string>;
  } = {},
): Promise<EditorResult> {
  const { incident, claims } = link;
  const approval = await editorApproval(deps, postmortem);
  // While it is written, the measures shown follow the incident (a correction of its times shows at once).
  const shown = isEditable(postmortem) ? { ...postmortem, metrics: postmortemMetrics(incident) } : postmortem;
  return {
    kind: 'postmortem-editor',
    status,
    view: {
      postmortem: shown,
      checks: viewOf(deps, postmortem).checks,
      incident: {
        key: incident.key,
        summary: incident.summary,
        severity: incident.severity,
        service: serviceOf(deps.organisation, incident.service).name,
      },
      recipient: claims.recipient,
      expiresAt: expiresAtOf(claims),
      formAction: EDITOR_SELF,
      values: more.values ?? valuesOf(postmortem),
      history: [...history].sort((a, b) => a.version - b.version),
      readOnly: !isEditable(postmortem),
      approval,
      ...(more.notice ? { notice: more.notice } : {}),
      ...(more.approvalNotAsked ? { approvalNotAsked: true } : {}),
      ...(more.blankRows ? { blankRows: more.blankRows } : {}),
      measures: {
        impactStartedAt: incident.impactStartedAt,
        detectedAt: incident.detectedAt,
        ...(incident.impactEndedAt ? { impactEndedAt: incident.impactEndedAt } : {}),
        version: incident.measuresCorrectedAt ?? '',
        ...(more.measuresTyped ? { typed: more.measuresTyped } : {}),
      },
    },
  };
}

export function isEditable(postmortem: Pick<Postmortem, 'status'>): boolean {
  return (EDITABLE as readonly string[]).includes(postmortem.status);
}
