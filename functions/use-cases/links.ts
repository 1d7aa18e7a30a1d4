/**
 * Signed links (`/links/{token}`): one registry of link kinds, each kind in its own module under `links/`. Start
 * at links/kind.ts (what a kind declares), then links/registry.ts (every kind, once) and links/index.ts (the one
 * dispatch). This module keeps the names others import.
 */
export { ACKNOWLEDGE_ACTION } from './links/acknowledge.ts';
export type { EditorQuery } from './links/editor.ts';
export { EDIT_POSTMORTEM_ACTION } from './links/editor-link.ts';
export { decideEditorLink, viewEditorLink } from './links/editor-route.ts';
export {
  decideLink,
  type LinkDeps,
  type LinkKind,
  type LinkMeta,
  type LinkQuery,
  type LinkResult,
  viewLink,
} from './links/index.ts';
export type { LinkAction, LinkDecision } from './links/response-action.ts';
export { VIEW_ACTION } from './view-links.ts';
