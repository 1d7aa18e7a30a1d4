import * as z from 'zod/mini';
import { sameAddress } from '../core/approvals.ts';
import type { Organisation } from '../core/config.ts';
import { ConflictError } from '../core/errors.ts';
import { PageRefusedError, parseAckReply } from '../core/pages-sms.ts';
import { isE164, nameByAddress, redactPhone } from '../core/people.ts';
import { acknowledgementAnswerText } from '../core/sms-replies.ts';
import type { DeliveryStore, PageCodeStore, PagerSender } from './ports.ts';
import { type AcknowledgeDeps, recordAcknowledgement } from './respond.ts';
import { snsMessageFrom } from './sns-records.ts';

/**
 * Acknowledging by SMS: a reply to the origination number reaches the two-way SMS topic, which delivers it here
 * as an SNS notification. A reply that carries a page's acknowledgement code, from the number that code was
 * texted to, while the code counts, acknowledges that code's incident as the paged person, and is answered by
 * SMS (who acknowledged, and when). Anything else is ignored: nothing is written and nothing is sent, and the
 * caller logs the outcome (numbers redacted). Nothing here throws on bad input, which SNS and Lambda would only
 * retry; a transient failure of the table, the workflow or the answer is thrown to be retried, and the delivery
 * claim (the inbound message id) keeps a retry or a second delivery from acting twice.
 */

/** Why a record was ignored (one log line each; none changes state or sends anything). */
export type IgnoredReason =
  /** Not an SNS notification record (another event source, a `Type` other than Notification). */
  | 'not-sns-notification'
  /** An SNS notification from a topic that is not the two-way SMS topic. */
  | 'wrong-topic'
  /** The message is not what two-way SMS publishes (not JSON, fields missing or malformed). */
  | 'not-two-way-sms'
  /** The body carries no acknowledgement code. */
  | 'no-code'
  /** No page has that code, or it no longer counts (expired). */
  | 'unknown-code'
  /** The code was texted to another number. */
  | 'wrong-number'
  /** The code's incident is not the incident it names (missing, or another key). */
  | 'incident-mismatch'
  /** The incident was resolved before anyone acknowledged it. */
  | 'resolved-unacknowledged';

export type SmsReplyOutcome =
  | { outcome: 'ignored'; reason: IgnoredReason; from?: string; key?: string }
  /** The same inbound message again (SNS delivers at least once): it acted once already. */
  | { outcome: 'duplicate'; from: string; key: string }
  | {
      outcome: 'acknowledged' | 'already-acknowledged';
      from: string;
      key: string;
      /** Whether the answer went out (false: the number cannot be texted, logged with the refusal). */
      answered: boolean;
      refusal?: string;
    };

export interface SmsReplyDeps extends AcknowledgeDeps {
  /** The two-way SMS topic: a notification from any other topic is not a reply. */
  topicArn: string;
  pageCodes: Pick<PageCodeStore, 'get'>;
  /** The inbound message ids acted on (the delivery claim, as for alert deliveries). */
  deliveries: DeliveryStore;
  pager: Pick<PagerSender, 'sendText'>;
  organisation: Organisation;
  /** Unique per invocation: only this attempt completes its claim. */
  attempt: string;
}

/** The delivery source of the claims on inbound messages. */
export const SMS_REPLY_SOURCE = 'sms-reply';

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

/** The SNS record as Lambda delivers it: only what is read. */
/** What two-way SMS publishes for an inbound text (End User Messaging SMS and Voice v2). */
const inboundSmsSchema = z.object({
  originationNumber: z.string().check(z.refine(isE164)),
  destinationNumber: text(64),
  messageBody: z.string().check(z.maxLength(1600)),
  inboundMessageId: text(200),
});

export async function handleSmsReply(deps: SmsReplyDeps, record: unknown): Promise<SmsReplyOutcome> {
  const sns = snsMessageFrom(record, deps.topicArn);
  if (!sns.ok) return { outcome: 'ignored', reason: sns.reason };
  const inbound = inboundSmsSchema.safeParse(sns.message);
  if (!inbound.success) return { outcome: 'ignored', reason: 'not-two-way-sms' };
  const { originationNumber, messageBody, inboundMessageId } = inbound.data;
  const from = redactPhone(originationNumber);

  const reply = parseAckReply(messageBody);
  if (!reply) return { outcome: 'ignored', reason: 'no-code', from };
  const now = deps.now();
  const code = await deps.pageCodes.get(reply.code, now);
  if (!code) return { outcome: 'ignored', reason: 'unknown-code', from };
  if (code.phone !== originationNumber)
    return { outcome: 'ignored', reason: 'wrong-number', from, key: code.key };
  const incident = await deps.incidents.get(code.incidentId);
  if (!incident || incident.key !== code.key)
    return { outcome: 'ignored', reason: 'incident-mismatch', from, key: code.key };
  if (incident.status === 'resolved' && !incident.acknowledgedAt)
    return { outcome: 'ignored', reason: 'resolved-unacknowledged', from, key: code.key };

  // Only a reply that acts is remembered: everything above wrote nothing.
  const claimed = await deps.deliveries.claim(SMS_REPLY_SOURCE, inboundMessageId, deps.attempt, now);
  if (!claimed) return { outcome: 'duplicate', from, key: code.key };

  const name = nameByAddress(deps.organisation.people, code.address);
  let result: {
    outcome: 'acknowledged' | 'already-acknowledged';
    acknowledgedBy: string;
    acknowledgedAt: string;
  };
  if (incident.acknowledgedAt && incident.acknowledgedBy) {
    result = {
      outcome: 'already-acknowledged',
      acknowledgedBy: incident.acknowledgedBy,
      acknowledgedAt: incident.acknowledgedAt,
    };
  } else {
    try {
      ({ result } = await recordAcknowledgement(deps, {
        incidentId: incident.id,
        by: code.address,
        via: 'sms',
        text: `Acknowledged by SMS reply from ${name}: ${code.address} is in charge as incident manager. Status: → fixing.`,
      }));
    } catch (error) {
      // Resolved between the read and the change, before anyone acknowledged: nothing to answer.
      if (!(error instanceof ConflictError)) throw error;
      await deps.deliveries.complete(SMS_REPLY_SOURCE, inboundMessageId, deps.attempt, deps.now());
      return { outcome: 'ignored', reason: 'resolved-unacknowledged', from, key: code.key };
    }
  }

  const timeZone = deps.organisation.people?.[code.personId]?.timeZone ?? 'UTC';
  const byReplier = sameAddress(result.acknowledgedBy, code.address);
  const answer = acknowledgementAnswerText({
    key: incident.key,
    byReplier,
    acknowledgedBy: byReplier ? name : nameByAddress(deps.organisation.people, result.acknowledgedBy),
    acknowledgedAt: result.acknowledgedAt,
    timeZone,
  });
  let refusal: string | undefined;
  try {
    await deps.pager.sendText(originationNumber, answer, { incident: incident.key, kind: 'ack-answer' });
  } catch (error) {
    // A number that cannot be texted (opted out, no SMS configured) is not worth a retry: the acknowledgement
    // stands. A transient failure is thrown, and the retry answers (the acknowledgement is not made twice).
    if (!(error instanceof PageRefusedError)) throw error;
    refusal = `${error.reason}: ${error.detail}`;
  }
  await deps.deliveries.complete(SMS_REPLY_SOURCE, inboundMessageId, deps.attempt, deps.now());
  return {
    outcome: result.outcome,
    from,
    key: incident.key,
    answered: refusal === undefined,
    ...(refusal ? { refusal } : {}),
  };
}
