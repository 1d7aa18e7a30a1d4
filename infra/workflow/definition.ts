import { Duration } from 'aws-cdk-lib';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import * as sfn from 'aws-cdk-lib/aws-stepfunctions';
import * as tasks from 'aws-cdk-lib/aws-stepfunctions-tasks';
import type { Construct } from 'constructs';
import { States } from './states.ts';

/** The functions the workflow calls, by the state that calls them. */
export interface WorkflowFunctions {
  readonly pageIncidentManager: IFunction;
  readonly recordWorkflowFailure: IFunction;
}

/**
 * Every Task gets the same retry policy: full jitter keeps a burst of incidents from retrying in lock-step,
 * and the cap keeps the last attempt close to the first.
 */
export const taskRetry: sfn.RetryProps = {
  errors: [sfn.Errors.ALL],
  interval: Duration.seconds(2),
  backoffRate: 2,
  maxAttempts: 4,
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
 * The incident workflow. Execution input is `{ incidentId, key }`. Later states (acknowledgement wait with a
 * task token, comms loop, resolution, postmortem) are added here, each built with `lambdaTask` and
 * `catchToFailurePath` so they share the retry, timeout and failure handling.
 */
export function buildDefinition(scope: Construct, fns: WorkflowFunctions): sfn.IChainable {
  const failure = failurePath(scope, fns);

  const page = catchToFailurePath(
    lambdaTask(scope, States.PageIncidentManager, fns.pageIncidentManager, {
      comment: 'Emails the incident manager the page with signed links.',
      payload: sfn.TaskInput.fromObject({
        incidentId: sfn.JsonPath.stringAt('$.incidentId'),
        key: sfn.JsonPath.stringAt('$.key'),
      }),
      resultPath: '$.page',
    }),
    failure,
  );

  return page.next(new sfn.Succeed(scope, States.Paged, { stateName: States.Paged }));
}
