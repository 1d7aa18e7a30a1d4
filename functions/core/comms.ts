import type { Service, Severity } from './config.ts';
import type { Incident } from './incident.ts';
import { severityMeaning } from './severity.ts';
import { cap, escapeHtml, headerSafe } from './text.ts';

/** A rendered email: the subject is header-safe, the html part has every piece of user text escaped. */
export interface EmailMessage {
  subject: string;
  text: string;
  html: string;
}

export const MAX_BODY_CHARS = 100_000;

/** `<KEY> - Sev <n> - <summary>`: the incident key is in every subject so mail threads and filters work. */
export function subjectFor(
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>,
  suffix?: string,
): string {
  const base = `${incident.key} - Sev ${incident.severity} - ${incident.summary}`;
  return headerSafe(suffix ? `${base} - ${suffix}` : base, 250);
}

interface Row {
  label: string;
  value: string;
  href?: string;
}

/** A link in a mail: http(s) only (checked where links are made, see `alertLinks` in core/alert.ts). */
export interface MailLink {
  label: string;
  href: string;
}

/** A bullet of a section: text, and the links that go with it (an alert's runbook and graph). */
type Line = string | { text: string; links: readonly MailLink[] };

const lineText = (l: Line) =>
  typeof l === 'string' ? l : [l.text, ...l.links.map((k) => `${k.label}: ${k.href}`)].join(' | ');
const lineHtml = (l: Line) =>
  typeof l === 'string'
    ? escapeHtml(l)
    : [
        escapeHtml(l.text),
        ...l.links.map((k) => `<a href="${escapeHtml(k.href)}">${escapeHtml(k.label)}</a>`),
      ].join(' · ');

/**
 * Builds both parts from the same rows so text and html never disagree. An appendix (the postmortem document,
 * an approver's comment) follows them: its html must be made safe by whoever made it.
 */
export function render(
  title: string,
  intro: string,
  rows: Row[],
  sections: { heading: string; lines: Line[] }[],
  appendix?: { text: string; html: string },
) {
  const text = [
    title,
    '',
    intro,
    '',
    ...rows.map((r) => `${r.label}: ${r.value}${r.href && r.href !== r.value ? ` <${r.href}>` : ''}`),
    ...sections.flatMap((s) => ['', `${s.heading}:`, ...s.lines.map((l) => `- ${lineText(l)}`)]),
    '',
    ...(appendix ? [appendix.text, ''] : []),
  ].join('\n');
  const cell = (r: Row) =>
    r.href ? `<a href="${escapeHtml(r.href)}">${escapeHtml(r.value)}</a>` : escapeHtml(r.value);
  const html = [
    '<!doctype html><html><body style="font-family:system-ui,sans-serif;line-height:1.4">',
    `<h2 style="margin:0 0 8px">${escapeHtml(title)}</h2>`,
    `<p>${escapeHtml(intro)}</p>`,
    '<table style="border-collapse:collapse">',
    ...rows.map(
      (r) =>
        `<tr><th style="text-align:left;padding:2px 12px 2px 0;vertical-align:top">${escapeHtml(r.label)}</th><td>${cell(r)}</td></tr>`,
    ),
    '</table>',
    ...sections.flatMap((s) => [
      `<h3 style="margin:16px 0 4px">${escapeHtml(s.heading)}</h3>`,
      '<ul>',
      ...s.lines.map((l) => `<li>${lineHtml(l)}</li>`),
      '</ul>',
    ]),
    ...(appendix ? [appendix.html] : []),
    '</body></html>',
  ].join('\n');
  return { text: cap(text, MAX_BODY_CHARS), html: cap(html, MAX_BODY_CHARS) };
}

/**
 * The row that links an incident's page: a signed, read-only view link for the mail's recipients (people open
 * mails without an operator token). Every mail that names an incident carries it.
 */
export function incidentRow(incident: Pick<Incident, 'key'>, viewUrl: string | undefined): Row {
  return viewUrl
    ? { label: 'Incident', value: `${incident.key} (open the incident page)`, href: viewUrl }
    : { label: 'Incident', value: incident.key };
}

export interface PageContext {
  incident: Incident;
  service: Service;
  /** The signed view link for this mail's recipients. */
  viewUrl: string;
  firingAlerts: { summary: string; startsAt: string; links?: readonly MailLink[] }[];
  /** The signed acknowledge link (a confirm page: opening it changes nothing). */
  acknowledgeUrl?: string;
  /** Who is paged and why: "incident manager", "backup incident manager", "IMOC". */
  tierLabel?: string;
  escalated?: boolean;
}

/** The page to the incident manager: who, what, how bad, since when, where to look, how to take charge. */
export function pageEmail({
  incident,
  service,
  viewUrl,
  firingAlerts,
  acknowledgeUrl,
  tierLabel = 'incident manager',
  escalated = false,
}: PageContext): EmailMessage {
  const severity = incident.severity as Severity;
  const shown = firingAlerts.slice(0, 20);
  const more = firingAlerts.length - shown.length;
  const { text, html } = render(
    `${incident.key}: you are paged as ${tierLabel}`,
    escalated
      ? `Nobody acknowledged this Sev ${severity} incident for ${service.name} in time, so it is escalated to you. Please acknowledge and take charge.`
      : `A Sev ${severity} incident was opened for ${service.name}. Please acknowledge and take charge.`,
    [
      ...(acknowledgeUrl
        ? [{ label: 'Acknowledge', value: 'Acknowledge and take charge', href: acknowledgeUrl }]
        : []),
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      { label: 'Severity', value: `Sev ${severity} (${severityMeaning[severity]})` },
      { label: 'Service', value: `${service.name} (owner: ${service.ownerTeam})` },
      { label: 'Impact started', value: incident.impactStartedAt },
      { label: 'Detected', value: incident.detectedAt },
      { label: 'Source', value: incident.source },
    ],
    shown.length > 0
      ? [
          {
            heading: 'Firing alerts',
            lines: [
              ...shown.map((a) => ({ text: `${a.summary} (since ${a.startsAt})`, links: a.links ?? [] })),
              ...(more > 0 ? [`and ${more} more`] : []),
            ],
          },
        ]
      : [],
  );
  return { subject: subjectFor(incident, escalated ? 'Escalated page' : 'Paged'), text, html };
}

/** Roles and meeting places, shown in every comms message once known. */
function responseRows(incident: Incident, viewUrl: string): Row[] {
  const roles = incident.roles ?? {};
  return [
    incidentRow(incident, viewUrl),
    { label: 'Severity', value: `Sev ${incident.severity}` },
    ...(roles.incidentManager ? [{ label: 'Incident manager', value: roles.incidentManager }] : []),
    ...(roles.techLeads?.length ? [{ label: 'Tech leads', value: roles.techLeads.join(', ') }] : []),
    ...(roles.commsManager ? [{ label: 'Comms manager', value: roles.commsManager }] : []),
    ...(incident.chatChannel
      ? [
          {
            label: 'Chat room',
            value: `#${incident.chatChannel}`,
            ...(incident.chatRoomUrl ? { href: incident.chatRoomUrl } : {}),
          },
        ]
      : []),
    ...(incident.videoUrl
      ? [{ label: 'Video call', value: incident.videoUrl, href: incident.videoUrl }]
      : []),
    ...(incident.stateDocumentUrl
      ? [{ label: 'State document', value: incident.stateDocumentUrl, href: incident.stateDocumentUrl }]
      : []),
  ];
}

export interface CommsContext {
  incident: Incident;
  products: string;
  /** The signed view link for this mail's recipients. */
  viewUrl: string;
}

/** External wording is short: it goes to public lists and the status page (a person's external text: 280). */
export const MAX_EXTERNAL_CHARS = 280;

/**
 * A wording about `products`, with where updates are (`<label>: <status page URL>`) when the URL is known, capped
 * to the external limit by shortening the product list (the one part of unbounded length).
 */
function externalWording(sentence: (products: string) => string, products: string, link?: string): string {
  const room = MAX_EXTERNAL_CHARS - sentence('').length - (link?.length ?? 0);
  return `${sentence(cap(products, Math.max(20, room)))}${link ?? ''}`;
}

/** The wording without the status page's own address: the status page shows it, and does not link itself. */
export function withoutStatusPageLink(wording: string): string {
  return wording.replace(/ (Updates|Status): https?:\/\/\S+\/status$/, '');
}

/** The handbook's external wording for the first message; with the status page's URL, it says updates are there. */
export function initialExternalWording(products: string, statusPageUrl?: string): string {
  return statusPageUrl
    ? externalWording((p) => `We are investigating issues with ${p}.`, products, ` Updates: ${statusPageUrl}`)
    : externalWording(
        (p) => `We are investigating issues with ${p} and will provide updates here soon.`,
        products,
      );
}

/** First internal comms: to the service's internal list and leadership, as early as possible. */
export function initialInternalEmail({ incident, products, viewUrl }: CommsContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: incident under investigation`,
    `We are investigating an incident affecting ${products}. We will provide updates via email and the status page shortly.`,
    [{ label: 'Summary', value: incident.summary }, ...responseRows(incident, viewUrl)],
    [],
  );
  return { subject: subjectFor(incident), text, html };
}

/**
 * The mail to a service's external list: the public wording and nothing else. It is made from the wording alone
 * (no incident goes in), so no key, severity, service name, alert text or internal link can reach a customer;
 * its subject is the wording's first sentence.
 */
export function externalEmail(wording: string): EmailMessage {
  const firstSentence = /^.*?[.!?](?=\s|$)/s.exec(wording.trim())?.[0] ?? wording;
  const { text, html } = render('Service status', wording, [], []);
  return { subject: headerSafe(firstSentence, 150), text, html };
}

export interface FollowUpContext extends CommsContext {
  update: {
    summary: string;
    status: string[];
    nextSteps: string[];
    impact: string;
    customers: { internal: number | 'unknown'; external: number | 'unknown' };
    rootCause: string;
    eta: string;
    nextUpdateAt: string;
  };
  sequence: number;
}

export function followUpInternalEmail({
  incident,
  viewUrl,
  update,
  sequence,
}: FollowUpContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: update ${sequence}`,
    update.summary,
    [
      { label: 'Impact', value: update.impact },
      {
        label: 'Customers affected',
        value: `internal: ${update.customers.internal}, external: ${update.customers.external}`,
      },
      { label: 'Root cause', value: update.rootCause },
      { label: 'ETA', value: update.eta },
      { label: 'Next update', value: update.nextUpdateAt },
      ...responseRows(incident, viewUrl),
    ],
    [
      { heading: 'Current status', lines: update.status },
      { heading: 'Next steps', lines: update.nextSteps },
    ],
  );
  return { subject: subjectFor(incident, `Update ${sequence}`), text, html };
}

export interface OverdueContext {
  incident: Incident;
  viewUrl: string;
  dueAt: string;
  escalated: boolean;
}

/** An update is overdue: remind the comms manager and incident manager, or, on a second miss, tell IMOC. */
export function overdueEmail({ incident, viewUrl, dueAt, escalated }: OverdueContext): EmailMessage {
  const { text, html } = render(
    escalated
      ? `${incident.key}: updates missed, escalated to IMOC`
      : `${incident.key}: an update is overdue`,
    escalated
      ? `The Sev ${incident.severity} update cadence was missed twice (due ${dueAt}). Please check the incident has someone in charge of comms.`
      : `An update for this Sev ${incident.severity} incident was due at ${dueAt}. Post one with the current status, next steps, impact, customers affected, root cause, ETA and the time of the next update.`,
    responseRows(incident, viewUrl),
    [],
  );
  return { subject: subjectFor(incident, escalated ? 'Updates missed' : 'Update overdue'), text, html };
}

export interface FinalContext extends CommsContext {
  durationText: string;
}

/** Final internal comms: recap, and no further comms. */
export function finalInternalEmail({
  incident,
  products,
  viewUrl,
  durationText,
}: FinalContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: resolved`,
    `The incident affecting ${products} is resolved. There will be no further comms about it.`,
    [
      { label: 'Impact', value: incident.description ?? incident.summary },
      { label: 'Impact started', value: incident.impactStartedAt },
      ...(incident.impactEndedAt ? [{ label: 'Impact ended', value: incident.impactEndedAt }] : []),
      { label: 'Duration', value: durationText },
      { label: 'Support cases', value: String(incident.supportCases ?? 0) },
      {
        label: 'Postmortem',
        value:
          incident.postmortem === 'not-required'
            ? 'not required (Sev 3; can be requested)'
            : 'to follow (blameless, with priority actions)',
      },
      ...responseRows(incident, viewUrl),
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Resolved'), text, html };
}

/** The handbook's external wording when service is restored; with the status page's URL, it names it. */
export function finalExternalWording(products: string, statusPageUrl?: string): string {
  return externalWording(
    (p) =>
      `The issues with ${p} have been resolved and service is restored. We will publish a postmortem with what happened and what we are changing.`,
    products,
    statusPageUrl ? ` Status: ${statusPageUrl}` : undefined,
  );
}

/** "1 h 23 min" from milliseconds. */
export function durationText(ms: number): string {
  const minutes = Math.max(0, Math.round(ms / 60_000));
  const hours = Math.floor(minutes / 60);
  return hours > 0 ? `${hours} h ${minutes % 60} min` : `${minutes} min`;
}

export interface WorkflowFailureContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  /** Absent when the incident itself could not be read. */
  viewUrl?: string;
  error: string;
  cause: string;
}

/** Told to the operators when the workflow itself fails: the incident still needs a person. */
export function workflowFailureEmail({
  incident,
  viewUrl,
  error,
  cause,
}: WorkflowFailureContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: the incident workflow failed`,
    'The automated workflow for this incident stopped after its retries. Nobody may have been paged: check the incident and page its incident manager by hand.',
    [
      incidentRow(incident, viewUrl),
      { label: 'Error', value: cap(error, 200) },
      { label: 'Cause', value: cap(cause, 2000) },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Workflow failed'), text, html };
}

export interface AlertsResolvedContext {
  incident: Incident;
  viewUrl: string;
  alertCount: number;
  lastResolvedAt: string;
}

/**
 * Every alert of an incident has resolved. The incident stays open: a person decides that impact has ended
 * and resolves it (alerts can clear while customers are still affected, or flap).
 */
export function allAlertsResolvedEmail({
  incident,
  viewUrl,
  alertCount,
  lastResolvedAt,
}: AlertsResolvedContext) {
  const { text, html } = render(
    `${incident.key}: every alert has resolved`,
    'All alerts of this incident have resolved. The incident stays open until its incident manager resolves it: confirm that customer impact has ended, then resolve it with the impact end time.',
    [
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      { label: 'Alerts', value: `${alertCount} resolved, none firing` },
      { label: 'Last resolved', value: lastResolvedAt },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'All alerts resolved'), text, html };
}

export interface WorkflowRecoveredContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary' | 'openedAt'>;
  viewUrl: string;
  startedAt: string;
}

/**
 * The sweep found an incident whose workflow never started (the request that opened it failed after writing it)
 * and started it. The page goes out late: the operators are told so they can find out why.
 */
export function workflowRecoveredEmail({
  incident,
  viewUrl,
  startedAt,
}: WorkflowRecoveredContext): EmailMessage {
  const late = durationText(Math.max(0, Date.parse(startedAt) - Date.parse(incident.openedAt)));
  const { text, html } = render(
    `${incident.key}: its workflow started late`,
    `This incident was opened but its workflow did not start with it: the request that opened it failed before starting it. The sweep started it ${late} after the incident was opened, so whoever it pages or notifies heard of it late. Check the logs of the function that opened it.`,
    [
      incidentRow(incident, viewUrl),
      { label: 'Opened', value: incident.openedAt },
      { label: 'Workflow started', value: startedAt },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Workflow started late'), text, html };
}

export interface PostmortemOpenedContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  postmortem: { owner: string; ownerTeam: string; due: string };
  /** The owner's signed editor link (many saves until it expires). */
  editorUrl: string;
  viewUrl: string;
}

/** To the postmortem's owner: it is open, pre-filled, due in five business days; the editor link writes it. */
export function postmortemOpenedEmail({ incident, postmortem, editorUrl, viewUrl }: PostmortemOpenedContext) {
  const { text, html } = render(
    `${incident.key}: the postmortem is yours to write`,
    `The incident is resolved and its postmortem is open for ${postmortem.ownerTeam}, pre-filled with what Hotline recorded. Complete it (what happened, the Five Whys, the root cause and the priority actions), blamelessly, and ask for approval by ${postmortem.due}.`,
    [
      { label: 'Write the postmortem', value: 'Open the editor', href: editorUrl },
      incidentRow(incident, viewUrl),
      { label: 'Owner', value: postmortem.owner },
      { label: 'Due', value: postmortem.due },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Postmortem'), text, html };
}

/** A fresh editor link for the postmortem's owner (asked for from an expired link, the CLI or the API). */
export function postmortemEditorLinkEmail({
  incident,
  postmortem,
  editorUrl,
  viewUrl,
  expiresAt,
}: PostmortemOpenedContext & { expiresAt: string }) {
  const { text, html } = render(
    `${incident.key}: a fresh link to the postmortem editor`,
    `Someone asked for a fresh editor link for the postmortem of ${incident.key}; it is mailed to its owner only. The earlier links keep working until they expire.`,
    [
      { label: 'Write the postmortem', value: 'Open the editor', href: editorUrl },
      incidentRow(incident, viewUrl),
      { label: 'Owner', value: postmortem.owner },
      { label: 'Due', value: postmortem.due },
      { label: 'Link works until', value: expiresAt },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Postmortem editor link'), text, html };
}

export interface TeamNoticeContext {
  incident: Incident;
  service: Service;
  /** The signed view link for the team's address. */
  viewUrl: string;
  /** The signed acknowledge link for the team's address (a confirm page: opening it changes nothing). */
  acknowledgeUrl: string;
  firingAlerts: { summary: string; startsAt: string; links?: readonly MailLink[] }[];
  /** The team's business hours in words (`Mon-Fri 09:00-17:00 (UTC)`). */
  businessHours: string;
  /** When the team is reminded if nobody acknowledges, in the team's time (`Mon 23 Nov 2026 09:00 (UTC)`). */
  remindAt: string;
}

/** Alerts as a mail section, with their runbook and graph links; at most 20 named. */
function alertSection(firingAlerts: TeamNoticeContext['firingAlerts']) {
  const shown = firingAlerts.slice(0, 20);
  const more = firingAlerts.length - shown.length;
  return shown.length > 0
    ? [
        {
          heading: 'Firing alerts',
          lines: [
            ...shown.map((a) => ({ text: `${a.summary} (since ${a.startsAt})`, links: a.links ?? [] })),
            ...(more > 0 ? [`and ${more} more`] : []),
          ],
        },
      ]
    : [];
}

/**
 * A sev 3 goes to its service's owner team, not to a pager: the team works on it during business hours and
 * acknowledges when someone picks it up. Nobody is paged and nothing escalates.
 */
export function teamNoticeEmail({
  incident,
  service,
  viewUrl,
  acknowledgeUrl,
  firingAlerts,
  businessHours,
  remindAt,
}: TeamNoticeContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: passed to ${service.ownerTeam}`,
    `A Sev 3 incident for ${service.name} was passed to your team for resolution during business hours (${businessHours}). Nobody is paged. Acknowledge it when someone picks it up; until then the team is reminded once a business day.`,
    [
      { label: 'Acknowledge', value: 'Acknowledge and take charge', href: acknowledgeUrl },
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      { label: 'Severity', value: `Sev 3 (${severityMeaning[3]})` },
      { label: 'Service', value: `${service.name} (owner: ${service.ownerTeam})` },
      { label: 'Impact started', value: incident.impactStartedAt },
      { label: 'Detected', value: incident.detectedAt },
      { label: 'Source', value: incident.source },
      { label: 'Reminder', value: `${remindAt} if not acknowledged by then` },
    ],
    alertSection(firingAlerts),
  );
  return { subject: subjectFor(incident, 'Passed to your team'), text, html };
}

export interface TeamReminderContext {
  incident: Incident;
  service: Service;
  viewUrl: string;
  /** A fresh signed acknowledge link for the team's address. */
  acknowledgeUrl: string;
  /** When the team was first told (UTC ISO). */
  notifiedAt: string;
  /** The next reminder, in the team's time. */
  remindAt: string;
}

/** Once a business day (at the start of business) while a sev 3 passed to its team is not acknowledged. */
export function teamReminderEmail({
  incident,
  service,
  viewUrl,
  acknowledgeUrl,
  notifiedAt,
  remindAt,
}: TeamReminderContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: still not acknowledged`,
    `This Sev 3 incident for ${service.name} was passed to your team at ${notifiedAt} and nobody has acknowledged it yet. Acknowledge it when someone picks it up.`,
    [
      { label: 'Acknowledge', value: 'Acknowledge and take charge', href: acknowledgeUrl },
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      { label: 'Severity', value: `Sev 3 (${severityMeaning[3]})` },
      { label: 'Service', value: `${service.name} (owner: ${service.ownerTeam})` },
      { label: 'Passed to the team', value: notifiedAt },
      { label: 'Next reminder', value: `${remindAt} if still not acknowledged` },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Still not acknowledged'), text, html };
}

export interface PostmortemReminderContext extends PostmortemOpenedContext {
  /** `before`: the day before it is due; `due`: it is due now. */
  when: 'before' | 'due';
}

/** To the owner, before and at the due time: still a draft, and how to finish it. */
export function postmortemReminderEmail({
  incident,
  postmortem,
  editorUrl,
  viewUrl,
  when,
}: PostmortemReminderContext) {
  const { text, html } = render(
    when === 'before'
      ? `${incident.key}: the postmortem is due tomorrow`
      : `${incident.key}: the postmortem is due now`,
    when === 'before'
      ? `The postmortem of this incident is due ${postmortem.due} and is still a draft. Complete it and ask for approval from the editor.`
      : `The postmortem of this incident was due ${postmortem.due} and is still a draft. Its approvers will be told it is overdue; complete it and ask for approval from the editor.`,
    [
      { label: 'Write the postmortem', value: 'Open the editor', href: editorUrl },
      incidentRow(incident, viewUrl),
      { label: 'Owner', value: postmortem.owner },
      { label: 'Due', value: postmortem.due },
    ],
    [],
  );
  return {
    subject: subjectFor(incident, when === 'before' ? 'Postmortem due tomorrow' : 'Postmortem due'),
    text,
    html,
  };
}

export interface PostmortemOverdueContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  postmortem: { owner: string; ownerTeam: string; due: string };
  viewUrl: string;
}

/** To the service's approvers: the postmortem they will approve is overdue (they are its managers). */
export function postmortemOverdueEmail({ incident, postmortem, viewUrl }: PostmortemOverdueContext) {
  const { text, html } = render(
    `${incident.key}: the postmortem is overdue`,
    `The postmortem of this incident was due ${postmortem.due} and has not been sent for approval. It is owned by ${postmortem.ownerTeam} (${postmortem.owner}); you are one of its approvers.`,
    [
      incidentRow(incident, viewUrl),
      { label: 'Owner', value: postmortem.owner },
      { label: 'Due', value: postmortem.due },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Postmortem overdue'), text, html };
}

// --- postmortem approval and publication -------------------------------------------------------------------------
