/** Around the form: the checks of the saved version, the notice of the last save, the approvals, the save bar. */
import { humanTime } from '../../pages.ts';
import { EMPTY, html, joinHtml, type SafeHtml } from '../html.ts';
import { changedLabel, guide, place, problemsOf } from './form.ts';
import {
  type EditorApprover,
  type MergeField,
  type PostmortemEditorView,
  REQUEST_APPROVAL_INTENT,
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
    case 'unchanged':
      return html`<div class="box ok" role="status"><p><strong>Nothing to save</strong>: the form matched version ${String(n.version)}.</p></div>`;
    case 'closed':
      return html`<div class="box warn" role="status"><p><strong>This postmortem is ${v.postmortem.status}: it can no longer be edited.</strong> ${n.tried ? 'Nothing was saved. ' : ''}It is shown as it is.</p></div>`;
    case 'invalid': {
      const problems = problemsOf(n.message);
      return html`<div class="box bad" role="alert"><p><strong>Not saved: ${problems.length === 1 ? 'one field needs' : 'some fields need'} a change.</strong> What you typed is kept below.${notAsked(v)}</p><ul>${problems.map(
        ({ path, problem }) => {
          const at = place(path, actionRowOf);
          return html`<li><a href="#${at.id}">${at.label}</a>: ${problem}</li>`;
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
    return html`<div class="savebar"><button type="submit">Save</button><span class="hint">Saves version ${next}${
      v.postmortem.status === 'in-review' ? ' and asks the approvers again on it' : ''
    }.</span></div>`;
  const approvers = v.approval?.approvers ?? [];
  // The bar stays on screen (sticky): it holds the buttons and a few words; who is asked is said above it.
  return joinHtml([
    html`<p class="hint" id="ask-hint">Ask for approval saves the form, then mails the whole postmortem to ${
      approvers.length ? approverList(approvers) : 'the service’s approvers'
    }, each with links to approve or to request changes. It is refused, naming them, while a blocking check is unmet.</p>`,
    html`<div class="savebar">`,
    html`<button type="submit">Save</button>`,
    html`<button type="submit" class="approve" name="${REQUEST_APPROVAL_INTENT.name}" value="${REQUEST_APPROVAL_INTENT.value}" aria-describedby="ask-hint">Ask for approval</button>`,
    html`<span class="hint">Saves version ${next}.</span>`,
    html`</div>`,
  ]);
}
