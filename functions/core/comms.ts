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

/** Builds both parts from the same rows so text and html never disagree. */
function render(title: string, intro: string, rows: Row[], sections: { heading: string; lines: string[] }[]) {
  const text = [
    title,
    '',
    intro,
    '',
    ...rows.map((r) => `${r.label}: ${r.value}${r.href && r.href !== r.value ? ` <${r.href}>` : ''}`),
    ...sections.flatMap((s) => ['', `${s.heading}:`, ...s.lines.map((l) => `- ${l}`)]),
    '',
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
      ...s.lines.map((l) => `<li>${escapeHtml(l)}</li>`),
      '</ul>',
    ]),
    '</body></html>',
  ].join('\n');
  return { text: cap(text, MAX_BODY_CHARS), html: cap(html, MAX_BODY_CHARS) };
}

export function incidentUrl(baseUrl: string, key: string): string {
  return `${baseUrl.replace(/\/+$/, '')}/incidents/${encodeURIComponent(key)}`;
}

export interface PageContext {
  incident: Incident;
  service: Service;
  baseUrl: string;
  firingAlerts: { summary: string; startsAt: string }[];
}

/** The page to the incident manager: who, what, how bad, since when, and where to look. */
export function pageEmail({ incident, service, baseUrl, firingAlerts }: PageContext): EmailMessage {
  const severity = incident.severity as Severity;
  const shown = firingAlerts.slice(0, 20);
  const more = firingAlerts.length - shown.length;
  const { text, html } = render(
    `${incident.key}: you are paged as incident manager`,
    `A Sev ${severity} incident was opened for ${service.name}. Please acknowledge and take charge.`,
    [
      { label: 'Incident', value: incident.key, href: incidentUrl(baseUrl, incident.key) },
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
              ...shown.map((a) => `${a.summary} (since ${a.startsAt})`),
              ...(more > 0 ? [`and ${more} more`] : []),
            ],
          },
        ]
      : [],
  );
  return { subject: subjectFor(incident, 'Paged'), text, html };
}

export interface WorkflowFailureContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  baseUrl?: string;
  error: string;
  cause: string;
}

/** Told to the operators when the workflow itself fails: the incident still needs a person. */
export function workflowFailureEmail({
  incident,
  baseUrl,
  error,
  cause,
}: WorkflowFailureContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: the incident workflow failed`,
    'The automated workflow for this incident stopped after its retries. Nobody may have been paged: check the incident and page its incident manager by hand.',
    [
      baseUrl
        ? { label: 'Incident', value: incident.key, href: incidentUrl(baseUrl, incident.key) }
        : { label: 'Incident', value: incident.key },
      { label: 'Error', value: cap(error, 200) },
      { label: 'Cause', value: cap(cause, 2000) },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Workflow failed'), text, html };
}

export interface AlertsResolvedContext {
  incident: Incident;
  baseUrl: string;
  alertCount: number;
  lastResolvedAt: string;
}

/**
 * Every alert of an incident has resolved. The incident stays open: a person decides that impact has ended
 * and resolves it (alerts can clear while customers are still affected, or flap).
 */
export function allAlertsResolvedEmail({
  incident,
  baseUrl,
  alertCount,
  lastResolvedAt,
}: AlertsResolvedContext) {
  const { text, html } = render(
    `${incident.key}: every alert has resolved`,
    'All alerts of this incident have resolved. The incident stays open until its incident manager resolves it: confirm that customer impact has ended, then resolve it with the impact end time.',
    [
      { label: 'Incident', value: incident.key, href: incidentUrl(baseUrl, incident.key) },
      { label: 'Summary', value: incident.summary },
      { label: 'Alerts', value: `${alertCount} resolved, none firing` },
      { label: 'Last resolved', value: lastResolvedAt },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'All alerts resolved'), text, html };
}
