import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { signingKeys } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { type StepDeps, type StepName, steps } from '../use-cases/workflow-steps.ts';
import { responseDeps } from './response-deps.ts';

/** The workflow's steps, one function: the state machine names the step in its payload. */
export interface StepEvent {
  step: StepName;
  incidentId: string;
  key: string;
  tier?: number;
  token?: string;
  since?: string;
}

let deps: StepDeps | undefined;

function dependencies(): StepDeps {
  deps ??= { ...responseDeps(), signingKeys };
  return deps;
}

/** Errors propagate: the state machine's Retry and Catch decide what happens next. */
export const handler = middy<StepEvent>()
  .use(injectLambdaContext(logger))
  .handler(async (event) => {
    const d = dependencies();
    const input = { incidentId: event.incidentId, key: event.key };
    logger.appendKeys({ incident: event.key, step: event.step });
    switch (event.step) {
      case 'page':
        return steps.page(d, { ...input, tier: event.tier ?? 0 });
      case 'waitForAcknowledgement':
        return steps.waitForAcknowledgement(d, { ...input, token: required(event.token, 'token') });
      case 'startResponse':
        return steps.startResponse(d, input);
      case 'waitForUpdate':
        return steps.waitForUpdate(d, {
          ...input,
          token: required(event.token, 'token'),
          since: required(event.since, 'since'),
        });
      case 'updateOverdue':
        return steps.updateOverdue(d, { ...input, since: required(event.since, 'since') });
      case 'finalComms':
        return steps.finalComms(d, input);
      default:
        throw new Error(`unknown workflow step ${String((event as { step: unknown }).step)}`);
    }
  });

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`workflow step input lacks ${name}`);
  return value;
}
