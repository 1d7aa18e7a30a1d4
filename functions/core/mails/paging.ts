/** The mails that page a person (sev 1-2, escalation) or pass a sev 3 to its owner team. */
import type { Service, Severity } from '../config.ts';
import type { Incident } from '../incident.ts';
import { REPLY_HINT } from '../mail-replies.ts';
import { severityMeaning } from '../severity.ts';
import { type EmailMessage, incidentRow, type MailLink, mailTime, render, subjectFor } from './layout.ts';

/** The service's time zone (its business hours'): its people read a mail's times in it as well as in UTC. */
const zoneOf = (service: Service): string | undefined => service.businessHours?.timeZone;

/** `1 more alert`, `2 more alerts`. */
function moreAlerts(count: number): string {
  return `${count} more ${count === 1 ? 'alert' : 'alerts'}`;
}

/**
 * What the alerts (or the declarer) said is wrong, as a row: an alert's description (the first that has one) or
 * the declaration's impact. Nothing when there is none.
 */
function descriptionRows(incident: Incident) {
  const description = incident.description?.trim();
  return description ? [{ label: 'Description', value: description }] : [];
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
  /** The incident's reply address (core/mail-replies.ts): a reply saying "ack" acknowledges. */
  replyTo?: string;
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
  replyTo,
}: PageContext): EmailMessage {
  const severity = incident.severity as Severity;
  const zone = zoneOf(service);
  const { text, html } = render(
    `${incident.key}: you are paged as ${tierLabel}`,
    `${
      escalated
        ? `Nobody acknowledged this Sev ${severity} incident for ${service.name} in time, so it is escalated to you. Please acknowledge and take charge.`
        : `A Sev ${severity} incident was opened for ${service.name}. Please acknowledge and take charge.`
    }${replyTo ? ` ${REPLY_HINT}` : ''}`,
    [
      ...(acknowledgeUrl
        ? [{ label: 'Acknowledge', value: 'Acknowledge and take charge', href: acknowledgeUrl }]
        : []),
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      ...descriptionRows(incident),
      { label: 'Severity', value: `Sev ${severity} (${severityMeaning[severity]})` },
      { label: 'Service', value: `${service.name} (owner: ${service.ownerTeam})` },
      { label: 'Impact started', value: mailTime(incident.impactStartedAt, zone) },
      { label: 'Detected', value: mailTime(incident.detectedAt, zone) },
      { label: 'Source', value: incident.source },
    ],
    alertSection(firingAlerts, zone),
  );
  return {
    subject: subjectFor(incident, escalated ? 'Escalated page' : 'Paged'),
    text,
    html,
    ...(replyTo ? { replyTo } : {}),
  };
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
function alertSection(firingAlerts: PageContext['firingAlerts'], zone: string | undefined) {
  const shown = firingAlerts.slice(0, 20);
  const more = firingAlerts.length - shown.length;
  return shown.length > 0
    ? [
        {
          heading: 'Firing alerts',
          lines: [
            ...shown.map((a) => ({
              text: `${a.summary} (since ${mailTime(a.startsAt, zone)})`,
              links: a.links ?? [],
            })),
            ...(more > 0 ? [`and ${moreAlerts(more)}`] : []),
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
  const zone = zoneOf(service);
  const { text, html } = render(
    `${incident.key}: passed to ${service.ownerTeam}`,
    `A Sev 3 incident for ${service.name} was passed to your team for resolution during business hours (${businessHours}). Nobody is paged. Acknowledge it when someone picks it up; until then the team is reminded once a business day.`,
    [
      { label: 'Acknowledge', value: 'Acknowledge and take charge', href: acknowledgeUrl },
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      ...descriptionRows(incident),
      { label: 'Severity', value: `Sev 3 (${severityMeaning[3]})` },
      { label: 'Service', value: `${service.name} (owner: ${service.ownerTeam})` },
      { label: 'Impact started', value: mailTime(incident.impactStartedAt, zone) },
      { label: 'Detected', value: mailTime(incident.detectedAt, zone) },
      { label: 'Source', value: incident.source },
      { label: 'Reminder', value: `${remindAt} if not acknowledged by then` },
    ],
    alertSection(firingAlerts, zone),
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
  const passed = mailTime(notifiedAt, zoneOf(service));
  const { text, html } = render(
    `${incident.key}: still not acknowledged`,
    `This Sev 3 incident for ${service.name} was passed to your team at ${passed} and nobody has acknowledged it yet. Acknowledge it when someone picks it up.`,
    [
      { label: 'Acknowledge', value: 'Acknowledge and take charge', href: acknowledgeUrl },
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      { label: 'Severity', value: `Sev 3 (${severityMeaning[3]})` },
      { label: 'Service', value: `${service.name} (owner: ${service.ownerTeam})` },
      { label: 'Passed to the team', value: passed },
      { label: 'Next reminder', value: `${remindAt} if still not acknowledged` },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Still not acknowledged'), text, html };
}
