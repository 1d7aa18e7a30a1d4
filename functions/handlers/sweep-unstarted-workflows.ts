import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { metricsPort, sweepNeedsAttention } from '../adapters/metrics.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { workflowExecutionsPort, workflowStarterPort } from '../adapters/workflow.ts';
import { sweepUnstartedWorkflows } from '../use-cases/sweep-unstarted-workflows.ts';
import { linkedTo } from './capabilities.ts';

/** The namespace comes from POWERTOOLS_METRICS_NAMESPACE; the operators' alarm watches SweepsNeedAttention. */
const use = linkedTo('SweepUnstartedWorkflows');
const metrics = use(metricsPort)();
const stores = use(repositoriesPort({ incidents: IncidentsRepository, comms: CommsRepository }));
const starter = use(workflowStarterPort);
const executions = use(workflowExecutionsPort);
const mailer = use(mailerPort);
const links = use(linksPort);

/** Scheduled every minute. `graceSeconds` in the event overrides the default wait (operators, tests). */
export const handler = middy<{ graceSeconds?: unknown }>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const org = organisation();
    const { incidents, comms } = stores();
    const grace =
      typeof event?.graceSeconds === 'number' && event.graceSeconds >= 0 ? event.graceSeconds : undefined;
    const result = await sweepUnstartedWorkflows(
      {
        incidents,
        comms,
        mailer: mailer(),
        workflow: { ...starter(), ...executions() },
        organisation: org,
        ...links(),
        now: () => new Date(),
      },
      grace,
    );
    // Started workflows (an opening request failed after writing its incident) and incidents it could not start
    // (the next run tries again) both need an operator; recorded running workflows do not.
    sweepNeedsAttention(metrics, 'UnstartedWorkflows', result.started.length + result.failed.length, {
      ...result,
    });
    if (result.recorded.length > 0)
      logger.info('recorded running workflows', { sweep: 'UnstartedWorkflows', ...result });
    return result;
  });
