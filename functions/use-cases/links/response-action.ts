import type { Incident } from '../../core/incident.ts';
import type { LinkClaims } from '../../core/links.ts';
import type { ActionWords, LinkPage, PageLink } from '../../core/pages.ts';
import type { LinkUse } from '../ports.ts';
import type { ResponseDeps } from '../respond.ts';
import {
  expiresAtOf,
  formActionOf,
  type IncidentLink,
  type IncidentLinkKind,
  type LinkDeps,
  pageIncident,
} from './kind.ts';
import { decideOnce, PENDING } from './single-use.ts';

/**
 * The incident response decisions a link can make (acknowledge; the responder's actions would join): single
 * use, bound to the recipient and the incident, and refused once the incident is resolved. Each is a
 * `LinkAction` made into a registry kind by `responseActionKind`. Expiry and who the decision is recorded for
 * come from the signed claims; the action's own state rules (conditional writes) decide whether it still applies.
 */

export interface LinkDecision {
  outcome: 'done' | 'already-done';
  /** Who did it and when: this link's recipient, or whoever did it first. */
  by: string;
  at: string;
}

/** One incident response decision. */
export interface LinkAction {
  describe(incident: Incident): ActionWords;
  /** Whether what the link asks for has already happened (by anyone), and by whom. */
  alreadyDone(incident: Incident): { by: string; at: string } | undefined;
  /** Performs the action for the link's recipient. Must be idempotent; domain errors mean it cannot apply. */
  decide(deps: ResponseDeps, claims: LinkClaims): Promise<LinkDecision>;
  /** Where the recipient goes next, once it is done (signed here; reads and signs only, so GET may call it). */
  next?(deps: LinkDeps, claims: LinkClaims, incident: Incident): Promise<PageLink[]>;
}

/** A done or already-done page with what comes next for this recipient, when the action offers it. */
async function withNext(
  deps: LinkDeps,
  action: LinkAction,
  link: IncidentLink,
  page: LinkPage,
): Promise<LinkPage> {
  if ((page.kind !== 'done' && page.kind !== 'already-done') || !action.next) return page;
  const next = await action.next(deps, link.claims, link.incident);
  return next.length ? { ...page, next } : page;
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

/** GET: the confirm page, or why the link cannot decide any more. Reads only. */
async function confirmPage(deps: LinkDeps, action: LinkAction, link: IncidentLink): Promise<LinkPage> {
  const { claims, incident } = link;
  const use = await deps.links.get(claims.id);
  if (use && use.outcome !== PENDING) return withNext(deps, action, link, usedPage(action, incident, use));
  if (incident.status === 'resolved') return { kind: 'resolved', incident: pageIncident(incident) };
  const done = action.alreadyDone(incident);
  const words = action.describe(incident);
  if (done)
    return withNext(deps, action, link, {
      kind: 'already-done',
      incident: pageIncident(incident),
      action: words,
      ...done,
    });
  return {
    kind: 'confirm',
    incident: pageIncident(incident),
    action: words,
    recipient: claims.recipient,
    expiresAt: expiresAtOf(claims),
    formAction: formActionOf(link),
  };
}

/** A registry kind of a response decision: what `get` shows and what `post` decides, once. */
export function responseActionKind(name: string, action: LinkAction, lifetime: string): IncidentLinkKind {
  return {
    action: name,
    family: 'decision',
    incidentBound: true,
    binding: 'the recipient (the decision is recorded as theirs) and the incident; used once',
    lifetime,
    get: (deps, link) => confirmPage(deps, action, link),
    async post(deps, link) {
      const { claims, incident } = link;
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
      return decideOnce(deps, link, {
        words,
        run: async () => {
          const decision = await action.decide(deps, claims);
          return { value: decision, outcome: decision.outcome };
        },
        used: (use) => usedPage(action, incident, use),
        refused: async (error) => {
          const current = (await deps.incidents.get(claims.incidentId)) ?? incident;
          if (current.status === 'resolved') return { kind: 'resolved', incident: pageIncident(current) };
          return { kind: 'refused', incident: pageIncident(current), reason: error.message };
        },
        ran: async (decision) => {
          const after = (await deps.incidents.get(claims.incidentId).catch(() => undefined)) ?? incident;
          return withNext(
            deps,
            action,
            { ...link, incident: after },
            {
              kind: decision.outcome,
              incident: pageIncident(after),
              action: action.describe(after),
              by: decision.by,
              at: decision.at,
            },
          );
        },
      });
    },
  };
}
