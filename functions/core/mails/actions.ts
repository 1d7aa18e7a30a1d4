/** The reminders of a postmortem's open actions, each with its single-use "mark done" link. */
import type { ActionReminder, TrackedAction } from '../actions.ts';
import type { Incident } from '../incident.ts';
import { cap } from '../text.ts';
import { incidentRow, mailTime, render, subjectFor } from './layout.ts';

export interface ActionReminderContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  action: Pick<TrackedAction, 'title' | 'kind' | 'ownerTeam' | 'dueAt' | 'trackerUrl'>;
  reminder: ActionReminder;
  /** The signed single-use "mark done" link for this mail's recipient. */
  markDoneUrl: string;
  viewUrl: string;
  /** `approvers`: the breach mail to the service's approvers (they committed to the action). */
  to: 'team' | 'approvers';
}

/** A reminder of an open action, with its "mark done" link. */
export function actionReminderEmail({
  incident,
  action,
  reminder,
  markDoneUrl,
  viewUrl,
  to,
}: ActionReminderContext) {
  const kind = action.kind === 'priority' ? 'Priority action' : 'Action';
  const due = action.dueAt ? mailTime(action.dueAt) : undefined;
  const headline =
    reminder === 'before'
      ? `${incident.key}: a priority action is due in 7 days`
      : reminder === 'due'
        ? `${incident.key}: ${kind.toLowerCase()} due today`
        : `${incident.key}: a priority action is overdue`;
  const intro =
    reminder === 'breach'
      ? to === 'approvers'
        ? `This priority action of the postmortem you approved missed its SLO (due ${due ?? 'no due date'}). It is owned by ${action.ownerTeam}.`
        : `This priority action missed its SLO (due ${due ?? 'no due date'}); the postmortem's approvers are told. Finish it, or mark it done when it is.`
      : `This ${kind.toLowerCase()} of the postmortem is due ${due ?? 'with no due date'}. Mark it done when it is.`;
  const { text, html } = render(
    headline,
    intro,
    [
      { label: kind, value: cap(action.title, 300) },
      { label: 'Mark done', value: 'Mark this action done', href: markDoneUrl },
      incidentRow(incident, viewUrl),
      { label: 'Owner team', value: action.ownerTeam },
      { label: 'Due', value: due ?? 'no due date' },
      ...(action.trackerUrl
        ? [{ label: 'Tracked at', value: action.trackerUrl, href: action.trackerUrl }]
        : []),
    ],
    [],
  );
  const suffix =
    reminder === 'before' ? 'Action due in 7 days' : reminder === 'due' ? 'Action due' : 'Action overdue';
  return { subject: subjectFor(incident, suffix), text, html };
}
