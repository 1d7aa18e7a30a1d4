import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { DeliveriesRepository } from '../adapters/alert-groups-repository.ts';
import { boundEnv } from '../adapters/capabilities.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { logger } from '../adapters/logger.ts';
import { PageCodesRepository } from '../adapters/page-codes-repository.ts';
import { textPagerPort } from '../adapters/pager.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { workflowCallbackPort } from '../adapters/workflow.ts';
import { handleSmsReply, type SmsReplyOutcome } from '../use-cases/sms-replies.ts';
import { linkedTo } from './capabilities.ts';

const use = linkedTo('SmsReplies');
const stores = use(
  repositoriesPort({
    incidents: IncidentsRepository,
    pageCodes: PageCodesRepository,
    deliveries: DeliveriesRepository,
  }),
);
const pager = use(textPagerPort);
const workflow = use(workflowCallbackPort);

/**
 * Subscribed to the two-way SMS topic: each record is one reply to a page's text (use-cases/sms-replies.ts).
 * One log line per record says what it did or why it was ignored (numbers redacted). An error thrown here is a
 * transient failure: Lambda retries the invocation, then tells the operators (its on-failure destination).
 */
export const handler = middy<{ Records?: unknown }>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const records = Array.isArray(event?.Records) ? (event.Records as unknown[]) : [];
    if (records.length === 0) logger.warn('SMS reply ignored', { reason: 'no-records' });
    const { incidents, pageCodes, deliveries } = stores();
    const outcomes: SmsReplyOutcome[] = [];
    for (const record of records) {
      const outcome = await handleSmsReply(
        {
          topicArn: boundEnv('TWO_WAY_SMS_TOPIC_ARN', 'sms:replies'),
          incidents,
          pageCodes,
          deliveries,
          workflow: workflow(),
          pager: pager(),
          organisation: organisation(),
          now: () => new Date(),
          attempt: randomUUID(),
        },
        record,
      );
      if (outcome.outcome === 'ignored') logger.warn('SMS reply ignored', { ...outcome });
      else logger.info('SMS reply', { ...outcome });
      outcomes.push(outcome);
    }
    return { outcomes };
  });
