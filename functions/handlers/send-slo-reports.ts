import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { sesAttachmentMailer } from '../adapters/attachment-mailer.ts';
import { organisation, publicBaseUrl } from '../adapters/config.ts';
import { signingKeys } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { tableStores } from '../adapters/stores.ts';
import { lastFullWeek, sendSloReports } from '../use-cases/reports.ts';

/**
 * Scheduled on `reports.schedule` in `reports.timeZone`: mails the last full week's SLO report (org-wide and per
 * department). The period is taken from the fire time (Scheduler's `<aws.scheduler.scheduled-time>` when the
 * event carries it, else now), so a retried or doubled invocation reports, and records, the same week: it mails
 * once.
 */
export const handler = middy<{ scheduledTime?: string } | undefined>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const org = organisation();
    const stores = tableStores();
    const scheduled = event?.scheduledTime ? new Date(event.scheduledTime) : undefined;
    const firedAt = scheduled && !Number.isNaN(scheduled.getTime()) ? scheduled : new Date();
    const period = lastFullWeek(firedAt, org.reports.timeZone);
    const result = await sendSloReports(
      {
        reports: stores.reports,
        incidents: stores.incidents,
        organisation: org,
        mailer: sesAttachmentMailer(org),
        baseUrl: publicBaseUrl(org),
        signingKeys,
        now: () => new Date(),
      },
      { ...period, now: new Date() },
    );
    logger.info('SLO reports', { period, result });
    return { period, result };
  });
