import type { Postmortem } from '../core/postmortem.ts';
import type { DocumentRendering } from '../core/postmortem-document.ts';

/**
 * The postmortem's Markdown renderer (core/document-render.ts: markdown-it, about 100 KB and most of a bundle's
 * module init) loaded on first use. esbuild puts a dynamically imported module in a chunk of its own beside the
 * bundle's entry (infra/bundling/function-bundling.ts splits), so a cold start of a function that holds it pays for
 * it only when a content is rendered for the first time (approval requested) or a document published before
 * renderings were kept is shown: never on the routes that only read or decide.
 */
let loading: Promise<typeof import('../core/document-render.ts')> | undefined;
const renderer = () => {
  loading ??= import('../core/document-render.ts');
  return loading;
};

/** See core/document-render.ts `renderDocumentSections`. */
export async function renderDocumentSections(
  pm: Pick<Postmortem, 'key' | 'fields' | 'actions'>,
): Promise<DocumentRendering> {
  return (await renderer()).renderDocumentSections(pm);
}

/** See core/document-render.ts `publishedPage`. */
export async function publishedPage(
  markdown: string,
  title: string,
  corrections: readonly string[] = [],
): Promise<string> {
  return (await renderer()).publishedPage(markdown, title, corrections);
}
