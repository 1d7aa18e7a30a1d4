/** The mails to a postmortem's owner (opened, a fresh editor link, reminders) and to its approvers when overdue. */
import type { Incident } from '../incident.ts';
import { incidentRow, mailTime, render, subjectFor } from './layout.ts';

export interface PostmortemOpenedContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  postmortem: { owner: string; ownerTeam: string; due: string };
  /** The owner's signed editor link (many saves until it expires). */
  editorUrl: string;
  viewUrl: string;
}

/** To the postmortem's owner: it is open, pre-filled, due in five business days; the editor link writes it. */
export function postmortemOpenedEmail({ incident, postmortem, editorUrl, viewUrl }: PostmortemOpenedContext) {
  const { text, html } = render(
    `${incident.key}: the postmortem is yours to write`,
    `The incident is resolved and its postmortem is open for ${postmortem.ownerTeam}, pre-filled with what Hotline recorded. Complete it (what happened, the Five Whys, the root cause and the priority actions), blamelessly, and ask for approval by ${mailTime(postmortem.due)}.`,
    [
      { label: 'Write the postmortem', value: 'Open the editor', href: editorUrl },
      incidentRow(incident, viewUrl),
      { label: 'Owner', value: postmortem.owner },
      { label: 'Due', value: mailTime(postmortem.due) },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Postmortem'), text, html };
}

/** A fresh editor link for the postmortem's owner (asked for from an expired link, the CLI or the API). */
export function postmortemEditorLinkEmail({
  incident,
  postmortem,
  editorUrl,
  viewUrl,
  expiresAt,
}: PostmortemOpenedContext & { expiresAt: string }) {
  const { text, html } = render(
    `${incident.key}: a fresh link to the postmortem editor`,
    `Someone asked for a fresh editor link for the postmortem of ${incident.key}; it is mailed to its owner only. The earlier links keep working until they expire.`,
    [
      { label: 'Write the postmortem', value: 'Open the editor', href: editorUrl },
      incidentRow(incident, viewUrl),
      { label: 'Owner', value: postmortem.owner },
      { label: 'Due', value: mailTime(postmortem.due) },
      { label: 'Link works until', value: mailTime(expiresAt) },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Postmortem editor link'), text, html };
}

export interface PostmortemReminderContext extends PostmortemOpenedContext {
  /** `before`: the day before it is due; `due`: it is due now. */
  when: 'before' | 'due';
}

/** To the owner, before and at the due time: still a draft, and how to finish it. */
export function postmortemReminderEmail({
  incident,
  postmortem,
  editorUrl,
  viewUrl,
  when,
}: PostmortemReminderContext) {
  const { text, html } = render(
    when === 'before'
      ? `${incident.key}: the postmortem is due tomorrow`
      : `${incident.key}: the postmortem is due now`,
    when === 'before'
      ? `The postmortem of this incident is due ${mailTime(postmortem.due)} and is still a draft. Complete it and ask for approval from the editor.`
      : `The postmortem of this incident was due ${mailTime(postmortem.due)} and is still a draft. Its approvers will be told it is overdue; complete it and ask for approval from the editor.`,
    [
      { label: 'Write the postmortem', value: 'Open the editor', href: editorUrl },
      incidentRow(incident, viewUrl),
      { label: 'Owner', value: postmortem.owner },
      { label: 'Due', value: mailTime(postmortem.due) },
    ],
    [],
  );
  return {
    subject: subjectFor(incident, when === 'before' ? 'Postmortem due tomorrow' : 'Postmortem due'),
    text,
    html,
  };
}

export interface PostmortemOverdueContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  postmortem: { owner: string; ownerTeam: string; due: string };
  viewUrl: string;
}

/** To the service's approvers: the postmortem they will approve is overdue (they are its managers). */
export function postmortemOverdueEmail({ incident, postmortem, viewUrl }: PostmortemOverdueContext) {
  const { text, html } = render(
    `${incident.key}: the postmortem is overdue`,
    `The postmortem of this incident was due ${mailTime(postmortem.due)} and has not been sent for approval. It is owned by ${postmortem.ownerTeam} (${postmortem.owner}); you are one of its approvers.`,
    [
      incidentRow(incident, viewUrl),
      { label: 'Owner', value: postmortem.owner },
      { label: 'Due', value: mailTime(postmortem.due) },
    ],
    [],
  );
  return { subject: subjectFor(incident, 'Postmortem overdue'), text, html };
}
