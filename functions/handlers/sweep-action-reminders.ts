import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ulid } from 'ulid';
import { organisation, publicBaseUrl } from '../adapters/config.ts';
import { signingKeys } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { sesMailer } from '../adapters/mailer.ts';
import { tableStores } from '../adapters/stores.ts';
import { sweepActionReminders } from '../use-cases/actions.ts';

/**
 * Scheduled every hour: reminds the owners of open postmortem actions before, at and after their due date (and
 * the approvers on breach). The event carries nothing; each reminder is sent once, however often this runs.
 */
export const handler = middy<unknown>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const org = organisation();
    const { actions, comms, incidents } = tableStores();
    const result = await sweepActionReminders({
      actions,
      comms,
      incidents,
      mailer: sesMailer(org),
      organisation: org,
      baseUrl: publicBaseUrl(org),
      now: () => new Date(),
      signingKeys,
      newId: ulid,
    });
    if (result.sent.length > 0) logger.info('action reminders sent', { ...result });
    return result;
  });
