import { EDITOR_PATH_SEGMENT } from '../../core/links.ts';
import type { LinkPage } from '../../core/pages.ts';
import type { ExpiredHandler, LinkQuery, SignedLink, UnboundLinkKind } from './kind.ts';

/**
 * The postmortem owner's editor link, as the link pages' function (`/links/{token}`, LinkDecision) knows it: the
 * kind's declaration and nothing of the editor. The editor is served by a function of its own at
 * `/links/{token}/edit` (PostmortemEditor, links/editor.ts), which carries the editor's pages and the Markdown
 * renderer; links minted since point there (core/links.ts `postmortemEditorUrl`). An editor link mailed before
 * (the bare `/links/{token}`) is answered here with 307 Temporary Redirect to its `/edit` address: the method and
 * the body are kept (a save posted from a page opened before the move still saves), and so is a GET's query
 * (`?saved=`). Expired, it is redirected too: the editor function offers the fresh link.
 */
export const EDIT_POSTMORTEM_ACTION = 'edit-postmortem';

/** What the editor link is, in the registry's words: declared once, here, and spread into the editor's kind. */
export const editorLinkDeclaration = {
  action: EDIT_POSTMORTEM_ACTION,
  family: 'working-page',
  binding:
    'the recipient (each save is recorded as theirs) and the incident; each save names the version it edits',
  lifetime: '`editorLinkDays` from when it was mailed; expired, it offers a fresh link mailed to the owner',
} as const;

/** Where the editor page's own forms and redirects point: itself, relative to `/links/<token>/edit`. */
export const EDITOR_SELF = `./${EDITOR_PATH_SEGMENT}`;

/** The editor's address relative to the bare link (`/links/<token>` -> `/links/<token>/edit`), with a GET's query. */
export function editorLocation(link: SignedLink, query: LinkQuery = {}): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined) search.set(name, value);
  const rest = search.toString();
  return `./${link.token}/${EDITOR_PATH_SEGMENT}${rest ? `?${rest}` : ''}`;
}

const moved = (link: SignedLink, query?: LinkQuery): Promise<LinkPage> =>
  Promise.resolve({ kind: 'moved', location: editorLocation(link, query) });

const movedWhenExpired: ExpiredHandler = {
  get: (_deps, link) => moved(link),
  post: (_deps, link) => moved(link),
};

/**
 * The registry's editor kind (LinkDecision): every GET and POST of a verified editor link, expired or not, is
 * redirected to the editor's route. It reads nothing (hence not incident-bound here: the signature is all a
 * redirect needs, and the editor function binds the link to its incident before showing anything).
 */
export const movedEditorKind: UnboundLinkKind = {
  ...editorLinkDeclaration,
  incidentBound: false,
  get: (_deps, link, query) => moved(link, query),
  post: (_deps, link) => moved(link),
  onExpired: movedWhenExpired,
};
