import { verifyLink } from '../../core/links.ts';
import type { LinkDeps, LinkKind, LinkMeta, LinkQuery, LinkResult, SignedLink } from './kind.ts';
import { linkKindOf } from './registry.ts';

/**
 * What signed links do (`GET` and `POST /links/{token}`), the one place a link's action is dispatched on:
 * verify the token, look its kind up in the registry (registry.ts), bind it (an incident-bound kind gets its
 * incident, whose key must be the signed one) and call the kind's `get` or `post`. `viewLink` (GET) only reads:
 * mail scanners prefetch every link in a mail. `decideLink` (POST) decides or saves what the link was signed for.
 * A kind's own module says what it shows, what it decides, its binding and its lifetime (start at kind.ts).
 */

export type { EditorQuery } from './editor.ts';
export type { LinkDeps, LinkKind, LinkMeta, LinkQuery, LinkResult } from './kind.ts';

type Checked =
  | { ok: true; kind: LinkKind; link: SignedLink }
  | { ok: false; page: LinkResult }
  | { ok: false; expired: NonNullable<LinkKind['onExpired']>; link: SignedLink };

/** Signature, expiry and kind. Reads nothing. */
function verify(deps: LinkDeps, token: string): Checked {
  const verified = verifyLink(token, deps.keys, deps.now());
  if (!verified.ok && verified.reason === 'expired') {
    const onExpired = linkKindOf(verified.claims.action)?.onExpired;
    if (onExpired) return { ok: false, expired: onExpired, link: { token, claims: verified.claims } };
    return { ok: false, page: { kind: 'expired' } };
  }
  if (!verified.ok) return { ok: false, page: { kind: 'invalid' } };
  const kind = linkKindOf(verified.claims.action);
  if (!kind) return { ok: false, page: { kind: 'invalid' } };
  return { ok: true, kind, link: { token, claims: verified.claims } };
}

/** Calls the kind with its binding: an incident-bound kind gets its incident, and only the one it was signed for. */
async function bound(
  deps: LinkDeps,
  kind: LinkKind,
  link: SignedLink,
  call: {
    get?: LinkQuery;
    post?: { form: URLSearchParams; meta: LinkMeta };
  },
): Promise<LinkResult> {
  if (!kind.incidentBound) {
    return call.post
      ? kind.post(deps, link, call.post.form, call.post.meta)
      : kind.get(deps, link, call.get ?? {});
  }
  const incident = await deps.incidents.get(link.claims.incidentId);
  if (!incident) return { kind: 'not-found' };
  // The key is signed too: a link whose key and incident disagree was not made by us for this incident.
  if (incident.key !== link.claims.key) return { kind: 'invalid' };
  const withIncident = { ...link, incident };
  return call.post
    ? kind.post(deps, withIncident, call.post.form, call.post.meta)
    : kind.get(deps, withIncident, call.get ?? {});
}

/** GET: what the link would do (or shows), or why it cannot. Never writes. */
export async function viewLink(deps: LinkDeps, token: string, query: LinkQuery = {}): Promise<LinkResult> {
  const checked = verify(deps, token);
  if (!checked.ok) return 'page' in checked ? checked.page : checked.expired.get(deps, checked.link);
  return bound(deps, checked.kind, checked.link, { get: query });
}

/**
 * POST: decides or saves what the link was signed for. Transient failures throw, leaving the link usable. `form`
 * is read by the kinds that take one (the editor's save, an approval's comment, an expired editor link's one
 * form); every other link decides what it was signed for and nothing else.
 */
export async function decideLink(
  deps: LinkDeps,
  token: string,
  form: URLSearchParams = new URLSearchParams(),
  meta: LinkMeta = {},
): Promise<LinkResult> {
  const checked = verify(deps, token);
  if (!checked.ok) {
    if ('page' in checked) return checked.page;
    return (await checked.expired.post(deps, checked.link, form)) ?? checked.expired.get(deps, checked.link);
  }
  return bound(deps, checked.kind, checked.link, { post: { form, meta } });
}
