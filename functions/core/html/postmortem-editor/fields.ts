/** The form's fields: each part of the template with its guide, the timeline, whys and actions rows. */
import { humanTime } from '../../pages.ts';
import {
  actionCategories,
  actionKinds,
  type PostmortemAction,
  postmortemLimits,
  rootCauseCategories,
  type TextField,
} from '../../postmortem.ts';
import {
  actionCategoryGuide,
  actionKindGuide,
  actionWordingGuide,
  futureActionAdvice,
  lessonsGuide,
  rootCauseGuide,
} from '../../postmortem-checks.ts';
import { markdownTime } from '../../postmortem-markdown.ts';
import { fieldId, guide } from './form.ts';
import {
  type ActionValues,
  BLANK_ROWS,
  e,
  LESSON_PARTS,
  type MergeField,
  names,
  type PostmortemEditorView,
} from './model.ts';

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

export interface Ctx {
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
export function attrs(c: Ctx, name: string, hint?: string, control: 'text' | 'select' = 'text'): string {
  const id = fieldId(name);
  return [
    `id="${e(id)}"`,
    `name="${e(name)}"`,
    ...(hint ? [`aria-describedby="${e(hint)}"`] : []),
    ...(c.invalid.has(id) ? ['aria-invalid="true"'] : []),
    ...(c.ro ? [control === 'select' ? 'disabled' : 'readonly'] : []),
  ].join(' ');
}

export const label = (forName: string, text: string, cls = '') =>
  `<label for="${e(fieldId(forName))}"${cls ? ` class="${cls}"` : ''}>${e(text)}</label>`;

export const hint = (id: string, text: string) => `<p class="hint" id="${e(id)}">${e(text)}</p>`;

/**
 * After a stale save, under a part: what the other edit saved where both changed it (the control keeps the
 * typed text), or a note that the control now shows their text (only they had changed it).
 */
export function theirsBlock(c: Ctx, field: MergeField, content: string): string {
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

export const plain = (text: string) =>
  text.trim() === '' ? '<p class="muted">(empty)</p>' : `<p class="pre">${e(text)}</p>`;

export function textField(c: Ctx, name: TextField): string {
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

export function timelineSection(c: Ctx): string {
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

export function whysSection(c: Ctx): string {
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

export function categorySection(c: Ctx): string {
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

export function recurrenceSection(c: Ctx): string {
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

export function lessonsSection(c: Ctx): string {
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

export function actionRow(c: Ctx, row: ActionValues, i: number, saved: PostmortemAction | undefined): string {
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

export function actionsSection(c: Ctx): string {
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
