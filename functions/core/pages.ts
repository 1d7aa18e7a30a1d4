import { createHash } from 'node:crypto';
import { alertLinks, type StoredAlert } from './alert.ts';
import { type Incident, metricsOf } from './incident.ts';
import { escapeHtml } from './text.ts';
import type { TimelineEntry } from './timeline.ts';

/**
 * The pages a signed link opens: a confirm page (GET, which changes nothing: mail scanners prefetch links) with
 * one form that posts back to the link, and the result pages of the decision (POST). Pure HTML without any
 * script; the one inline style is allowed by its hash, so the CSP needs no 'unsafe-inline'. Every value that
 * came from outside (summaries, addresses) is escaped.
 */

/** The incident as a link page shows it. */
export interface PageIncident {
  key: string;
  summary: string;
  severity: number;
  status: string;
}

/** What a link does, in words (from the link action registry). */
export interface ActionWords {
  /** The question the confirm page asks, e.g. "Acknowledge HOT-3?". */
  question: string;
  /** What pressing the button does, in a sentence. */
  consequence: string;
  /** The button label. */
  button: string;
  /** Headline after the decision, e.g. "You acknowledged HOT-3". */
  doneHeadline: string;
  /** What follows from the decision, in a sentence. */
  doneDetail: string;
  /** Headline when it had already been done, e.g. "HOT-3 was already acknowledged". */
  alreadyHeadline: string;
}

export type LinkPage =
  | {
      kind: 'confirm';
      incident: PageIncident;
      action: ActionWords;
      recipient: string;
      /** ISO time the link stops working. */
      expiresAt: string;
      /** Where the form posts: the link itself, as a relative URL (`./<token>`). */
      formAction: string;
    }
  | { kind: 'done'; incident: PageIncident; action: ActionWords; by: string; at: string }
  | { kind: 'already-done'; incident: PageIncident; action: ActionWords; by: string; at: string }
  /** Another use of the same link is being processed right now (a double click). */
  | { kind: 'in-progress'; incident: PageIncident; action: ActionWords }
  | { kind: 'expired' }
  /** An expired editor link: it offers to mail a fresh one to the postmortem's owner (a POST). */
  | { kind: 'editor-expired'; incident: PageIncident; owner: string; formAction: string }
  /** A fresh editor link went to the owner. */
  | { kind: 'editor-link-sent'; incident: PageIncident; owner: string; expiresAt: string }
  /** Tampered, malformed, signed with a retired key, or naming an action or incident that does not match. */
  | { kind: 'invalid' }
  | { kind: 'resolved'; incident: PageIncident }
  /** The action cannot apply to the incident as it is now (our own message, e.g. a state rule). */
  | { kind: 'refused'; incident: PageIncident; reason: string }
  | { kind: 'not-found' }
  /** A dependency failed briefly: nothing was decided, the same link works again. */
  | { kind: 'unavailable' }
  | { kind: 'error' }
  /** The read-only incident page a view link opens. */
  | { kind: 'incident'; view: IncidentPageView }
  /** A view link was posted to: it shows, it never decides. */
  | { kind: 'view-only' }
  /** An approver's decision link: the whole postmortem, read-only, and one form that posts the link's decision. */
  | { kind: 'approval-confirm'; view: ApprovalConfirmView }
  /** The postmortem changed after this link was sent: it refuses; a mail with a link for the new version went out. */
  | { kind: 'approval-stale'; incident: PageIncident; recipient: string };

/** HTML of the postmortem document, made only by `publishedHtml` (core/postmortem-document.ts) from its Markdown. */
export type DocumentHtml = string & { readonly __documentHtml: true };

/** What an approver's confirm page shows. GET renders it and changes nothing; the form posts the decision. */
export interface ApprovalConfirmView {
  incident: PageIncident;
  /** The link's decision: each mail carries one link to approve and one to request changes. */
  decision: 'approved' | 'changes-requested';
  /** The link's recipient: the decision is recorded as theirs. */
  approver: string;
  mandatory: boolean;
  /** ISO time the link stops working. */
  expiresAt: string;
  /** Where the form posts: the link itself, relative (`./<token>`). */
  formAction: string;
  /** The content hash the link is bound to: posted back as a hidden field, and checked. */
  contentHash: string;
  version: number;
  /** The document the approver decides on: `publishedHtml(publishedMarkdown(postmortem, ...))`. */
  document: DocumentHtml;
  /** A refused POST (no comment for a change request, too long): why, and the comment as typed. Answered 400. */
  error?: string;
  comment?: string;
}

/** Everything the read-only incident page shows (from the incident's record, timeline, alerts and comms). */
export interface IncidentPageView {
  key: string;
  summary: string;
  severity: number;
  status: string;
  service: string;
  products: readonly string[];
  description?: string;
  roles: { incidentManager?: string; techLeads?: readonly string[]; commsManager?: string };
  /** Meeting places: the chat channel's name, and http(s) links only. */
  meeting: { chatChannel?: string; chatRoomUrl?: string; videoUrl?: string; stateDocumentUrl?: string };
  times: { impactStartedAt: string; detectedAt: string; resolvedAt?: string; impactEndedAt?: string };
  metrics: { label: string; ms?: number }[];
  alerts: {
    summary: string;
    status: string;
    startsAt: string;
    endsAt?: string;
    links: readonly { label: string; href: string }[];
  }[];
  comms: { what: string; subject: string; recipients: readonly string[]; sentAt?: string }[];
  /** Oldest first. */
  timeline: { at: string; actor: string; text: string }[];
  /** Who the link was sent to, and until when it works. */
  recipient: string;
  expiresAt: string;
}

export interface PageResponse {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
}

/** The whole style sheet. Its hash goes into the CSP, so it must be served byte for byte as it is here. */
export const PAGE_STYLE = [
  'body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1b1f24;background:#f2f4f7}',
  'main{max-width:36rem;margin:3rem auto;padding:2rem 2.25rem;background:#fff;border-radius:10px;box-shadow:0 1px 3px rgba(16,24,40,.12)}',
  '.brand{margin:0 0 1.25rem;font-size:.75rem;font-weight:700;letter-spacing:.1em;text-transform:uppercase;color:#667085}',
  'h1{margin:0 0 1.25rem;font-size:1.5rem;line-height:1.3}',
  'dl{display:grid;grid-template-columns:max-content 1fr;gap:.35rem 1.25rem;margin:0 0 1.5rem;padding:1rem 1.25rem;background:#f9fafb;border-radius:8px}',
  'dt{color:#667085}dd{margin:0;overflow-wrap:anywhere}',
  '.note{font-size:.9rem;color:#475467}',
  'button{font:inherit;font-weight:600;padding:.75rem 1.5rem;margin-top:.5rem;border:0;border-radius:8px;background:#b42318;color:#fff;cursor:pointer}',
  'button:hover{background:#912018}button:focus-visible{outline:3px solid #1d4ed8;outline-offset:2px}',
  '.ok h1{color:#067647}.warn h1{color:#b54708}.bad h1{color:#b42318}',
  'h2{margin:1.75rem 0 .5rem;font-size:1.1rem}h3{margin:1rem 0 .25rem;font-size:.95rem;color:#475467}',
  'ul{margin:0;padding-left:1.25rem}li{margin:.2rem 0;overflow-wrap:anywhere}a{color:#1d4ed8}',
  '.tl{list-style:none;padding:0}.tl li{display:grid;grid-template-columns:5.5rem 1fr;gap:.75rem}',
  '.tl time{color:#667085;font-variant-numeric:tabular-nums}.muted{color:#667085}',
  '@media (max-width:40rem){main{margin:0;border-radius:0;padding:1.5rem}}',
  // Forms (the postmortem editor): one column of labelled controls, notices in boxes, a save bar that stays.
  '.wide main{max-width:48rem}.lead{margin:-.75rem 0 1.25rem;color:#475467}',
  '.box{margin:0 0 1rem;padding:.6rem 1rem;border:1px solid;border-radius:8px}.box p{margin:.3rem 0}.box ul{margin:.3rem 0}',
  '.box.ok{background:#ecfdf3;border-color:#abefc6}.box.warn{background:#fffaeb;border-color:#fedf89}.box.bad{background:#fef3f2;border-color:#fecdca}',
  '.field{margin:0 0 1rem}label{display:block;font-weight:600;margin:0 0 .2rem}label.sub{font-weight:500;font-size:.875rem;color:#475467}',
  '.hint{margin:0 0 .4rem;font-size:.875rem;color:#667085}',
  'input[type=text],textarea,select{box-sizing:border-box;width:100%;font:inherit;padding:.5rem .65rem;border:1px solid #d0d5dd;border-radius:6px;background:#fff;color:inherit}',
  'textarea{resize:vertical;min-height:5.5rem}input:focus-visible,textarea:focus-visible,select:focus-visible{outline:3px solid #1d4ed8;outline-offset:1px}',
  '[aria-invalid=true],fieldset.invalid{border-color:#b42318;box-shadow:0 0 0 1px #b42318}',
  'fieldset{margin:0 0 1.25rem;padding:.75rem 1rem .25rem;border:1px solid #eaecf0;border-radius:8px;min-width:0}legend{font-weight:600;padding:0 .3rem}',
  '.choice{display:flex;gap:.6rem;align-items:flex-start;font-weight:400;margin:0 0 .75rem}.choice input{margin-top:.35rem;flex:none}.todo{color:#475467;font-size:.9rem}',
  '.trow,.pair{display:grid;grid-template-columns:15.5rem minmax(0,1fr);gap:0 .75rem;margin:0 0 .6rem}.pair{grid-template-columns:repeat(2,minmax(0,1fr))}',
  '.theirs{margin:.5rem 0 1rem;padding:.5rem .75rem;border-left:4px solid #b54708;background:#fffaeb}.theirs-head{margin:0 0 .25rem;font-weight:600;font-size:.9rem}',
  '.taken{margin:.35rem 0 0;padding-left:.75rem;border-left:4px solid #067647;font-size:.875rem;color:#067647}',
  '.pre{white-space:pre-wrap;overflow-wrap:anywhere;margin:.25rem 0}details{margin:0 0 1rem}summary{cursor:pointer;color:#1d4ed8}',
  'dl.guide{grid-template-columns:1fr;gap:0}dl.guide dt{font-weight:600;color:inherit}dl.guide dd{margin:0 0 .6rem}',
  '.savebar{position:sticky;bottom:0;display:flex;flex-wrap:wrap;gap:.5rem 1rem;align-items:center;margin:1.5rem 0 0;padding:.75rem 0;background:#fff;border-top:1px solid #eaecf0}.savebar button,.savebar .hint{margin:0}',
  '@media (max-width:40rem){.trow,.pair{grid-template-columns:minmax(0,1fr)}}',
  // The postmortem document: boxed on an approver's confirm page, plain on its own page.
  '.doc{margin:1rem 0 1.5rem;padding:0 1.25rem .5rem;border:1px solid #eaecf0;border-radius:8px}.doc h1{font-size:1.25rem;margin-top:1rem}.doc p,.document p{overflow-wrap:anywhere}.doc ol,.document ol{padding-left:1.5rem}button.approve{background:#067647}button.approve:hover{background:#05603a}',
].join('\n');

/** CSP source for the style above, computed from the exact text at module load. */
export const PAGE_STYLE_HASH = `sha256-${createHash('sha256').update(PAGE_STYLE, 'utf8').digest('base64')}`;

export const PAGE_CSP = [
  "default-src 'none'",
  `style-src '${PAGE_STYLE_HASH}'`,
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** Headers of every link page: never cached (the URL is a credential), never framed, never referred. */
export function pageHeaders(): Record<string, string> {
  return {
    'content-type': 'text/html; charset=utf-8',
    'content-security-policy': PAGE_CSP,
    'cache-control': 'no-store',
    'referrer-policy': 'no-referrer',
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'x-robots-tag': 'noindex, nofollow',
  };
}

const STATUS: Record<LinkPage['kind'], number> = {
  confirm: 200,
  done: 200,
  // A single-use link used again: refused (nothing changed), with who did it and when.
  'already-done': 409,
  'in-progress': 409,
  expired: 410,
  'editor-expired': 410,
  'editor-link-sent': 202,
  invalid: 403,
  resolved: 409,
  refused: 409,
  'not-found': 404,
  unavailable: 503,
  error: 500,
  incident: 200,
  'view-only': 405,
  'approval-confirm': 200,
  'approval-stale': 409,
};

/** The HTTP response of a link page. */
export function linkPageResponse(page: LinkPage): PageResponse {
  const headers = pageHeaders();
  if (page.kind === 'unavailable' || page.kind === 'in-progress') headers['retry-after'] = '2';
  if (page.kind === 'view-only') headers.allow = 'GET, HEAD';
  const status = page.kind === 'approval-confirm' && page.view.error ? 400 : STATUS[page.kind];
  return { statusCode: status, headers, body: renderLinkPage(page) };
}

/** `2026-11-20T10:00:00.000Z` -> `2026-11-20 10:00 UTC`. */
export function humanTime(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

const e = escapeHtml;

/** The expired editor link page's form field: what its POST asks for (the only thing an expired link may do). */
export const FRESH_EDITOR_LINK = { name: 'intent', value: 'fresh-editor-link' } as const;

function incidentFacts(incident: PageIncident): string {
  return [
    '<dl>',
    `<dt>Incident</dt><dd>${e(incident.key)}</dd>`,
    `<dt>Severity</dt><dd>Sev ${e(String(incident.severity))}</dd>`,
    `<dt>Summary</dt><dd>${e(incident.summary)}</dd>`,
    `<dt>Status</dt><dd>${e(incident.status)}</dd>`,
    '</dl>',
  ].join('');
}

/** The shell every page shares (link pages, the status page): one look, the style its CSP allows by hash. */
export function page(
  tone: 'plain' | 'ok' | 'warn' | 'bad',
  title: string,
  content: string,
  options: { wide?: boolean } = {},
): string {
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="referrer" content="no-referrer">',
    '<meta name="robots" content="noindex, nofollow">',
    `<title>${e(title)} - Hotline</title>`,
    `<style>${PAGE_STYLE}</style>`,
    '</head>',
    `<body class="${tone}${options.wide ? ' wide' : ''}">`,
    '<main>',
    '<p class="brand">Hotline</p>',
    content,
    '</main>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/** What each comms kind is, in words. */
const COMMS_KINDS: Readonly<Record<string, string>> = {
  page: 'Page',
  'team-notice': 'Passed to the owner team (sev 3)',
  'team-reminder': 'Team reminder (not acknowledged)',
  initial: 'First internal comms',
  'initial-external': 'First external comms',
  update: 'Update',
  'update-external': 'External update',
  final: 'Final comms',
  'final-external': 'Final external comms',
  'overdue-reminder': 'Overdue reminder',
  'overdue-escalation': 'Overdue escalation',
  'alerts-resolved': 'All alerts resolved',
  'workflow-failure': 'Workflow failure',
  'workflow-recovered': 'Workflow started late',
};

/** http(s) only: anything else a template or a person wrote is left out of the page. */
const httpOnly = (value: string | undefined) => (value && /^https?:\/\//i.test(value) ? value : undefined);

/** The page model of an incident as it is recorded (record, timeline, alerts, comms). */
export function incidentPageView(
  view: {
    incident: Incident;
    timeline: readonly TimelineEntry[];
    alerts: readonly StoredAlert[];
    comms: readonly { kind: string; subject: string; recipients: readonly string[]; sentAt?: string }[];
  },
  serviceName: string,
  recipient: string,
  expiresAt: string,
): IncidentPageView {
  const { incident } = view;
  const metrics = metricsOf(incident);
  const byTime = <T extends { at: string }>(a: T, b: T) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1);
  return {
    key: incident.key,
    summary: incident.summary,
    severity: incident.severity,
    status: incident.status,
    service: serviceName,
    products: incident.products,
    ...(incident.description ? { description: incident.description } : {}),
    roles: { ...incident.roles },
    meeting: {
      ...(incident.chatChannel ? { chatChannel: incident.chatChannel } : {}),
      ...(httpOnly(incident.chatRoomUrl) ? { chatRoomUrl: incident.chatRoomUrl } : {}),
      ...(httpOnly(incident.videoUrl) ? { videoUrl: incident.videoUrl } : {}),
      ...(httpOnly(incident.stateDocumentUrl) ? { stateDocumentUrl: incident.stateDocumentUrl } : {}),
    },
    times: {
      impactStartedAt: incident.impactStartedAt,
      detectedAt: incident.detectedAt,
      ...(incident.resolvedAt ? { resolvedAt: incident.resolvedAt } : {}),
      ...(incident.impactEndedAt ? { impactEndedAt: incident.impactEndedAt } : {}),
    },
    metrics: [
      { label: 'Time to detect', ms: metrics.timeToDetectMs },
      { label: 'Time to acknowledge', ms: metrics.timeToAcknowledgeMs },
      { label: 'Time to first comms', ms: metrics.timeToFirstCommsMs },
      { label: 'Time to recover', ms: metrics.timeToRecoverMs },
    ],
    alerts: view.alerts.map((a) => ({
      summary: a.summary,
      status: a.status,
      startsAt: a.startsAt,
      ...(a.endsAt ? { endsAt: a.endsAt } : {}),
      links: alertLinks(a),
    })),
    comms: [...view.comms]
      .sort((a, b) => byTime({ at: a.sentAt ?? '~' }, { at: b.sentAt ?? '~' }))
      .map((c) => ({
        what: Object.hasOwn(COMMS_KINDS, c.kind) ? (COMMS_KINDS[c.kind] ?? c.kind) : c.kind,
        subject: c.subject,
        recipients: c.recipients,
        ...(c.sentAt ? { sentAt: c.sentAt } : {}),
      })),
    timeline: [...view.timeline].sort(byTime).map((t) => ({ at: t.at, actor: t.actor, text: t.text })),
    recipient,
    expiresAt,
  };
}

/** "1 h 23 min" or "4 min" from milliseconds; "-" when unknown. */
function duration(ms: number | undefined): string {
  if (ms === undefined) return '-';
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

const facts = (rows: [string, string | undefined][]) =>
  [
    '<dl>',
    ...rows.filter(([, v]) => v !== undefined && v !== '').map(([k, v]) => `<dt>${e(k)}</dt><dd>${v}</dd>`),
    '</dl>',
  ].join('');

const link = (label: string, href: string) => `<a href="${e(href)}" rel="noreferrer">${e(label)}</a>`;

/** `30 November 2026`, in UTC. */
function dayOf(iso: string): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso.slice(0, 10);
  return date.toLocaleDateString('en-GB', {
    day: 'numeric',
    month: 'long',
    year: 'numeric',
    timeZone: 'UTC',
  });
}

/** The read-only incident page: what a reader of any incident mail needs, without an operator token. */
function renderIncidentView(v: IncidentPageView): string {
  const roles: [string, string | undefined][] = [
    ['Incident manager', v.roles.incidentManager && e(v.roles.incidentManager)],
    ['Tech leads', v.roles.techLeads?.length ? e(v.roles.techLeads.join(', ')) : undefined],
    ['Comms manager', v.roles.commsManager && e(v.roles.commsManager)],
    [
      'Chat room',
      v.meeting.chatChannel
        ? v.meeting.chatRoomUrl
          ? link(`#${v.meeting.chatChannel}`, v.meeting.chatRoomUrl)
          : e(`#${v.meeting.chatChannel}`)
        : undefined,
    ],
    ['Video call', v.meeting.videoUrl && link('Join', v.meeting.videoUrl)],
    ['State document', v.meeting.stateDocumentUrl && link('Open', v.meeting.stateDocumentUrl)],
  ];
  const days = new Map<string, typeof v.timeline>();
  for (const entry of v.timeline) {
    const day = dayOf(entry.at);
    days.set(day, [...(days.get(day) ?? []), entry]);
  }
  return [
    `<h1>${e(v.key)}: ${e(v.summary)}</h1>`,
    facts([
      ['Severity', `Sev ${e(String(v.severity))}`],
      ['Status', e(v.status)],
      ['Service', e(v.service)],
      ['Products', v.products.length ? e(v.products.join(', ')) : undefined],
      ['Impact', v.description && e(v.description)],
      ['Impact started', e(humanTime(v.times.impactStartedAt))],
      ['Detected', e(humanTime(v.times.detectedAt))],
      ['Impact ended', v.times.impactEndedAt && e(humanTime(v.times.impactEndedAt))],
      ['Resolved', v.times.resolvedAt && e(humanTime(v.times.resolvedAt))],
    ]),
    '<h2>People and places</h2>',
    roles.some(([, value]) => value) ? facts(roles) : '<p class="muted">Nobody has taken charge yet.</p>',
    '<h2>Measures</h2>',
    facts(v.metrics.map((m) => [m.label, e(duration(m.ms))])),
    `<h2>Alerts (${v.alerts.length})</h2>`,
    v.alerts.length === 0
      ? '<p class="muted">No alerts: the incident was declared by hand.</p>'
      : `<ul>${v.alerts
          .map(
            (a) =>
              `<li><strong>${e(a.status)}</strong> ${e(a.summary)} <span class="muted">since ${e(humanTime(a.startsAt))}${
                a.endsAt ? `, ended ${e(humanTime(a.endsAt))}` : ''
              }</span>${a.links.length ? `<br>${a.links.map((l) => link(l.label, l.href)).join(' · ')}` : ''}</li>`,
          )
          .join('')}</ul>`,
    `<h2>Comms sent (${v.comms.length})</h2>`,
    v.comms.length === 0
      ? '<p class="muted">None yet.</p>'
      : `<ul>${v.comms
          .map(
            (c) =>
              `<li>${e(c.what)}: ${e(c.subject)} <span class="muted">to ${e(c.recipients.join(', '))}${
                c.sentAt ? `, ${e(humanTime(c.sentAt))}` : ', sending'
              }</span></li>`,
          )
          .join('')}</ul>`,
    '<h2>Timeline (UTC)</h2>',
    ...[...days.entries()].map(
      ([day, entries]) =>
        `<h3>${e(day)}</h3><ol class="tl">${entries
          .map(
            (t) =>
              `<li><time datetime="${e(t.at)}">${e(t.at.slice(11, 19))}</time><span>${e(t.text)} <span class="muted">(${e(
                t.actor,
              )})</span></span></li>`,
          )
          .join('')}</ol>`,
    ),
    `<p class="note">A read-only page sent to <strong>${e(v.recipient)}</strong>; the link works until ${e(
      humanTime(v.expiresAt),
    )}. Opening it changed nothing.</p>`,
  ].join('\n');
}

/**
 * An approver's confirm page: what the decision means, the whole document (read-only), and one form posting the
 * link's decision with the content hash it is bound to (hidden) and a comment (required to request changes).
 */
function renderApprovalConfirm(v: ApprovalConfirmView): string {
  const approve = v.decision === 'approved';
  const what = approve
    ? 'Approving means you agree with the root cause, and that the priority actions are an acceptable way to address it.'
    : 'Requesting changes returns the postmortem to its owner as a draft, with your comment; you will be asked again on the new version.';
  const role = v.mandatory
    ? 'You are asked as a <strong>mandatory</strong> approver: the postmortem is approved once every mandatory approver has approved it.'
    : 'You are asked as an <strong>optional</strong> approver: the postmortem does not wait for you, but your decision and comment are recorded with it, and a request for changes returns it to its owner.';
  const invalid = v.error !== undefined;
  return [
    `<h1>${approve ? 'Approve' : 'Request changes to'} the postmortem of ${e(v.incident.key)}?</h1>`,
    incidentFacts(v.incident),
    `<p>${role}</p>`,
    `<p>${what} Read version ${e(String(v.version))} below; the form is at the end.</p>`,
    `<section class="doc" aria-label="The postmortem, version ${e(String(v.version))}">`,
    v.document,
    '</section>',
    `<form method="post" action="${e(v.formAction)}">`,
    `<input type="hidden" name="decision" value="${e(v.decision)}">`,
    `<input type="hidden" name="contentHash" value="${e(v.contentHash)}">`,
    invalid ? `<div class="box bad" id="comment-error" role="alert"><p>${e(v.error ?? '')}</p></div>` : '',
    '<div class="field">',
    `<label for="comment">${approve ? 'Comment (optional)' : 'What should change (required)'}</label>`,
    '<p class="hint">At most 2,000 characters; line breaks are kept. It is shown to the owner and recorded with your decision.</p>',
    `<textarea id="comment" name="comment" rows="6" maxlength="2000"${approve ? '' : ' required'}${
      invalid ? ' aria-invalid="true" aria-describedby="comment-error"' : ''
    }>${e(v.comment ?? '')}</textarea>`,
    '</div>',
    approve
      ? `<button type="submit" class="approve">Approve version ${e(String(v.version))}</button>`
      : '<button type="submit">Request changes</button>',
    '</form>',
    `<p class="note">This link was sent to <strong>${e(v.approver)}</strong> and records the decision as theirs, ` +
      `with this version's content. It works once, until ${e(humanTime(v.expiresAt))}. ` +
      `${approve ? 'To request changes instead' : 'To approve instead'}, use the other link in the email. Opening this page changed nothing.</p>`,
  ].join('\n');
}

export function renderLinkPage(model: LinkPage): string {
  switch (model.kind) {
    case 'approval-confirm':
      return page(
        'plain',
        `${model.view.decision === 'approved' ? 'Approve' : 'Request changes to'} the postmortem of ${model.view.incident.key}`,
        renderApprovalConfirm(model.view),
        { wide: true },
      );
    case 'approval-stale':
      return page(
        'warn',
        'The postmortem changed',
        [
          '<h1>The postmortem changed since you were asked</h1>',
          incidentFacts(model.incident),
          `<p>It was edited after this link was sent, so this link no longer decides anything. A new email with links for the new version was sent to <strong>${e(
            model.recipient,
          )}</strong>: read that version and decide from there. Nothing was changed.</p>`,
        ].join('\n'),
      );
    case 'incident':
      return page('plain', `${model.view.key}: ${model.view.summary}`, renderIncidentView(model.view));
    case 'view-only':
      return page(
        'bad',
        'This link only shows an incident',
        [
          '<h1>This link only shows an incident</h1>',
          '<p>It was sent so that you can read the incident; it cannot decide or change anything. Nothing was changed.</p>',
        ].join('\n'),
      );
    case 'confirm':
      return page(
        'plain',
        model.action.question,
        [
          `<h1>${e(model.action.question)}</h1>`,
          incidentFacts(model.incident),
          `<p>${e(model.action.consequence)}</p>`,
          `<p class="note">This link was sent to <strong>${e(model.recipient)}</strong> and records the decision as theirs. ` +
            `It works once, until ${e(humanTime(model.expiresAt))}. Opening this page changed nothing.</p>`,
          `<form method="post" action="${e(model.formAction)}">`,
          `<button type="submit">${e(model.action.button)}</button>`,
          '</form>',
        ].join('\n'),
      );
    case 'done':
      return page(
        'ok',
        model.action.doneHeadline,
        [
          `<h1>${e(model.action.doneHeadline)}</h1>`,
          incidentFacts(model.incident),
          `<p>${e(model.action.doneDetail)}</p>`,
          `<p class="note">Recorded for <strong>${e(model.by)}</strong> at ${e(humanTime(model.at))}. This link is now used up.</p>`,
        ].join('\n'),
      );
    case 'already-done':
      return page(
        'warn',
        model.action.alreadyHeadline,
        [
          `<h1>${e(model.action.alreadyHeadline)}</h1>`,
          incidentFacts(model.incident),
          `<p>Already done by <strong>${e(model.by)}</strong> at ${e(humanTime(model.at))}. Nothing was changed now.</p>`,
        ].join('\n'),
      );
    case 'in-progress':
      return page(
        'warn',
        'Already being processed',
        [
          '<h1>Already being processed</h1>',
          incidentFacts(model.incident),
          `<p>This link was just used and the decision is being recorded. Open the link again in a few seconds to see the result.</p>`,
        ].join('\n'),
      );
    case 'expired':
      return page(
        'bad',
        'This link has expired',
        [
          '<h1>This link has expired</h1>',
          '<p>Links in Hotline emails work for a limited time. Nothing was changed. Use a newer email, or act on the incident with the incident CLI or API.</p>',
        ].join('\n'),
      );
    case 'editor-expired':
      return page(
        'warn',
        'This editor link has expired',
        [
          '<h1>This editor link has expired</h1>',
          incidentFacts(model.incident),
          `<p>Editor links work for a limited time. Nothing was changed. A fresh link can be mailed to the postmortem's owner, ${e(model.owner)}.</p>`,
          `<form method="post" action="${e(model.formAction)}">`,
          `<input type="hidden" name="${FRESH_EDITOR_LINK.name}" value="${FRESH_EDITOR_LINK.value}">`,
          `<button type="submit">Mail a fresh editor link to ${e(model.owner)}</button>`,
          '</form>',
        ].join('\n'),
      );
    case 'editor-link-sent':
      return page(
        'ok',
        'A fresh editor link is on its way',
        [
          '<h1>A fresh editor link is on its way</h1>',
          incidentFacts(model.incident),
          `<p>It was mailed to ${e(model.owner)} and works until ${e(humanTime(model.expiresAt))}.</p>`,
        ].join('\n'),
      );
    case 'invalid':
      return page(
        'bad',
        'This link is not valid',
        [
          '<h1>This link is not valid</h1>',
          '<p>The link is incomplete or was changed (or signed with a key that has since been retired). Nothing was changed. Open the link exactly as it is in the email.</p>',
        ].join('\n'),
      );
    case 'resolved':
      return page(
        'warn',
        `${model.incident.key} is resolved`,
        [
          `<h1>${e(model.incident.key)} is already resolved</h1>`,
          incidentFacts(model.incident),
          '<p>There is nothing left to do with this link. Nothing was changed.</p>',
        ].join('\n'),
      );
    case 'refused':
      return page(
        'warn',
        'This cannot be done now',
        [
          '<h1>This cannot be done now</h1>',
          incidentFacts(model.incident),
          `<p>${e(model.reason.replace(/\.$/, ''))}. Nothing was changed.</p>`,
        ].join('\n'),
      );
    case 'not-found':
      return page(
        'bad',
        'Incident not found',
        [
          '<h1>Incident not found</h1>',
          '<p>The incident this link is for does not exist (any more). Nothing was changed.</p>',
        ].join('\n'),
      );
    case 'unavailable':
      return page(
        'bad',
        'Please try again',
        [
          '<h1>Please try again in a moment</h1>',
          '<p>Hotline could not reach one of its services, so the decision may not be recorded. The link still works: go back and press the button again.</p>',
        ].join('\n'),
      );
    case 'error':
      return page(
        'bad',
        'Something went wrong',
        [
          '<h1>Something went wrong</h1>',
          '<p>The decision could not be recorded. The link still works: try again later, or act on the incident with the incident CLI or API.</p>',
        ].join('\n'),
      );
  }
}
