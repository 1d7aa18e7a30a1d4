import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { States } from '../../infra/workflow/states.ts';
import { arnOf, logicalId, synthesized } from './stack.ts';

interface State {
  Type: string;
  Next?: string;
  End?: boolean;
  Resource?: string;
  TimeoutSeconds?: number;
  ResultPath?: string | null;
  Retry?: Array<Record<string, unknown>>;
  Catch?: Array<{ ErrorEquals: string[]; Next: string; ResultPath?: string }>;
  Branches?: Definition[];
  Iterator?: Definition;
  ItemProcessor?: Definition;
}
interface Definition {
  StartAt: string;
  States: Record<string, State>;
  QueryLanguage?: string;
}

/** The ASL, with each CloudFormation expression in it replaced by its JSON text so the whole parses. */
function definitionOf(template: Template): Definition {
  const machine = Object.values(template.findResources('AWS::StepFunctions::StateMachine'))[0];
  const body = machine?.Properties.DefinitionString as string | { 'Fn::Join': [string, unknown[]] };
  if (typeof body === 'string') return JSON.parse(body);
  const text = body['Fn::Join'][1]
    .map((part) => (typeof part === 'string' ? part : JSON.stringify(part).replaceAll('"', "'")))
    .join('');
  return JSON.parse(text);
}

function allStates(definition: Definition): Array<[string, State]> {
  return Object.entries(definition.States).flatMap(([name, state]) => [
    [name, state] as [string, State],
    ...[...(state.Branches ?? []), state.Iterator, state.ItemProcessor]
      .filter((d): d is Definition => d !== undefined)
      .flatMap(allStates),
  ]);
}

describe('incident workflow', () => {
  let stack: HotlineStack;
  let template: Template;
  let definition: Definition;
  beforeAll(async () => {
    ({ stack, template } = await synthesized());
    definition = definitionOf(template);
  });

  it('is a Standard state machine with full logging (no execution data) and tracing', () => {
    template.resourceCountIs('AWS::StepFunctions::StateMachine', 1);
    template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          {
            CloudWatchLogsLogGroup: {
              LogGroupArn: arnOf(stack.node.findChild('Workflow').node.findChild('Logs')),
            },
          },
        ],
      },
    });
    const logs = template.findResources('AWS::Logs::LogGroup');
    expect(
      logs[logicalId(stack.node.findChild('Workflow').node.findChild('Logs'))]?.Properties,
    ).toMatchObject({
      RetentionInDays: 30,
    });
  });

  it('uses JSONPath only', () => {
    expect(definition.QueryLanguage ?? 'JSONPath').toBe('JSONPath');
    expect(JSON.stringify(definition)).not.toMatch(/JSONata|\{%|"Assign"|"Arguments"|"Output"/);
  });

  it('routes by the current severity: sev 1-2 page and escalate, sev 3 goes to the owner team', () => {
    expect(definition.StartAt).toBe(States.Phase);
    const route = definition.States[States.RouteBySeverity];
    expect(route).toMatchObject({ Type: 'Task', Next: States.PageOrNotifyTeam, ResultPath: '$.page' });
    expect(JSON.stringify(route)).toContain('"step":"route"');
    const choice = definition.States[States.PageOrNotifyTeam] as State & {
      Choices: Array<Record<string, unknown>>;
      Default: string;
    };
    expect(choice.Type).toBe('Choice');
    expect(choice.Choices).toEqual([
      { Variable: '$.page.route', StringEquals: 'team', Next: States.NotifyTeam },
    ]);
    expect(choice.Default).toBe(States.PageIncidentManager);
  });

  it('pages, then waits for an acknowledgement with a token, escalating on timeout', () => {
    const page = definition.States[States.PageIncidentManager];
    expect(page).toMatchObject({ Type: 'Task', Next: States.WaitForAcknowledgement, ResultPath: '$.page' });
    expect(page?.Resource).toBe(JSON.stringify(arnOf(stack.functions.WorkflowStep)).replaceAll('"', "'"));
    expect(JSON.stringify(page)).toContain('"round.$":"$.page.round"');
    const wait = definition.States[States.WaitForAcknowledgement] as State & { TimeoutSecondsPath?: string };
    expect(wait.Resource).toContain('lambda:invoke.waitForTaskToken');
    expect(wait.TimeoutSecondsPath).toBe('$.page.ackTimeoutSeconds');
    expect(JSON.stringify(wait)).toContain('"token.$":"$$.Task.Token"');
    expect(JSON.stringify(wait)).toContain('"wait":"incidentManager"');
    expect(wait.Next).toBe(States.AcknowledgementOutcome);
    // Running out of time escalates (back to the page step, next tier); it is never retried.
    expect(wait.Catch?.[0]).toMatchObject({
      ErrorEquals: ['States.Timeout'],
      Next: States.PageIncidentManager,
    });
    expect(wait.Retry?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], MaxAttempts: 0 });
  });

  it('passes a sev 3 to its team and reminds it each business morning, never paging or escalating', () => {
    const notify = definition.States[States.NotifyTeam];
    expect(notify).toMatchObject({
      Type: 'Task',
      Next: States.WaitForTeamAcknowledgement,
      ResultPath: '$.team',
    });
    expect(JSON.stringify(notify)).toContain('"step":"notifyTeam"');
    const wait = definition.States[States.WaitForTeamAcknowledgement] as State & {
      TimeoutSecondsPath?: string;
    };
    expect(wait.Resource).toContain('lambda:invoke.waitForTaskToken');
    expect(wait.TimeoutSecondsPath).toBe('$.team.waitSeconds');
    expect(JSON.stringify(wait)).toContain('"wait":"team"');
    expect(wait.ResultPath).toBe('$.ack');
    expect(wait.Next).toBe(States.AcknowledgementOutcome);
    // Running out of time at the business morning reminds the team and waits again: no page state is reachable.
    expect(wait.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: States.RemindTeam });
    expect(wait.Retry?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], MaxAttempts: 0 });
    const remind = definition.States[States.RemindTeam];
    expect(remind).toMatchObject({
      Type: 'Task',
      Next: States.WaitForTeamAcknowledgement,
      ResultPath: '$.team',
    });
    expect(JSON.stringify(remind)).toContain('"remindAt.$":"$.team.remindAt"');
  });

  it('sends either wait to the response, the final comms, or back to the route after a severity change', () => {
    const outcome = definition.States[States.AcknowledgementOutcome] as State & {
      Choices: Array<Record<string, unknown>>;
      Default: string;
    };
    expect(outcome.Type).toBe('Choice');
    expect(outcome.Choices).toEqual([
      { Variable: '$.ack.event', StringEquals: 'resolved', Next: States.FinalComms },
      // Every alert cleared before anyone acknowledged: the escalation stops for the grace.
      { Variable: '$.ack.event', StringEquals: 'cleared', Next: States.AlertsCleared },
      // One fired again within it: the escalation goes on where it stopped.
      { Variable: '$.ack.event', StringEquals: 'refired', Next: States.ResumeEscalation },
      // The page reached nobody on any channel: the next tier without waiting out the timeout.
      { Variable: '$.ack.event', StringEquals: 'undeliverable', Next: States.EscalateNow },
      {
        Or: [
          { Variable: '$.ack.event', StringEquals: 'raised' },
          { Variable: '$.ack.event', StringEquals: 'lowered' },
        ],
        Next: States.RouteBySeverity,
      },
      // The execution waited enough: the incident goes on in the next one.
      { Variable: '$.ack.event', StringEquals: 'continue', Next: States.ContinueExecution },
    ]);
    expect(outcome.Default).toBe(States.StartResponse);
  });

  it('after every alert cleared, waits the grace escalating nobody, then resolves it as cleared', () => {
    expect(definition.States[States.AlertsCleared]?.Next).toBe(States.WaitAfterAlertsCleared);
    const wait = definition.States[States.WaitAfterAlertsCleared] as State & {
      TimeoutSecondsPath?: string;
      Parameters: { Payload: Record<string, unknown> };
    };
    expect(wait.TimeoutSecondsPath).toBe('$.cleared.waitSeconds');
    expect(wait.Parameters.Payload).toMatchObject({
      step: 'waitForAcknowledgement',
      wait: 'cleared',
      clears: true,
    });
    expect(wait.Next).toBe(States.AcknowledgementOutcome);
    expect(wait.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: States.ResolveCleared });
    expect(definition.States[States.ResolveCleared]?.Next).toBe(States.AcknowledgementOutcome);
    expect(definition.States[States.ResumeEscalation]?.Next).toBe(States.PageOrNotifyTeam);
    // Both acknowledgement waits say that their definition handles alerts that clear.
    for (const name of [States.WaitForAcknowledgement, States.WaitForTeamAcknowledgement]) {
      const payload = (
        definition.States[name] as State & { Parameters: { Payload: Record<string, unknown> } }
      ).Parameters.Payload;
      expect(payload.clears, name).toBe(true);
    }
  });

  it('runs the comms loop on a token wait bounded by the next update time, and ends at the postmortem hand-off', () => {
    const wait = definition.States[States.WaitForUpdate] as State & { TimeoutSecondsPath?: string };
    expect(wait.TimeoutSecondsPath).toBe('$.loop.waitSeconds');
    expect(wait.Next).toBe(States.ResolvedYet);
    expect(wait.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: States.UpdateOverdue });
    expect(definition.States[States.UpdateOverdue]?.Next).toBe(States.ResolvedYet);
    expect(definition.States[States.StartResponse]?.Next).toBe(States.ResolvedYet);
    expect(definition.States[States.FinalComms]?.Next).toBe(States.PostmortemNeeded);
    expect(definition.States[States.Resolved]?.Type).toBe('Succeed');
  });

  it('opens the postmortem when one is needed, waits for the approval request and reminds on the way', () => {
    const needed = definition.States[States.PostmortemNeeded] as State & {
      Choices: { Variable: string; StringEquals: string; Next: string }[];
      Default: string;
    };
    expect(needed.Choices).toEqual([
      { Variable: '$.final.postmortem', StringEquals: 'not-required', Next: States.Resolved },
    ]);
    expect(needed.Default).toBe(States.OpenPostmortem);
    expect(definition.States[States.OpenPostmortem]?.Next).toBe(States.WaitForPostmortem);
    const wait = definition.States[States.WaitForPostmortem] as State & { TimeoutSecondsPath?: string };
    expect(wait.Resource).toMatch(/waitForTaskToken$/);
    expect(wait.TimeoutSecondsPath).toBe('$.postmortem.waitSeconds');
    expect(wait.Catch?.[0]).toMatchObject({ ErrorEquals: ['States.Timeout'], Next: States.RemindPostmortem });
    expect(wait.Next).toBe(States.PostmortemOutcome);
    const handOver = definition.States[States.PostmortemOutcome] as State & {
      Choices: { Next: string }[];
      Default: string;
    };
    expect(handOver.Choices.map((c) => c.Next)).toEqual([States.ContinueExecution]);
    expect(handOver.Default).toBe(States.WaitForApproval);
    const approval = definition.States[States.WaitForApproval] as State & { TimeoutSecondsPath?: string };
    expect(approval.TimeoutSecondsPath).toBe('$.review.waitSeconds');
    expect(approval.Catch?.[0]).toMatchObject({
      ErrorEquals: ['States.Timeout'],
      Next: States.RemindApprovers,
    });
    expect(approval.Next).toBe(States.ApprovalOutcome);
    expect(definition.States[States.RemindApprovers]?.Next).toBe(States.WaitForApproval);
    const outcome = definition.States[States.ApprovalOutcome] as State & {
      Choices: { Next: string }[];
      Default: string;
    };
    expect(outcome.Choices.map((c) => c.Next)).toEqual([
      States.PublishPostmortem,
      States.WaitForPostmortem,
      States.ContinueExecution,
    ]);
    expect(definition.States[States.PublishPostmortem]?.Next).toBe(States.Published);
    expect(definition.States[States.RemindPostmortem]?.Next).toBe(States.WaitForPostmortem);
  });

  it('starts a postmortem-only execution at the postmortem, a continuing one where the incident is, every other at the route', () => {
    expect(definition.StartAt).toBe(States.Phase);
    const phase = definition.States[States.Phase] as State & { Choices: { Next: string }[]; Default: string };
    expect(phase.Choices.map((c) => c.Next)).toEqual([States.OpenPostmortem, States.ResumeExecution]);
    expect(phase.Default).toBe(States.RouteBySeverity);
    expect(definition.States[States.ResumeExecution]).toMatchObject({
      ResultPath: '$',
      Next: States.ResumeAt,
    });
    const at = definition.States[States.ResumeAt] as State & { Choices: { Next: string }[]; Default: string };
    expect(at.Choices.map((c) => c.Next)).toEqual([
      States.WaitForAcknowledgement,
      States.WaitForTeamAcknowledgement,
      States.WaitForUpdate,
      States.WaitForPostmortem,
      States.WaitForApproval,
    ]);
    expect(definition.States[States.ContinueExecution]?.Next).toBe(States.Continued);
    expect(definition.States[States.Continued]?.Type).toBe('Succeed');
  });

  it('has a Retry with capped, fully jittered backoff, a Catch and a timeout on every Task', () => {
    const tasks = allStates(definition).filter(([, state]) => state.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [
        States.RouteBySeverity,
        States.PageIncidentManager,
        States.WaitForAcknowledgement,
        States.NotifyTeam,
        States.WaitForTeamAcknowledgement,
        States.RemindTeam,
        States.AlertsCleared,
        States.WaitAfterAlertsCleared,
        States.ResolveCleared,
        States.ResumeEscalation,
        States.EscalateNow,
        States.StartResponse,
        States.WaitForUpdate,
        States.UpdateOverdue,
        States.FinalComms,
        States.OpenPostmortem,
        States.WaitForPostmortem,
        States.RemindPostmortem,
        States.WaitForApproval,
        States.RemindApprovers,
        States.PublishPostmortem,
        States.ResumeExecution,
        States.ContinueExecution,
        States.RecordWorkflowFailure,
      ].sort(),
    );
    for (const [name, task] of tasks) {
      const timeout = task as State & { TimeoutSecondsPath?: string };
      expect(timeout.TimeoutSeconds ?? timeout.TimeoutSecondsPath, name).toBeDefined();
      if (task.TimeoutSeconds !== undefined) expect(task.TimeoutSeconds, name).toBeGreaterThan(60);
      const retriers = (task.Retry ?? []).filter((r) => (r.ErrorEquals as string[])[0] !== 'States.Timeout');
      expect(retriers, name).toHaveLength(1);
      expect(retriers[0], name).toMatchObject({
        ErrorEquals: ['States.ALL'],
        IntervalSeconds: 2,
        BackoffRate: 2,
        MaxAttempts: 6,
        MaxDelaySeconds: 30,
        JitterStrategy: 'FULL',
      });
      expect(task.Catch?.at(-1), name).toEqual(expect.objectContaining({ ErrorEquals: ['States.ALL'] }));
    }
  });

  it('sends every failure through RecordWorkflowFailure to WorkflowFailed', () => {
    for (const [name, state] of allStates(definition)) {
      if (state.Type !== 'Task' || name === States.RecordWorkflowFailure) continue;
      expect(state.Catch?.at(-1), name).toMatchObject({
        Next: States.RecordWorkflowFailure,
        ResultPath: '$.failure',
      });
    }
    const record = definition.States[States.RecordWorkflowFailure];
    expect(record).toMatchObject({ Type: 'Task', Next: States.WorkflowFailed, ResultPath: null });
    expect(record?.Catch?.[0]?.Next).toBe(States.WorkflowFailed);
    expect(JSON.stringify(record)).toContain('"failure.$":"$.failure"');
    expect(definition.States[States.WorkflowFailed]?.Type).toBe('Fail');
  });

  it('lets only the workflow invoke its two functions', () => {
    const policies = Object.values(template.findResources('AWS::IAM::Policy'));
    const invoke = policies
      .filter((p) => JSON.stringify(p.Properties.Roles).includes(logicalId(stack.stateMachine.role)))
      .flatMap((p) => p.Properties.PolicyDocument.Statement)
      .filter((s: { Action: string }) => s.Action === 'lambda:InvokeFunction');
    expect(invoke.flatMap((s: { Resource: unknown[] }) => s.Resource)).toEqual(
      expect.arrayContaining([
        arnOf(stack.functions.WorkflowStep),
        arnOf(stack.functions.RecordWorkflowFailure),
      ]),
    );
    expect(invoke).toHaveLength(2);
  });
});
