import { randomUUID } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { DynamoDBStreamEvent } from 'aws-lambda';
import { attachmentMailerPort } from '../adapters/attachment-mailer.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { newReportRunId } from '../adapters/report-runs.ts';
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

/** What starts a run: the table's stream (a new run record, through the filtered event source mapping), or `{ runId }`. */
export type RunSloReportEvent = DynamoDBStreamEvent | { runId?: unknown };

/** The runs an event asks for: each new run record of a stream batch, or the one `runId` of a direct invocation. */
export function runIdsOf(event: RunSloReportEvent | null | undefined): string[] {
  if (event && 'Records' in event && Array.isArray(event.Records)) {
    return event.Records.flatMap((record) => newReportRunId(record) ?? []);
  }
  const runId = (event as { runId?: unknown } | null | undefined)?.runId;
  return typeof runId === 'string' && runId !== '' ? [runId] : [];
}

/**
 * Invoked by the table's stream for each new run record (the event source mapping of `reports:runs`, filtered to
 * INSERTs of run records; see adapters/report-runs.ts), or directly with `{ runId }`: builds the run's report
 * (mailing it when asked) under the run's claim, and stores it for GET /reports/slo/{runId}. An error thrown here
 * (the table failing) fails the batch: the mapping retries it, then tells the operators (its on-failure
 * destination); the claim makes a retry start nothing that already started.
 */
export const handler = middy<RunSloReportEvent>()
  .use(injectLambdaContext(logger))
  .handler(async (event, context) => {
    const runIds = runIdsOf(event);
    if (runIds.length === 0) {
      logger.error('a report run needs its runId', { event });
      return { outcome: 'unknown' };
    }
    const { reports, incidents } = stores();
    const runs: Array<{ runId: string; outcome: string }> = [];
    for (const runId of runIds) {
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
      runs.push({ runId, outcome });
    }
    return runs.length === 1 ? runs[0] : { runs };
  });
