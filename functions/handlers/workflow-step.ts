import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import { ulid } from 'ulid';
import { linksPort } from '../adapters/link-keys.ts';
import { logger } from '../adapters/logger.ts';
import { mailerPort } from '../adapters/mailer.ts';
import { storesPort } from '../adapters/stores.ts';
import { workflowCallbackPort } from '../adapters/workflow.ts';
import type { PostmortemReminder } from '../core/postmortem.ts';
import {
  publishPostmortem,
  remindApprovers,
  waitForApproval,
  waitForPostmortem,
} from '../use-cases/approvals.ts';
import { openPostmortemStep, type PostmortemDeps, remindPostmortem } from '../use-cases/postmortems.ts';
import {
  type AcknowledgementWait,
  type StepDeps,
  type StepName,
  steps,
} from '../use-cases/workflow-steps.ts';
import { linkedTo } from './capabilities.ts';
import { responseDeps } from './response-deps.ts';

const use = linkedTo('WorkflowStep');
const stores = use(storesPort);
const shared = responseDeps({
  stores,
  mailer: use(mailerPort),
  workflow: use(workflowCallbackPort),
  links: use(linksPort),
});

/** The workflow's steps, one function: the state machine names the step in its payload. */
export interface StepEvent {
  step:
    | StepName
    | 'openPostmortem'
    | 'waitForPostmortem'
    | 'remindPostmortem'
    | 'waitForApproval'
    | 'remindApprovers'
    | 'publishPostmortem';
  incidentId: string;
  key: string;
  tier?: number;
  token?: string;
  since?: string;
  /** Which way the route step sent the incident last (0 first): keys the mails of a route. */
  round?: number;
  /** Which acknowledgement a wait is for. */
  wait?: AcknowledgementWait;
  /** The business morning a team reminder is for. */
  remindAt?: string;
  /** The postmortem reminder whose time has come. */
  reminder?: PostmortemReminder | 'none';
}

let deps: (StepDeps & PostmortemDeps) | undefined;

function dependencies(): StepDeps & PostmortemDeps {
  deps ??= {
    ...shared(),
    postmortems: stores().postmortems,
    actions: stores().actions,
    newId: ulid,
  };
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
      case 'route':
        return steps.route(d, input);
      case 'page':
        return steps.page(d, { ...input, tier: event.tier ?? 0, round: event.round ?? 0 });
      case 'notifyTeam':
        return steps.notifyTeam(d, { ...input, round: event.round ?? 0 });
      case 'remindTeam':
        return steps.remindTeam(d, {
          ...input,
          remindAt: required(event.remindAt, 'remindAt'),
          round: event.round ?? 0,
        });
      case 'waitForAcknowledgement':
        return steps.waitForAcknowledgement(d, {
          ...input,
          token: required(event.token, 'token'),
          ...(event.wait === 'team' || event.wait === 'incidentManager' ? { wait: event.wait } : {}),
        });
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
      case 'openPostmortem':
        return openPostmortemStep(d, input);
      case 'waitForPostmortem':
        return waitForPostmortem(d, { ...input, token: required(event.token, 'token') });
      case 'remindPostmortem':
        return remindPostmortem(d, { ...input, reminder: event.reminder ?? 'none' });
      case 'waitForApproval':
        return waitForApproval(d, { ...input, token: required(event.token, 'token') });
      case 'remindApprovers':
        return remindApprovers(d, { ...input, round: event.round ?? 0 });
      case 'publishPostmortem':
        return publishPostmortem(d, input);
      default:
        throw new Error(`unknown workflow step ${String((event as { step: unknown }).step)}`);
    }
  });

function required(value: string | undefined, name: string): string {
  if (!value) throw new Error(`workflow step input lacks ${name}`);
  return value;
}
