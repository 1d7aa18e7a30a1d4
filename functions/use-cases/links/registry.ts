import { acknowledgeKind } from './acknowledge.ts';
import { actionCompleteKind } from './action-complete.ts';
import { approvalKind } from './approval.ts';
import { movedEditorKind } from './editor-link.ts';
import type { LinkKind } from './kind.ts';
import { responderKind } from './responder.ts';
import { scheduleFeedKind } from './schedule-feed.ts';
import { viewKind } from './view.ts';

/**
 * Every kind of signed link, once. A new kind is a module declaring a `LinkKind` (kind.ts) and one line here;
 * signing a link with an action not listed here makes a link that only ever answers "invalid".
 *
 * The postmortem editor is served by a function of its own (`/links/{token}/edit`, links/editor-route.ts): here it
 * is its declaration, whose GET and POST redirect there (editor-link.ts), so that this function does not bundle
 * the editor. The full kind (links/editor.ts) spreads the same declaration.
 */
export const LINK_KINDS: readonly LinkKind[] = [
  acknowledgeKind,
  viewKind,
  movedEditorKind,
  approvalKind,
  actionCompleteKind,
  responderKind,
  scheduleFeedKind,
];

const byAction = new Map<string, LinkKind>(LINK_KINDS.map((kind) => [kind.action, kind]));

/** The kind a link's `action` claim names, if it is one of ours. */
export function linkKindOf(action: string): LinkKind | undefined {
  return byAction.get(action);
}
