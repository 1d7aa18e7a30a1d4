import { contentHash } from '../core/approvals.ts';
import type { DocumentHtml } from '../core/pages.ts';
import type { Postmortem } from '../core/postmortem.ts';
import {
  type DocumentContext,
  type DocumentVersion,
  documentHtml,
  plainSections,
  type RenderedSections,
} from '../core/postmortem-document.ts';
import type { PostmortemDeps } from './postmortems.ts';

/**
 * The HTML of this content's sections in one version: kept (rendered once, by content hash), else rendered now
 * where the function bundles the renderer (`deps.renderDocument`: the functions that ask approvers) and kept
 * unless `keep` is false (a GET writes nothing), else plain (a content asked about before renderings were kept,
 * read where no renderer is bundled).
 */
export async function sectionsOf(
  deps: Pick<PostmortemDeps, 'postmortems' | 'renderDocument'>,
  postmortem: Postmortem,
  version: DocumentVersion,
  { keep = true }: { keep?: boolean } = {},
): Promise<RenderedSections> {
  const kept = await deps.postmortems.rendering(postmortem.incidentId, contentHash(postmortem), version);
  if (kept) return kept;
  if (!deps.renderDocument) return plainSections(postmortem, version);
  const rendering = await deps.renderDocument(postmortem);
  if (keep) await deps.postmortems.putRendering(postmortem.incidentId, rendering);
  return rendering[version];
}

/** The whole document as HTML in one version, its sections as `sectionsOf` gives them. */
export async function documentHtmlOf(
  deps: Pick<PostmortemDeps, 'postmortems' | 'renderDocument'>,
  postmortem: Postmortem,
  context: DocumentContext,
  version: DocumentVersion,
  options: { keep?: boolean } = {},
): Promise<DocumentHtml> {
  return documentHtml(postmortem, context, await sectionsOf(deps, postmortem, version, options), version);
}
