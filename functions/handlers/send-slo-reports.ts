import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { attachmentMailerPort } from '../adapters/attachment-mailer.ts';
import { organisation } from '../adapters/config.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { storesPort } from '../adapters/stores.ts';
import { lastFullWeek, sendSloReports } from '../use-cases/reports.ts';
import { linkedTo } from './capabilities.ts';

const use = linkedTo('SendSloReports');
const stores = use(storesPort);
const mailer = use(attachmentMailerPort);
const links = use(linksPort);

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
    const { reports, incidents } = stores();
    const scheduled = event?.scheduledTime ? new Date(event.scheduledTime) : undefined;
    const firedAt = scheduled && !Number.isNaN(scheduled.getTime()) ? scheduled : new Date();
    const period = lastFullWeek(firedAt, org.reports.timeZone);
    const result = await sendSloReports(
      {
        reports,
        incidents,
        organisation: org,
        mailer: mailer(),
        ...links(),
        now: () => new Date(),
      },
      { ...period, now: new Date() },
    );
    logger.info('SLO reports', { period, result });
    return { period, result };
  });
