import { ulid } from 'ulid';
import {
  allAlertsResolvedEmail,
  durationText,
  externalEmail,
  finalExternalWording,
  finalInternalEmail,
  initialExternalWording,
  initialInternalEmail,
  overdueEmail,
  pageEmail,
} from '../core/comms.ts';
import { NotFoundError } from '../core/errors.ts';
import { durationMs, type Incident } from '../core/incident.ts';
import { digestNumber } from '../core/keys.ts';
import { type SigningKeys, signLink } from '../core/links.ts';
import { serviceOf } from '../core/organisation.ts';
import {
  acknowledgeTimeoutSeconds,
  affectedProducts,
  cadenceMinutes,
  isEmailAddress,
  type LoopPlan,
  nextUpdateDue,
  overdueRecheckSeconds,
  pageRecipients,
  planLoop,
  responseLinks,
} from '../core/response.ts';
import type { ResponseDeps } from './respond.ts';
import { sendCommsPair, sendOnce } from './send-once.ts';

/**
 * The steps of the incident workflow. Each is idempotent (a retried step sends nothing twice and writes the
 * same records), reads the incident fresh, and returns what the state machine needs next.
 */
export interface StepDeps extends ResponseDeps {
  signingKeys: () => Promise<SigningKeys>;
}

export interface StepInput {
  incidentId: string;
  key: string;
}

async function load(deps: StepDeps, input: StepInput): Promise<Incident> {
  const incident = await deps.incidents.get(input.incidentId);
  if (!incident) throw new NotFoundError(`incident ${input.key} (${input.incidentId}) does not exist`);
  return incident;
}

/** Pages the tier's recipients, each with their own signed acknowledge link. */
export async function page(deps: StepDeps, input: StepInput & { tier: number }) {
  // The incident and its alerts share a partition: one Query reads both.
  const view = await deps.incidents.view(input.incidentId);
  if (!view) throw new NotFoundError(`incident ${input.key} (${input.incidentId}) does not exist`);
  const { incident } = view;
  const service = serviceOf(deps.organisation, incident.service);
  const { tier, to, label } = pageRecipients(deps.organisation, service, input.tier);
  const timeoutSeconds = acknowledgeTimeoutSeconds(service, incident.severity);
  const result = {
    tier: input.tier,
    nextTier: input.tier + 1,
    ackTimeoutSeconds: timeoutSeconds,
    recipients: to,
  };
  if (incident.status === 'fixing' || incident.status === 'resolved') return { ...result, skipped: true };

  const keys = await deps.signingKeys();
  const alerts = view.alerts.filter((a) => a.status === 'firing');
  const escalated = input.tier > 0;
  for (const [index, recipient] of to.entries()) {
    const exp = Math.floor(deps.now().getTime() / 1000) + deps.organisation.linkTtlHours * 3600;
    const token = signLink(
      { id: ulid(), incidentId: incident.id, key: incident.key, action: 'acknowledge', recipient, exp },
      keys,
    );
    await sendOnce(deps, {
      incidentId: incident.id,
      kind: 'page',
      // One page per tier and recipient: an escalation is a new page, a retried step is not.
      sequence: input.tier * 100 + index + 1,
      recipients: [recipient],
      message: pageEmail({
        incident,
        service,
        baseUrl: deps.baseUrl,
        firingAlerts: alerts,
        acknowledgeUrl: `${deps.baseUrl.replace(/\/+$/, '')}/links/${token}`,
        tierLabel: label,
        escalated,
      }),
      timelineKind: escalated ? 'incident.escalated' : 'page.sent',
      timelineText: escalated
        ? `Not acknowledged in time: escalated to ${label} ${recipient} (tier ${tier}).`
        : `Paged ${label} ${recipient}.`,
      now: deps.now,
    });
  }
  const at = deps.now().toISOString();
  const moved = await deps.incidents.change(incident.id, {
    set: { status: 'paged', pagedAt: at, pageTier: input.tier, updatedAt: at },
    statusIn: ['new'],
  });
  // Already paged (an escalation, or this move's reply was lost and its retry found it done): the entry for
  // the move is written with the time the move recorded, so it exists once whichever attempt writes it.
  const paged =
    moved ??
    (await deps.incidents.change(incident.id, { set: { pageTier: input.tier }, statusIn: ['paged'] }));
  if (paged?.pagedAt) {
    await deps.incidents.appendTimeline({
      incidentId: incident.id,
      eventId: 'status-paged',
      at: paged.pagedAt,
      kind: 'status.changed',
      actor: 'hotline',
      text: 'Status: new → paged.',
      data: { from: 'new', to: 'paged' },
    });
  }
  return result;
}

/**
 * Keeps the acknowledge wait's task token on the incident (server side), then resumes it at once if the
 * incident was acknowledged or resolved before the token was stored.
 */
export async function waitForAcknowledgement(deps: StepDeps, input: StepInput & { token: string }) {
  const incident = await deps.incidents.change(input.incidentId, { set: { ackTaskToken: input.token } });
  if (!incident) throw new NotFoundError(`incident ${input.key} does not exist`);
  if (incident.status === 'fixing') {
    await deps.workflow.resume(input.token, {
      event: 'acknowledged',
      by: incident.acknowledgedBy ?? 'someone',
    });
  } else if (incident.status === 'resolved') {
    await deps.workflow.resume(input.token, { event: 'resolved' });
  }
  return { waiting: incident.status !== 'fixing' && incident.status !== 'resolved' };
}

/**
 * The incident manager is in charge: record the meeting places, send the first internal comms (service list
 * and leadership) and the external wording, and plan the first follow-up.
 */
export async function startResponse(deps: StepDeps, input: StepInput): Promise<LoopPlan> {
  let incident = await load(deps, input);
  const org = deps.organisation;
  const service = serviceOf(org, incident.service);
  const products = affectedProducts(incident, service);
  const now = deps.now();
  if (!incident.chatChannel) {
    incident =
      (await deps.incidents.change(incident.id, {
        set: {
          ...responseLinks(org, incident.key),
          externalWording: initialExternalWording(products),
          updatedAt: now.toISOString(),
        },
      })) ?? incident;
    await deps.incidents.appendTimeline({
      incidentId: incident.id,
      eventId: 'response-started',
      at: now.toISOString(),
      kind: 'response.started',
      actor: 'hotline',
      text: `Response started: chat room #${incident.chatChannel}${incident.videoUrl ? `, video ${incident.videoUrl}` : ''}${incident.stateDocumentUrl ? `, state document ${incident.stateDocumentUrl}` : ''}.`,
    });
  }
  const wording = incident.externalWording ?? initialExternalWording(products);
  const internal = await sendCommsPair(deps, {
    incident,
    service,
    leadership: org.leadership,
    kind: 'initial',
    sequence: 1,
    internal: initialInternalEmail({ incident, products, baseUrl: deps.baseUrl }),
    internalText: 'Initial internal comms sent to the service list and leadership.',
    external: { message: externalEmail(incident, wording), wording },
    timelineKind: 'comms.sent',
    now: deps.now,
  });
  const due = incident.nextUpdateDue ?? nextUpdateDue(service, incident.severity, new Date(internal.sentAt));
  await deps.incidents.change(incident.id, {
    set: { firstCommsAt: incident.firstCommsAt ?? internal.sentAt, ...(due ? { nextUpdateDue: due } : {}) },
  });
  return planLoop(deps.now(), { ...incident, ...(due ? { nextUpdateDue: due } : {}) }, 'started');
}

/**
 * Keeps the comms loop's task token on the incident, then resumes at once if something happened after the
 * wait was planned (an update, a severity change, the resolution) that could not resume the old token.
 */
export async function waitForUpdate(deps: StepDeps, input: StepInput & { token: string; since: string }) {
  const incident = await deps.incidents.change(input.incidentId, { set: { loopTaskToken: input.token } });
  if (!incident) throw new NotFoundError(`incident ${input.key} does not exist`);
  await notifyAlertsResolved(deps, incident);
  const changedSince = (at?: string) => at !== undefined && at > input.since;
  if (incident.status === 'resolved') {
    await deps.workflow.resume(input.token, { ...planLoop(deps.now(), incident, 'resolved') });
  } else if (changedSince(incident.lastUpdateAt) || changedSince(incident.severityChangedAt)) {
    await deps.workflow.resume(input.token, { ...planLoop(deps.now(), incident, 'changed') });
  }
  return { waiting: true };
}

/**
 * The wait ran out: an update is overdue. The first miss reminds the comms manager and the incident manager;
 * the second tells IMOC. Without a cadence (sev 3) nothing is overdue: wait again.
 */
export async function updateOverdue(deps: StepDeps, input: StepInput & { since: string }): Promise<LoopPlan> {
  const incident = await load(deps, input);
  const service = serviceOf(deps.organisation, incident.service);
  const now = deps.now();
  if (incident.status === 'resolved') return planLoop(deps.now(), incident, 'resolved');
  const due = incident.nextUpdateDue;
  // The wait ran out at the due time; what matters is whether anything reset the clock since it was planned.
  const changed = [incident.lastUpdateAt, incident.severityChangedAt].some(
    (at) => at !== undefined && at > input.since,
  );
  if (!due || cadenceMinutes(service, incident.severity) === undefined || changed) {
    return planLoop(deps.now(), incident, due ? 'changed' : 'idle');
  }
  const misses = (incident.missedUpdates ?? 0) + 1;
  const escalated = misses >= 2;
  const roles = incident.roles ?? {};
  const recipients = escalated
    ? deps.organisation.imoc
    : [...new Set([roles.commsManager, roles.incidentManager].filter(isEmailAddress))];
  const to = recipients.length > 0 ? recipients : service.incidentManagers.primary;
  await sendOnce(deps, {
    incidentId: incident.id,
    kind: escalated ? 'overdue-escalation' : 'overdue-reminder',
    // Keyed by the due time it is about: a retried step sends nothing new.
    sequence: Math.floor(Date.parse(due) / 1000),
    recipients: to,
    message: overdueEmail({ incident, baseUrl: deps.baseUrl, dueAt: due, escalated }),
    timelineKind: 'update.overdue',
    timelineText: escalated
      ? `Update due ${due} missed again: escalated to IMOC ${to.join(', ')}.`
      : `Update due ${due} is overdue: reminded ${to.join(', ')}.`,
    now: deps.now,
  });
  const recheck = new Date(
    now.getTime() + overdueRecheckSeconds(service, incident.severity) * 1000,
  ).toISOString();
  const updated = await deps.incidents.change(incident.id, {
    set: { missedUpdates: misses, nextUpdateDue: recheck },
    // Only if no update arrived meanwhile (an update resets the count and the due time).
    expect: { nextUpdateDue: due },
  });
  return planLoop(deps.now(), updated ?? (await load(deps, input)), 'overdue');
}

/**
 * Every alert of the incident has resolved: tell its incident manager, once per time they all clear (a
 * re-fire and a later clear is a new notice). A person resolves the incident; alerts do not.
 */
export async function notifyAlertsResolved(deps: ResponseDeps, incident: Incident): Promise<void> {
  if (incident.status === 'resolved') return;
  const counts = await deps.groups.countsOf(incident);
  if (counts?.firingCount !== 0 || !counts.lastAlertAt) return;
  const service = serviceOf(deps.organisation, incident.service);
  const manager = incident.roles?.incidentManager;
  const recipients = isEmailAddress(manager) ? [manager] : service.incidentManagers.primary;
  await sendOnce(deps, {
    incidentId: incident.id,
    kind: 'alerts-resolved',
    sequence: digestNumber(counts.lastAlertAt),
    recipients,
    message: allAlertsResolvedEmail({
      incident,
      baseUrl: deps.baseUrl,
      alertCount: counts.alertCount,
      lastResolvedAt: counts.lastAlertAt,
    }),
    timelineKind: 'alerts.all-resolved',
    timelineText: `Every alert has resolved; told ${recipients.join(', ')}. The incident stays open until it is resolved.`,
    now: deps.now,
  });
}

/** Final comms: the internal recap (no further comms) and the external "restored, postmortem follows". */
export async function finalComms(deps: StepDeps, input: StepInput) {
  const incident = await load(deps, input);
  const service = serviceOf(deps.organisation, incident.service);
  const products = affectedProducts(incident, service);
  const duration = durationMs(incident.impactStartedAt, incident.impactEndedAt ?? incident.resolvedAt);
  const restored = finalExternalWording(products);
  await sendCommsPair(deps, {
    incident,
    service,
    leadership: deps.organisation.leadership,
    kind: 'final',
    sequence: 1,
    internal: finalInternalEmail({
      incident,
      products,
      baseUrl: deps.baseUrl,
      durationText: durationText(duration ?? 0),
    }),
    internalText: 'Final internal comms sent: resolved, no further comms.',
    external: { message: externalEmail(incident, restored), wording: restored },
    timelineKind: 'comms.sent',
    now: deps.now,
  });
  await deps.incidents.change(incident.id, { remove: ['ackTaskToken', 'loopTaskToken'] });
  return { postmortem: incident.postmortem ?? 'not-required' };
}

export const steps = {
  page,
  waitForAcknowledgement,
  startResponse,
  waitForUpdate,
  updateOverdue,
  finalComms,
} as const;
export type StepName = keyof typeof steps;
