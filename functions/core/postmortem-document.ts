import { EMPTY, html, joinHtml, NEWLINE, raw, type SafeHtml, text as textHtml } from './html/html.ts';
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
 * confirm page). Markdown first; the HTML of the sections made of the postmortem's fields comes from it through
 * markdown-it (raw HTML off, no linkify, no images, only http(s)/mailto links), rendered once per content hash
 * (core/document-render.ts, the one module that imports markdown-it) and kept; the facts, the actions and the
 * approvals, which change without the content changing, are written as HTML here (`documentHtml`), so a function
 * that only shows or mails the document needs no Markdown renderer. Not the CLI's round-trip format (postmortem-markdown.ts): no machine comment, and
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

/** An action's facts after its title: category, owner, due date, status, tracker (each markdown and HTML). */
function actionMeta(
  a: PostmortemAction,
  version: DocumentVersion = 'page',
): { markdown: string; html: SafeHtml }[] {
  const due = a.dueAt
    ? a.dueProvisional
      ? `provisionally due ${day(a.dueAt)} (fixed at approval)`
      : `due ${day(a.dueAt)}`
    : undefined;
  const ours = (value: string) => ({ markdown: value, html: textHtml(value) });
  const owner = a.owner ? `${a.owner} (${a.ownerTeam})` : a.ownerTeam;
  const category = actionCategoryGuide[a.category]?.label ?? a.category;
  const trackerLink = a.trackerUrl && /^https?:\/\/[^\s<>]+$/i.test(a.trackerUrl) ? a.trackerUrl : undefined;
  return [
    { markdown: markdownInline(category), html: inlineHtml(category, version) },
    { markdown: `owner: ${markdownInline(owner)}`, html: html`owner: ${inlineHtml(owner, version)}` },
    ...(due ? [ours(due)] : []),
    ours(a.status === 'done' ? `done${a.doneAt ? ` ${day(a.doneAt)}` : ''}` : 'open'),
    trackerLink
      ? {
          markdown: `tracker: <${trackerLink}>`,
          html: html`tracker: ${linkHtml(trackerLink, trackerLink, version)}`,
        }
      : a.trackerUrl
        ? {
            markdown: `tracker: ${markdownInline(a.trackerUrl)}`,
            html: html`tracker: ${inlineHtml(a.trackerUrl, version)}`,
          }
        : ours('no tracker'),
  ];
}

function actionItem(a: PostmortemAction): string {
  const meta = actionMeta(a).map((m) => m.markdown);
  return `- **${markdownInline(a.title) || 'Untitled action'}**\n  ${meta.join(' · ')}`;
}

/** The document's facts list (its head): the incident's facts, the owner, where it stands, who approved it. */
function factsOf(
  pm: Postmortem,
  context: DocumentContext,
  version: DocumentVersion = 'page',
): { label: string; markdown: string; html: SafeHtml }[] {
  const { incident } = context;
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
  const status = context.publishedAt ? `Published ${readableTime(context.publishedAt)}` : '';
  const ours = (label: string, value: string) => ({ label, markdown: value, html: textHtml(value) });
  const user = (label: string, value: string) => ({
    label,
    markdown: markdownInline(value),
    html: inlineHtml(value, version),
  });
  return [
    ours('Severity', `Sev ${incident.severity}`),
    user('Service', context.serviceName),
    incident.products.length
      ? user('Products', incident.products.join(', '))
      : ours('Products', 'none named'),
    ours('Impact', impact),
    ...(measures.length
      ? [ours('Measures', measures.map(([label, m]) => `${label} ${minutesText(m)}`).join(' · '))]
      : []),
    {
      label: 'Owner',
      markdown: `${markdownInline(pm.owner)} (${markdownInline(pm.ownerTeam)})`,
      html: html`${inlineHtml(pm.owner, version)} (${inlineHtml(pm.ownerTeam, version)})`,
    },
    {
      label: 'Status',
      markdown: `${context.publishedAt ? status : (STATUS_WORDS[pm.status] ?? markdownInline(pm.status))} · version ${pm.version}`,
      html: html`${context.publishedAt ? status : (STATUS_WORDS[pm.status] ?? inlineHtml(pm.status, version))} \u00b7 version ${pm.version}`,
    },
    ...(approvals.length
      ? [
          {
            label: 'Approved by',
            markdown: approvals.map((a) => markdownInline(a.approver)).join(', '),
            html: joinHtml(
              approvals.map((a) => inlineHtml(a.approver, version)),
              html`, `,
            ),
          },
        ]
      : []),
  ];
}

/**
 * The template's sections made of the postmortem's fields alone, as Markdown: what its content hash covers, so
 * their HTML is rendered once per content (`renderDocumentSections`, core/document-render.ts) and kept. `main`
 * runs from the summary to the lessons; `external` is the external summary, which the document puts after the
 * actions. The facts, the actions (their due dates and status are not content) and the approvals are written
 * around them when the document is read (`documentHtml`), without a Markdown renderer.
 */
export function documentSectionsMarkdown(pm: Pick<Postmortem, 'fields'>): { main: string; external: string } {
  const f = pm.fields;
  const guide = postmortemFieldGuide;
  let out: string[] = [];
  const section = (heading: string, body: string, level = 2) =>
    out.push(`${'#'.repeat(level)} ${heading}`, '', body || NOT_WRITTEN, '');
  const text = (heading: string, value: string, level = 2) => section(heading, markdownBlock(value), level);

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
      }`.replace(/ \u2014 $/, '')
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
  const main = out.join('\n').trimEnd();
  out = [];
  text(guide.externalSummary.label, f.externalSummary ?? '');
  return { main, external: out.join('\n').trimEnd() };
}

const ACTION_KINDS = ['priority', 'improvement'] as const;

/**
 * The postmortem as the Markdown people read: a title and the incident's facts, the template's sections in its
 * order, the actions by kind, and the approvals. `approvals` and `publishedAt` are given once it is approved
 * and published; before that (an approval request) the status line says where it stands.
 */
export function publishedMarkdown(pm: Postmortem, context: DocumentContext): string {
  const approvals = context.approvals ?? [];
  const sections = documentSectionsMarkdown(pm);
  const out: string[] = [
    `# ${markdownInline(documentTitle(context.incident), true)}`,
    '',
    ...factsOf(pm, context).map((fact) => `- **${fact.label}:** ${fact.markdown}`),
    '',
    sections.main,
    '',
    `## ${postmortemFieldGuide.actions.label}`,
    '',
  ];
  for (const kind of ACTION_KINDS) {
    const actions = pm.actions.filter((a) => a.kind === kind);
    out.push(
      `### ${actionKindGuide[kind].label}s`,
      '',
      actions.length ? actions.map(actionItem).join('\n') : '*None.*',
      '',
    );
  }
  out.push(sections.external, '');
  if (approvals.length) {
    out.push(
      '## Approvals',
      '',
      approvals
        .map((a) => {
          const comment = a.comment ? itemLines(a.comment, 2) : '';
          return `- ${markdownInline(a.approver)} (${a.mandatory ? 'mandatory' : 'optional'}): approved ${readableTime(a.at)}${
            comment ? `\n  ${comment}` : ''
          }`;
        })
        .join('\n'),
      '',
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
export const EMAIL_STYLES: Readonly<Record<string, string>> = {
  h1: 'font-size:22px;line-height:1.3;margin:20px 0 12px',
  h2: 'font-size:18px;margin:24px 0 8px;padding-bottom:4px;border-bottom:1px solid #eaecf0',
  h3: 'font-size:15px;margin:16px 0 6px;color:#475467',
  p: 'margin:0 0 10px;overflow-wrap:anywhere;word-break:break-word',
  ul: 'margin:0 0 10px;padding-left:20px',
  ol: 'margin:0 0 10px;padding-left:24px',
  li: 'margin:4px 0;overflow-wrap:anywhere;word-break:break-word',
  a: 'color:#1d4ed8',
};

/** The HTML of the sections `documentSectionsMarkdown` makes, as markdown-it renders them (document-render.ts). */
export interface RenderedSections {
  main: string;
  external: string;
}

/** The sections of one content (its hash), rendered once for pages and for mails, and kept. */
export interface DocumentRendering {
  contentHash: string;
  page: RenderedSections;
  email: RenderedSections;
}

/** Which version of the HTML: a page's (styled by the page's style sheet) or a mail's (inline styles). */
export type DocumentVersion = 'page' | 'email';

// The HTML written here has the shape markdown-it gives the same Markdown (test/unit/core/document-render.test.ts
// compares them), so a document reads alike whichever part was rendered where.

/** An opening tag, with its inline style in the mail version. */
function open(tag: string, version: DocumentVersion): SafeHtml {
  const style = version === 'email' ? EMAIL_STYLES[tag] : undefined;
  // raw: a tag name of this module and its constant style (EMAIL_STYLES above); no text of anyone's.
  return raw(style ? `<${tag} style="${style}">` : `<${tag}>`);
}

/** A link of escaped words to an http(s) URL (the only links user text makes). */
function linkHtml(url: string, words: string, version: DocumentVersion): SafeHtml {
  const style = version === 'email' ? html` style="${EMAIL_STYLES.a}"` : EMPTY;
  return html`<a href="${url}" rel="noopener noreferrer"${style}>${words}</a>`;
}

/** User text on one line as HTML: escaped, its written links and bare http(s) URLs as links (as markdownInline). */
function inlineHtml(value: string, version: DocumentVersion, oneLine = true): SafeHtml {
  const line = oneLine ? value.replace(/\s+/g, ' ').trim() : value;
  const parts: SafeHtml[] = [];
  const bare = (segment: string) => {
    let last = 0;
    for (const match of segment.matchAll(URL_IN_TEXT)) {
      const url = trimUrl(match[0]);
      if (!/^https?:\/\/./i.test(url)) continue;
      const index = match.index ?? 0;
      parts.push(textHtml(segment.slice(last, index)), linkHtml(url, url, version));
      last = index + url.length;
    }
    parts.push(textHtml(segment.slice(last)));
  };
  let last = 0;
  for (const match of line.matchAll(WRITTEN_LINK)) {
    const index = match.index ?? 0;
    bare(line.slice(last, index));
    parts.push(linkHtml(match[2] ?? '', match[1] ?? '', version));
    last = index + match[0].length;
  }
  bare(line.slice(last));
  return joinHtml(parts);
}

/** Multi-line user text inside a list item, as HTML: its non-blank lines, with line breaks between them. */
function itemLinesHtml(value: string, version: DocumentVersion): SafeHtml {
  return joinHtml(
    linesOf(value)
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .map((line) => inlineHtml(line, version, false)),
    html`<br>\n`,
  );
}

/** Markup without the whitespace around it (as Markdown reads a heading's or a list item's text). */
const trimmed = (markup: SafeHtml) =>
  // raw: markup made by html`` with the whitespace around it trimmed off, as safe as it was.
  raw(markup.toString().trim());

const list = (version: DocumentVersion, items: readonly SafeHtml[]) =>
  html`${open('ul', version)}\n${items.map((item) => html`${open('li', version)}${trimmed(item)}</li>\n`)}</ul>`;

/**
 * The document as HTML (a fragment), without a Markdown renderer: the title and facts, the sections rendered
 * once for this content (`sections`, from `DocumentRendering`), the actions and the approvals. The same document
 * as `publishedMarkdown` gives, in the page version or the mail version.
 */
export function documentHtml(
  pm: Postmortem,
  context: DocumentContext,
  sections: RenderedSections,
  version: DocumentVersion,
): DocumentHtml {
  const approvals = context.approvals ?? [];
  const heading = (level: 'h2' | 'h3', words: string) => html`${open(level, version)}${words}</${level}>`;
  const parts: SafeHtml[] = [
    html`${open('h1', version)}${inlineHtml(documentTitle(context.incident), version)}</h1>`,
    list(
      version,
      factsOf(pm, context, version).map((fact) => html`<strong>${fact.label}:</strong> ${fact.html}`),
    ),
    // raw: markdown-it's output with HTML input off, its text escaped and its links checked (document-render.ts).
    raw(sections.main.trimEnd()),
    heading('h2', postmortemFieldGuide.actions.label),
  ];
  for (const kind of ACTION_KINDS) {
    const actions = pm.actions.filter((a) => a.kind === kind);
    parts.push(
      heading('h3', `${actionKindGuide[kind].label}s`),
      actions.length
        ? list(
            version,
            actions.map(
              (a) =>
                html`<strong>${a.title.trim() ? inlineHtml(a.title, version) : 'Untitled action'}</strong><br>\n${joinHtml(
                  actionMeta(a, version).map((m) => m.html),
                  html` \u00b7 `,
                )}`,
            ),
          )
        : html`${open('p', version)}<em>None.</em></p>`,
    );
  }
  // raw: as the main sections above.
  parts.push(raw(sections.external.trimEnd()));
  if (approvals.length) {
    parts.push(
      heading('h2', 'Approvals'),
      list(
        version,
        approvals.map(
          (a) =>
            html`${inlineHtml(a.approver, version)} (${a.mandatory ? 'mandatory' : 'optional'}): approved ${readableTime(a.at)}${
              a.comment?.trim() ? html`<br>\n${itemLinesHtml(a.comment, version)}` : EMPTY
            }`,
        ),
      ),
    );
  }
  return `${joinHtml(parts, NEWLINE).toString()}\n` as DocumentHtml;
}

/**
 * The sections when their rendering is not kept (a request made before renderings were kept, 0.2.0): their
 * Markdown as text, line breaks kept, so the document is whole, only plainer.
 */
export function plainSections(pm: Pick<Postmortem, 'fields'>, version: DocumentVersion): RenderedSections {
  const sections = documentSectionsMarkdown(pm);
  const plain = (markdown: string) =>
    html`${open('p', version)}<span style="white-space:pre-wrap">${markdown}</span></p>`.toString();
  return { main: plain(sections.main), external: plain(sections.external) };
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
