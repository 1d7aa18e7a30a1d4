import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { organisation, publicBaseUrl } from '../adapters/config.ts';
import { signingKeys } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { sesMailer } from '../adapters/mailer.ts';
import { tableStores } from '../adapters/stores.ts';
import { recordWorkflowFailure, type WorkflowFailureInput } from '../use-cases/record-workflow-failure.ts';

/** Workflow Catch target: records the failure on the timeline and mails the operators. */
export const handler = middy<WorkflowFailureInput>()
  .use(injectLambdaContext(logger))
  .handler(async (input) => {
    const { incidents, comms } = tableStores();
    const org = organisation();
    logger.error('incident workflow failed', { key: input.key, error: input.failure?.Error });
    return recordWorkflowFailure(
      {
        incidents,
        comms,
        mailer: sesMailer(org),
        organisation: org,
        baseUrl: publicBaseUrl(org),
        now: () => new Date(),
        signingKeys,
      },
      input,
    );
  });
