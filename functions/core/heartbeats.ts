import type { NormalisedAlert } from './alert.ts';
import { ownValue } from './records.ts';

/**
 * Heartbeats (a dead man's switch per alert source): an alert a source sends while it is alive (Alertmanager's
 * always-firing Watchdog, a scheduled generic webhook) is recorded as "last seen" and is never an alert. When
 * one stays silent longer than its window, the operators are paged through a sev 2 incident on the
 * `monitoring` service, once per silence; when it is seen again they are told, and the incident stays open for
 * a person to resolve (alerts never resolve incidents, and neither does a heartbeat).
 */

/** The service a silent heartbeat's incident is on: the organisation's own, or built in from its operators. */
export const MONITORING_SERVICE = 'monitoring';
/** The alert sources a heartbeat may name (functions/sources/index.ts serves the same names). */
export const HEARTBEAT_SOURCES = [
  'alertmanager',
  'cloudwatch',
  'datadog',
  'generic',
  'grafana',
  'pagerduty',
] as const;
/**
 * A heartbeat seen again within this long of its recorded last seen writes nothing (a failed condition): the
 * sweep that looks for silence runs every minute, so a finer last seen would change no decision.
 */
export const HEARTBEAT_PRECISION_MS = 30_000;

export interface HeartbeatConfig {
  /** The source that sends it (`POST /alerts/{source}`). */
  source: string;
  /** Labels an alert of that source must all carry, with these values, to be this heartbeat. */
  labels: Record<string, string>;
  /** Silent for longer than this many minutes after it was last seen: the operators are paged. */
  windowMinutes: number;
}

/** The heartbeat's item (`keys.heartbeat`): written by ingest (last seen) and by the sweep (silence, return). */
export interface HeartbeatRecord {
  id: string;
  source: string;
  /** When it was last seen (the time the delivery was received, to HEARTBEAT_PRECISION_MS). */
  lastSeenAt: string;
  state: 'alive' | 'silent';
  /** While silent: the last seen time the silence was found on, which names the silence. */
  silentSince?: string;
  /** While silent: when the sweep found it silent. */
  silentAt?: string;
  /** Once opened or found: the incident the operators were paged through (kept after the return). */
  incidentId?: string;
  incidentKey?: string;
  /** The last return (state back to alive). */
  backAt?: string;
}

/** A heartbeat alert of a delivery: which heartbeat it is. */
export interface HeartbeatBeat {
  id: string;
  source: string;
}

/**
 * Splits a delivery of `source` into its heartbeats and its alerts. A firing alert that matches a heartbeat's
 * labels is that heartbeat, seen; a resolved one is neither (the Watchdog resolves when its pipeline stops
 * evaluating it: no sign of life, and no alert either). Anything else is an alert, as before.
 */
export function splitHeartbeats(
  heartbeats: Readonly<Record<string, HeartbeatConfig>> | undefined,
  source: string,
  alerts: readonly NormalisedAlert[],
): { beats: HeartbeatBeat[]; alerts: NormalisedAlert[] } {
  const mine = Object.entries(heartbeats ?? {}).filter(([, h]) => h.source === source);
  if (mine.length === 0) return { beats: [], alerts: [...alerts] };
  const seen = new Set<string>();
  const rest: NormalisedAlert[] = [];
  for (const alert of alerts) {
    const match = mine.find(([, h]) => matches(h, alert));
    if (!match) rest.push(alert);
    else if (alert.status === 'firing') seen.add(match[0]);
  }
  return { beats: [...seen].sort().map((id) => ({ id, source })), alerts: rest };
}

function matches(heartbeat: HeartbeatConfig, alert: NormalisedAlert): boolean {
  const wanted = Object.entries(heartbeat.labels);
  return wanted.length > 0 && wanted.every(([name, value]) => ownValue(alert.labels, name) === value);
}

/** What the sweep does about one heartbeat now. */
export type HeartbeatDecision =
  /** Never seen (not armed yet), or seen within its window, or silent and already told: nothing. */
  | { kind: 'none' }
  /** Alive, and silent longer than its window: mark it silent (once) and page. */
  | { kind: 'silent'; silentSince: string }
  /** Marked silent (at `silentAt`) but its incident is not recorded yet (an interrupted run): open or find it. */
  | { kind: 'page'; silentSince: string; silentAt: string }
  /** Silent, and seen again since: tell the operators on its incident, and mark it alive. */
  | { kind: 'back'; silentSince: string; seenAt: string };

/**
 * The rule. `timeScale` (0-1] shortens the window as the local target's scaled time shortens workflow waits.
 * A heartbeat never seen is not judged: the clock starts at its first beat, so a new deployment whose sources
 * are not wired yet pages nobody (the README says so).
 */
export function decideHeartbeat(
  config: Pick<HeartbeatConfig, 'windowMinutes'>,
  record: HeartbeatRecord | undefined,
  now: Date,
  timeScale = 1,
): HeartbeatDecision {
  if (!record) return { kind: 'none' };
  if (record.state === 'alive') {
    const silentFor = now.getTime() - Date.parse(record.lastSeenAt);
    return silentFor > windowMs(config, timeScale)
      ? { kind: 'silent', silentSince: record.lastSeenAt }
      : { kind: 'none' };
  }
  const silentSince = record.silentSince ?? record.lastSeenAt;
  if (!record.incidentKey)
    return { kind: 'page', silentSince, silentAt: record.silentAt ?? now.toISOString() };
  if (record.lastSeenAt > silentSince) return { kind: 'back', silentSince, seenAt: record.lastSeenAt };
  return { kind: 'none' };
}

export function windowMs(config: Pick<HeartbeatConfig, 'windowMinutes'>, timeScale = 1): number {
  return config.windowMinutes * 60_000 * timeScale;
}

/** The group a heartbeat's incidents open on: one open incident per heartbeat, a recurrence after it resolved. */
export function heartbeatGroupKey(id: string): string {
  return `heartbeat:${id}`;
}

/** The incident a silence opens: sev 2 on the monitoring service, impact from the heartbeat's last beat. */
export function silenceDeclaration(id: string, config: HeartbeatConfig, silentSince: string) {
  return {
    summary: `Heartbeat "${id}" from ${config.source} is silent`,
    description:
      `The ${config.source} heartbeat "${id}" was last seen ${silentSince} and has been silent for longer ` +
      `than its ${config.windowMinutes}-minute window: alerts from ${config.source} may not be reaching Hotline ` +
      '(the source, its alerting pipeline or its route to Hotline is down). Until it is back, nothing it ' +
      'watches pages anyone.',
    severity: 2 as const,
    service: MONITORING_SERVICE,
    impactStartedAt: silentSince,
  };
}

/**
 * The comms sequence of a silence's "back" mail: the silence's start in seconds, so each silence recorded on the
 * same incident (a heartbeat that flaps while it is open) is told once, and a retried sweep not twice.
 */
export function backSequence(silentSince: string): number {
  return Math.floor(Date.parse(silentSince) / 1000);
}
