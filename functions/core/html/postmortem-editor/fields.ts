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
import { EMPTY, html, joinHtml, SafeHtml } from '../html.ts';
import { fieldId, guide } from './form.ts';
import {
  type ActionValues,
  BLANK_ROWS,
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
const textarea = (attributes: SafeHtml, value: string, minRows: number): SafeHtml => {
  const lines = value.split('\n').reduce((sum, line) => sum + Math.max(1, Math.ceil(line.length / 60)), 0);
  const rows = Math.min(20, Math.max(minRows, lines + 1));
  return html`<textarea ${attributes} rows="${String(rows)}">\n${value}</textarea>`;
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
export function attrs(c: Ctx, name: string, hint?: string, control: 'text' | 'select' = 'text'): SafeHtml {
  const id = fieldId(name);
  return joinHtml(
    [
      html`id="${id}"`,
      html`name="${name}"`,
      hint && html`aria-describedby="${hint}"`,
      c.invalid.has(id) && html`aria-invalid="true"`,
      c.ro && (control === 'select' ? html`disabled` : html`readonly`),
    ].filter((part): part is SafeHtml => part instanceof SafeHtml),
    html` `,
  );
}

export const label = (forName: string, text: string, cls = ''): SafeHtml =>
  html`<label for="${fieldId(forName)}"${cls && html` class="${cls}"`}>${text}</label>`;

export const hint = (id: string, text: string): SafeHtml => html`<p class="hint" id="${id}">${text}</p>`;

/**
 * After a stale save, under a part: what the other edit saved where both changed it (the control keeps the
 * typed text), or a note that the control now shows their text (only they had changed it).
 */
export function theirsBlock(c: Ctx, field: MergeField, content: SafeHtml): SafeHtml {
  if (c.conflicts.has(field)) {
    const edit = c.editOf(field);
    return html`<div class="theirs"><p class="theirs-head">You both changed this. Your text is above; version ${String(
      edit.version,
    )} by ${edit.by} saved:</p>${content}</div>`;
  }
  if (c.taken.has(field)) {
    const edit = c.editOf(field);
    return html`<p class="taken">Updated to version ${String(edit.version)} by ${edit.by}: you had not changed this.</p>`;
  }
  return EMPTY;
}

export const plain = (text: string): SafeHtml =>
  text.trim() === '' ? html`<p class="muted">(empty)</p>` : html`<p class="pre">${text}</p>`;

export function textField(c: Ctx, name: TextField): SafeHtml {
  const g = guide[name];
  const h = `${fieldId(name)}-hint`;
  return joinHtml([
    html`<div class="field">`,
    label(name, g.label),
    hint(h, g.instructions),
    textarea(attrs(c, name, h), c.v.values.text[name], name === 'summary' ? 5 : 4),
    theirsBlock(c, name, plain(c.v.postmortem.fields[name])),
    html`</div>`,
  ]);
}

export function timelineSection(c: Ctx): SafeHtml {
  const rows = [...c.v.values.timeline];
  if (!c.ro)
    for (let i = 0; i < BLANK_ROWS.timeline && rows.length < postmortemLimits.timelineRows; i++)
      rows.push({ at: '', text: '' });
  const current = c.v.postmortem.fields.timeline;
  return joinHtml([
    html`<fieldset id="${fieldId('timeline')}"><legend>${guide.timeline.label} (UTC)</legend>`,
    hint(
      'f-timeline-hint',
      `${guide.timeline.instructions} Times are UTC, e.g. 2026-11-30 14:30. Fill a blank row to add one; clear a row to remove it.`,
    ),
    ...rows.map((row, i) => {
      const at = names.timeline(i, 'at');
      const text = names.timeline(i, 'text');
      return joinHtml([
        html`<div class="trow">`,
        html`<div>${label(at, `Row ${i + 1}: time (UTC)`, 'sub')}<input type="text" ${attrs(c, at)} value="${row.at}" placeholder="YYYY-MM-DD HH:MM" autocomplete="off"></div>`,
        html`<div>${label(text, `Row ${i + 1}: what happened`, 'sub')}<input type="text" ${attrs(c, text)} value="${row.text}"></div>`,
        html`</div>`,
      ]);
    }),
    theirsBlock(
      c,
      'timeline',
      current.length === 0
        ? plain('')
        : html`<ul>${current.map(
            (r) => html`<li><span class="muted">${markdownTime(r.at)}</span> ${r.text}</li>`,
          )}</ul>`,
    ),
    html`</fieldset>`,
  ]);
}

export function whysSection(c: Ctx): SafeHtml {
  const rows = [...c.v.values.fiveWhys];
  if (!c.ro) {
    while (rows.length < 5) rows.push('');
    for (let i = 0; i < BLANK_ROWS.whys && rows.length < postmortemLimits.whys; i++) rows.push('');
  }
  const current = c.v.postmortem.fields.fiveWhys;
  return joinHtml([
    html`<fieldset id="${fieldId('fiveWhys')}"><legend>${guide.fiveWhys.label}</legend>`,
    hint('f-fiveWhys-hint', `${guide.fiveWhys.instructions} Clear a why to remove it.`),
    ...rows.map((why, i) => {
      const name = names.why(i);
      return html`<div class="field">${label(name, `Why ${i + 1}`, 'sub')}<input type="text" ${attrs(c, name)} value="${why}"></div>`;
    }),
    theirsBlock(
      c,
      'fiveWhys',
      current.length === 0 ? plain('') : html`<ol>${current.map((w) => html`<li>${w}</li>`)}</ol>`,
    ),
    html`</fieldset>`,
  ]);
}

export function categorySection(c: Ctx): SafeHtml {
  const chosen = c.v.values.rootCauseCategory;
  const name = names.rootCauseCategory;
  const radio = (value: string, id: string, content: SafeHtml) =>
    html`<label class="choice" for="${id}"><input type="radio" id="${id}" name="${name}" value="${value}"${
      chosen === value && html` checked`
    }${c.ro && html` disabled`}><span>${content}</span></label>`;
  const current = c.v.postmortem.fields.rootCauseCategory;
  return joinHtml([
    html`<fieldset id="${fieldId(name)}"${c.invalid.has(fieldId(name)) && html` class="invalid"`}><legend>${
      guide.rootCauseCategory.label
    }</legend>`,
    hint('f-rootCauseCategory-hint', guide.rootCauseCategory.instructions),
    ...rootCauseCategories.map((cat) => {
      const g = rootCauseGuide[cat];
      return radio(
        cat,
        fieldId(`rootCauseCategory-${cat}`),
        html`<strong>${g.label}</strong>: ${g.definition}<br><span class="todo">What to do about it: ${g.whatToDo}</span>`,
      );
    }),
    radio('', fieldId('rootCauseCategory-none'), html`<strong>Not chosen yet</strong>`),
    theirsBlock(c, 'rootCauseCategory', plain(current ? rootCauseGuide[current].label : 'Not chosen')),
    html`</fieldset>`,
  ]);
}

export function recurrenceSection(c: Ctx): SafeHtml {
  const h = 'f-recurrence-text-hint';
  const current = c.v.postmortem.fields.recurrence;
  return joinHtml([
    html`<div class="field" id="${fieldId('recurrence')}">`,
    label(names.recurrenceText, guide.recurrence.label),
    hint(h, guide.recurrence.instructions),
    textarea(attrs(c, names.recurrenceText, h), c.v.values.recurrenceText, 3),
    theirsBlock(c, 'recurrence.text', plain(current.text)),
    label(names.relatedIncidents, 'Related incidents', 'sub'),
    hint('f-related-hint', 'Incident keys, separated by commas (suggested from the last 90 days).'),
    html`<input type="text" ${attrs(c, names.relatedIncidents, 'f-related-hint')} value="${c.v.values.relatedIncidents}">`,
    theirsBlock(c, 'recurrence.relatedIncidents', plain(current.relatedIncidents.join(', '))),
    html`</div>`,
  ]);
}

export function lessonsSection(c: Ctx): SafeHtml {
  const current = c.v.postmortem.fields.lessons;
  return joinHtml([
    html`<div id="${fieldId('lessons')}">`,
    hint('f-lessons-hint', guide.lessons.instructions),
    ...LESSON_PARTS.map((part) => {
      const name = names.lesson(part);
      return html`<div class="field">${label(name, lessonsGuide[part].label)}${textarea(
        attrs(c, name, 'f-lessons-hint'),
        c.v.values.lessons[part],
        3,
      )}${theirsBlock(c, `lessons.${part}`, plain(current[part]))}</div>`;
    }),
    html`</div>`,
  ]);
}

function select(
  c: Ctx,
  name: string,
  chosen: string,
  options: readonly { value: string; label: string }[],
): SafeHtml {
  const known = options.some((o) => o.value === chosen);
  return html`<select ${attrs(c, name, undefined, 'select')}>${[
    ...(known ? [] : [{ value: chosen, label: chosen === '' ? 'Choose…' : chosen }]),
    ...options,
  ].map(
    (o) => html`<option value="${o.value}"${o.value === chosen && html` selected`}>${o.label}</option>`,
  )}</select>`;
}

const kindOptions = actionKinds.map((k) => ({
  value: k,
  label: k === 'priority' ? 'Priority: fixes the root cause' : 'Improvement: not the root cause',
}));
const categoryOptions = actionCategories.map((cat) => ({
  value: cat,
  label: actionCategoryGuide[cat].label,
}));

export function actionRow(
  c: Ctx,
  row: ActionValues,
  i: number,
  saved: PostmortemAction | undefined,
): SafeHtml {
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
  return joinHtml([
    html`<fieldset class="action" id="${fieldId(`actions-${i}`)}"><legend>${isNew ? `New action ${i + 1}` : `Action ${i + 1}`}</legend>`,
    !isNew && html`<input type="hidden" name="${n('id')}" value="${row.id}">`,
    html`<div class="field">${label(n('title'), 'Title (starts with a verb)')}<input type="text" ${attrs(c, n('title'))} value="${row.title}"></div>`,
    html`<div class="pair"><div class="field">${label(n('kind'), 'Kind', 'sub')}${select(
      c,
      n('kind'),
      row.kind,
      kindOptions,
    )}</div>`,
    html`<div class="field">${label(n('category'), 'Category', 'sub')}${select(
      c,
      n('category'),
      row.category,
      categoryOptions,
    )}</div></div>`,
    html`<div class="pair"><div class="field">${label(n('ownerTeam'), 'Owner team', 'sub')}<input type="text" ${attrs(
      c,
      n('ownerTeam'),
    )} value="${row.ownerTeam}" placeholder="${c.v.postmortem.ownerTeam}"></div>`,
    html`<div class="field">${label(n('trackerUrl'), 'Tracked at (http or https link)', 'sub')}<input type="text" inputmode="url" ${attrs(
      c,
      n('trackerUrl'),
    )} value="${row.trackerUrl}" placeholder="https://"></div></div>`,
    (due || status) && html`<p class="hint">${`${due}${status}`.trim()}</p>`,
    !(isNew || c.ro) &&
      html`<label class="choice" for="${fieldId(n('remove'))}"><input type="checkbox" id="${fieldId(
        n('remove'),
      )}" name="${n('remove')}" value="1"${row.remove && html` checked`}><span>Remove this action when saving</span></label>`,
    html`</fieldset>`,
  ]);
}

export function actionsSection(c: Ctx): SafeHtml {
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
  return joinHtml([
    html`<div id="${fieldId('actions')}">`,
    hint('f-actions-hint', guide.actions.instructions),
    html`<details><summary>Kinds and categories of actions</summary>`,
    html`<dl class="guide">${actionKinds.map(
      (k) => html`<dt>${actionKindGuide[k].label}</dt><dd>${actionKindGuide[k].meaning}</dd>`,
    )}${actionCategories.map((cat) => {
      const g = actionCategoryGuide[cat];
      return html`<dt>${g.label}</dt><dd>${g.question} <span class="muted">For example: ${g.examples}</span></dd>`;
    })}</dl>`,
    html`<p class="hint">${futureActionAdvice}</p>`,
    html`</details>`,
    html`<details><summary>Wording an action</summary>`,
    html`<ul>${[actionWordingGuide.actionable, actionWordingGuide.specific, actionWordingGuide.bounded].map(
      (t) => html`<li>${t}</li>`,
    )}</ul>`,
    html`<ul>${actionWordingGuide.examples.map((x) => html`<li>Not "${x.weak}" but "${x.strong}"</li>`)}</ul>`,
    html`</details>`,
    ...rows.map((row, i) => actionRow(c, row, i, row.id ? byId.get(row.id) : undefined)),
    !c.ro &&
      hint(
        'f-actions-add',
        'Fill a blank action to add it (blank ones are ignored). Save to get more blank rows.',
      ),
    theirsBlock(
      c,
      'actions',
      current.length === 0
        ? plain('')
        : html`<ol>${current.map(
            (a) =>
              html`<li>${a.title} <span class="muted">(${a.kind}, ${actionCategoryGuide[a.category].label}, ${
                a.ownerTeam
              }${a.trackerUrl && html`, ${a.trackerUrl}`})</span></li>`,
          )}</ol>`,
    ),
    html`</div>`,
  ]);
}
