import { countsFromMarkers, stateMarker } from '../core/alert.ts';
import { NotFoundError, ValidationError } from '../core/errors.ts';
import { isIncidentKey, metricsOf, publicIncident } from '../core/incident.ts';
import type { AlertGroupStore, IncidentStore, ListQuery } from './ports.ts';

export interface ReadDeps {
  incidents: IncidentStore;
  groups: Pick<AlertGroupStore, 'get'>;
}

/** The incident with its timeline (oldest first), alerts, comms and metrics. */
export async function incidentDetail(deps: ReadDeps, key: string) {
  if (!isIncidentKey(key)) throw new ValidationError(`"${key}" is not an incident key (like HOT-42)`);
  const id = await deps.incidents.idForKey(key);
  const view = id ? await deps.incidents.view(id) : undefined;
  if (!view) throw new NotFoundError(`incident ${key} does not exist`);
  // Repeated deliveries only touch the group (one write each): its last-seen times are the fresher ones.
  const group = view.incident.groupKey
    ? await deps.groups.get(view.incident.source, view.incident.groupKey)
    : undefined;
  const seen = group?.incidentId === view.incident.id ? (group.seen ?? {}) : {};
  const alerts = view.alerts.map((a) => {
    const last = seen[a.fingerprint];
    return last && last > a.lastSeenAt ? { ...a, lastSeenAt: last } : a;
  });
  const timeline = [...view.timeline].sort((a, b) => (a.at === b.at ? 0 : a.at < b.at ? -1 : 1));
  return {
    incident: { ...publicIncident(view.incident), ...countsFromMarkers(alerts.map(stateMarker)) },
    metrics: metricsOf(view.incident),
    timeline,
    alerts,
    comms: view.comms,
  };
}

export async function incidentList(deps: Pick<ReadDeps, 'incidents'>, query: ListQuery) {
  const { incidents, cursor } = await deps.incidents.list(query);
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
