import type { IncidentRepository, ListQuery } from '../adapters/repository.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { durationMs, type Incident, isIncidentKey, timeToDetectMs } from '../core/incident.ts';

export interface IncidentMetrics {
  timeToDetectMs?: number;
  timeToPageMs?: number;
}

function metricsOf(incident: Incident, pagedAt?: string): IncidentMetrics {
  const metrics: IncidentMetrics = {};
  const ttd = timeToDetectMs(incident);
  if (ttd !== undefined) metrics.timeToDetectMs = ttd;
  const ttp = durationMs(incident.detectedAt, pagedAt);
  if (ttp !== undefined) metrics.timeToPageMs = ttp;
  return metrics;
}

/** The incident with its timeline (oldest first), alerts, comms and metrics. */
export async function incidentDetail(repo: IncidentRepository, key: string) {
  if (!isIncidentKey(key)) throw new ValidationError(`"${key}" is not an incident key (like HOT-42)`);
  const id = await repo.incidentIdForKey(key);
  const view = id ? await repo.incidentView(id) : undefined;
  if (!view) throw new NotFoundError(`incident ${key} does not exist`);
  const timeline = [...view.timeline].sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1));
  const pagedAt = view.comms.find((c) => c.kind === 'page' && c.status === 'sent')?.sentAt;
  return {
    incident: view.incident,
    metrics: metricsOf(view.incident, pagedAt),
    timeline,
    alerts: view.alerts,
    comms: view.comms,
  };
}

export async function incidentList(repo: IncidentRepository, query: ListQuery) {
  const { incidents, cursor } = await repo.listIncidents(query);
  return {
    incidents: incidents.map((i) => ({
      key: i.key,
      status: i.status,
      severity: i.severity,
      service: i.service,
      summary: i.summary,
      openedAt: i.openedAt,
      impactStartedAt: i.impactStartedAt,
    })),
    ...(cursor ? { nextCursor: Buffer.from(JSON.stringify(cursor)).toString('base64url') } : {}),
  };
}
