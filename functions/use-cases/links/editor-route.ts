import { dispatchOver } from './dispatch.ts';
import { editorKind } from './editor.ts';
import type { LinkDeps, LinkMeta, LinkQuery, LinkResult } from './kind.ts';

/**
 * The postmortem editor's own route, `GET` and `POST /links/{token}/edit` (the PostmortemEditor function): the
 * one dispatch (dispatch.ts) over the editor's kind alone, so that this function carries none of the other kinds
 * and the link pages' function none of the editor. The token is verified exactly as at `/links/{token}`; a link
 * of any other kind is invalid here. An expired editor link offers a fresh one (the kind's `onExpired`).
 */

const editor = dispatchOver([editorKind]);

/** GET: the editor (or why it cannot be shown; expired, the offer of a fresh link). Never writes. */
export function viewEditorLink(deps: LinkDeps, token: string, query: LinkQuery = {}): Promise<LinkResult> {
  return editor.viewLink(deps, token, query);
}

/** POST: the editor's save (or its other forms), or, expired, the fresh link mailed to the owner. */
export function decideEditorLink(
  deps: LinkDeps,
  token: string,
  form: URLSearchParams = new URLSearchParams(),
  meta: LinkMeta = {},
): Promise<LinkResult> {
  return editor.decideLink(deps, token, form, meta);
}
