import { isCommsListMail, withCommsBounce } from '../core/comms-bounces.ts';
import { RetryableError } from '../core/errors.ts';
import type { Incident } from '../core/incident.ts';
import { digest } from '../core/keys.ts';
import { type MailEvent, mailEventEntry, mailEventsOf, pageReachedNobody } from '../core/mail-events.ts';
import { HELD_MESSAGE_ID } from '../core/page-storm.ts';
import { pageSequence } from '../core/page-targets.ts';
import { type PhoneEvent, phoneEventEntry, phoneEventOf } from '../core/phone-events.ts';
import { acknowledgementResume } from '../core/workflow-resume.ts';
import type { CommsStore, IncidentStore, WorkflowCallback } from './ports.ts';
import { snsMessageFrom } from './sns-records.ts';

/**
 * Proof of delivery: the configuration set's events (SES -> SNS -> this), each recorded once on its incident's
 * timeline ("Page to X delivered 15:02:03 UTC", "bounced: mailbox does not exist"). A page whose every
 * recipient failed on every channel (a hard bounce, a rejected mail, a refused text or call) escalates at once:
 * the acknowledgement wait is resumed with `undeliverable`, and the next tier is paged without waiting out the
 * timeout. Anything else (another topic, not an SES event, a mail that is no incident's, an unknown incident) is
 * ignored with a reason for the log and changes nothing; a transient failure of the table or the workflow is
 * thrown, for Lambda to retry (the entries are written once whatever the retries).
 *
 * The same topic carries the texts' and calls' events (End User Messaging SMS and Voice's configuration set,
 * core/phone-events.ts): one topic and one function for every delivery event. A text or call is known by the
 * comms record its Context names (the incident, the kind and sequence), whose message id must be the event's:
 * an event about any other message is ignored. A page's text or call that failed for good (blocked, invalid,
 * unreachable, expired; a call busy, unanswered or failed) counts as a failed channel, as a hard bounce does.
 */

export interface MailEventDeps {
  /** The mail events topic: a notification from any other topic is not one of ours. */
  topicArn: string;
  incidents: Pick<IncidentStore, 'get' | 'view' | 'appendTimeline' | 'change'>;
  /** The send a text's or call's event names: one item, not the incident's whole partition. */
  comms: Pick<CommsStore, 'get'>;
  workflow: WorkflowCallback;
}

export type MailEventOutcome =
  | { outcome: 'ignored'; reason: string; messageId?: string }
  | { outcome: 'recorded'; key: string; events: string[]; escalated: boolean };

export async function handleMailEvent(deps: MailEventDeps, record: unknown): Promise<MailEventOutcome> {
  const sns = snsMessageFrom(record, deps.topicArn);
  if (!sns.ok) return { outcome: 'ignored', reason: sns.reason };
  const phone = phoneEventOf(sns.text);
  if (!('reason' in phone)) return recordPhoneEvent(deps, phone);
  if (phone.reason !== 'not-a-phone-event' && phone.reason !== 'not-json')
    return { outcome: 'ignored', reason: phone.reason };
  const events = mailEventsOf(sns.text);
  if (!Array.isArray(events)) return { outcome: 'ignored', reason: events.reason };
  const first = events[0];
  if (!first) return { outcome: 'ignored', reason: 'no-recipients' };
  const incident = await deps.incidents.get(first.tags.incident);
  if (!incident) return { outcome: 'ignored', reason: 'unknown-incident', messageId: first.messageId };
  for (const event of events) await deps.incidents.appendTimeline(mailEventEntry(incident.id, event, digest));
  const bounces = events.filter(
    (e) => isCommsListMail(e.tags.kind) && (e.failed || e.outcome === 'complained'),
  );
  if (bounces.length > 0) await keepCommsBounces(deps, incident, bounces);
  const escalated = events.some((e) => e.failed && e.tags.kind === 'page')
    ? await escalateIfReachedNobody(deps, incident.id, first)
    : false;
  return {
    outcome: 'recorded',
    key: incident.key,
    events: events.map((e) => `${e.outcome} ${e.recipient}`),
    escalated,
  };
}

/**
 * Keeps the comms lists' addresses that bounced, complained or were rejected on the incident (one write,
 * conditional on the writes before it: concurrent events about other addresses are not lost).
 */
async function keepCommsBounces(deps: MailEventDeps, first: Incident, events: MailEvent[]): Promise<void> {
  let incident: Incident | undefined = first;
  for (let attempt = 0; incident && attempt < 5; attempt++) {
    const before: Incident = incident;
    let list = before.commsBounces;
    for (const e of events) {
      const outcome =
        e.outcome === 'complained' ? 'complained' : e.outcome === 'rejected' ? 'rejected' : 'bounced';
      list =
        withCommsBounce(list, {
          address: e.recipient,
          outcome,
          ...(e.detail ? { detail: e.detail } : {}),
          at: e.at,
          kind: e.tags.kind,
        }) ?? list;
    }
    if (list === before.commsBounces) return;
    const written = await deps.incidents.change(before.id, {
      set: { commsBounces: list, commsBounceWrites: (before.commsBounceWrites ?? 0) + 1 },
      expect: { commsBounceWrites: before.commsBounceWrites ?? null },
    });
    if (written) return;
    incident = await deps.incidents.get(before.id);
  }
  if (incident) throw new RetryableError(`the comms bounces of ${first.key} keep changing: retry`);
}

/** One text's or call's event: on the timeline once, and a failed page's channel counted. */
async function recordPhoneEvent(deps: MailEventDeps, event: PhoneEvent): Promise<MailEventOutcome> {
  const incident = await deps.incidents.get(event.tags.incident);
  if (!incident) return { outcome: 'ignored', reason: 'unknown-incident', messageId: event.messageId };
  const record = await deps.comms.get(incident.id, event.tags.kind, event.tags.sequence);
  // Sent, and its id not kept yet (the event outran the send's record by a moment): Lambda retries it.
  if (record && !record.messageId && record.status === 'sending')
    throw new RetryableError(
      `the ${event.tags.kind} ${event.tags.sequence} of ${incident.key} is being recorded`,
    );
  const sent = record?.messageId === event.messageId ? record : undefined;
  if (!sent) return { outcome: 'ignored', reason: 'unknown-message', messageId: event.messageId };
  const address = sent.recipients[0];
  await deps.incidents.appendTimeline(phoneEventEntry(incident.id, event, address, digest));
  const escalated =
    event.failed && event.tags.kind.startsWith('page-') && address
      ? await escalateIfReachedNobody(deps, incident.id, event)
      : false;
  return {
    outcome: 'recorded',
    key: incident.key,
    events: [`${event.channel} ${event.type} ${event.messageId}`],
    escalated,
  };
}

/**
 * After a failed page: if the tier's page reached nobody on any channel, resume the acknowledgement wait with
 * `undeliverable` (its definition's `clears` says it takes it; an earlier definition waits out its timeout).
 */
async function escalateIfReachedNobody(
  deps: MailEventDeps,
  incidentId: string,
  event: { at: string; tags: { sequence: number } },
): Promise<boolean> {
  const view = await deps.incidents.view(incidentId);
  const incident = view?.incident;
  const tierPage = incident?.tierPage;
  if (!view || !incident || !tierPage || (incident.status !== 'paged' && incident.status !== 'new'))
    return false;
  const recipients = tierPage.recipients.map((r, index) => ({
    address: r.address,
    sequence: pageSequence(tierPage.round, tierPage.tier, index),
  }));
  // Only a failure of the tier paged now counts (a late bounce of an earlier tier's page does not escalate).
  if (!recipients.some((r) => r.sequence === event.tags.sequence)) return false;
  const sent = new Set<string>();
  const failed = new Set<string>();
  for (const c of view.comms) {
    // A page held for the storm limit was neither tried nor failed: it does not make a page reach nobody.
    if (c.status !== 'sent' || !c.kind.startsWith('page') || c.messageId === HELD_MESSAGE_ID) continue;
    for (const r of c.recipients) {
      sent.add(`${c.kind}|${c.sequence}|${r.toLowerCase()}`);
      if (c.messageId === 'refused') failed.add(`${c.kind}|${c.sequence}|${r.toLowerCase()}`);
    }
  }
  for (const e of view.timeline) {
    if (e.kind !== 'mail.failed' && e.kind !== 'phone.failed') continue;
    const data = e.data as { kind?: string; sequence?: number; recipient?: string } | undefined;
    if (data?.kind && data.recipient)
      failed.add(`${data.kind}|${data.sequence}|${data.recipient.toLowerCase()}`);
  }
  if (!pageReachedNobody(recipients, sent, failed)) return false;
  const said = (then: string) =>
    deps.incidents.appendTimeline({
      incidentId,
      eventId: `page-undeliverable-${tierPage.round}-${tierPage.tier}`,
      at: event.at,
      kind: 'page.undeliverable',
      actor: 'hotline',
      text: `The page reached nobody (${recipients.map((r) => r.address).join(', ')}: every channel failed)${then}`,
    });
  if (tierPage.last) {
    await said(", and there is nobody further to page: fix the IMOC's addresses.");
    return false;
  }
  // Kept on the incident: the tier's wait, if it has not kept its token yet (the events came first), sees it.
  const marked = await deps.incidents.change(incidentId, {
    set: { pageUndeliverable: { tier: tierPage.tier, round: tierPage.round } },
    statusIn: ['new', 'paged'],
  });
  if (!marked) return false;
  await said(': escalating now, without waiting out the acknowledgement timeout.');
  const { ackTaskToken, ackWait, ackWaitClears, tierPage: now } = marked;
  // The tier's own wait (not the one before it, whose token the page replaced), in a definition that takes
  // `undeliverable` (an earlier one waits out its timeout).
  const waiting =
    ackTaskToken && ackWait === 'incidentManager' && ackWaitClears && now?.afterToken !== ackTaskToken;
  if (waiting) await deps.workflow.resume(ackTaskToken, acknowledgementResume('undeliverable', marked));
  return true;
}
