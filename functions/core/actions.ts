import { type BusinessHours, businessMorningOfDay } from './business-hours.ts';
import { type ActionKind, actionKinds, type PostmortemAction, postmortemLimits } from './postmortem.ts';

/**
 * Postmortem actions followed until done: each action of an approved postmortem gets an item of its own (a
 * projection of the postmortem's action list, like the status page's), listed by due date on a sparse index
 * while open, reminded before, at and after its due date, and completed from the API, the CLI or the signed
 * "mark done" link of a reminder. Pure data and rules.
 */

/** An action as it is followed after approval: the postmortem's action and what the lists and mails need. */
export interface TrackedAction extends PostmortemAction {
  incidentId: string;
  /** The incident's key (HOT-42). */
  incidentKey: string;
  summary: string;
  severity: number;
  service: string;
  /** When the postmortem was approved (the action's SLO runs from then). */
  approvedAt: string;
  /** What the person who completed it said. */
  note?: string;
  /** The reminders sent (the sweep skips these without writing anything). */
  reminded?: ActionReminder[];
}

export const actionStatuses = ['open', 'done'] as const;
export type ActionStatus = (typeof actionStatuses)[number];

/** The link action of a reminder's "mark done" link; its `ref` is the action's id. */
export const COMPLETE_ACTION = 'complete-action';

/** The sort key of an open action: by due date, actions without one (improvements) last. */
export const NO_DUE_DATE = '9999';

export const actionLimits = { note: 1_000, url: postmortemLimits.url } as const;

const DAY_MS = 86_400_000;

/** Reminders of a priority action: a week before, at its due time, and the day after (breach). */
export const actionReminders = ['before', 'due', 'breach'] as const;
export type ActionReminder = (typeof actionReminders)[number];

/**
 * How far ahead of now the sweep reads open actions: the earliest reminder is a week before the due day, moved to
 * the business day before when that day is none (a week of days off is the most it can move).
 */
export const REMINDER_HORIZON_MS = 15 * DAY_MS;
/**
 * How far back from its last completed run the sweep reads: the last reminder (breach) is the first business
 * morning after the due day, within a week of it, so an action whose breach came after that run is due within
 * this. The first run ever reads this far back from now.
 */
export const REMINDER_LOOKBACK_MS = 7 * DAY_MS;
/** A sweep down for longer than this catches up this far only: the sweep never reads every overdue action ever. */
export const REMINDER_CATCH_UP_MAX_MS = 60 * DAY_MS;

/**
 * The due dates the sweep reads at `now`: from a week before its last completed run (a sweep that was down
 * catches up on the breaches it missed; at most REMINDER_CATCH_UP_MAX_MS back), or a week before now on its
 * first run, to the horizon.
 */
export function reminderWindow(now: Date, lastRunAt?: string): { from: string; to: string } {
  const last = lastRunAt === undefined ? Number.NaN : Date.parse(lastRunAt);
  const since = Number.isNaN(last) ? now.getTime() : Math.min(last, now.getTime());
  const from = Math.max(since - REMINDER_LOOKBACK_MS, now.getTime() - REMINDER_CATCH_UP_MAX_MS);
  return {
    from: new Date(from).toISOString(),
    to: new Date(now.getTime() + REMINDER_HORIZON_MS).toISOString(),
  };
}

/**
 * When each reminder of the action is due, at the owning service's business morning in its time zone (as the
 * sev 3 team reminders): a week before the due day and on the due day (each on the business day before when
 * that day is none: a warning may come early, never late), and on the first business day after the due day
 * (breach). Improvements are reminded only on their own due day.
 */
export function reminderTimes(
  action: Pick<PostmortemAction, 'kind' | 'dueAt'>,
  hours: BusinessHours,
): { reminder: ActionReminder; at: number }[] {
  if (!action.dueAt) return [];
  const due = Date.parse(action.dueAt);
  if (Number.isNaN(due)) return [];
  const morning = (days: number, toward: 'earlier' | 'later') =>
    businessMorningOfDay(hours, new Date(due), toward, days).getTime();
  if (action.kind !== 'priority') return [{ reminder: 'due', at: morning(0, 'earlier') }];
  return [
    { reminder: 'before', at: morning(-7, 'earlier') },
    { reminder: 'due', at: morning(0, 'earlier') },
    { reminder: 'breach', at: morning(1, 'later') },
  ];
}

/**
 * The reminder an open action is due at `now`: the latest whose time has come (a missed one is not sent late
 * when a later one is due). Undefined when none has come or the action is done. Each is sent once (sendOnce per
 * action and reminder), so calling this again at a later time is safe.
 */
export function reminderDue(
  action: Pick<PostmortemAction, 'kind' | 'dueAt' | 'status'>,
  now: Date,
  hours: BusinessHours,
): ActionReminder | undefined {
  if (action.status !== 'open') return undefined;
  let due: ActionReminder | undefined;
  for (const { reminder, at } of reminderTimes(action, hours)) if (at <= now.getTime()) due = reminder;
  return due;
}

export function isOverdue(action: Pick<PostmortemAction, 'dueAt' | 'status'>, now: Date): boolean {
  return action.status === 'open' && action.dueAt !== undefined && Date.parse(action.dueAt) < now.getTime();
}

/** The tracked item of each action of a postmortem being approved. */
export function trackedActions(
  postmortem: {
    incidentId: string;
    key: string;
    severity: number;
    service: string;
    approvedAt?: string;
    actions: readonly PostmortemAction[];
  },
  summary: string,
): TrackedAction[] {
  const approvedAt = postmortem.approvedAt ?? '';
  return postmortem.actions.map((action) => ({
    ...action,
    incidentId: postmortem.incidentId,
    incidentKey: postmortem.key,
    summary,
    severity: postmortem.severity,
    service: postmortem.service,
    approvedAt,
  }));
}

/** What completing an action may carry (API body, CLI): where the work was tracked, and a note. */
export interface ActionCompletion {
  trackerUrl?: string;
  note?: string;
}

/** The completion body, checked: a tracker URL must be http(s); the note is capped. Throws a message. */
export function parseCompletion(body: unknown): ActionCompletion {
  if (body === undefined || body === null) return {};
  if (typeof body !== 'object' || Array.isArray(body)) throw new Error('the body must be a JSON object');
  const { trackerUrl, note, ...rest } = body as Record<string, unknown>;
  const unknown = Object.keys(rest);
  if (unknown.length > 0) throw new Error(`unknown field ${unknown[0]?.slice(0, 40)}`);
  const result: ActionCompletion = {};
  if (trackerUrl !== undefined) {
    if (typeof trackerUrl !== 'string' || !isHttpUrl(trackerUrl) || trackerUrl.length > actionLimits.url)
      throw new Error('trackerUrl must be an http or https URL');
    result.trackerUrl = trackerUrl;
  }
  if (note !== undefined) {
    if (typeof note !== 'string') throw new Error('note must be text');
    if (note.length > actionLimits.note)
      throw new Error(`note is longer than ${actionLimits.note} characters`);
    if (note.trim()) result.note = note.trim();
  }
  return result;
}

function isHttpUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}

export function isActionKind(value: string): value is ActionKind {
  return (actionKinds as readonly string[]).includes(value);
}

// The reminder mail lives with the other mails (core/mails/actions.ts); its names stay importable from here.
export { type ActionReminderContext, actionReminderEmail } from './mails/actions.ts';
