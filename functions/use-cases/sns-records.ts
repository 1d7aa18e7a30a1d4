import * as z from 'zod/mini';

/**
 * The SNS notification in a record Lambda gets from a topic subscription, for the functions SNS invokes (SMS
 * replies, mail replies, mail events): only a `Notification` from the expected topic counts, and its message is
 * read as JSON. A forged or misrouted record is named by its reason, for the caller's log line.
 */

/** Why a record is not a notification from the expected topic. */
export type SnsRecordProblem = 'not-sns-notification' | 'wrong-topic';

const snsRecordSchema = z.object({
  EventSource: z.literal('aws:sns'),
  Sns: z.object({
    Type: z.literal('Notification'),
    TopicArn: z.string().check(z.minLength(1), z.maxLength(256)),
    // SNS messages are at most 256 KB.
    Message: z.string().check(z.maxLength(256 * 1024)),
  }),
});

/**
 * The notification's message, as sent (`text`) and parsed as JSON (undefined when it is not JSON), when the record is an SNS
 * notification from `topicArn`; else the problem.
 */
export function snsMessageFrom(
  record: unknown,
  topicArn: string,
): { ok: true; message: unknown; text: string } | { ok: false; reason: SnsRecordProblem } {
  const sns = snsRecordSchema.safeParse(record);
  if (!sns.success) return { ok: false, reason: 'not-sns-notification' };
  if (sns.data.Sns.TopicArn !== topicArn) return { ok: false, reason: 'wrong-topic' };
  const text = sns.data.Sns.Message;
  try {
    return { ok: true, message: JSON.parse(text), text };
  } catch {
    return { ok: true, message: undefined, text };
  }
}
