import { html, joinHtml, NEWLINE, raw } from '../html/html.ts';
import type { Incident } from '../incident.ts';
import type { Postmortem } from '../postmortem.ts';
import { documentHtml, publishedMarkdown, type RenderedSections } from '../postmortem-document.ts';
import { cap } from '../text.ts';
import { type EmailMessage, incidentRow, type MailAppendix, mailTime, render, subjectFor } from './layout.ts';

/**
 * The approval mails, which carry the postmortem itself: its Markdown as text, and as HTML the sections rendered
 * once for its content (core/document-render.ts) with the facts, actions and approvals written around them.
 */
/** The most of a mail part the postmortem document may take: the rest is the mail's own rows. */
export const DOCUMENT_MAIL_CHARS = 90_000;

/**
 * The postmortem document as a mail's appendix: its Markdown as text, its mail-safe HTML (inline styles, no
 * script, nothing remote: core/postmortem-document.ts). One too long for a mail is replaced by a note saying where
 * to read it, so a mail is never cut in the middle of the document.
 */
function documentAppendix(markdown: string, documentHtml: string, whereToRead: string): MailAppendix {
  if (markdown.length > DOCUMENT_MAIL_CHARS || documentHtml.length > DOCUMENT_MAIL_CHARS) {
    const note = `The postmortem is too long to include in an email: ${whereToRead}.`;
    return { text: note, html: html`<p><strong>${note}</strong></p>` };
  }
  return {
    text: ['-----', '', markdown.trimEnd()].join('\n'),
    // raw: the document's mail HTML (core/postmortem-document.ts documentHtml: escaped there, its sections
    // markdown-it's output with HTML input off).
    html: html`<div style="margin-top:24px;padding-top:8px;border-top:2px solid #d0d5dd">\n${raw(documentHtml)}</div>`,
  };
}

/** The incident facts the document shows (a postmortem mail's `incident`). */
type DocumentIncident = Pick<
  Incident,
  'key' | 'severity' | 'summary' | 'service' | 'products' | 'impactStartedAt' | 'impactEndedAt'
>;

export interface ApprovalRequestContext {
  incident: DocumentIncident;
  /** The whole postmortem, as it is in review. */
  postmortem: Postmortem;
  /** Its sections' mail HTML, rendered once for its content (use-cases/document-rendering.ts `sectionsOf`). */
  sections: RenderedSections;
  /** The service's name for the document (its id, the incident's `service`, when absent). */
  serviceName?: string;
  /** The approver's two signed decision links (each opens a confirm page: opening it changes nothing). */
  approveUrl: string;
  requestChangesUrl: string;
  viewUrl: string;
  approver: string;
  mandatory: boolean;
  /** When the links stop working (UTC ISO). */
  expiresAt: string;
  /** A reminder to an approver who has not decided (with fresh links). */
  reminder?: boolean;
  /** Asked again: the version they last decided on, what differs since, and their own comment if they asked for changes. */
  since?: {
    version: number;
    changed: readonly string[];
    decision: 'approved' | 'changes-requested';
    comment?: string;
  };
}

/**
 * To one approver: the whole postmortem and their two decision links. The handbook: approval is agreement with
 * the root cause and that the priority actions are an acceptable way to address it.
 */
export function approvalRequestEmail({
  incident,
  postmortem,
  sections,
  serviceName,
  approveUrl,
  requestChangesUrl,
  viewUrl,
  approver,
  mandatory,
  expiresAt,
  reminder = false,
  since,
}: ApprovalRequestContext): EmailMessage {
  const version = postmortem.version;
  const again = since
    ? ` You ${since.decision === 'approved' ? 'approved' : 'asked for changes to'} version ${since.version}; since then ${
        since.changed.length > 0
          ? `these changed: ${since.changed.join(', ')}`
          : 'nothing in its content changed'
      }.`
    : '';
  const context = { incident, serviceName: serviceName ?? incident.service };
  const markdown = publishedMarkdown(postmortem, context);
  const { text, html } = render(
    reminder
      ? `${incident.key}: the postmortem still waits for your decision`
      : `${incident.key}: please approve the postmortem`,
    `${reminder ? 'You have not decided on the postmortem of this incident yet. ' : ''}You are asked as ${
      mandatory
        ? 'a mandatory approver: it is approved once every mandatory approver has approved it'
        : 'an optional approver: it does not wait for you, but your decision and comment are recorded with it'
    }.${again} Approve if you agree with the root cause and that the priority actions are an acceptable way to address it; otherwise request changes, with a comment. The whole postmortem (version ${version}) is below. Each link opens a page to confirm on: opening it changes nothing.`,
    [
      { label: 'Approve', value: `Approve version ${version}`, href: approveUrl },
      { label: 'Request changes', value: 'Request changes (with a comment)', href: requestChangesUrl },
      incidentRow(incident, viewUrl),
      { label: 'Summary', value: incident.summary },
      { label: 'Owner', value: `${postmortem.owner} (${postmortem.ownerTeam})` },
      { label: 'You are', value: `${approver}, ${mandatory ? 'mandatory' : 'optional'} approver` },
      { label: 'Links work until', value: mailTime(expiresAt) },
      ...(since?.comment ? [{ label: 'You asked', value: cap(since.comment, 2_000) }] : []),
    ],
    [],
    documentAppendix(
      markdown,
      documentHtml(postmortem, context, sections, 'email'),
      'open the approve link to read it',
    ),
  );
  return {
    subject: subjectFor(
      incident,
      reminder ? 'Postmortem approval reminder' : 'Postmortem approval requested',
    ),
    text,
    html,
  };
}

export interface ChangesRequestedContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  postmortem: Pick<Postmortem, 'version' | 'owner' | 'ownerTeam'>;
  /** Who requested changes, and what they wrote (required with a request for changes). */
  approver: string;
  comment: string;
  /** The owner's signed editor link. */
  editorUrl: string;
  viewUrl: string;
}

/** A comment as a mail shows it: quoted, line breaks kept, escaped, capped. */
function commentAppendix(by: string, comment: string): MailAppendix {
  const lines = cap(comment, 2_000).replace(/\r\n?/g, '\n').split('\n');
  return {
    text: [`Comment from ${by}:`, ...lines.map((l) => `> ${l}`)].join('\n'),
    html: joinHtml(
      [
        html`<h3 style="margin:16px 0 4px">Comment from ${by}</h3>`,
        html`<p style="margin:0;padding:4px 12px;border-left:4px solid #b54708;background:#fffaeb">${joinHtml(lines, html`<br>`)}</p>`,
      ],
      NEWLINE,
    ),
  };
}

/** To the owner: an approver asked for changes; the postmortem is a draft again. */
export function changesRequestedEmail({
  incident,
  postmortem,
  approver,
  comment,
  editorUrl,
  viewUrl,
}: ChangesRequestedContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: changes requested to the postmortem`,
    `${approver} asked for changes to version ${postmortem.version} of the postmortem, which is a draft again. Change it in the editor and ask for approval again: every approver is then asked on the new version.`,
    [
      { label: 'Change the postmortem', value: 'Open the editor', href: editorUrl },
      incidentRow(incident, viewUrl),
      { label: 'Requested by', value: approver },
      { label: 'Owner', value: `${postmortem.owner} (${postmortem.ownerTeam})` },
    ],
    [],
    commentAppendix(approver, comment),
  );
  return { subject: subjectFor(incident, 'Postmortem changes requested'), text, html };
}

export interface ApprovalPendingContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  /** Mandatory approvers who have not approved the version in review. */
  pending: readonly string[];
  viewUrl: string;
  /** When approval was (last) requested (UTC ISO). */
  requestedAt?: string;
}

/** To the owner, with each reminder round: who is still pending. */
export function approvalPendingEmail({
  incident,
  pending,
  viewUrl,
  requestedAt,
}: ApprovalPendingContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: the postmortem waits for approval`,
    `Approval of the postmortem was requested${requestedAt ? ` ${mailTime(requestedAt)}` : ''} and is not complete. ${
      pending.length === 1 ? 'This mandatory approver has' : 'These mandatory approvers have'
    } not approved it yet; they are reminded with fresh links.`,
    [incidentRow(incident, viewUrl)],
    [{ heading: 'Still pending', lines: pending.length ? [...pending] : ['nobody'] }],
  );
  return { subject: subjectFor(incident, 'Postmortem approval pending'), text, html };
}

export interface PostmortemPublishedContext {
  incident: Pick<Incident, 'key' | 'severity' | 'summary'>;
  /** The published document's Markdown (`publishedMarkdown`): the text part. */
  documentText: string;
  /** The published document's mail HTML (`documentHtml`, mail version). */
  documentHtml: string;
  viewUrl: string;
}

/** To the service's internal list, leadership and the publication list: the approved postmortem, whole. */
export function postmortemPublishedEmail({
  incident,
  documentText,
  documentHtml: documentMailHtml,
  viewUrl,
}: PostmortemPublishedContext): EmailMessage {
  const { text, html } = render(
    `${incident.key}: postmortem published`,
    'The postmortem of this incident is approved and published: what happened, why, and the actions that address it. It is blameless: it is about what happened and what changes, not about who.',
    [incidentRow(incident, viewUrl), { label: 'Summary', value: incident.summary }],
    [],
    documentAppendix(
      documentText,
      documentMailHtml,
      `operators can read it at /incidents/${incident.key}/postmortem/document`,
    ),
  );
  return { subject: subjectFor(incident, 'Postmortem published'), text, html };
}
