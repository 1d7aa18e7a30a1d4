import { verifyLink } from '../../core/links.ts';
import type { LinkDeps, LinkKind, LinkMeta, LinkQuery, LinkResult, SignedLink } from './kind.ts';

/**
 * The one dispatch of signed links, over the kinds a route serves: verify the token, look its kind up among
 * them, bind it (an incident-bound kind gets its incident, whose key must be the signed one) and call the kind's
 * `get` or `post`. `viewLink` (GET) only reads: mail scanners prefetch every link in a mail. `decideLink` (POST)
 * decides or saves what the link was signed for. A kind's own module says what it shows, what it decides, its
 * binding and its lifetime (start at kind.ts).
 *
 * `/links/{token}` (LinkDecision) dispatches over the registry (registry.ts, index.ts); `/links/{token}/edit`
 * (PostmortemEditor) over the editor's kind alone (editor-route.ts), so that neither function bundles the
 * other's kinds. A link of a kind its route does not serve is invalid there.
 */

export interface LinkDispatch {
  /** GET: what the link would do (or shows), or why it cannot. Never writes. */
  viewLink(deps: LinkDeps, token: string, query?: LinkQuery): Promise<LinkResult>;
  /**
   * POST: decides or saves what the link was signed for. Transient failures throw, leaving the link usable.
   * `form` is read by the kinds that take one (the editor's save, an approval's comment, an expired editor link's
   * one form); every other link decides what it was signed for and nothing else.
   */
  decideLink(deps: LinkDeps, token: string, form?: URLSearchParams, meta?: LinkMeta): Promise<LinkResult>;
}

type Checked =
  | { ok: true; kind: LinkKind; link: SignedLink }
  | { ok: false; page: LinkResult }
  | { ok: false; expired: NonNullable<LinkKind['onExpired']>; link: SignedLink };

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

/** The dispatch over `kinds` (each action once). */
export function dispatchOver(kinds: readonly LinkKind[]): LinkDispatch {
  const byAction = new Map<string, LinkKind>(kinds.map((kind) => [kind.action, kind]));
  if (byAction.size !== kinds.length) throw new Error('dispatchOver: a link action is declared twice');

  /** Signature, expiry and kind. Reads nothing. */
  const verify = (deps: LinkDeps, token: string): Checked => {
    const verified = verifyLink(token, deps.keys, deps.now());
    if (!verified.ok && verified.reason === 'expired') {
      const onExpired = byAction.get(verified.claims.action)?.onExpired;
      if (onExpired) return { ok: false, expired: onExpired, link: { token, claims: verified.claims } };
      return { ok: false, page: { kind: 'expired' } };
    }
    if (!verified.ok) return { ok: false, page: { kind: 'invalid' } };
    const kind = byAction.get(verified.claims.action);
    if (!kind) return { ok: false, page: { kind: 'invalid' } };
    return { ok: true, kind, link: { token, claims: verified.claims } };
  };

  return {
    async viewLink(deps, token, query = {}) {
      const checked = verify(deps, token);
      if (!checked.ok) return 'page' in checked ? checked.page : checked.expired.get(deps, checked.link);
      return bound(deps, checked.kind, checked.link, { get: query });
    },
    async decideLink(deps, token, form = new URLSearchParams(), meta = {}) {
      const checked = verify(deps, token);
      if (!checked.ok) {
        if ('page' in checked) return checked.page;
        return (
          (await checked.expired.post(deps, checked.link, form)) ?? checked.expired.get(deps, checked.link)
        );
      }
      return bound(deps, checked.kind, checked.link, { post: { form, meta } });
    },
  };
}
