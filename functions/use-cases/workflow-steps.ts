import { ulid } from 'ulid';
import { alertLinks } from '../core/alert.ts';
import {
  businessDayNumber,
  describeBusinessHours,
  describeLocalTime,
  isBusinessTime,
  nextBusinessMorning,
} from '../core/business-hours.ts';
import {
  alertsClearedEmail,
  allAlertsResolvedEmail,
  durationText,
  finalExternalWording,
  finalInternalEmail,
  initialExternalWording,
  initialInternalEmail,
  overdueEmail,
  pageEmail,
  teamNoticeEmail,
  teamReminderEmail,
} from '../core/comms.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import { shouldContinue } from '../core/executions.ts';
import { durationMs, type Incident } from '../core/incident.ts';
import { digestNumber } from '../core/keys.ts';
import { issueLink, signedLinkUrl } from '../core/links.ts';
import { replyAddress } from '../core/mail-replies.ts';
import { serviceOf } from '../core/organisation.ts';
import { HELD_MESSAGE_ID, stormLimit } from '../core/page-storm.ts';
import { type PageRecipient, pageSequence, recipientWords } from '../core/page-targets.ts';
import { smsClearedText } from '../core/pages-sms.ts';
import { DEFAULT_NOTIFICATION_RULES, type NotificationRule } from '../core/people.ts';
import {
  acknowledgeTimeoutSeconds,
  affectedProducts,
  cadenceMinutes,
  clearedGraceSeconds,
  clearedPlan,
  isEmailAddress,
  isUnacknowledged,
  type LoopPlan,
  nextUpdateDue,
  overdueRecheckSeconds,
  pageRecipients,
  planLoop,
  RESUMED_WAIT_FALLBACK_SECONDS,
  type ResponseRoute,
  responseLinks,
  routeFor,
  teamAddress,
} from '../core/response.ts';
import { statusPageUrl } from '../core/status-page.ts';
import { type AcknowledgementEvent, acknowledgementResume, loopResume } from '../core/workflow-resume.ts';
import { addressesOf, recipientsOf } from './page-recipients.ts';
import { phoneNoticeOnce, phonePageOnce } from './phone-pages.ts';
import { type ResponseDeps, resolveIncident } from './respond.ts';
import { sendCommsPair, sendOnce } from './send-once.ts';

/**
 * The steps of the incident workflow. Each is idempotent (a retried step sends nothing twice and writes the
 * same records), reads the incident fresh, and returns what the state machine needs next.
 */
export type StepDeps = ResponseDeps;

export interface StepInput {
  incidentId: string;
  key: string;
}

async function load(deps: StepDeps, input: StepInput): Promise<Incident> {
  const incident = await deps.incidents.get(input.incidentId);
  if (!incident) throw new NotFoundError(`incident ${input.key} (${input.incidentId}) does not exist`);
  return incident;
}

/** A recipient's notification rules: a person's own (a mail at once by default), an address's: a mail at once. */
function rulesFor(org: StepDeps['organisation'], recipient: PageRecipient): readonly NotificationRule[] {
  const person =
    recipient.personId && Object.hasOwn(org.people ?? {}, recipient.personId)
      ? org.people?.[recipient.personId]
      : undefined;
  return person?.notificationRules?.length ? person.notificationRules : DEFAULT_NOTIFICATION_RULES;
}

/**
 * Pages the tier's recipients, each with their own signed acknowledge link, through each person's notification
 * rules (an address: a mail at once). `round` (from the route step) tells a page after a change of severity from
 * the pages before it, so raising an incident pages again.
 *
 * A rule that fires later (a call after 3 minutes) is reached by answering the same tier as `nextTier` with the
 * wait until it: the acknowledgement wait runs out then and pages this tier again, which fires the next rules
 * (`incident.tierPage` says which have fired and whom the page reached, so the same people are paged whatever
 * the schedule says by then). Once every rule has fired the tier's own timeout starts, then the next tier.
 */
export async function page(deps: StepDeps, input: StepInput & { tier: number; round?: number }) {
  const head = await load(deps, input);
  const service = serviceOf(deps.organisation, head.service);
  const { tier, to: entries, label } = pageRecipients(deps.organisation, service, input.tier);
  const round = input.round ?? 0;
  // This tier's page again: after its wait ran out (a wait keeps a new task token) for the next rules, or a
  // retry of the step (the same token), which fires what it fired (nothing twice: the sends are claimed).
  const followUp =
    head.tierPage?.tier === input.tier && head.tierPage.round === round ? head.tierPage : undefined;
  // Resolved now: whoever is on call in a schedule at this moment, overrides included (a follow-up pages whom
  // the tier's page reached).
  const recipients = followUp ? followUp.recipients : await recipientsOf(deps, entries);
  const to = recipients.map((r) => r.address);
  // A repeat of the last tier's page (the IMOC, paged again each timeout while nobody acknowledges) names the
  // incident and links its page; the first page of each tier lists the firing alerts. The repeats do not read the
  // incident's whole partition, which grows with every page: a page weeks into an incident costs what the first
  // one did.
  const repeat = input.tier > tier;
  // The incident and its alerts share a partition: one Query reads both.
  const view =
    repeat || followUp ? { incident: head, alerts: [] } : await deps.incidents.view(input.incidentId);
  if (!view) throw new NotFoundError(`incident ${input.key} (${input.incidentId}) does not exist`);
  const { incident } = view;
  const timeoutSeconds = acknowledgeTimeoutSeconds(service, incident.severity);
  // Where the tier's rules stand: the minute mark this page fires (0 at first), and the next one.
  const rulesOf = (r: PageRecipient) => rulesFor(deps.organisation, r);
  const marks = [...new Set(recipients.flatMap((r) => rulesOf(r).map((rule) => rule.afterMinutes)))].sort(
    (a, b) => a - b,
  );
  const waitedSince = followUp !== undefined && head.ackTaskToken !== followUp.afterToken;
  const mark = !followUp
    ? 0
    : waitedSince
      ? (marks.find((m) => m > followUp.firedMinutes) ?? followUp.firedMinutes)
      : followUp.firedMinutes;
  const nextMark = marks.find((m) => m > mark);
  const result = {
    tier: input.tier,
    nextTier: nextMark === undefined ? input.tier + 1 : input.tier,
    round,
    // The wait until the next rule fires; after the last one, the tier's own timeout.
    ackTimeoutSeconds: nextMark === undefined ? timeoutSeconds : (nextMark - mark) * 60,
    recipients: to,
  };
  if (incident.status === 'fixing' || incident.status === 'resolved') return { ...result, skipped: true };

  const keys = await deps.signingKeys();
  const alerts = view.alerts
    .filter((a) => a.status === 'firing')
    .map((a) => ({ summary: a.summary, startsAt: a.startsAt, links: alertLinks(a) }));
  const escalated = input.tier > 0;
  // Escalated at once because the tier before reached nobody on any channel (its delivery events said so).
  const skipsUnreached =
    head.pageUndeliverable?.tier === input.tier - 1 && head.pageUndeliverable.round === round;
  const people = deps.organisation.people ?? {};
  const replies = deps.organisation.mailReplies;
  for (const [index, recipientEntry] of recipients.entries()) {
    const { address: recipient, ...who } = recipientEntry;
    const sequence = pageSequence(round, input.tier, index);
    // Every rule up to the mark: what an earlier page or attempt sent is claimed, and not sent again.
    const due = rulesOf(recipientEntry).filter((rule) => rule.afterMinutes <= mark);
    const channels = [...new Set(due.map((rule) => rule.channel))];
    const mailPage = async (instead?: string) => {
      const token = issueLink(keys, {
        id: ulid(),
        incidentId: incident.id,
        key: incident.key,
        action: 'acknowledge',
        recipient,
        ttlHours: deps.organisation.linkTtlHours,
        now: deps.now(),
      });
      const by = instead ? ` by mail (${instead})` : '';
      await sendOnce(deps, {
        incidentId: incident.id,
        incidentKey: incident.key,
        kind: 'page',
        // One page per round, tier and recipient: an escalation or a re-route is a new page, a retried step is not.
        sequence,
        recipients: [recipient],
        message: (viewUrl) =>
          pageEmail({
            incident,
            service,
            viewUrl,
            firingAlerts: alerts,
            acknowledgeUrl: signedLinkUrl(deps.baseUrl, token),
            tierLabel: repeat ? `${label}, paged again: still not acknowledged` : label,
            escalated,
            ...(replies ? { replyTo: replyAddress(replies.domain, incident) } : {}),
          }),
        timelineKind: escalated ? 'incident.escalated' : 'page.sent',
        timelineText: escalated
          ? `${skipsUnreached ? 'The page before reached nobody' : 'Not acknowledged in time'}: escalated to ${label} ${recipientWords({ address: recipient, ...who })} (tier ${tier})${by}.`
          : `Paged ${label} ${recipientWords({ address: recipient, ...who })}${by}.`,
        now: deps.now,
      });
    };
    // A text or call held for the storm limit (paging.sms.maxPerHour) leaves the page to the mail.
    let held: 'sms' | 'voice' | undefined;
    for (const channel of channels) {
      if (channel === 'email') {
        await mailPage();
        continue;
      }
      const person = who.personId && Object.hasOwn(people, who.personId) ? people[who.personId] : undefined;
      const outcome = await phonePageOnce(deps, {
        incident,
        channel,
        sequence,
        person: {
          id: who.personId ?? recipient,
          name: person?.name ?? recipient,
          address: recipient,
          phone: person?.phone,
        },
        label: escalated ? `${label} (escalated)` : label,
        maxPerHour: stormLimit(deps.organisation.paging, channel),
      });
      if (outcome === 'held') held ??= channel;
    }
    // Their rules had no mail (yet): the held page goes by mail all the same, never dropped.
    if (held && !channels.includes('email'))
      await mailPage(
        held === 'sms' ? 'the text was held: too many this hour' : 'the call was held: too many this hour',
      );
  }
  const tierPage = {
    tier: input.tier,
    round,
    recipients,
    firedMinutes: mark,
    // The IMOC, paged again each timeout: a page that reaches nobody there has nobody further to go to.
    ...(pageRecipients(deps.organisation, service, input.tier + 1).tier === tier ? { last: true } : {}),
    ...(head.ackTaskToken ? { afterToken: head.ackTaskToken } : {}),
  };
  const at = deps.now().toISOString();
  const pagedTo = [...new Set([...(head.pagedTo ?? []), ...to])];
  const moved = await deps.incidents.change(incident.id, {
    set: { status: 'paged', pagedAt: at, pageTier: input.tier, pagedTo, tierPage, updatedAt: at },
    statusIn: ['new'],
  });
  // Already paged (an escalation, or this move's reply was lost and its retry found it done): the entry for
  // the move is written with the time the move recorded, so it exists once whichever attempt writes it.
  const paged =
    moved ??
    (await deps.incidents.change(incident.id, {
      set: { pageTier: input.tier, pagedTo, tierPage },
      statusIn: ['paged'],
    }));
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

/** Which acknowledgement the workflow waits for: the paged incident manager's, or a sev 3 team's. */
export type AcknowledgementWait = NonNullable<Incident['ackWait']>;

/** Where a wait is: its task token, and the execution waiting (counted, see core/executions.ts). */
export interface WaitInput extends StepInput {
  token: string;
  execution?: string | undefined;
  executionStartedAt?: string | undefined;
}

/**
 * Keeps a wait's task token on the incident and counts the wait for its execution (from 1 again in a new
 * execution): one write, a second only at the first wait of an execution. True in `handOver` when the execution
 * has waited enough: the wait then resumes itself with `continue`, and a new execution picks the incident up.
 */
async function keepIncidentWait(
  deps: StepDeps,
  input: WaitInput,
  change: { set: Partial<Incident>; remove?: (keyof Incident)[] },
): Promise<{ incident: Incident; handOver: boolean }> {
  const { execution } = input;
  const incident = execution
    ? ((await deps.incidents.change(input.incidentId, {
        ...change,
        increment: 'waitsCount',
        expect: { waitsExecution: execution },
      })) ??
      (await deps.incidents.change(input.incidentId, {
        ...change,
        set: { ...change.set, waitsExecution: execution, waitsCount: 1 },
      })))
    : await deps.incidents.change(input.incidentId, change);
  if (!incident) throw new NotFoundError(`incident ${input.key} does not exist`);
  const handOver =
    execution !== undefined &&
    shouldContinue({ waits: incident.waitsCount ?? 0, startedAt: input.executionStartedAt, now: deps.now() });
  return { incident, handOver };
}

/** Whether the tier paged now reached nobody on any channel (its delivery events said so: use-cases/mail-events). */
function reachedNobody(incident: Incident): boolean {
  const { pageUndeliverable: failed, tierPage } = incident;
  return !!failed && !!tierPage && failed.tier === tierPage.tier && failed.round === tierPage.round;
}

/**
 * Keeps the acknowledge wait's task token on the incident (server side) with whose acknowledgement it waits for,
 * then resumes it at once if that happened before the token was stored: an acknowledgement or the resolution,
 * or a severity change that moved the incident to the other route (a team wait whose incident is now sev 1-2 is
 * `raised`, an incident manager's wait whose incident is now sev 3 is `lowered`). Without `wait` (a definition
 * from before the sev 3 route, still running its executions) only acknowledgements and resolutions resume it.
 *
 * A definition that handles alerts clearing before anyone acknowledges says so (`clears`): its waits are also
 * resumed with `cleared` when every alert has cleared (the escalation stops), and its wait during the grace that
 * follows (`wait: cleared`) with `refired` when one fires again. Ingest resumes them as that happens; this step
 * does when it happened before the token was kept.
 */
export async function waitForAcknowledgement(
  deps: StepDeps,
  input: WaitInput & { wait?: AcknowledgementWait | undefined; clears?: boolean | undefined },
) {
  const clears = input.clears === true;
  const { incident, handOver } = await keepIncidentWait(
    deps,
    input,
    input.wait
      ? { set: { ackTaskToken: input.token, ackWait: input.wait, ackWaitClears: clears } }
      : { set: { ackTaskToken: input.token }, remove: ['ackWait', 'ackWaitClears'] },
  );
  const waitsFor: ResponseRoute | undefined =
    input.wait === 'team' ? 'team' : input.wait === 'incidentManager' ? 'page' : undefined;
  let event: AcknowledgementEvent | undefined;
  if (incident.status === 'fixing') event = 'acknowledged';
  else if (incident.status === 'resolved') event = 'resolved';
  else if (waitsFor && routeFor(incident.severity) !== waitsFor)
    event = waitsFor === 'team' ? 'raised' : 'lowered';
  else if (clears && input.wait !== 'cleared' && incident.alertsClearedAt) event = 'cleared';
  else if (clears && input.wait === 'cleared' && !incident.alertsClearedAt) event = 'refired';
  else if (clears && input.wait === 'incidentManager' && reachedNobody(incident)) event = 'undeliverable';
  else if (handOver) event = 'continue';
  if (event) await deps.workflow.resume(input.token, acknowledgementResume(event, incident));
  return { waiting: event === undefined };
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
          externalWording: initialExternalWording(products, statusPageUrl(deps.baseUrl)),
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
  const wording = incident.externalWording ?? initialExternalWording(products, statusPageUrl(deps.baseUrl));
  const internal = await sendCommsPair(deps, {
    incident,
    service,
    leadership: org.leadership,
    kind: 'initial',
    sequence: 1,
    internal: (viewUrl) => initialInternalEmail({ incident, products, viewUrl }),
    internalText: 'Initial internal comms sent to the service list and leadership.',
    external: { wording },
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
 * wait was planned (an update, a severity change, the resolution) that could not resume the old token, or hands
 * the incident over to a new execution when this one has waited enough.
 */
export async function waitForUpdate(deps: StepDeps, input: WaitInput & { since: string }) {
  const { incident, handOver } = await keepIncidentWait(deps, input, { set: { loopTaskToken: input.token } });
  await notifyAlertsResolved(deps, incident);
  const changedSince = (at?: string) => at !== undefined && at > input.since;
  if (incident.status === 'resolved') {
    await deps.workflow.resume(input.token, loopResume(planLoop(deps.now(), incident, 'resolved')));
  } else if (changedSince(incident.lastUpdateAt) || changedSince(incident.severityChangedAt)) {
    await deps.workflow.resume(input.token, loopResume(planLoop(deps.now(), incident, 'changed')));
  } else if (handOver) {
    await deps.workflow.resume(input.token, loopResume(planLoop(deps.now(), incident, 'continue')));
  }
  return { waiting: true };
}

/**
 * The wait ran out: an update is overdue. The first miss reminds the comms manager and the incident manager;
 * the second tells IMOC. Without a cadence (sev 3) nothing is overdue: wait again.
 */
export async function updateOverdue(
  deps: StepDeps,
  input: StepInput & {
    since: string;
    execution?: string | undefined;
    executionStartedAt?: string | undefined;
  },
): Promise<LoopPlan> {
  const incident = await load(deps, input);
  const service = serviceOf(deps.organisation, incident.service);
  const now = deps.now();
  if (incident.status === 'resolved') return planLoop(deps.now(), incident, 'resolved');
  // The wait timed out before it could hand over (it counts itself, then resumes; a short wait may be quicker):
  // the hand-over happens here instead.
  const waited = incident.waitsExecution === input.execution ? (incident.waitsCount ?? 0) : 0;
  if (input.execution && shouldContinue({ waits: waited, startedAt: input.executionStartedAt, now }))
    return planLoop(now, incident, 'continue');
  const due = incident.nextUpdateDue;
  // The wait ran out at the due time; what matters is whether anything reset the clock since it was planned.
  const changed = [incident.lastUpdateAt, incident.severityChangedAt].some(
    (at) => at !== undefined && at > input.since,
  );
  if (!due || cadenceMinutes(service, incident.severity) === undefined || changed) {
    return planLoop(deps.now(), incident, due ? 'changed' : 'idle');
  }
  // A sev 3 is worked on in business hours: an update falling due out of hours is due the next business morning.
  if (routeFor(incident.severity) === 'team' && !isBusinessTime(service.businessHours, now)) {
    const deferred = await deps.incidents.change(incident.id, {
      set: { nextUpdateDue: nextBusinessMorning(service.businessHours, now).toISOString() },
      expect: { nextUpdateDue: due },
    });
    return planLoop(deps.now(), deferred ?? (await load(deps, input)), 'changed');
  }
  const misses = (incident.missedUpdates ?? 0) + 1;
  const escalated = misses >= 2;
  const roles = incident.roles ?? {};
  const recipients = escalated
    ? await addressesOf(deps, deps.organisation.imoc)
    : [...new Set([roles.commsManager, roles.incidentManager].filter(isEmailAddress))];
  const to = recipients.length > 0 ? recipients : await addressesOf(deps, service.incidentManagers.primary);
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: escalated ? 'overdue-escalation' : 'overdue-reminder',
    // Keyed by the due time it is about: a retried step sends nothing new.
    sequence: Math.floor(Date.parse(due) / 1000),
    recipients: to,
    // The incident manager and comms manager each get their own responder link (post the update from there).
    responders: escalated ? [] : recipients,
    message: (viewUrl) => overdueEmail({ incident, viewUrl, dueAt: due, escalated }),
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
  const recipients = isEmailAddress(manager)
    ? [manager]
    : (incident.pagedTo ?? (await addressesOf(deps, service.incidentManagers.primary)));
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'alerts-resolved',
    sequence: digestNumber(counts.lastAlertAt),
    recipients,
    // The incident manager's own link: resolve it from their responder page.
    responders: isEmailAddress(manager) ? [manager] : [],
    message: (viewUrl) =>
      allAlertsResolvedEmail({
        incident,
        viewUrl,
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
  const restored = finalExternalWording(products, statusPageUrl(deps.baseUrl), {
    postmortem: (incident.postmortem ?? 'not-required') !== 'not-required',
    ...(incident.resolution ? { kind: incident.resolution } : {}),
  });
  await sendCommsPair(deps, {
    incident,
    service,
    leadership: deps.organisation.leadership,
    kind: 'final',
    sequence: 1,
    internal: (viewUrl) =>
      finalInternalEmail({ incident, products, viewUrl, durationText: durationText(duration ?? 0) }),
    internalText: 'Final internal comms sent: resolved, no further comms.',
    // Customers hear it is over only if they heard of it: an incident resolved before its response started
    // (its alerts cleared before anyone acknowledged, or resolved at once) published nothing to them.
    ...(incident.firstCommsAt ? { external: { wording: restored } } : {}),
    timelineKind: 'comms.sent',
    now: deps.now,
  });
  // Whoever was paged for it hears it is over, even when they are on none of the lists the recap went to.
  const told = new Set(
    [...service.comms.internal, ...deps.organisation.leadership].map((a) => a.toLowerCase()),
  );
  // Who was paged, as recorded when paged (a page before 0.3.0 recorded none: the tiers' addresses then).
  const paged = incident.pagedAt
    ? [
        ...new Set(
          incident.pagedTo ??
            Array.from(
              { length: (incident.pageTier ?? 0) + 1 },
              (_, tier) => pageRecipients(deps.organisation, service, tier).to,
            ).flat(),
        ),
      ].filter((a) => isEmailAddress(a) && !told.has(a.toLowerCase()))
    : [];
  if (paged.length > 0)
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'paged-resolved',
      sequence: 1,
      recipients: paged,
      message: (viewUrl) =>
        finalInternalEmail({ incident, products, viewUrl, durationText: durationText(duration ?? 0) }),
      timelineKind: 'comms.sent',
      timelineText: `Told ${paged.join(', ')}, who were paged for it, that it is resolved.`,
      now: deps.now,
    });
  await deps.incidents.change(incident.id, { remove: ['ackTaskToken', 'loopTaskToken'] });
  return { postmortem: incident.postmortem ?? 'not-required' };
}

/** Whole seconds from `now` until `at`, at least 1 (a task-token wait needs a positive timeout). */
function secondsUntil(at: Date, now: Date): number {
  return Math.max(1, Math.ceil((at.getTime() - now.getTime()) / 1000));
}

/**
 * Which way the workflow goes from the incident's current severity: sev 1-2 page the incident manager, sev 3
 * goes to the owner team. Run at the start and again whenever a severity change crosses between the two.
 * `round` is 0 the first time and, after a severity change, the seconds from opening to that change (plus 1):
 * the mails of a new round are new mails (a re-raised incident pages again), a retried step's are not.
 */
export async function route(deps: StepDeps, input: StepInput) {
  const incident = await load(deps, input);
  return {
    nextTier: 0,
    round: routeRound(incident),
    route: routeFor(incident.severity),
    severity: incident.severity,
  };
}

/**
 * The round of the incident's current route: 0, or after a severity change (or an alert that fired again after
 * they all cleared, whichever was last) the seconds to it from opening, + 1.
 */
export function routeRound(incident: Incident): number {
  const changes = [incident.severityChangedAt, incident.alertsRefiredAt].filter((t): t is string => !!t);
  const last = changes.sort().at(-1);
  return last ? Math.max(0, Math.floor((Date.parse(last) - Date.parse(incident.openedAt)) / 1000)) + 1 : 0;
}

/**
 * Every alert cleared before anyone acknowledged: tell whoever was paged (by mail, and by text those paged by
 * phone) or the sev 3 team that the escalation has stopped, once per time they all clear; answer the wait until
 * the grace ends. Run again (a retry, a new execution), it sends nothing twice and waits what is left.
 */
export async function alertsCleared(deps: StepDeps, input: StepInput) {
  const incident = await load(deps, input);
  const service = serviceOf(deps.organisation, incident.service);
  const now = deps.now();
  const clearedAt = incident.alertsClearedAt ?? now.toISOString();
  const plan = clearedPlan(clearedAt, clearedGraceSeconds(service, incident.severity), now);
  // Acknowledged, resolved or fired again meanwhile: the wait that follows resumes at once with that.
  if (!incident.alertsClearedAt || !isUnacknowledged(incident)) return plan;
  const paged = incident.pagedTo ?? [];
  const recipients = paged.length > 0 ? paged : incident.teamNotifiedAt ? [teamAddress(service)] : [];
  const sequence = digestNumber(clearedAt);
  const resolves = plan.resolvesAt
    ? `it resolves as cleared-before-acknowledgement at ${plan.resolvesAt} unless someone acknowledges or an alert fires again`
    : 'a person resolves it';
  if (recipients.length > 0) {
    await sendOnce(deps, {
      incidentId: incident.id,
      incidentKey: incident.key,
      kind: 'alerts-cleared',
      sequence,
      recipients,
      message: (viewUrl) => alertsClearedEmail({ incident, viewUrl, clearedAt, resolvesAt: plan.resolvesAt }),
      timelineKind: 'alerts.cleared',
      timelineText: `Every alert cleared before anyone acknowledged: escalation stopped; told ${recipients.join(', ')}. ${resolves[0]?.toUpperCase()}${resolves.slice(1)}.`,
      now: deps.now,
    });
  } else {
    await deps.incidents.appendTimeline({
      incidentId: incident.id,
      eventId: `alerts-cleared-${sequence}`,
      at: now.toISOString(),
      kind: 'alerts.cleared',
      actor: 'hotline',
      text: `Every alert cleared before anyone acknowledged: escalation stopped. ${resolves[0]?.toUpperCase()}${resolves.slice(1)}.`,
    });
  }
  // Those paged by phone hear it by text too: not those whose every text and call was held for the storm limit
  // (they were paged by mail, and the mail above tells them). Read only where a limit can hold pages.
  const phoned =
    stormLimit(deps.organisation.paging, 'sms') === undefined &&
    stormLimit(deps.organisation.paging, 'voice') === undefined
      ? undefined
      : new Set(
          ((await deps.incidents.view(incident.id))?.comms ?? [])
            .filter((c) => c.kind.startsWith('page-') && c.messageId !== HELD_MESSAGE_ID)
            .flatMap((c) => c.recipients.map((r) => r.toLowerCase())),
        );
  const text = smsClearedText({
    key: incident.key,
    severity: incident.severity,
    resolvesAt: plan.resolvesAt,
  });
  for (const [id, person] of Object.entries(deps.organisation.people ?? {})) {
    if (!person.phone || !paged.includes(person.email)) continue;
    const current = incident.tierPage?.recipients.some(
      (r) => r.personId === id || r.address === person.email,
    );
    const fired = current ? (incident.tierPage?.firedMinutes ?? 0) : Number.POSITIVE_INFINITY;
    if (!person.notificationRules.some((r) => r.channel !== 'email' && r.afterMinutes <= fired)) continue;
    if (phoned && !phoned.has(person.email.toLowerCase())) continue;
    await phoneNoticeOnce(deps, {
      incident,
      kind: 'alerts-cleared-sms',
      sequence: sequence + digestNumber(id),
      person: { id, name: person.name, address: person.email, phone: person.phone },
      text,
    });
  }
  return plan;
}

/**
 * The grace after every alert cleared ran out: resolve the incident as `cleared-before-acknowledgement` (no
 * postmortem unless someone asks for one), and answer what the acknowledgement outcome reads. Acknowledged,
 * resolved or fired again meanwhile, it resolves nothing and answers that instead.
 */
export async function resolveCleared(deps: StepDeps, input: StepInput) {
  const incident = await load(deps, input);
  const service = serviceOf(deps.organisation, incident.service);
  if (incident.status === 'fixing') return acknowledgementResume('acknowledged', incident);
  if (incident.status === 'resolved') return acknowledgementResume('resolved', incident);
  if (!incident.alertsClearedAt) return acknowledgementResume('refired', incident);
  // A service whose grace is none waits for a person: the grace wait begins again.
  if (clearedGraceSeconds(service, incident.severity) === undefined)
    return acknowledgementResume('cleared', incident);
  try {
    await resolveIncident(deps, {
      key: incident.key,
      by: 'hotline',
      resolution: { kind: 'cleared-before-acknowledgement', supportCases: 0 },
    });
  } catch (error) {
    // Resolved meanwhile (by a person, or this step's earlier attempt): what it is now is the answer.
    if (!(error instanceof ConflictError)) throw error;
  }
  const now = await load(deps, input);
  return acknowledgementResume(now.status === 'fixing' ? 'acknowledged' : 'resolved', now);
}

/**
 * An alert fired again within the grace: the escalation goes on where it stopped, as a new round (so the tier
 * it had reached is paged again, on every channel, rather than finding its pages already sent), or the sev 3
 * team is told again. With `next` (the tier's page reached nobody on any channel): the next tier, in the same
 * round, at once. Answers what the route step does.
 */
export async function resumeEscalation(deps: StepDeps, input: StepInput & { next?: boolean | undefined }) {
  const incident = await load(deps, input);
  const route = routeFor(incident.severity);
  if (input.next && route === 'page') {
    const tier = incident.tierPage?.tier ?? incident.pageTier ?? 0;
    return {
      nextTier: tier + 1,
      round: incident.tierPage?.round ?? routeRound(incident),
      route,
      severity: incident.severity,
    };
  }
  return {
    nextTier: route === 'page' ? (incident.pageTier ?? 0) : 0,
    round: routeRound(incident),
    route,
    severity: incident.severity,
  };
}

/** The team wait's plan for an incident picked up by a new execution: the next business morning. */
export function teamPlanFor(deps: StepDeps, incident: Incident): TeamPlan {
  const service = serviceOf(deps.organisation, incident.service);
  const now = deps.now();
  return plan(routeRound(incident), nextBusinessMorning(service.businessHours, now), now, false);
}

/** A fresh signed acknowledge link for the team's address (a list: whoever of the team picks it up). */
async function acknowledgeUrlFor(deps: StepDeps, incident: Incident, recipient: string): Promise<string> {
  const token = issueLink(await deps.signingKeys(), {
    id: ulid(),
    incidentId: incident.id,
    key: incident.key,
    action: 'acknowledge',
    recipient,
    ttlHours: deps.organisation.linkTtlHours,
    now: deps.now(),
  });
  return signedLinkUrl(deps.baseUrl, token);
}

/** What a team wait needs: when the team is reminded, and the seconds until then (the wait's timeout). */
interface TeamPlan {
  round: number;
  remindAt: string;
  waitSeconds: number;
  skipped?: boolean;
}

/** Whether a team step has nothing to send: the incident was acknowledged, resolved or raised meanwhile. */
function teamStepSkips(incident: Incident): boolean {
  return (
    incident.status === 'fixing' || incident.status === 'resolved' || routeFor(incident.severity) !== 'team'
  );
}

function plan(round: number, remindAt: Date, now: Date, skipped: boolean): TeamPlan {
  return {
    round,
    remindAt: remindAt.toISOString(),
    waitSeconds: skipped ? RESUMED_WAIT_FALLBACK_SECONDS : secondsUntil(remindAt, now),
    ...(skipped ? { skipped: true } : {}),
  };
}

/**
 * A sev 3 is passed to its service's owner team, not paged: one mail to the team's address with the view link
 * and a signed acknowledge link, once per round. The incident stays `new` until someone acknowledges; the wait
 * that follows lasts until the next business morning, when the team is reminded.
 */
export async function notifyTeam(deps: StepDeps, input: StepInput & { round?: number }): Promise<TeamPlan> {
  const view = await deps.incidents.view(input.incidentId);
  if (!view) throw new NotFoundError(`incident ${input.key} (${input.incidentId}) does not exist`);
  const { incident } = view;
  const service = serviceOf(deps.organisation, incident.service);
  const hours = service.businessHours;
  const round = input.round ?? 0;
  const now = deps.now();
  const remindAt = nextBusinessMorning(hours, now);
  // The wait that follows resumes at once with what happened (acknowledged, resolved, raised).
  if (teamStepSkips(incident)) return plan(round, remindAt, now, true);

  const team = teamAddress(service);
  const acknowledgeUrl = await acknowledgeUrlFor(deps, incident, team);
  const firingAlerts = view.alerts
    .filter((a) => a.status === 'firing')
    .map((a) => ({ summary: a.summary, startsAt: a.startsAt, links: alertLinks(a) }));
  const sent = await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'team-notice',
    sequence: round + 1,
    recipients: [team],
    message: (viewUrl) =>
      teamNoticeEmail({
        incident,
        service,
        viewUrl,
        acknowledgeUrl,
        firingAlerts,
        businessHours: describeBusinessHours(hours),
        remindAt: describeLocalTime(hours, remindAt),
      }),
    timelineKind: 'team.notified',
    timelineText: `Sev 3: passed to ${service.ownerTeam} (${team}) for business hours, ${describeBusinessHours(hours)}; nobody paged. Reminder ${remindAt.toISOString()} if not acknowledged.`,
    now: deps.now,
  });
  await deps.incidents.change(incident.id, {
    set: {
      teamNotifiedAt: incident.teamNotifiedAt ?? sent.sentAt,
      teamReminderDue: remindAt.toISOString(),
      updatedAt: now.toISOString(),
    },
  });
  return plan(round, remindAt, now, false);
}

/**
 * The team wait ran out at a business morning (`remindAt`) with nobody acknowledging: remind the team, with a
 * fresh acknowledge link, once for that business day (the day is the send's sequence), and wait until the
 * next business morning. Timed from the morning it is for, so the days follow one another even when the wait
 * ran out a little early or late.
 */
export async function remindTeam(
  deps: StepDeps,
  input: StepInput & { remindAt: string; round?: number },
): Promise<TeamPlan> {
  const incident = await load(deps, input);
  const service = serviceOf(deps.organisation, incident.service);
  const hours = service.businessHours;
  const round = input.round ?? 0;
  const now = deps.now();
  const morning = new Date(input.remindAt);
  if (Number.isNaN(morning.getTime()))
    throw new Error(`remindTeam: remindAt is not a time: ${input.remindAt}`);
  const next = nextBusinessMorning(hours, new Date(Math.max(now.getTime(), morning.getTime())));
  if (teamStepSkips(incident)) return plan(round, next, now, true);

  const team = teamAddress(service);
  const acknowledgeUrl = await acknowledgeUrlFor(deps, incident, team);
  const day = businessDayNumber(hours, morning);
  await sendOnce(deps, {
    incidentId: incident.id,
    incidentKey: incident.key,
    kind: 'team-reminder',
    sequence: day,
    recipients: [team],
    message: (viewUrl) =>
      teamReminderEmail({
        incident,
        service,
        viewUrl,
        acknowledgeUrl,
        notifiedAt: incident.teamNotifiedAt ?? incident.openedAt,
        remindAt: describeLocalTime(hours, next),
      }),
    timelineKind: 'team.reminded',
    timelineText: `Not acknowledged by the business morning of ${dayText(day)}: reminded ${service.ownerTeam} (${team}).`,
    now: deps.now,
  });
  await deps.incidents.change(incident.id, {
    set: { teamReminderDue: next.toISOString(), updatedAt: now.toISOString() },
  });
  return plan(round, next, now, false);
}

/** 20261123 -> 2026-11-23. */
function dayText(day: number): string {
  const text = String(day);
  return `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
}

export const steps = {
  page,
  waitForAcknowledgement,
  startResponse,
  waitForUpdate,
  updateOverdue,
  finalComms,
  route,
  notifyTeam,
  remindTeam,
  alertsCleared,
  resolveCleared,
  resumeEscalation,
} as const;
export type StepName = keyof typeof steps;
