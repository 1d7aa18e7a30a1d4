import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { organisation, publicBaseUrl } from '../adapters/config.ts';
import { documentClient, tableName } from '../adapters/dynamodb.ts';
import { logger } from '../adapters/logger.ts';
import { sesMailer } from '../adapters/mailer.ts';
import { IncidentRepository } from '../adapters/repository.ts';
import type { WorkflowInput } from '../adapters/workflow.ts';
import { pageIncidentManager } from '../use-cases/page-incident-manager.ts';

let repo: IncidentRepository | undefined;

/** Workflow task: errors propagate so the state machine's Retry and Catch decide. */
export const handler = middy<WorkflowInput>()
  .use(injectLambdaContext(logger))
  .handler(async (input) => {
    repo ??= new IncidentRepository(documentClient, tableName());
    const org = organisation();
    const result = await pageIncidentManager(
      { repo, mailer: sesMailer(org), organisation: org, baseUrl: publicBaseUrl(org), now: () => new Date() },
      input,
    );
    logger.info('incident manager paged', { key: result.key, messageId: result.messageId });
    return result;
  });
