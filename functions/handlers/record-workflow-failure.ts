import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { organisation } from '../adapters/config.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { recordWorkflowFailure, type WorkflowFailureInput } from '../use-cases/record-workflow-failure.ts';
import { linkedTo } from './capabilities.ts';

const use = linkedTo('RecordWorkflowFailure');
const stores = use(repositoriesPort({ incidents: IncidentsRepository, comms: CommsRepository }));
const mailer = use(mailerPort);
const links = use(linksPort);

/** Workflow Catch target: records the failure on the timeline and mails the operators. */
export const handler = middy<WorkflowFailureInput>()
  .use(injectLambdaContext(logger))
  .handler(async (input) => {
    const { incidents, comms } = stores();
    const org = organisation();
    logger.error('incident workflow failed', { key: input.key, error: input.failure?.Error });
    return recordWorkflowFailure(
      {
        incidents,
        comms,
        mailer: mailer(),
        organisation: org,
        ...links(),
        now: () => new Date(),
      },
      input,
    );
  });
