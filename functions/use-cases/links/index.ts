import { dispatchOver } from './dispatch.ts';
import type { LinkDeps, LinkMeta, LinkQuery, LinkResult } from './kind.ts';
import { LINK_KINDS } from './registry.ts';

/**
 * What signed links do at `GET` and `POST /links/{token}` (LinkDecision): the one dispatch (dispatch.ts) over
 * every kind of the registry (registry.ts). The postmortem editor's kind there only redirects to the editor's own
 * route (editor-link.ts); its pages are served by editor-route.ts.
 */

export type { EditorQuery } from './editor.ts';
export type { LinkDeps, LinkKind, LinkMeta, LinkQuery, LinkResult } from './kind.ts';

const registered = dispatchOver(LINK_KINDS);

/** GET: what the link would do (or shows), or why it cannot. Never writes. */
export function viewLink(deps: LinkDeps, token: string, query: LinkQuery = {}): Promise<LinkResult> {
  return registered.viewLink(deps, token, query);
}

/** POST: decides or saves what the link was signed for (see dispatch.ts `LinkDispatch`). */
export function decideLink(
  deps: LinkDeps,
  token: string,
  form: URLSearchParams = new URLSearchParams(),
  meta: LinkMeta = {},
): Promise<LinkResult> {
  return registered.decideLink(deps, token, form, meta);
}
