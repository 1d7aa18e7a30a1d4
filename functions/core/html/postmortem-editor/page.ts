/** The editor page itself and its responses: the parts put together in the order a reader meets them. */
import { humanTime } from '../../pages.ts';
import { blamelessAdvice } from '../../postmortem-checks.ts';
import { RESPONDER_FIELDS } from '../../responder.ts';
import { html, joinHtml, NEWLINE, type SafeHtml } from '../html.ts';
import { type PageResponse, pageHeaders, pageShell } from '../page.ts';
import {
  actionsSection,
  attrs,
  type Ctx,
  categorySection,
  hint,
  label,
  lessonsSection,
  plain,
  recurrenceSection,
  textField,
  theirsBlock,
  timelineSection,
  whysSection,
} from './fields.ts';
import { changedLabel, place, problemsOf } from './form.ts';
import {
  type EditorResult,
  MEASURES_INTENT,
  MEASURES_VERSION,
  names,
  type PostmortemEditorView,
  WHAT_HAPPENED,
} from './model.ts';
import { approvalSection, checksSection, defaultSave, noticeBox, previewSection, saveBar } from './review.ts';

/** The owner's cap (postmortem-edit.ts: one line of at most 200 characters). */
const OWNER_MAX = 200;

/** The correction's fields: the responder page's names (`readResponderForm` reads both). */
const MEASURE_FIELDS = RESPONDER_FIELDS.measures;

/**
 * A correction of the incident's times, a form of its own below the postmortem's (nothing typed above is sent
 * with it): recorded on the incident's timeline, never an overwrite; a draft's pre-filled text follows it. Not
 * on a read-only page (approved, published): the API, the CLI and the responder page still correct, and the
 * published document shows the corrections beside it.
 */
function measuresSection(v: PostmortemEditorView): SafeHtml {
  const m = v.measures;
  const refused = v.notice?.kind === 'measures-refused' ? v.notice : undefined;
  const typed = (name: string) => (refused ? (m.typed?.[name] ?? '') : '');
  const time = (name: string, text: string, recorded: string | undefined) =>
    html`<div class="field"><label for="m-${name}">${text}</label><p class="hint" id="m-${name}-hint">${
      recorded ? `Now ${humanTime(recorded)}.` : 'Not recorded.'
    } E.g. \u201c3h ago\u201d or 2026-11-30T01:10Z; empty keeps it.</p><input type="text" id="m-${name}" name="${name}" aria-describedby="m-${name}-hint" maxlength="100" autocomplete="off" value="${typed(
      name,
    )}"></div>`;
  return joinHtml([
    html`<details class="fold part" id="measures"${refused && html` open`}><summary>Correct the incident\u2019s times <span class="fold-status">impact, detection</span></summary><div class="fold-body">`,
    refused &&
      html`<div class="box bad" role="alert"><p><strong>Not recorded</strong>: ${refused.message}. What you typed is kept below.</p></div>`,
    html`<p class="hint">The measures above come from these times. A correction is recorded on the incident\u2019s timeline beside the times it replaces, as yours; the SLO report uses the corrected times, and while this postmortem is a draft its pre-filled text (the parts nobody has written) follows them.</p>`,
    html`<form method="post" action="${v.formAction}" class="form">`,
    html`<input type="hidden" name="${MEASURES_INTENT.name}" value="${MEASURES_INTENT.value}"><input type="hidden" name="${MEASURES_VERSION}" value="${m.version}">`,
    time(MEASURE_FIELDS.impactStartedAt, 'Impact started', m.impactStartedAt),
    time(MEASURE_FIELDS.detectedAt, 'Detected', m.detectedAt),
    time(MEASURE_FIELDS.impactEndedAt, 'Impact ended', m.impactEndedAt),
    html`<div class="field"><label for="m-reason">Why</label><p class="hint" id="m-reason-hint">What the recorded times got wrong (e.g. the alert fired late).</p><textarea id="m-reason" name="${MEASURE_FIELDS.reason}" rows="2" maxlength="500" required aria-describedby="m-reason-hint">${typed(
      MEASURE_FIELDS.reason,
    )}</textarea></div>`,
    html`<button type="submit" class="primary">Record the correction</button></form></div></details>`,
  ]);
}

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
    html`<dl>${rows
      .filter(([, value]) => value !== undefined)
      .map(([k, value]) => html`<dt>${k}</dt><dd>${value}</dd>`)}</dl>`;
  const ownerHint = 'f-owner-hint';
  const body = joinHtml(
    [
      html`<h1>Postmortem of ${v.incident.key}</h1>`,
      html`<p class="lead">${v.incident.summary}</p>`,
      noticeBox(v, actionRowOf),
      approvalSection(v),
      dl(facts),
      v.readOnly &&
        v.notice?.kind !== 'closed' &&
        noticeBox({ ...v, notice: { kind: 'closed', tried: false } }, actionRowOf),
      !v.readOnly &&
        checksSection(
          v,
          v.notice === undefined ||
            v.notice.kind === 'saved' ||
            v.notice.kind === 'unchanged' ||
            v.notice.kind === 'requested' ||
            v.notice.kind === 'not-requested',
        ),
      html`<p class="note">${blamelessAdvice}</p>`,
      v.readOnly
        ? html`<div class="form">`
        : html`<form method="post" action="${v.formAction}" class="form">`,
      !v.readOnly && defaultSave,
      !v.readOnly && html`<input type="hidden" name="${names.version}" value="${v.values.version}">`,
      html`<h2>Owner</h2>`,
      html`<div class="field">${label(names.owner, 'Who writes this postmortem')}${hint(
        ownerHint,
        'An email address or a name. Assign a person here; until then the owner team’s address owns it.',
      )}<input type="text" ${attrs(c, names.owner, ownerHint, 'text', OWNER_MAX)} value="${v.values.owner}" autocomplete="off">${theirsBlock(
        c,
        'owner',
        plain(pm.owner),
      )}</div>`,
      html`<h2>What happened</h2>`,
      measures.some(([, value]) => value !== undefined) &&
        html`<h3>The handbook\u2019s measures, from the incident</h3>${dl(measures)}${
          !v.readOnly &&
          html`<p class="hint">Wrong? <a href="#measures">Correct the incident\u2019s times</a> (below the form).</p>`
        }`,
      ...WHAT_HAPPENED.map((name) => textField(c, name)),
      timelineSection(c),
      html`<h2>Why it happened</h2>`,
      whysSection(c),
      textField(c, 'rootCause'),
      categorySection(c),
      textField(c, 'backlogCheck'),
      recurrenceSection(c),
      html`<h2>What comes of it</h2>`,
      lessonsSection(c),
      actionsSection(c),
      textField(c, 'externalSummary'),
      v.readOnly ? html`</div>` : html`${saveBar(v)}</form>`,
      !v.readOnly && measuresSection(v),
      previewSection(v),
      v.history.length > 0 &&
        html`<details class="fold" id="versions"><summary>Saved versions <span class="fold-status">${String(
          v.history.length,
        )}</span></summary><div class="fold-body"><ul>${[...v.history]
          .reverse()
          .slice(0, 20)
          .map(
            (h) =>
              html`<li>Version ${String(h.version)} by ${h.by} at ${humanTime(h.at)}${
                h.changed.length > 0 && html`: ${h.changed.map(changedLabel).join(', ')}`
              }</li>`,
          )}</ul></div></details>`,
      html`<p class="note">This editor link was sent to <strong>${v.recipient}</strong>: saves are recorded as theirs. It works until ${humanTime(
        v.expiresAt,
      )}, for as many saves as needed. Opening it changed nothing.</p>`,
    ],
    NEWLINE,
  );
  return pageShell('plain', `Postmortem of ${v.incident.key}`, body, { wide: true });
}

/** The editor's HTTP response: the page with its status, or 303 See Other back to the link after a save. */
export function editorResponse(result: EditorResult): PageResponse {
  const headers = pageHeaders();
  if (result.kind === 'postmortem-saved') {
    return { statusCode: 303, headers: { ...headers, location: result.location }, body: '' };
  }
  return { statusCode: result.status, headers, body: renderPostmortemEditor(result.view) };
}
