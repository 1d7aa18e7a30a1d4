import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ulid } from 'ulid';
import { ActionsRepository } from '../adapters/actions-repository.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { metricsPort, sweepNeedsAttention } from '../adapters/metrics.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { SweepRunsRepository } from '../adapters/sweep-runs-repository.ts';
import { sweepActionReminders } from '../use-cases/actions.ts';
import { linkedTo } from './capabilities.ts';

const use = linkedTo('SweepActionReminders');
const metrics = use(metricsPort)();
const stores = use(
  repositoriesPort({
    actions: ActionsRepository,
    comms: CommsRepository,
    incidents: IncidentsRepository,
    sweeps: SweepRunsRepository,
  }),
);
const mailer = use(mailerPort);
const links = use(linksPort);

/**
 * Scheduled every hour: reminds the owners of open postmortem actions before, at and after their due date (and
 * the approvers on breach), at their service's business morning. The event carries nothing; each reminder is
 * sent once, however often this runs. A reminder that fails is logged and counted in `SweepsNeedAttention`
 * (which the operators' alarm watches); the others are sent all the same and the next run tries it again.
 */
export const handler = middy<unknown>()
  .use(injectLambdaContext(logger))
  .handler(async () => {
    const org = organisation();
    const { actions, comms, incidents, sweeps } = stores();
    const result = await sweepActionReminders({
      actions,
      sweeps,
      comms,
      incidents,
      mailer: mailer(),
      organisation: org,
      ...links(),
      now: () => new Date(),
      newId: ulid,
    });
    await sweepNeedsAttention(metrics, 'ActionReminders', result.failed.length, { ...result });
    if (result.failed.length === 0 && result.sent.length > 0)
      logger.info('action reminders sent', { sweep: 'ActionReminders', ...result });
    return result;
  });
