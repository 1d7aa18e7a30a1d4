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
 * route by the incident's current severity -> sev 1-2: page the incident manager and wait for an
 * acknowledgement (escalating to the backup, then IMOC, each time the wait runs out); sev 3: pass it to the
 * owner team and wait for an acknowledgement until the next business morning, then remind the team once a
 * business day (never paged, never escalated); a severity change across the two while nobody has acknowledged
 * routes again -> start the response (meeting places, first internal and external comms) -> the comms loop
 * (wait for an update until one is due; an overdue update reminds, a second miss escalates) -> resolved ->
 * final comms -> hand-off to the postmortem (sev 1-2 always, sev 3 on request).
 */
export function buildDefinition(scope: Construct, fns: WorkflowFunctions): sfn.IChainable {
  const failure = failurePath(scope, fns);
  const ids = { incidentId: sfn.JsonPath.stringAt('$.incidentId'), key: sfn.JsonPath.stringAt('$.key') };
  // Each wait counts itself for its execution, which hands the incident over to a new one when it has waited
  // enough or long enough (core/executions.ts): Step Functions caps an execution's history and its duration.
  const execution = {
    execution: sfn.JsonPath.stringAt('$$.Execution.Name'),
    executionStartedAt: sfn.JsonPath.stringAt('$$.Execution.StartTime'),
  };
  const step = (stateName: string, name: string, resultPath: string, comment: string, extra = {}) =>
    catchToFailurePath(
      lambdaTask(scope, stateName, fns.workflowStep, {
        comment,
        payload: sfn.TaskInput.fromObject({ step: name, ...ids, ...extra }),
        resultPath,
      }),
      failure,
    );

  const route = step(
    States.RouteBySeverity,
    'route',
    '$.page',
    "Reads the incident's current severity: sev 1-2 are paged (escalation from tier 0), sev 3 goes to its team.",
  );
  const page = step(
    States.PageIncidentManager,
    'page',
    '$.page',
    'Pages the tier with signed acknowledge links.',
    {
      tier: sfn.JsonPath.numberAt('$.page.nextTier'),
      round: sfn.JsonPath.numberAt('$.page.round'),
    },
  );
  const waitForAck = tokenWait(scope, States.WaitForAcknowledgement, fns.workflowStep, {
    comment:
      'Waits for an acknowledgement (link, API or CLI); runs out after the severity timeout. Lowered to sev 3: routes again.',
    payload: { step: 'waitForAcknowledgement', wait: 'incidentManager', clears: true, ...ids, ...execution },
    timeoutPath: '$.page.ackTimeoutSeconds',
    resultPath: '$.ack',
  });
  waitForAck.addCatch(page, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
  catchToFailurePath(waitForAck, failure);
  page.next(waitForAck);

  // Sev 3: the owner team, in business hours. No page and no escalation: a reminder each business morning.
  const notifyTeam = step(
    States.NotifyTeam,
    'notifyTeam',
    '$.team',
    'Mails the owner team the incident with a signed acknowledge link; plans the reminder for the next business morning.',
    { round: sfn.JsonPath.numberAt('$.page.round') },
  );
  const remindTeam = step(
    States.RemindTeam,
    'remindTeam',
    '$.team',
    'Reminds the team once for this business day with a fresh acknowledge link; plans the next business morning.',
    {
      round: sfn.JsonPath.numberAt('$.team.round'),
      remindAt: sfn.JsonPath.stringAt('$.team.remindAt'),
    },
  );
  const waitForTeamAck = tokenWait(scope, States.WaitForTeamAcknowledgement, fns.workflowStep, {
    comment:
      'Waits for the team to acknowledge (link, API or CLI) until the next business morning. Raised to sev 1-2: routes again.',
    payload: { step: 'waitForAcknowledgement', wait: 'team', clears: true, ...ids, ...execution },
    timeoutPath: '$.team.waitSeconds',
    resultPath: '$.ack',
  });
  waitForTeamAck.addCatch(remindTeam, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
  catchToFailurePath(waitForTeamAck, failure);
  notifyTeam.next(waitForTeamAck);
  remindTeam.next(waitForTeamAck);

  const pageOrNotifyTeam = new sfn.Choice(scope, States.PageOrNotifyTeam, {
    stateName: States.PageOrNotifyTeam,
    comment: 'Sev 3 goes to the owner team; sev 1-2 page the incident manager.',
  })
    .when(sfn.Condition.stringEquals('$.page.route', 'team'), notifyTeam)
    .otherwise(page);
  route.next(pageOrNotifyTeam);

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
    payload: { step: 'waitForUpdate', ...ids, since: sfn.JsonPath.stringAt('$.loop.since'), ...execution },
    timeoutPath: '$.loop.waitSeconds',
    resultPath: '$.loop',
  });
  const overdue = step(
    States.UpdateOverdue,
    'updateOverdue',
    '$.loop',
    'Reminds, or escalates a second miss to IMOC.',
    { since: sfn.JsonPath.stringAt('$.loop.since'), ...execution },
  );
  waitForUpdate.addCatch(overdue, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
  catchToFailurePath(waitForUpdate, failure);

  // A wait that has waited enough hands over: the next execution is started, and this one ends.
  const continueExecution = step(
    States.ContinueExecution,
    'continueExecution',
    '$.continued',
    'Starts the execution that continues this one (HOT-12 -> HOT-12-2) and names it on the incident.',
    { execution: sfn.JsonPath.stringAt('$$.Execution.Name') },
  ).next(
    new sfn.Succeed(scope, States.Continued, {
      stateName: States.Continued,
      comment: 'The incident goes on in the next execution.',
    }),
  );
  const handedOver = (path: string) => sfn.Condition.stringEquals(path, 'continue');

  const resolvedYet = new sfn.Choice(scope, States.ResolvedYet, { stateName: States.ResolvedYet })
    .when(sfn.Condition.stringEquals('$.loop.event', 'resolved'), finalComms)
    .when(handedOver('$.loop.event'), continueExecution)
    .otherwise(waitForUpdate);
  waitForUpdate.next(resolvedYet);
  overdue.next(resolvedYet);

  // The postmortem: opened (pre-filled, the owner mailed an editor link), then a wait for the approval request,
  // with reminders to the owner the day before and at the due time, and to the approvers once it is overdue.
  const openPostmortem = step(
    States.OpenPostmortem,
    'openPostmortem',
    '$.postmortem',
    'Opens the postmortem (once), mails its owner the editor link, plans the first reminder.',
  );
  const waitForPostmortem = tokenWait(scope, States.WaitForPostmortem, fns.workflowStep, {
    comment: 'Waits for the approval request; runs out at the next reminder.',
    payload: { step: 'waitForPostmortem', ...ids, ...execution },
    timeoutPath: '$.postmortem.waitSeconds',
    resultPath: '$.review',
  });
  const remindPostmortem = step(
    States.RemindPostmortem,
    'remindPostmortem',
    '$.postmortem',
    'Reminds the owner (the day before, at the due time) or tells the approvers it is overdue.',
    { reminder: sfn.JsonPath.stringAt('$.postmortem.reminder') },
  );
  waitForPostmortem.addCatch(remindPostmortem, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
  catchToFailurePath(waitForPostmortem, failure);
  openPostmortem.next(waitForPostmortem);
  remindPostmortem.next(waitForPostmortem);
  // Approval: a token wait while the approvers decide through their links, reminding the pending ones every two
  // business days; changes requested send the postmortem back to its draft wait, approval publishes it.
  const waitForApproval = tokenWait(scope, States.WaitForApproval, fns.workflowStep, {
    comment: 'Waits for the approvers (links); runs out every two business days to remind the pending ones.',
    payload: { step: 'waitForApproval', ...ids, ...execution },
    timeoutPath: '$.review.waitSeconds',
    resultPath: '$.review',
  });
  const remindApprovers = step(
    States.RemindApprovers,
    'remindApprovers',
    '$.review',
    'Reminds pending approvers with fresh links and tells the owner who is pending.',
    { round: sfn.JsonPath.numberAt('$.review.round') },
  );
  const publish = step(
    States.PublishPostmortem,
    'publishPostmortem',
    '$.published',
    'Publishes the approved postmortem (stored, mailed to the lists that read it).',
  );
  waitForApproval.addCatch(remindApprovers, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
  catchToFailurePath(waitForApproval, failure);
  remindApprovers.next(waitForApproval);
  publish.next(
    new sfn.Succeed(scope, States.Published, {
      stateName: States.Published,
      comment: 'The postmortem is approved and published; its priority actions are followed to their SLO.',
    }),
  );
  waitForPostmortem.next(
    new sfn.Choice(scope, States.PostmortemOutcome, { stateName: States.PostmortemOutcome })
      .when(handedOver('$.review.event'), continueExecution)
      .otherwise(waitForApproval),
  );
  waitForApproval.next(
    new sfn.Choice(scope, States.ApprovalOutcome, { stateName: States.ApprovalOutcome })
      .when(sfn.Condition.stringEquals('$.review.event', 'approved'), publish)
      .when(sfn.Condition.stringEquals('$.review.event', 'changes-requested'), waitForPostmortem)
      .when(handedOver('$.review.event'), continueExecution)
      .otherwise(waitForApproval),
  );

  const handOff = new sfn.Choice(scope, States.PostmortemNeeded, { stateName: States.PostmortemNeeded })
    .when(
      sfn.Condition.stringEquals('$.final.postmortem', 'not-required'),
      new sfn.Succeed(scope, States.Resolved, {
        stateName: States.Resolved,
        comment: 'Sev 3, no postmortem requested.',
      }),
    )
    .otherwise(openPostmortem);
  finalComms.next(handOff);

  // Both acknowledgement waits end here: a severity change across sev 3 and sev 1-2 routes again.
  // Every alert cleared before anyone acknowledged: tell whoever was paged, stop escalating, and after the grace
  // resolve it as cleared. An acknowledgement or a resolution meanwhile goes on as from any acknowledgement
  // wait; an alert that fires again goes on with the escalation where it stopped.
  const alertsCleared = step(
    States.AlertsCleared,
    'alertsCleared',
    '$.cleared',
    'Tells whoever was paged (or the sev 3 team) that every alert cleared before anyone acknowledged; plans the grace.',
  );
  const waitAfterCleared = tokenWait(scope, States.WaitAfterAlertsCleared, fns.workflowStep, {
    comment:
      'Waits, escalating nobody, for an acknowledgement, the resolution or an alert firing again, until the grace ends.',
    payload: { step: 'waitForAcknowledgement', wait: 'cleared', clears: true, ...ids, ...execution },
    timeoutPath: '$.cleared.waitSeconds',
    resultPath: '$.ack',
  });
  const resolveCleared = step(
    States.ResolveCleared,
    'resolveCleared',
    '$.ack',
    'The grace ran out with nobody acknowledging: resolves the incident as cleared before acknowledgement.',
  );
  waitAfterCleared.addCatch(resolveCleared, { errors: [sfn.Errors.TIMEOUT], resultPath: '$.timeout' });
  catchToFailurePath(waitAfterCleared, failure);
  alertsCleared.next(waitAfterCleared);
  const resumeEscalation = step(
    States.ResumeEscalation,
    'resumeEscalation',
    '$.page',
    'An alert fired again within the grace: the escalation goes on at the tier it had reached, as a new round.',
  );
  resumeEscalation.next(pageOrNotifyTeam);
  const escalateNow = step(
    States.EscalateNow,
    'resumeEscalation',
    '$.page',
    "The tier's page reached nobody on any channel: the next tier, at once.",
    { next: true },
  );
  escalateNow.next(pageOrNotifyTeam);

  const acknowledgementOutcome = new sfn.Choice(scope, States.AcknowledgementOutcome, {
    stateName: States.AcknowledgementOutcome,
  })
    .when(sfn.Condition.stringEquals('$.ack.event', 'resolved'), finalComms)
    .when(sfn.Condition.stringEquals('$.ack.event', 'cleared'), alertsCleared)
    .when(sfn.Condition.stringEquals('$.ack.event', 'refired'), resumeEscalation)
    // The tier's page reached nobody (every channel failed): the next tier at once.
    .when(sfn.Condition.stringEquals('$.ack.event', 'undeliverable'), escalateNow)
    .when(
      sfn.Condition.or(
        sfn.Condition.stringEquals('$.ack.event', 'raised'),
        sfn.Condition.stringEquals('$.ack.event', 'lowered'),
      ),
      route,
    )
    .when(handedOver('$.ack.event'), continueExecution)
    .otherwise(startResponse.next(resolvedYet));
  waitForAck.next(acknowledgementOutcome);
  waitForTeamAck.next(acknowledgementOutcome);
  waitAfterCleared.next(acknowledgementOutcome);
  resolveCleared.next(acknowledgementOutcome);

  // An execution that continues another picks the incident up at the wait it was in, with what that wait reads
  // (the step's answer replaces the state: `at`, the ids and the wait's plan).
  const resumeExecution = catchToFailurePath(
    lambdaTask(scope, States.ResumeExecution, fns.workflowStep, {
      comment: 'Says where the incident is (the wait it was in) for an execution that continues another.',
      payload: sfn.TaskInput.fromObject({ step: 'resumeExecution', ...ids }),
      resultPath: '$',
    }),
    failure,
  );
  const at = (point: string) => sfn.Condition.stringEquals('$.at', point);
  resumeExecution.next(
    new sfn.Choice(scope, States.ResumeAt, { stateName: States.ResumeAt })
      .when(at('acknowledgement'), waitForAck)
      .when(at('team'), waitForTeamAck)
      .when(at('response'), waitForUpdate)
      .when(at('postmortem'), waitForPostmortem)
      .when(at('approval'), waitForApproval)
      .otherwise(route),
  );

  // An execution started for a postmortem alone (a sev 3 whose postmortem was asked for after its incident's
  // own execution ended) begins at the postmortem; every incident's execution begins at the route.
  const phase = (name: string) =>
    sfn.Condition.and(sfn.Condition.isPresent('$.phase'), sfn.Condition.stringEquals('$.phase', name));
  return new sfn.Choice(scope, States.Phase, { stateName: States.Phase })
    .when(phase('postmortem'), openPostmortem)
    .when(phase('continue'), resumeExecution)
    .otherwise(route);
}
