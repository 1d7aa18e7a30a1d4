import type { Organisation, Service, Severity } from './config.ts';
import type { Incident } from './incident.ts';

/** The comms cadence of a severity, in minutes; undefined when the severity has none (sev 3 by default). */
export function cadenceMinutes(service: Service, severity: Severity): number | undefined {
  return service.followUpCadenceMinutes[severity] ?? undefined;
}

/** How long a page waits for an acknowledgement before escalating. */
/** The grace after every alert cleared before the incident resolves as cleared; undefined: a person resolves it. */
export function clearedGraceSeconds(service: Service, severity: Severity): number | undefined {
  const minutes = service.clearedGraceMinutes?.[severity];
  return minutes == null ? undefined : minutes * 60;
}

/** Whether nobody has acknowledged the incident yet (it is new, or paged): what the cleared-alerts rules apply to. */
export function isUnacknowledged(incident: Pick<Incident, 'status'>): boolean {
  return incident.status === 'new' || incident.status === 'paged';
}

/**
 * The wait after every alert cleared: until the grace ends (counted from when they cleared, so a step that runs
 * again, or a new execution, waits what is left), or a long idle wait when the service resolves none itself.
 */
export function clearedPlan(
  clearedAt: string,
  graceSeconds: number | undefined,
  now: Date,
): { waitSeconds: number; resolvesAt?: string } {
  if (graceSeconds === undefined) return { waitSeconds: IDLE_WAIT_SECONDS };
  const resolvesAt = new Date(Date.parse(clearedAt) + graceSeconds * 1000);
  return {
    waitSeconds: Math.max(1, Math.ceil((resolvesAt.getTime() - now.getTime()) / 1000)),
    resolvesAt: resolvesAt.toISOString(),
  };
}

export function acknowledgeTimeoutSeconds(service: Service, severity: Severity): number {
  const minutes = service.acknowledgeTimeoutMinutes[severity] ?? 15;
  return Math.max(60, minutes * 60);
}

/**
 * Who a page goes to at each escalation tier: the service's primary incident managers, then its backups (when
 * it has any), then the catch-all IMOC list, which keeps being paged until someone acknowledges.
 */
export function pageRecipients(
  org: Organisation,
  service: Service,
  tier: number,
): { tier: number; to: string[]; label: string } {
  const tiers = [
    { to: service.incidentManagers.primary, label: 'incident manager' },
    ...(service.incidentManagers.backup.length > 0
      ? [{ to: service.incidentManagers.backup, label: 'backup incident manager' }]
      : []),
    { to: org.imoc, label: 'incident manager on call (IMOC)' },
  ];
  const index = Math.min(tier, tiers.length - 1);
  const chosen = tiers[index] ?? { to: org.imoc, label: 'IMOC' };
  return { tier: index, to: [...chosen.to], label: chosen.label };
}

/** The chat room is named after the key: HOT-42 -> hot-42. */
export function chatChannel(key: string): string {
  return key.toLowerCase();
}

/** Fills `{key}` and `{channel}` in a configured URL template. */
export function fillTemplate(template: string | undefined, key: string): string | undefined {
  if (!template) return undefined;
  return template
    .replaceAll('{key}', encodeURIComponent(key))
    .replaceAll('{channel}', encodeURIComponent(chatChannel(key)));
}

export function responseLinks(org: Organisation, key: string) {
  const chatRoomUrl = fillTemplate(org.responseLinks.chatRoom, key);
  const videoUrl = fillTemplate(org.responseLinks.video, key);
  const stateDocumentUrl = fillTemplate(org.responseLinks.stateDocument, key);
  return {
    chatChannel: chatChannel(key),
    ...(chatRoomUrl ? { chatRoomUrl } : {}),
    ...(videoUrl ? { videoUrl } : {}),
    ...(stateDocumentUrl ? { stateDocumentUrl } : {}),
  };
}

/** The products named in comms: the incident's, else the service's name. */
export function affectedProducts(incident: Incident, service: Service): string {
  const products = incident.products.length > 0 ? incident.products : [service.name];
  if (products.length === 1) return products[0] ?? service.name;
  return `${products.slice(0, -1).join(', ')} and ${products.at(-1)}`;
}

/** When the next update is due after one at `at`: the cadence, or undefined without one. */
export function nextUpdateDue(service: Service, severity: Severity, at: Date): string | undefined {
  const minutes = cadenceMinutes(service, severity);
  return minutes === undefined ? undefined : new Date(at.getTime() + minutes * 60_000).toISOString();
}

/** After a missed update, the next check comes sooner: half the cadence, at least five minutes. */
export function overdueRecheckSeconds(service: Service, severity: Severity): number {
  const minutes = cadenceMinutes(service, severity) ?? 60;
  return Math.max(300, Math.round((minutes * 60) / 2));
}

/** A task-token wait without a deadline still needs one (Step Functions requires a bound): a week, then re-wait. */
export const IDLE_WAIT_SECONDS = 7 * 24 * 60 * 60;

/** What the comms loop waits for next: `waitSeconds` bounds the token wait; `since` is when it was planned. */
/** `continue`: the execution hands the incident over to a new one (core/executions.ts). */
export const loopEvents = [
  'started',
  'update',
  'changed',
  'overdue',
  'resolved',
  'idle',
  'continue',
] as const;
export interface LoopPlan {
  event: (typeof loopEvents)[number];
  waitSeconds: number;
  since: string;
}

/**
 * The timeout of a wait whose own step resumes it at once (the incident was resolved or acknowledged meanwhile):
 * only a fallback should the resume fail, and long enough that a cold function resumes the wait before it runs
 * out (a second was not: the timeout ran the step again, and again).
 */
export const RESUMED_WAIT_FALLBACK_SECONDS = 60;

/** How long the comms loop waits: until the next update is due, or a long idle wait without a cadence. */
export function planLoop(now: Date, incident: Incident, event: LoopPlan['event']): LoopPlan {
  if (incident.status === 'resolved')
    return { event: 'resolved', waitSeconds: RESUMED_WAIT_FALLBACK_SECONDS, since: now.toISOString() };
  const due = incident.nextUpdateDue ? Date.parse(incident.nextUpdateDue) : undefined;
  const waitSeconds =
    due === undefined ? IDLE_WAIT_SECONDS : Math.max(1, Math.ceil((due - now.getTime()) / 1000));
  return { event, waitSeconds, since: now.toISOString() };
}

/** Roles may name people by IAM identity (API callers) or email (links, CLI options): mail needs the latter. */
export function isEmailAddress(value: string | undefined): value is string {
  return value !== undefined && /^[^\s@<>"]+@[^\s@<>"]+\.[^\s@<>"]+$/.test(value);
}

/**
 * How the workflow handles an incident of a severity (handbook: "severity 3 incidents are passed to the delivery
 * teams for resolution during business hours, whereas severity 1 & 2 require paging team members"). Read from
 * the incident's current severity each time the workflow routes, so a change of severity changes the route.
 */
export type ResponseRoute = 'page' | 'team';

export function routeFor(severity: Severity): ResponseRoute {
  return severity === 3 ? 'team' : 'page';
}

/** The owner team's address a sev 3 goes to: the configured `team`, else the service's first internal list. */
export function teamAddress(service: Service): string {
  return (
    service.team ?? service.comms.internal[0] ?? service.incidentManagers.primary.find(isEmailAddress) ?? ''
  );
}
