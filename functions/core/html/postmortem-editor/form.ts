import { type Postmortem, type TextField, textFields } from '../../postmortem.ts';
import { lessonsGuide, postmortemFieldGuide } from '../../postmortem-checks.ts';
import { markdownTime } from '../../postmortem-markdown.ts';
import {
  BLANK_ROWS,
  type EditorValues,
  type LessonPart,
  type MergeField,
  mergeFields,
  names,
  type RowList,
} from './model.ts';

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
      owner: a.owner ?? '',
      dueAt: a.kind === 'improvement' && a.dueAt ? a.dueAt.slice(0, 10) : '',
      trackerUrl: a.trackerUrl ?? '',
      remove: false,
    })),
  };
}

const LIST_NAME = /^(timeline|fiveWhys|actions)\[(\d{1,4})\](?:\[([A-Za-z]+)\])?$/;
export const blank = (value: string | undefined) => value === undefined || value.trim() === '';
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
        owner: row.owner ?? '',
        dueAt: row.dueAt ?? '',
        trackerUrl: row.trackerUrl ?? '',
        remove: removed(row),
      })),
  };
}

/**
 * After "Add another … row": the blank rows to offer under the typed ones. One more than were posted blank
 * (blank rows are dropped from the typed values, so the ones left blank come back, and one more), and never
 * fewer than the page offers anyway.
 */
export function blankRowsAfterAdd(form: URLSearchParams, list: RowList): number {
  const rows = new Map<number, Record<string, string>>();
  for (const [name, value] of form) {
    const m = LIST_NAME.exec(name);
    if (!m || m[1] !== list) continue;
    const row = rows.get(Number(m[2])) ?? {};
    row[m[3] ?? 'value'] = value;
    rows.set(Number(m[2]), row);
  }
  const blanks = [...rows.values()].filter((row) =>
    list === 'timeline'
      ? blank(row.at) && blank(row.text)
      : blank(row.id) && blank(row.title) && blank(row.trackerUrl),
  ).length;
  return Math.max(BLANK_ROWS[list], blanks + 1);
}

// --- a stale save: merging what was typed with what was saved meanwhile ----------------------------------------

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

export const guide = postmortemFieldGuide;
const ACTION_PARTS: Record<string, string> = {
  id: 'id',
  title: 'title',
  kind: 'kind',
  category: 'category',
  ownerTeam: 'owner team',
  owner: 'person',
  dueAt: 'due date',
  trackerUrl: 'tracker link',
};

/** Where a field path points on the page, in words and as an element id; indexes are of the rows shown. */
export function place(path: string, actionRow: (index: number) => number): { label: string; id: string } {
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

/** How the editor writes a timeline time: the placeholder, the hint and the error say it the same way. */
export const TIMELINE_TIME = {
  format: 'YYYY-MM-DD HH:MM',
  example: '2026-11-30 14:30',
} as const;

/**
 * A problem as the form words it: a timeline time the server refuses (its API wording names ISO-8601) is
 * said in the one format the form shows, which the server accepts as UTC.
 */
export function formProblem(path: string, problem: string): string {
  if (/^(?:fields\.)?timeline\[\d+\]\.at$/.test(path) && /ISO-8601|time is missing/.test(problem))
    return `needs a time in UTC written ${TIMELINE_TIME.format}, such as ${TIMELINE_TIME.example}`;
  return problem;
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
