import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { DeliveriesRepository } from '../adapters/alert-groups-repository.ts';
import { boundEnv } from '../adapters/capabilities.ts';
import { organisation } from '../adapters/config.ts';
import { readMail } from '../adapters/inbound-mail.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { logger } from '../adapters/logger.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { workflowCallbackPort } from '../adapters/workflow.ts';
import { handleMailReply, type MailReplyOutcome } from '../use-cases/mail-replies.ts';
import { linkedTo } from './capabilities.ts';

const use = linkedTo('MailReplies');
const stores = use(repositoriesPort({ incidents: IncidentsRepository, deliveries: DeliveriesRepository }));
const workflow = use(workflowCallbackPort);

/**
 * Subscribed to the mail replies topic (the SES receipt rule's SNS action): each record is one mail received at
 * the replies domain (use-cases/mail-replies.ts). One log line per record says what it did or why it was ignored
 * (never the mail's content). An error thrown here is a transient failure: Lambda retries the invocation, then
 * tells the operators (its on-failure destination).
 */
export const handler = middy<{ Records?: unknown }>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const records = Array.isArray(event?.Records) ? (event.Records as unknown[]) : [];
    if (records.length === 0) logger.warn('Mail reply ignored', { reason: 'no-records' });
    const { incidents, deliveries } = stores();
    const org = organisation();
    const outcomes: MailReplyOutcome[] = [];
    for (const record of records) {
      const outcome = await handleMailReply(
        {
          topicArn: boundEnv('MAIL_REPLIES_TOPIC_ARN', 'mail:replies'),
          domain: org.mailReplies?.domain,
          readMail,
          incidents,
          deliveries,
          workflow: workflow(),
          organisation: org,
          now: () => new Date(),
          attempt: randomUUID(),
        },
        record,
      );
      if (outcome.outcome === 'ignored') logger.warn('Mail reply ignored', { ...outcome });
      else logger.info('Mail reply', { ...outcome });
      outcomes.push(outcome);
    }
    return { outcomes };
  });
