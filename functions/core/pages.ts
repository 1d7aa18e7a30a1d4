import { createHash } from 'node:crypto';
import { escapeHtml } from './text.ts';

/**
 * The pages a signed link opens: a confirm page (GET, which changes nothing: mail scanners prefetch links) with
 * one form that posts back to the link, and the result pages of the decision (POST). Pure HTML without any
 * script; the one inline style is allowed by its hash, so the CSP needs no 'unsafe-inline'. Every value that
 * came from outside (summaries, addresses) is escaped.
 */

/** The incident as a link page shows it. */
export interface PageIncident {
  key: string;
  summary: string;
  severity: number;
  status: string;
}

/** What a link does, in words (from the link action registry). */
export interface ActionWords {
  /** The question the confirm page asks, e.g. "Acknowledge HOT-3?". */
  question: string;
  /** What pressing the button does, in a sentence. */
  consequence: string;
  /** The button label. */
  button: string;
  /** Headline after the decision, e.g. "You acknowledged HOT-3". */
  doneHeadline: string;
  /** What follows from the decision, in a sentence. */
  doneDetail: string;
  /** Headline when it had already been done, e.g. "HOT-3 was already acknowledged". */
  alreadyHeadline: string;
}

export type LinkPage =
  | {
      kind: 'confirm';
      incident: PageIncident;
      action: ActionWords;
      recipient: string;
      /** ISO time the link stops working. */
      expiresAt: string;
      /** Where the form posts: the link itself, as a relative URL (`./<token>`). */
      formAction: string;
    }
  | { kind: 'done'; incident: PageIncident; action: ActionWords; by: string; at: string }
  | { kind: 'already-done'; incident: PageIncident; action: ActionWords; by: string; at: string }
  /** Another use of the same link is being processed right now (a double click). */
  | { kind: 'in-progress'; incident: PageIncident; action: ActionWords }
  | { kind: 'expired' }
  /** Tampered, malformed, signed with a retired key, or naming an action or incident that does not match. */
  | { kind: 'invalid' }
  | { kind: 'resolved'; incident: PageIncident }
  /** The action cannot apply to the incident as it is now (our own message, e.g. a state rule). */
  | { kind: 'refused'; incident: PageIncident; reason: string }
  | { kind: 'not-found' }
  /** A dependency failed briefly: nothing was decided, the same link works again. */
  | { kind: 'unavailable' }
  | { kind: 'error' };

export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The whole style sheet. Its hash goes into the CSP, so it must be served byte for byte as it is here. */
export const PAGE_STYLE = [
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
  '@media (max-width:40rem){main{margin:0;border-radius:0;padding:1.5rem}}',
].join('\n');

/** CSP source for the style above, computed from the exact text at module load. */
export const PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(PAGE_STYLE, 'utf8').digest('base64')}`;

export const PAGE_CSP = [
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

const STATUS: Record<LinkPage['kind'], number> = {
  confirm: 200,
  done: 200,
  'already-done': 200,
  'in-progress': 409,
  expired: 410,
  invalid: 403,
  resolved: 409,
  refused: 409,
  'not-found': 404,
  unavailable: 503,
  error: 500,
};

/** The HTTP response of a link page. */
export function linkPageResponse(page: LinkPage): PageResponse {
  const headers = pageHeaders();
  if (page.kind === 'unavailable' || page.kind === 'in-progress') headers['retry-after'] = '2';
  return { statusCode: STATUS[page.kind], headers, body: renderLinkPage(page) };
}

/** `2026-11-20T10:00:00.000Z` -> `2026-11-20 10:00 UTC`. */
export function humanTime(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

const e = escapeHtml;

function incidentFacts(incident: PageIncident): string {
  return [
    '<dl>',
    `<dt>Incident</dt><dd>${e(incident.key)}</dd>`,
    `<dt>Severity</dt><dd>Sev ${e(String(incident.severity))}</dd>`,
    `<dt>Summary</dt><dd>${e(incident.summary)}</dd>`,
    `<dt>Status</dt><dd>${e(incident.status)}</dd>`,
    '</dl>',
  ].join('');
}

function page(tone: 'plain' | 'ok' | 'warn' | 'bad', title: string, content: string): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${e(title)} - Hotline</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    `<body class="${tone}">`,
    '<main>',
    '<p class="brand">Hotline</p>',
    content,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

export function renderLinkPage(model: LinkPage): string {
  switch (model.kind) {
    case 'confirm':
      return page(
        'plain',
        model.action.question,
        [
          `<h1>${e(model.action.question)}</h1>`,
          incidentFacts(model.incident),
          `<p>${e(model.action.consequence)}</p>`,
          `<p class="note">This link was sent to <strong>${e(model.recipient)}</strong> and records the decision as theirs. ` +
            `It works once, until ${e(humanTime(model.expiresAt))}. Opening this page changed nothing.</p>`,
          `<form method="post" action="${e(model.formAction)}">`,
          `<button type="submit">${e(model.action.button)}</button>`,
          '</form>',
        ].join('\n'),
      );
    case 'done':
      return page(
        'ok',
        model.action.doneHeadline,
        [
          `<h1>${e(model.action.doneHeadline)}</h1>`,
          incidentFacts(model.incident),
          `<p>${e(model.action.doneDetail)}</p>`,
          `<p class="note">Recorded for <strong>${e(model.by)}</strong> at ${e(humanTime(model.at))}. This link is now used up.</p>`,
        ].join('\n'),
      );
    case 'already-done':
      return page(
        'warn',
        model.action.alreadyHeadline,
        [
          `<h1>${e(model.action.alreadyHeadline)}</h1>`,
          incidentFacts(model.incident),
          `<p>Already done by <strong>${e(model.by)}</strong> at ${e(humanTime(model.at))}. Nothing was changed now.</p>`,
        ].join('\n'),
      );
    case 'in-progress':
      return page(
        'warn',
        'Already being processed',
        [
          '<h1>Already being processed</h1>',
          incidentFacts(model.incident),
          `<p>This link was just used and the decision is being recorded. Open the link again in a few seconds to see the result.</p>`,
        ].join('\n'),
      );
    case 'expired':
      return page(
        'bad',
        'This link has expired',
        [
          '<h1>This link has expired</h1>',
          '<p>Links in Hotline emails work for a limited time. Nothing was changed. Use a newer email, or act on the incident with the incident CLI or API.</p>',
        ].join('\n'),
      );
    case 'invalid':
      return page(
        'bad',
        'This link is not valid',
        [
          '<h1>This link is not valid</h1>',
          '<p>The link is incomplete or was changed (or signed with a key that has since been retired). Nothing was changed. Open the link exactly as it is in the email.</p>',
        ].join('\n'),
      );
    case 'resolved':
      return page(
        'warn',
        `${model.incident.key} is resolved`,
        [
          `<h1>${e(model.incident.key)} is already resolved</h1>`,
          incidentFacts(model.incident),
          '<p>There is nothing left to do with this link. Nothing was changed.</p>',
        ].join('\n'),
      );
    case 'refused':
      return page(
        'warn',
        'This cannot be done now',
        [
          '<h1>This cannot be done now</h1>',
          incidentFacts(model.incident),
          `<p>${e(model.reason.replace(/\.$/, ''))}. Nothing was changed.</p>`,
        ].join('\n'),
      );
    case 'not-found':
      return page(
        'bad',
        'Incident not found',
        [
          '<h1>Incident not found</h1>',
          '<p>The incident this link is for does not exist (any more). Nothing was changed.</p>',
        ].join('\n'),
      );
    case 'unavailable':
      return page(
        'bad',
        'Please try again',
        [
          '<h1>Please try again in a moment</h1>',
          '<p>Hotline could not reach one of its services, so the decision may not be recorded. The link still works: go back and press the button again.</p>',
        ].join('\n'),
      );
    case 'error':
      return page(
        'bad',
        'Something went wrong',
        [
          '<h1>Something went wrong</h1>',
          '<p>The decision could not be recorded. The link still works: try again later, or act on the incident with the incident CLI or API.</p>',
        ].join('\n'),
      );
  }
}
