/** Around the form: the checks of the saved version, the notice of the last save, the approvals, the save bar. */
import { humanTime } from '../../pages.ts';
import { actionCategoryGuide, lessonsGuide, rootCauseGuide } from '../../postmortem-checks.ts';
import { markdownTime } from '../../postmortem-markdown.ts';
import { EMPTY, html, joinHtml, type SafeHtml } from '../html.ts';
import { changedLabel, formProblem, guide, place, problemsOf } from './form.ts';
import {
  type EditorApprover,
  LESSON_PARTS,
  type MergeField,
  type PostmortemEditorView,
  REQUEST_APPROVAL_INTENT,
  WHAT_HAPPENED,
} from './model.ts';

function withoutInstructions(message: string): string {
  for (const g of Object.values(guide)) {
    if (message.endsWith(` ${g.instructions}`)) return message.slice(0, -g.instructions.length - 1);
  }
  return message;
}

/** A check as a list item, linked to its field when the form shows the saved values (`anchors`). */
function checkItem(check: { field?: string; message: string }, anchors: boolean): SafeHtml {
  const target = anchors && check.field ? place(check.field, (i) => i).id : undefined;
  const message = withoutInstructions(check.message);
  return html`<li>${target ? html`<a href="#${target}">${message}</a>` : message}</li>`;
}

export function checksSection(v: PostmortemEditorView, anchors: boolean): SafeHtml {
  const { blocking, warnings } = v.checks;
  const item = (check: { field?: string; message: string }) => checkItem(check, anchors);
  return joinHtml([
    html`<section id="checks" class="checks">`,
    html`<h2>Checks of version ${String(v.postmortem.version)}</h2>`,
    blocking.length === 0
      ? html`<div class="box ok"><p><strong>Nothing blocks approval.</strong> Every field is filled and the actions the handbook asks for are there.</p></div>`
      : html`<div class="box bad"><p><strong>Blocking (${blocking.length})</strong>: approval cannot be requested until these are done.</p><ul>${blocking.map(item)}</ul></div>`,
    warnings.length === 0
      ? html`<p class="muted">No warnings.</p>`
      : html`<div class="box warn"><p><strong>Warnings (${warnings.length})</strong>: worth fixing; they do not block.</p><ul>${warnings.map(item)}</ul></div>`,
    html`</section>`,
  ]);
}

/** `a@example.com (mandatory), b@example.com (optional)`. */
const approverList = (approvers: readonly { address: string; mandatory: boolean }[]) =>
  joinHtml(
    approvers.map((a) => html`${a.address} (${a.mandatory ? 'mandatory' : 'optional'})`),
    html`, `,
  );

/** A sentence for `nothing was asked` after a refused save that was meant to ask for approval. */
const notAsked = (v: PostmortemEditorView) => (v.approvalNotAsked ? ' Nobody was asked for approval.' : '');

export function noticeBox(v: PostmortemEditorView, actionRowOf: (i: number) => number): SafeHtml {
  const n = v.notice;
  if (!n) return EMPTY;
  switch (n.kind) {
    case 'requested': {
      const approvers = v.approval?.approvers ?? [];
      return html`<div class="box ok" role="status"><p><strong>Approval requested on version ${String(n.version)}.</strong> ${
        approvers.length
          ? html`Each approver got one email with the whole postmortem and their links to approve or to request changes: ${approverList(approvers)}.`
          : 'The approvers got one email each with the whole postmortem and their links.'
      } It is in review until every mandatory approver approves; a request for changes brings it back here, with the comment.</p></div>`;
    }
    case 'not-requested': {
      const saved = n.saved
        ? n.saved.changed
          ? `Your changes were saved as version ${String(n.saved.version)}. `
          : `Nothing needed saving (the form matched version ${String(n.saved.version)}). `
        : '';
      if (n.blocking.length === 0)
        return html`<div class="box bad" role="alert"><p><strong>Not sent for approval</strong>: ${
          n.reason ?? 'approval cannot be requested now'
        }.</p><p>${saved}Nobody was asked.</p></div>`;
      return html`<div class="box bad" role="alert"><p><strong>Not sent for approval: ${
        n.blocking.length === 1 ? 'one blocking check is' : `${n.blocking.length} blocking checks are`
      } not met.</strong> ${saved}Nobody was asked. Fix ${
        n.blocking.length === 1 ? 'it' : 'them'
      }, then ask again.</p><ul>${n.blocking.map((check) => checkItem(check, true))}</ul></div>`;
    }
    case 'saved':
      return html`<div class="box ok" role="status"><p><strong>Saved as version ${String(n.version)}</strong> at ${humanTime(n.at)}, recorded for ${n.by}.</p></div>`;
    case 'row-added':
      return html`<div class="box ok" role="status"><p><strong>Nothing saved yet.</strong> What you typed is kept below, with another blank ${
        n.list === 'actions' ? 'action' : 'timeline row'
      }: <a href="#${n.list === 'actions' ? 'f-actions-new' : 'f-timeline-new'}">go to the blank ${
        n.list === 'actions' ? 'actions' : 'rows'
      }</a>. Save to keep it.</p></div>`;
    case 'unchanged':
      return html`<div class="box ok" role="status"><p><strong>Nothing to save</strong>: the form matched version ${String(n.version)}.</p></div>`;
    case 'measures-corrected':
      return html`<div class="box ok" role="status"><p><strong>Correction recorded</strong> on the incident\u2019s timeline: the measures below are the corrected ones${
        v.readOnly ? '' : ', and the pre-filled text nobody has written follows them'
      }.</p></div>`;
    case 'measures-refused':
      return html`<div class="box bad" role="alert"><p><strong>The correction was not recorded</strong>: <a href="#measures">see why</a>.</p></div>`;
    case 'closed':
      return html`<div class="box warn" role="status"><p><strong>This postmortem is ${v.postmortem.status}: it can no longer be edited.</strong> ${n.tried ? 'Nothing was saved. ' : ''}It is shown as it is.</p></div>`;
    case 'invalid': {
      const problems = problemsOf(n.message);
      return html`<div class="box bad" role="alert"><p><strong>Not saved: ${problems.length === 1 ? 'one field needs' : 'some fields need'} a change.</strong> What you typed is kept below.${notAsked(v)}</p><ul>${problems.map(
        ({ path, problem }) => {
          const at = place(path, actionRowOf);
          return html`<li><a href="#${at.id}">${at.label}</a>: ${formProblem(path, problem)}</li>`;
        },
      )}</ul></div>`;
    }
    case 'stale': {
      const current = String(v.postmortem.version);
      const links = (fields: readonly MergeField[]) =>
        joinHtml(
          fields.map((field) => {
            const at = place(field, (i) => i);
            return html`<a href="#${at.id}">${at.label}</a>`;
          }),
          html`, `,
        );
      return joinHtml([
        html`<div class="box warn" role="alert"><p><strong>Not saved: this postmortem was saved by someone else while you were editing version ${n.yourVersion}.</strong>${notAsked(v)}</p>`,
        html`<ul>${n.others.map(
          (o) =>
            html`<li>Version ${String(o.version)} saved by <strong>${o.by}</strong> at ${humanTime(o.at)}${
              o.changed.length ? html`: changed ${o.changed.map(changedLabel).join(', ')}` : ''
            }.</li>`,
        )}</ul>`,
        html`<p>Your text is kept in the form below.`,
        n.conflicts.length
          ? html` You both changed ${links(n.conflicts)}: the form holds your text, and what they saved is shown under it.`
          : EMPTY,
        n.taken.length ? html` Only they changed ${links(n.taken)}: the form now shows their text.` : EMPTY,
        html`</p><p>Check the form, then save: it becomes the version after ${current}. Or <a href="${v.formAction}">drop your text and open version ${current}</a>.</p></div>`,
      ]);
    }
  }
}

const decisionWords = (d: { decision: 'approved' | 'changes-requested' }) =>
  d.decision === 'approved' ? 'approved' : 'requested changes';

/** One approver's line: who, mandatory or optional, and their decision (with an earlier one that no longer counts). */
function approverItem(a: EditorApprover): SafeHtml {
  const now = a.decision
    ? html`${decisionWords(a.decision)} ${humanTime(a.decision.at)} (version ${String(a.decision.version)})`
    : html`not decided yet`;
  const earlier = a.earlier
    ? html` <span class="muted">Earlier: ${decisionWords(a.earlier)} version ${String(a.earlier.version)} ${humanTime(a.earlier.at)}; it counts only when made again.</span>`
    : EMPTY;
  return html`<li><strong>${a.address}</strong> (${a.mandatory ? 'mandatory' : 'optional'}): ${now}.${earlier}</li>`;
}

/**
 * Where approval stands, above the form: the requests for changes that sent the postmortem back (who, when, the
 * comment, as typed and escaped) while it is a draft again; who is asked and what each decided while in review;
 * who approved once approved. Nothing for a draft that was never sent.
 */
export function approvalSection(v: PostmortemEditorView): SafeHtml {
  const a = v.approval;
  const status = v.postmortem.status;
  if (!a?.request) return EMPTY;
  const request = html`approval was requested by ${a.request.by} at ${humanTime(a.request.at)} on version ${String(a.request.version)}`;
  if (status === 'draft') {
    if (a.changesRequested.length === 0) return EMPTY;
    return joinHtml([
      html`<section id="changes-requested" class="box warn" aria-label="Changes requested">`,
      html`<p><strong>Changes requested.</strong> The postmortem is back to draft: ${request}, and ${
        a.changesRequested.length === 1 ? 'an approver' : 'approvers'
      } asked for changes. Change it, then ask for approval again: every approver is asked on the new version.</p>`,
      ...a.changesRequested.map(
        (c) =>
          html`<div class="theirs"><p class="theirs-head">${c.approver} (${c.mandatory ? 'mandatory' : 'optional'} approver), ${humanTime(c.at)}, on version ${String(c.version)}:</p><p class="pre">${c.comment}</p></div>`,
      ),
      html`</section>`,
    ]);
  }
  if (status === 'in-review') {
    return joinHtml([
      html`<section id="approval" class="box warn" aria-label="In review">`,
      html`<p><strong>In review</strong>: ${request}. Saving a change asks every approver again on the new version; decisions made so far then count only when made again.</p>`,
      html`<ul>${a.approvers.map(approverItem)}</ul>`,
      html`</section>`,
    ]);
  }
  return joinHtml([
    html`<section id="approval" class="box ok" aria-label="Approval">`,
    html`<p><strong>${status === 'published' ? 'Approved and published' : 'Approved'}</strong>: ${request}.</p>`,
    html`<ul>${a.approvers.map(approverItem)}</ul>`,
    html`</section>`,
  ]);
}

/** The save bar: Save, and for a draft "Ask for approval" (saves the form, then asks the approvers). */
export function saveBar(v: PostmortemEditorView): SafeHtml {
  const next = String(Number(v.values.version) + 1);
  if (v.postmortem.status !== 'draft')
    return html`<div class="savebar"><button type="submit" class="primary">Save</button><span class="hint">Saves version ${next}${
      v.postmortem.status === 'in-review' ? ' and asks the approvers again on it' : ''
    }.</span></div>`;
  const approvers = v.approval?.approvers ?? [];
  // The bar stays on screen (sticky): it holds the buttons and a few words; who is asked is said above it.
  return joinHtml([
    html`<p class="hint" id="ask-hint">Ask for approval saves the form, then mails the whole postmortem to ${
      approvers.length ? approverList(approvers) : 'the service’s approvers'
    }, each with links to approve or to request changes. It is refused, naming them, while a blocking check is unmet.</p>`,
    html`<div class="savebar">`,
    html`<button type="submit" class="primary">Save</button>`,
    html`<button type="submit" class="approve" name="${REQUEST_APPROVAL_INTENT.name}" value="${REQUEST_APPROVAL_INTENT.value}" aria-describedby="ask-hint">Ask for approval</button>`,
    html`<span class="hint">Saves version ${next}.</span>`,
    html`</div>`,
  ]);
}

/**
 * The form's default button, first in it: Enter in a one-line field saves, as it did before "Add another … row"
 * buttons came before the save bar (the first submit button of a form is the one Enter presses). Off screen,
 * out of the tab order and hidden from assistive technology: the visible Save is the same action.
 */
export const defaultSave: SafeHtml = html`<button type="submit" class="default-submit" tabindex="-1" aria-hidden="true">Save</button>`;

// --- the preview: the saved version as it reads, its links as links ---------------------------------------------

/** A Markdown link `[label](http…)` or a bare http(s) URL in text. */
const LINK_IN_TEXT = /\[([^\]\n]{1,300})\]\((https?:\/\/[^\s()<>]+)\)|https?:\/\/[^\s<>]+/gi;

/** An http(s) URL as a link target, or nothing (`javascript:`, malformed, not http). */
function httpTarget(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.href : undefined;
  } catch {
    return undefined;
  }
}

/** A bare URL as found in prose, without the punctuation that ends the sentence around it. */
function trimUrl(url: string): string {
  let u = url;
  for (;;) {
    const last = u.at(-1) ?? '';
    const opened = (c: string) => u.split(c).length - 1;
    if ('.,;:!?\'"*_~'.includes(last)) u = u.slice(0, -1);
    else if (last === ')' && opened('(') < opened(')')) u = u.slice(0, -1);
    else if (last === ']' && opened('[') < opened(']')) u = u.slice(0, -1);
    else return u;
  }
}

const link = (href: string, label: string) => html`<a href="${href}" rel="noreferrer">${label}</a>`;

/**
 * Text as typed, with its links as links: a Markdown link `[label](https://…)` shows its label linked, a bare
 * http(s) URL links itself. Only http(s) targets become links (anything else stays text as typed); everything
 * else is text, escaped by the tag. Line breaks are kept by the `pre` class around it.
 */
export function linkedText(text: string): SafeHtml {
  const parts: SafeHtml[] = [];
  let from = 0;
  for (const m of text.matchAll(LINK_IN_TEXT)) {
    const at = m.index ?? 0;
    const [whole, label, target] = m;
    if (label !== undefined && target !== undefined) {
      const href = httpTarget(target);
      if (!href) continue;
      parts.push(html`${text.slice(from, at)}`, link(href, label));
      from = at + whole.length;
      continue;
    }
    const url = trimUrl(whole);
    const href = httpTarget(url);
    if (!href) continue;
    parts.push(html`${text.slice(from, at)}`, link(href, url));
    from = at + url.length;
  }
  parts.push(html`${text.slice(from)}`);
  return joinHtml(parts);
}

const previewText = (text: string): SafeHtml =>
  text.trim() === '' ? html`<p class="muted">(empty)</p>` : html`<p class="pre">${linkedText(text)}</p>`;

/**
 * The saved version as readers will see it, folded at the end of the page (open on a read-only page): each
 * part's text with its links as links (`linkedText`), the timeline in time order, the actions with their
 * tracker links. It shows what is saved, not what is being typed: save, then open it.
 */
export function previewSection(v: PostmortemEditorView): SafeHtml {
  const pm = v.postmortem;
  const f = pm.fields;
  const timeline = [...f.timeline].sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
  const part = (title: string, content: SafeHtml) => html`<h3>${title}</h3>${content}`;
  return joinHtml([
    html`<details class="fold preview" id="preview"${v.readOnly && html` open`}>`,
    html`<summary>Preview of version ${String(pm.version)} <span class="fold-status">as saved, links as links</span></summary>`,
    html`<div class="fold-body">`,
    html`<p class="hint">What version ${String(pm.version)} says, as readers see it. A link is written <code>[its words](https://\u2026)</code> or as the address itself; only http and https links become links. Save to see your changes here.</p>`,
    ...WHAT_HAPPENED.map((name) => part(guide[name].label, previewText(f[name]))),
    part(
      guide.timeline.label,
      timeline.length === 0
        ? previewText('')
        : html`<ul class="tlist">${timeline.map(
            (r) => html`<li><span class="muted">${markdownTime(r.at)}</span> ${linkedText(r.text)}</li>`,
          )}</ul>`,
    ),
    part(
      guide.fiveWhys.label,
      f.fiveWhys.length === 0
        ? previewText('')
        : html`<ol>${f.fiveWhys.map((w) => html`<li>${linkedText(w)}</li>`)}</ol>`,
    ),
    part(guide.rootCause.label, previewText(f.rootCause)),
    part(
      guide.rootCauseCategory.label,
      previewText(f.rootCauseCategory ? rootCauseGuide[f.rootCauseCategory].label : ''),
    ),
    part(guide.backlogCheck.label, previewText(f.backlogCheck)),
    part(guide.recurrence.label, previewText(f.recurrence.text)),
    ...LESSON_PARTS.map((p) => part(lessonsGuide[p].label, previewText(f.lessons[p]))),
    part(guide.externalSummary.label, previewText(f.externalSummary ?? '')),
    part(
      guide.actions.label,
      pm.actions.length === 0
        ? previewText('')
        : html`<ol>${pm.actions.map((a) => {
            const tracker = a.trackerUrl ? httpTarget(a.trackerUrl) : undefined;
            return html`<li>${linkedText(a.title)} <span class="muted">(${a.kind}, ${
              actionCategoryGuide[a.category].label
            }, ${a.ownerTeam})</span>${tracker && html` ${link(tracker, 'tracked here')}`}</li>`;
          })}</ol>`,
    ),
    html`</div>`,
    html`</details>`,
  ]);
}
