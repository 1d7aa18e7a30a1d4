import MarkdownIt, { type MarkdownIt as MarkdownRenderer } from 'markdown-it';
import { html, joinHtml, NEWLINE, raw } from './html/html.ts';
import { pageShell } from './html/page.ts';
import type { Incident } from './incident.ts';
import type { DocumentHtml } from './pages.ts';
import type { Postmortem, PostmortemAction, PostmortemStatus } from './postmortem.ts';
import {
  actionCategoryGuide,
  actionKindGuide,
  lessonsGuide,
  postmortemFieldGuide,
  rootCauseGuide,
} from './postmortem-checks.ts';
import { inTimeOrder } from './postmortem-edit.ts';

/**
 * The postmortem as a document people read: the one renderer of what is published (stored, served at
 * `GET /incidents/{key}/postmortem/document`, mailed) and of what approvers are asked to approve (their mail and
 * confirm page). Markdown first, HTML from it through markdown-it with raw HTML off, no linkify, no images, and
 * only http(s)/mailto links. Not the CLI's round-trip format (postmortem-markdown.ts): no machine comment, and
 * actions read as a list with their kind, category, owner, due date and tracker.
 *
 * User text is text: every character that could make Markdown structure (headings, lists, quotes, tables,
 * emphasis, code, links, images, autolinks, entities) is backslash-escaped, leading indentation is dropped (it
 * would make a code block), and line breaks are kept. The links made of user text on purpose: a bare http(s) URL
 * (as an autolink we write) and a link a person wrote as `[words](https://...)` (its words escaped), so a graph
 * or dashboard named in the text can be opened, as the editor's preview shows it. So the structure of the
 * document is ours whatever people typed, and its only links are http(s).
 */

// --- escaping user text ----------------------------------------------------------------------------------------

/** An http(s) URL in text: up to whitespace or `<`/`>` (what an autolink cannot hold). */
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters end a URL
const URL_IN_TEXT = /https?:\/\/[^\s<>\u0000-\u001f\u007f]+/gi;
/** An entity reference at a position (sticky): `&amp;` in text must stay text. */
const ENTITY = /&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});/y;
const entityAt = (text: string, i: number) => {
  ENTITY.lastIndex = i;
  return ENTITY.test(text);
};
const WORD = /[\p{L}\p{N}]/u;
const ALWAYS = new Set(['\\', '`', '*', '[', ']', '<', '|']);

const count = (s: string, c: string) => s.split(c).length - 1;

/** A URL as found in prose, without the punctuation that ends the sentence around it. */
function trimUrl(url: string): string {
  let u = url;
  for (;;) {
    const last = u.at(-1) ?? '';
    if ('.,;:!?\'"*_~'.includes(last)) u = u.slice(0, -1);
    else if (last === ')' && count(u, '(') < count(u, ')')) u = u.slice(0, -1);
    else if (last === ']' && count(u, '[') < count(u, ']')) u = u.slice(0, -1);
    else return u;
  }
}

/** Text with every Markdown-significant character escaped; `lineStart`: it begins a line (or a list item). */
function escapeText(text: string, lineStart: boolean, heading: boolean): string {
  let out = '';
  let start = 0;
  if (lineStart) {
    const marker = /^(\d{1,9})([.)])(?=[ \t]|$)/.exec(text);
    if (marker) {
      out = `${marker[1]}\\${marker[2]}`;
      start = marker[0].length;
    } else if (/^[-+=#>]/.test(text)) {
      out = `\\${text[0]}`;
      start = 1;
    }
  }
  for (let i = start; i < text.length; i++) {
    const c = text[i] as string;
    const before = text[i - 1] ?? '';
    const after = text[i + 1] ?? '';
    const escaped =
      ALWAYS.has(c) ||
      (c === '_' && !(WORD.test(before) && WORD.test(after))) ||
      (c === '~' && (before === '~' || after === '~')) ||
      (c === '&' && entityAt(text, i)) ||
      (c === '#' && heading);
    out += escaped ? `\\${c}` : c;
  }
  return out;
}

/** A Markdown link a person wrote, `[words](https://...)`: kept as a link (the editor's preview shows it so). */
const WRITTEN_LINK = /\[([^[\]\n]{1,300})\]\((https?:\/\/[^\s()<>]{1,2000})\)/gi;

/**
 * One line of user text as Markdown: escaped, with the links people wrote (`[words](https://...)`, http(s) only)
 * kept as links of escaped words, and bare http(s) URLs as autolinks.
 */
function escapeLine(line: string, heading = false): string {
  let out = '';
  let last = 0;
  for (const match of line.matchAll(WRITTEN_LINK)) {
    const index = match.index ?? 0;
    out += escapeBare(line.slice(last, index), last === 0, heading);
    out += `[${escapeText(match[1] ?? '', false, heading)}](<${match[2]}>)`;
    last = index + match[0].length;
  }
  return out + escapeBare(line.slice(last), last === 0, heading);
}

/** User text as Markdown: escaped, with its http(s) URLs as autolinks. */
function escapeBare(line: string, lineStart: boolean, heading: boolean): string {
  let out = '';
  let last = 0;
  for (const match of line.matchAll(URL_IN_TEXT)) {
    const url = trimUrl(match[0]);
    if (!/^https?:\/\/./i.test(url)) continue;
    const index = match.index ?? 0;
    out += escapeText(line.slice(last, index), lineStart && last === 0, heading);
    out += `<${url}>`;
    last = index + url.length;
  }
  return out + escapeText(line.slice(last), lineStart && last === 0, heading);
}

const linesOf = (text: string) => text.replace(/\r\n?/g, '\n').split('\n');

/** Multi-line user text as paragraphs: each line escaped, blank lines kept as paragraph breaks. */
export function markdownBlock(text: string): string {
  return linesOf(text)
    .map((line) => line.trim())
    .map((line) => (line === '' ? '' : escapeLine(line)))
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
}

/** User text on one line (a heading, a fact, a list item's first line): line breaks read as spaces. */
export function markdownInline(text: string, heading = false): string {
  return escapeLine(text.replace(/\s+/g, ' ').trim(), heading);
}

/** User text inside a list item: its lines kept (as line breaks), indented under the item's marker. */
function itemLines(text: string, indent: number): string {
  return linesOf(text)
    .map((line) => line.trim())
    .filter((line) => line !== '')
    .map((line) => escapeLine(line))
    .join(`\n${' '.repeat(indent)}`);
}

// --- the document ----------------------------------------------------------------------------------------------

/** An approval as the document records it. */
export interface DocumentApproval {
  approver: string;
  mandatory: boolean;
  /** UTC ISO-8601. */
  at: string;
  comment?: string;
}

/** What the document says besides the postmortem: the incident's facts, the service's name, the approvals. */
export interface DocumentContext {
  incident: Pick<Incident, 'key' | 'summary' | 'severity' | 'products' | 'impactStartedAt' | 'impactEndedAt'>;
  serviceName: string;
  /** The approvals it was approved with (who, when, any comment); none before approval. An ApprovalDecision fits. */
  approvals?: readonly DocumentApproval[];
  /** When it was published; absent until then (the status line then says where it stands). */
  publishedAt?: string;
}

/** The document's title: `Postmortem of HOT-42: <summary>` (plain text, for a page title or a subject). */
export function documentTitle(incident: Pick<Incident, 'key' | 'summary'>): string {
  return `Postmortem of ${incident.key}: ${incident.summary}`;
}

const pad = (n: number) => String(n).padStart(2, '0');

/** `2026-11-30 14:20 UTC`, with seconds when the time has them (timeline rows a few seconds apart). */
export function readableTime(iso: string): string {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const seconds = d.getUTCSeconds() ? `:${pad(d.getUTCSeconds())}` : '';
  return `${d.toISOString().slice(0, 10)} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}${seconds} UTC`;
}

const day = (iso: string) => (Number.isNaN(Date.parse(iso)) ? iso : new Date(iso).toISOString().slice(0, 10));

function minutesText(minutes: number): string {
  const m = Math.max(0, Math.round(minutes));
  return m >= 60 ? `${Math.floor(m / 60)} h ${m % 60} min` : `${m} min`;
}

const STATUS_WORDS: Record<PostmortemStatus, string> = {
  draft: 'Draft',
  'in-review': 'In review',
  approved: 'Approved',
  published: 'Published',
};

const NOT_WRITTEN = '*Not written.*';

function actionItem(a: PostmortemAction): string {
  const due = a.dueAt
    ? a.dueProvisional
      ? `provisionally due ${day(a.dueAt)} (fixed at approval)`
      : `due ${day(a.dueAt)}`
    : undefined;
  const tracker =
    a.trackerUrl && /^https?:\/\/[^\s<>]+$/i.test(a.trackerUrl)
      ? `tracker: <${a.trackerUrl}>`
      : a.trackerUrl
        ? `tracker: ${markdownInline(a.trackerUrl)}`
        : 'no tracker';
  const meta = [
    markdownInline(actionCategoryGuide[a.category]?.label ?? a.category),
    `owner: ${markdownInline(a.owner ? `${a.owner} (${a.ownerTeam})` : a.ownerTeam)}`,
    ...(due ? [due] : []),
    a.status === 'done' ? `done${a.doneAt ? ` ${day(a.doneAt)}` : ''}` : 'open',
    tracker,
  ];
  return `- **${markdownInline(a.title) || 'Untitled action'}**\n  ${meta.join(' · ')}`;
}

/**
 * The postmortem as the Markdown people read: a title and the incident's facts, the template's sections in its
 * order, the actions by kind, and the approvals. `approvals` and `publishedAt` are given once it is approved
 * and published; before that (an approval request) the status line says where it stands.
 */
export function publishedMarkdown(pm: Postmortem, context: DocumentContext): string {
  const { incident } = context;
  const f = pm.fields;
  const guide = postmortemFieldGuide;
  const out: string[] = [];
  const section = (heading: string, body: string, level = 2) =>
    out.push(`${'#'.repeat(level)} ${heading}`, '', body || NOT_WRITTEN, '');
  const text = (heading: string, value: string, level = 2) => section(heading, markdownBlock(value), level);

  const impact = incident.impactEndedAt
    ? `${readableTime(incident.impactStartedAt)} to ${readableTime(incident.impactEndedAt)} (${minutesText(
        (Date.parse(incident.impactEndedAt) - Date.parse(incident.impactStartedAt)) / 60_000,
      )})`
    : `from ${readableTime(incident.impactStartedAt)}${
        pm.metrics.minutesOfImpact !== undefined ? ` (${minutesText(pm.metrics.minutesOfImpact)})` : ''
      }`;
  const measures = [
    ['Time to detect', pm.metrics.timeToDetectMinutes],
    ['Time to acknowledge', pm.metrics.timeToAcknowledgeMinutes],
    ['Time to recover', pm.metrics.timeToRecoverMinutes],
  ].filter((m): m is [string, number] => typeof m[1] === 'number');
  const approvals = context.approvals ?? [];
  const status = context.publishedAt
    ? `Published ${readableTime(context.publishedAt)}`
    : (STATUS_WORDS[pm.status] ?? markdownInline(pm.status));
  out.push(
    `# ${markdownInline(documentTitle(incident), true)}`,
    '',
    `- **Severity:** Sev ${incident.severity}`,
    `- **Service:** ${markdownInline(context.serviceName)}`,
    `- **Products:** ${incident.products.length ? markdownInline(incident.products.join(', ')) : 'none named'}`,
    `- **Impact:** ${impact}`,
    ...(measures.length
      ? [`- **Measures:** ${measures.map(([label, m]) => `${label} ${minutesText(m)}`).join(' · ')}`]
      : []),
    `- **Owner:** ${markdownInline(pm.owner)} (${markdownInline(pm.ownerTeam)})`,
    `- **Status:** ${status} · version ${pm.version}`,
    ...(approvals.length
      ? [`- **Approved by:** ${approvals.map((a) => markdownInline(a.approver)).join(', ')}`]
      : []),
    '',
  );

  text(guide.summary.label, f.summary);
  text(guide.leadup.label, f.leadup);
  text(guide.fault.label, f.fault);
  text(guide.impact.label, f.impact);
  text(guide.detection.label, f.detection);
  text(guide.response.label, f.response);
  text(guide.recovery.label, f.recovery);
  section(
    `${guide.timeline.label} (UTC)`,
    inTimeOrder(f.timeline)
      .map((row) => `- **${readableTime(row.at)}** ${itemLines(row.text, 2)}`)
      .join('\n'),
  );
  section(
    guide.fiveWhys.label,
    f.fiveWhys
      .map((why, i) => {
        const marker = `${i + 1}. `;
        return `${marker}${itemLines(why, marker.length)}`;
      })
      .join('\n'),
  );
  const category = f.rootCauseCategory
    ? `${rootCauseGuide[f.rootCauseCategory]?.label ?? markdownInline(f.rootCauseCategory)} — ${
        rootCauseGuide[f.rootCauseCategory]?.definition ?? ''
      }`.replace(/ — $/, '')
    : 'not chosen';
  section(
    guide.rootCause.label,
    [markdownBlock(f.rootCause) || NOT_WRITTEN, `**Category:** ${category}`].join('\n\n'),
  );
  text(guide.backlogCheck.label, f.backlogCheck);
  const related = f.recurrence.relatedIncidents.length
    ? markdownInline(f.recurrence.relatedIncidents.join(', '))
    : 'none';
  section(
    guide.recurrence.label,
    [markdownBlock(f.recurrence.text) || NOT_WRITTEN, `**Related incidents:** ${related}`].join('\n\n'),
  );
  out.push(`## ${guide.lessons.label}`, '');
  text(lessonsGuide.wentWell.label, f.lessons.wentWell, 3);
  text(lessonsGuide.couldBeBetter.label, f.lessons.couldBeBetter, 3);
  text(lessonsGuide.gotLucky.label, f.lessons.gotLucky, 3);
  out.push(`## ${guide.actions.label}`, '');
  for (const kind of ['priority', 'improvement'] as const) {
    const actions = pm.actions.filter((a) => a.kind === kind);
    section(
      `${actionKindGuide[kind].label}s`,
      actions.length ? actions.map(actionItem).join('\n') : '*None.*',
      3,
    );
  }
  text(guide.externalSummary.label, f.externalSummary ?? '');
  if (approvals.length) {
    section(
      'Approvals',
      approvals
        .map(
          (a) =>
            `- ${markdownInline(a.approver)} (${a.mandatory ? 'mandatory' : 'optional'}): approved ${readableTime(a.at)}${
              a.comment ? `\n  ${itemLines(a.comment, 2)}` : ''
            }`,
        )
        .join('\n'),
    );
  }
  return `${out.join('\n').trimEnd()}\n`;
}

// --- HTML ------------------------------------------------------------------------------------------------------

/** Only these links are made: anything else (javascript:, data:, vbscript:, file:, relative URLs) stays text. */
export function allowedLink(url: string): boolean {
  return /^(https?|mailto):/i.test(url.trim());
}

/** Inline styles of the mail version: mail clients drop style sheets, and a mail loads nothing remote. */
const EMAIL_STYLES: Readonly<Record<string, string>> = {
  h1: 'font-size:22px;line-height:1.3;margin:20px 0 12px',
  h2: 'font-size:18px;margin:24px 0 8px;padding-bottom:4px;border-bottom:1px solid #eaecf0',
  h3: 'font-size:15px;margin:16px 0 6px;color:#475467',
  p: 'margin:0 0 10px;overflow-wrap:anywhere;word-break:break-word',
  ul: 'margin:0 0 10px;padding-left:20px',
  ol: 'margin:0 0 10px;padding-left:24px',
  li: 'margin:4px 0;overflow-wrap:anywhere;word-break:break-word',
  a: 'color:#1d4ed8',
};

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

// Made on first use: a bundle that imports this module (through comms.ts) without rendering a document
// leaves markdown-it out.
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

/**
 * The measures corrected after the document was published, in words (shown beside it, never in it): empty when
 * none were, or when they were corrected before publication (the approved text then has them).
 */
export function correctionsSincePublication(
  incident: Pick<
    Incident,
    'measuresCorrectedAt' | 'measuresRecorded' | 'impactStartedAt' | 'detectedAt' | 'impactEndedAt'
  >,
  publishedAt: string,
): string[] {
  if (!incident.measuresCorrectedAt || incident.measuresCorrectedAt <= publishedAt) return [];
  const when = (iso: string | undefined) =>
    iso ? `${iso.slice(0, 16).replace('T', ' ')} UTC` : 'not recorded';
  return [
    `Impact started: ${when(incident.impactStartedAt)}`,
    `Detected: ${when(incident.detectedAt)}`,
    `Impact ended: ${when(incident.impactEndedAt)}`,
    `Last corrected ${when(incident.measuresCorrectedAt)}; each correction, with its reason, is on the incident's timeline.`,
  ];
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
