import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { attachmentMailerPort } from '../adapters/attachment-mailer.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { ReportsRepository } from '../adapters/reports-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { lastFullWeek, sendSloReports } from '../use-cases/reports.ts';
import { linkedTo } from './capabilities.ts';

const use = linkedTo('SendSloReports');
/** Beyond the invocation's own end: clocks and the time between the claim and Lambda's stop. */
const RUN_LEASE_SLACK_MS = 10_000;
const stores = use(repositoriesPort({ reports: ReportsRepository, incidents: IncidentsRepository }));
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
  .handler(async (event, context) => {
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
      // A run this invocation claims lapses just after Lambda would have stopped it: Lambda's retry of a killed
      // invocation (a minute later at the earliest) takes it over and sends it.
      {
        ...period,
        now: new Date(),
        leaseMs: context.getRemainingTimeInMillis() + RUN_LEASE_SLACK_MS,
      },
    );
    logger.info('SLO reports', { period, result });
    return { period, result };
  });
