import type { CommsBounce } from './comms-bounces.ts';
import type { Severity } from './config.ts';
import type { PageRecipient } from './page-targets.ts';

/**
 * Incident states, as the handbook runs them: new (recorded), paged (an incident manager is being paged),
 * fixing (an incident manager acknowledged and is in charge), resolved (impact ended; a postmortem may follow).
 * Every change is conditional on the state it leaves (see `transitions`).
 */
export type IncidentStatus = 'new' | 'paged' | 'fixing' | 'resolved';

export const incidentStatuses: readonly IncidentStatus[] = ['new', 'paged', 'fixing', 'resolved'];

export const transitions: Record<IncidentStatus, readonly IncidentStatus[]> = {
  // An acknowledgement can arrive before the page is recorded (a fast responder, a retried page step).
  new: ['paged', 'fixing', 'resolved'],
  paged: ['fixing', 'resolved'],
  fixing: ['resolved'],
  resolved: [],
};

/** The states an incident may leave for `to`. */
export function statesLeadingTo(to: IncidentStatus): IncidentStatus[] {
  return incidentStatuses.filter((from) => transitions[from].includes(to));
}

export interface Roles {
  incidentManager?: string;
  techLeads?: string[];
  commsManager?: string;
}

/** Whether the handbook asks for a postmortem: always for sev 1-2, on request for sev 3. */
export type PostmortemNeed = 'required' | 'requested' | 'not-required';

/**
 * How an incident ended, one enumeration: `resolved` (the impact was real and is over), `false-alarm` (there was
 * no impact), `duplicate` (of another incident, named by `duplicateOf`), `cleared-before-acknowledgement` (its
 * alerts all cleared before anyone acknowledged: set by the workflow, never by a person).
 */
export const RESOLUTION_KINDS = [
  'resolved',
  'false-alarm',
  'duplicate',
  'cleared-before-acknowledgement',
] as const;
export type ResolutionKind = (typeof RESOLUTION_KINDS)[number];
/** The kinds a person chooses when resolving. */
export const CHOSEN_RESOLUTION_KINDS = [
  'resolved',
  'false-alarm',
  'duplicate',
] as const satisfies readonly ResolutionKind[];

/** A resolution kind in words, for pages, mails and the report. */
export const RESOLUTION_WORDS: Record<ResolutionKind, string> = {
  resolved: 'resolved',
  'false-alarm': 'false alarm (no impact)',
  duplicate: 'duplicate',
  'cleared-before-acknowledgement': 'cleared before anyone acknowledged',
};

/** Whether a resolution of this kind had customer impact (false alarms and duplicates had none of their own). */
export function hadImpact(kind: ResolutionKind | undefined): boolean {
  return kind === undefined || kind === 'resolved';
}

/**
 * Whether the handbook asks for a postmortem: always for sev 1-2, on request for sev 3; a false alarm, a
 * duplicate or alerts that cleared before anyone acknowledged need none unless someone asks for one.
 */
export function postmortemNeed(
  severity: Severity,
  requested: boolean,
  kind: ResolutionKind = 'resolved',
): PostmortemNeed {
  if (severity <= 2 && hadImpact(kind)) return 'required';
  return requested ? 'requested' : 'not-required';
}

export function isOpen(status: IncidentStatus): boolean {
  return status !== 'resolved';
}

export function canTransition(from: IncidentStatus, to: IncidentStatus): boolean {
  return transitions[from].includes(to);
}

export interface Incident {
  id: string;
  key: string;
  number: number;
  status: IncidentStatus;
  severity: Severity;
  service: string;
  summary: string;
  products: string[];
  source: string;
  groupKey?: string;
  /** When the impact started (from the alerts), when we detected it (first delivery), when the record was made. */
  impactStartedAt: string;
  detectedAt: string;
  openedAt: string;
  executionName: string;
  updatedAt: string;
  /** When the workflow's execution was known to run (absent: the sweep looks for it). */
  workflowStartedAt?: string;
  executionArn?: string;
  /** Customer impact in the declarer's words (declared incidents) or the alerts' description. */
  description?: string;
  /** The impact as the latest update stated it (`impact` of an update), and when: it wins over `description`. */
  statedImpact?: string;
  statedImpactAt?: string;
  /** Who declared it by hand (an operator identity), absent for alert-opened incidents. */
  declaredBy?: string;
  /** The incident of the same alert group this one recurs after. */
  recurrenceOf?: string;
  /** Response: who is in charge and where responders meet. */
  roles?: Roles;
  /** When the incident manager was first paged (the move from new to paged). */
  pagedAt?: string;
  acknowledgedAt?: string;
  acknowledgedBy?: string;
  /** Escalation tier of the current page: 0 primary, 1 backup, 2+ IMOC. */
  pageTier?: number;
  /** Every address paged for it, in the order first paged (who was on call then: schedules resolve at paging). */
  pagedTo?: string[];
  /**
   * The current tier's page: whom it reached (resolved when it was first sent) and the minute mark of the
   * notification rules fired so far (a call after 3 minutes fires when the page step runs again at 3).
   */
  tierPage?: {
    tier: number;
    round: number;
    recipients: PageRecipient[];
    firedMinutes: number;
    /** The acknowledgement wait's token when it was paged: a new one means its wait ran (and ran out) since. */
    afterToken?: string;
    /** The last tier (the IMOC): nobody further to escalate to. */
    last?: boolean;
  };
  /**
   * When every alert of the unacknowledged incident had cleared (absent while one fires, and once acknowledged):
   * the escalation stops and, after the service's grace, the workflow resolves it as `cleared-before-acknowledgement`.
   */
  alertsClearedAt?: string;
  /** When an alert fired again within that grace: the escalation went on where it stopped, as a new round. */
  alertsRefiredAt?: string;
  /** Sev 3: when its owner team was first told (it is not paged), and when it is reminded next if unacknowledged. */
  teamNotifiedAt?: string;
  teamReminderDue?: string;
  chatChannel?: string;
  chatRoomUrl?: string;
  videoUrl?: string;
  stateDocumentUrl?: string;
  externalWording?: string;
  firstCommsAt?: string;
  /** Comms cadence: when the next update is due, how many were posted, misses since the last one. */
  nextUpdateDue?: string;
  updateCount?: number;
  missedUpdates?: number;
  lastUpdateAt?: string;
  severityChangedAt?: string;
  /** Resolution. */
  resolvedAt?: string;
  resolvedBy?: string;
  impactEndedAt?: string;
  supportCases?: number;
  postmortem?: PostmortemNeed;
  /** How it ended (absent on incidents resolved before kinds existed: read as `resolved`). */
  resolution?: ResolutionKind;
  /** The incident this one duplicates (`duplicate` only). */
  duplicateOf?: string;
  /**
   * The measures as first recorded, kept when a person corrects them (POST /incidents/{key}/measures): the
   * fields above then hold the corrected values every reader uses, each correction is on the timeline.
   */
  measuresRecorded?: { impactStartedAt: string; detectedAt: string; impactEndedAt?: string };
  measuresCorrectedAt?: string;
  /** The workflow's current task tokens (server side only: never in links, mails or API responses). */
  ackTaskToken?: string;
  /**
   * Whose acknowledgement `ackTaskToken` waits for: the paged incident manager's, a sev 3 team's, or anyone's
   * during the grace after every alert cleared (`cleared`).
   */
  ackWait?: 'incidentManager' | 'team' | 'cleared';
  /** Whether the waiting execution's definition handles alerts that clear before anyone acknowledges. */
  ackWaitClears?: boolean;
  /** A tier's page that reached nobody on any channel (its delivery events said so): the next tier at once. */
  pageUndeliverable?: { tier: number; round: number };
  /** The comms lists' addresses its comms mails did not reach (core/comms-bounces.ts), newest last. */
  commsBounces?: CommsBounce[];
  /** How many times `commsBounces` was written: each write is conditional on it (concurrent events). */
  commsBounceWrites?: number;
  loopTaskToken?: string;
  /** The execution whose waits are counted, and how many it has made (core/executions.ts). */
  waitsExecution?: string;
  waitsCount?: number;
}

/** Attributes never returned by the API. */
export const privateIncidentFields = [
  'ackTaskToken',
  // It keeps a task token too.
  'tierPage',
  'loopTaskToken',
  'ackWait',
  'ackWaitClears',
  'pageUndeliverable',
  'commsBounceWrites',
  'waitsExecution',
  'waitsCount',
] as const;

/** The incident as the API shows it: the workflow's tokens and which wait holds them are its own business. */
export function publicIncident(incident: Incident): Omit<Incident, (typeof privateIncidentFields)[number]> {
  const rest: Partial<Incident> = { ...incident };
  for (const name of privateIncidentFields) delete rest[name];
  return rest as Omit<Incident, (typeof privateIncidentFields)[number]>;
}

export function formatIncidentKey(prefix: string, number: number): string {
  return `${prefix}-${number}`;
}

const KEY = /^[A-Z][A-Z0-9]{1,9}-[1-9][0-9]{0,9}$/;

export function isIncidentKey(value: string): boolean {
  return KEY.test(value);
}

/** Milliseconds between two ISO timestamps, or undefined when either is missing. */
export function durationMs(from?: string, to?: string): number | undefined {
  if (!from || !to) return undefined;
  return Date.parse(to) - Date.parse(from);
}

export interface IncidentMetrics {
  timeToDetectMs?: number;
  timeToAcknowledgeMs?: number;
  timeToFirstCommsMs?: number;
  timeToRecoverMs?: number;
}

/**
 * The handbook's measures: time to detect (detected - impact start), time to acknowledge (acknowledged -
 * detected), time to first comms (first comms - detected), time to recover (impact end - impact start).
 */
export function metricsOf(incident: Incident): IncidentMetrics {
  const metrics: IncidentMetrics = {};
  const set = (name: keyof IncidentMetrics, value: number | undefined) => {
    if (value !== undefined) metrics[name] = Math.max(0, value);
  };
  set('timeToDetectMs', durationMs(incident.impactStartedAt, incident.detectedAt));
  set('timeToAcknowledgeMs', durationMs(incident.detectedAt, incident.acknowledgedAt));
  set('timeToFirstCommsMs', durationMs(incident.detectedAt, incident.firstCommsAt));
  set('timeToRecoverMs', durationMs(incident.impactStartedAt, incident.impactEndedAt));
  return metrics;
}

/**
 * The impact start an incident records: what its alerts or its declaration say, but never after it was detected
 * (an alert source whose clock runs ahead of ours says its alert started in our future; the handbook's time to
 * detect is never negative, and a correction of the measures is held to the same rule).
 */
export function impactStartNoLaterThan(impactStartedAt: string, detectedAt: string): string {
  return Date.parse(impactStartedAt) > Date.parse(detectedAt) ? detectedAt : impactStartedAt;
}

/** Time to detect: detected minus impact start (never negative: clocks of alert sources drift). */
export function timeToDetectMs(
  incident: Pick<Incident, 'impactStartedAt' | 'detectedAt'>,
): number | undefined {
  const ms = durationMs(incident.impactStartedAt, incident.detectedAt);
  return ms === undefined ? undefined : Math.max(0, ms);
}

/** The customer impact as last stated: the latest update's, else the declaration's or the alerts' words. */
export function currentImpact(incident: Pick<Incident, 'statedImpact' | 'description'>): string | undefined {
  return incident.statedImpact ?? incident.description;
}

/** The products an incident's external wording names: its own, else the service's public name. */
export function publicProducts(products: readonly string[], serviceName: string): string[] {
  return products.length > 0 ? [...products] : [serviceName];
}
