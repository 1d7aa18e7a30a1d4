import MarkdownIt, { type MarkdownIt as MarkdownRenderer } from 'markdown-it';
import { contentHash } from './approvals.ts';
import { html, joinHtml, NEWLINE, raw } from './html/html.ts';
import { pageShell } from './html/page.ts';
import type { DocumentHtml } from './pages.ts';
import type { Postmortem } from './postmortem.ts';
import {
  allowedLink,
  type DocumentRendering,
  documentSectionsMarkdown,
  EMAIL_STYLES,
} from './postmortem-document.ts';

/**
 * The one module that imports markdown-it (about 100 KB of a bundle, and most of its start time): the HTML of the
 * postmortem's Markdown, raw HTML off, no linkify, no images, only http(s)/mailto links. Only the functions that
 * render a content for the first time (when approval is requested) or read a document published before
 * renderings were kept bundle it; the others show and mail the kept rendering (`documentHtml`).
 */

function renderer(emailStyles: boolean): MarkdownRenderer {
  const md = new MarkdownIt('default', {
    html: false,
    linkify: false,
    typographer: false,
    breaks: true,
  });
  // Nothing of ours is an image, and an image in a mail is a remote load: `![x](url)` stays text and a link.
  md.disable(['image']);
  md.validateLink = allowedLink;
  md.core.ruler.push('hotline_attributes', (state) => {
    const walk = (tokens: typeof state.tokens) => {
      for (const token of tokens) {
        if (token.type === 'link_open') token.attrSet('rel', 'noopener noreferrer');
        const style = emailStyles && token.nesting === 1 ? EMAIL_STYLES[token.tag] : undefined;
        if (style) token.attrSet('style', style);
        if (token.children) walk(token.children);
      }
    };
    walk(state.tokens);
  });
  return md;
}

// Made on first use.
let pageRenderer: MarkdownRenderer | undefined;
let emailRenderer: MarkdownRenderer | undefined;

/** The document's HTML (a fragment) for pages: the document page and the approver's confirm page. */
export function publishedHtml(markdown: string): DocumentHtml {
  pageRenderer ??= renderer(false);
  return pageRenderer.render(markdown) as DocumentHtml;
}

/** The document's HTML (a fragment) for mails: every style inline, no script, nothing remote. */
export function publishedEmailHtml(markdown: string): string {
  emailRenderer ??= renderer(true);
  return emailRenderer.render(markdown);
}

/**
 * The document as a page of its own (`GET /incidents/{key}/postmortem/document` as `text/html`): the shell and
 * look of every page (its CSP allows the one style sheet by hash; no script). Serve it with `pageHeaders()`.
 */
export function publishedPage(markdown: string, title: string, corrections: readonly string[] = []): string {
  return pageShell(
    'plain',
    title,
    joinHtml(
      [
        // raw: markdown-it's output with HTML input off, its text escaped and its links checked (renderer above).
        html`<article class="document">\n${raw(publishedHtml(markdown))}</article>`,
        corrections.length > 0 &&
          html`<aside class="box warn" aria-label="Corrections since publication"><p><strong>Corrected since publication</strong> (the approved text above is kept as it was approved):</p><ul>${corrections.map(
            (line) => html`<li>${line}</li>`,
          )}</ul></aside>`,
      ],
      NEWLINE,
    ),
    { wide: true },
  );
}

/** The sections of one content, rendered for pages and for mails: made once per content hash and kept. */
export function renderDocumentSections(
  pm: Pick<Postmortem, 'key' | 'fields' | 'actions'>,
): DocumentRendering {
  const sections = documentSectionsMarkdown(pm);
  return {
    contentHash: contentHash(pm),
    page: { main: publishedHtml(sections.main), external: publishedHtml(sections.external) },
    email: { main: publishedEmailHtml(sections.main), external: publishedEmailHtml(sections.external) },
  };
}

/** A whole mail-safe HTML document of it (for a mail that is the document alone). */
export function publishedEmailDocument(markdown: string, title: string): string {
  return joinHtml(
    [
      html`<!doctype html><html><head><meta charset="utf-8">`,
      html`<title>${title}</title></head>`,
      html`<body style="margin:0;padding:16px;font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;font-size:15px;line-height:1.5;color:#1b1f24">`,
      html`<div style="max-width:720px">`,
      // raw: markdown-it's output with HTML input off, its text escaped and its links checked (renderer above).
      raw(publishedEmailHtml(markdown)),
      html`</div></body></html>`,
    ],
    NEWLINE,
  ).toString();
}
