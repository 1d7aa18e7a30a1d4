/**
 * The page shell: the one style sheet (allowed by its hash in the CSP), the headers every page behind a token
 * answers with, and the document every page is wrapped in. Content goes in as `SafeHtml` only.
 */
import { createHash } from 'node:crypto';
import { EMPTY, html, joinHtml, NEWLINE, raw, type SafeHtml } from './html.ts';

export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The whole style sheet. Its hash goes into the CSP, so it must be served byte for byte as it is here. */
export const PAGE_STYLE = /* @__PURE__ */ [
  'body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f2f4f7}',
  'main{max-width:36rem;margin:3rem auto;padding:2rem 2.25rem;background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(16,24,40,.12)}',
  '.brand{margin:0 0 1.25rem;font-size:.75rem;font-weight:700;letter-spacing:.1em;text-transform:uppercase;color:#667085}',
  'h1{margin:0 0 1.25rem;font-size:1.5rem;line-height:1.3}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.25rem;margin:0 0 1.5rem;padding:1rem 1.25rem;background:#f9fafb;border-radius:8px}',
  'dt{color:#667085}dd{margin:0;overflow-wrap:anywhere}',
  '.note{font-size:.9rem;color:#475467}',
  'button{font:inherit;font-weight:600;padding:.75rem 1.5rem;margin-top:.5rem;border:0;border-radius:8px;background:#b42318;color:#fff;cursor:pointer}',
  'button:hover{background:#912018}button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}',
  '.ok h1{color:#067647}.warn h1{color:#b54708}.bad h1{color:#b42318}',
  'h2{margin:1.75rem 0 .5rem;font-size:1.1rem}h3{margin:1rem 0 .25rem;font-size:.95rem;color:#475467}',
  'ul{margin:0;padding-left:1.25rem}li{margin:.2rem 0;overflow-wrap:anywhere}a{color:#1d4ed8}',
  '.tl{list-style:none;padding:0}.tl li{display:grid;grid-template-columns:5.5rem 1fr;gap:.75rem}',
  '.tl time{color:#667085;font-variant-numeric:tabular-nums}.muted{color:#667085}',
  '@media (max-width:40rem){main{margin:0;border-radius:0;padding:1.5rem}}',
  // Forms (the postmortem editor): one column of labelled controls, notices in boxes, a save bar that stays.
  '.wide main{max-width:48rem}.lead{margin:-.75rem 0 1.25rem;color:#475467}',
  '.box{margin:0 0 1rem;padding:.6rem 1rem;border:1px solid;border-radius:8px}.box p{margin:.3rem 0}.box ul{margin:.3rem 0}',
  '.box.ok{background:#ecfdf3;border-color:#abefc6}.box.warn{background:#fffaeb;border-color:#fedf89}.box.bad{background:#fef3f2;border-color:#fecdca}',
  '.field{margin:0 0 1rem}label{display:block;font-weight:600;margin:0 0 .2rem}label.sub{font-weight:500;font-size:.875rem;color:#475467}',
  '.hint{margin:0 0 .4rem;font-size:.875rem;color:#667085}',
  'input[type=text],textarea,select{box-sizing:border-box;width:100%;font:inherit;padding:.5rem .65rem;border:1px solid #d0d5dd;border-radius:6px;background:#fff;color:inherit}',
  'textarea{resize:vertical;min-height:5.5rem}input:focus-visible,textarea:focus-visible,select:focus-visible{outline:3px solid #1d4ed8;outline-offset:1px}',
  '[aria-invalid=true],fieldset.invalid{border-color:#b42318;box-shadow:0 0 0 1px #b42318}',
  'fieldset{margin:0 0 1.25rem;padding:.75rem 1rem .25rem;border:1px solid #eaecf0;border-radius:8px;min-width:0}legend{font-weight:600;padding:0 .3rem}',
  '.choice{display:flex;gap:.6rem;align-items:flex-start;font-weight:400;margin:0 0 .75rem}.choice input{margin-top:.35rem;flex:none}.todo{color:#475467;font-size:.9rem}',
  '.trow,.pair{display:grid;grid-template-columns:15.5rem minmax(0,1fr);gap:0 .75rem;margin:0 0 .6rem}.pair{grid-template-columns:repeat(2,minmax(0,1fr))}',
  '.theirs{margin:.5rem 0 1rem;padding:.5rem .75rem;border-left:4px solid #b54708;background:#fffaeb}.theirs-head{margin:0 0 .25rem;font-weight:600;font-size:.9rem}',
  '.taken{margin:.35rem 0 0;padding-left:.75rem;border-left:4px solid #067647;font-size:.875rem;color:#067647}',
  '.pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}details{margin:0 0 1rem}summary{cursor:pointer;color:#1d4ed8}',
  'dl.guide{grid-template-columns:1fr;gap:0}dl.guide dt{font-weight:600;color:inherit}dl.guide dd{margin:0 0 .6rem}',
  '.savebar{position:sticky;bottom:0;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:1.5rem 0 0;padding:.75rem 0;background:#fff;border-top:1px solid #eaecf0}.savebar button,.savebar .hint{margin:0}',
  '@media (max-width:40rem){.trow,.pair{grid-template-columns:minmax(0,1fr)}}',
  // The postmortem document: boxed on an approver's confirm page, plain on its own page.
  '.doc{margin:1rem 0 1.5rem;padding:0 1.25rem .5rem;border:1px solid #eaecf0;border-radius:8px}.doc h1{font-size:1.25rem;margin-top:1rem}.doc p,.document p{overflow-wrap:anywhere}.doc ol,.document ol{padding-left:1.5rem}button.approve{background:#067647}button.approve:hover{background:#05603a}',
  // The responder page: forms a phone at night can work (big targets, one column), the rest folded.
  'input[type=url],input[type=number]{box-sizing:border-box;width:100%;font:inherit;padding:.5rem .65rem;border:1px solid #d0d5dd;border-radius:6px;background:#fff;color:inherit}',
  'button.primary{background:#1d4ed8}button.primary:hover{background:#1e40af}.rform button{width:100%;margin:.25rem 0 .5rem}',
  '.duo{display:grid;grid-template-columns:repeat(2,minmax(0,1fr));gap:0 .75rem}',
  'details.fold{margin:0 0 .75rem;border:1px solid #d0d5dd;border-radius:8px}details.fold>summary{padding:.8rem 1rem;font-weight:600}details.fold>form{padding:0 1rem .5rem}',
  'details.fold[open]>summary{border-bottom:1px solid #eaecf0;margin:0 0 1rem}details.danger{border-color:#fecdca}details.danger>summary{color:#b42318}',
  '.rsection{margin:0 0 1.5rem}.rsection h2{margin-top:.5rem}.choice input[type=radio],.choice input[type=checkbox]{width:1.25rem;height:1.25rem}',
  '.places{display:flex;flex-wrap:wrap;gap:.5rem;margin:0 0 1.25rem}.places a{padding:.5rem .9rem;border:1px solid #d0d5dd;border-radius:8px;text-decoration:none;font-weight:600}',
  '.incident{margin-top:2rem;padding-top:1rem;border-top:2px solid #eaecf0}.incident h1{font-size:1.15rem}.who{margin:0 0 1rem;color:#475467}.rform>.hint:first-of-type{margin-bottom:1rem}',
  '@media (max-width:40rem){.incident dl{grid-template-columns:minmax(0,1fr);padding:.75rem 1rem}.incident dt{font-size:.875rem}.incident dd{margin:0 0 .5rem}}',
  // The postmortem editor, folded: each part of the template a fold, Save the primary button, add-a-row secondary.
  '.fold-status{margin-left:.4rem;font-weight:400;font-size:.875rem;color:#667085}.fold-status.attention{color:#b42318;font-weight:600}',
  'details.fold>.fold-body{padding:0 1rem .25rem}.fold-body>fieldset{border:0;padding:0;margin:0 0 .75rem}.fold-body>fieldset>legend{position:absolute;left:-10000px}',
  'button.secondary{background:#fff;color:#1d4ed8;border:1px solid #d0d5dd;padding:.55rem 1rem;margin:0 0 .4rem}button.secondary:hover{background:#eff4ff}',
  '.addrow{margin:.25rem 0 0}.default-submit{position:absolute;left:-10000px;width:1px;height:1px;overflow:hidden}form.form{position:relative}',
  '.preview h3{margin:1rem 0 .15rem}.preview ol,.preview .tlist{margin:.25rem 0}.preview .tlist{list-style:none;padding:0}code{font-size:.875em;background:#f2f4f7;padding:0 .2rem;border-radius:4px}',
].join('\n');

/**
 * CSP source for the style above, computed from the exact text at module load. The pure marks (here and on the
 * joins) tell esbuild these have no side effects: a bundle that imports this module for something else (the
 * status page's address) then leaves out the style sheet and its hash.
 */
export const PAGE_STYLE_HASH = /* @__PURE__ */ (() =>
  `sha256-${createHash('sha256').update(PAGE_STYLE, 'utf8').digest('base64')}`)();

export const PAGE_CSP = /* @__PURE__ */ [
  "default-src 'none'",
  `style-src '${PAGE_STYLE_HASH}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers of every link page: never cached (the URL is a credential), never framed, never referred. */
export function pageHeaders(): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'x-robots-tag': 'noindex, nofollow',
  };
}

/** The shell every page shares (link pages, the status page, the editor): one look, the style its CSP allows by hash. */
export function pageShell(
  tone: 'plain' | 'ok' | 'warn' | 'bad',
  title: string,
  content: SafeHtml,
  options: { wide?: boolean } = {},
): string {
  return joinHtml(
    [
      html`<!doctype html>`,
      html`<html lang="en">`,
      html`<head>`,
      html`<meta charset="utf-8">`,
      html`<meta name="viewport" content="width=device-width, initial-scale=1">`,
      html`<meta name="referrer" content="no-referrer">`,
      html`<meta name="robots" content="noindex, nofollow">`,
      html`<title>${title} - Hotline</title>`,
      // raw: the style sheet is ours and constant; the CSP allows it by its hash, so it must go in byte for byte.
      html`<style>${raw(PAGE_STYLE)}</style>`,
      html`</head>`,
      html`<body class="${tone}${options.wide ? ' wide' : ''}">`,
      html`<main>`,
      html`<p class="brand">Hotline</p>`,
      content,
      html`</main>`,
      html`</body>`,
      html`</html>`,
      EMPTY,
    ],
    NEWLINE,
  ).toString();
}

/**
 * A form too large to read (413): nothing was saved, and the text is still in the browser's form. The editor's
 * form is the large one; the link pages' function answers it too (a save posted to an editor link's old address).
 */
export function formTooLargeResponse(maxBytes: number): PageResponse {
  return {
    statusCode: 413,
    headers: pageHeaders(),
    body: pageShell(
      'bad',
      'Too much to save at once',
      joinHtml(
        [
          html`<h1>Too much to save at once</h1>`,
          html`<p>The form is larger than ${String(Math.round(maxBytes / 1024))} KB, so nothing was saved. Go back (your text is still in the form), shorten the longest fields or attach long material by link, and save again.</p>`,
        ],
        NEWLINE,
      ),
    ),
  };
}
