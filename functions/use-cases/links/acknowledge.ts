import { acknowledge } from '../respond.ts';
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
};

export const acknowledgeKind = responseActionKind(
  ACKNOWLEDGE_ACTION,
  acknowledgeAction,
  "the organisation's `linkTtlHours` from the page it was sent with (workflow-steps.ts)",
);
