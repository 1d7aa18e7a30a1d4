/** The incident's comms (internal lists, external wording) and the notices operators get about a workflow. */
import { currentImpact, type Incident, RESOLUTION_WORDS, type ResolutionKind } from '../incident.ts';
import { cap, headerSafe } from '../text.ts';
import {
  durationText,
  type EmailMessage,
  incidentRow,
  mailTime,
  type Row,
  render,
  subjectFor,
} from './layout.ts';

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
      { label: 'Next update', value: mailTime(update.nextUpdateAt) },
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
      ? `The Sev ${incident.severity} update cadence was missed twice (due ${mailTime(dueAt)}). Please check the incident has someone in charge of comms.`
      : `An update for this Sev ${incident.severity} incident was due at ${mailTime(dueAt)}. Post one with the current status, next steps, impact, customers affected, root cause, ETA and the time of the next update.`,
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
  const kind = incident.resolution ?? 'resolved';
  const how =
    kind === 'false-alarm'
      ? `was a false alarm: ${products} was not affected`
      : kind === 'duplicate'
        ? `duplicates ${incident.duplicateOf ?? 'another incident'}: its comms continue there`
        : kind === 'cleared-before-acknowledgement'
          ? 'cleared before anyone acknowledged it'
          : `affecting ${products} is resolved`;
  const { text, html } = render(
    `${incident.key}: ${kind === 'resolved' ? 'resolved' : RESOLUTION_WORDS[kind]}`,
    `The incident ${how}. There will be no further comms about it.`,
    [
      // The latest stated impact (an update's) wins over the declaration's or the alerts' words.
      { label: 'Impact', value: currentImpact(incident) ?? incident.summary },
      { label: 'Impact started', value: mailTime(incident.impactStartedAt) },
      ...(incident.impactEndedAt ? [{ label: 'Impact ended', value: mailTime(incident.impactEndedAt) }] : []),
      { label: 'Duration', value: durationText },
      { label: 'Support cases', value: String(incident.supportCases ?? 0) },
      {
        label: 'Postmortem',
        value:
          incident.postmortem === 'not-required'
            ? kind === 'resolved'
              ? 'not required (Sev 3; can be requested)'
              : `not required (${RESOLUTION_WORDS[kind]}; can be requested)`
            : 'to follow (blameless, with priority actions)',
      },
      ...responseRows(incident, viewUrl),
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Resolved'), text, html };
}

/** How an incident ended, as the final external wording needs it. */
export interface FinalWordingOptions {
  /** Whether a postmortem will be written (the promise is made only then). Default: yes. */
  postmortem?: boolean;
  /** How it ended: a false alarm or a duplicate had no impact of its own to restore. Default: resolved. */
  kind?: ResolutionKind;
}

/**
 * The handbook's external wording when service is restored; with the status page's URL, it names it. It promises
 * a postmortem only where one will be written; a false alarm says customers were not affected, a duplicate points
 * to the updates already given.
 */
export function finalExternalWording(
  products: string,
  statusPageUrl?: string,
  options: FinalWordingOptions = {},
): string {
  const promise =
    options.postmortem === false
      ? ''
      : ' We will publish a postmortem with what happened and what we are changing.';
  const sentence =
    options.kind === 'false-alarm'
      ? (p: string) => `We looked into possible issues with ${p}: service was not affected.`
      : options.kind === 'duplicate'
        ? (p: string) => `This report about ${p} is covered by another incident: see its updates.`
        : (p: string) => `The issues with ${p} have been resolved and service is restored.${promise}`;
  return externalWording(sentence, products, statusPageUrl ? ` Status: ${statusPageUrl}` : undefined);
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
      { label: 'Last resolved', value: mailTime(lastResolvedAt) },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'All alerts resolved'), text, html };
}

export interface AlertsClearedContext {
  incident: Incident;
  viewUrl: string;
  clearedAt: string;
  /** When the workflow resolves it as cleared unless someone acknowledges; absent: a person resolves it. */
  resolvesAt?: string | undefined;
}

/**
 * Every alert cleared before anyone acknowledged: the escalation stops. Whoever was paged is told, so nobody
 * keeps looking for a problem that went away, and knows what happens next.
 */
export function alertsClearedEmail({ incident, viewUrl, clearedAt, resolvesAt }: AlertsClearedContext) {
  const { text, html } = render(
    `${incident.key}: the alerts cleared before anyone acknowledged`,
    `Every alert of this incident cleared before anyone acknowledged it, so nobody else will be paged for it. ${
      resolvesAt
        ? `Unless someone acknowledges it or an alert fires again, it resolves as "cleared before anyone acknowledged" at ${mailTime(resolvesAt)}, with no postmortem unless one is asked for.`
        : 'It stays open until a person resolves it.'
    } If an alert fires again first, the escalation goes on where it stopped.`,
    [
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      { label: 'Cleared', value: mailTime(clearedAt) },
      ...(resolvesAt ? [{ label: 'Resolves', value: mailTime(resolvesAt) }] : []),
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Alerts cleared before acknowledgement'), text, html };
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
      { label: 'Opened', value: mailTime(incident.openedAt) },
      { label: 'Workflow started', value: mailTime(startedAt) },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Workflow started late'), text, html };
}

export interface RoleNamedContext {
  incident: Incident;
  /** The role in words: incident manager, tech lead, comms manager. */
  role: string;
  /** Who named them. */
  by: string;
  /** Their own responder link (the incident with the forms their role allows). */
  url: string;
}

/** To a person just named to a role: what it asks of them, and their page. */
export function roleNamedEmail({ incident, role, by, url }: RoleNamedContext): EmailMessage {
  const asks =
    role === 'incident manager'
      ? 'You are in charge: post the updates on the cadence, set the severity and the roles, and resolve it when the impact is over.'
      : role === 'comms manager'
        ? 'You keep the comms on their cadence: post the updates (internal, and the short public text for customers).'
        : 'You lead the technical investigation: post updates on what is known and what comes next.';
  const { text, html } = render(
    `${incident.key}: you are ${role}`,
    `${
      by.trim().toLowerCase() === (incident.roles?.incidentManager ?? '').trim().toLowerCase() &&
      role === 'incident manager'
        ? `You are in charge of this Sev ${incident.severity} incident as ${role}.`
        : `${headerSafe(by, 200)} named you ${role} of this Sev ${incident.severity} incident.`
    } ${asks} Your page (the link below) has the incident and the forms for your role; what you post there is recorded as yours.`,
    responseRows(incident, url),
    [],
  );
  return { subject: subjectFor(incident, `You are ${role}`), text, html };
}
