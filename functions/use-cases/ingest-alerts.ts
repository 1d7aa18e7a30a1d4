import type { AlertGroupRecord, IncidentRepository } from '../adapters/repository.ts';
import type { WorkflowStarter } from '../adapters/workflow.ts';
import { type AlertGroup, describeGroup, groupAlerts, type NormalisedAlert } from '../core/alert.ts';
import type { Organisation } from '../core/config.ts';
import { RetryableError } from '../core/errors.ts';
import { formatIncidentKey, type Incident } from '../core/incident.ts';
import { digest } from '../core/keys.ts';
import type { TimelineEntry } from '../core/timeline.ts';

export interface IngestDependencies {
  repo: IncidentRepository;
  workflow: WorkflowStarter;
  organisation: Organisation;
  now: () => Date;
  newId: () => string;
  /** How long an opener holds a group before another request may finish its work. */
  leaseMs?: number;
  /** How long a duplicate waits for a concurrent opener before asking the sender to retry. */
  waitForOpenerMs?: number;
  sleep?: (ms: number) => Promise<void>;
}

export interface TouchedIncident {
  key: string;
  incidentId: string;
  outcome: 'opened' | 'updated';
}

const DEFAULT_LEASE_MS = 60_000;
const DEFAULT_WAIT_MS = 3_000;

/**
 * Alerts in, incidents out: one open incident per alert group, whatever the number of concurrent or repeated
 * deliveries. The first request to claim a group (conditional put) opens the incident; the others wait for it
 * briefly and attach their alerts, or get a retryable error so the sender tries again (a 2xx is only returned
 * once the incident is durably recorded). Each step is idempotent, so a retry after a crash finishes the work.
 */
export async function ingestAlerts(
  deps: IngestDependencies,
  alerts: NormalisedAlert[],
): Promise<TouchedIncident[]> {
  const touched: TouchedIncident[] = [];
  for (const group of groupAlerts(alerts)) {
    touched.push(await ingestGroup(deps, group));
  }
  return touched;
}

async function ingestGroup(deps: IngestDependencies, group: AlertGroup): Promise<TouchedIncident> {
  const { repo } = deps;
  const receivedAt = deps.now().toISOString();
  let record = await repo.getAlertGroup(group.source, group.groupKey);
  let owner: string | undefined;

  if (!record) {
    owner = deps.newId();
    const claim: AlertGroupRecord = {
      source: group.source,
      groupKey: group.groupKey,
      incidentId: deps.newId(),
      state: 'opening',
      claimedAt: receivedAt,
      leaseOwner: owner,
      leaseUntil: new Date(deps.now().getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS)).toISOString(),
    };
    if (await repo.claimAlertGroup(claim)) {
      record = claim;
    } else {
      owner = undefined;
      record = await repo.getAlertGroup(group.source, group.groupKey);
    }
  }
  if (!record) throw new RetryableError('alert group is being written; retry');

  if (record.state === 'opening' && !owner) {
    record = await waitForOpener(deps, group, record);
    if (record.state === 'opening') {
      // The opener's lease ran out without finishing: it died. Take over and finish its work.
      const candidate = deps.newId();
      const until = new Date(deps.now().getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS)).toISOString();
      if (
        !(await repo.takeOverLease(group.source, group.groupKey, candidate, deps.now().toISOString(), until))
      ) {
        throw new RetryableError('the incident for this alert group is still being opened; retry');
      }
      owner = candidate;
      record = { ...record, leaseOwner: candidate, leaseUntil: until };
    }
  }

  if (owner) {
    const key = await openIncident(deps, group, record, owner, receivedAt);
    return { key, incidentId: record.incidentId, outcome: 'opened' };
  }
  await recordAlerts(deps, record.incidentId, group.alerts, receivedAt);
  return { key: record.incidentKey ?? '', incidentId: record.incidentId, outcome: 'updated' };
}

/** Polls the group until its opener finishes or its lease expires, within a bounded wait. */
async function waitForOpener(
  deps: IngestDependencies,
  group: AlertGroup,
  initial: AlertGroupRecord,
): Promise<AlertGroupRecord> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = deps.now().getTime() + (deps.waitForOpenerMs ?? DEFAULT_WAIT_MS);
  let record = initial;
  for (let delay = 25; record.state === 'opening'; delay = Math.min(delay * 2, 400)) {
    const leaseExpired = !record.leaseUntil || Date.parse(record.leaseUntil) < deps.now().getTime();
    if (leaseExpired) return record;
    if (deps.now().getTime() + delay > deadline) {
      throw new RetryableError('the incident for this alert group is still being opened; retry');
    }
    await sleep(delay);
    record = (await deps.repo.getAlertGroup(group.source, group.groupKey)) ?? record;
  }
  return record;
}

/** The opener's steps, each idempotent so that whoever holds the lease can run them again after a crash. */
async function openIncident(
  deps: IngestDependencies,
  group: AlertGroup,
  record: AlertGroupRecord,
  owner: string,
  receivedAt: string,
): Promise<string> {
  const { repo, organisation } = deps;
  const { incidentKey, number } = await numberFor(deps, group, record, owner);

  const about = describeGroup(organisation, group);
  const service = organisation.services[about.service];
  const incident: Incident = {
    id: record.incidentId,
    key: incidentKey,
    number,
    status: 'new',
    severity: about.severity,
    service: about.service,
    summary: about.summary,
    products: service?.products ?? [],
    source: group.source,
    groupKey: group.groupKey,
    impactStartedAt: about.impactStartedAt,
    detectedAt: record.claimedAt,
    openedAt: record.claimedAt,
    executionName: incidentKey,
    updatedAt: record.claimedAt,
  };
  await repo.putIncidentKey(incidentKey, incident.id);
  await repo.createIncident(incident);

  const firing = group.alerts.filter((a) => a.status === 'firing').length;
  await repo.appendTimeline({
    incidentId: incident.id,
    eventId: 'opened',
    at: incident.openedAt,
    kind: 'incident.opened',
    actor: group.source,
    text: `${incidentKey} opened from ${group.source}: Sev ${incident.severity} on ${service?.name ?? about.service}, ${firing} firing alert(s).`,
    data: { severity: incident.severity, service: incident.service, groupKey: group.groupKey },
  });
  if (!about.serviceMatched) {
    await repo.appendTimeline({
      incidentId: incident.id,
      eventId: 'service-unknown',
      at: incident.openedAt,
      kind: 'incident.service-unknown',
      actor: 'hotline',
      text: `No configured service matched the alert labels (${organisation.alertRouting.serviceLabels.join(', ')}); assigned to the default service "${organisation.defaultService}".`,
    });
  }
  await recordAlerts(deps, incident.id, group.alerts, receivedAt);

  const { executionArn } = await deps.workflow.start({ incidentId: incident.id, key: incidentKey });
  await repo.appendTimeline({
    incidentId: incident.id,
    eventId: 'workflow-started',
    at: incident.openedAt,
    kind: 'workflow.started',
    actor: 'hotline',
    text: `Workflow started (execution ${incidentKey}).`,
    data: { executionArn },
  });
  await repo.markGroupOpen(group.source, group.groupKey);
  return incidentKey;
}

/** The group's incident number: assigned once (by the lease holder), reused by any retry. */
async function numberFor(
  deps: IngestDependencies,
  group: AlertGroup,
  record: AlertGroupRecord,
  owner: string,
): Promise<{ incidentKey: string; number: number }> {
  if (record.incidentKey !== undefined && record.number !== undefined) {
    return { incidentKey: record.incidentKey, number: record.number };
  }
  const number = await deps.repo.nextIncidentNumber();
  const incidentKey = formatIncidentKey(deps.organisation.incidentKeyPrefix, number);
  if (await deps.repo.assignGroupNumber(group.source, group.groupKey, owner, number, incidentKey)) {
    return { incidentKey, number };
  }
  const current = await deps.repo.getAlertGroup(group.source, group.groupKey);
  if (current?.incidentKey === undefined || current.number === undefined) {
    throw new RetryableError('lost the alert group to another request; retry');
  }
  return { incidentKey: current.incidentKey, number: current.number };
}

/** Stores each alert's state and one timeline entry per alert state change (keyed by the alert's own times). */
async function recordAlerts(
  deps: IngestDependencies,
  incidentId: string,
  alerts: NormalisedAlert[],
  receivedAt: string,
): Promise<void> {
  for (const alert of alerts) {
    await deps.repo.upsertAlert(incidentId, alert, receivedAt);
    await deps.repo.appendTimeline(alertEntry(incidentId, alert, receivedAt));
  }
}

function alertEntry(incidentId: string, alert: NormalisedAlert, receivedAt: string): TimelineEntry {
  const firing = alert.status === 'firing';
  // The alert's own timestamps make the entry's key the same on every delivery of the same state.
  const at = firing ? alert.startsAt : (alert.endsAt ?? receivedAt);
  return {
    incidentId,
    eventId: `alert-${digest(`${alert.fingerprint}|${alert.status}|${at}`)}`,
    at,
    kind: firing ? 'alert.firing' : 'alert.resolved',
    actor: alert.source,
    text: `${firing ? 'Firing' : 'Resolved'}: ${alert.summary}`,
    data: { fingerprint: alert.fingerprint, labels: alert.labels, ...(alert.url ? { url: alert.url } : {}) },
  };
}
