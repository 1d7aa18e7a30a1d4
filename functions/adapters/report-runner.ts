import { InvokeCommand, LambdaClient } from '@aws-sdk/client-lambda';
import type { ReportRunner } from '../use-cases/ports.ts';
import { boundEnv, port } from './capabilities.ts';
import { PerCallRetryStrategy, stepFunctionsRetries } from './retry.ts';

let lambda: LambdaClient | undefined;

/**
 * The report runner function, invoked asynchronously (InvocationType Event: Lambda queues the event and answers
 * 202 at once) with the run's id alone: the run record holds what was asked.
 */
export function lambdaReportRunner(): ReportRunner {
  lambda ??= new LambdaClient({
    maxAttempts: stepFunctionsRetries.maxAttempts,
    retryStrategy: new PerCallRetryStrategy(stepFunctionsRetries),
  });
  const client = lambda;
  return {
    async start(runId) {
      const result = await client.send(
        new InvokeCommand({
          FunctionName: boundEnv('REPORT_RUNNER_FUNCTION', 'reports:run'),
          InvocationType: 'Event',
          Payload: Buffer.from(JSON.stringify({ runId })),
        }),
      );
      if (result.StatusCode !== 202) throw new Error(`the report runner answered ${result.StatusCode}`);
    },
  };
}

/** Starts report runs (lambda:InvokeFunction on the report runner function only). */
export const reportRunnerPort = port('reports:run', lambdaReportRunner);
