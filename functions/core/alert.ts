import type { Organisation, Severity } from './config.ts';
import { ownValue } from './records.ts';
import { mostSevere } from './severity.ts';
import { cap, capRecord, wellFormed } from './text.ts';

/** One alert as every source is reduced to. */
export interface NormalisedAlert {
  source: string;
  /** Alerts with the same source and group key belong to one incident while it is open. */
  groupKey: string;
  /** Identifies one alert within its group across deliveries. */
  fingerprint: string;
  status: 'firing' | 'resolved';
  startsAt: string;
  endsAt?: string;
  summary: string;
  description?: string;
  labels: Record<string, string>;
  annotations: Record<string, string>;
  url?: string;
}

/** A delivery reduced to the groups it touches. */
export interface AlertGroup {
  source: string;
  groupKey: string;
  alerts: NormalisedAlert[];
}

export const limits = {
  summary: 200,
  description: 2000,
  url: 2048,
  groupKey: 2048,
  fingerprint: 128,
} as const;

/**
 * Caps the untrusted text of an alert so one alert cannot blow up items or mails, and makes it well formed (a
 * lone surrogate becomes U+FFFD): every source's parser ends here, so no alert text reaches an answer or a mail
 * as a `\ud800` escape.
 */
export function capAlert(alert: NormalisedAlert): NormalisedAlert {
  const text = (value: string, max: number) => cap(wellFormed(value), max);
  return {
    ...alert,
    groupKey: text(alert.groupKey, limits.groupKey),
    fingerprint: text(alert.fingerprint, limits.fingerprint),
    summary: text(alert.summary, limits.summary),
    ...(alert.description === undefined ? {} : { description: text(alert.description, limits.description) }),
    ...(alert.url === undefined ? {} : { url: text(alert.url, limits.url) }),
    labels: capRecord(alert.labels),
    annotations: capRecord(alert.annotations),
  };
}

/** Splits a delivery by alert group; an alert listed twice in one group counts once, as its last listing. */
export function groupAlerts(alerts: readonly NormalisedAlert[]): AlertGroup[] {
  const groups = new Map<
    string,
    { source: string; groupKey: string; alerts: Map<string, NormalisedAlert> }
  >();
  for (const alert of alerts) {
    const id = `${alert.source}\u0000${alert.groupKey}`;
    const group = groups.get(id) ?? { source: alert.source, groupKey: alert.groupKey, alerts: new Map() };
    group.alerts.delete(alert.fingerprint);
    group.alerts.set(alert.fingerprint, alert);
    groups.set(id, group);
  }
  return [...groups.values()].map((group) => ({ ...group, alerts: [...group.alerts.values()] }));
}

/**
 * An alert's state in one string: status and its own timestamps. The alert group keeps one per fingerprint,
 * which tells a repeated delivery (same marker) from a state change.
 */
export function stateMarker(alert: Pick<NormalisedAlert, 'status' | 'startsAt' | 'endsAt'>): string {
  return `${alert.status}|${alert.startsAt}|${alert.endsAt ?? ''}`;
}

export interface AlertCounts {
  alertCount: number;
  firingCount: number;
  /** The latest time an alert started or ended. */
  lastAlertAt: string;
}

/** An incident's alert counts from its group's state markers (undefined when the group has none). */
export function countsFromMarkers(markers: readonly string[]): AlertCounts | undefined {
  let firingCount = 0;
  let lastAlertAt = '';
  for (const marker of markers) {
    const [status, startsAt = '', endsAt = ''] = marker.split('|');
    if (status === 'firing') firingCount++;
    const at = endsAt || startsAt;
    if (at > lastAlertAt) lastAlertAt = at;
  }
  return markers.length > 0 ? { alertCount: markers.length, firingCount, lastAlertAt } : undefined;
}

/** An alert as an incident has recorded it: its latest state, and when it was first and last delivered. */
export interface StoredAlert extends NormalisedAlert {
  incidentId: string;
  firstSeenAt: string;
  lastSeenAt: string;
}

/** What an alert's timeline entry keeps of it (where it came from is the entry's actor). */
export type AlertEntryData = Omit<NormalisedAlert, 'source'> & { receivedAt: string };

export function alertEntryData(alert: NormalisedAlert, receivedAt: string): AlertEntryData {
  const { source: _source, ...rest } = alert;
  return { ...rest, receivedAt };
}

interface AlertTimelineEntry {
  kind: string;
  at: string;
  actor: string;
  text: string;
  data?: Record<string, unknown>;
}

/**
 * An incident's alerts, from the timeline entries of their states: each alert as its latest state (by the
 * alert's own times) says, first seen at its first delivery. A resolve that carries less than the firing alert
 * did (PagerDuty's resolve has no payload) keeps what the firing alert said.
 */
export function alertsFromTimeline(
  incidentId: string,
  entries: readonly AlertTimelineEntry[],
): StoredAlert[] {
  const states = entries
    .filter((e) => e.kind === 'alert.firing' || e.kind === 'alert.resolved')
    .sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1));
  const alerts = new Map<string, StoredAlert>();
  for (const entry of states) {
    const data = (entry.data ?? {}) as Partial<AlertEntryData>;
    if (typeof data.fingerprint !== 'string') continue;
    const previous = alerts.get(data.fingerprint);
    const firing = entry.kind === 'alert.firing';
    const receivedAt = data.receivedAt ?? entry.at;
    // Entries from before the full alert was kept on them carry only the fingerprint, labels and url.
    const said = {
      summary: data.summary ?? entry.text.replace(/^(Firing|Resolved): /, ''),
      labels: data.labels ?? {},
      annotations: data.annotations ?? {},
      ...(data.description === undefined ? {} : { description: data.description }),
      ...(data.url === undefined ? {} : { url: data.url }),
    };
    const descriptive = !firing && previous ? pickDescriptive(previous) : said;
    alerts.set(data.fingerprint, {
      incidentId,
      source: entry.actor,
      groupKey: data.groupKey ?? previous?.groupKey ?? '',
      fingerprint: data.fingerprint,
      status: firing ? 'firing' : 'resolved',
      startsAt: data.startsAt ?? (firing ? entry.at : (previous?.startsAt ?? entry.at)),
      ...(firing ? {} : { endsAt: data.endsAt ?? entry.at }),
      ...descriptive,
      firstSeenAt: previous && previous.firstSeenAt < receivedAt ? previous.firstSeenAt : receivedAt,
      lastSeenAt: previous && previous.lastSeenAt > receivedAt ? previous.lastSeenAt : receivedAt,
    });
  }
  return [...alerts.values()];
}

function pickDescriptive(alert: StoredAlert) {
  return {
    summary: alert.summary,
    labels: alert.labels,
    annotations: alert.annotations,
    ...(alert.description === undefined ? {} : { description: alert.description }),
    ...(alert.url === undefined ? {} : { url: alert.url }),
  };
}

/** The service an alert is about: first configured label whose value names a service id or alias. */
export function serviceFor(
  org: Organisation,
  labels: Record<string, string>,
): { service: string; matched: boolean } {
  for (const label of org.alertRouting.serviceLabels) {
    const value = ownValue(labels, label)?.trim().toLowerCase();
    if (!value) continue;
    for (const [id, service] of Object.entries(org.services)) {
      if (id === value || service.aliases.some((alias) => alias.toLowerCase() === value)) {
        return { service: id, matched: true };
      }
    }
  }
  return { service: org.defaultService, matched: false };
}

export function severityFor(org: Organisation, labels: Record<string, string>): Severity {
  for (const label of org.alertRouting.severityLabels) {
    // The value is the sender's: `constructor` must find no severity, not Object.prototype's constructor.
    const value = ownValue(labels, label)?.trim().toLowerCase();
    const mapped = value === undefined ? undefined : ownValue(org.alertRouting.severityValues, value);
    if (mapped !== undefined) return mapped;
  }
  return org.alertRouting.defaultSeverity;
}

/** What a new incident is about, whether alerts or a person opened it. */
export interface IncidentAbout {
  service: string;
  serviceMatched: boolean;
  severity: Severity;
  summary: string;
  impactStartedAt: string;
  description?: string;
  products?: string[];
}

/** What an incident opened from a group is about: the firing alerts decide severity and service. */
export function describeGroup(org: Organisation, group: AlertGroup): IncidentAbout {
  const firing = group.alerts.filter((a) => a.status === 'firing');
  const considered = firing.length > 0 ? firing : group.alerts;
  const first = considered[0];
  if (!first) throw new Error('an alert group has at least one alert');
  const { service, matched } = serviceFor(org, first.labels);
  const severity = mostSevere(
    considered.map((a) => severityFor(org, a.labels)),
    org.alertRouting.defaultSeverity,
  );
  const impactStartedAt = considered.map((a) => a.startsAt).sort()[0] ?? first.startsAt;
  const summary =
    considered.length > 1
      ? `${first.summary} (+${considered.length - 1} more alert${considered.length > 2 ? 's' : ''})`
      : first.summary;
  const description = considered.find((a) => a.description)?.description;
  return {
    service,
    serviceMatched: matched,
    severity,
    summary: cap(summary, limits.summary),
    impactStartedAt,
    ...(description ? { description } : {}),
  };
}

/** An http(s) URL as given, or undefined for anything else (javascript:, data:, relative, malformed). */
export function httpLink(value: string | undefined): string | undefined {
  if (!value) return undefined;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Annotations that carry a link a responder wants, and what to call it. */
const LINK_ANNOTATIONS: ReadonlyArray<[annotation: string, label: string]> = [
  ['runbook_url', 'Runbook'],
  ['runbook', 'Runbook'],
  ['playbook_url', 'Runbook'],
  ['dashboard_url', 'Dashboard'],
  ['grafana_dashboard_url', 'Dashboard'],
  ['grafana_panel_url', 'Panel'],
  ['pagerduty_client_url', 'Source'],
];

/** What an alert's own `url` is, by source: the graph or rule behind it. */
const URL_LABELS: Readonly<Record<string, string>> = {
  alertmanager: 'Graph',
  grafana: 'Alert rule',
  datadog: 'Monitor',
  cloudwatch: 'Alarm',
  pagerduty: 'Link',
  generic: 'Link',
};

/**
 * The links an alert carries for whoever is paged: its runbook (Alertmanager's `runbook_url` annotation), the
 * graph or rule behind it (`generatorURL`, Grafana's panel and dashboard, Datadog's monitor, the generic
 * `url`). Only http(s) links, each once.
 */
export function alertLinks(
  alert: Pick<NormalisedAlert, 'source' | 'annotations' | 'url'>,
): { label: string; href: string }[] {
  const links: { label: string; href: string }[] = [];
  const add = (label: string, value: string | undefined) => {
    const href = httpLink(value?.trim());
    if (href && !links.some((l) => l.href === href)) links.push({ label, href });
  };
  for (const [annotation, label] of LINK_ANNOTATIONS) add(label, ownValue(alert.annotations, annotation));
  add(ownValue(URL_LABELS, alert.source) ?? 'Link', alert.url);
  return links;
}
