import { ValidationError } from './errors.ts';
import { isIncidentKey } from './incident.ts';
import {
  actionCategories,
  actionKinds,
  type Postmortem,
  rootCauseCategories,
  type TextField,
} from './postmortem.ts';
import { lessonsGuide, postmortemFieldGuide } from './postmortem-checks.ts';
import { fieldPath, inTimeOrder, type PostmortemEdit, postmortemEditSchema } from './postmortem-edit.ts';

/**
 * The postmortem as a Markdown document of our own structure, for `incident postmortem edit` ($EDITOR), and
 * back. Not a general Markdown reader: headings name the template's fields, structured sections have one
 * line per item, and text sections hold the text as typed. A text line that starts with `#` or `\` is written
 * with a `\` before it (so it cannot pass for a heading), as is a blank first or last line (editors trim
 * those); reading removes one leading `\`. So `markdownToEdit(postmortemToMarkdown(pm))` changes nothing.
 */

const guide = postmortemFieldGuide;

/** The sections in template order: a text field, or a structured section. */
type Section =
  | { kind: 'text'; field: TextField }
  | { kind: 'timeline' | 'fiveWhys' | 'category' | 'recurrence' | 'lessons' | 'actions' };

const SECTIONS: ReadonlyArray<{ heading: string; section: Section }> = [
  { heading: guide.summary.label, section: { kind: 'text', field: 'summary' } },
  { heading: guide.leadup.label, section: { kind: 'text', field: 'leadup' } },
  { heading: guide.fault.label, section: { kind: 'text', field: 'fault' } },
  { heading: guide.impact.label, section: { kind: 'text', field: 'impact' } },
  { heading: guide.detection.label, section: { kind: 'text', field: 'detection' } },
  { heading: guide.response.label, section: { kind: 'text', field: 'response' } },
  { heading: guide.recovery.label, section: { kind: 'text', field: 'recovery' } },
  { heading: guide.timeline.label, section: { kind: 'timeline' } },
  { heading: guide.fiveWhys.label, section: { kind: 'fiveWhys' } },
  { heading: guide.rootCause.label, section: { kind: 'text', field: 'rootCause' } },
  { heading: guide.rootCauseCategory.label, section: { kind: 'category' } },
  { heading: guide.backlogCheck.label, section: { kind: 'text', field: 'backlogCheck' } },
  { heading: guide.recurrence.label, section: { kind: 'recurrence' } },
  { heading: guide.lessons.label, section: { kind: 'lessons' } },
  { heading: guide.actions.label, section: { kind: 'actions' } },
  { heading: guide.externalSummary.label, section: { kind: 'text', field: 'externalSummary' } },
];

const RELATED_HEADING = 'Related incidents';
const LESSON_PARTS = ['wentWell', 'couldBeBetter', 'gotLucky'] as const;

const needsEscape = (line: string) => line.startsWith('#') || line.startsWith('\\');
const isBlank = (line: string) => /^[ \t]*$/.test(line);

/** Text as section lines: escaped so that no line reads as a heading and edge blank lines survive trimming. */
function textLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.split('\n');
  return lines.map((line, i) =>
    needsEscape(line) || ((i === 0 || i === lines.length - 1) && isBlank(line)) ? `\\${line}` : line,
  );
}

function readText(lines: readonly string[]): string {
  let start = 0;
  let end = lines.length;
  while (start < end && isBlank(lines[start] ?? '')) start++;
  while (end > start && isBlank(lines[end - 1] ?? '')) end--;
  return lines
    .slice(start, end)
    .map((line) => (line.startsWith('\\') ? line.slice(1) : line))
    .join('\n');
}

const pad = (n: number, width = 2) => String(n).padStart(width, '0');

/** `2026-11-30 14:30 UTC`, with seconds (and ms) only when the time has them. */
export function markdownTime(iso: string): string {
  const d = new Date(iso);
  const date = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
  let clock = `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
  if (d.getUTCSeconds() || d.getUTCMilliseconds()) clock += `:${pad(d.getUTCSeconds())}`;
  if (d.getUTCMilliseconds()) clock += `.${pad(d.getUTCMilliseconds(), 3)}`;
  return `${date} ${clock} UTC`;
}

function header(pm: Postmortem): string[] {
  return [
    '<!--',
    `  Postmortem of ${pm.key}, version ${pm.version}. When you close the editor, \`incident postmortem edit\``,
    '  saves this file as the next version: each section below replaces its field; a section you delete is',
    '  left as it was; an empty section is cleared. Lines starting with # are headings: to start a line of text',
    '  with # (or \\), put a \\ before it.',
    '  Timeline rows: "- YYYY-MM-DD HH:MM UTC what happened". Five whys: "1. why". Category: one of',
    `  ${rootCauseCategories.join(', ')} (or empty).`,
    '  Actions: "- [kind/category] Title (owner: team; tracker: URL; id: ...)" where kind is',
    `  ${actionKinds.join(' or ')} and category one of ${actionCategories.join(', ')};`,
    '  a new action has no id (owner and tracker are optional); delete a line to remove its action.',
    '-->',
  ];
}

/** The whole postmortem as our Markdown: a comment saying what the CLI saves, then a section per field. */
export function postmortemToMarkdown(pm: Postmortem): string {
  const f = pm.fields;
  const out: string[] = [...header(pm), `# Postmortem ${pm.key}`, '', `Owner: ${pm.owner}`, ''];
  const section = (heading: string, body: string[], level = 2) => {
    out.push(`${'#'.repeat(level)} ${heading}`, '');
    if (body.length > 0) out.push(...body, '');
  };
  for (const { heading, section: s } of SECTIONS) {
    switch (s.kind) {
      case 'text':
        section(heading, textLines(f[s.field]));
        break;
      case 'timeline':
        section(
          heading,
          inTimeOrder(f.timeline).map((row) => `- ${markdownTime(row.at)} ${row.text}`),
        );
        break;
      case 'fiveWhys':
        section(
          heading,
          f.fiveWhys.map((why, i) => `${i + 1}. ${why}`),
        );
        break;
      case 'category':
        section(heading, [`Category: ${f.rootCauseCategory ?? ''}`.trimEnd()]);
        break;
      case 'recurrence':
        section(heading, textLines(f.recurrence.text));
        section(RELATED_HEADING, [f.recurrence.relatedIncidents.join(', ') || 'none'], 3);
        break;
      case 'lessons':
        section(heading, []);
        for (const part of LESSON_PARTS) section(lessonsGuide[part].label, textLines(f.lessons[part]), 3);
        break;
      case 'actions':
        section(
          heading,
          pm.actions.map((a) => {
            const meta = [
              `owner: ${a.ownerTeam}`,
              ...(a.trackerUrl ? [`tracker: ${a.trackerUrl}`] : []),
              `id: ${a.id}`,
            ];
            return `- [${a.kind}/${a.category}] ${a.title} (${meta.join('; ')})`;
          }),
        );
        break;
    }
  }
  return `${out.join('\n').trimEnd()}\n`;
}

// --- reading it back ------------------------------------------------------------------------------------------

interface Line {
  number: number;
  text: string;
}

function fail(line: Line | number, problem: string): never {
  throw new ValidationError(`line ${typeof line === 'number' ? line : line.number}: ${problem}`);
}

const normalise = (heading: string) => heading.trim().replace(/\s+/g, ' ').toLowerCase();

const TIMELINE_ROW = /^- (\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}(?::\d{2}(?:\.\d{1,3})?)?) UTC(?: (.*))?$/;
const WHY = /^\d+[.)](?: (.*))?$/;
const ACTION = /^- \[([^\]/]*)\/([^\]]*)\] (.*)$/;
// Greedy title: the last " (owner: " starts what we wrote; the owner is lazy so a tracker and id can follow.
const ACTION_META = /^(.*) \(owner: (.*?)(?:; tracker: (\S+?))?(?:; id: ([0-9A-Za-z_-]+))?\)$/;

/**
 * Reads our Markdown back into an edit of `version` (the version it was rendered from). Each section present
 * becomes the field's new value; a section left out leaves its field as it is. An unknown heading or a line a
 * structured section cannot read is a ValidationError naming the line; so is anything the edit schema refuses
 * (with the field: "line 12 (fields.timeline[0].text): at most 1000 characters").
 */
export function markdownToEdit(markdown: string, version: number): PostmortemEdit {
  const lines: Line[] = markdown.split(/\r?\n/).map((text, i) => ({ number: i + 1, text }));
  const byHeading = new Map(SECTIONS.map((s) => [normalise(s.heading), s]));
  const seen = new Set<string>();
  const fields: Record<string, unknown> = {};
  const edit: Record<string, unknown> = { version };
  const lineOf = new Map<string, number>();

  // Preamble: comments, the title, the owner.
  let i = 0;
  let inComment = false;
  for (; i < lines.length; i++) {
    const line = lines[i] as Line;
    if (inComment) {
      if (line.text.includes('-->')) inComment = false;
      continue;
    }
    if (line.text.startsWith('<!--')) {
      inComment = !line.text.includes('-->', 4);
      continue;
    }
    if (line.text.startsWith('## ') || line.text.startsWith('### ')) break;
    if (line.text.startsWith('# ')) continue;
    const owner = /^Owner:(.*)$/i.exec(line.text);
    if (owner) {
      const value = (owner[1] ?? '').trim();
      if (value) edit.owner = value;
      lineOf.set('owner', line.number);
      continue;
    }
    if (!isBlank(line.text))
      fail(line, `unexpected text before the first section: start it with a "## " heading`);
  }
  if (inComment) fail(lines.length, 'a comment ("<!--") is not closed ("-->")');

  // Sections: a heading (## or ###) and the lines up to the next heading.
  const blocks: { heading: Line; level: number; title: string; body: Line[] }[] = [];
  for (; i < lines.length; i++) {
    const line = lines[i] as Line;
    const heading =
      /^(#+)\s+(.*)$/.exec(line.text) ?? (line.text.startsWith('#') ? [line.text, '#', ''] : null);
    if (heading) {
      blocks.push({ heading: line, level: heading[1]?.length ?? 1, title: heading[2] ?? '', body: [] });
    } else {
      blocks.at(-1)?.body.push(line);
    }
  }

  const known = SECTIONS.map((s) => `"## ${s.heading}"`).join(', ');
  let current: (typeof SECTIONS)[number] | undefined;
  for (const block of blocks) {
    const title = normalise(block.title);
    if (block.level === 2) {
      current = byHeading.get(title);
      if (!current)
        fail(block.heading, `unknown heading "${block.heading.text}" (the sections are ${known})`);
      if (seen.has(title)) fail(block.heading, `"${block.heading.text}" appears twice`);
      seen.add(title);
      readSection(current, block.heading, block.body, fields, edit, lineOf);
    } else if (
      block.level === 3 &&
      current?.section.kind === 'recurrence' &&
      title === normalise(RELATED_HEADING)
    ) {
      readRelated(block.heading, block.body, fields, lineOf);
    } else if (block.level === 3 && current?.section.kind === 'lessons') {
      const part = LESSON_PARTS.find((p) => normalise(lessonsGuide[p].label) === title);
      if (!part)
        fail(
          block.heading,
          `unknown heading "${block.heading.text}" under ${guide.lessons.label} (${LESSON_PARTS.map((p) => `"### ${lessonsGuide[p].label}"`).join(', ')})`,
        );
      fields.lessons ??= {};
      const lessons = fields.lessons as Record<string, string>;
      const key = part;
      if (key in lessons) fail(block.heading, `"${block.heading.text}" appears twice`);
      lessons[key] = readText(block.body.map((l) => l.text));
      lineOf.set(`fields.lessons.${key}`, block.heading.number);
    } else {
      fail(block.heading, `unknown heading "${block.heading.text}" here`);
    }
  }
  if (Object.keys(fields).length > 0) edit.fields = fields;

  const result = postmortemEditSchema().safeParse(edit);
  if (result.success) return result.data;
  throw new ValidationError(
    result.error.issues
      .slice(0, 10)
      .map((issue) => {
        const path = fieldPath(issue.path);
        const at = lineFor(path, lineOf);
        return `${at ? `line ${at} (${path})` : path}: ${issue.message}`;
      })
      .join('; '),
  );
}

/** The line a field path came from: the longest recorded prefix of it. */
function lineFor(path: string, lineOf: ReadonlyMap<string, number>): number | undefined {
  let best: string | undefined;
  for (const key of lineOf.keys())
    if (
      (path === key || path.startsWith(`${key}.`) || path.startsWith(`${key}[`)) &&
      key.length > (best?.length ?? -1)
    )
      best = key;
  return best === undefined ? undefined : lineOf.get(best);
}

function readSection(
  { section }: (typeof SECTIONS)[number],
  heading: Line,
  body: readonly Line[],
  fields: Record<string, unknown>,
  edit: Record<string, unknown>,
  lineOf: Map<string, number>,
): void {
  const items = body.filter((line) => !isBlank(line.text));
  switch (section.kind) {
    case 'text':
      fields[section.field] = readText(body.map((l) => l.text));
      lineOf.set(`fields.${section.field}`, heading.number);
      return;
    case 'timeline':
      fields.timeline = items.map((line, index) => {
        const m = TIMELINE_ROW.exec(line.text);
        if (!m) return fail(line, 'a timeline row reads "- YYYY-MM-DD HH:MM UTC what happened"');
        if (!m[3]?.trim()) return fail(line, 'a timeline row needs text after its time');
        lineOf.set(`fields.timeline[${index}]`, line.number);
        return { at: `${m[1]}T${m[2]}Z`, text: m[3] };
      });
      lineOf.set('fields.timeline', heading.number);
      return;
    case 'fiveWhys':
      fields.fiveWhys = items.map((line, index) => {
        const m = WHY.exec(line.text);
        if (!m) return fail(line, 'a why reads "1. why it happened"');
        if (!m[1]?.trim()) return fail(line, 'a why needs text after its number');
        lineOf.set(`fields.fiveWhys[${index}]`, line.number);
        return m[1];
      });
      lineOf.set('fields.fiveWhys', heading.number);
      return;
    case 'category': {
      if (items.length > 1) fail(items[1] as Line, 'the root cause category is one line: "Category: bug"');
      const line = items[0];
      if (!line) {
        fields.rootCauseCategory = null;
        return;
      }
      const m = /^Category:\s*(.*?)\s*$/i.exec(line.text);
      if (!m)
        fail(
          line,
          `the root cause category reads "Category: bug" (one of ${rootCauseCategories.join(', ')})`,
        );
      const value = (m[1] ?? '').toLowerCase();
      if (value !== '' && value !== 'none' && !(rootCauseCategories as readonly string[]).includes(value))
        fail(
          line,
          `unknown root cause category "${m[1]}" (one of ${rootCauseCategories.join(', ')}, or empty)`,
        );
      fields.rootCauseCategory = value === '' || value === 'none' ? null : value;
      return;
    }
    case 'recurrence':
      fields.recurrence = {
        ...((fields.recurrence as object | undefined) ?? {}),
        text: readText(body.map((l) => l.text)),
      };
      lineOf.set('fields.recurrence.text', heading.number);
      return;
    case 'lessons':
      if (items[0])
        fail(items[0], `text under "${guide.lessons.label}" belongs under one of its "###" headings`);
      return;
    case 'actions':
      edit.actions = items.map((line, index) => readAction(line, index, lineOf));
      lineOf.set('actions', heading.number);
      return;
  }
}

function readRelated(
  heading: Line,
  body: readonly Line[],
  fields: Record<string, unknown>,
  lineOf: Map<string, number>,
): void {
  const keys: string[] = [];
  for (const line of body) {
    for (const word of line.text.split(/[\s,]+/).filter(Boolean)) {
      if (word.toLowerCase() === 'none') continue;
      if (!isIncidentKey(word)) fail(line, `"${word}" is not an incident key (like HOT-42)`);
      keys.push(word);
    }
  }
  const recurrence = (fields.recurrence ?? {}) as Record<string, unknown>;
  if ('relatedIncidents' in recurrence) fail(heading, `"${heading.text}" appears twice`);
  fields.recurrence = { ...recurrence, relatedIncidents: keys };
  lineOf.set('fields.recurrence.relatedIncidents', heading.number);
}

function readAction(line: Line, index: number, lineOf: Map<string, number>): Record<string, unknown> {
  const m = ACTION.exec(line.text);
  if (!m) return fail(line, 'an action reads "- [kind/category] Title (owner: team; tracker: URL; id: ...)"');
  const kind = (m[1] ?? '').trim().toLowerCase();
  const category = (m[2] ?? '').trim().toLowerCase();
  if (!(actionKinds as readonly string[]).includes(kind))
    fail(line, `unknown action kind "${m[1]}" (${actionKinds.join(' or ')})`);
  if (!(actionCategories as readonly string[]).includes(category))
    fail(line, `unknown action category "${m[2]}" (one of ${actionCategories.join(', ')})`);
  const rest = m[3] ?? '';
  const meta = ACTION_META.exec(rest);
  lineOf.set(`actions[${index}]`, line.number);
  if (!meta) return { title: rest, kind, category };
  const [, title = '', ownerTeam = '', trackerUrl, id] = meta;
  return {
    title,
    kind,
    category,
    ...(ownerTeam.trim() ? { ownerTeam } : {}),
    ...(trackerUrl ? { trackerUrl } : {}),
    ...(id ? { id } : {}),
  };
}
