import {
  type ActionCompletion,
  type ActionReminder,
  actionReminderEmail,
  COMPLETE_ACTION,
  reminderDue,
  reminderWindow,
  type TrackedAction,
  trackedActions,
} from '../core/actions.ts';
import type { Organisation, Severity } from '../core/config.ts';
import { ConflictError, NotFoundError } from '../core/errors.ts';
import { digestNumber } from '../core/keys.ts';
import { issueLink, type SigningKeys, signedLinkUrl } from '../core/links.ts';
import { serviceOf } from '../core/organisation.ts';
import type { Postmortem } from '../core/postmortem.ts';
import {
  MAX_RECORDED_FAILURES,
  type SweepItemFailure,
  type SweepName,
  sweepItemFailure,
} from '../core/sweeps.ts';
import type { ActionQuery, ActionStore, IncidentStore, PostmortemStore, SweepRunStore } from './ports.ts';
import { type Outbox, sendOnce } from './send-once.ts';

/**
 * Postmortem actions followed until done: the projection written at approval, the lists, completion (API, CLI,
 * a reminder's "mark done" link), and the reminder sweep.
 */

export interface ActionDeps {
  actions: ActionStore;
  postmortems: PostmortemStore;
  incidents: Pick<IncidentStore, 'appendTimeline'>;
  now: () => Date;
}

export interface ReminderDeps extends Outbox {
  actions: ActionStore;
  /** The sweep's last completed run: where it catches up from. */
  sweeps: SweepRunStore;
  organisation: Organisation;
  newId: () => string;
}

/** How long a reminder's "mark done" link works: past the breach reminder of a reminder sent a week before. */
export const MARK_DONE_LINK_DAYS = 30;

/**
 * Writes the item of each action of an approved postmortem (once: a retry, or the publication step after an
 * approval that stopped half way, leaves the first items as they are).
 */
export async function trackPostmortemActions(
  deps: Pick<ActionDeps, 'actions'>,
  postmortem: Postmortem,
  summary: string,
): Promise<void> {
  if (!postmortem.approvedAt) return;
  await deps.actions.track(trackedActions(postmortem, summary));
}

export function listActions(deps: Pick<ActionDeps, 'actions'>, query: ActionQuery) {
  return deps.actions.list(query);
}

export async function getAction(deps: Pick<ActionDeps, 'actions'>, actionId: string) {
  const action = await deps.actions.get(actionId);
  if (!action) throw new NotFoundError(`no action ${actionId.slice(0, 40)}`);
  return action;
}

/**
 * Marks an open action done: its item (conditional on it being open: a second completion is a 409), then the
 * postmortem's action list (a change of the record, not a new content version), then the incident's timeline.
 */
export async function completeAction(
  deps: ActionDeps,
  input: { actionId: string; by: string; via: 'api' | 'link' } & ActionCompletion,
): Promise<TrackedAction> {
  const existing = await getAction(deps, input.actionId);
  if (existing.status !== 'open') {
    throw new ConflictError(
      `action ${existing.id} is already done (by ${existing.doneBy} at ${existing.doneAt})`,
    );
  }
  const doneAt = deps.now().toISOString();
  const done = await deps.actions.complete(existing.id, {
    doneAt,
    doneBy: input.by,
    ...(input.trackerUrl ? { trackerUrl: input.trackerUrl } : {}),
    ...(input.note ? { note: input.note } : {}),
  });
  if (!done) {
    const now = await deps.actions.get(existing.id);
    throw new ConflictError(`action ${existing.id} is already done (by ${now?.doneBy} at ${now?.doneAt})`);
  }
  await markDoneInPostmortem(deps, done);
  await deps.incidents.appendTimeline({
    incidentId: done.incidentId,
    eventId: `action-completed-${done.id}`,
    at: doneAt,
    kind: 'action.completed',
    actor: input.by,
    text: `${done.kind === 'priority' ? 'Priority action' : 'Action'} "${done.title}" marked done by ${input.by}${input.via === 'link' ? ' (from a reminder)' : ''}${done.note ? `: ${done.note}` : '.'}`,
    data: { actionId: done.id, ...(done.trackerUrl ? { trackerUrl: done.trackerUrl } : {}) },
  });
  return done;
}

/**
 * The postmortem's own list says the action is done too: a write under the postmortem's lock (an edit, an
 * approval or the publication meanwhile makes it apply again to what is there, so neither write is lost).
 */
async function markDoneInPostmortem(deps: ActionDeps, done: TrackedAction): Promise<void> {
  await deps.postmortems.update(done.incidentId, (postmortem) => {
    const current = postmortem.actions.find((a) => a.id === done.id);
    if (!current || current.status === 'done') return undefined;
    const next: Postmortem = {
      ...postmortem,
      actions: postmortem.actions.map((a) =>
        a.id === done.id
          ? {
              ...a,
              status: 'done' as const,
              doneAt: done.doneAt as string,
              doneBy: done.doneBy as string,
              ...(done.trackerUrl ? { trackerUrl: done.trackerUrl } : {}),
            }
          : a,
      ),
    };
    return { postmortem: next };
  });
}

export interface ReminderSweepResult {
  /** `<actionId>:<reminder>` of each reminder sent by this run. */
  sent: string[];
  /** Open actions read (those due within the window). */
  read: number;
  /** The reminders that failed (`<actionId>:<reminder>`, and why): tried again by the next run. */
  failed: SweepItemFailure[];
  /** The due dates read: from a week before the last completed run to the horizon. */
  from: string;
  to: string;
}

const SWEEP: SweepName = 'ActionReminders';

/**
 * The reminder sweep (hourly): reads the open actions due from a week before its last completed run (so a sweep
 * that was down catches up on the breaches it missed; a week before now on its first run) to the horizon, from
 * the sparse index (one Query, no Scan), and sends each the reminder due now at its service's business morning,
 * once (sendOnce per action and reminder): to the owner team, and on breach to the service's approvers as
 * well. Every mail carries a signed "mark done" link for its recipient. Each action is tried on its own: one that
 * fails (SES refuses a recipient) is recorded in the result and the run record, the others are still reminded,
 * and it is tried again by the next run (its reminder is not marked sent).
 */
export async function sweepActionReminders(deps: ReminderDeps): Promise<ReminderSweepResult> {
  const now = deps.now();
  const last = await deps.sweeps.lastRun(SWEEP);
  const { from, to } = reminderWindow(now, last?.ranAt);
  // `~` sorts after the `#<id>` of an action due exactly at `to`.
  const open = await deps.actions.openDueBetween(from, `${to}~`);
  const result: ReminderSweepResult = { sent: [], read: open.length, failed: [], from, to };
  for (const action of open) {
    let reminder: ActionReminder | undefined;
    try {
      const service = serviceOf(deps.organisation, action.service);
      reminder = reminderDue(action, now, service.businessHours);
      if (!reminder || action.reminded?.includes(reminder)) continue;
      if (await remind(deps, action, reminder)) result.sent.push(`${action.id}:${reminder}`);
      // After the mails: a sweep that stops in between sends again, and sendOnce makes that a no-op.
      await deps.actions.markReminded(action.id, reminder);
    } catch (error) {
      result.failed.push(sweepItemFailure(`${action.id}:${reminder ?? 'unknown'}`, error));
    }
  }
  await deps.sweeps.recordRun({
    sweep: SWEEP,
    ranAt: now.toISOString(),
    completedAt: deps.now().toISOString(),
    read: result.read,
    handled: result.sent.length,
    failed: result.failed.slice(0, MAX_RECORDED_FAILURES),
    failedCount: result.failed.length,
  });
  return result;
}

async function remind(deps: ReminderDeps, action: TrackedAction, reminder: ActionReminder): Promise<boolean> {
  const service = serviceOf(deps.organisation, action.service);
  const team = service.team ?? service.comms.internal[0];
  const recipients: { address: string; to: 'team' | 'approvers' }[] = team
    ? [{ address: team, to: 'team' }]
    : [];
  if (reminder === 'breach' && action.kind === 'priority') {
    for (const address of new Set([...service.approvers.mandatory, ...service.approvers.optional])) {
      if (address !== team) recipients.push({ address, to: 'approvers' });
    }
  }
  const keys = await deps.signingKeys();
  let sent = false;
  const failures: string[] = [];
  for (const recipient of recipients) {
    try {
      if (await remindOne(deps, action, reminder, recipient, keys)) sent = true;
    } catch (error) {
      // The other recipients are still reminded; the action's reminder is tried again by the next run.
      failures.push(`${recipient.address}: ${describeError(error)}`);
    }
  }
  if (failures.length > 0) throw new Error(`reminder not sent to ${failures.join('; ')}`);
  return sent;
}

function describeError(error: unknown): string {
  return error instanceof Error ? `${error.name}: ${error.message}` : String(error);
}

/** One recipient's reminder, once (true when this call sent it). */
async function remindOne(
  deps: ReminderDeps,
  action: TrackedAction,
  reminder: ActionReminder,
  recipient: { address: string; to: 'team' | 'approvers' },
  keys: SigningKeys,
): Promise<boolean> {
  const ttlHours = MARK_DONE_LINK_DAYS * 24;
  const incident = {
    key: action.incidentKey,
    severity: action.severity as Severity,
    summary: action.summary,
  };
  const markDoneUrl = signedLinkUrl(
    deps.baseUrl,
    issueLink(keys, {
      id: deps.newId(),
      incidentId: action.incidentId,
      key: action.incidentKey,
      action: COMPLETE_ACTION,
      recipient: recipient.address,
      ttlHours,
      now: deps.now(),
      ref: action.id,
    }),
  );
  const result = await sendOnce(deps, {
    incidentId: action.incidentId,
    incidentKey: action.incidentKey,
    kind: `action-${reminder}`,
    // Once per action, reminder and recipient: a second sweep (or a retried one) sends nothing again.
    sequence: digestNumber(`${action.id}|${recipient.address}`),
    recipients: [recipient.address],
    message: (viewUrl) =>
      actionReminderEmail({ incident, action, reminder, markDoneUrl, viewUrl, to: recipient.to }),
    timelineKind: 'action.reminded',
    timelineText: `Reminded ${recipient.address} that the action "${action.title}" is ${reminder === 'before' ? 'due in 7 days' : reminder === 'due' ? 'due' : 'overdue'}.`,
    now: deps.now,
  });
  return !result.alreadySent;
}
