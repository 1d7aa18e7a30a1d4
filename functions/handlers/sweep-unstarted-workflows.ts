import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { countSweepItemFailures, metricsPort } from '../adapters/metrics.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { workflowExecutionsPort, workflowStarterPort } from '../adapters/workflow.ts';
import { sweepUnstartedWorkflows } from '../use-cases/sweep-unstarted-workflows.ts';
import { linkedTo } from './capabilities.ts';

/** The namespace comes from POWERTOOLS_METRICS_NAMESPACE; the operator alarm watches this metric. */
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
  .use(logMetrics(metrics))
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
    metrics.addMetric('WorkflowsStartedBySweep', MetricUnit.Count, result.started.length);
    countSweepItemFailures(metrics, 'UnstartedWorkflows', result.failed.length);
    if (result.failed.length > 0)
      logger.error('the sweep could not start some workflows: the next run tries again', { ...result });
    else if (result.started.length > 0)
      logger.error('incidents had no workflow: the sweep started them', { ...result });
    else if (result.recorded.length > 0) logger.info('recorded running workflows', { ...result });
    return result;
  });
