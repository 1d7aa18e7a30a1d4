import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ulid } from 'ulid';
import { ActionsRepository } from '../adapters/actions-repository.ts';
import { AlertGroupsRepository } from '../adapters/alert-groups-repository.ts';
import { ChannelHealthRepository } from '../adapters/channel-health-repository.ts';
import { CommsRepository } from '../adapters/comms-repository.ts';
import { IncidentsRepository } from '../adapters/incidents-repository.ts';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { OverridesRepository } from '../adapters/overrides-repository.ts';
import { PageCodesRepository } from '../adapters/page-codes-repository.ts';
import { PageCountsRepository } from '../adapters/page-counts-repository.ts';
import { pagerPort } from '../adapters/pager.ts';
import { PostmortemsRepository } from '../adapters/postmortems-repository.ts';
import { repositoriesPort } from '../adapters/repositories.ts';
import { StatusPageRepository } from '../adapters/status-page-repository.ts';
import { workflowCallbackPort, workflowStarterPort } from '../adapters/workflow.ts';
import {
  type StepInputOf,
  type StepName,
  type StepOutputOf,
  stepInput,
  stepOutput,
} from '../core/workflow-contracts.ts';
import {
  publishPostmortem,
  remindApprovers,
  waitForApproval,
  waitForPostmortem,
} from '../use-cases/approvals.ts';
import { continueExecution, type ExecutionDeps, resumeExecution } from '../use-cases/executions.ts';
import { openPostmortemStep, remindPostmortem } from '../use-cases/postmortems.ts';
import { steps } from '../use-cases/workflow-steps.ts';
import { linkedTo } from './capabilities.ts';
import { responseDeps } from './response-deps.ts';

const use = linkedTo('WorkflowStep');
const stores = use(
  repositoriesPort({
    incidents: IncidentsRepository,
    groups: AlertGroupsRepository,
    comms: CommsRepository,
    statusPage: StatusPageRepository,
    postmortems: PostmortemsRepository,
    actions: ActionsRepository,
    overrides: OverridesRepository,
    pageCodes: PageCodesRepository,
    pageCounts: PageCountsRepository,
    channelHealth: ChannelHealthRepository,
  }),
);
const pager = use(pagerPort);
const starter = use(workflowStarterPort);
const shared = responseDeps({
  stores,
  mailer: use(mailerPort),
  workflow: use(workflowCallbackPort),
  links: use(linksPort),
});

let deps: ExecutionDeps | undefined;
function dependencies(): ExecutionDeps {
  deps ??= {
    ...shared(),
    postmortems: stores().postmortems,
    actions: stores().actions,
    overrides: stores().overrides,
    pageCodes: stores().pageCodes,
    pageCounts: stores().pageCounts,
    pager: pager(),
    spendLimits: stores().channelHealth,
    newId: ulid,
    starter: starter(),
  };
  return deps;
}

type Runner<S extends StepName> = (d: ExecutionDeps, input: StepInputOf<S>) => Promise<unknown>;

/** Each step of the contract (core/workflow-contracts.ts) and the use case that runs it. */
const runners: { [S in StepName]: Runner<S> } = {
  route: (d, i) => steps.route(d, i),
  page: (d, i) => steps.page(d, i),
  waitForAcknowledgement: (d, i) => steps.waitForAcknowledgement(d, i),
  alertsCleared: (d, i) => steps.alertsCleared(d, i),
  resolveCleared: (d, i) => steps.resolveCleared(d, i),
  resumeEscalation: (d, i) => steps.resumeEscalation(d, i),
  notifyTeam: (d, i) => steps.notifyTeam(d, i),
  remindTeam: (d, i) => steps.remindTeam(d, i),
  startResponse: (d, i) => steps.startResponse(d, i),
  waitForUpdate: (d, i) => steps.waitForUpdate(d, i),
  updateOverdue: (d, i) => steps.updateOverdue(d, i),
  finalComms: (d, i) => steps.finalComms(d, i),
  openPostmortem: (d, i) => openPostmortemStep(d, i),
  waitForPostmortem: (d, i) => waitForPostmortem(d, i),
  remindPostmortem: (d, i) => remindPostmortem(d, i),
  waitForApproval: (d, i) => waitForApproval(d, i),
  remindApprovers: (d, i) => remindApprovers(d, i),
  publishPostmortem: (d, i) => publishPostmortem(d, i),
  continueExecution: (d, i) => continueExecution(d, i),
  resumeExecution: (d, i) => resumeExecution(d, i),
};

/**
 * The workflow's steps, one function: the state machine names the step in its payload. The input and the answer
 * are checked against the step's contract; errors propagate: the state machine's Retry and Catch decide.
 */
export const handler = middy<unknown>()
  .use(injectLambdaContext(logger))
  .handler(async (event): Promise<StepOutputOf<StepName>> => {
    const { step, input } = stepInput(event);
    logger.appendKeys({ incident: input.key, step });
    const run = runners[step] as Runner<StepName>;
    return stepOutput(step, await run(dependencies(), input));
  });
