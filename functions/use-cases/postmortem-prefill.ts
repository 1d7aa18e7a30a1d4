import { NotFoundError } from '../core/errors.ts';
import type { Incident } from '../core/incident.ts';
import { serviceOf } from '../core/organisation.ts';
import type { Postmortem } from '../core/postmortem.ts';
import { sameValue } from '../core/postmortem-edit.ts';
import { type Prefill, prefillPostmortem, refreshPrefill } from '../core/postmortem-prefill.ts';
import type { PostmortemStore, PostmortemWrite } from './ports.ts';
import type { ResponseDeps } from './respond.ts';

/** Earlier incidents suggested as related: of the same service or alert group, in this many days before. */
const RELATED_DAYS = 90;

type PrefillDeps = Pick<ResponseDeps, 'incidents' | 'organisation'>;

/** Earlier incidents of the same service (or the one this recurs after) in the last 90 days, newest first. */
async function relatedIncidents(deps: PrefillDeps, incident: Incident) {
  const from = new Date(Date.parse(incident.openedAt) - RELATED_DAYS * 86_400_000).toISOString();
  const { incidents } = await deps.incidents.list({
    service: incident.service,
    from,
    to: incident.openedAt,
    limit: 50,
  });
  const earlier = incidents.filter((i) => i.id !== incident.id && i.openedAt < incident.openedAt);
  const related = earlier.map((i) => ({ key: i.key, openedAt: i.openedAt, summary: i.summary }));
  if (incident.recurrenceOf && !related.some((r) => r.key === incident.recurrenceOf)) {
    const previous = await deps.incidents.byKey(incident.recurrenceOf);
    if (previous)
      related.unshift({ key: previous.key, openedAt: previous.openedAt, summary: previous.summary });
  }
  return related;
}

/** The postmortem's pre-fill from the incident as it is now: its timeline, alerts, service and related ones. */
export async function prefillFor(deps: PrefillDeps, incident: Incident): Promise<Prefill> {
  const view = await deps.incidents.view(incident.id);
  if (!view) throw new NotFoundError(`incident ${incident.key} does not exist`);
  const service = serviceOf(deps.organisation, incident.service);
  return prefillPostmortem({
    incident,
    timeline: view.timeline,
    alerts: view.alerts,
    serviceName: service.name,
    ownerTeam: service.ownerTeam,
    related: await relatedIncidents(deps, incident),
  });
}

/**
 * After a correction of the measures: a draft postmortem's pre-filled text (the fields nobody has written since)
 * and its metrics follow the incident, saved as a new version by whoever corrected. A postmortem in review or
 * later keeps the text its approvers see (the editor and the published document show the correction beside it).
 * Answers the fields it rewrote (none when there is no draft, or nothing changed).
 */
export async function refreshDraftPrefill(
  deps: PrefillDeps & Pick<ResponseDeps, 'now'> & { postmortems: PostmortemStore },
  input: { incident: Incident; by: string },
): Promise<string[]> {
  const { incident } = input;
  const postmortem = await deps.postmortems.get(incident.id);
  if (postmortem?.status !== 'draft') return [];
  const fresh = await prefillFor(deps, incident);
  let changed: string[] = [];
  const written = await deps.postmortems.update(incident.id, (current): PostmortemWrite | undefined => {
    if (current.status !== 'draft') return undefined;
    const refreshed = refreshPrefill(current, fresh);
    changed = refreshed.changed;
    // Compared by value: a record read back from DynamoDB does not keep its keys' order.
    const metricsMoved = !sameValue(current.metrics, refreshed.postmortem.metrics);
    if (changed.length === 0 && !metricsMoved) return undefined;
    if (changed.length === 0) return { postmortem: refreshed.postmortem };
    const at = deps.now().toISOString();
    const postmortem: Postmortem = {
      ...refreshed.postmortem,
      version: current.version + 1,
      updatedAt: at,
      updatedBy: input.by,
    };
    return {
      postmortem,
      version: {
        key: postmortem.key,
        version: postmortem.version,
        at,
        by: input.by,
        changed,
        fields: postmortem.fields,
        actions: postmortem.actions,
        owner: postmortem.owner,
      },
    };
  });
  if (!written || changed.length === 0) return [];
  const { version, updatedAt } = written.after;
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `postmortem-v${version}`,
    at: updatedAt,
    kind: 'postmortem.edited',
    actor: input.by,
    text: `Postmortem version ${version}: the pre-filled ${changed.join(', ')} follow the corrected measures.`,
    data: { version, changed },
  });
  return changed;
}
