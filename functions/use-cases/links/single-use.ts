import { DomainError, NotFoundError } from '../../core/errors.ts';
import type { LinkClaims } from '../../core/links.ts';
import type { ActionWords, LinkPage } from '../../core/pages.ts';
import type { LinkUse, LinkUseStore } from '../ports.ts';
import { type IncidentLink, pageIncident } from './kind.ts';

/**
 * Single use of a signed link (the decision family: acknowledge, action done), on the table's one leased claim:
 * the use is first claimed as `pending` by an attempt id (one conditional write on the link id, so two requests
 * cannot both hold it), then the action runs, then the use is completed with what the action did. When the
 * action fails, the attempt gives the use back (a conditional delete) so the person can press the button again;
 * when the attempt dies before it can (a Lambda timeout or crash), a later request takes the pending use over
 * once its lease has passed. The actions are idempotent (acknowledging twice acknowledges once), so repeating an
 * attempt that got half way is safe.
 */

/** How long a pending use blocks other uses: longer than the link function may run (29 s). */
export const LINK_ATTEMPT_LEASE_MS = 60_000;
export const PENDING = 'pending';

export type SingleUse<T> =
  /** This request used the link: what the action answered. */
  | { kind: 'ran'; value: T }
  /** The link was used before: its finished use. */
  | { kind: 'used'; use: LinkUse }
  /** Another use of the same link is being processed right now (a double click). */
  | { kind: 'in-progress' };

export async function useOnce<T>(
  deps: { links: LinkUseStore; now: () => Date; newId: () => string },
  claims: LinkClaims,
  run: () => Promise<{ value: T; outcome: string }>,
): Promise<SingleUse<T>> {
  const attempt = deps.newId();
  const usedAt = deps.now().toISOString();
  const claim = await deps.links.claim(
    {
      linkId: claims.id,
      incidentId: claims.incidentId,
      action: claims.action,
      recipient: claims.recipient,
      usedAt,
      outcome: PENDING,
      attempt,
    },
    LINK_ATTEMPT_LEASE_MS,
  );
  if (claim.state === 'done') return { kind: 'used', use: claim.record };
  if (claim.state === 'held') return { kind: 'in-progress' };
  let result: { value: T; outcome: string };
  try {
    result = await run();
  } catch (error) {
    // Give the use back so the same link works again; if this fails too, the lease lets a later request in.
    await deps.links.release(claims.id, attempt).catch(() => false);
    throw error;
  }
  // The action happened: recording its outcome is best effort (a pending use left behind is taken over after the
  // lease, and the idempotent action then answers "already done").
  await deps.links.complete(claims.id, attempt, result.outcome, deps.now().toISOString()).catch(() => false);
  return { kind: 'ran', value: result.value };
}

/** How a single-use decision answers each way its use can end; `useOnce` runs `run` at most once per link. */
export interface OnceSpec<T> {
  /** The decision's words, for the page of a use in progress. */
  words: ActionWords;
  /** The decision itself (idempotent); domain errors mean it cannot apply. */
  run: () => Promise<{ value: T; outcome: string }>;
  /** This request decided: the result page. */
  ran: (value: T) => Promise<LinkPage> | LinkPage;
  /** The link was used before: the page of that use. */
  used: (use: LinkUse) => Promise<LinkPage> | LinkPage;
  /** A domain error (< 500) refused the decision; by default the refusal's own message on the incident. */
  refused?: (error: DomainError) => Promise<LinkPage>;
}

/**
 * The POST of a single-use decision link: the use protocol above and the pages of its endings, shared by every
 * decision kind. Transient failures throw, leaving the link usable.
 */
export async function decideOnce<T>(
  deps: { links: LinkUseStore; now: () => Date; newId: () => string },
  link: IncidentLink,
  spec: OnceSpec<T>,
): Promise<LinkPage> {
  let once: SingleUse<T>;
  try {
    once = await useOnce(deps, link.claims, spec.run);
  } catch (error) {
    if (error instanceof NotFoundError) return { kind: 'not-found' };
    if (error instanceof DomainError && error.status < 500) {
      if (spec.refused) return spec.refused(error);
      return { kind: 'refused', incident: pageIncident(link.incident), reason: error.message };
    }
    throw error;
  }
  if (once.kind === 'used') return spec.used(once.use);
  if (once.kind === 'in-progress')
    return { kind: 'in-progress', incident: pageIncident(link.incident), action: spec.words };
  return spec.ran(once.value);
}
