import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { States } from './states.ts';

/** The functions the workflow calls, by the state that calls them. */
export interface WorkflowFunctions {
  /** Runs every step but the failure recorder (functions/handlers/workflow-step.ts, dispatching on `step`). */
  readonly workflowStep: IFunction;
  readonly recordWorkflowFailure: IFunction;
}

/**
 * Every Task gets the same retry policy: full jitter keeps a burst of incidents from retrying in lock-step,
 * and the cap keeps the last attempt close to the first. Six attempts: a page must survive a dependency that
 * fails often for a while (measured with 20% injected DynamoDB failures, four were not always enough).
 */
export const taskRetry: sfn.RetryProps = {
  errors: [sfn.Errors.ALL],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 6,
  maxDelay: Duration.seconds(30),
  jitterStrategy: sfn.JitterType.FULL,
};

/**
 * Longer than the workflow functions' own 60 s timeout, so a slow function fails as a Lambda timeout (and is
 * retried) before the state gives up. Set explicitly because the local emulator's default is 60 s.
 */
export const taskTimeout = Duration.seconds(90);

export interface LambdaTaskOptions {
  readonly payload: sfn.TaskInput;
  /** Where the function's answer goes in the state; DISCARD keeps the input unchanged. */
  readonly resultPath: string;
  readonly comment?: string;
}

/**
 * A Lambda Task as every state in this workflow needs it: the function ARN as Resource (payloadResponseOnly, so
 * the local target can bind it by state name), an explicit timeout and the shared retry policy. The CDK's
 * extra retry on Lambda service exceptions is turned off: the shared policy already retries every error, with
 * the jitter and cap that policy lacks.
 */
export function lambdaTask(
  scope: Construct,
  stateName: string,
  fn: IFunction,
  options: LambdaTaskOptions,
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, stateName, {
    stateName,
    comment: options.comment,
    lambdaFunction: fn,
    payload: options.payload,
    payloadResponseOnly: true,
    retryOnServiceExceptions: false,
    resultPath: options.resultPath,
    taskTimeout: sfn.Timeout.duration(taskTimeout),
  });
  task.addRetry(taskRetry);
  return task;
}

/** The failure path every Task catches into: record the failure on the incident, then fail the execution. */
export interface FailurePath {
  /** Catch target for every Task except the failure recorder itself. */
  readonly recordFailure: sfn.IChainable;
  readonly failed: sfn.Fail;
}

export function failurePath(scope: Construct, fns: WorkflowFunctions): FailurePath {
  const failed = new sfn.Fail(scope, States.WorkflowFailed, {
    stateName: States.WorkflowFailed,
    error: 'IncidentWorkflowFailed',
    cause: 'A workflow step failed after its retries; the failure is on the incident timeline.',
  });
  const record = lambdaTask(scope, States.RecordWorkflowFailure, fns.recordWorkflowFailure, {
    comment: 'Puts the failure on the incident timeline and tells the operators.',
    payload: sfn.TaskInput.fromObject({
      incidentId: sfn.JsonPath.stringAt('$.incidentId'),
      key: sfn.JsonPath.stringAt('$.key'),
      failure: sfn.JsonPath.objectAt('$.failure'),
    }),
    resultPath: sfn.JsonPath.DISCARD,
  });
  // If even recording fails there is nothing left to try: fail the execution, whose history keeps the error.
  record.addCatch(failed, { errors: [sfn.Errors.ALL], resultPath: '$.recordFailure' });
  return { recordFailure: record.next(failed), failed };
}

/** Sends a Task's uncaught error (after retries) to the failure path, keeping the input beside the error. */
export function catchToFailurePath<T extends sfn.TaskStateBase>(task: T, path: FailurePath): T {
  task.addCatch(path.recordFailure, { errors: [sfn.Errors.ALL], resultPath: '$.failure' });
  return task;
}

/**
 * A wait on people: the task's Lambda keeps the task token on the incident (server side) and returns; an
 * acknowledgement, update or resolution resumes it with SendTaskSuccess. The wait is bounded by a time from the
 * state (TimeoutSecondsPath); running out is States.Timeout, which is never retried (the first retrier takes it
 * with no attempts) and goes to its own Catch.
 */
export function tokenWait(
  scope: Construct,
  stateName: string,
  fn: IFunction,
  options: { payload: Record<string, unknown>; timeoutPath: string; resultPath: string; comment: string },
): tasks.LambdaInvoke {
  const task = new tasks.LambdaInvoke(scope, stateName, {
    stateName,
    comment: options.comment,
    lambdaFunction: fn,
    integrationPattern: sfn.IntegrationPattern.WAIT_FOR_TASK_TOKEN,
    payload: sfn.TaskInput.fromObject({ ...options.payload, token: sfn.JsonPath.taskToken }),
    retryOnServiceExceptions: false,
    resultPath: options.resultPath,
    taskTimeout: sfn.Timeout.at(options.timeoutPath),
  });
  task.addRetry({ errors: [sfn.Errors.TIMEOUT], maxAttempts: 0 });
  task.addRetry(taskRetry);
  return task;
}

/**
 * The incident workflow (execution input `{ incidentId, key }`), per the handbook:
 * page the incident manager and wait for an acknowledgement (escalating to the backup, then IMOC, each time the
 * wait runs out) -> start the response (meeting places, first internal and external comms) -> the comms loop
 * (wait for an update until one is due; an overdue update reminds, a second miss escalates) -> resolved ->
 * final comms -> hand-off to the postmortem (sev 1-2 always, sev 3 on request).
 */
export function buildDefinition(scope: Construct, fns: WorkflowFunctions): sfn.IChainable {
  const failure = failurePath(scope, fns);
  const ids = { incidentId: sfn.JsonPath.stringAt('$.incidentId'), key: sfn.JsonPath.stringAt('$.key') };
  const step = (stateName: string, name: string, resultPath: string, comment: string, extra = {}) =>
    catchToFailurePath(
      lambdaTask(scope, stateName, fns.workflowStep, {
        comment,
        payload: sfn.TaskInput.fromObject({ step: name, ...ids, ...extra }),
        resultPath,
      }),
      failure,
    );

  const prepare = new sfn.Pass(scope, States.Prepare, {
    stateName: States.Prepare,
    comment: 'Escalation starts at tier 0: the service incident managers.',
    result: sfn.Result.fromObject({ nextTier: 0 }),
    resultPath: '$.page',
  });
  const page = step(
    States.PageIncidentManager,
    'page',
    '$.page',
    'Pages the tier with signed acknowledge links.',
    {
      tier: sfn.JsonPath.numberAt('$.page.nextTier'),
    },
  );
  const waitForAck = tokenWait(scope, States.WaitForAcknowledgement, fns.workflowStep, {
    comment: 'Waits for an acknowledgement (link, API or CLI); runs out after the severity timeout.',
    payload: { step: 'waitForAcknowledgement', ...ids },
    timeoutPath: '$.page.ackTimeoutSeconds',
    resultPath: '$.ack',
  });
  waitForAck.addCatch(page, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
  catchToFailurePath(waitForAck, failure);

  const startResponse = step(
    States.StartResponse,
    'startResponse',
    '$.loop',
    'Records the meeting places, sends the first internal and external comms, plans the first update.',
  );
  const finalComms = step(
    States.FinalComms,
    'finalComms',
    '$.final',
    'Sends the final internal and external comms.',
  );
  const waitForUpdate = tokenWait(scope, States.WaitForUpdate, fns.workflowStep, {
    comment: 'Waits for an update, a change or the resolution; runs out when an update is due.',
    payload: { step: 'waitForUpdate', ...ids, since: sfn.JsonPath.stringAt('$.loop.since') },
    timeoutPath: '$.loop.waitSeconds',
    resultPath: '$.loop',
  });
  const overdue = step(
    States.UpdateOverdue,
    'updateOverdue',
    '$.loop',
    'Reminds, or escalates a second miss to IMOC.',
    {
      since: sfn.JsonPath.stringAt('$.loop.since'),
    },
  );
  waitForUpdate.addCatch(overdue, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
  catchToFailurePath(waitForUpdate, failure);

  const resolvedYet = new sfn.Choice(scope, States.ResolvedYet, { stateName: States.ResolvedYet })
    .when(sfn.Condition.stringEquals('$.loop.event', 'resolved'), finalComms)
    .otherwise(waitForUpdate);
  waitForUpdate.next(resolvedYet);
  overdue.next(resolvedYet);

  const handOff = new sfn.Choice(scope, States.PostmortemNeeded, { stateName: States.PostmortemNeeded })
    .when(
      sfn.Condition.stringEquals('$.final.postmortem', 'not-required'),
      new sfn.Succeed(scope, States.Resolved, {
        stateName: States.Resolved,
        comment: 'Sev 3, no postmortem requested.',
      }),
    )
    .otherwise(
      new sfn.Succeed(scope, States.ResolvedPostmortemPending, {
        stateName: States.ResolvedPostmortemPending,
        comment: 'Hand-off: the postmortem workflow takes over from here.',
      }),
    );
  finalComms.next(handOff);

  const acknowledgedOrResolved = new sfn.Choice(scope, States.AcknowledgedOrResolved, {
    stateName: States.AcknowledgedOrResolved,
  })
    .when(sfn.Condition.stringEquals('$.ack.event', 'resolved'), finalComms)
    .otherwise(startResponse.next(resolvedYet));

  return prepare.next(page).next(waitForAck).next(acknowledgedOrResolved);
}
