import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import middy from '@middy/core';
import { organisation, publicBaseUrl } from '../adapters/config.ts';
import { signingKeys } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { sesMailer } from '../adapters/mailer.ts';
import { tableStores } from '../adapters/stores.ts';
import { stepFunctionsStarter } from '../adapters/workflow.ts';
import { sweepUnstartedWorkflows } from '../use-cases/sweep-unstarted-workflows.ts';

/** The namespace comes from POWERTOOLS_METRICS_NAMESPACE; the operator alarm watches this metric. */
const metrics = new Metrics();
const workflow = stepFunctionsStarter();

/** Scheduled every minute. `graceSeconds` in the event overrides the default wait (operators, tests). */
export const handler = middy<{ graceSeconds?: unknown }>()
  .use(injectLambdaContext(logger))
  .use(logMetrics(metrics))
  .handler(async (event) => {
    const org = organisation();
    const { incidents, comms } = tableStores();
    const grace =
      typeof event?.graceSeconds === 'number' && event.graceSeconds >= 0 ? event.graceSeconds : undefined;
    const result = await sweepUnstartedWorkflows(
      {
        incidents,
        comms,
        mailer: sesMailer(org),
        workflow,
        organisation: org,
        baseUrl: publicBaseUrl(org),
        now: () => new Date(),
        signingKeys,
      },
      grace,
    );
    metrics.addMetric('WorkflowsStartedBySweep', MetricUnit.Count, result.started.length);
    if (result.started.length > 0)
      logger.error('incidents had no workflow: the sweep started them', { ...result });
    else if (result.recorded.length > 0) logger.info('recorded running workflows', { ...result });
    return result;
  });
