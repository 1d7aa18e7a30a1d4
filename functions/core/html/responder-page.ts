/**
 * The responder page: the console an incident manager (or a tech lead, or the comms manager) opens from the signed
 * link in their mail, often on a phone in the night. One short page without script: who they are on the incident
 * and what they may do, the meeting places, the forms their roles allow (the update open, the rest folded), and
 * below them the incident as the view page shows it. Each form posts one intent with the version it was made on
 * (core/responder.ts); a refused or stale post comes back with every field as it was typed.
 */
import { commsBounceWords } from '../comms-bounces.ts';
import { humanTime, renderIncidentView } from '../pages.ts';
import {
  RESPONDER_FIELDS,
  type ResponderIntent,
  type ResponderResult,
  type ResponderRole,
  type ResponderView,
} from '../responder.ts';
import { EMPTY, html, joinHtml, NEWLINE, type SafeHtml } from './html.ts';
import { type PageResponse, pageHeaders, pageShell } from './page.ts';

const F = RESPONDER_FIELDS;

/** The order the forms come in on the page (the view says which of them its recipient gets). */
const ORDER: readonly ResponderIntent[] = ['update', 'severity', 'roles', 'meeting', 'resolve', 'measures'];

const ROLE_WORDS: Record<ResponderRole, string> = {
  'incident-manager': 'the incident manager',
  'tech-lead': 'a tech lead',
  'comms-manager': 'the comms manager',
};

/** What each form lets its recipient do, in words (the role line and the folded forms' headings). */
const DOES: Record<ResponderIntent, string> = {
  update: 'post updates',
  severity: 'change the severity',
  roles: 'hand over or name the roles',
  meeting: 'record where the team meets',
  resolve: 'resolve the incident',
  measures: 'correct its times',
};

/** "a, b and c". */
const inWords = (items: readonly string[]) =>
  items.length <= 1 ? (items[0] ?? '') : `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;

/** A control's id: unique on the page (the update's and the resolution's summaries share a word, not an id). */
const idOf = (intent: ResponderIntent, name: string) => `${intent}-${name}`;
const hintId = (intent: ResponderIntent, name: string) => `${idOf(intent, name)}-hint`;
const formId = (intent: ResponderIntent) => `form-${intent}`;

/** Where a form's values come from: what was typed (a refused or stale post of this form), else the defaults. */
interface FormCtx {
  intent: ResponderIntent;
  typed: Readonly<Record<string, string>> | undefined;
}

function ctxOf(view: ResponderView, intent: ResponderIntent): FormCtx {
  return { intent, typed: view.typed?.intent === intent ? view.typed.fields : undefined };
}

/** A field's value: as typed when this form was refused, else its default. */
const shown = (c: FormCtx, name: string, fallback = ''): string =>
  c.typed ? (c.typed[name] ?? '') : fallback;

const labelFor = (c: FormCtx, name: string, words: string | SafeHtml) =>
  html`<label for="${idOf(c.intent, name)}">${words}</label>`;

const hintFor = (c: FormCtx, name: string, words: string | SafeHtml | undefined) =>
  words ? html`<p class="hint" id="${hintId(c.intent, name)}">${words}</p>` : EMPTY;

interface Control {
  name: string;
  label: string;
  hint?: string;
  value: string;
  maxlength?: number;
  required?: boolean;
  placeholder?: string;
}

/** `id`, `name`, and the optional attributes every control may have. */
function common(c: FormCtx, f: Control): SafeHtml {
  return html`id="${idOf(c.intent, f.name)}" name="${f.name}"${f.hint && html` aria-describedby="${hintId(c.intent, f.name)}"`}${
    f.maxlength !== undefined && html` maxlength="${String(f.maxlength)}"`
  }${f.required && html` required`}${f.placeholder && html` placeholder="${f.placeholder}"`}`;
}

function input(
  c: FormCtx,
  f: Control & { type?: 'text' | 'url' | 'number'; numeric?: boolean; min?: number; max?: number },
): SafeHtml {
  return html`<div class="field">${labelFor(c, f.name, f.label)}${hintFor(c, f.name, f.hint)}<input type="${
    f.type ?? 'text'
  }" ${common(c, f)}${f.min !== undefined && html` min="${String(f.min)}"`}${
    f.max !== undefined && html` max="${String(f.max)}"`
  }${f.numeric && html` inputmode="numeric"`} value="${f.value}" autocomplete="off"></div>`;
}

/** A textarea: the parser drops one newline right after the tag, so one is always written first. */
function textarea(c: FormCtx, f: Control & { rows: number }): SafeHtml {
  return html`<div class="field">${labelFor(c, f.name, f.label)}${hintFor(c, f.name, f.hint)}<textarea ${common(
    c,
    f,
  )} rows="${String(f.rows)}">\n${f.value}</textarea></div>`;
}

/** The hidden fields every form carries: what it does, and the version it was made on. */
function hidden(view: ResponderView, intent: ResponderIntent): SafeHtml {
  return html`<input type="hidden" name="${F.intent}" value="${intent}"><input type="hidden" name="${F.version}" value="${view.version}">`;
}

function formOf(view: ResponderView, intent: ResponderIntent, fields: readonly SafeHtml[], button: SafeHtml) {
  return joinHtml(
    [
      html`<form method="post" action="${view.formAction}" class="rform">`,
      hidden(view, intent),
      ...fields,
      button,
      html`</form>`,
    ],
    NEWLINE,
  );
}

// --- the forms -------------------------------------------------------------------------------------------------

function updateForm(view: ResponderView): SafeHtml {
  const c = ctxOf(view, 'update');
  const f = F.update;
  const minutes = String(view.cadenceMinutes ?? 30);
  return formOf(
    view,
    'update',
    [
      html`<p class="hint">The handbook\u2019s checklist: everything is needed except the external text. It goes to the internal comms lists now.</p>`,
      textarea(c, {
        name: f.summary,
        label: 'Summary',
        hint: 'One or two sentences: what is happening now.',
        value: shown(c, f.summary),
        maxlength: 400,
        required: true,
        rows: 3,
      }),
      textarea(c, {
        name: f.status,
        label: 'Current status',
        hint: '2 to 4 points, one per line.',
        value: shown(c, f.status),
        required: true,
        rows: 4,
      }),
      textarea(c, {
        name: f.nextSteps,
        label: 'Next steps',
        hint: '2 to 4 points, one per line.',
        value: shown(c, f.nextSteps),
        required: true,
        rows: 4,
      }),
      textarea(c, {
        name: f.impact,
        label: 'Impact',
        hint: 'What users cannot do, where, and since when.',
        value: shown(c, f.impact),
        maxlength: 1000,
        required: true,
        rows: 3,
      }),
      html`<div class="duo">`,
      input(c, {
        name: f.internal,
        label: 'Internal customers',
        hint: 'How many; empty if unknown.',
        value: shown(c, f.internal),
        maxlength: 9,
        numeric: true,
        placeholder: 'unknown',
      }),
      input(c, {
        name: f.external,
        label: 'External customers',
        hint: 'How many; empty if unknown.',
        value: shown(c, f.external),
        maxlength: 9,
        numeric: true,
        placeholder: 'unknown',
      }),
      html`</div>`,
      input(c, {
        name: f.rootCause,
        label: 'Root cause',
        hint: 'Empty means “currently unknown”.',
        value: shown(c, f.rootCause),
        maxlength: 1000,
        placeholder: 'currently unknown',
      }),
      html`<div class="pair">`,
      input(c, {
        name: f.eta,
        label: 'ETA of the fix',
        hint: 'e.g. “in 2h” or 2026-11-30T14:30Z; empty means no ETA.',
        value: shown(c, f.eta),
        maxlength: 100,
        placeholder: 'no ETA',
      }),
      input(c, {
        name: f.nextUpdate,
        label: 'Next update in (minutes)',
        hint: view.cadenceMinutes
          ? `Sev ${view.severity} asks for one every ${view.cadenceMinutes} minutes.`
          : 'When you will post the next update.',
        value: shown(c, f.nextUpdate, minutes),
        type: 'number',
        numeric: true,
        min: 1,
        max: 9999,
        required: true,
      }),
      html`</div>`,
      textarea(c, {
        name: f.externalText,
        label: 'External text (optional)',
        hint: 'Goes to the public status page and the external comms list as written: customer wording, no internal names, systems or links. Leave empty to send nothing outside.',
        value: shown(c, f.externalText),
        maxlength: 280,
        rows: 3,
      }),
    ],
    html`<button type="submit" class="primary">Send the update</button>`,
  );
}

function severityForm(view: ResponderView): SafeHtml {
  const c = ctxOf(view, 'severity');
  const f = F.severity;
  const chosen = shown(c, f.severity, String(view.severity));
  const words: Record<string, string> = {
    '1': 'Sev 1: the most urgent; on call is paged, postmortem required',
    '2': 'Sev 2: on call is paged, postmortem required',
    '3': 'Sev 3: the owner team, in its working hours; postmortem on request',
  };
  return formOf(
    view,
    'severity',
    [
      html`<fieldset><legend>Severity (now Sev ${String(view.severity)})</legend>${['1', '2', '3'].map(
        (level) =>
          html`<label class="choice" for="${idOf('severity', `${f.severity}-${level}`)}"><input type="radio" id="${idOf(
            'severity',
            `${f.severity}-${level}`,
          )}" name="${f.severity}" value="${level}"${chosen === level && html` checked`}>${
            level === String(view.severity) ? `${words[level]} (now)` : words[level]
          }</label>`,
      )}</fieldset>`,
      textarea(c, {
        name: f.reason,
        label: 'Why it changes',
        hint: 'Recorded on the timeline and mailed with the change.',
        value: shown(c, f.reason),
        maxlength: 500,
        required: true,
        rows: 3,
      }),
    ],
    html`<button type="submit" class="primary">Change the severity</button>`,
  );
}

function rolesForm(view: ResponderView): SafeHtml {
  const c = ctxOf(view, 'roles');
  const f = F.roles;
  const now = view.current;
  return formOf(
    view,
    'roles',
    [
      input(c, {
        name: f.incidentManager,
        label: 'Incident manager',
        hint: 'To hand over, put their address here: they are mailed their own link, and yours stops working once you hold no role.',
        value: shown(c, f.incidentManager, now.incidentManager ?? ''),
        maxlength: 200,
      }),
      input(c, {
        name: f.techLeads,
        label: 'Tech leads',
        hint: 'Addresses, separated by commas or spaces (at most 10).',
        value: shown(c, f.techLeads, (now.techLeads ?? []).join(', ')),
        maxlength: 2200,
      }),
      input(c, {
        name: f.commsManager,
        label: 'Comms manager',
        value: shown(c, f.commsManager, now.commsManager ?? ''),
        maxlength: 200,
      }),
    ],
    html`<button type="submit" class="primary">Set the roles</button>`,
  );
}

function meetingForm(view: ResponderView): SafeHtml {
  const c = ctxOf(view, 'meeting');
  const f = F.meeting;
  const now = view.current;
  const url = (name: string, label: string, current: string | undefined) =>
    input(c, {
      name,
      label,
      value: shown(c, name, current ?? ''),
      type: 'url',
      maxlength: 500,
      placeholder: 'https://',
    });
  return formOf(
    view,
    'meeting',
    [
      html`<p class="hint">https:// or http:// links. Every later mail shows them; an empty field clears one.</p>`,
      url(f.chatRoomUrl, 'Chat room link', now.chatRoomUrl),
      url(f.videoUrl, 'Video call link', now.videoUrl),
      url(f.stateDocumentUrl, 'State document link', now.stateDocumentUrl),
    ],
    html`<button type="submit" class="primary">Save the meeting places</button>`,
  );
}

function resolveForm(view: ResponderView): SafeHtml {
  const c = ctxOf(view, 'resolve');
  const f = F.resolve;
  const asked = c.typed ? c.typed[f.postmortem] === 'yes' : false;
  const checkboxId = idOf('resolve', f.postmortem);
  return formOf(
    view,
    'resolve',
    [
      html`<p class="hint">Resolve once the impact has ended. The final comms go out at once; the page stays open for corrections for a while.</p>`,
      html`<fieldset><legend>How it ended</legend>${(
        [
          ['resolved', 'Resolved: the impact was real and is over'],
          ['false-alarm', 'A false alarm: there was no impact (no postmortem unless asked for)'],
          ['duplicate', 'A duplicate of another incident (no postmortem unless asked for)'],
        ] as const
      ).map(
        ([kind, words]) =>
          html`<label class="choice" for="${idOf('resolve', `${f.kind}-${kind}`)}"><input type="radio" id="${idOf(
            'resolve',
            `${f.kind}-${kind}`,
          )}" name="${f.kind}" value="${kind}"${shown(c, f.kind, 'resolved') === kind && html` checked`}>${words}</label>`,
      )}</fieldset>`,
      input(c, {
        name: f.duplicateOf,
        label: 'Duplicate of (for a duplicate)',
        hint: 'The key of the incident it duplicates, e.g. HOT-42.',
        value: shown(c, f.duplicateOf),
        maxlength: 20,
      }),
      input(c, {
        name: f.supportCases,
        label: 'Support cases',
        hint: 'How many support cases were raised about it (0 if none).',
        value: shown(c, f.supportCases),
        type: 'number',
        numeric: true,
        min: 0,
        max: 999999999,
        required: true,
      }),
      input(c, {
        name: f.impactStartedAt,
        label: 'Impact started (optional correction)',
        hint: `Recorded as ${humanTime(view.incident.times.impactStartedAt)}. To correct it: e.g. “3h ago” or 2026-11-30T01:10Z.`,
        value: shown(c, f.impactStartedAt),
        maxlength: 100,
      }),
      input(c, {
        name: f.impactEndedAt,
        label: 'Impact ended (optional)',
        hint: 'Empty means now. Otherwise e.g. “20 minutes ago” or 2026-11-30T02:40Z.',
        value: shown(c, f.impactEndedAt),
        maxlength: 100,
        placeholder: 'now',
      }),
      textarea(c, {
        name: f.summary,
        label: 'Resolution summary (optional)',
        hint: 'What fixed it, for the final comms.',
        value: shown(c, f.summary),
        maxlength: 1000,
        rows: 3,
      }),
      view.postmortemOptional
        ? html`<label class="choice" for="${checkboxId}"><input type="checkbox" id="${checkboxId}" name="${f.postmortem}" value="yes"${
            asked && html` checked`
          }>Ask for a postmortem (a sev 3 gets one only when asked)</label>`
        : html`<p class="hint">A sev ${String(view.severity)} always gets a postmortem: its owner is mailed an editor link.</p>`,
    ],
    html`<button type="submit" class="resolve">Resolve ${view.incident.key}</button>`,
  );
}

function measuresForm(view: ResponderView): SafeHtml {
  const c = ctxOf(view, 'measures');
  const f = F.measures;
  const t = view.incident.times;
  const at = (name: string, label: string, recorded: string | undefined) =>
    input(c, {
      name,
      label,
      hint: `${recorded ? `Now ${humanTime(recorded)}.` : 'Not recorded yet.'} E.g. “3h ago” or 2026-11-30T01:10Z; empty keeps it.`,
      value: shown(c, name),
      maxlength: 100,
    });
  return formOf(
    view,
    'measures',
    [
      html`<p class="hint">A correction is recorded on the timeline beside the times it replaces (never overwritten there); the SLO report and a draft postmortem use the corrected times.</p>`,
      at(f.impactStartedAt, 'Impact started', t.impactStartedAt),
      at(f.detectedAt, 'Detected', t.detectedAt),
      ...(t.resolvedAt ? [at(f.impactEndedAt, 'Impact ended', t.impactEndedAt)] : []),
      textarea(c, {
        name: f.reason,
        label: 'Why',
        hint: 'What the recorded times got wrong (e.g. the alert fired late).',
        value: shown(c, f.reason),
        maxlength: 500,
        required: true,
        rows: 2,
      }),
    ],
    html`<button type="submit" class="primary">Record the correction</button>`,
  );
}

const FORMS: Record<ResponderIntent, (view: ResponderView) => SafeHtml> = {
  update: updateForm,
  severity: severityForm,
  roles: rolesForm,
  meeting: meetingForm,
  resolve: resolveForm,
  measures: measuresForm,
};

const HEADINGS: Record<ResponderIntent, (view: ResponderView) => string> = {
  update: () => 'Post an update',
  severity: (view) => `Change the severity (Sev ${view.severity})`,
  roles: () => 'Hand over, name the roles',
  meeting: () => 'Chat, video, state document',
  resolve: (view) => `Resolve ${view.incident.key}`,
  measures: () => 'Correct the times (impact, detection)',
};

/** The update form open under its heading; the others folded, unless this one was just refused. */
function section(view: ResponderView, intent: ResponderIntent): SafeHtml {
  const form = FORMS[intent](view);
  const heading = HEADINGS[intent](view);
  if (intent === 'update')
    return html`<section id="${formId(intent)}" class="rsection"><h2>${heading}</h2>${NEWLINE}${form}</section>`;
  const open = view.typed?.intent === intent;
  return html`<details id="${formId(intent)}" class="fold${intent === 'resolve' ? ' danger' : ''}"${
    open && html` open`
  }><summary>${heading}</summary>${NEWLINE}${form}</details>`;
}

// --- the page --------------------------------------------------------------------------------------------------

function roleLine(view: ResponderView): SafeHtml {
  const you = inWords(view.roles.map((r) => ROLE_WORDS[r]));
  if (view.forms.length === 0) return html`<p class="who">You are ${you}.</p>`;
  const may = ORDER.filter((i) => view.forms.includes(i)).map((i) => DOES[i]);
  const manager = view.incident.roles.incidentManager;
  const rest =
    view.roles.includes('incident-manager') || view.forms.includes('resolve')
      ? ''
      : manager
        ? ` The incident manager, ${manager}, does the rest.`
        : ' The incident manager does the rest.';
  return html`<p class="who">You are ${you}: you can ${inWords(may)} here.${rest}</p>`;
}

function placesLine(view: ResponderView): SafeHtml {
  const m = view.incident.meeting;
  const links = [
    m.chatRoomUrl && { label: m.chatChannel ? `Chat #${m.chatChannel}` : 'Chat room', href: m.chatRoomUrl },
    m.videoUrl && { label: 'Video call', href: m.videoUrl },
    m.stateDocumentUrl && { label: 'State document', href: m.stateDocumentUrl },
  ].filter((l): l is { label: string; href: string } => Boolean(l));
  if (links.length === 0) return EMPTY;
  return html`<p class="places">${joinHtml(
    links.map((l) => html`<a href="${l.href}" rel="noreferrer" target="_blank">${l.label}</a>`),
    html` `,
  )}</p>`;
}

function noticeBox(view: ResponderView): SafeHtml {
  const n = view.notice;
  if (!n) return EMPTY;
  const typed = view.typed && view.forms.includes(view.typed.intent) ? view.typed.intent : undefined;
  return html`<div class="box ${n.tone}" role="${n.tone === 'ok' ? 'status' : 'alert'}"><p>${n.text}</p>${
    typed &&
    html`<p>What you typed is kept in <a href="#${formId(typed)}">the form below</a>: check it and send it again.</p>`
  }</div>`;
}

/** The stakeholders the comms did not reach: a warning, each address and why (escaped by the html tag). */
function commsBouncesBox(view: ResponderView): SafeHtml {
  const bounces = view.commsBounces ?? [];
  if (bounces.length === 0) return EMPTY;
  return html`<div class="box warn" role="alert" id="comms-bounces"><p><strong>These stakeholders did not get your updates:</strong></p><ul>${joinHtml(
    bounces.map((b) => html`<li>${commsBounceWords(b)}, ${humanTime(b.at)}</li>`),
    NEWLINE,
  )}</ul><p>Fix or replace these addresses in the service's comms lists (the organisation file), or tell them another way.</p></div>`;
}

export function renderResponderPage(view: ResponderView): string {
  const inc = view.incident;
  const forms = ORDER.filter((intent) => view.forms.includes(intent));
  const body = joinHtml(
    [
      html`<h1>${inc.key}: ${inc.summary}</h1>`,
      noticeBox(view),
      commsBouncesBox(view),
      roleLine(view),
      placesLine(view),
      inc.times.resolvedAt &&
        html`<div class="box ok"><p>${inc.key} is resolved (${humanTime(inc.times.resolvedAt)}). ${
          forms.length === 0
            ? 'This page is read-only now: nothing more can be posted from it.'
            : 'Nothing more is posted about it; its times can still be corrected below until this page closes.'
        }</p></div>`,
      forms.length > 0 &&
        joinHtml(
          forms.map((intent) => section(view, intent)),
          NEWLINE,
        ),
      html`<section class="incident" aria-label="The incident">`,
      renderIncidentView(inc, { note: false, heading: false }),
      html`</section>`,
      html`<p class="note">This link was sent to <strong>${view.recipient}</strong> and records what you post as theirs. It works until ${humanTime(
        view.expiresAt,
      )}. Opening it changed nothing.</p>`,
    ],
    NEWLINE,
  );
  return pageShell('plain', `${inc.key}: ${inc.summary}`, body);
}

/** The responder link's HTTP response: the page with its status, or 303 See Other back to the link after a save. */
export function responderResponse(result: ResponderResult): PageResponse {
  const headers = pageHeaders();
  if (result.kind === 'responder-saved') {
    return { statusCode: 303, headers: { ...headers, location: result.location }, body: '' };
  }
  return { statusCode: result.status, headers, body: renderResponderPage(result.view) };
}
