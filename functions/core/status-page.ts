import { createHash } from 'node:crypto';
import type { Organisation } from './config.ts';
import { EMPTY, html, joinHtml, NEWLINE, type SafeHtml } from './html/html.ts';
import { PAGE_CSP, pageShell } from './html/page.ts';
import { digest } from './keys.ts';
import { humanTime } from './pages.ts';

/**
 * The public status page (`/status`, `/status.json`, `/status.atom`): open incidents and those resolved in the
 * last days, in their external wording only. It renders a public projection of each incident (`StatusEntry`,
 * written by the comms rounds), never the incident itself, so internal text, names, addresses, alerts, keys and
 * links cannot reach it by construction. Pure functions of that projection.
 */

/** Resolved incidents stay on the page this many days after their resolution. */
export const RECENT_DAYS = 7;

/** One external update as it was published (the initial wording, a person's external text, the final wording). */
export interface StatusUpdate {
  /** Which comms round published it (`initial-1`, `update-3`, `final-1`): a round is published once. */
  id: string;
  at: string;
  text: string;
}

/** The public projection of one incident. */
export interface StatusEntry {
  /** Opaque, derived from the incident id: never the incident key. */
  publicId: string;
  openedAt: string;
  resolvedAt?: string;
  /** The affected products, as the external wording names them. */
  products: string[];
  /** Oldest first. */
  updates: StatusUpdate[];
}

export type StatusFormat = 'html' | 'json' | 'atom';

export interface StatusPageModel {
  title: string;
  /** The absolute URL of `/status` (for the feed's links), or undefined when the base URL is unknown. */
  pageUrl?: string;
  /** When the page is rendered (ISO). */
  now: string;
  entries: StatusEntry[];
}

export interface StatusResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** An incident's public id: a digest of its id, stable, and telling nothing about the incident. */
export function publicStatusId(incidentId: string): string {
  return digest(`status-page#${incidentId}`);
}

/** The page's title: the organisation's, else `<sender name> status`. */
export function statusPageTitle(org: Pick<Organisation, 'statusPage' | 'sender'>): string {
  return org.statusPage?.title ?? `${org.sender.name} status`;
}

/** `<base>/status`, or undefined without a base URL (then the wording names no place). */
export function statusPageUrl(baseUrl: string | undefined): string | undefined {
  const base = baseUrl?.replace(/\/+$/, '');
  return base ? `${base}/status` : undefined;
}

/** The earliest resolution time still shown at `now`. */
export function recentSince(now: Date): string {
  return new Date(now.getTime() - RECENT_DAYS * 86_400_000).toISOString();
}

/**
 * What the page shows at `now`: every open entry (whatever its age) and those resolved since `recentSince`;
 * open ones first (newest first), then resolved ones (most recently resolved first). Entries without an update
 * are left out (there is nothing public to say).
 */
export function currentEntries(entries: readonly StatusEntry[], now: Date): StatusEntry[] {
  const since = recentSince(now);
  const shown = entries.filter(
    (entry) => entry.updates.length > 0 && (entry.resolvedAt === undefined || entry.resolvedAt >= since),
  );
  const sortKey = (entry: StatusEntry) => entry.resolvedAt ?? `~${entry.openedAt}`;
  return shown.sort((a, b) => (sortKey(a) < sortKey(b) ? 1 : sortKey(a) > sortKey(b) ? -1 : 0));
}

const isResolved = (entry: StatusEntry) => entry.resolvedAt !== undefined;

/** The status in plain words. */
export function statusWords(entry: StatusEntry): 'Investigating' | 'Resolved' {
  return isResolved(entry) ? 'Resolved' : 'Investigating';
}

/** Newest first. */
function newestFirst(updates: readonly StatusUpdate[]): StatusUpdate[] {
  return [...updates].sort((a, b) => (a.at < b.at ? 1 : a.at > b.at ? -1 : a.id < b.id ? 1 : -1));
}

/** `Checkout, Payments and Search`. */
export function productsText(products: readonly string[]): string {
  if (products.length <= 1) return products[0] ?? '';
  return `${products.slice(0, -1).join(', ')} and ${products.at(-1)}`;
}

/** The newest update time of all entries: when the page (and the feed) last changed. */
function lastChanged(entries: readonly StatusEntry[]): string | undefined {
  let newest: string | undefined;
  for (const entry of entries) {
    for (const time of [...entry.updates.map((u) => u.at), entry.resolvedAt]) {
      if (time !== undefined && (newest === undefined || time > newest)) newest = time;
    }
  }
  return newest;
}

const anchor = (entry: StatusEntry) => `incident-${entry.publicId}`;

/**
 * Heading text (escaped) in which a very long word may break: headings have no overflow-wrap in the shared
 * style, and one long product name must not make a phone scroll sideways.
 */
function breakable(text: string): SafeHtml {
  return joinHtml(
    text
      .split(/(\S{24,})/u)
      .map((part, i) => (i % 2 === 1 ? joinHtml(part.match(/.{1,16}/gu) ?? [], html`<wbr>`) : part)),
  );
}

function entryHtml(entry: StatusEntry): SafeHtml {
  const updates = newestFirst(entry.updates);
  const first = entry.updates.reduce<string | undefined>(
    (min, u) => (!min || u.at < min ? u.at : min),
    undefined,
  );
  // A fact that is not there leaves its line empty (EMPTY, still joined): the page's source stays as it was.
  return joinHtml(
    [
      html`<section id="${anchor(entry)}">`,
      html`<h2>${breakable(productsText(entry.products))}</h2>`,
      html`<dl>`,
      html`<dt>Status</dt><dd>${statusWords(entry)}</dd>`,
      first ? html`<dt>Since</dt><dd>${humanTime(first)}</dd>` : EMPTY,
      entry.resolvedAt ? html`<dt>Resolved</dt><dd>${humanTime(entry.resolvedAt)}</dd>` : EMPTY,
      html`</dl>`,
      html`<ul>`,
      ...updates.map(
        (u) => html`<li><time class="muted" datetime="${u.at}">${humanTime(u.at)}</time><br>${u.text}</li>`,
      ),
      html`</ul>`,
      html`</section>`,
    ],
    NEWLINE,
  );
}

/** The HTML page: the look of every Hotline page, no script, nothing but the public projection. */
export function renderStatusHtml(model: StatusPageModel): string {
  const open = model.entries.filter((entry) => !isResolved(entry));
  const resolved = model.entries.filter(isResolved);
  const headline =
    open.length === 0
      ? 'No incidents right now.'
      : `${open.length} incident${open.length === 1 ? '' : 's'} under investigation.`;
  const changed = lastChanged(model.entries);
  return pageShell(
    open.length === 0 ? 'ok' : 'warn',
    model.title,
    joinHtml(
      [
        html`<h1>${breakable(model.title)}</h1>`,
        html`<p>${headline}</p>`,
        ...open.map(entryHtml),
        html`<hr>`,
        html`<p class="brand">Resolved in the last ${RECENT_DAYS} days</p>`,
        resolved.length === 0 ? html`<p class="muted">None.</p>` : joinHtml(resolved.map(entryHtml), NEWLINE),
        html`<p class="note">Times are UTC.${changed ? html` Last update ${humanTime(changed)}.` : EMPTY} Follow this page as an <a href="status.atom">Atom feed</a> or read it as <a href="status.json">JSON</a>.</p>`,
      ],
      NEWLINE,
    ),
  );
}

/** The same content as JSON, for scripts and widgets. Updates newest first. */
export function renderStatusJson(model: StatusPageModel): string {
  return JSON.stringify({
    title: model.title,
    updatedAt: lastChanged(model.entries) ?? null,
    incidents: model.entries.map((entry) => ({
      id: entry.publicId,
      status: isResolved(entry) ? 'resolved' : 'investigating',
      statusText: statusWords(entry),
      products: entry.products,
      ...(entry.resolvedAt ? { resolvedAt: entry.resolvedAt } : {}),
      updates: newestFirst(entry.updates).map((u) => ({ at: u.at, text: u.text })),
    })),
  });
}

// Characters XML 1.0 does not allow at all (escaping cannot carry them): dropped from feed text.
const NOT_XML =
  // biome-ignore lint/suspicious/noControlCharactersInRegex: removing them is the point
  /[\u0000-\u0008\u000b\u000c\u000e-\u001f\ufffe\uffff]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * Text for XML content and attribute values, without the characters XML cannot hold. The feed is written with
 * the `html` tag: what it escapes (`&`, `<`, `>`, `"`, `'` as `&amp;` `&lt;` `&gt;` `&quot;` `&#39;`) is what
 * XML needs escaped too, and its entities are XML's (the predefined ones and a character reference).
 */
function xmlText(text: string): string {
  return text.replace(NOT_XML, '');
}

/** A name-based (version 5 layout) UUID URN: a valid, stable Atom id that needs no domain name. */
function urnUuid(name: string): string {
  const hex = createHash('sha1').update(`hotline-status:${name}`).digest('hex').slice(0, 32).split('');
  hex[12] = '5';
  hex[16] = ((Number.parseInt(hex[16] ?? '0', 16) & 0x3) | 0x8).toString(16);
  const h = hex.join('');
  return `urn:uuid:${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/** RFC 3339 time for Atom (ISO times from the store already are; anything else is passed through parsed). */
function atomTime(iso: string): string {
  const time = Date.parse(iso);
  return Number.isNaN(time) ? iso : new Date(time).toISOString();
}

/**
 * The Atom 1.0 feed (RFC 4287): one entry per published update, newest first, so a feed reader shows each
 * update as it comes. The feed's `updated` is its newest update.
 */
export function renderStatusAtom(model: StatusPageModel): string {
  const updates = model.entries.flatMap((entry) => entry.updates.map((update) => ({ entry, update })));
  updates.sort((a, b) => (a.update.at < b.update.at ? 1 : a.update.at > b.update.at ? -1 : 0));
  const updated = atomTime(lastChanged(model.entries) ?? model.now);
  const link = (rel: string, type: string, href: string) =>
    html`<link rel="${rel}" type="${type}" href="${xmlText(href)}"/>`;
  return joinHtml(
    [
      html`<?xml version="1.0" encoding="utf-8"?>`,
      html`<feed xmlns="http://www.w3.org/2005/Atom">`,
      html`<id>${urnUuid('feed')}</id>`,
      html`<title type="text">${xmlText(model.title)}</title>`,
      html`<updated>${updated}</updated>`,
      html`<author><name>${xmlText(model.title)}</name></author>`,
      ...(model.pageUrl
        ? [
            link('self', 'application/atom+xml', `${model.pageUrl}.atom`),
            link('alternate', 'text/html', model.pageUrl),
          ]
        : []),
      ...updates.map(({ entry, update }) => {
        const resolving = entry.resolvedAt !== undefined && update.at >= entry.resolvedAt;
        return joinHtml(
          [
            html`<entry>`,
            html`<id>${urnUuid(`${entry.publicId}/${update.id}`)}</id>`,
            html`<title type="text">${resolving ? 'Resolved' : 'Investigating'}: ${xmlText(productsText(entry.products))}</title>`,
            html`<updated>${atomTime(update.at)}</updated>`,
            ...(model.pageUrl ? [link('alternate', 'text/html', `${model.pageUrl}#${anchor(entry)}`)] : []),
            html`<content type="text">${xmlText(update.text)}</content>`,
            html`</entry>`,
          ],
          NEWLINE,
        );
      }),
      html`</feed>`,
      EMPTY,
    ],
    NEWLINE,
  ).toString();
}

const contentTypes: Record<StatusFormat, string> = {
  html: 'text/html; charset=utf-8',
  json: 'application/json',
  atom: 'application/atom+xml',
};

/**
 * The response for a format. Public and briefly cached (a burst of readers during an incident costs one
 * render per 30 s per cache); the HTML gets the pages' strict CSP.
 */
export function statusResponse(format: StatusFormat, model: StatusPageModel): StatusResponse {
  const headers: Record<string, string> = {
    'content-type': contentTypes[format],
    'cache-control': 'public, max-age=30',
    'x-content-type-options': 'nosniff',
  };
  if (format === 'html') {
    Object.assign(headers, {
      'content-security-policy': PAGE_CSP,
      'referrer-policy': 'no-referrer',
      'x-frame-options': 'DENY',
    });
  }
  const body =
    format === 'html'
      ? renderStatusHtml(model)
      : format === 'json'
        ? renderStatusJson(model)
        : renderStatusAtom(model);
  return { statusCode: 200, headers, body };
}
