import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { attachmentMailerPort } from '../adapters/attachment-mailer.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { ReportsRepository } from '../adapters/reports-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { runReportJob } from '../use-cases/reports.ts';
import { linkedTo } from './capabilities.ts';

const use = linkedTo('RunSloReport');
const stores = use(repositoriesPort({ reports: ReportsRepository, incidents: IncidentsRepository }));
const mailer = use(attachmentMailerPort);
const links = use(linksPort);

/** Beyond the invocation's own end: the claim lapses just after Lambda would have stopped the run. */
const LEASE_SLACK_MS = 10_000;

/**
 * Invoked asynchronously by the Reports function with `{ runId }`: builds the run's report (mailing it when
 * asked) under the run's claim, and stores it for GET /reports/slo/{runId}.
 */
export const handler = middy<{ runId?: unknown }>()
  .use(injectLambdaContext(logger))
  .handler(async (event, context) => {
    const runId = typeof event?.runId === 'string' ? event.runId : undefined;
    if (!runId) {
      logger.error('a report run needs its runId', { event });
      return { outcome: 'unknown' };
    }
    const { reports, incidents } = stores();
    const outcome = await runReportJob(
      {
        reports,
        incidents,
        organisation: organisation(),
        mailer: mailer(),
        ...links(),
        now: () => new Date(),
      },
      runId,
      {
        owner: randomUUID(),
        now: new Date(),
        leaseMs: context.getRemainingTimeInMillis() + LEASE_SLACK_MS,
      },
    );
    logger.info('SLO report run', { runId, outcome });
    return { runId, outcome };
  });
