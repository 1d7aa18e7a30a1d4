import type { Incident } from '../../core/incident.ts';
import type { LinkClaims } from '../../core/links.ts';
import type { PageLink } from '../../core/pages.ts';
import { rolesOf } from '../../core/responder.ts';
import { isWebLink } from '../../core/text.ts';
import { acknowledge } from '../respond.ts';
import { responderUrlFor } from '../view-links.ts';
import type { LinkDeps } from './kind.ts';
import type { LinkAction } from './response-action.ts';
import { responseActionKind } from './response-action.ts';

/** The paging mail's link: the recipient takes charge of the incident as incident manager. */
export const ACKNOWLEDGE_ACTION = 'acknowledge';

export const acknowledgeAction: LinkAction = {
  describe: (incident) => ({
    question: `Acknowledge ${incident.key}?`,
    consequence:
      incident.severity === 3
        ? `You take charge of ${incident.key} as incident manager: the incident moves to fixing and the team's daily reminders stop.`
        : `You take charge of ${incident.key} as incident manager: the incident moves to fixing and the paging stops escalating.`,
    button: `Acknowledge ${incident.key}`,
    doneHeadline: `You acknowledged ${incident.key}`,
    doneDetail:
      'You are in charge as incident manager. Open the incident room, assess the impact and post the first update from your responder page.',
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
};

/** After acknowledging: the incident manager's responder page, and the meeting places as links. */
async function next(deps: LinkDeps, claims: LinkClaims, incident: Incident): Promise<PageLink[]> {
  if (incident.status === 'resolved' || rolesOf(incident, claims.recipient).length === 0) return [];
  const places: PageLink[] = [
    ...(incident.chatRoomUrl && isWebLink(incident.chatRoomUrl)
      ? [
          {
            label: `Chat room${incident.chatChannel ? ` #${incident.chatChannel}` : ''}`,
            href: incident.chatRoomUrl,
          },
        ]
      : []),
    ...(incident.videoUrl && isWebLink(incident.videoUrl)
      ? [{ label: 'Video call', href: incident.videoUrl }]
      : []),
    ...(incident.stateDocumentUrl && isWebLink(incident.stateDocumentUrl)
      ? [{ label: 'State document', href: incident.stateDocumentUrl }]
      : []),
  ];
  return [
    {
      label: 'Open your responder page: post updates, set severity and roles, resolve',
      href: await responderUrlFor(deps, incident, claims.recipient),
    },
    ...places,
  ];
}

acknowledgeAction.next = next;

export const acknowledgeKind = responseActionKind(
  ACKNOWLEDGE_ACTION,
  acknowledgeAction,
  "the organisation's `linkTtlHours` from the page it was sent with (workflow-steps.ts)",
);
