import { COMPLETE_ACTION, type TrackedAction } from '../../core/actions.ts';
import { ConflictError } from '../../core/errors.ts';
import type { Incident } from '../../core/incident.ts';
import type { LinkClaims } from '../../core/links.ts';
import type { ActionWords, LinkPage } from '../../core/pages.ts';
import { completeAction, MARK_DONE_LINK_DAYS } from '../actions.ts';
import {
  expiresAtOf,
  formActionOf,
  type IncidentLink,
  type IncidentLinkKind,
  type LinkDeps,
  pageIncident,
} from './kind.ts';
import { decideOnce } from './single-use.ts';

/**
 * A reminder's "mark done" link (`complete-action`, signed by actions.ts): GET shows what it would mark done and
 * changes nothing; POST marks the action done for the link's recipient, once. The incident of an action is
 * resolved, so this link does not follow the incident-state rules of the response decisions (acknowledge): the
 * action's own state (open or done) decides.
 */

export function actionWords(incident: Pick<Incident, 'key'>, action: TrackedAction): ActionWords {
  const kind = action.kind === 'priority' ? 'priority action' : 'action';
  return {
    question: `Mark this ${kind} of ${incident.key} done?`,
    consequence: `"${action.title}" (owned by ${action.ownerTeam}, due ${action.dueAt ?? 'without a due date'}) is recorded as done by you, on the postmortem and the incident's timeline; its reminders stop.`,
    button: 'Mark done',
    doneHeadline: `You marked the ${kind} "${action.title}" done`,
    doneDetail:
      'It is recorded on the postmortem and the incident timeline; no more reminders are sent for it.',
    alreadyHeadline: `The ${kind} "${action.title}" was already marked done`,
  };
}

async function actionOf(deps: LinkDeps, claims: LinkClaims): Promise<TrackedAction | undefined> {
  if (!claims.ref) return undefined;
  const action = await deps.actions.get(claims.ref);
  // The action is signed with its incident: a link naming another incident's action was not made by us.
  return action && action.incidentId === claims.incidentId ? action : undefined;
}

function alreadyDone(incident: Incident, action: TrackedAction): LinkPage {
  return {
    kind: 'already-done',
    incident: pageIncident(incident),
    action: actionWords(incident, action),
    by: action.doneBy ?? 'someone',
    at: action.doneAt ?? '',
  };
}

/** GET: a confirm page, or that it was already done. Reads only. */
async function actionLinkPage(deps: LinkDeps, link: IncidentLink): Promise<LinkPage> {
  const { claims, incident } = link;
  const action = await actionOf(deps, claims);
  if (!action) return { kind: 'not-found' };
  if (action.status === 'done') return alreadyDone(incident, action);
  return {
    kind: 'confirm',
    incident: pageIncident(incident),
    action: actionWords(incident, action),
    recipient: claims.recipient,
    expiresAt: expiresAtOf(claims),
    formAction: formActionOf(link),
  };
}

/** POST: marks the action done for the link's recipient; the link is used once (the shared single-use protocol). */
async function decideActionLink(deps: LinkDeps, link: IncidentLink): Promise<LinkPage> {
  const { claims, incident } = link;
  const action = await actionOf(deps, claims);
  if (!action) return { kind: 'not-found' };
  if (action.status === 'done') return alreadyDone(incident, action);
  const words = actionWords(incident, action);
  return decideOnce<TrackedAction | 'already-done'>(deps, link, {
    words,
    run: async () => {
      try {
        const done = await completeAction(deps, { actionId: action.id, by: claims.recipient, via: 'link' });
        return { value: done, outcome: 'done' };
      } catch (error) {
        // Done meanwhile by someone else (API, CLI, another link): this link is used up, nothing changed.
        if (error instanceof ConflictError)
          return { value: 'already-done' as const, outcome: 'already-done' };
        throw error;
      }
    },
    used: async (use) => {
      const now = (await deps.actions.get(action.id)) ?? action;
      return alreadyDone(incident, { ...now, doneBy: now.doneBy ?? use.recipient });
    },
    ran: async (value) => {
      if (value === 'already-done')
        return alreadyDone(incident, (await deps.actions.get(action.id)) ?? action);
      return {
        kind: 'done',
        incident: pageIncident(incident),
        action: words,
        by: value.doneBy ?? claims.recipient,
        at: value.doneAt ?? deps.now().toISOString(),
      };
    },
  });
}

export const actionCompleteKind: IncidentLinkKind = {
  action: COMPLETE_ACTION,
  family: 'decision',
  incidentBound: true,
  binding:
    'the recipient (recorded as who did it), the incident and the action (`ref`, checked against the incident)',
  lifetime: `${MARK_DONE_LINK_DAYS} days from the reminder it was mailed with`,
  get: (deps, link) => actionLinkPage(deps, link),
  post: (deps, link) => decideActionLink(deps, link),
};
