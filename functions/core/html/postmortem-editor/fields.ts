/** The form's fields: each part of the template with its guide, the timeline, whys and actions rows. */
import { humanTime } from '../../pages.ts';
import {
  actionCategories,
  actionKinds,
  type PostmortemAction,
  postmortemLimits,
  type RootCauseCategory,
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
import { fieldId, guide, TIMELINE_TIME } from './form.ts';
import {
  type ActionValues,
  ADD_ROW_INTENT,
  BLANK_ROWS,
  LESSON_PARTS,
  type MergeField,
  names,
  type PostmortemEditorView,
  type RowList,
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

/**
 * `id`, `name`, `aria-describedby`, `aria-invalid`, `maxlength` (the server's cap: a browser counts characters,
 * the server UTF-8 bytes, so text with accents or emoji can still pass it here and be refused by the server,
 * which says so) and, read-only, `readonly` (`disabled` for a select).
 */
export function attrs(
  c: Ctx,
  name: string,
  hint?: string,
  control: 'text' | 'select' = 'text',
  max?: number,
): SafeHtml {
  const id = fieldId(name);
  return joinHtml(
    [
      html`id="${id}"`,
      html`name="${name}"`,
      hint && html`aria-describedby="${hint}"`,
      max !== undefined && !c.ro && html`maxlength="${String(max)}"`,
      c.invalid.has(id) && html`aria-invalid="true"`,
      c.ro && (control === 'select' ? html`disabled` : html`readonly`),
    ].filter((part): part is SafeHtml => part instanceof SafeHtml),
    html` `,
  );
}

export const label = (forName: string, text: string, cls = ''): SafeHtml =>
  html`<label for="${fieldId(forName)}"${cls && html` class="${cls}"`}>${text}</label>`;

export const hint = (id: string, text: string | SafeHtml): SafeHtml =>
  html`<p class="hint" id="${id}">${text}</p>`;

const count = (n: number) => n.toLocaleString('en');

/** A field's cap in words: the server counts UTF-8 bytes, so accents and emoji take more than one. */
export const limitWords = (max: number): string =>
  `Up to ${count(max)} characters (fewer with accents or emoji).`;

/** The same, after a hint's text. */
const withLimit = (text: string, max: number, ro: boolean): SafeHtml =>
  ro ? html`${text}` : html`${text} <span class="limit">${limitWords(max)}</span>`;

/** Does a part of the form hold a refused field (its id, or an id under it: `f-timeline` has `f-timeline-2-at`)? */
export const hasInvalid = (c: Ctx, ...ids: string[]): boolean =>
  [...c.invalid].some((bad) => ids.some((id) => bad === id || bad.startsWith(`${id}-`)));

/** Does a part of the form hold what a stale save merged (theirs shown beside, or theirs taken)? */
export const hasMerge = (c: Ctx, ...fields: MergeField[]): boolean =>
  fields.some((field) => c.conflicts.has(field) || c.taken.has(field));

/**
 * A part of the template that folds (`<details>`), so the page is a list of its parts: the summary names it and
 * says where it stands; it is open when it holds a refused field, a stale save's merge, or a row just added.
 */
export function fold(
  part: { id: string; title: string; status: string; open: boolean; invalid: boolean; merged: boolean },
  content: SafeHtml,
): SafeHtml {
  const status = part.invalid ? 'needs a change' : part.merged ? 'saved by someone else too' : part.status;
  return joinHtml([
    html`<details class="fold part" id="${part.id}"${(part.open || part.invalid || part.merged) && html` open`}>`,
    html`<summary>${part.title} <span class="fold-status${(part.invalid || part.merged) && html` attention`}">${status}</span></summary>`,
    html`<div class="fold-body">`,
    content,
    html`</div>`,
    html`</details>`,
  ]);
}

/** A text's state in a fold's summary. */
const textStatus = (c: Ctx, name: string, value: string): string =>
  value.trim() === ''
    ? 'empty'
    : c.v.postmortem.prefilled.includes(name) && value === textOf(c, name)
      ? 'pre-filled: check it'
      : 'written';

/** The saved text of a text field, by its template name. */
const textOf = (c: Ctx, name: string): string =>
  Object.hasOwn(c.v.postmortem.fields, name)
    ? String((c.v.postmortem.fields as unknown as Record<string, unknown>)[name] ?? '')
    : '';

const rowsWord = (n: number, one: string, many: string) =>
  n === 0 ? 'none yet' : `${n} ${n === 1 ? one : many}`;

/**
 * "Add another … row": a submit button that posts the whole form to be rendered again with what was typed
 * and one more blank row (nothing is saved); the page opens at the blank rows. No script.
 */
function addRowButton(c: Ctx, list: RowList, text: string): SafeHtml {
  return html`<p class="addrow"><button type="submit" class="secondary" name="${ADD_ROW_INTENT.name}" value="${
    ADD_ROW_INTENT.value[list]
  }" formaction="${c.v.formAction}#${fieldId(`${list}-new`)}" formnovalidate aria-describedby="${fieldId(
    `${list}-add`,
  )}">${text}</button></p>`;
}

/** Blank rows after the filled ones, and how many (more after "Add another … row"). */
const blankCount = (c: Ctx, list: RowList) => c.v.blankRows?.[list] ?? BLANK_ROWS[list];

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

/** The cap of a text field: the summary's and the external summary's are shorter. */
export const textCap = (name: TextField): number =>
  name === 'summary'
    ? postmortemLimits.summary
    : name === 'externalSummary'
      ? postmortemLimits.externalSummary
      : postmortemLimits.text;

export function textField(c: Ctx, name: TextField): SafeHtml {
  const g = guide[name];
  const h = `${fieldId(name)}-hint`;
  const max = textCap(name);
  const value = c.v.values.text[name];
  return fold(
    {
      id: `part-${name}`,
      title: g.label,
      status: textStatus(c, name, value),
      open: false,
      invalid: hasInvalid(c, fieldId(name)),
      merged: hasMerge(c, name),
    },
    joinHtml([
      html`<div class="field">`,
      label(name, g.label),
      hint(h, withLimit(g.instructions, max, c.ro)),
      textarea(attrs(c, name, h, 'text', max), value, name === 'summary' ? 5 : 4),
      theirsBlock(c, name, plain(c.v.postmortem.fields[name])),
      html`</div>`,
    ]),
  );
}

export function timelineSection(c: Ctx): SafeHtml {
  const typed = c.v.values.timeline;
  const blanks: { at: string; text: string }[] = [];
  if (!c.ro)
    for (
      let i = 0;
      i < blankCount(c, 'timeline') && typed.length + blanks.length < postmortemLimits.timelineRows;
      i++
    )
      blanks.push({ at: '', text: '' });
  const current = c.v.postmortem.fields.timeline;
  const max = postmortemLimits.timelineText;
  const row = (r: { at: string; text: string }, i: number) => {
    const at = names.timeline(i, 'at');
    const text = names.timeline(i, 'text');
    return joinHtml([
      html`<div class="trow">`,
      html`<div>${label(at, `Row ${i + 1}: time (UTC)`, 'sub')}<input type="text" ${attrs(c, at, 'f-timeline-hint', 'text', 40)} value="${r.at}" placeholder="${TIMELINE_TIME.format}" autocomplete="off"></div>`,
      html`<div>${label(text, `Row ${i + 1}: what happened`, 'sub')}<input type="text" ${attrs(c, text, undefined, 'text', max)} value="${r.text}"></div>`,
      html`</div>`,
    ]);
  };
  return fold(
    {
      id: 'part-timeline',
      title: `${guide.timeline.label} (UTC)`,
      status: rowsWord(typed.length, 'row', 'rows'),
      open: c.v.notice?.kind === 'row-added' && c.v.notice.list === 'timeline',
      invalid: hasInvalid(c, fieldId('timeline')),
      merged: hasMerge(c, 'timeline'),
    },
    joinHtml([
      html`<fieldset id="${fieldId('timeline')}"><legend>${guide.timeline.label} (UTC)</legend>`,
      hint(
        'f-timeline-hint',
        c.ro
          ? guide.timeline.instructions
          : `${guide.timeline.instructions} Times are UTC, written ${TIMELINE_TIME.format}, such as ${TIMELINE_TIME.example}. Fill a blank row to add one; clear a row to remove it. Each row: ${limitWords(max).replace(/^U/, 'u')}`,
      ),
      ...typed.map(row),
      blanks.length > 0 &&
        html`<div id="${fieldId('timeline-new')}">${blanks.map((r, i) => row(r, typed.length + i))}</div>`,
      !c.ro &&
        typed.length + blanks.length < postmortemLimits.timelineRows &&
        joinHtml([
          addRowButton(c, 'timeline', 'Add another timeline row'),
          hint(
            'f-timeline-add',
            'Keeps what you typed and adds a blank row; nothing is saved until you save.',
          ),
        ]),
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
    ]),
  );
}

export function whysSection(c: Ctx): SafeHtml {
  const rows = [...c.v.values.fiveWhys];
  const filled = rows.length;
  if (!c.ro) {
    while (rows.length < 5) rows.push('');
    for (let i = 0; i < BLANK_ROWS.whys && rows.length < postmortemLimits.whys; i++) rows.push('');
  }
  const current = c.v.postmortem.fields.fiveWhys;
  const max = postmortemLimits.why;
  return fold(
    {
      id: 'part-fiveWhys',
      title: guide.fiveWhys.label,
      status: rowsWord(filled, 'why', 'whys'),
      open: false,
      invalid: hasInvalid(c, fieldId('fiveWhys')),
      merged: hasMerge(c, 'fiveWhys'),
    },
    joinHtml([
      html`<fieldset id="${fieldId('fiveWhys')}"><legend>${guide.fiveWhys.label}</legend>`,
      hint(
        'f-fiveWhys-hint',
        c.ro
          ? guide.fiveWhys.instructions
          : `${guide.fiveWhys.instructions} Clear a why to remove it. Each why: ${limitWords(max).replace(/^U/, 'u')}`,
      ),
      ...rows.map((why, i) => {
        const name = names.why(i);
        return html`<div class="field">${label(name, `Why ${i + 1}`, 'sub')}<input type="text" ${attrs(c, name, undefined, 'text', max)} value="${why}"></div>`;
      }),
      theirsBlock(
        c,
        'fiveWhys',
        current.length === 0 ? plain('') : html`<ol>${current.map((w) => html`<li>${w}</li>`)}</ol>`,
      ),
      html`</fieldset>`,
    ]),
  );
}

export function categorySection(c: Ctx): SafeHtml {
  const chosen = c.v.values.rootCauseCategory;
  const name = names.rootCauseCategory;
  const radio = (value: string, id: string, content: SafeHtml) =>
    html`<label class="choice" for="${id}"><input type="radio" id="${id}" name="${name}" value="${value}"${
      chosen === value && html` checked`
    }${c.ro && html` disabled`}><span>${content}</span></label>`;
  const current = c.v.postmortem.fields.rootCauseCategory;
  const known = (rootCauseCategories as readonly string[]).includes(chosen);
  return fold(
    {
      id: 'part-rootCauseCategory',
      title: guide.rootCauseCategory.label,
      status: known ? rootCauseGuide[chosen as RootCauseCategory].label : 'not chosen',
      open: false,
      invalid: hasInvalid(c, fieldId(name)),
      merged: hasMerge(c, 'rootCauseCategory'),
    },
    joinHtml([
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
    ]),
  );
}

export function recurrenceSection(c: Ctx): SafeHtml {
  const h = 'f-recurrence-text-hint';
  const current = c.v.postmortem.fields.recurrence;
  const max = postmortemLimits.text;
  const value = c.v.values.recurrenceText;
  return fold(
    {
      id: 'part-recurrence',
      title: guide.recurrence.label,
      status: textStatus(c, 'recurrence', value),
      open: false,
      invalid: hasInvalid(c, fieldId('recurrence')),
      merged: hasMerge(c, 'recurrence.text', 'recurrence.relatedIncidents'),
    },
    joinHtml([
      html`<div class="field" id="${fieldId('recurrence')}">`,
      label(names.recurrenceText, guide.recurrence.label),
      hint(h, withLimit(guide.recurrence.instructions, max, c.ro)),
      textarea(attrs(c, names.recurrenceText, h, 'text', max), value, 3),
      theirsBlock(c, 'recurrence.text', plain(current.text)),
      label(names.relatedIncidents, 'Related incidents', 'sub'),
      hint('f-related-hint', 'Incident keys, separated by commas (suggested from the last 90 days).'),
      html`<input type="text" ${attrs(c, names.relatedIncidents, 'f-related-hint')} value="${c.v.values.relatedIncidents}">`,
      theirsBlock(c, 'recurrence.relatedIncidents', plain(current.relatedIncidents.join(', '))),
      html`</div>`,
    ]),
  );
}

export function lessonsSection(c: Ctx): SafeHtml {
  const current = c.v.postmortem.fields.lessons;
  const max = postmortemLimits.text;
  const written = LESSON_PARTS.filter((part) => c.v.values.lessons[part].trim() !== '').length;
  return fold(
    {
      id: 'part-lessons',
      title: guide.lessons.label,
      status: `${written} of ${LESSON_PARTS.length} written`,
      open: false,
      invalid: hasInvalid(c, fieldId('lessons')),
      merged: hasMerge(c, 'lessons.wentWell', 'lessons.couldBeBetter', 'lessons.gotLucky'),
    },
    joinHtml([
      html`<div id="${fieldId('lessons')}">`,
      hint('f-lessons-hint', withLimit(guide.lessons.instructions, max, c.ro)),
      ...LESSON_PARTS.map((part) => {
        const name = names.lesson(part);
        return html`<div class="field">${label(name, lessonsGuide[part].label)}${textarea(
          attrs(c, name, 'f-lessons-hint', 'text', max),
          c.v.values.lessons[part],
          3,
        )}${theirsBlock(c, `lessons.${part}`, plain(current[part]))}</div>`;
      }),
      html`</div>`,
    ]),
  );
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
    html`<div class="field">${label(n('title'), 'Title (starts with a verb)')}<input type="text" ${attrs(c, n('title'), undefined, 'text', postmortemLimits.actionTitle)} value="${row.title}"></div>`,
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
      undefined,
      'text',
      postmortemLimits.ownerTeam,
    )} value="${row.ownerTeam}" placeholder="${c.v.postmortem.ownerTeam}"></div>`,
    html`<div class="field">${label(n('trackerUrl'), 'Tracked at (http or https link)', 'sub')}<input type="text" inputmode="url" ${attrs(
      c,
      n('trackerUrl'),
      undefined,
      'text',
      postmortemLimits.url,
    )} value="${row.trackerUrl}" placeholder="https://"></div></div>`,
    html`<div class="pair"><div class="field">${label(n('owner'), 'Person (optional)', 'sub')}<input type="text" ${attrs(
      c,
      n('owner'),
      undefined,
      'text',
      200,
    )} value="${row.owner}" placeholder="who does it" autocomplete="off"></div>`,
    html`<div class="field">${label(n('dueAt'), 'Due (improvement actions, YYYY-MM-DD)', 'sub')}<input type="text" ${attrs(
      c,
      n('dueAt'),
      undefined,
      'text',
      10,
    )} value="${row.dueAt}" placeholder="YYYY-MM-DD" inputmode="numeric"></div></div>`,
    (due || status) && html`<p class="hint">${`${due}${status}`.trim()}</p>`,
    !(isNew || c.ro) &&
      html`<label class="choice" for="${fieldId(n('remove'))}"><input type="checkbox" id="${fieldId(
        n('remove'),
      )}" name="${n('remove')}" value="1"${row.remove && html` checked`}><span>Remove this action when saving</span></label>`,
    html`</fieldset>`,
  ]);
}

export function actionsSection(c: Ctx): SafeHtml {
  const typed = c.v.values.actions;
  const blanks: ActionValues[] = [];
  if (!c.ro)
    for (
      let i = 0;
      i < blankCount(c, 'actions') && typed.length + blanks.length < postmortemLimits.actions;
      i++
    )
      blanks.push({
        id: '',
        title: '',
        kind: '',
        category: '',
        ownerTeam: '',
        owner: '',
        dueAt: '',
        trackerUrl: '',
        remove: false,
      });
  const byId = new Map(c.v.postmortem.actions.map((a) => [a.id, a]));
  const current = c.v.postmortem.actions;
  const row = (r: ActionValues, i: number) => actionRow(c, r, i, r.id ? byId.get(r.id) : undefined);
  const kept = typed.filter((a) => !a.remove).length;
  return fold(
    {
      id: 'part-actions',
      title: guide.actions.label,
      status: rowsWord(kept, 'action', 'actions'),
      open: c.v.notice?.kind === 'row-added' && c.v.notice.list === 'actions',
      invalid: hasInvalid(c, fieldId('actions')),
      merged: hasMerge(c, 'actions'),
    },
    joinHtml([
      html`<div id="${fieldId('actions')}">`,
      hint(
        'f-actions-hint',
        c.ro
          ? guide.actions.instructions
          : `${guide.actions.instructions} A title takes up to ${count(postmortemLimits.actionTitle)} characters, an owner team ${count(postmortemLimits.ownerTeam)}, a tracker link ${count(postmortemLimits.url)}.`,
      ),
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
      ...typed.map(row),
      blanks.length > 0 &&
        html`<div id="${fieldId('actions-new')}">${blanks.map((r, i) => row(r, typed.length + i))}</div>`,
      !c.ro &&
        typed.length + blanks.length < postmortemLimits.actions &&
        addRowButton(c, 'actions', 'Add another action row'),
      !c.ro &&
        hint(
          'f-actions-add',
          'Fill a blank action to add it (blank ones are ignored). Another row keeps what you typed; nothing is saved until you save.',
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
    ]),
  );
}
