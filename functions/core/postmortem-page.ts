import { humanTime, type PageResponse, page, pageHeaders } from './pages.ts';
import {
  actionCategories,
  actionKinds,
  type Check,
  type Postmortem,
  type PostmortemAction,
  type PostmortemChecks,
  postmortemLimits,
  rootCauseCategories,
  type TextField,
  textFields,
} from './postmortem.ts';
import {
  actionCategoryGuide,
  actionKindGuide,
  actionWordingGuide,
  blamelessAdvice,
  futureActionAdvice,
  lessonsGuide,
  postmortemFieldGuide,
  rootCauseGuide,
} from './postmortem-checks.ts';
import { postmortemFormNames } from './postmortem-edit.ts';
import { markdownTime } from './postmortem-markdown.ts';
import { escapeHtml } from './text.ts';

/**
 * The postmortem owner's editor: the page an `edit-postmortem` link opens. One server-rendered form of the whole
 * template (no script), with the handbook's guide beside each field and choice, the checks of the saved version,
 * and blank rows to add timeline rows, whys and actions. The form posts the version it was rendered from; a
 * stale or invalid save is answered with the same form rendered from what was typed, so nothing typed is lost.
 * Every value is escaped, textarea contents included.
 */

const e = escapeHtml;
const names = postmortemFormNames;
const LESSON_PARTS = ['wentWell', 'couldBeBetter', 'gotLucky'] as const;
type LessonPart = (typeof LESSON_PARTS)[number];

/** New rows offered under what is there: no script, so adding a row is filling a blank one. */
export const BLANK_ROWS = { timeline: 3, actions: 2, whys: 1 } as const;

/** An action as the form holds it: strings as typed. */
export interface ActionValues {
  id: string;
  title: string;
  kind: string;
  category: string;
  ownerTeam: string;
  trackerUrl: string;
  remove: boolean;
}

/** What the form shows: the saved postmortem's values, or what a person typed (a refused save). */
export interface EditorValues {
  /** The version the next save edits (a hidden field). */
  version: string;
  owner: string;
  text: Record<TextField, string>;
  rootCauseCategory: string;
  recurrenceText: string;
  relatedIncidents: string;
  lessons: Record<LessonPart, string>;
  timeline: { at: string; text: string }[];
  fiveWhys: string[];
  actions: ActionValues[];
}

/** What the page says above the form. */
export type EditorNotice =
  /** After a save (Post/Redirect/Get): the version it made. */
  | { kind: 'saved'; version: number; by: string; at: string }
  /** A save that changed nothing. */
  | { kind: 'unchanged'; version: number }
  /**
   * The save named a version that is not the current one: the other edits, newest last. Nothing was saved. The
   * form holds the merge (`mergeStale`): `taken` fields only the others changed (their text now), `conflicts`
   * fields both changed (the typed text, theirs shown beside it).
   */
  | {
      kind: 'stale';
      yourVersion: string;
      others: { version: number; by: string; at: string; changed: string[] }[];
      taken: MergeField[];
      conflicts: MergeField[];
    }
  /** The save was refused: the validation message (`fields.leadup: at most ...; actions[1].title: ...`). */
  | { kind: 'invalid'; message: string }
  /** The postmortem can no longer be edited (approved, published). */
  | { kind: 'closed'; tried: boolean }
  /** After "Ask for approval" (Post/Redirect/Get): approval was requested on this version. */
  | { kind: 'requested'; version: number }
  /**
   * "Ask for approval" asked nobody: the blocking checks of the version saved, or (none blocking) why not. The
   * form was saved first (`saved`: the version it made, or that nothing had changed), so nothing typed is lost.
   */
  | {
      kind: 'not-requested';
      saved?: { version: number; changed: boolean };
      blocking: readonly Check[];
      reason?: string;
    };

/** One approver as the editor shows them: their decision that counts for the request, and an earlier one. */
export interface EditorApprover {
  address: string;
  mandatory: boolean;
  /** Their decision on the content in review (or last reviewed): it counts. */
  decision?: { decision: 'approved' | 'changes-requested'; at: string; version: number };
  /** Their latest decision on earlier content: shown, it does not count. */
  earlier?: { decision: 'approved' | 'changes-requested'; at: string; version: number };
}

/** Where approval stands: who is (or would be) asked, the last request, and its requests for changes. */
export interface EditorApproval {
  approvers: EditorApprover[];
  /** The request in review, or the last one made (it sent the postmortem back, or approved it). */
  request?: { at: string; by: string; version: number };
  /** The last request's requests for changes (they sent it back to draft), oldest first. */
  changesRequested: {
    approver: string;
    mandatory: boolean;
    at: string;
    version: number;
    comment: string;
  }[];
}

/** The editor's second submit button: save the form, then ask the approvers. */
export const REQUEST_APPROVAL_INTENT = { name: 'intent', value: 'request-approval' } as const;

export interface PostmortemEditorView {
  /** The postmortem as saved now. */
  postmortem: Postmortem;
  /** The checks of the saved version. */
  checks: PostmortemChecks;
  incident: { key: string; summary: string; severity: number; service: string };
  /** Who the link was sent to (saves are recorded as theirs), and until when it works. */
  recipient: string;
  expiresAt: string;
  /** Where the form posts: the link itself, relative (`./<token>`). */
  formAction: string;
  /** What the form shows: `valuesOf(postmortem)`, or the typed values of a refused save. */
  values: EditorValues;
  /** Saved versions, oldest first (who, when, what changed). */
  history: { version: number; by: string; at: string; changed: string[] }[];
  notice?: EditorNotice;
  /** Shown, not editable (approved or published). */
  readOnly: boolean;
  /** Who approves, and what they decided (absent: the page says nothing about approval). */
  approval?: EditorApproval;
  /** The form was posted with "Ask for approval" and refused before anyone was asked (invalid, stale). */
  approvalNotAsked?: boolean;
}

/** What an editor link answers: the page with its status, or a redirect after a save. */
export type EditorResult =
  | { kind: 'postmortem-editor'; status: 200 | 400 | 409; view: PostmortemEditorView }
  | { kind: 'postmortem-saved'; location: string };

export function isEditorResult(value: { kind: string }): value is EditorResult {
  return value.kind === 'postmortem-editor' || value.kind === 'postmortem-saved';
}

// --- values ----------------------------------------------------------------------------------------------------

/** The saved postmortem as form values (times as `2026-11-30 14:30`, in UTC, exact to the ms, so they round-trip). */
export function valuesOf(pm: Postmortem): EditorValues {
  const f = pm.fields;
  return {
    version: String(pm.version),
    owner: pm.owner,
    text: Object.fromEntries(textFields.map((name) => [name, f[name]])) as Record<TextField, string>,
    rootCauseCategory: f.rootCauseCategory ?? '',
    recurrenceText: f.recurrence.text,
    relatedIncidents: f.recurrence.relatedIncidents.join(', '),
    lessons: { ...f.lessons },
    // The column is headed UTC and a time without a zone reads as UTC: the suffix would only crowd a phone.
    timeline: f.timeline.map((row) => ({ at: markdownTime(row.at).replace(/ UTC$/, ''), text: row.text })),
    fiveWhys: [...f.fiveWhys],
    actions: pm.actions.map((a) => ({
      id: a.id,
      title: a.title,
      kind: a.kind,
      category: a.category,
      ownerTeam: a.ownerTeam,
      trackerUrl: a.trackerUrl ?? '',
      remove: false,
    })),
  };
}

const LIST_NAME = /^(timeline|fiveWhys|actions)\[(\d{1,4})\](?:\[([A-Za-z]+)\])?$/;
const blank = (value: string | undefined) => value === undefined || value.trim() === '';
const CR = /\r\n?/g;

/**
 * What a person typed, as form values, with the rows `editFromForm` ignores left out (blank rows) so that a
 * refused save's field paths (`fields.timeline[2].at`) point at the rows shown. Actions marked for removal
 * stay, still marked.
 */
export function valuesFromForm(form: URLSearchParams, fallbackVersion: number): EditorValues {
  const get = (name: string) => (form.get(name) ?? '').replace(CR, '\n');
  const lists = {
    timeline: new Map<number, Record<string, string>>(),
    fiveWhys: new Map<number, Record<string, string>>(),
    actions: new Map<number, Record<string, string>>(),
  };
  for (const [name, value] of form) {
    const m = LIST_NAME.exec(name);
    if (!m) continue;
    const list = lists[m[1] as keyof typeof lists];
    const row = list.get(Number(m[2])) ?? {};
    const key = m[3] ?? 'value';
    if (!(key in row)) row[key] = value.replace(CR, '\n');
    list.set(Number(m[2]), row);
  }
  const rows = (list: keyof typeof lists) =>
    [...lists[list].entries()].sort(([a], [b]) => a - b).map(([, row]) => row);
  const version = form.get(names.version)?.trim() ?? '';
  const removed = (row: Record<string, string>) => !!row.remove && row.remove !== 'false';
  return {
    version: /^\d{1,15}$/.test(version) ? version : String(fallbackVersion),
    owner: get(names.owner),
    text: Object.fromEntries(textFields.map((name) => [name, get(names.text(name))])) as Record<
      TextField,
      string
    >,
    rootCauseCategory: get(names.rootCauseCategory).trim(),
    recurrenceText: get(names.recurrenceText),
    relatedIncidents: get(names.relatedIncidents),
    lessons: {
      wentWell: get(names.lesson('wentWell')),
      couldBeBetter: get(names.lesson('couldBeBetter')),
      gotLucky: get(names.lesson('gotLucky')),
    },
    timeline: rows('timeline')
      .filter((row) => !(blank(row.at) && blank(row.text)))
      .map((row) => ({ at: row.at ?? '', text: row.text ?? '' })),
    fiveWhys: rows('fiveWhys')
      .map((row) => row.value ?? '')
      .filter((why) => !blank(why)),
    actions: rows('actions')
      .filter((row) => !(blank(row.id) && blank(row.title) && blank(row.trackerUrl)))
      .filter((row) => !(removed(row) && blank(row.id)))
      .map((row) => ({
        id: (row.id ?? '').trim(),
        title: row.title ?? '',
        kind: row.kind ?? '',
        category: row.category ?? '',
        ownerTeam: row.ownerTeam ?? '',
        trackerUrl: row.trackerUrl ?? '',
        remove: removed(row),
      })),
  };
}

// --- a stale save: merging what was typed with what was saved meanwhile ----------------------------------------

/** The parts of the form a stale save is merged by. */
export const mergeFields = [
  'owner',
  ...textFields,
  'timeline',
  'fiveWhys',
  'rootCauseCategory',
  'recurrence.text',
  'recurrence.relatedIncidents',
  'lessons.wentWell',
  'lessons.couldBeBetter',
  'lessons.gotLucky',
  'actions',
] as const;
export type MergeField = (typeof mergeFields)[number];

function partOf(v: EditorValues, field: MergeField): unknown {
  switch (field) {
    case 'owner':
      return v.owner.trim();
    case 'timeline':
      return v.timeline;
    case 'fiveWhys':
      return v.fiveWhys;
    case 'rootCauseCategory':
      return v.rootCauseCategory;
    case 'recurrence.text':
      return v.recurrenceText;
    case 'recurrence.relatedIncidents':
      return v.relatedIncidents
        .split(/[\s,]+/)
        .filter(Boolean)
        .join(',');
    case 'lessons.wentWell':
      return v.lessons.wentWell;
    case 'lessons.couldBeBetter':
      return v.lessons.couldBeBetter;
    case 'lessons.gotLucky':
      return v.lessons.gotLucky;
    case 'actions':
      return v.actions;
    default:
      return v.text[field];
  }
}

function takePart(into: EditorValues, from: EditorValues, field: MergeField): void {
  switch (field) {
    case 'owner':
      into.owner = from.owner;
      return;
    case 'timeline':
      into.timeline = from.timeline.map((row) => ({ ...row }));
      return;
    case 'fiveWhys':
      into.fiveWhys = [...from.fiveWhys];
      return;
    case 'rootCauseCategory':
      into.rootCauseCategory = from.rootCauseCategory;
      return;
    case 'recurrence.text':
      into.recurrenceText = from.recurrenceText;
      return;
    case 'recurrence.relatedIncidents':
      into.relatedIncidents = from.relatedIncidents;
      return;
    case 'lessons.wentWell':
    case 'lessons.couldBeBetter':
    case 'lessons.gotLucky': {
      const part = field.slice('lessons.'.length) as LessonPart;
      into.lessons[part] = from.lessons[part];
      return;
    }
    case 'actions':
      into.actions = from.actions.map((a) => ({ ...a }));
      return;
    default:
      into.text[field] = from.text[field];
  }
}

const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/**
 * A stale save, merged part by part against the version it was typed on (`base`) and the version saved now:
 * a part only the others changed takes their text (the person had not touched it, so saving again must not
 * undo their edit); a part both changed keeps what was typed (a conflict: theirs is shown beside it); anything
 * else keeps what was typed. Without the base version, every part that differs is a conflict. Nothing typed
 * is ever dropped.
 */
export function mergeStale(
  typed: EditorValues,
  base: EditorValues | undefined,
  current: EditorValues,
): { values: EditorValues; taken: MergeField[]; conflicts: MergeField[] } {
  const values = structuredClone(typed);
  const taken: MergeField[] = [];
  const conflicts: MergeField[] = [];
  for (const field of mergeFields) {
    const theirs = partOf(current, field);
    const mine = partOf(typed, field);
    if (same(mine, theirs)) continue;
    if (!base) {
      conflicts.push(field);
      continue;
    }
    const original = partOf(base, field);
    if (same(theirs, original)) continue;
    if (same(mine, original)) {
      takePart(values, current, field);
      taken.push(field);
    } else conflicts.push(field);
  }
  values.version = current.version;
  return { values, taken, conflicts };
}

// --- field names, labels and anchors ---------------------------------------------------------------------------

/** The element id of a form name or a check's field: `actions[1][title]` and `actions[1].title` -> `f-actions-1-title`. */
export function fieldId(name: string): string {
  return `f-${name
    .replace(/^fields\./, '')
    .replace(/[^A-Za-z0-9]+/g, '-')
    .replace(/-+$/, '')}`;
}

const guide = postmortemFieldGuide;
const ACTION_PARTS: Record<string, string> = {
  id: 'id',
  title: 'title',
  kind: 'kind',
  category: 'category',
  ownerTeam: 'owner team',
  trackerUrl: 'tracker link',
};

/** Where a field path points on the page, in words and as an element id; indexes are of the rows shown. */
function place(path: string, actionRow: (index: number) => number): { label: string; id: string } {
  const p = path.replace(/^fields\./, '');
  let m = /^timeline\[(\d+)\]\.(at|text)/.exec(p);
  if (m)
    return {
      label: `${guide.timeline.label} row ${Number(m[1]) + 1}: ${m[2] === 'at' ? 'time' : 'what happened'}`,
      id: fieldId(`timeline-${m[1]}-${m[2]}`),
    };
  m = /^fiveWhys\[(\d+)\]/.exec(p);
  if (m) return { label: `Why ${Number(m[1]) + 1}`, id: fieldId(`fiveWhys-${m[1]}`) };
  m = /^actions\[(\d+)\](?:\.([A-Za-z]+))?/.exec(p);
  if (m) {
    const row = actionRow(Number(m[1]));
    const part = m[2] && Object.hasOwn(ACTION_PARTS, m[2]) ? m[2] : undefined;
    return {
      label: `Action ${row + 1}${part ? `: ${ACTION_PARTS[part]}` : ''}`,
      id: fieldId(`actions-${row}${part && part !== 'id' ? `-${part}` : ''}`),
    };
  }
  if (p.startsWith('recurrence.relatedIncidents'))
    return { label: 'Related incidents', id: fieldId(names.relatedIncidents) };
  if (p.startsWith('recurrence')) return { label: guide.recurrence.label, id: fieldId(names.recurrenceText) };
  m = /^lessons\.(wentWell|couldBeBetter|gotLucky)/.exec(p);
  if (m) {
    const part = m[1] as LessonPart;
    return { label: lessonsGuide[part].label, id: fieldId(names.lesson(part)) };
  }
  const top = /^[A-Za-z]+/.exec(p)?.[0] ?? '';
  if (top === 'owner') return { label: 'Owner', id: fieldId('owner') };
  if (top === 'version') return { label: 'The version edited', id: 'checks' };
  if (Object.hasOwn(guide, top)) return { label: guide[top as keyof typeof guide].label, id: fieldId(top) };
  return { label: 'The form', id: 'checks' };
}

/** A validation message (`fields.leadup: at most ...; actions[1].title: ...`) as its parts. */
export function problemsOf(message: string): { path: string; problem: string }[] {
  const starts = [...message.matchAll(/(?:^|; )((?:[A-Za-z]+)(?:\[\d+\]|\.[A-Za-z]+)*): /g)];
  if (starts.length === 0) return [{ path: 'body', problem: message }];
  return starts.map((m, i) => {
    const from = (m.index ?? 0) + m[0].length;
    const next = starts[i + 1];
    const to = next ? (next.index ?? message.length) : message.length;
    return { path: m[1] ?? 'body', problem: message.slice(from, to) };
  });
}

const FIELD_LABELS: Record<string, string> = {
  owner: 'Owner',
  actions: guide.actions.label,
  ...Object.fromEntries(Object.entries(guide).map(([name, g]) => [name, g.label])),
};

/** `summary`, `actions` (the names a version's `changed` lists) in words. */
export function changedLabel(name: string): string {
  return Object.hasOwn(FIELD_LABELS, name) ? (FIELD_LABELS[name] ?? name) : name;
}

// --- rendering -------------------------------------------------------------------------------------------------

/**
 * A textarea's text: the parser drops one newline right after the tag, so one is always written first. Tall
 * enough for what it holds (about 60 characters a line), so pre-filled text reads without scrolling inside it.
 */
const textarea = (attrs: string, value: string, minRows: number) => {
  const lines = value.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / 60)), 0);
  const rows = Math.min(20, Math.max(minRows, lines + 1));
  return `<textarea ${attrs} rows="${rows}">\n${e(value)}</textarea>`;
};

interface Ctx {
  v: PostmortemEditorView;
  ro: boolean;
  invalid: Set<string>;
  /** After a stale save: the parts both changed (theirs shown beside the typed text) and those taken from theirs. */
  conflicts: Set<string>;
  taken: Set<string>;
  /** The last of the other edits that changed a part (by the names a version's `changed` uses). */
  editOf: (field: string) => { version: number; by: string };
}

/** `id`, `name`, `aria-describedby`, `aria-invalid` and, read-only, `readonly` (`disabled` for a select). */
function attrs(c: Ctx, name: string, hint?: string, control: 'text' | 'select' = 'text'): string {
  const id = fieldId(name);
  return [
    `id="${e(id)}"`,
    `name="${e(name)}"`,
    ...(hint ? [`aria-describedby="${e(hint)}"`] : []),
    ...(c.invalid.has(id) ? ['aria-invalid="true"'] : []),
    ...(c.ro ? [control === 'select' ? 'disabled' : 'readonly'] : []),
  ].join(' ');
}

const label = (forName: string, text: string, cls = '') =>
  `<label for="${e(fieldId(forName))}"${cls ? ` class="${cls}"` : ''}>${e(text)}</label>`;

const hint = (id: string, text: string) => `<p class="hint" id="${e(id)}">${e(text)}</p>`;

/**
 * After a stale save, under a part: what the other edit saved where both changed it (the control keeps the
 * typed text), or a note that the control now shows their text (only they had changed it).
 */
function theirsBlock(c: Ctx, field: MergeField, content: string): string {
  if (c.conflicts.has(field)) {
    const edit = c.editOf(field);
    return `<div class="theirs"><p class="theirs-head">You both changed this. Your text is above; version ${e(
      String(edit.version),
    )} by ${e(edit.by)} saved:</p>${content}</div>`;
  }
  if (c.taken.has(field)) {
    const edit = c.editOf(field);
    return `<p class="taken">Updated to version ${e(String(edit.version))} by ${e(
      edit.by,
    )}: you had not changed this.</p>`;
  }
  return '';
}

const plain = (text: string) =>
  text.trim() === '' ? '<p class="muted">(empty)</p>' : `<p class="pre">${e(text)}</p>`;

function textField(c: Ctx, name: TextField): string {
  const g = guide[name];
  const h = `${fieldId(name)}-hint`;
  return [
    `<div class="field">`,
    label(name, g.label),
    hint(h, g.instructions),
    textarea(attrs(c, name, h), c.v.values.text[name], name === 'summary' ? 5 : 4),
    theirsBlock(c, name, plain(c.v.postmortem.fields[name])),
    '</div>',
  ].join('');
}

function timelineSection(c: Ctx): string {
  const rows = [...c.v.values.timeline];
  if (!c.ro)
    for (let i = 0; i < BLANK_ROWS.timeline && rows.length < postmortemLimits.timelineRows; i++)
      rows.push({ at: '', text: '' });
  const current = c.v.postmortem.fields.timeline;
  return [
    `<fieldset id="${fieldId('timeline')}"><legend>${e(guide.timeline.label)} (UTC)</legend>`,
    hint(
      'f-timeline-hint',
      `${guide.timeline.instructions} Times are UTC, e.g. 2026-11-30 14:30. Fill a blank row to add one; clear a row to remove it.`,
    ),
    ...rows.map((row, i) => {
      const at = names.timeline(i, 'at');
      const text = names.timeline(i, 'text');
      return [
        `<div class="trow">`,
        `<div>${label(at, `Row ${i + 1}: time (UTC)`, 'sub')}<input type="text" ${attrs(c, at)} value="${e(row.at)}" placeholder="YYYY-MM-DD HH:MM" autocomplete="off"></div>`,
        `<div>${label(text, `Row ${i + 1}: what happened`, 'sub')}<input type="text" ${attrs(c, text)} value="${e(row.text)}"></div>`,
        '</div>',
      ].join('');
    }),
    theirsBlock(
      c,
      'timeline',
      current.length === 0
        ? plain('')
        : `<ul>${current
            .map((r) => `<li><span class="muted">${e(markdownTime(r.at))}</span> ${e(r.text)}</li>`)
            .join('')}</ul>`,
    ),
    '</fieldset>',
  ].join('');
}

function whysSection(c: Ctx): string {
  const rows = [...c.v.values.fiveWhys];
  if (!c.ro) {
    while (rows.length < 5) rows.push('');
    for (let i = 0; i < BLANK_ROWS.whys && rows.length < postmortemLimits.whys; i++) rows.push('');
  }
  const current = c.v.postmortem.fields.fiveWhys;
  return [
    `<fieldset id="${fieldId('fiveWhys')}"><legend>${e(guide.fiveWhys.label)}</legend>`,
    hint('f-fiveWhys-hint', `${guide.fiveWhys.instructions} Clear a why to remove it.`),
    ...rows.map((why, i) => {
      const name = names.why(i);
      return `<div class="field">${label(name, `Why ${i + 1}`, 'sub')}<input type="text" ${attrs(c, name)} value="${e(why)}"></div>`;
    }),
    theirsBlock(
      c,
      'fiveWhys',
      current.length === 0 ? plain('') : `<ol>${current.map((w) => `<li>${e(w)}</li>`).join('')}</ol>`,
    ),
    '</fieldset>',
  ].join('');
}

function categorySection(c: Ctx): string {
  const chosen = c.v.values.rootCauseCategory;
  const name = names.rootCauseCategory;
  const radio = (value: string, id: string, content: string) =>
    `<label class="choice" for="${e(id)}"><input type="radio" id="${e(id)}" name="${e(name)}" value="${e(value)}"${
      chosen === value ? ' checked' : ''
    }${c.ro ? ' disabled' : ''}><span>${content}</span></label>`;
  const current = c.v.postmortem.fields.rootCauseCategory;
  return [
    `<fieldset id="${fieldId(name)}"${c.invalid.has(fieldId(name)) ? ' class="invalid"' : ''}><legend>${e(
      guide.rootCauseCategory.label,
    )}</legend>`,
    hint('f-rootCauseCategory-hint', guide.rootCauseCategory.instructions),
    ...rootCauseCategories.map((cat) => {
      const g = rootCauseGuide[cat];
      return radio(
        cat,
        fieldId(`rootCauseCategory-${cat}`),
        `<strong>${e(g.label)}</strong>: ${e(g.definition)}<br><span class="todo">What to do about it: ${e(g.whatToDo)}</span>`,
      );
    }),
    radio('', fieldId('rootCauseCategory-none'), '<strong>Not chosen yet</strong>'),
    theirsBlock(c, 'rootCauseCategory', plain(current ? rootCauseGuide[current].label : 'Not chosen')),
    '</fieldset>',
  ].join('');
}

function recurrenceSection(c: Ctx): string {
  const h = 'f-recurrence-text-hint';
  const current = c.v.postmortem.fields.recurrence;
  return [
    `<div class="field" id="${fieldId('recurrence')}">`,
    label(names.recurrenceText, guide.recurrence.label),
    hint(h, guide.recurrence.instructions),
    textarea(attrs(c, names.recurrenceText, h), c.v.values.recurrenceText, 3),
    theirsBlock(c, 'recurrence.text', plain(current.text)),
    label(names.relatedIncidents, 'Related incidents', 'sub'),
    hint('f-related-hint', 'Incident keys, separated by commas (suggested from the last 90 days).'),
    `<input type="text" ${attrs(c, names.relatedIncidents, 'f-related-hint')} value="${e(c.v.values.relatedIncidents)}">`,
    theirsBlock(c, 'recurrence.relatedIncidents', plain(current.relatedIncidents.join(', '))),
    '</div>',
  ].join('');
}

function lessonsSection(c: Ctx): string {
  const current = c.v.postmortem.fields.lessons;
  return [
    `<div id="${fieldId('lessons')}">`,
    hint('f-lessons-hint', guide.lessons.instructions),
    ...LESSON_PARTS.map((part) => {
      const name = names.lesson(part);
      return `<div class="field">${label(name, lessonsGuide[part].label)}${textarea(
        attrs(c, name, 'f-lessons-hint'),
        c.v.values.lessons[part],
        3,
      )}${theirsBlock(c, `lessons.${part}`, plain(current[part]))}</div>`;
    }),
    '</div>',
  ].join('');
}

function select(
  c: Ctx,
  name: string,
  chosen: string,
  options: readonly { value: string; label: string }[],
): string {
  const known = options.some((o) => o.value === chosen);
  return `<select ${attrs(c, name, undefined, 'select')}>${[
    ...(known ? [] : [{ value: chosen, label: chosen === '' ? 'Choose…' : chosen }]),
    ...options,
  ]
    .map(
      (o) => `<option value="${e(o.value)}"${o.value === chosen ? ' selected' : ''}>${e(o.label)}</option>`,
    )
    .join('')}</select>`;
}

const kindOptions = actionKinds.map((k) => ({
  value: k,
  label: k === 'priority' ? 'Priority: fixes the root cause' : 'Improvement: not the root cause',
}));
const categoryOptions = actionCategories.map((cat) => ({
  value: cat,
  label: actionCategoryGuide[cat].label,
}));

function actionRow(c: Ctx, row: ActionValues, i: number, saved: PostmortemAction | undefined): string {
  const n = (part: Parameters<typeof names.action>[1]) => names.action(i, part);
  const isNew = row.id === '';
  const due = saved?.dueAt
    ? `Due ${humanTime(saved.dueAt)}${saved.dueProvisional ? ' (provisional: fixed when the postmortem is approved)' : ''}.`
    : row.kind === 'priority'
      ? "Saved as a priority action, it gets a due date within the owning service's SLO (4 or 8 weeks): provisional until the postmortem is approved."
      : '';
  const status = saved
    ? saved.status === 'done'
      ? ` Done${saved.doneAt ? ` ${humanTime(saved.doneAt)}` : ''}.`
      : ' Open.'
    : '';
  return [
    `<fieldset class="action" id="${fieldId(`actions-${i}`)}"><legend>${isNew ? `New action ${i + 1}` : `Action ${i + 1}`}</legend>`,
    isNew ? '' : `<input type="hidden" name="${e(n('id'))}" value="${e(row.id)}">`,
    `<div class="field">${label(n('title'), 'Title (starts with a verb)')}<input type="text" ${attrs(c, n('title'))} value="${e(
      row.title,
    )}"></div>`,
    `<div class="pair"><div class="field">${label(n('kind'), 'Kind', 'sub')}${select(
      c,
      n('kind'),
      row.kind,
      kindOptions,
    )}</div>`,
    `<div class="field">${label(n('category'), 'Category', 'sub')}${select(
      c,
      n('category'),
      row.category,
      categoryOptions,
    )}</div></div>`,
    `<div class="pair"><div class="field">${label(n('ownerTeam'), 'Owner team', 'sub')}<input type="text" ${attrs(
      c,
      n('ownerTeam'),
    )} value="${e(row.ownerTeam)}" placeholder="${e(c.v.postmortem.ownerTeam)}"></div>`,
    `<div class="field">${label(n('trackerUrl'), 'Tracked at (http or https link)', 'sub')}<input type="text" inputmode="url" ${attrs(
      c,
      n('trackerUrl'),
    )} value="${e(row.trackerUrl)}" placeholder="https://"></div></div>`,
    due || status ? `<p class="hint">${e(`${due}${status}`.trim())}</p>` : '',
    isNew || c.ro
      ? ''
      : `<label class="choice" for="${e(fieldId(n('remove')))}"><input type="checkbox" id="${e(
          fieldId(n('remove')),
        )}" name="${e(n('remove'))}" value="1"${row.remove ? ' checked' : ''}><span>Remove this action when saving</span></label>`,
    '</fieldset>',
  ].join('');
}

function actionsSection(c: Ctx): string {
  const rows = [...c.v.values.actions];
  if (!c.ro)
    for (let i = 0; i < BLANK_ROWS.actions && rows.length < postmortemLimits.actions; i++)
      rows.push({
        id: '',
        title: '',
        kind: '',
        category: '',
        ownerTeam: '',
        trackerUrl: '',
        remove: false,
      });
  const byId = new Map(c.v.postmortem.actions.map((a) => [a.id, a]));
  const current = c.v.postmortem.actions;
  return [
    `<div id="${fieldId('actions')}">`,
    hint('f-actions-hint', guide.actions.instructions),
    '<details><summary>Kinds and categories of actions</summary>',
    `<dl class="guide">${actionKinds
      .map((k) => `<dt>${e(actionKindGuide[k].label)}</dt><dd>${e(actionKindGuide[k].meaning)}</dd>`)
      .join('')}${actionCategories
      .map((cat) => {
        const g = actionCategoryGuide[cat];
        return `<dt>${e(g.label)}</dt><dd>${e(g.question)} <span class="muted">For example: ${e(g.examples)}</span></dd>`;
      })
      .join('')}</dl>`,
    `<p class="hint">${e(futureActionAdvice)}</p>`,
    '</details>',
    '<details><summary>Wording an action</summary>',
    `<ul>${[actionWordingGuide.actionable, actionWordingGuide.specific, actionWordingGuide.bounded]
      .map((t) => `<li>${e(t)}</li>`)
      .join('')}</ul>`,
    `<ul>${actionWordingGuide.examples
      .map((x) => `<li>Not "${e(x.weak)}" but "${e(x.strong)}"</li>`)
      .join('')}</ul>`,
    '</details>',
    ...rows.map((row, i) => actionRow(c, row, i, row.id ? byId.get(row.id) : undefined)),
    c.ro
      ? ''
      : hint(
          'f-actions-add',
          'Fill a blank action to add it (blank ones are ignored). Save to get more blank rows.',
        ),
    theirsBlock(
      c,
      'actions',
      current.length === 0
        ? plain('')
        : `<ol>${current
            .map(
              (a) =>
                `<li>${e(a.title)} <span class="muted">(${e(a.kind)}, ${e(actionCategoryGuide[a.category].label)}, ${e(
                  a.ownerTeam,
                )}${a.trackerUrl ? `, ${e(a.trackerUrl)}` : ''})</span></li>`,
            )
            .join('')}</ol>`,
    ),
    '</div>',
  ].join('');
}

/** A check's message without the field's instructions at its end: the page shows them beside the field. */
function withoutInstructions(message: string): string {
  for (const g of Object.values(guide)) {
    if (message.endsWith(` ${g.instructions}`)) return message.slice(0, -g.instructions.length - 1);
  }
  return message;
}

/** A check as a list item, linked to its field when the form shows the saved values (`anchors`). */
function checkItem(check: { field?: string; message: string }, anchors: boolean): string {
  const target = anchors && check.field ? place(check.field, (i) => i).id : undefined;
  const message = e(withoutInstructions(check.message));
  return `<li>${target ? `<a href="#${e(target)}">${message}</a>` : message}</li>`;
}

function checksSection(v: PostmortemEditorView, anchors: boolean): string {
  const { blocking, warnings } = v.checks;
  const item = (check: { field?: string; message: string }) => checkItem(check, anchors);
  return [
    `<section id="checks" class="checks">`,
    `<h2>Checks of version ${e(String(v.postmortem.version))}</h2>`,
    blocking.length === 0
      ? '<div class="box ok"><p><strong>Nothing blocks approval.</strong> Every field is filled and the actions the handbook asks for are there.</p></div>'
      : `<div class="box bad"><p><strong>Blocking (${blocking.length})</strong>: approval cannot be requested until these are done.</p><ul>${blocking
          .map(item)
          .join('')}</ul></div>`,
    warnings.length === 0
      ? '<p class="muted">No warnings.</p>'
      : `<div class="box warn"><p><strong>Warnings (${warnings.length})</strong>: worth fixing; they do not block.</p><ul>${warnings
          .map(item)
          .join('')}</ul></div>`,
    '</section>',
  ].join('');
}

/** `a@example.com (mandatory), b@example.com (optional)`. */
const approverList = (approvers: readonly { address: string; mandatory: boolean }[]) =>
  approvers.map((a) => `${e(a.address)} (${a.mandatory ? 'mandatory' : 'optional'})`).join(', ');

/** A sentence for `nothing was asked` after a refused save that was meant to ask for approval. */
const notAsked = (v: PostmortemEditorView) => (v.approvalNotAsked ? ' Nobody was asked for approval.' : '');

function noticeBox(v: PostmortemEditorView, actionRowOf: (i: number) => number): string {
  const n = v.notice;
  if (!n) return '';
  switch (n.kind) {
    case 'requested': {
      const approvers = v.approval?.approvers ?? [];
      return `<div class="box ok" role="status"><p><strong>Approval requested on version ${e(
        String(n.version),
      )}.</strong> ${
        approvers.length
          ? `Each approver got one email with the whole postmortem and their links to approve or to request changes: ${approverList(
              approvers,
            )}.`
          : 'The approvers got one email each with the whole postmortem and their links.'
      } It is in review until every mandatory approver approves; a request for changes brings it back here, with the comment.</p></div>`;
    }
    case 'not-requested': {
      const saved = n.saved
        ? n.saved.changed
          ? `Your changes were saved as version ${e(String(n.saved.version))}. `
          : `Nothing needed saving (the form matched version ${e(String(n.saved.version))}). `
        : '';
      if (n.blocking.length === 0)
        return `<div class="box bad" role="alert"><p><strong>Not sent for approval</strong>: ${e(
          n.reason ?? 'approval cannot be requested now',
        )}.</p><p>${saved}Nobody was asked.</p></div>`;
      return `<div class="box bad" role="alert"><p><strong>Not sent for approval: ${
        n.blocking.length === 1 ? 'one blocking check is' : `${n.blocking.length} blocking checks are`
      } not met.</strong> ${saved}Nobody was asked. Fix ${
        n.blocking.length === 1 ? 'it' : 'them'
      }, then ask again.</p><ul>${n.blocking.map((check) => checkItem(check, true)).join('')}</ul></div>`;
    }
    case 'saved':
      return `<div class="box ok" role="status"><p><strong>Saved as version ${e(String(n.version))}</strong> at ${e(
        humanTime(n.at),
      )}, recorded for ${e(n.by)}.</p></div>`;
    case 'unchanged':
      return `<div class="box ok" role="status"><p><strong>Nothing to save</strong>: the form matched version ${e(
        String(n.version),
      )}.</p></div>`;
    case 'closed':
      return `<div class="box warn" role="status"><p><strong>This postmortem is ${e(
        v.postmortem.status,
      )}: it can no longer be edited.</strong> ${n.tried ? 'Nothing was saved. ' : ''}It is shown as it is.</p></div>`;
    case 'invalid': {
      const problems = problemsOf(n.message);
      return `<div class="box bad" role="alert"><p><strong>Not saved: ${problems.length === 1 ? 'one field needs' : 'some fields need'} a change.</strong> What you typed is kept below.${notAsked(
        v,
      )}</p><ul>${problems
        .map(({ path, problem }) => {
          const at = place(path, actionRowOf);
          return `<li><a href="#${e(at.id)}">${e(at.label)}</a>: ${e(problem)}</li>`;
        })
        .join('')}</ul></div>`;
    }
    case 'stale': {
      const current = String(v.postmortem.version);
      const links = (fields: readonly MergeField[]) =>
        fields
          .map((field) => {
            const at = place(field, (i) => i);
            return `<a href="#${e(at.id)}">${e(at.label)}</a>`;
          })
          .join(', ');
      return [
        `<div class="box warn" role="alert"><p><strong>Not saved: this postmortem was saved by someone else while you were editing version ${e(
          n.yourVersion,
        )}.</strong>${notAsked(v)}</p>`,
        `<ul>${n.others
          .map(
            (o) =>
              `<li>Version ${e(String(o.version))} saved by <strong>${e(o.by)}</strong> at ${e(humanTime(o.at))}${
                o.changed.length ? `: changed ${e(o.changed.map(changedLabel).join(', '))}` : ''
              }.</li>`,
          )
          .join('')}</ul>`,
        '<p>Your text is kept in the form below.',
        n.conflicts.length
          ? ` You both changed ${links(n.conflicts)}: the form holds your text, and what they saved is shown under it.`
          : '',
        n.taken.length ? ` Only they changed ${links(n.taken)}: the form now shows their text.` : '',
        `</p><p>Check the form, then save: it becomes the version after ${e(current)}. Or <a href="${e(
          v.formAction,
        )}">drop your text and open version ${e(current)}</a>.</p></div>`,
      ].join('');
    }
  }
}

const decisionWords = (d: { decision: 'approved' | 'changes-requested' }) =>
  d.decision === 'approved' ? 'approved' : 'requested changes';

/** One approver's line: who, mandatory or optional, and their decision (with an earlier one that no longer counts). */
function approverItem(a: EditorApprover): string {
  const now = a.decision
    ? `${decisionWords(a.decision)} ${e(humanTime(a.decision.at))} (version ${e(String(a.decision.version))})`
    : 'not decided yet';
  const earlier = a.earlier
    ? ` <span class="muted">Earlier: ${decisionWords(a.earlier)} version ${e(String(a.earlier.version))} ${e(
        humanTime(a.earlier.at),
      )}; it counts only when made again.</span>`
    : '';
  return `<li><strong>${e(a.address)}</strong> (${a.mandatory ? 'mandatory' : 'optional'}): ${now}.${earlier}</li>`;
}

/**
 * Where approval stands, above the form: the requests for changes that sent the postmortem back (who, when, the
 * comment, as typed and escaped) while it is a draft again; who is asked and what each decided while in review;
 * who approved once approved. Nothing for a draft that was never sent.
 */
function approvalSection(v: PostmortemEditorView): string {
  const a = v.approval;
  const status = v.postmortem.status;
  if (!a?.request) return '';
  const request = `approval was requested by ${e(a.request.by)} at ${e(humanTime(a.request.at))} on version ${e(
    String(a.request.version),
  )}`;
  if (status === 'draft') {
    if (a.changesRequested.length === 0) return '';
    return [
      '<section id="changes-requested" class="box warn" aria-label="Changes requested">',
      `<p><strong>Changes requested.</strong> The postmortem is back to draft: ${request}, and ${
        a.changesRequested.length === 1 ? 'an approver' : 'approvers'
      } asked for changes. Change it, then ask for approval again: every approver is asked on the new version.</p>`,
      ...a.changesRequested.map(
        (c) =>
          `<div class="theirs"><p class="theirs-head">${e(c.approver)} (${
            c.mandatory ? 'mandatory' : 'optional'
          } approver), ${e(humanTime(c.at))}, on version ${e(String(c.version))}:</p><p class="pre">${e(
            c.comment,
          )}</p></div>`,
      ),
      '</section>',
    ].join('');
  }
  if (status === 'in-review') {
    return [
      '<section id="approval" class="box warn" aria-label="In review">',
      `<p><strong>In review</strong>: ${request}. Saving a change asks every approver again on the new version; decisions made so far then count only when made again.</p>`,
      `<ul>${a.approvers.map(approverItem).join('')}</ul>`,
      '</section>',
    ].join('');
  }
  return [
    '<section id="approval" class="box ok" aria-label="Approval">',
    `<p><strong>${e(status === 'published' ? 'Approved and published' : 'Approved')}</strong>: ${request}.</p>`,
    `<ul>${a.approvers.map(approverItem).join('')}</ul>`,
    '</section>',
  ].join('');
}

/** The save bar: Save, and for a draft "Ask for approval" (saves the form, then asks the approvers). */
function saveBar(v: PostmortemEditorView): string {
  const next = e(String(Number(v.values.version) + 1));
  if (v.postmortem.status !== 'draft')
    return `<div class="savebar"><button type="submit">Save</button><span class="hint">Saves version ${next}${
      v.postmortem.status === 'in-review' ? ' and asks the approvers again on it' : ''
    }.</span></div>`;
  const approvers = v.approval?.approvers ?? [];
  // The bar stays on screen (sticky): it holds the buttons and a few words; who is asked is said above it.
  return [
    `<p class="hint" id="ask-hint">Ask for approval saves the form, then mails the whole postmortem to ${
      approvers.length ? approverList(approvers) : 'the service’s approvers'
    }, each with links to approve or to request changes. It is refused, naming them, while a blocking check is unmet.</p>`,
    '<div class="savebar">',
    '<button type="submit">Save</button>',
    `<button type="submit" class="approve" name="${REQUEST_APPROVAL_INTENT.name}" value="${REQUEST_APPROVAL_INTENT.value}" aria-describedby="ask-hint">Ask for approval</button>`,
    `<span class="hint">Saves version ${next}.</span>`,
    '</div>',
  ].join('');
}

/** The editor page's HTML. */
export function renderPostmortemEditor(v: PostmortemEditorView): string {
  const pm = v.postmortem;
  const invalid = new Set<string>();
  // A refused save's action paths count the actions not marked for removal; the page shows those too.
  const kept = v.values.actions.flatMap((a, i) => (a.remove ? [] : [i]));
  const actionRowOf = (i: number) => kept[i] ?? i;
  if (v.notice?.kind === 'invalid')
    for (const { path } of problemsOf(v.notice.message)) invalid.add(place(path, actionRowOf).id);
  const stale = v.notice?.kind === 'stale' ? v.notice : undefined;
  const c: Ctx = {
    v,
    ro: v.readOnly,
    invalid,
    conflicts: new Set(stale?.conflicts ?? []),
    taken: new Set(stale?.taken ?? []),
    editOf: (field) => {
      const name = field.split('.', 1)[0] ?? field;
      const others = stale?.others ?? [];
      const edit = others.findLast((o) => o.changed.includes(name)) ?? others.at(-1);
      return edit ?? { version: pm.version, by: pm.updatedBy };
    },
  };
  const m = pm.metrics;
  const minutes = (value: number | undefined) => (value === undefined ? undefined : `${value} min`);
  const facts: [string, string | undefined][] = [
    ['Incident', `${v.incident.key}, Sev ${v.incident.severity}, ${v.incident.service}`],
    ['Status', pm.status],
    ['Owner', pm.owner],
    ['Owner team', pm.ownerTeam],
    ['Due', humanTime(pm.due)],
    ['Version', `${pm.version}, saved by ${pm.updatedBy} at ${humanTime(pm.updatedAt)}`],
  ];
  const measures: [string, string | undefined][] = [
    ['Minutes of impact', minutes(m.minutesOfImpact)],
    ['Time to detect', minutes(m.timeToDetectMinutes)],
    ['Time to acknowledge', minutes(m.timeToAcknowledgeMinutes)],
    ['Time to recover', minutes(m.timeToRecoverMinutes)],
  ];
  const dl = (rows: [string, string | undefined][]) =>
    `<dl>${rows
      .filter(([, value]) => value !== undefined)
      .map(([k, value]) => `<dt>${e(k)}</dt><dd>${e(value ?? '')}</dd>`)
      .join('')}</dl>`;
  const ownerHint = 'f-owner-hint';
  const body = [
    `<h1>Postmortem of ${e(v.incident.key)}</h1>`,
    `<p class="lead">${e(v.incident.summary)}</p>`,
    noticeBox(v, actionRowOf),
    approvalSection(v),
    dl(facts),
    v.readOnly && v.notice?.kind !== 'closed'
      ? noticeBox({ ...v, notice: { kind: 'closed', tried: false } }, actionRowOf)
      : '',
    v.readOnly
      ? ''
      : checksSection(
          v,
          v.notice === undefined ||
            v.notice.kind === 'saved' ||
            v.notice.kind === 'unchanged' ||
            v.notice.kind === 'requested' ||
            v.notice.kind === 'not-requested',
        ),
    `<p class="note">${e(blamelessAdvice)}</p>`,
    v.readOnly ? '<div class="form">' : `<form method="post" action="${e(v.formAction)}" class="form">`,
    v.readOnly ? '' : `<input type="hidden" name="${names.version}" value="${e(v.values.version)}">`,
    '<h2>Owner</h2>',
    `<div class="field">${label(names.owner, 'Who writes this postmortem')}${hint(
      ownerHint,
      'An email address or a name. Assign a person here; until then the owner team’s address owns it.',
    )}<input type="text" ${attrs(c, names.owner, ownerHint)} value="${e(v.values.owner)}" autocomplete="off">${theirsBlock(
      c,
      'owner',
      plain(pm.owner),
    )}</div>`,
    '<h2>What happened</h2>',
    measures.some(([, value]) => value !== undefined)
      ? `<h3>The handbook’s measures, from the incident</h3>${dl(measures)}`
      : '',
    ...(['summary', 'leadup', 'fault', 'impact', 'detection', 'response', 'recovery'] as const).map((name) =>
      textField(c, name),
    ),
    timelineSection(c),
    '<h2>Why it happened</h2>',
    whysSection(c),
    textField(c, 'rootCause'),
    categorySection(c),
    textField(c, 'backlogCheck'),
    recurrenceSection(c),
    `<h2>${e(guide.lessons.label)}</h2>`,
    lessonsSection(c),
    `<h2>${e(guide.actions.label)}</h2>`,
    actionsSection(c),
    v.readOnly ? '</div>' : `${saveBar(v)}</form>`,
    v.history.length
      ? `<h2>Saved versions</h2><ul>${[...v.history]
          .reverse()
          .slice(0, 20)
          .map(
            (h) =>
              `<li>Version ${e(String(h.version))} by ${e(h.by)} at ${e(humanTime(h.at))}${
                h.changed.length ? `: ${e(h.changed.map(changedLabel).join(', '))}` : ''
              }</li>`,
          )
          .join('')}</ul>`
      : '',
    `<p class="note">This editor link was sent to <strong>${e(v.recipient)}</strong>: saves are recorded as theirs. It works until ${e(
      humanTime(v.expiresAt),
    )}, for as many saves as needed. Opening it changed nothing.</p>`,
  ].join('\n');
  return page('plain', `Postmortem of ${v.incident.key}`, body, { wide: true });
}

/** A form too large to read (413): nothing was saved, and the text is still in the browser's form. */
export function formTooLargeResponse(maxBytes: number): PageResponse {
  return {
    statusCode: 413,
    headers: pageHeaders(),
    body: page(
      'bad',
      'Too much to save at once',
      [
        '<h1>Too much to save at once</h1>',
        `<p>The form is larger than ${Math.round(maxBytes / 1024)} KB, so nothing was saved. Go back (your text is still in the form), shorten the longest fields or attach long material by link, and save again.</p>`,
      ].join('\n'),
    ),
  };
}

/** The editor's HTTP response: the page with its status, or 303 See Other back to the link after a save. */
export function editorResponse(result: EditorResult): PageResponse {
  const headers = pageHeaders();
  if (result.kind === 'postmortem-saved') {
    return { statusCode: 303, headers: { ...headers, location: result.location }, body: '' };
  }
  return { statusCode: result.status, headers, body: renderPostmortemEditor(result.view) };
}
