import * as z from 'zod/mini';
import { sameAddress } from '../core/approvals.ts';
import type { Organisation } from '../core/config.ts';
import { ConflictError } from '../core/errors.ts';
import {
  firstLine,
  parseReplyAddress,
  saysAck,
  textOfHtml,
  type VerdictProblem,
  verdictProblem,
} from '../core/mail-replies.ts';
import { nameByAddress } from '../core/people.ts';
import type { DeliveryStore } from './ports.ts';
import { type AcknowledgeDeps, recordAcknowledgement } from './respond.ts';
import { snsMessageFrom } from './sns-records.ts';

/**
 * Acknowledging by replying to a page mail: SES receives the reply at the incident's reply address (the page's
 * Reply-To), and the stack's receipt rule publishes it, whole, to the mail replies topic, which delivers it here as
 * an SNS notification. A reply acts when SES's verdicts pass (core/mail-replies.ts), it was sent to a reply address
 * of the replies domain, its From is an address that incident paged, and its first line says "ack": it
 * acknowledges as that person. Anything else is ignored: nothing is written, and the caller logs why. Nothing here
 * throws on bad input, which SNS and Lambda would only retry; a transient failure of the table or the workflow is
 * thrown to be retried, and the claim on the mail's SES message id keeps a retry or a second delivery from acting
 * twice.
 */

export type MailReplyIgnoredReason =
  /** Not an SNS notification record. */
  | 'not-sns-notification'
  /** A notification from another topic than the mail replies topic (a forged or misrouted message). */
  | 'wrong-topic'
  /** The message is not an SES receipt notification with the mail's content (not JSON, fields missing). */
  | 'not-ses-receipt'
  /** The stack has no replies domain (`mailReplies` unset): nothing to receive. */
  | 'replies-off'
  /** SPF or DKIM did not pass, or DMARC or the virus scan failed. */
  | `verdict-${VerdictProblem}`
  /** None of the mail's recipients is a reply address of the replies domain. */
  | 'not-a-reply-address'
  /** The content could not be read as a mail, or has no From address. */
  | 'unreadable'
  /** The first line does not say "ack". */
  | 'no-ack'
  /** The reply address names no incident, or another key than the incident's. */
  | 'unknown-incident'
  /** The sender is not an address this incident paged. */
  | 'not-paged'
  /** The incident was resolved before anyone acknowledged it. */
  | 'resolved-unacknowledged';

export type MailReplyOutcome =
  | { outcome: 'ignored'; reason: MailReplyIgnoredReason; key?: string }
  /** The same mail again (SNS delivers at least once): it acted once already. */
  | { outcome: 'duplicate'; key: string }
  | { outcome: 'acknowledged' | 'already-acknowledged'; key: string; by: string };

/** What a received mail says, as the MIME reader finds it. */
export interface ReadMail {
  from?: string | undefined;
  text?: string | undefined;
  html?: string | undefined;
}

export interface MailReplyDeps extends AcknowledgeDeps {
  /** The mail replies topic: a notification from any other topic is not a reply. */
  topicArn: string;
  /** The replies domain (the organisation's `mailReplies.domain`), or undefined when replies are off. */
  domain: string | undefined;
  /** Reads the raw mail (RFC 5322); throws on what is not one. */
  readMail: (raw: Uint8Array) => Promise<ReadMail>;
  deliveries: DeliveryStore;
  organisation: Organisation;
  /** Unique per invocation: only this attempt completes its claim. */
  attempt: string;
}

/** The delivery source of the claims on received replies. */
export const MAIL_REPLY_SOURCE = 'mail-reply';

/** SES receipt notifications carry the mail only up to 150 KB (larger ones bounce); a little room for JSON. */
const MAX_CONTENT = 256 * 1024;

const text = (max: number) => z.string().check(z.minLength(1), z.maxLength(max));

const verdict = z.optional(z.object({ status: z.optional(z.string().check(z.maxLength(40))) }));

/** An SES receipt notification for an SNS action (docs: "Contents of notifications for email receiving"). */
const receiptSchema = z.object({
  notificationType: z.literal('Received'),
  mail: z.object({ messageId: text(200) }),
  receipt: z.object({
    recipients: z.array(text(320)).check(z.minLength(1), z.maxLength(100)),
    spfVerdict: verdict,
    dkimVerdict: verdict,
    dmarcVerdict: verdict,
    virusVerdict: verdict,
    action: z.object({
      type: z.literal('SNS'),
      /** `BASE64` or `UTF8` (the rule's `Base64` or `UTF-8`); UTF-8 when absent. */
      encoding: z.optional(z.string().check(z.maxLength(20))),
    }),
  }),
  content: text(MAX_CONTENT * 2),
});

export async function handleMailReply(deps: MailReplyDeps, record: unknown): Promise<MailReplyOutcome> {
  const sns = snsMessageFrom(record, deps.topicArn);
  if (!sns.ok) return { outcome: 'ignored', reason: sns.reason };
  const receipt = receiptSchema.safeParse(sns.message);
  if (!receipt.success) return { outcome: 'ignored', reason: 'not-ses-receipt' };
  if (!deps.domain) return { outcome: 'ignored', reason: 'replies-off' };
  const { mail, receipt: verdicts, content } = receipt.data;

  const problem = verdictProblem({
    spf: verdicts.spfVerdict?.status,
    dkim: verdicts.dkimVerdict?.status,
    dmarc: verdicts.dmarcVerdict?.status,
    virus: verdicts.virusVerdict?.status,
  });
  if (problem) return { outcome: 'ignored', reason: `verdict-${problem}` };
  const domain = deps.domain;
  const target = verdicts.recipients.map((r) => parseReplyAddress(r, domain)).find((r) => r !== undefined);
  if (!target) return { outcome: 'ignored', reason: 'not-a-reply-address' };

  let read: ReadMail;
  try {
    const raw =
      verdicts.action.encoding?.toUpperCase() === 'BASE64'
        ? Buffer.from(content, 'base64')
        : Buffer.from(content, 'utf8');
    if (raw.byteLength > MAX_CONTENT) throw new Error('too large');
    read = await deps.readMail(raw);
  } catch {
    return { outcome: 'ignored', reason: 'unreadable', key: target.key };
  }
  const from = read.from?.trim();
  if (!from) return { outcome: 'ignored', reason: 'unreadable', key: target.key };
  const body = read.text ?? (read.html ? textOfHtml(read.html) : '');
  if (!saysAck(firstLine(body))) return { outcome: 'ignored', reason: 'no-ack', key: target.key };

  const incident = await deps.incidents.get(target.incidentId);
  if (!incident || incident.key !== target.key)
    return { outcome: 'ignored', reason: 'unknown-incident', key: target.key };
  const paged = (incident.pagedTo ?? []).find((address) => sameAddress(address, from));
  if (!paged) return { outcome: 'ignored', reason: 'not-paged', key: incident.key };
  if (incident.status === 'resolved' && !incident.acknowledgedAt)
    return { outcome: 'ignored', reason: 'resolved-unacknowledged', key: incident.key };

  // Only a reply that acts is remembered: everything above wrote nothing.
  const now = deps.now();
  const claimed = await deps.deliveries.claim(MAIL_REPLY_SOURCE, mail.messageId, deps.attempt, now);
  if (!claimed) return { outcome: 'duplicate', key: incident.key };

  let outcome: 'acknowledged' | 'already-acknowledged' = 'already-acknowledged';
  if (!incident.acknowledgedAt) {
    try {
      const { result } = await recordAcknowledgement(deps, {
        incidentId: incident.id,
        by: paged,
        via: 'mail',
        text: `Acknowledged by mail reply from ${nameByAddress(deps.organisation.people, paged)}: ${paged} is in charge as incident manager. Status: → fixing.`,
      });
      outcome = result.outcome;
    } catch (error) {
      // Resolved between the read and the change, before anyone acknowledged.
      if (!(error instanceof ConflictError)) throw error;
      await deps.deliveries.complete(MAIL_REPLY_SOURCE, mail.messageId, deps.attempt, deps.now());
      return { outcome: 'ignored', reason: 'resolved-unacknowledged', key: incident.key };
    }
  }
  await deps.deliveries.complete(MAIL_REPLY_SOURCE, mail.messageId, deps.attempt, deps.now());
  return { outcome, key: incident.key, by: paged };
}
