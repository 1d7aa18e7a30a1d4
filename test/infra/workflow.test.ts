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

  it('pages the incident manager first and succeeds after', () => {
    expect(definition.StartAt).toBe(States.PageIncidentManager);
    const page = definition.States[States.PageIncidentManager];
    expect(page).toMatchObject({ Type: 'Task', Next: States.Paged, ResultPath: '$.page' });
    expect(page?.Resource).toBe(
      JSON.stringify(arnOf(stack.functions.PageIncidentManager)).replaceAll('"', "'"),
    );
    expect(definition.States[States.Paged]?.Type).toBe('Succeed');
  });

  it('has a Retry with capped, fully jittered backoff, a Catch and a timeout on every Task', () => {
    const tasks = allStates(definition).filter(([, state]) => state.Type === 'Task');
    expect(tasks.map(([name]) => name).sort()).toEqual(
      [States.PageIncidentManager, States.RecordWorkflowFailure].sort(),
    );
    for (const [name, task] of tasks) {
      expect(task.TimeoutSeconds, name).toBeGreaterThan(60);
      expect(task.Retry, name).not.toHaveLength(0);
      for (const retrier of task.Retry ?? []) {
        expect(retrier, name).toMatchObject({
          ErrorEquals: ['States.ALL'],
          IntervalSeconds: 2,
          BackoffRate: 2,
          MaxAttempts: 4,
          MaxDelaySeconds: 30,
          JitterStrategy: 'FULL',
        });
      }
      expect(task.Catch, name).toEqual([expect.objectContaining({ ErrorEquals: ['States.ALL'] })]);
    }
  });

  it('sends every failure through RecordWorkflowFailure to WorkflowFailed', () => {
    for (const [name, state] of allStates(definition)) {
      if (state.Type !== 'Task' || name === States.RecordWorkflowFailure) continue;
      expect(state.Catch?.[0], name).toMatchObject({
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
        arnOf(stack.functions.PageIncidentManager),
        arnOf(stack.functions.RecordWorkflowFailure),
      ]),
    );
    expect(invoke).toHaveLength(2);
  });
});
