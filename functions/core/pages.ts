import { alertLinks, type StoredAlert } from './alert.ts';
import { EMPTY, html, joinHtml, NEWLINE, raw, type SafeHtml } from './html/html.ts';
import { type PageResponse, pageHeaders, pageShell } from './html/page.ts';
import { currentImpact, type Incident, metricsOf, RESOLUTION_WORDS } from './incident.ts';
import type { OnCallEntry, OnCallSection } from './oncall-section.ts';
import { isWebLink } from './text.ts';
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

/** A link a page offers next (the responder page after acknowledging, the chat room, the video call). */
export interface PageLink {
  label: string;
  href: string;
}

/** The links a page offers next, as a list; nothing when there are none. */
const nextLinks = (links: readonly PageLink[] | undefined) =>
  links?.length
    ? html`<ul class="next">${links.map((l) => html`<li><a href="${l.href}" rel="noreferrer">${l.label}</a></li>`)}</ul>`
    : EMPTY;

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
  | { kind: 'done'; incident: PageIncident; action: ActionWords; by: string; at: string; next?: PageLink[] }
  | {
      kind: 'already-done';
      incident: PageIncident;
      action: ActionWords;
      by: string;
      at: string;
      next?: PageLink[];
    }
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
  | { kind: 'view-only'; shows?: 'an incident' | 'a calendar' }
  /** A schedule's calendar feed link opened in a browser: the address to subscribe to. */
  | { kind: 'calendar-feed'; schedule: string; timeZone: string; feedUrl: string; expiresAt: string }
  /** An approver's decision link: the whole postmortem, read-only, and one form that posts the link's decision. */
  | { kind: 'approval-confirm'; view: ApprovalConfirmView }
  /** The postmortem changed after this link was sent: it refuses; a mail with a link for the new version went out. */
  | { kind: 'approval-stale'; incident: PageIncident; recipient: string }
  /**
   * The link's page is served at another address (an editor link mailed before the editor had its own route):
   * 307 Temporary Redirect there, so a POST is sent again with its method and body. `location` is relative.
   */
  | { kind: 'moved'; location: string };

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
  /** The customer impact as last stated (`currentImpact`: the latest update's, else the description), shown as Impact. */
  description?: string;
  roles: { incidentManager?: string; techLeads?: readonly string[]; commsManager?: string };
  /** Meeting places: the chat channel's name, and http(s) links only. */
  meeting: { chatChannel?: string; chatRoomUrl?: string; videoUrl?: string; stateDocumentUrl?: string };
  times: { impactStartedAt: string; detectedAt: string; resolvedAt?: string; impactEndedAt?: string };
  /** How it ended, in words (a false alarm, a duplicate of HOT-3...), once resolved. */
  resolution?: string;
  /** Whether its times were corrected after the fact (the timeline has each correction). */
  corrected?: boolean;
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
  /**
   * Who is on call for the service now and next (core/oncall-section.ts); absent when it names no schedule;
   * `'unavailable'` when the schedules' overrides could not be read (the section says so).
   */
  onCall?: OnCallSection;
  /** Who the link was sent to, and until when it works. */
  recipient: string;
  expiresAt: string;
}

export {
  PAGE_CSP,
  PAGE_STYLE,
  PAGE_STYLE_HASH,
  type PageResponse,
  pageHeaders,
  pageShell,
} from './html/page.ts';

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
  'calendar-feed': 200,
  'approval-confirm': 200,
  'approval-stale': 409,
  moved: 307,
};

/** The HTTP response of a link page. */
export function linkPageResponse(page: LinkPage): PageResponse {
  const headers = pageHeaders();
  if (page.kind === 'unavailable' || page.kind === 'in-progress') headers['retry-after'] = '2';
  if (page.kind === 'view-only') headers.allow = 'GET, HEAD';
  if (page.kind === 'moved') headers.location = page.location;
  const status = page.kind === 'approval-confirm' && page.view.error ? 400 : STATUS[page.kind];
  return { statusCode: status, headers, body: renderLinkPage(page) };
}

/** `2026-11-20T10:00:00.000Z` -> `2026-11-20 10:00 UTC`. */
export function humanTime(iso: string): string {
  return /^\d{4}-\d\d-\d\dT\d\d:\d\d/.test(iso) ? `${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC` : iso;
}

/** The expired editor link page's form field: what its POST asks for (the only thing an expired link may do). */
export const FRESH_EDITOR_LINK = { name: 'intent', value: 'fresh-editor-link' } as const;

function incidentFacts(incident: PageIncident): SafeHtml {
  return joinHtml([
    html`<dl>`,
    html`<dt>Incident</dt><dd>${incident.key}</dd>`,
    html`<dt>Severity</dt><dd>Sev ${String(incident.severity)}</dd>`,
    html`<dt>Summary</dt><dd>${incident.summary}</dd>`,
    html`<dt>Status</dt><dd>${incident.status}</dd>`,
    html`</dl>`,
  ]);
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
  'role-named': 'Told a person of their role',
  'paged-resolved': 'Resolved (to whoever was paged)',
  'postmortem-owner': 'Postmortem owner named',
};

/** http(s) only: anything else a template or a person wrote is left out of the page. */
const httpOnly = (value: string | undefined) => (isWebLink(value) ? value : undefined);

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
  const impact = currentImpact(incident);
  const byTime = <T extends { at: string }>(a: T, b: T) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1);
  return {
    key: incident.key,
    summary: incident.summary,
    severity: incident.severity,
    status: incident.status,
    service: serviceName,
    products: incident.products,
    // The impact as last stated (an update's), else the declaration's or the alerts' words.
    ...(impact ? { description: impact } : {}),
    roles: { ...incident.roles },
    meeting: {
      ...(incident.chatChannel ? { chatChannel: incident.chatChannel } : {}),
      ...(httpOnly(incident.chatRoomUrl) ? { chatRoomUrl: incident.chatRoomUrl } : {}),
      ...(httpOnly(incident.videoUrl) ? { videoUrl: incident.videoUrl } : {}),
      ...(httpOnly(incident.stateDocumentUrl) ? { stateDocumentUrl: incident.stateDocumentUrl } : {}),
    },
    ...(incident.status === 'resolved'
      ? {
          resolution:
            incident.resolution === 'duplicate'
              ? `duplicate of ${incident.duplicateOf ?? 'another incident'}`
              : RESOLUTION_WORDS[incident.resolution ?? 'resolved'],
        }
      : {}),
    ...(incident.measuresCorrectedAt ? { corrected: true } : {}),
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

const facts = (rows: [string, SafeHtml | undefined][]) =>
  joinHtml([
    html`<dl>`,
    ...rows
      .filter(([, v]) => v !== undefined && v.toString() !== '')
      .map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`),
    html`</dl>`,
  ]);

const link = (label: string, href: string) => html`<a href="${href}" rel="noreferrer">${label}</a>`;
/** Text as a fact's value, or nothing when there is none. */
const textOf = (value: string | undefined) => (value ? html`${value}` : undefined);

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

/**
 * The "On call" section: each tier, each of its schedules' holder now and next, or the person or address; or why
 * it cannot say (an override may have replaced whoever the rotation alone would name).
 */
function onCallFacts(tiers: OnCallSection): SafeHtml {
  if (tiers === 'unavailable')
    return html`<p class="muted">Who is on call could not be read just now (the schedules' overrides did not load). Reload the page to try again.</p>`;
  const entry = (e: OnCallEntry): SafeHtml => {
    if (e.kind === 'address') return html`<dd>${e.address}</dd>`;
    if (e.kind === 'person') return html`<dd>${e.name}</dd>`;
    return html`<dd><span class="muted">${e.schedule}:</span> <strong>${e.now.name}</strong>${
      e.now.until && html`, until ${e.now.until}`
    }${e.next && html`<br><span class="muted">Next:</span> ${e.next.name}, from ${e.next.from}`}</dd>`;
  };
  // Stacked (the guide layout): a tier above its entries, which need the width of a phone.
  return html`<dl class="guide">${tiers.map((t) => html`<dt>${t.label}</dt>${t.entries.map(entry)}`)}</dl>`;
}

/**
 * The read-only incident page: what a reader of any incident mail needs, without an operator token. The
 * responder page shows the same sections under its forms (`note: false`: it says its own).
 */
export function renderIncidentView(
  v: IncidentPageView,
  options: { note?: boolean; heading?: boolean } = {},
): SafeHtml {
  const roles: [string, SafeHtml | undefined][] = [
    ['Incident manager', textOf(v.roles.incidentManager)],
    ['Tech leads', v.roles.techLeads?.length ? html`${v.roles.techLeads.join(', ')}` : undefined],
    ['Comms manager', textOf(v.roles.commsManager)],
    [
      'Chat room',
      v.meeting.chatChannel
        ? v.meeting.chatRoomUrl
          ? link(`#${v.meeting.chatChannel}`, v.meeting.chatRoomUrl)
          : html`#${v.meeting.chatChannel}`
        : undefined,
    ],
    ['Video call', v.meeting.videoUrl ? link('Join', v.meeting.videoUrl) : undefined],
    ['State document', v.meeting.stateDocumentUrl ? link('Open', v.meeting.stateDocumentUrl) : undefined],
  ];
  const days = new Map<string, typeof v.timeline>();
  for (const entry of v.timeline) {
    const day = dayOf(entry.at);
    days.set(day, [...(days.get(day) ?? []), entry]);
  }
  const time = (iso: string | undefined) => (iso ? html`${humanTime(iso)}` : undefined);
  return joinHtml(
    [
      options.heading !== false && html`<h1>${v.key}: ${v.summary}</h1>`,
      facts([
        ['Severity', html`Sev ${String(v.severity)}`],
        ['Status', html`${v.status}`],
        ['Service', html`${v.service}`],
        ['Products', v.products.length ? html`${v.products.join(', ')}` : undefined],
        ['Impact', textOf(v.description)],
        ['Impact started', time(v.times.impactStartedAt)],
        ['Detected', time(v.times.detectedAt)],
        ['Impact ended', time(v.times.impactEndedAt)],
        ['Resolved', time(v.times.resolvedAt)],
        ['Resolution', textOf(v.resolution)],
        ['Times', v.corrected ? html`corrected after the fact (see the timeline)` : undefined],
      ]),
      html`<h2>People and places</h2>`,
      roles.some(([, value]) => value)
        ? facts(roles)
        : html`<p class="muted">Nobody has taken charge yet.</p>`,
      v.onCall && html`<h2>On call</h2>${onCallFacts(v.onCall)}`,
      html`<h2>Measures</h2>`,
      facts(v.metrics.map((m) => [m.label, html`${duration(m.ms)}`])),
      html`<h2>Alerts (${v.alerts.length})</h2>`,
      v.alerts.length === 0
        ? html`<p class="muted">No alerts: the incident was declared by hand.</p>`
        : html`<ul>${v.alerts.map(
            (a) =>
              html`<li><strong>${a.status}</strong> ${a.summary} <span class="muted">since ${humanTime(a.startsAt)}${
                a.endsAt && html`, ended ${humanTime(a.endsAt)}`
              }</span>${
                a.links.length > 0 &&
                html`<br>${joinHtml(
                  a.links.map((l) => link(l.label, l.href)),
                  html` \u00b7 `,
                )}`
              }</li>`,
          )}</ul>`,
      html`<h2>Comms sent (${v.comms.length})</h2>`,
      v.comms.length === 0
        ? html`<p class="muted">None yet.</p>`
        : html`<ul>${v.comms.map(
            (c) =>
              html`<li>${c.what}: ${c.subject} <span class="muted">to ${c.recipients.join(', ')}${
                c.sentAt ? html`, ${humanTime(c.sentAt)}` : html`, sending`
              }</span></li>`,
          )}</ul>`,
      html`<h2>Timeline (UTC)</h2>`,
      ...[...days.entries()].map(
        ([day, entries]) =>
          html`<h3>${day}</h3><ol class="tl">${entries.map(
            (t) =>
              html`<li><time datetime="${t.at}">${t.at.slice(11, 19)}</time><span>${t.text} <span class="muted">(${t.actor})</span></span></li>`,
          )}</ol>`,
      ),
      options.note !== false &&
        html`<p class="note">A read-only page sent to <strong>${v.recipient}</strong>; the link works until ${humanTime(v.expiresAt)}. Opening it changed nothing.</p>`,
    ],
    NEWLINE,
  );
}

/**
 * An approver's confirm page: what the decision means, the whole document (read-only), and one form posting the
 * link's decision with the content hash it is bound to (hidden) and a comment (required to request changes).
 */
function renderApprovalConfirm(v: ApprovalConfirmView): SafeHtml {
  const approve = v.decision === 'approved';
  const what = approve
    ? 'Approving means you agree with the root cause, and that the priority actions are an acceptable way to address it.'
    : 'Requesting changes returns the postmortem to its owner as a draft, with your comment; you will be asked again on the new version.';
  const role = v.mandatory
    ? html`You are asked as a <strong>mandatory</strong> approver: the postmortem is approved once every mandatory approver has approved it.`
    : html`You are asked as an <strong>optional</strong> approver: the postmortem does not wait for you, but your decision and comment are recorded with it, and a request for changes returns it to its owner.`;
  const invalid = v.error !== undefined;
  return joinHtml(
    [
      html`<h1>${approve ? 'Approve' : 'Request changes to'} the postmortem of ${v.incident.key}?</h1>`,
      incidentFacts(v.incident),
      html`<p>${role}</p>`,
      html`<p>${what} Read version ${String(v.version)} below; the form is at the end.</p>`,
      html`<section class="doc" aria-label="The postmortem, version ${String(v.version)}">`,
      // raw: the document is markdown-it's output with HTML input off (DocumentHtml, core/postmortem-document.ts).
      raw(v.document),
      html`</section>`,
      html`<form method="post" action="${v.formAction}">`,
      html`<input type="hidden" name="decision" value="${v.decision}">`,
      html`<input type="hidden" name="contentHash" value="${v.contentHash}">`,
      invalid
        ? html`<div class="box bad" id="comment-error" role="alert"><p>${v.error ?? ''}</p></div>`
        : html``,
      html`<div class="field">`,
      html`<label for="comment">${approve ? 'Comment (optional)' : 'What should change (required)'}</label>`,
      html`<p class="hint">At most 2,000 characters; line breaks are kept. It is shown to the owner and recorded with your decision.</p>`,
      html`<textarea id="comment" name="comment" rows="6" maxlength="2000"${approve ? html`` : html` required`}${
        invalid && html` aria-invalid="true" aria-describedby="comment-error"`
      }>${v.comment ?? ''}</textarea>`,
      html`</div>`,
      approve
        ? html`<button type="submit" class="approve">Approve version ${String(v.version)}</button>`
        : html`<button type="submit">Request changes</button>`,
      html`</form>`,
      html`<p class="note">This link was sent to <strong>${v.approver}</strong> and records the decision as theirs, with this version's content. It works once, until ${humanTime(v.expiresAt)}. ${approve ? 'To request changes instead' : 'To approve instead'}, use the other link in the email. Opening this page changed nothing.</p>`,
    ],
    NEWLINE,
  );
}

/** A page of lines, one element a line. */
const lines = (...parts: SafeHtml[]) => joinHtml(parts, NEWLINE);

export function renderLinkPage(model: LinkPage): string {
  switch (model.kind) {
    case 'approval-confirm':
      return pageShell(
        'plain',
        `${model.view.decision === 'approved' ? 'Approve' : 'Request changes to'} the postmortem of ${model.view.incident.key}`,
        renderApprovalConfirm(model.view),
        { wide: true },
      );
    case 'approval-stale':
      return pageShell(
        'warn',
        'The postmortem changed',
        lines(
          html`<h1>The postmortem changed since you were asked</h1>`,
          incidentFacts(model.incident),
          html`<p>It was edited after this link was sent, so this link no longer decides anything. A new email with links for the new version was sent to <strong>${model.recipient}</strong>: read that version and decide from there. Nothing was changed.</p>`,
        ),
      );
    case 'incident':
      return pageShell('plain', `${model.view.key}: ${model.view.summary}`, renderIncidentView(model.view));
    case 'moved':
      return pageShell(
        'plain',
        'This page has moved',
        lines(
          html`<h1>This page has moved</h1>`,
          html`<p><a href="${model.location}">Open it at its new address</a>. Nothing was changed.</p>`,
        ),
      );
    case 'view-only': {
      const shows = model.shows ?? 'an incident';
      return pageShell(
        'bad',
        `This link only shows ${shows}`,
        lines(
          html`<h1>This link only shows ${shows}</h1>`,
          html`<p>It was sent so that you can read ${shows === 'a calendar' ? 'who is on call' : 'the incident'}; it cannot decide or change anything. Nothing was changed.</p>`,
        ),
      );
    }
    case 'calendar-feed':
      return pageShell(
        'plain',
        `On-call calendar: ${model.schedule}`,
        lines(
          html`<h1>On-call calendar: ${model.schedule}</h1>`,
          html`<p>Subscribe to this address in your calendar app (Google Calendar: Other calendars, From URL; Apple Calendar: File, New Calendar Subscription; Outlook: Add calendar, Subscribe from web). It lists who is on call, rotation and overrides, from a week ago to three months ahead, in your own time zone (the schedule runs in ${model.timeZone}).</p>`,
          html`<p class="pre"><a href="${model.feedUrl}" rel="noreferrer"><code>${model.feedUrl}</code></a></p>`,
          html`<p>Anyone with this address can read the schedule: share it only with the people on it. It works until ${humanTime(model.expiresAt)}; an operator issues a new one with <code>incident schedule-feed</code>.</p>`,
        ),
      );
    case 'confirm':
      return pageShell(
        'plain',
        model.action.question,
        lines(
          html`<h1>${model.action.question}</h1>`,
          incidentFacts(model.incident),
          html`<p>${model.action.consequence}</p>`,
          html`<p class="note">This link was sent to <strong>${model.recipient}</strong> and records the decision as theirs. It works once, until ${humanTime(model.expiresAt)}. Opening this page changed nothing.</p>`,
          html`<form method="post" action="${model.formAction}">`,
          html`<button type="submit">${model.action.button}</button>`,
          html`</form>`,
        ),
      );
    case 'done':
      return pageShell(
        'ok',
        model.action.doneHeadline,
        lines(
          html`<h1>${model.action.doneHeadline}</h1>`,
          incidentFacts(model.incident),
          html`<p>${model.action.doneDetail}</p>`,
          nextLinks(model.next),
          html`<p class="note">Recorded for <strong>${model.by}</strong> at ${humanTime(model.at)}. This link is now used up.</p>`,
        ),
      );
    case 'already-done':
      return pageShell(
        'warn',
        model.action.alreadyHeadline,
        lines(
          html`<h1>${model.action.alreadyHeadline}</h1>`,
          incidentFacts(model.incident),
          html`<p>Already done by <strong>${model.by}</strong> at ${humanTime(model.at)}. Nothing was changed now.</p>`,
          nextLinks(model.next),
        ),
      );
    case 'in-progress':
      return pageShell(
        'warn',
        'Already being processed',
        lines(
          html`<h1>Already being processed</h1>`,
          incidentFacts(model.incident),
          html`<p>This link was just used and the decision is being recorded. Open the link again in a few seconds to see the result.</p>`,
        ),
      );
    case 'expired':
      return pageShell(
        'bad',
        'This link has expired',
        lines(
          html`<h1>This link has expired</h1>`,
          html`<p>Links in Hotline emails work for a limited time. Nothing was changed. Use a newer email, or act on the incident with the incident CLI or API.</p>`,
        ),
      );
    case 'editor-expired':
      return pageShell(
        'warn',
        'This editor link has expired',
        lines(
          html`<h1>This editor link has expired</h1>`,
          incidentFacts(model.incident),
          html`<p>Editor links work for a limited time. Nothing was changed. A fresh link can be mailed to the postmortem's owner, ${model.owner}.</p>`,
          html`<form method="post" action="${model.formAction}">`,
          html`<input type="hidden" name="${FRESH_EDITOR_LINK.name}" value="${FRESH_EDITOR_LINK.value}">`,
          html`<button type="submit">Mail a fresh editor link to ${model.owner}</button>`,
          html`</form>`,
        ),
      );
    case 'editor-link-sent':
      return pageShell(
        'ok',
        'A fresh editor link is on its way',
        lines(
          html`<h1>A fresh editor link is on its way</h1>`,
          incidentFacts(model.incident),
          html`<p>It was mailed to ${model.owner} and works until ${humanTime(model.expiresAt)}.</p>`,
        ),
      );
    case 'invalid':
      return pageShell(
        'bad',
        'This link is not valid',
        lines(
          html`<h1>This link is not valid</h1>`,
          html`<p>The link is incomplete or was changed (or signed with a key that has since been retired). Nothing was changed. Open the link exactly as it is in the email.</p>`,
        ),
      );
    case 'resolved':
      return pageShell(
        'warn',
        `${model.incident.key} is resolved`,
        lines(
          html`<h1>${model.incident.key} is already resolved</h1>`,
          incidentFacts(model.incident),
          html`<p>There is nothing left to do with this link. Nothing was changed.</p>`,
        ),
      );
    case 'refused':
      return pageShell(
        'warn',
        'This cannot be done now',
        lines(
          html`<h1>This cannot be done now</h1>`,
          incidentFacts(model.incident),
          html`<p>${model.reason.replace(/\.$/, '')}. Nothing was changed.</p>`,
        ),
      );
    case 'not-found':
      return pageShell(
        'bad',
        'Incident not found',
        lines(
          html`<h1>Incident not found</h1>`,
          html`<p>The incident this link is for does not exist (any more). Nothing was changed.</p>`,
        ),
      );
    case 'unavailable':
      return pageShell(
        'bad',
        'Please try again',
        lines(
          html`<h1>Please try again in a moment</h1>`,
          html`<p>Hotline could not reach one of its services, so the decision may not be recorded. The link still works: go back and press the button again.</p>`,
        ),
      );
    case 'error':
      return pageShell(
        'bad',
        'Something went wrong',
        lines(
          html`<h1>Something went wrong</h1>`,
          html`<p>The decision could not be recorded. The link still works: try again later, or act on the incident with the incident CLI or API.</p>`,
        ),
      );
  }
}
