import { sameAddress } from '../core/approvals.ts';
import { durationText, followUpInternalEmail, roleNamedEmail } from '../core/comms.ts';
import type { Organisation, Severity } from '../core/config.ts';
import { ConflictError, NotFoundError, ValidationError } from '../core/errors.ts';
import {
  durationMs,
  type Incident,
  postmortemNeed,
  RESOLUTION_WORDS,
  type ResolutionKind,
  type Roles,
  statesLeadingTo,
} from '../core/incident.ts';
import { digestNumber } from '../core/keys.ts';
import type { SigningKeys } from '../core/links.ts';
import { changeText, type MeasuresCorrection, planCorrection } from '../core/measures.ts';
import { serviceOf } from '../core/organisation.ts';
import type { MeetingPlaces } from '../core/responder.ts';
import {
  affectedProducts,
  cadenceMinutes,
  isEmailAddress,
  type LoopPlan,
  nextUpdateDue,
  planLoop,
  routeFor,
} from '../core/response.ts';
import type { IncidentUpdate } from '../core/updates.ts';
import { acknowledgementResume, loopResume } from '../core/workflow-resume.ts';
import type {
  AlertGroupStore,
  ChannelHealthStore,
  CommsStore,
  IncidentStore,
  Mailer,
  OverrideStore,
  PageCodeStore,
  PageCountStore,
  PagerSender,
  PostmortemStore,
  StatusPageStore,
  WorkflowCallback,
} from './ports.ts';
import { refreshDraftPrefill } from './postmortem-prefill.ts';
import { sendCommsPair, sendOnce } from './send-once.ts';

/** What the response actions (API, CLI and emailed links) need. */
export interface ResponseDeps {
  incidents: IncidentStore;
  groups: Pick<AlertGroupStore, 'countsOf' | 'close'>;
  comms: CommsStore;
  statusPage: Pick<StatusPageStore, 'publish'>;
  mailer: Mailer;
  workflow: WorkflowCallback;
  organisation: Organisation;
  baseUrl: string;
  now: () => Date;
  /** Link signing keys: every mail naming an incident carries a signed link to its page. */
  signingKeys: () => Promise<SigningKeys>;
  /** The postmortems, where a response changes one (a correction of the measures refreshes a draft's pre-fill). */
  postmortems?: PostmortemStore;
  /** Schedule overrides, where a tier pages through a schedule (use-cases/page-recipients.ts). */
  overrides?: OverrideStore;
  /** SMS and voice pages (the workflow's page step) and their acknowledgement codes. */
  pager?: PagerSender;
  pageCodes?: PageCodeStore;
  /** Pages per person and hour, for the storm limit (`paging.sms.maxPerHour`). */
  pageCounts?: PageCountStore;
  /** Where a page refused for the monthly spend limit is noted (the channel check tells the operators). */
  spendLimits?: Pick<ChannelHealthStore, 'noteSpendLimitHit'>;
}

export async function incidentOrThrow(
  deps: Pick<ResponseDeps, 'incidents'>,
  ref: { key?: string; incidentId?: string },
): Promise<Incident> {
  const incident = ref.incidentId
    ? await deps.incidents.get(ref.incidentId)
    : await deps.incidents.byKey(ref.key ?? '');
  if (!incident) throw new NotFoundError(`incident ${ref.key ?? ref.incidentId} does not exist`);
  return incident;
}

export interface AcknowledgeResult {
  key: string;
  outcome: 'acknowledged' | 'already-acknowledged';
  acknowledgedBy: string;
  acknowledgedAt: string;
}

/** Where an acknowledgement came from (recorded on its timeline entry). */
export type AcknowledgedVia = 'link' | 'api' | 'sms' | 'mail';

/** What recording an acknowledgement needs: no mail (an SMS reply acknowledges without one). */
export type AcknowledgeDeps = Pick<ResponseDeps, 'incidents' | 'workflow' | 'now'>;

/**
 * The incident manager takes charge: the incident moves to fixing (once), the acknowledger becomes incident
 * manager unless one is named, and the waiting workflow resumes. A later acknowledgement changes nothing.
 */
export async function acknowledge(
  deps: ResponseDeps,
  input: { key?: string; incidentId?: string; by: string; via: 'link' | 'api' },
): Promise<AcknowledgeResult> {
  const { incident, current, result } = await recordAcknowledgement(deps, input);
  const by = result.acknowledgedBy;
  // Acknowledged through the API or the CLI (perhaps by an operator for them): the incident manager gets their
  // responder link by mail, as the acknowledge link's page gives it to one who acknowledges from the mail.
  const manager = current.roles?.incidentManager;
  if (input.via === 'api' && isEmailAddress(manager))
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'role-named',
      sequence: digestNumber(`${ROLE_WORDS.incidentManager}|${manager.toLowerCase()}|acknowledged`),
      recipients: [manager],
      responders: [manager],
      message: (url) => roleNamedEmail({ incident: current, role: ROLE_WORDS.incidentManager, by, url }),
      timelineKind: 'comms.sent',
      timelineText: `Told ${manager} they are incident manager, with their responder link.`,
      now: deps.now,
    });
  return result;
}

/**
 * The acknowledgement itself, whichever way it came: the status change (once), its timeline entry and the
 * workflow's resumption (both again on a repeat, to complete what a failed attempt left). `text` gives the
 * timeline entry's words (an SMS reply names the person who sent it). A resolved incident is a ConflictError.
 */
export async function recordAcknowledgement(
  deps: AcknowledgeDeps,
  input: { key?: string; incidentId?: string; by: string; via: AcknowledgedVia; text?: string },
): Promise<{ incident: Incident; current: Incident; result: AcknowledgeResult }> {
  const incident = await incidentOrThrow(deps, input);
  if (incident.status === 'resolved') throw new ConflictError(`${incident.key} is already resolved`);
  const at = deps.now().toISOString();
  const updated = await deps.incidents.change(incident.id, {
    set: {
      status: 'fixing',
      acknowledgedAt: at,
      acknowledgedBy: input.by,
      updatedAt: at,
      roles: { ...incident.roles, incidentManager: incident.roles?.incidentManager ?? input.by },
    },
    statusIn: statesLeadingTo('fixing'),
  });
  const current = updated ?? (await incidentOrThrow(deps, { incidentId: incident.id }));
  if (current.status === 'resolved') throw new ConflictError(`${incident.key} is already resolved`);
  const by = current.acknowledgedBy ?? input.by;
  const acknowledgedAt = current.acknowledgedAt ?? at;
  // Written (again) on a repeat too: a retry after a failure between the status change and these follow-ups
  // completes them; the entry's id and time make the rewrite the same item.
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: 'acknowledged',
    at: acknowledgedAt,
    kind: 'incident.acknowledged',
    actor: by,
    text: input.text ?? `${by} acknowledged and is in charge as incident manager. Status: → fixing.`,
    data: { to: 'fixing', via: input.via },
  });
  // The token is written before the waiting step reads the incident, so one of the two always resumes it.
  if (current.ackTaskToken)
    await deps.workflow.resume(
      current.ackTaskToken,
      acknowledgementResume('acknowledged', { acknowledgedBy: by, severity: current.severity }),
    );
  return {
    incident,
    current,
    result: {
      key: incident.key,
      outcome: updated ? 'acknowledged' : 'already-acknowledged',
      acknowledgedBy: by,
      acknowledgedAt,
    },
  };
}

/** Resumes the comms loop with a fresh plan (it also resumes by itself if this races with its next wait). */
async function wakeLoop(deps: ResponseDeps, incident: Incident, event: LoopPlan['event']) {
  if (incident.loopTaskToken)
    await deps.workflow.resume(incident.loopTaskToken, loopResume(planLoop(deps.now(), incident, event)));
}

/**
 * A follow-up update, posted by a person. The checklist is validated by the caller (core/updates.ts); here the
 * next-update promise must fit the severity's cadence, the update gets the next sequence number (once), the
 * internal list and leadership get it, the external list gets the short external text, and the loop restarts
 * its clock from the promised time.
 */
export async function postUpdate(
  deps: ResponseDeps,
  input: { key: string; by: string; update: IncidentUpdate },
): Promise<{ key: string; sequence: number; nextUpdateDue: string }> {
  const incident = await incidentOrThrow(deps, input);
  if (incident.status === 'resolved')
    throw new ConflictError(`${incident.key} is resolved: no further updates`);
  const service = serviceOf(deps.organisation, incident.service);
  const now = deps.now();
  const promised = Date.parse(input.update.nextUpdateAt);
  if (promised <= now.getTime()) throw new ValidationError('nextUpdateAt must be in the future');
  const cadence = cadenceMinutes(service, incident.severity);
  if (cadence !== undefined && promised > now.getTime() + cadence * 60_000 + 60_000) {
    throw new ValidationError(
      `nextUpdateAt is too far: Sev ${incident.severity} updates are due every ${cadence} minutes`,
    );
  }
  const sequence = (incident.updateCount ?? 0) + 1;
  const nextDue = new Date(promised).toISOString();
  const at = now.toISOString();
  // Claim the sequence number first: a concurrent update gets a conflict instead of the same number.
  const claimed = await deps.incidents.change(incident.id, {
    set: {
      updateCount: sequence,
      lastUpdateAt: at,
      nextUpdateDue: nextDue,
      missedUpdates: 0,
      updatedAt: at,
      // The latest stated impact wins everywhere it is shown (pages, the resolution mail, the postmortem).
      statedImpact: input.update.impact,
      statedImpactAt: at,
    },
    expect: { updateCount: incident.updateCount ?? null },
  });
  if (!claimed) throw new ConflictError('another update was posted at the same time; reload and retry');
  const products = affectedProducts(claimed, service);
  const external = input.update.external;
  await sendCommsPair(deps, {
    incident,
    service,
    leadership: deps.organisation.leadership,
    kind: 'update',
    sequence,
    internal: (viewUrl) =>
      followUpInternalEmail({ incident: claimed, products, viewUrl, update: input.update, sequence }),
    internalText: `Update ${sequence} by ${input.by}: ${input.update.summary} Next update by ${nextDue}.`,
    ...(external ? { external: { wording: external } } : {}),
    timelineKind: 'update.posted',
    now: deps.now,
  });
  await wakeLoop(deps, claimed, 'update');
  return { key: incident.key, sequence, nextUpdateDue: nextDue };
}

/**
 * A severity change: recorded, shown in later comms, and the cadence follows it from now. Before anyone has
 * acknowledged, a change between sev 3 (the owner team, business hours) and sev 1-2 (paging) changes the route:
 * the waiting workflow resumes with `raised` (it pages at once) or `lowered` (it stops escalating and tells the
 * team). The waiting step checks the severity too, for a token stored after this read it.
 */
export async function changeSeverity(
  deps: ResponseDeps,
  input: { key: string; by: string; severity: Severity; reason: string },
) {
  const incident = await incidentOrThrow(deps, input);
  if (incident.status === 'resolved') throw new ConflictError(`${incident.key} is resolved`);
  if (incident.severity === input.severity)
    return { key: incident.key, severity: incident.severity, changed: false };
  const service = serviceOf(deps.organisation, incident.service);
  const now = deps.now();
  const cadenceDue = nextUpdateDue(service, input.severity, now);
  // A tighter cadence brings the next update forward; a looser one never pushes a promised update back.
  const due =
    cadenceDue && incident.nextUpdateDue
      ? cadenceDue < incident.nextUpdateDue
        ? cadenceDue
        : incident.nextUpdateDue
      : cadenceDue;
  const updated = await deps.incidents.change(incident.id, {
    set: {
      severity: input.severity,
      severityChangedAt: now.toISOString(),
      updatedAt: now.toISOString(),
      ...(incident.status === 'fixing' && due ? { nextUpdateDue: due } : {}),
    },
    expect: { severity: incident.severity },
  });
  if (!updated) throw new ConflictError('the severity changed meanwhile; reload and retry');
  if (incident.status === 'fixing' && !due)
    await deps.incidents.change(incident.id, { remove: ['nextUpdateDue'] });
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `severity-${now.getTime()}`,
    at: now.toISOString(),
    kind: 'severity.changed',
    actor: input.by,
    text: `Severity Sev ${incident.severity} → Sev ${input.severity} by ${input.by}: ${input.reason}`,
    data: { from: incident.severity, to: input.severity, reason: input.reason },
  });
  // The wait's own route (`ackWait`) decides, not the old severity: a token from a definition without the sev 3
  // route has none and is left alone (its Choice would read any event but `resolved` as acknowledged).
  const unacknowledged = updated.status === 'new' || updated.status === 'paged';
  // (The wait after every alert cleared is no route's: a severity change leaves it as it is.)
  const waitsFor =
    updated.ackWait === 'team' ? 'team' : updated.ackWait === 'incidentManager' ? 'page' : undefined;
  if (unacknowledged && updated.ackTaskToken && waitsFor && waitsFor !== routeFor(input.severity)) {
    await deps.workflow.resume(
      updated.ackTaskToken,
      acknowledgementResume(waitsFor === 'team' ? 'raised' : 'lowered', { severity: input.severity }),
    );
  }
  await wakeLoop(deps, updated, 'changed');
  return { key: incident.key, severity: input.severity, changed: true };
}

/** A role a person can be named to, in words (the timeline, and the mail telling them). */
const ROLE_WORDS = {
  incidentManager: 'incident manager',
  techLeads: 'tech lead',
  commsManager: 'comms manager',
} as const;

/** Who is newly named by a change of roles (not holding that role before), with the role's words. */
function newlyNamed(before: Roles, after: Roles): { address: string; role: string }[] {
  const was = (list: readonly (string | undefined)[], address: string) =>
    list.some((p) => p !== undefined && sameAddress(p, address));
  const out: { address: string; role: string }[] = [];
  if (after.incidentManager && !was([before.incidentManager], after.incidentManager))
    out.push({ address: after.incidentManager, role: ROLE_WORDS.incidentManager });
  for (const lead of after.techLeads ?? [])
    if (!was(before.techLeads ?? [], lead)) out.push({ address: lead, role: ROLE_WORDS.techLeads });
  if (after.commsManager && !was([before.commsManager], after.commsManager))
    out.push({ address: after.commsManager, role: ROLE_WORDS.commsManager });
  return out;
}

/**
 * Roles (incident manager, one or more tech leads, comms manager) and the meeting places (chat room, video call,
 * state document): shown in every later message. Each person newly named is mailed their responder link.
 */
export async function setRoles(
  deps: ResponseDeps,
  input: { key?: string; incidentId?: string; by: string; roles?: Roles; meeting?: MeetingPlaces },
) {
  const incident = await incidentOrThrow(deps, input);
  const named = input.roles ?? {};
  const roles: Roles = { ...incident.roles, ...named };
  const now = deps.now().toISOString();
  const meeting = input.meeting ?? {};
  const places = (['chatRoomUrl', 'videoUrl', 'stateDocumentUrl'] as const).filter((k) => k in meeting);
  const set = Object.fromEntries(places.filter((k) => meeting[k]).map((k) => [k, meeting[k]]));
  const remove = places.filter((k) => !meeting[k]);
  await deps.incidents.change(incident.id, {
    set: { roles, updatedAt: now, ...set },
    ...(remove.length ? { remove } : {}),
  });
  const described = [
    named.incidentManager ? `incident manager ${named.incidentManager}` : '',
    named.techLeads ? `tech leads ${named.techLeads.join(', ')}` : '',
    named.commsManager ? `comms manager ${named.commsManager}` : '',
    ...places.map((k) => `${PLACE_WORDS[k]} ${meeting[k] || '(cleared)'}`),
  ].filter(Boolean);
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `roles-${Date.parse(now)}`,
    at: now,
    kind: 'roles.changed',
    actor: input.by,
    text: `${places.length && !input.roles ? 'Meeting places' : 'Roles'} set by ${input.by}: ${described.join('; ')}.`,
    data: { roles: named, ...(places.length ? { meeting } : {}) },
  });
  const after = { ...incident, roles, ...set };
  for (const k of remove) delete after[k];
  for (const { address, role } of newlyNamed(incident.roles ?? {}, named)) {
    if (!isEmailAddress(address)) continue;
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'role-named',
      sequence: digestNumber(`${role}|${address.toLowerCase()}|${now}`),
      recipients: [address],
      responders: [address],
      message: (url) => roleNamedEmail({ incident: after, role, by: input.by, url }),
      timelineKind: 'comms.sent',
      timelineText: `Told ${address} they are ${role}, with their responder link.`,
      now: deps.now,
    });
  }
  return {
    key: incident.key,
    roles,
    meeting: {
      chatRoomUrl: after.chatRoomUrl ?? null,
      videoUrl: after.videoUrl ?? null,
      stateDocumentUrl: after.stateDocumentUrl ?? null,
    },
  };
}

const PLACE_WORDS = {
  chatRoomUrl: 'chat room',
  videoUrl: 'video call',
  stateDocumentUrl: 'state document',
} as const;

/**
 * Corrections of the measures (impact start and end, detection), after the fact: recorded on the timeline with
 * what changed and why, the first keeps the measures as first recorded. Conditional on the last correction the
 * caller read, so two at once cannot both apply to the same values.
 */
export async function correctMeasures(
  deps: ResponseDeps,
  input: { key?: string; incidentId?: string; by: string; correction: MeasuresCorrection },
) {
  const incident = await incidentOrThrow(deps, input);
  const now = deps.now();
  const { set, changes } = planCorrection(incident, input.correction, now);
  const at = now.toISOString();
  const updated = await deps.incidents.change(incident.id, {
    set: { ...set, measuresCorrectedAt: at, updatedAt: at },
    expect: { measuresCorrectedAt: incident.measuresCorrectedAt ?? null },
  });
  if (!updated) throw new ConflictError('the measures were corrected meanwhile; reload and retry');
  const clock = (iso: string) => `${iso.slice(0, 16).replace('T', ' ')} UTC`;
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: `measures-${now.getTime()}`,
    at,
    kind: 'measures.corrected',
    actor: input.by,
    text: `Measures corrected by ${input.by}: ${changes.map((c) => changeText(c, clock)).join('; ')}. Why: ${input.correction.reason.trim()}`,
    data: { changes, reason: input.correction.reason.trim() },
  });
  const postmortems = deps.postmortems;
  const prefillRefreshed = postmortems
    ? await refreshDraftPrefill({ ...deps, postmortems }, { incident: updated, by: input.by })
    : [];
  return {
    key: incident.key,
    impactStartedAt: updated.impactStartedAt,
    detectedAt: updated.detectedAt,
    ...(updated.impactEndedAt ? { impactEndedAt: updated.impactEndedAt } : {}),
    changes,
    ...(prefillRefreshed.length > 0 ? { postmortemFieldsRefreshed: prefillRefreshed } : {}),
  };
}

export interface Resolution {
  /**
   * How it ended (default `resolved`); a `duplicate` names the incident it duplicates. People choose among
   * CHOSEN_RESOLUTION_KINDS; only the workflow resolves as `cleared-before-acknowledgement`.
   */
  kind?: ResolutionKind;
  duplicateOf?: string;
  impactStartedAt?: string;
  impactEndedAt?: string;
  supportCases: number;
  /** Sev 3 only: ask for a postmortem anyway. */
  postmortemRequested?: boolean;
  summary?: string;
}

/**
 * Resolution, by a person: impact start and end (defaulted from the alerts), support cases. The workflow then
 * sends the final comms; sev 1-2 need a postmortem, sev 3 only on request. The alert group is closed, so the
 * next firing of the same alerts opens a new incident linked to this one.
 */
export async function resolveIncident(
  deps: ResponseDeps,
  input: { key: string; by: string; resolution: Resolution },
) {
  const incident = await incidentOrThrow(deps, input);
  if (incident.status === 'resolved') throw new ConflictError(`${incident.key} is already resolved`);
  const now = deps.now().toISOString();
  const impactStartedAt = input.resolution.impactStartedAt ?? incident.impactStartedAt;
  // Without a time from the resolver: when the last alert resolved (if none still fires), else now.
  const alerts = await deps.groups.countsOf(incident);
  const alertEnd = alerts?.firingCount === 0 && alerts.lastAlertAt ? alerts.lastAlertAt : undefined;
  const impactEndedAt = input.resolution.impactEndedAt ?? alertEnd ?? now;
  if (impactEndedAt < impactStartedAt) throw new ValidationError('impactEndedAt is before impactStartedAt');
  const kind = input.resolution.kind ?? 'resolved';
  if (kind === 'duplicate') {
    const of = input.resolution.duplicateOf?.trim().toUpperCase() ?? '';
    if (!of) throw new ValidationError('a duplicate names the incident it duplicates (duplicateOf)');
    if (of === incident.key) throw new ValidationError(`${incident.key} cannot duplicate itself`);
    if (!(await deps.incidents.idForKey(of)))
      throw new ValidationError(`duplicateOf: incident ${of} does not exist`);
  }
  const postmortem = postmortemNeed(incident.severity, input.resolution.postmortemRequested === true, kind);
  const updated = await deps.incidents.change(incident.id, {
    set: {
      status: 'resolved',
      resolvedAt: now,
      resolvedBy: input.by,
      impactStartedAt,
      impactEndedAt,
      supportCases: input.resolution.supportCases,
      postmortem,
      resolution: kind,
      ...(kind === 'duplicate' ? { duplicateOf: input.resolution.duplicateOf?.trim().toUpperCase() } : {}),
      updatedAt: now,
    },
    statusIn: statesLeadingTo('resolved'),
  });
  if (!updated) throw new ConflictError(`${incident.key} was resolved meanwhile`);
  if (incident.groupKey) await deps.groups.close(incident.source, incident.groupKey, incident.id);
  const ttr = durationMs(impactStartedAt, impactEndedAt) ?? 0;
  await deps.incidents.appendTimeline({
    incidentId: incident.id,
    eventId: 'resolved',
    at: now,
    kind: 'incident.resolved',
    actor: input.by,
    text: `${kind === 'resolved' ? 'Resolved' : kind === 'false-alarm' ? 'Resolved as a false alarm' : kind === 'duplicate' ? `Resolved as a duplicate of ${input.resolution.duplicateOf?.trim().toUpperCase()}` : `Resolved as ${RESOLUTION_WORDS[kind]}`} by ${input.by}: impact ${impactStartedAt} → ${impactEndedAt} (${durationText(ttr)}), ${input.resolution.supportCases} support case(s). Postmortem: ${postmortem}.${input.resolution.summary ? ` ${input.resolution.summary}` : ''}`,
    data: {
      from: incident.status,
      to: 'resolved',
      impactStartedAt,
      impactEndedAt,
      postmortem,
      resolution: kind,
    },
  });
  const token = updated.loopTaskToken ?? updated.ackTaskToken;
  if (token) await deps.workflow.resume(token, loopResume(planLoop(deps.now(), updated, 'resolved')));
  return {
    key: incident.key,
    resolution: kind,
    impactStartedAt,
    impactEndedAt,
    timeToRecoverMs: ttr,
    postmortem,
  };
}
