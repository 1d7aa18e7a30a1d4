/**
 * Grants of the stack that the least-privilege journey (test/e2e/least-privilege.test.ts) does not exercise, each
 * with its reason. Every other grant must be used by a call of the journey, or the test fails: a grant no call
 * needs is a grant to remove. Matched by principal, action and resource (regular expressions).
 */
export interface GrantException {
  principal: RegExp;
  action: RegExp;
  resource: RegExp;
  reason: string;
}

export const grantExceptions: readonly GrantException[] = [
  {
    principal: /.*/,
    action: /^logs:(CreateLogStream|PutLogEvents)$/,
    resource: /^arn:aws:logs:/,
    reason:
      "The Lambda service writes each function's logs to its own log group with the function's role; the code makes no CloudWatch Logs call, and the local target prints the logs instead.",
  },
  {
    principal: /.*/,
    action: /^xray:/,
    resource: /^\*$/,
    reason:
      'Active tracing: the Lambda and Step Functions services send the trace segments with the role (X-Ray has no resource-level permissions); nothing is traced locally.',
  },
  {
    principal: /^WorkflowStateMachineRole$/,
    action: /^logs:/,
    resource: /^\*$/,
    reason:
      "Step Functions delivers the execution logs to the machine's log group through CloudWatch Logs vended delivery (no resource-level permissions); locally the execution history is kept instead.",
  },
  {
    principal: /^(WorkflowStateMachineRole|SchedulesInvokeRole)$/,
    action: /^lambda:InvokeFunction$/,
    resource: /:function:[^:]+:\*$/,
    reason:
      "CDK's LambdaInvoke task and Scheduler target grant the function's versions and aliases too; the stack invokes the unqualified function only (no versions or aliases are published).",
  },
  {
    principal: /^SendSloReports$/,
    action: /^dynamodb:DeleteItem$/,
    resource: /:table\/[^/]+$/,
    reason:
      "A report run's leased claim is given back (deleted) only when its mail fails to send, which the journey does not inject (test/integration/reports.test.ts does).",
  },
  {
    principal:
      /^(RunSloReport|SweepUnstartedWorkflows|SweepActionReminders|SendSloReports|SmsReplies|MailEvents|MailReplies)$/,
    action: /^(sns:Publish|kms:(Decrypt|GenerateDataKey\*))$/,
    resource: /^arn:aws:(sns|kms):/,
    reason:
      "The failure destinations: Lambda publishes a failed asynchronous invocation's record (the schedules' functions), or the place of a stream batch it gave up on (RunSloReport's event source mapping), to the operators' encrypted topic with the function's role (SmsReplies, MailEvents and MailReplies: a reply or a mail event SNS delivered that failed its retries). The journey has no failing scheduled function, SMS reply, mail event or report run (test/e2e/operator-alarms.test.ts and test/integration/report-run-stream.test.ts have).",
  },
  {
    principal: /^CredentialsSecureParameterFunction$/,
    action: /^secretsmanager:GetSecretValue$/,
    resource: /:secret:(AlertSourceSecret|LinkSigningKeys)\*$/,
    reason:
      'Reads the Secrets Manager secrets of a 0.2.0 stack once, on the upgrade, to carry their values over; the journey starts a new stack, which has none (test/e2e/upgrade-credentials.test.ts upgrades one).',
  },
];

export function exceptionFor(
  principal: string,
  action: string,
  resource: string,
): GrantException | undefined {
  return grantExceptions.find(
    (e) => e.principal.test(principal) && e.action.test(action) && e.resource.test(resource),
  );
}
