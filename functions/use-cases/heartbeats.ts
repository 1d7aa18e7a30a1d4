import type { HeartbeatConfig, HeartbeatRecord } from '../core/heartbeats.ts';
import { backSequence, decideHeartbeat, heartbeatGroupKey, silenceDeclaration } from '../core/heartbeats.ts';
import { digest } from '../core/keys.ts';
import { backText, heartbeatBackEmail, silenceText } from '../core/mails/heartbeats.ts';
import { type SweepItemFailure, sweepItemFailure } from '../core/sweeps.ts';
import { declareIncident } from './declare-incident.ts';
import type { IngestDependencies } from './ingest-alerts.ts';
import type { HeartbeatStore } from './ports.ts';
import { type Outbox, sendOnce } from './send-once.ts';

/** The source an incident of a silent heartbeat opens under (its group is the heartbeat's). */
export const HEARTBEAT_INCIDENT_SOURCE = 'heartbeat';

export type HeartbeatCheckDeps = IngestDependencies & Outbox & { heartbeats: HeartbeatStore };

export interface HeartbeatCheckResult {
  /** Heartbeats found silent whose operators were paged (or whose interrupted page was finished), with the key. */
  silent: { heartbeat: string; key: string }[];
  /** Heartbeats seen again whose operators were told. */
  back: { heartbeat: string; key: string }[];
  /** Heartbeats this run could not handle (the next run tries again). */
  failed: SweepItemFailure[];
}

/**
 * Looks at every configured heartbeat (one read each): a silent one pages the operators through a sev 2 on the
 * monitoring service, once per silence; one seen again after its silence is told to them and recorded on the
 * incident. Every step is conditional or idempotent, so an interrupted or overlapping run finishes the work of
 * the other and does nothing twice. Runs with the unstarted-workflow sweep (every minute): no schedule of its own.
 */
export async function checkHeartbeats(
  deps: HeartbeatCheckDeps,
  timeScale = 1,
): Promise<HeartbeatCheckResult> {
  const result: HeartbeatCheckResult = { silent: [], back: [], failed: [] };
  for (const [id, config] of Object.entries(deps.organisation.heartbeats ?? {})) {
    try {
      const record = await deps.heartbeats.get(id);
      let decision = decideHeartbeat(config, record, deps.now(), timeScale);
      if (decision.kind === 'silent') {
        const silentAt = deps.now().toISOString();
        // Another run, or a beat just in, came first: that run pages, or the heartbeat is alive.
        if (!(await deps.heartbeats.markSilent(id, decision.silentSince, silentAt))) continue;
        decision = { kind: 'page', silentSince: decision.silentSince, silentAt };
      }
      if (decision.kind === 'page') {
        const key = await pageSilence(deps, id, config, decision.silentSince, decision.silentAt);
        result.silent.push({ heartbeat: id, key });
      } else if (decision.kind === 'back' && record) {
        const key = await tellBack(deps, id, config, record, decision.silentSince, decision.seenAt);
        result.back.push({ heartbeat: id, key });
      }
    } catch (error) {
      result.failed.push(sweepItemFailure(`heartbeat:${id}`, error));
    }
  }
  return result;
}

/**
 * Opens the silence's incident as a declaration (so its workflow starts and pages the monitoring service's
 * incident managers), or finds the heartbeat's open one: one open incident per heartbeat, whatever the retries.
 */
async function pageSilence(
  deps: HeartbeatCheckDeps,
  id: string,
  config: HeartbeatConfig,
  silentSince: string,
  silentAt: string,
): Promise<string> {
  const touched = await declareIncident(
    deps,
    silenceDeclaration(id, config, silentSince),
    `heartbeat ${id}`,
    heartbeatGroupKey(id),
    HEARTBEAT_INCIDENT_SOURCE,
  );
  await deps.incidents.appendTimeline({
    incidentId: touched.incidentId,
    eventId: `heartbeat-silent-${digest(`${id}|${silentSince}`)}`,
    at: silentAt,
    kind: 'heartbeat.silent',
    actor: 'hotline',
    text: silenceText(id, config, silentSince, silentAt),
    data: { heartbeat: id, source: config.source, silentSince, windowMinutes: config.windowMinutes },
  });
  await deps.heartbeats.recordIncident(id, silentSince, { id: touched.incidentId, key: touched.key });
  return touched.key;
}

/** The heartbeat is back: on the incident's timeline, to the operators by mail (once), then alive again. */
async function tellBack(
  deps: HeartbeatCheckDeps,
  id: string,
  config: HeartbeatConfig,
  record: HeartbeatRecord,
  silentSince: string,
  seenAt: string,
): Promise<string> {
  const incidentId = record.incidentId ?? '';
  const key = record.incidentKey ?? '';
  const incident = await deps.incidents.get(incidentId);
  if (!incident) throw new Error(`the incident ${key} of heartbeat ${id} was not found`);
  await deps.incidents.appendTimeline({
    incidentId,
    eventId: `heartbeat-back-${digest(`${id}|${silentSince}`)}`,
    at: seenAt,
    kind: 'heartbeat.back',
    actor: 'hotline',
    text: backText(id, config, silentSince, seenAt),
    data: { heartbeat: id, source: config.source, silentSince, seenAt },
  });
  const operators = deps.organisation.operators;
  await sendOnce(deps, {
    incidentId,
    incidentKey: key,
    kind: 'heartbeat-back',
    sequence: backSequence(silentSince),
    recipients: operators,
    message: (viewUrl) => heartbeatBackEmail({ incident, id, config, silentSince, seenAt, viewUrl }),
    timelineKind: 'heartbeat.back',
    timelineText: `Told operators ${operators.join(', ')} that heartbeat "${id}" is back.`,
    now: deps.now,
  });
  await deps.heartbeats.markBack(id, silentSince, deps.now().toISOString());
  return key;
}
