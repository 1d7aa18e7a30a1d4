import type { StoredAlert } from './alert.ts';
import { durationText } from './comms.ts';
import { currentImpact, durationMs, type Incident, metricsOf } from './incident.ts';
import {
  emptyFields,
  type Postmortem,
  type PostmortemFields,
  type PostmortemMetrics,
  postmortemLimits,
  type TimelineRow,
} from './postmortem.ts';
import { normaliseNewlines, sameValue } from './postmortem-edit.ts';
import { cap } from './text.ts';
import type { TimelineEntry } from './timeline.ts';

/**
 * The template pre-filled from what the system knows, so the owner starts from facts, not a blank page. The
 * pre-fill writes people by role, never by name or address (the handbook's "refer to individuals by role": the
 * blame check would flag its own text otherwise), all times in UTC.
 */

/** An earlier incident of the same service or alert group (the caller picks them: last 90 days). */
export interface RelatedIncident {
  key: string;
  openedAt: string;
  summary: string;
}

export interface PrefillInput {
  incident: Incident;
  /** The incident's timeline, in any order. */
  timeline: readonly TimelineEntry[];
  alerts: readonly StoredAlert[];
  /** The faulty service's name (as customers know it) and its owner team. */
  serviceName: string;
  ownerTeam: string;
  /** Earlier incidents of the same service or alert group; the incident's own `recurrenceOf` first. */
  related: readonly RelatedIncident[];
}

export interface Prefill {
  fields: PostmortemFields;
  metrics: PostmortemMetrics;
  /** Names of the fields the pre-fill wrote (a field it leaves empty is not listed). */
  prefilled: string[];
}

const MONTHS = [
  'January',
  'February',
  'March',
  'April',
  'May',
  'June',
  'July',
  'August',
  'September',
  'October',
  'November',
  'December',
];

const pad = (n: number) => String(n).padStart(2, '0');

/** `14:30` (UTC). */
export function clockUtc(iso: string): string {
  const d = new Date(iso);
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** `30 November 2026` (UTC). */
export function dateUtc(iso: string): string {
  const d = new Date(iso);
  return `${d.getUTCDate()} ${MONTHS[d.getUTCMonth()]} ${d.getUTCFullYear()}`;
}

const sameUtcDay = (a: string, b: string) => a.slice(0, 10) === b.slice(0, 10);

/** "between 14:30 and 15:10 UTC on 30 November 2026", or both dates when the impact spans days. */
export function impactWindow(startIso: string, endIso: string | undefined): string {
  const start = new Date(startIso).toISOString();
  if (!endIso) return `since ${clockUtc(start)} UTC on ${dateUtc(start)}`;
  const end = new Date(endIso).toISOString();
  return sameUtcDay(start, end)
    ? `between ${clockUtc(start)} and ${clockUtc(end)} UTC on ${dateUtc(start)}`
    : `between ${clockUtc(start)} UTC on ${dateUtc(start)} and ${clockUtc(end)} UTC on ${dateUtc(end)}`;
}

const oneLine = (text: string) => text.replace(/\s+/g, ' ').trim();
const upperFirst = (text: string) => text.charAt(0).toUpperCase() + text.slice(1);
const withoutFinalStop = (text: string) => text.replace(/[.\s]+$/, '');
const minutes = (ms: number | undefined) =>
  ms === undefined ? undefined : Math.max(0, Math.round(ms / 60_000));

function list(items: readonly string[]): string {
  if (items.length <= 1) return items[0] ?? '';
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function supportCasesSentence(cases: number | undefined): string {
  if (cases === undefined) return 'The number of support cases raised is not recorded.';
  if (cases === 0) return 'No support cases were raised.';
  return cases === 1 ? '1 support case was raised.' : `${cases} support cases were raised.`;
}

const timeOf = (entry: { at: string }) => Date.parse(entry.at);
const byTime = <T extends { at: string }>(a: T, b: T) => timeOf(a) - timeOf(b);

/** The alert that told us first: the earliest delivered (ties: the earliest started). */
function firstAlert(alerts: readonly StoredAlert[]): StoredAlert | undefined {
  return [...alerts].sort(
    (a, b) =>
      Date.parse(a.firstSeenAt) - Date.parse(b.firstSeenAt) ||
      Date.parse(a.startsAt) - Date.parse(b.startsAt),
  )[0];
}

const alertName = (alert: StoredAlert) => oneLine(alert.summary) || alert.fingerprint;

/** What an escalation's entry says the tier was ("backup incident manager"), without the address. */
function escalationLabel(entry: TimelineEntry): string {
  const match = /escalated to (.*?)\s*\(tier (\d+)\)/.exec(entry.text);
  const label = match?.[1]
    ?.split(/\s+/)
    .filter((word) => !word.includes('@'))
    .join(' ');
  return label || 'the next tier';
}

/** What a page's entry says the tier was ("incident manager"), without the address. */
function pageLabel(entry: TimelineEntry): string {
  if (entry.kind === 'incident.escalated') return escalationLabel(entry);
  const match = /^Paged (.*?)\.?$/.exec(entry.text);
  const label = match?.[1]
    ?.split(/\s+/)
    .filter((word) => !word.includes('@'))
    .join(' ');
  return label || 'incident manager';
}

function recipientsOf(entry: TimelineEntry): string[] {
  const recipients = entry.data?.recipients;
  return Array.isArray(recipients) ? recipients.filter((r): r is string => typeof r === 'string') : [];
}

const pageKinds = new Set(['page.sent', 'incident.escalated']);

/** The role of whoever acknowledged: the tier whose page reached them, else "an operator". */
function acknowledgerRole(incident: Incident, pages: readonly TimelineEntry[]): string {
  const by = incident.acknowledgedBy?.toLowerCase();
  if (by) {
    const page = [...pages].reverse().find((p) => recipientsOf(p).some((r) => r.toLowerCase() === by));
    if (page) return `the ${pageLabel(page)}`;
  }
  return 'an operator';
}

function acknowledgedText(role: string): string {
  return role === 'the incident manager'
    ? 'Acknowledged by the incident manager, who took charge.'
    : `Acknowledged by ${role}, who took charge as incident manager.`;
}

/** "Update 2 by x@example.com: summary Next update by ..." -> "Update 2 posted: summary". */
function updateText(entry: TimelineEntry): string {
  const match = /^Update (\d+) by .*?: (.*?)\s*Next update by .*$/s.exec(entry.text);
  return match ? `Update ${match[1]} posted: ${oneLine(match[2] ?? '')}` : 'Update posted.';
}

/** The severity an opening entry recorded (it may have changed since). */
function severityAt(entry: TimelineEntry, incident: Incident): number {
  const severity = entry.data?.severity;
  return typeof severity === 'number' ? severity : incident.severity;
}

function severityText(entry: TimelineEntry): string {
  const { from, to, reason } = (entry.data ?? {}) as { from?: unknown; to?: unknown; reason?: unknown };
  if (typeof from !== 'number' || typeof to !== 'number') return 'Severity changed.';
  const why = typeof reason === 'string' ? oneLine(reason) : '';
  return `Severity changed from Sev ${from} to Sev ${to}${why ? `: ${why}${/[.!?]$/.test(why) ? '' : '.'}` : '.'}`;
}

/**
 * The timeline rows: start of impact, the first alert, the opening (or declaration), pages and escalations,
 * the acknowledgement, the first comms, updates, severity changes, end of impact and the resolution. Not every
 * alert state or mail: the owner adds the leadup, decisions and changes.
 */
function timelineRows(input: PrefillInput, first: StoredAlert | undefined): TimelineRow[] {
  const { incident } = input;
  const rows: TimelineRow[] = [];
  const add = (at: string | undefined, text: string) => {
    if (at && !Number.isNaN(Date.parse(at))) {
      // Seconds are enough for a postmortem's timeline (and read better than milliseconds).
      const time = Math.floor(Date.parse(at) / 1000) * 1000;
      rows.push({
        at: new Date(time).toISOString(),
        text: cap(oneLine(text), postmortemLimits.timelineText),
      });
    }
  };
  add(incident.impactStartedAt, 'Impact started.');
  if (first) add(first.firstSeenAt, `First alert received: "${alertName(first)}" from ${first.source}.`);
  let firstComms = true;
  for (const entry of [...input.timeline].sort(byTime)) {
    switch (entry.kind) {
      case 'incident.opened':
        add(entry.at, `${incident.key} opened from ${entry.actor} as Sev ${severityAt(entry, incident)}.`);
        break;
      case 'incident.declared':
        add(entry.at, `${incident.key} declared by hand as Sev ${severityAt(entry, incident)}.`);
        break;
      case 'page.sent':
        add(entry.at, `Paged the ${pageLabel(entry)}.`);
        break;
      case 'incident.escalated':
        add(entry.at, `Not acknowledged in time: escalated to the ${escalationLabel(entry)}.`);
        break;
      case 'incident.acknowledged':
        add(
          entry.at,
          acknowledgedText(
            acknowledgerRole(
              incident,
              input.timeline.filter((e) => pageKinds.has(e.kind)),
            ),
          ),
        );
        break;
      case 'comms.sent':
        if (firstComms) add(entry.at, 'First internal and external comms sent.');
        firstComms = false;
        break;
      case 'update.posted':
        add(entry.at, updateText(entry));
        break;
      case 'severity.changed':
        add(entry.at, severityText(entry));
        break;
      case 'incident.resolved':
        add(entry.at, 'Incident resolved.');
        break;
      default:
        break;
    }
  }
  const impactEnd = incident.impactEndedAt;
  if (impactEnd) add(impactEnd, 'Impact ended.');
  // Stable by time: rows at the same second keep the order above (impact start first).
  return rows
    .map((row, index) => ({ row, index }))
    .sort((a, b) => Date.parse(a.row.at) - Date.parse(b.row.at) || a.index - b.index)
    .map(({ row }) => row)
    .slice(0, postmortemLimits.timelineRows);
}

function products(input: PrefillInput): string {
  const named = input.incident.products.filter((p) => p.trim());
  return list(named.length > 0 ? named : [input.serviceName]);
}

function detectedBy(incident: Incident, first: StoredAlert | undefined): string {
  if (first && !incident.declaredBy) return `the alert "${alertName(first)}" from ${first.source}`;
  if (first && Date.parse(first.firstSeenAt) <= Date.parse(incident.detectedAt))
    return `the alert "${alertName(first)}" from ${first.source}`;
  // Opened from alerts whose states were not kept (a test, an old record): the source is what we know.
  if (!incident.declaredBy) return `an alert from ${incident.source}`;
  return 'a manual declaration';
}

function summaryText(input: PrefillInput, first: StoredAlert | undefined, impactEnd?: string): string {
  const { incident } = input;
  // The latest stated impact (an update's) wins over the declaration's or the alerts' words.
  const what = withoutFinalStop(oneLine(currentImpact(incident) ?? '') || oneLine(incident.summary));
  return cap(
    [
      `${upperFirst(impactWindow(incident.impactStartedAt, impactEnd))}, customers of ${input.serviceName} experienced "${cap(what, 300)}".`,
      `The event was detected by ${detectedBy(incident, first)} at ${clockUtc(incident.detectedAt)} UTC.`,
      `This Sev ${incident.severity} incident affected ${products(input)}.`,
      supportCasesSentence(incident.supportCases),
    ].join(' '),
    postmortemLimits.summary,
  );
}

function impactText(input: PrefillInput, impactEnd: string | undefined): string {
  const { incident } = input;
  const ms = durationMs(incident.impactStartedAt, impactEnd);
  const lasted =
    ms === undefined
      ? `Impact started at ${clockUtc(incident.impactStartedAt)} UTC on ${dateUtc(incident.impactStartedAt)}; its end is not recorded.`
      : `For ${durationText(ms)}, ${impactWindow(incident.impactStartedAt, impactEnd)}, customers of ${input.serviceName} were affected.`;
  const stated = currentImpact(incident)?.trim();
  const said = stated ? normaliseNewlines(stated) : oneLine(incident.summary);
  return cap(
    [
      lasted,
      `What they saw: ${said}`,
      `Products affected: ${products(input)}.`,
      supportCasesSentence(incident.supportCases),
    ].join('\n\n'),
    postmortemLimits.text,
  );
}

function detectionText(input: PrefillInput, first: StoredAlert | undefined): string {
  const { incident } = input;
  const ttd = metricsOf(incident).timeToDetectMs;
  const afterStart =
    ttd === undefined ? '' : `, ${durationText(ttd)} after the impact started (time to detect)`;
  const lines: string[] = [];
  if (first && detectedBy(incident, first).startsWith('the alert')) {
    lines.push(
      `The incident was detected when the alert "${alertName(first)}" from ${first.source} fired at ${clockUtc(first.startsAt)} UTC; it reached the incident system at ${clockUtc(first.firstSeenAt)} UTC${afterStart}.`,
    );
  } else if (!incident.declaredBy) {
    lines.push(
      `The incident was detected by an alert from ${incident.source} at ${clockUtc(incident.detectedAt)} UTC${afterStart}.`,
    );
  } else {
    lines.push(
      `The incident was declared by hand at ${clockUtc(incident.detectedAt)} UTC${afterStart}.${first ? ` The first alert, "${alertName(first)}" from ${first.source}, arrived at ${clockUtc(first.firstSeenAt)} UTC.` : ' No alert fired for it.'}`,
    );
  }
  if (input.alerts.length > 1) lines.push(`${input.alerts.length} alerts fired in all.`);
  return lines.join(' ');
}

function responseText(input: PrefillInput): string {
  const { incident } = input;
  const entries = [...input.timeline].sort(byTime);
  const pages = entries.filter((e) => pageKinds.has(e.kind));
  const sentences: string[] = [];
  const firstPage = pages.find((e) => e.kind === 'page.sent');
  const pagedAt = incident.pagedAt ?? firstPage?.at;
  if (firstPage || pagedAt) {
    const label = firstPage ? pageLabel(firstPage) : 'incident manager';
    sentences.push(`The ${label} was paged at ${clockUtc(pagedAt ?? firstPage?.at ?? '')} UTC.`);
  } else if (incident.severity <= 2) {
    sentences.push('No page was recorded.');
  } else {
    sentences.push('As a Sev 3 incident, the owner team was notified rather than paged.');
  }
  for (const escalation of pages.filter((e) => e.kind === 'incident.escalated')) {
    const tier = /\(tier (\d+)\)/.exec(escalation.text)?.[1];
    sentences.push(
      `Not acknowledged in time: escalated to the ${escalationLabel(escalation)}${tier ? ` (tier ${tier})` : ''} at ${clockUtc(escalation.at)} UTC.`,
    );
  }
  if (incident.acknowledgedAt) {
    const tta = metricsOf(incident).timeToAcknowledgeMs;
    sentences.push(
      `The incident was acknowledged by ${acknowledgerRole(incident, pages)} at ${clockUtc(incident.acknowledgedAt)} UTC${tta === undefined ? '' : `, ${durationText(tta)} after detection (time to acknowledge)`}.`,
    );
  } else {
    sentences.push('Nobody acknowledged the page before the incident was resolved.');
  }
  const roles = incident.roles ?? {};
  const filled = [
    roles.incidentManager ? 'an incident manager' : '',
    roles.techLeads?.length
      ? roles.techLeads.length === 1
        ? 'a tech lead'
        : `${roles.techLeads.length} tech leads`
      : '',
    roles.commsManager ? 'a comms manager' : '',
  ].filter(Boolean);
  const missing = [
    roles.incidentManager ? '' : 'incident manager',
    roles.techLeads?.length ? '' : 'tech lead',
    roles.commsManager ? '' : 'comms manager',
  ].filter(Boolean);
  if (filled.length > 0)
    sentences.push(
      `Roles: ${list(filled)} took part${missing.length ? `; no ${list(missing)} was assigned` : ''}.`,
    );
  else sentences.push('No roles were assigned.');
  if (incident.chatChannel) sentences.push(`Responders met in the chat room #${incident.chatChannel}.`);
  if (incident.firstCommsAt) {
    const ms = durationMs(incident.detectedAt, incident.firstCommsAt);
    sentences.push(
      `The first comms went out at ${clockUtc(incident.firstCommsAt)} UTC${ms === undefined ? '' : `, ${durationText(Math.max(0, ms))} after detection`}.`,
    );
  }
  const updates = incident.updateCount ?? entries.filter((e) => e.kind === 'update.posted').length;
  const overdue = entries.filter((e) => e.kind === 'update.overdue').length;
  if (updates > 0 || overdue > 0) {
    sentences.push(
      `${updates === 1 ? '1 update was' : `${updates} updates were`} posted${overdue > 0 ? `; ${overdue === 1 ? 'an update was' : `updates were ${overdue} times`} overdue` : ''}.`,
    );
  }
  return cap(sentences.join(' '), postmortemLimits.text);
}

function recurrence(input: PrefillInput): { text: string; relatedIncidents: string[] } {
  const { incident } = input;
  const seen = new Set<string>([incident.key]);
  const ordered: RelatedIncident[] = [];
  const own = incident.recurrenceOf;
  const byKey = new Map(input.related.map((r) => [r.key, r]));
  if (own && !seen.has(own)) {
    seen.add(own);
    ordered.push(byKey.get(own) ?? { key: own, openedAt: '', summary: '' });
  }
  for (const related of input.related) {
    if (seen.has(related.key)) continue;
    seen.add(related.key);
    ordered.push(related);
  }
  const chosen = ordered.slice(0, postmortemLimits.relatedIncidents);
  if (chosen.length === 0) {
    return {
      text: `No earlier incident of ${input.serviceName} or of this alert group in the 90 days before this one.`,
      relatedIncidents: [],
    };
  }
  const described = chosen.map((r) => {
    const when = r.openedAt && !Number.isNaN(Date.parse(r.openedAt)) ? ` on ${dateUtc(r.openedAt)}` : '';
    const what = r.summary.trim() ? `: "${cap(oneLine(r.summary), 200)}"` : '';
    return `- ${r.key}${when}${what}`;
  });
  const lines = [
    `Earlier incidents of ${input.serviceName} or of this alert group in the 90 days before this one:`,
    ...described,
  ];
  if (own)
    lines.push(
      '',
      `${incident.key} is a recurrence of ${own}: the same alerts fired again after it was resolved.`,
    );
  return { text: cap(lines.join('\n'), postmortemLimits.text), relatedIncidents: chosen.map((r) => r.key) };
}

/** The handbook's measures, in whole minutes. */
function metrics(incident: Incident, impactEnd: string | undefined): PostmortemMetrics {
  const m = metricsOf(incident);
  const result: PostmortemMetrics = {};
  const set = (name: keyof PostmortemMetrics, value: number | undefined) => {
    if (value !== undefined && Number.isFinite(value)) result[name] = value;
  };
  const impact = durationMs(incident.impactStartedAt, impactEnd);
  set('minutesOfImpact', minutes(impact === undefined ? undefined : Math.max(0, impact)));
  set('timeToDetectMinutes', minutes(m.timeToDetectMs));
  set('timeToAcknowledgeMinutes', minutes(m.timeToAcknowledgeMs));
  set('timeToRecoverMinutes', minutes(m.timeToRecoverMs));
  return result;
}

/**
 * The handbook's measures of the incident as it is now (its corrected times included): what a postmortem still
 * being written shows; the record keeps those of when it opened, and the published document those it was
 * approved with.
 */
export function postmortemMetrics(incident: Incident): PostmortemMetrics {
  return metrics(incident, incident.impactEndedAt ?? incident.resolvedAt);
}

/**
 * The template as far as the system knows it: summary (the handbook's sentence), impact, detection, response,
 * timeline, recurrence and the metrics. Recovery, leadup, fault, the whys, the root cause and the lessons are
 * the owner's.
 */
export function prefillPostmortem(input: PrefillInput): Prefill {
  const { incident } = input;
  const first = firstAlert(input.alerts);
  const impactEnd = incident.impactEndedAt ?? incident.resolvedAt;
  const fields: PostmortemFields = {
    ...emptyFields(),
    summary: summaryText(input, first, impactEnd),
    impact: impactText(input, impactEnd),
    detection: detectionText(input, first),
    response: responseText(input),
    timeline: timelineRows(input, first),
    recurrence: recurrence(input),
  };
  const prefilled = (
    ['summary', 'impact', 'detection', 'response', 'timeline', 'recurrence'] as const
  ).filter((name) => {
    const value = fields[name];
    return Array.isArray(value) ? value.length > 0 : typeof value === 'string' ? value !== '' : true;
  });
  return { fields, metrics: metrics(incident, impactEnd), prefilled: [...prefilled] };
}

/**
 * Pre-fills again (the incident changed: a late correction of the impact window, support cases): writes only
 * the fields still listed in `existing.prefilled` (an edit takes what it changes off that list, so these are
 * the fields nobody has written since), never what a person wrote. The metrics are the system's and follow the
 * incident. Saving it (as a new version when `changed` is not empty) is the caller's.
 */
export function refreshPrefill(
  existing: Postmortem,
  fresh: Prefill,
): { postmortem: Postmortem; changed: string[] } {
  const fields: PostmortemFields = structuredClone(existing.fields);
  const changed: string[] = [];
  const target = fields as unknown as Record<string, unknown>;
  const source = fresh.fields as unknown as Record<string, unknown>;
  for (const name of existing.prefilled) {
    if (!fresh.prefilled.includes(name) || !(name in source)) continue;
    if (sameValue(target[name], source[name])) continue;
    target[name] = structuredClone(source[name]);
    changed.push(name);
  }
  return { postmortem: { ...existing, fields, metrics: { ...fresh.metrics } }, changed };
}
