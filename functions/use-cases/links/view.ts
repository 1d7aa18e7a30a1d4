import { serviceOf } from '../../core/organisation.ts';
import { incidentPageView, type LinkPage } from '../../core/pages.ts';
import { VIEW_ACTION, VIEW_LINK_TTL_HOURS } from '../view-links.ts';
import type { IncidentLink, IncidentLinkKind, LinkDeps } from './kind.ts';
import { onCallSectionOf } from './oncall-section.ts';

/**
 * The read-only link in every mail that names an incident (signed by view-links.ts): GET shows the incident, for
 * as long as it is open and `viewLinkDays` after its resolution; POST never decides anything.
 */

/** One Query of the incident's partition (and of each on-call schedule's overrides); nothing is written. */
async function incidentPage(deps: LinkDeps, link: IncidentLink): Promise<LinkPage> {
  const { claims, incident } = link;
  const days = deps.organisation.viewLinkDays ?? 30;
  const closesAt = incident.resolvedAt ? Date.parse(incident.resolvedAt) + days * 86_400_000 : undefined;
  if (closesAt !== undefined && closesAt <= deps.now().getTime()) return { kind: 'expired' };
  const view = await deps.incidents.view(incident.id);
  if (!view) return { kind: 'not-found' };
  const expiresAt = new Date(Math.min(claims.exp * 1000, closesAt ?? Number.POSITIVE_INFINITY)).toISOString();
  const service = serviceOf(deps.organisation, view.incident.service);
  const onCall = await onCallSectionOf(deps, view.incident.service);
  return {
    kind: 'incident',
    view: {
      ...incidentPageView(view, service.name, claims.recipient, expiresAt),
      ...(onCall ? { onCall } : {}),
    },
  };
}

export const viewKind: IncidentLinkKind = {
  action: VIEW_ACTION,
  family: 'view',
  incidentBound: true,
  binding: "the incident; the recipient (a person or a mail's list) is shown, not checked",
  lifetime: `signed for ${VIEW_LINK_TTL_HOURS} hours at most; the page closes \`viewLinkDays\` (30) after resolution`,
  get: (deps, link) => incidentPage(deps, link),
  // A view link shows; it can never decide anything.
  post: async () => ({ kind: 'view-only' }),
};
