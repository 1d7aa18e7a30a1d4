import {
  alertEntryData,
  countsFromMarkers,
  describeGroup,
  groupAlerts,
  type IncidentAbout,
  type NormalisedAlert,
  stateMarker,
} from '../core/alert.ts';
import type { Organisation } from '../core/config.ts';
import { ConflictError, RetryableError } from '../core/errors.ts';
import { splitHeartbeats } from '../core/heartbeats.ts';
import { formatIncidentKey, type Incident, impactStartNoLaterThan } from '../core/incident.ts';
import { digest } from '../core/keys.ts';
import { serviceOf } from '../core/organisation.ts';
import { ownValue } from '../core/records.ts';
import { isUnacknowledged, planLoop } from '../core/response.ts';
import type { TimelineEntry } from '../core/timeline.ts';
import { acknowledgementResume, loopResume } from '../core/workflow-resume.ts';
import type {
  AlertGroupRecord,
  AlertGroupStore,
  DeliveryStore,
  HeartbeatStore,
  IncidentStore,
  WorkflowCallback,
  WorkflowStarter,
} from './ports.ts';

export interface IngestDependencies {
  incidents: IncidentStore;
  groups: AlertGroupStore;
  workflow: WorkflowStarter;
  /** Resumes the incident's waiting workflow (when all its alerts resolved); absent for declarations. */
  callback?: WorkflowCallback;
  organisation: Organisation;
  now: () => Date;
  newId: () => string;
  /** Groups this execution environment read lately: a pure repeat within their freshness costs no read. */
  recentGroups?: RecentGroups;
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

/** What opens an incident: a group of alerts, or a person declaring one (source "manual", no alerts). */
export interface Opening {
  source: string;
  groupKey: string;
  about: IncidentAbout;
  alerts: NormalisedAlert[];
  declaredBy?: string;
}

/** Longer than a function's timeout (29 s), so a live opener is never overtaken; a failed one releases it. */
const DEFAULT_LEASE_MS = 35_000;
/**
 * How fresh an alert's last seen is kept. A repeat within it costs one read and no write (a storm of repeats,
 * an Alertmanager HA cluster delivering a notification more than once); the next one after it moves last seen.
 */
export const SEEN_PRECISION_MS = 30_000;
const DEFAULT_WAIT_MS = 3_000;

/**
 * Open groups read in the last moments, per execution environment. A storm is mostly repeats: the same alerts,
 * already recorded and seen lately. Such a delivery is answered from the group as it was read up to
 * `freshMs` ago, without a read; anything new in a delivery (a state, an alert) goes to the table as before.
 * The one effect of a stale entry: a repeat arriving within `freshMs` of its incident's resolution is taken
 * as the repeat it is, and the group's next delivery after that opens the recurrence.
 */
export class RecentGroups {
  private readonly entries = new Map<string, { group: AlertGroupRecord; readAt: number }>();

  constructor(
    private readonly freshMs = 2_000,
    private readonly capacity = 1_000,
  ) {}

  get(source: string, groupKey: string, now: number): AlertGroupRecord | undefined {
    const id = `${source}\u0000${groupKey}`;
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    if (now - entry.readAt > this.freshMs) {
      this.entries.delete(id);
      return undefined;
    }
    return entry.group;
  }

  remember(group: AlertGroupRecord, now: number): void {
    const id = `${group.source}\u0000${group.groupKey}`;
    this.entries.delete(id);
    // Oldest first: a Map iterates in insertion order.
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value ?? '');
    if (group.state === 'open') this.entries.set(id, { group, readAt: now });
  }

  forget(source: string, groupKey: string): void {
    this.entries.delete(`${source}\u0000${groupKey}`);
  }
}
/** Alert states whose timeline entries are written at once. */
const PARALLEL_ALERTS = 8;

/** A sender's delivery, authenticated and parsed. */
export interface Delivery {
  source: string;
  alerts: NormalisedAlert[];
  /** A sender-assigned id that must not be processed twice (replay protection). */
  deliveryId?: string;
  /** Confirms an SNS subscription (fetches its SubscribeURL); part of processing the delivery. */
  confirm?: () => Promise<void>;
}

/**
 * One delivery: its id is claimed first (one conditional write, so a replay or a concurrent copy is refused),
 * then its alerts are ingested; a failure gives the id back so the sender's retry is processed, not refused.
 */
export async function ingestDelivery(
  deps: IngestDependencies & { deliveries: DeliveryStore; heartbeats: Pick<HeartbeatStore, 'beat'> },
  delivery: Delivery,
): Promise<{ incidents: TouchedIncident[]; heartbeats: string[] }> {
  const { deliveryId, source } = delivery;
  const owner = deps.newId();
  if (deliveryId && !(await deps.deliveries.claim(source, deliveryId, owner, deps.now()))) {
    throw new ConflictError(`delivery ${deliveryId.slice(0, 64)} was already processed (replay)`);
  }
  try {
    await delivery.confirm?.();
    // A heartbeat (core/heartbeats.ts) is a sign of life, recorded as last seen (a duplicate writes nothing):
    // never an alert nor an incident.
    const split = splitHeartbeats(deps.organisation.heartbeats, source, delivery.alerts);
    const seenAt = deps.now().toISOString();
    await Promise.all(split.beats.map((beat) => deps.heartbeats.beat(beat.id, beat.source, seenAt)));
    const heartbeats = split.beats.map((beat) => beat.id);
    const touched = await ingestAlerts(deps, split.alerts);
    if (deliveryId) await deps.deliveries.complete(source, deliveryId, owner, deps.now());
    return { incidents: touched, heartbeats };
  } catch (error) {
    if (deliveryId) await deps.deliveries.release(source, deliveryId, owner).catch(() => undefined);
    throw error;
  }
}

/**
 * Alerts in, incidents out: one open incident per alert group, whatever the number of concurrent or repeated
 * deliveries. The first request to claim a group (conditional write) opens the incident; the others wait for
 * it briefly and attach their alerts, or get a retryable error so the sender tries again (a 2xx only once the
 * incident is durably recorded). Every step is idempotent, so a retry after a crash finishes the work.
 */
export async function ingestAlerts(
  deps: IngestDependencies,
  alerts: NormalisedAlert[],
): Promise<TouchedIncident[]> {
  const touched: TouchedIncident[] = [];
  for (const group of groupAlerts(alerts)) {
    const firing = group.alerts.some((a) => a.status === 'firing');
    const result = await openOrAttach(
      deps,
      {
        source: group.source,
        groupKey: group.groupKey,
        about: describeGroup(deps.organisation, group),
        alerts: group.alerts,
      },
      firing,
    );
    if (result) touched.push(result);
  }
  return touched;
}

/**
 * Opens the group's incident, or attaches to the open one. `mayOpen` is false for deliveries with only
 * resolved alerts: those never open an incident, they are recorded on the group's last one.
 */
export async function openOrAttach(
  deps: IngestDependencies,
  opening: Opening,
  mayOpen = true,
): Promise<TouchedIncident | undefined> {
  const { groups } = deps;
  const { source, groupKey } = opening;
  const now = deps.now();
  const receivedAt = now.toISOString();
  // A storm is mostly repeats to open groups: a repeat of a group read lately costs nothing, one seen lately
  // costs one consistent read.
  const recent = deps.recentGroups?.get(source, groupKey, now.getTime());
  if (recent && isRepeatSeenLately(recent, recent.incidentId, opening.alerts, receivedAt)) {
    return { key: recent.incidentKey ?? '', incidentId: recent.incidentId, outcome: 'updated' };
  }
  let record = await groups.get(source, groupKey);
  if (record?.state === 'open') {
    deps.recentGroups?.remember(record, now.getTime());
    if (!isRepeatSeenLately(record, record.incidentId, opening.alerts, receivedAt)) {
      // What this delivery writes makes the remembered group stale.
      deps.recentGroups?.forget(source, groupKey);
      await recordAlerts(deps, record, record.incidentId, opening.alerts, receivedAt);
    }
    return { key: record.incidentKey ?? '', incidentId: record.incidentId, outcome: 'updated' };
  }
  // Who this request is while it may hold the group's lease: set before every write that could give it the
  // lease, so that any failure (even one whose write was applied but whose reply was lost) hands it back.
  let owner: string | undefined;
  try {
    if (mayOpen && (!record || record.state === 'closed')) {
      owner = deps.newId();
      record = await claimGroup(deps, opening, record, owner, receivedAt);
      if (record?.leaseOwner !== owner) owner = undefined;
    }
    if (!record) {
      // Resolved alerts of a group that never fired here: nothing to attach them to.
      if (!mayOpen) return undefined;
      throw new RetryableError('alert group is being written; retry');
    }
    if (record.state === 'opening' && !owner) {
      record = await waitForOpener(deps, source, groupKey, record);
      if (record.state === 'opening') {
        // The opener's lease ran out without finishing: it died. Take over and finish its work.
        owner = deps.newId();
        const until = new Date(deps.now().getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS)).toISOString();
        if (!(await groups.takeOverLease(source, groupKey, owner, deps.now().toISOString(), until))) {
          throw new RetryableError('the incident for this alert group is still being opened; retry');
        }
        record = { ...record, leaseOwner: owner, leaseUntil: until };
      }
    }
    if (owner) {
      const key = await openIncident(deps, opening, record, owner, receivedAt);
      return { key, incidentId: record.incidentId, outcome: 'opened' };
    }
    await recordAlerts(deps, record, record.incidentId, opening.alerts, receivedAt);
    return { key: record.incidentKey ?? '', incidentId: record.incidentId, outcome: 'updated' };
  } catch (error) {
    // Hand the group to the sender's retry now (releasing is conditional on holding the lease, so harmless
    // when this request never got it); a failure to release only means waiting out the lease.
    if (owner) {
      await groups.releaseLease(source, groupKey, owner).catch(() => undefined);
    }
    throw error;
  }
}

/**
 * Claims a new or closed group for a new incident with `owner` holding its lease; a closed one (its incident
 * resolved) as a recurrence. Answers with the group as it is now: claimed by this request, or not.
 */
async function claimGroup(
  deps: IngestDependencies,
  opening: Opening,
  existing: AlertGroupRecord | undefined,
  owner: string,
  receivedAt: string,
): Promise<AlertGroupRecord | undefined> {
  const claim: AlertGroupRecord = {
    source: opening.source,
    groupKey: opening.groupKey,
    incidentId: deps.newId(),
    state: 'opening',
    claimedAt: receivedAt,
    leaseOwner: owner,
    leaseUntil: new Date(deps.now().getTime() + (deps.leaseMs ?? DEFAULT_LEASE_MS)).toISOString(),
  };
  const claimed = existing
    ? await deps.groups.reclaimClosed(existing, claim)
    : await deps.groups.claim(claim);
  if (claimed) {
    return {
      ...claim,
      ...(existing ? { previousIncidentId: existing.incidentId, previousKey: existing.incidentKey } : {}),
    };
  }
  // Another request won, or this claim's reply was lost and the SDK's retry failed against it: the group says.
  return deps.groups.get(opening.source, opening.groupKey);
}

/** Polls the group until its opener finishes or its lease expires, within a bounded wait. */
async function waitForOpener(
  deps: IngestDependencies,
  source: string,
  groupKey: string,
  initial: AlertGroupRecord,
): Promise<AlertGroupRecord> {
  const sleep = deps.sleep ?? ((ms: number) => new Promise((r) => setTimeout(r, ms)));
  const deadline = deps.now().getTime() + (deps.waitForOpenerMs ?? DEFAULT_WAIT_MS);
  let record = initial;
  for (let delay = 25; record.state === 'opening'; delay = Math.min(delay * 2, 400)) {
    const leaseExpired = !record.leaseUntil || Date.parse(record.leaseUntil) <= deps.now().getTime();
    if (leaseExpired) return record;
    if (deps.now().getTime() + delay > deadline) {
      throw new RetryableError('the incident for this alert group is still being opened; retry');
    }
    await sleep(delay);
    record = (await deps.groups.get(source, groupKey)) ?? record;
  }
  return record;
}

/** The opener's steps, each idempotent so that whoever holds the lease can run them again after a crash. */
async function openIncident(
  deps: IngestDependencies,
  opening: Opening,
  record: AlertGroupRecord,
  owner: string,
  receivedAt: string,
): Promise<string> {
  const { incidents, groups, organisation } = deps;
  const { about, source, groupKey } = opening;
  const { incidentKey, number } = await numberFor(deps, record, owner);
  const service = serviceOf(organisation, about.service);
  const incident: Incident = {
    id: record.incidentId,
    key: incidentKey,
    number,
    status: 'new',
    severity: about.severity,
    service: about.service,
    summary: about.summary,
    products: about.products ?? service.products,
    source,
    groupKey,
    impactStartedAt: impactStartNoLaterThan(about.impactStartedAt, record.claimedAt),
    detectedAt: record.claimedAt,
    openedAt: record.claimedAt,
    executionName: incidentKey,
    updatedAt: record.claimedAt,
    ...(about.description ? { description: about.description } : {}),
    ...(opening.declaredBy ? { declaredBy: opening.declaredBy } : {}),
    ...(record.previousKey ? { recurrenceOf: record.previousKey } : {}),
  };
  await incidents.putKey(incidentKey, incident.id);
  await incidents.create(incident);

  const firing = opening.alerts.filter((a) => a.status === 'firing').length;
  const entry = (
    eventId: string,
    kind: TimelineEntry['kind'],
    text: string,
    data?: Record<string, unknown>,
  ) =>
    incidents.appendTimeline({
      incidentId: incident.id,
      eventId,
      at: incident.openedAt,
      kind,
      actor: opening.declaredBy ?? source,
      text,
      ...(data ? { data } : {}),
    });
  await entry(
    'opened',
    opening.declaredBy ? 'incident.declared' : 'incident.opened',
    opening.declaredBy
      ? `${incidentKey} declared by ${opening.declaredBy}: Sev ${incident.severity} on ${service.name}.`
      : `${incidentKey} opened from ${source}: Sev ${incident.severity} on ${service.name}, ${firing} firing alert(s).`,
    { severity: incident.severity, service: incident.service, groupKey },
  );
  if (!about.serviceMatched) {
    await entry(
      'service-unknown',
      'incident.service-unknown',
      opening.declaredBy
        ? `The faulty service is unknown; assigned to the default service "${organisation.defaultService}".`
        : `No configured service matched the alert labels (${organisation.alertRouting.serviceLabels.join(', ')}); assigned to the default service "${organisation.defaultService}".`,
    );
  }
  if (record.previousIncidentId && record.previousKey) {
    await entry(
      'recurrence',
      'incident.recurrence',
      `Recurrence of ${record.previousKey}: the same alert group fired again after it was resolved.`,
      {
        previousKey: record.previousKey,
      },
    );
    await incidents.appendTimeline({
      incidentId: record.previousIncidentId,
      eventId: `recurred-${incident.id}`,
      at: incident.openedAt,
      kind: 'incident.recurrence',
      actor: source,
      text: `Recurred as ${incidentKey}.`,
      data: { nextKey: incidentKey },
    });
  }
  // The group's states are written with its opening below, after everything they stand for.
  await recordAlerts(deps, record, incident.id, opening.alerts, receivedAt, { rememberStates: false });

  const { executionArn } = await deps.workflow.start({ incidentId: incident.id, key: incidentKey });
  await entry('workflow-started', 'workflow.started', `Workflow started (execution ${incidentKey}).`, {
    executionArn,
  });
  await incidents.markWorkflowStarted(incident.id, executionArn, deps.now().toISOString());
  await groups.markOpen(source, groupKey, incident.id, markersOf(opening.alerts), receivedAt);
  return incidentKey;
}

/** The group's incident number: assigned once (by the lease holder), reused by any retry. */
async function numberFor(
  deps: IngestDependencies,
  record: AlertGroupRecord,
  owner: string,
): Promise<{ incidentKey: string; number: number }> {
  if (record.incidentKey !== undefined && record.number !== undefined) {
    return { incidentKey: record.incidentKey, number: record.number };
  }
  const number = await deps.groups.nextIncidentNumber(owner);
  const incidentKey = formatIncidentKey(deps.organisation.incidentKeyPrefix, number);
  if (await deps.groups.assignNumber(record.source, record.groupKey, owner, number, incidentKey)) {
    return { incidentKey, number };
  }
  const current = await deps.groups.get(record.source, record.groupKey);
  if (current?.incidentKey === undefined || current.number === undefined) {
    throw new RetryableError('lost the alert group to another request; retry');
  }
  return { incidentKey: current.incidentKey, number: current.number };
}

/**
 * Stores a delivery's alerts on the incident. The group's states tell which alert states the incident already
 * has: each new state gets its timeline entry (a create keyed by the state, so written once; it carries the
 * whole alert, and the incident's alerts are read from these entries), and the group's states come last, so a
 * crash before them repeats the work and loses none. Repeats write nothing here. When the last firing alert
 * resolves, the incident manager is told: a person resolves incidents, alerts do not.
 */
async function recordAlerts(
  deps: IngestDependencies,
  group: AlertGroupRecord,
  incidentId: string,
  alerts: NormalisedAlert[],
  receivedAt: string,
  { rememberStates = true } = {},
): Promise<void> {
  const { incidents, groups } = deps;
  if (isRepeatSeenLately(group, incidentId, alerts, receivedAt)) return;
  const known = group.incidentId === incidentId ? (group.states ?? {}) : {};
  const changed = alerts.filter((alert) => ownValue(known, alert.fingerprint) !== stateMarker(alert));
  // Each new state is one timeline entry (which is also where the incident's alerts are read from).
  for (let start = 0; start < changed.length; start += PARALLEL_ALERTS) {
    await Promise.all(
      changed
        .slice(start, start + PARALLEL_ALERTS)
        .map((alert) => incidents.appendTimeline(alertEntry(incidentId, alert, receivedAt))),
    );
  }
  if (!rememberStates) return;
  const states = await groups.rememberStates(
    group.source,
    group.groupKey,
    incidentId,
    markersOf(alerts),
    receivedAt,
  );
  if (changed.length === 0) return;
  const counts = states && countsFromMarkers(states.after);
  if (!counts || !deps.callback) return;
  if (counts.firingCount > 0) {
    // Only a group whose every alert had cleared can have stopped its escalation: an incident's first alerts,
    // and a group that kept one firing, cost no read here. Cleared as this delivery read the group, or as its
    // write found it (a concurrent delivery cleared every alert in between; a write whose reply was lost and
    // was sent again finds itself, which the read before it does not).
    if (
      countsFromMarkers(Object.values(known))?.firingCount === 0 ||
      countsFromMarkers(states.before)?.firingCount === 0
    )
      await alertFiredAgain(deps, deps.callback, incidentId, receivedAt);
    return;
  }
  // Every alert resolved: the workflow tells the incident manager (ingest sends no mail, which keeps its bundle
  // small). Waking the comms loop gets that done now rather than at the next due update.
  const incident = await incidents.get(incidentId);
  if (incident?.loopTaskToken && incident.status !== 'resolved') {
    await deps.callback.resume(incident.loopTaskToken, loopResume(planLoop(deps.now(), incident, 'changed')));
  }
  if (incident && isUnacknowledged(incident))
    await alertsClearedUnacknowledged(deps, deps.callback, incident);
}

/**
 * Every alert of an incident nobody has acknowledged has cleared: record when (once per time they all clear),
 * and wake its acknowledgement wait, if its definition handles it, to stop the escalation (the workflow tells
 * whoever was paged, and resolves it after the grace). A wait that has not kept its token yet sees it itself.
 */
async function alertsClearedUnacknowledged(
  deps: IngestDependencies,
  callback: WorkflowCallback,
  incident: Incident,
): Promise<void> {
  const at = deps.now().toISOString();
  const cleared = await deps.incidents.change(incident.id, {
    set: { alertsClearedAt: at, updatedAt: at },
    statusIn: ['new', 'paged'],
    expect: { alertsClearedAt: null },
  });
  if (!cleared) return;
  if (cleared.ackTaskToken && cleared.ackWaitClears && cleared.ackWait !== 'cleared') {
    await callback.resume(cleared.ackTaskToken, acknowledgementResume('cleared', cleared));
  }
  // A delivery that fired an alert again after this one's write may have looked for the mark before it was set:
  // read the group once more, and if an alert fires, the grace is over as that delivery would have said.
  if ((await deps.groups.countsOf(incident))?.firingCount)
    await alertFiredAgain(deps, callback, incident.id, at);
}

/**
 * An alert fired again: if every alert had cleared before anyone acknowledged, the grace is over and the
 * escalation goes on where it stopped (the workflow pages that tier again, as a new round).
 */
async function alertFiredAgain(
  deps: IngestDependencies,
  callback: WorkflowCallback,
  incidentId: string,
  receivedAt: string,
): Promise<void> {
  const incident = await deps.incidents.get(incidentId);
  if (!incident?.alertsClearedAt || !isUnacknowledged(incident)) return;
  const at = deps.now().toISOString();
  const refired = await deps.incidents.change(incidentId, {
    set: { alertsRefiredAt: at, updatedAt: at },
    remove: ['alertsClearedAt'],
    statusIn: ['new', 'paged'],
    expect: { alertsClearedAt: incident.alertsClearedAt },
  });
  if (!refired) return;
  await deps.incidents.appendTimeline({
    incidentId,
    eventId: `alerts-refired-${digest(incident.alertsClearedAt)}`,
    at: receivedAt,
    kind: 'alerts.refired',
    actor: incident.source,
    text: 'An alert fired again within the grace after every alert cleared: the escalation goes on where it stopped.',
  });
  if (refired.ackTaskToken && refired.ackWait === 'cleared') {
    await callback.resume(refired.ackTaskToken, acknowledgementResume('refired', refired));
  }
}

/**
 * Whether the group already holds every alert of a delivery in the same state, each seen within
 * SEEN_PRECISION_MS: such a repeat writes nothing (last seen is kept to that precision).
 */
function isRepeatSeenLately(
  group: AlertGroupRecord,
  incidentId: string,
  alerts: readonly NormalisedAlert[],
  receivedAt: string,
): boolean {
  if (group.incidentId !== incidentId) return false;
  const known = group.states ?? {};
  const seen = group.seen ?? {};
  const lately = new Date(Date.parse(receivedAt) - SEEN_PRECISION_MS).toISOString();
  return alerts.every(
    (alert) =>
      ownValue(known, alert.fingerprint) === stateMarker(alert) &&
      (ownValue(seen, alert.fingerprint) ?? '') >= lately,
  );
}

function markersOf(alerts: readonly NormalisedAlert[]) {
  return alerts.map((alert) => ({ fingerprint: alert.fingerprint, marker: stateMarker(alert) }));
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
    data: { ...alertEntryData(alert, receivedAt) },
  };
}
