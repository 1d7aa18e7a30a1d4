import type { LinkClaims } from '../core/links.ts';
import type { LinkUse, LinkUseStore } from './ports.ts';

/**
 * Single use of a signed link, on the table's one leased claim: the use is first claimed as `pending` by an
 * attempt id (one conditional write on the link id, so two requests cannot both hold it), then the action runs,
 * then the use is completed with what the action did. When the action fails, the attempt gives the use back (a
 * conditional delete) so the person can press the button again; when the attempt dies before it can (a Lambda
 * timeout or crash), a later request takes the pending use over once its lease has passed. The actions are idempotent, so repeating an
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
