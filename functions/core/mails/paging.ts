/** The mails that page a person (sev 1-2, escalation) or pass a sev 3 to its owner team. */
import type { Service, Severity } from '../config.ts';
import type { Incident } from '../incident.ts';
import { severityMeaning } from '../severity.ts';
import { type EmailMessage, incidentRow, type MailLink, render, subjectFor } from './layout.ts';

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
