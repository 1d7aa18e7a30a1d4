import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { boundEnv } from '../adapters/capabilities.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { logger } from '../adapters/logger.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { workflowCallbackPort } from '../adapters/workflow.ts';
import { handleMailEvent, type MailEventOutcome } from '../use-cases/mail-events.ts';
import { linkedTo } from './capabilities.ts';

const use = linkedTo('MailEvents');
const stores = use(repositoriesPort({ incidents: IncidentsRepository, comms: CommsRepository }));
const workflow = use(workflowCallbackPort);

/**
 * Subscribed to the mail events topic: each record is one SES event of the configuration set, or one End User
 * Messaging SMS and Voice event of the pages' texts and calls (use-cases/mail-events.ts). One log line per record says what it recorded or why it was ignored. An error
 * thrown here is a transient failure: Lambda retries the invocation, then tells the operators.
 */
export const handler = middy<{ Records?: unknown }>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const records = Array.isArray(event?.Records) ? (event.Records as unknown[]) : [];
    if (records.length === 0) logger.warn('Mail event ignored', { reason: 'no-records' });
    const outcomes: MailEventOutcome[] = [];
    for (const record of records) {
      const outcome = await handleMailEvent(
        {
          topicArn: boundEnv('MAIL_EVENTS_TOPIC_ARN', 'mail:events'),
          incidents: stores().incidents,
          comms: stores().comms,
          workflow: workflow(),
        },
        record,
      );
      if (outcome.outcome === 'ignored') logger.warn('Mail event ignored', { ...outcome });
      else logger.info('Mail event', { ...outcome });
      outcomes.push(outcome);
    }
    return { outcomes };
  });
