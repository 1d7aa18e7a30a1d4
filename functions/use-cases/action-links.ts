import { COMPLETE_ACTION, type TrackedAction } from '../core/actions.ts';
import { ConflictError, DomainError, NotFoundError } from '../core/errors.ts';
import type { Incident } from '../core/incident.ts';
import type { LinkClaims } from '../core/links.ts';
import type { ActionWords, LinkPage, PageIncident } from '../core/pages.ts';
import { type ActionDeps, completeAction } from './actions.ts';
import { type SingleUse, useOnce } from './link-uses.ts';
import type { LinkUseStore } from './ports.ts';

/**
 * A reminder's "mark done" link (`complete-action`, registered in links.ts next to the others): GET shows what
 * it would mark done and changes nothing; POST marks the action done for the link's recipient, once. The
 * incident of an action is resolved, so this link does not follow the incident-state rules of `acknowledge`:
 * the action's own state (open or done) decides.
 */

export interface ActionLinkDeps extends ActionDeps {
  links: LinkUseStore;
  newId: () => string;
}

function pageIncident(incident: Incident): PageIncident {
  return {
    key: incident.key,
    summary: incident.summary,
    severity: incident.severity,
    status: incident.status,
  };
}

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

async function actionOf(deps: ActionLinkDeps, claims: LinkClaims): Promise<TrackedAction | undefined> {
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
export async function actionLinkPage(
  deps: ActionLinkDeps,
  token: string,
  claims: LinkClaims,
  incident: Incident,
): Promise<LinkPage> {
  if (claims.action !== COMPLETE_ACTION) return { kind: 'invalid' };
  const action = await actionOf(deps, claims);
  if (!action) return { kind: 'not-found' };
  if (action.status === 'done') return alreadyDone(incident, action);
  return {
    kind: 'confirm',
    incident: pageIncident(incident),
    action: actionWords(incident, action),
    recipient: claims.recipient,
    expiresAt: new Date(claims.exp * 1000).toISOString(),
    formAction: `./${token}`,
  };
}

/** POST: marks the action done for the link's recipient; the link is used once (the link-use protocol). */
export async function decideActionLink(
  deps: ActionLinkDeps,
  claims: LinkClaims,
  incident: Incident,
): Promise<LinkPage> {
  const action = await actionOf(deps, claims);
  if (!action) return { kind: 'not-found' };
  if (action.status === 'done') return alreadyDone(incident, action);
  const words = actionWords(incident, action);
  let once: SingleUse<TrackedAction | 'already-done'>;
  try {
    once = await useOnce<TrackedAction | 'already-done'>(deps, claims, async () => {
      try {
        const done = await completeAction(deps, { actionId: action.id, by: claims.recipient, via: 'link' });
        return { value: done, outcome: 'done' };
      } catch (error) {
        // Done meanwhile by someone else (API, CLI, another link): this link is used up, nothing changed.
        if (error instanceof ConflictError)
          return { value: 'already-done' as const, outcome: 'already-done' };
        throw error;
      }
    });
  } catch (error) {
    if (error instanceof NotFoundError) return { kind: 'not-found' };
    if (error instanceof DomainError && error.status < 500)
      return { kind: 'refused', incident: pageIncident(incident), reason: error.message };
    throw error;
  }
  if (once.kind === 'used') {
    const now = (await deps.actions.get(action.id)) ?? action;
    return alreadyDone(incident, { ...now, doneBy: now.doneBy ?? once.use.recipient });
  }
  if (once.kind === 'in-progress')
    return { kind: 'in-progress', incident: pageIncident(incident), action: words };
  if (once.value === 'already-done')
    return alreadyDone(incident, (await deps.actions.get(action.id)) ?? action);
  const done = once.value;
  return {
    kind: 'done',
    incident: pageIncident(incident),
    action: words,
    by: done.doneBy ?? claims.recipient,
    at: done.doneAt ?? deps.now().toISOString(),
  };
}
