import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { SWEEPS_NEED_ATTENTION } from '../../functions/core/sweeps.ts';
import { type FunctionId, functionDeclarations, functionIds } from '../../functions/handlers/capabilities.ts';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { logicalId, synthesized } from './stack.ts';

type Resource = { Properties: Record<string, unknown> };

/**
 * The operators' alarm path, as billed: CloudWatch charges $0.10 a month per metric an alarm reads (metric math
 * and Metrics Insights alarms per metric they read), so the stack covers every function with at most four alarm
 * metrics; the functions nothing waits on report their own failures through a Lambda destination to the same topic.
 */
describe('operator alarms', () => {
  let stack: HotlineStack;
  let template: Template;
  let alarms: Resource[];
  const fnId = (id: string) => logicalId(stack.functions[id as FunctionId]);
  const idOfFunctionRef = (value: unknown): string | undefined => {
    const v = value as { Ref?: string; 'Fn::GetAtt'?: [string, string] } | undefined;
    const logical = v?.Ref ?? v?.['Fn::GetAtt']?.[0];
    return functionIds.find((id) => fnId(id) === logical);
  };

  beforeAll(async () => {
    ({ stack, template } = await synthesized());
    alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
  });

  /** Metrics each alarm reads (a metric-math alarm reads each MetricStat of its Metrics). */
  const metricsRead = (alarm: Resource) => {
    const p = alarm.Properties;
    if (typeof p.MetricName === 'string') return [`${p.Namespace}/${p.MetricName}`];
    return ((p.Metrics as { MetricStat?: { Metric: { Namespace: string; MetricName: string } } }[]) ?? [])
      .filter((m) => m.MetricStat)
      .map((m) => `${m.MetricStat?.Metric.Namespace}/${m.MetricStat?.Metric.MetricName}`);
  };

  it('reads at most four alarm metrics ($0.40 a month), each alarm mailing the operator topic', () => {
    const read = alarms.flatMap(metricsRead);
    expect(read.length).toBeLessThanOrEqual(4);
    expect(read.sort()).toEqual([
      'AWS/ApiGateway/5xx',
      'AWS/States/ExecutionsFailed',
      `Hotline/${SWEEPS_NEED_ATTENTION}`,
    ]);
    for (const alarm of alarms) {
      expect(alarm.Properties).toMatchObject({
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: 1,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [{ Ref: logicalId(stack.alarms.topic) }],
      });
    }
  });

  it('watches the HTTP API stage for 5xx and tells the operator how to find the route', () => {
    const api = alarms.find((a) => a.Properties.MetricName === '5xx');
    expect(api?.Properties).toMatchObject({
      Namespace: 'AWS/ApiGateway',
      Dimensions: [
        { Name: 'ApiId', Value: { Ref: logicalId(stack.api) } },
        { Name: 'Stage', Value: '$default' },
      ],
    });
    const description = JSON.stringify(api?.Properties.AlarmDescription);
    expect(description).toContain('Logs Insights');
    expect(description).toContain(logicalId(stack.incidentApi.accessLogs));
  });

  it('watches failed executions of the state machine', () => {
    const failed = alarms.find((a) => a.Properties.MetricName === 'ExecutionsFailed');
    expect(failed?.Properties).toMatchObject({
      Namespace: 'AWS/States',
      Dimensions: [{ Name: 'StateMachineArn', Value: { Ref: logicalId(stack.stateMachine) } }],
    });
    expect(failed?.Properties.AlarmDescription).toMatch(/^An incident workflow execution failed/);
  });

  it('watches the one sweep metric, with the service dimension only, and says where to look', () => {
    const sweeps = alarms.find((a) => a.Properties.MetricName === SWEEPS_NEED_ATTENTION);
    expect(sweeps?.Properties).toMatchObject({
      Namespace: 'Hotline',
      Dimensions: [{ Name: 'service', Value: 'hotline' }],
    });
    expect(sweeps?.Properties.AlarmDescription).toContain('sweep needs attention');
  });

  it('covers every function: behind the API, invoked by the state machine, or reporting its async or stream failures', () => {
    const routed = new Set(
      Object.values(template.findResources('AWS::ApiGatewayV2::Integration')).map((i) =>
        idOfFunctionRef((i as Resource).Properties.IntegrationUri),
      ),
    );
    const definition = JSON.stringify(
      Object.values(template.findResources('AWS::StepFunctions::StateMachine')).map(
        (m) => (m as Resource).Properties.DefinitionString,
      ),
    );
    const invokedByMachine = new Set(functionIds.filter((id) => definition.includes(`"${fnId(id)}"`)));
    expect([...invokedByMachine].sort()).toEqual(['RecordWorkflowFailure', 'WorkflowStep']);
    // Invoked asynchronously: the schedules' targets and the functions another function may invoke.
    const scheduled = Object.values(template.findResources('AWS::Scheduler::Schedule')).map((s) =>
      idOfFunctionRef(((s as Resource).Properties.Target as { Arn: unknown }).Arn),
    );
    const functionRoles = functionIds.map((id) => logicalId(stack.functions[id].executionRole));
    const invokedByFunctions = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) =>
        ((p as Resource).Properties.Roles as { Ref: string }[]).some((r) => functionRoles.includes(r.Ref)),
      )
      .flatMap((p) =>
        (
          (p as Resource).Properties.PolicyDocument as {
            Statement: { Action: string | string[]; Resource: unknown }[];
          }
        ).Statement.filter((s) => [s.Action].flat().includes('lambda:InvokeFunction')).flatMap((s) =>
          [s.Resource].flat().map(idOfFunctionRef),
        ),
      );
    // SNS invokes its Lambda subscribers asynchronously too (the two-way SMS topic's).
    const subscribed = Object.values(template.findResources('AWS::SNS::Subscription'))
      .filter((s) => (s as Resource).Properties.Protocol === 'lambda')
      .map((s) => idOfFunctionRef((s as Resource).Properties.Endpoint));
    const asyncFunctions = new Set(
      [...scheduled, ...invokedByFunctions, ...subscribed].filter((id) => id !== undefined),
    );
    expect([...asyncFunctions].sort()).toEqual([
      'MailEvents',
      'MailReplies',
      'SendSloReports',
      'SmsReplies',
      'SweepActionReminders',
      'SweepUnstartedWorkflows',
    ]);

    const onFailure = Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map((c) => {
      const p = (c as Resource).Properties;
      expect(p.DestinationConfig).toEqual({
        OnFailure: { Destination: { Ref: logicalId(stack.alarms.topic) } },
      });
      return idOfFunctionRef(p.FunctionName);
    });
    expect(onFailure.sort()).toEqual([...asyncFunctions].sort());
    // Started by the table's stream: what its mapping gives up on goes to the topic.
    const streamed = new Set(
      Object.values(template.findResources('AWS::Lambda::EventSourceMapping')).map((m) => {
        const p = (m as Resource).Properties;
        expect(p.DestinationConfig).toEqual({
          OnFailure: { Destination: { Ref: logicalId(stack.alarms.topic) } },
        });
        return idOfFunctionRef(p.FunctionName);
      }),
    );
    expect([...streamed]).toEqual(['RunSloReport']);

    for (const id of functionIds) {
      const covered = [
        routed.has(id),
        invokedByMachine.has(id),
        asyncFunctions.has(id),
        streamed.has(id),
      ].filter(Boolean);
      expect(covered, `${id} is covered by exactly one alarm path`).toHaveLength(1);
    }
  });

  it('keeps the retry counts of the async functions: none for the sweeps, Lambda default for the weekly report', () => {
    const retries = Object.fromEntries(
      Object.values(template.findResources('AWS::Lambda::EventInvokeConfig')).map((c) => {
        const p = (c as Resource).Properties;
        return [idOfFunctionRef(p.FunctionName), p.MaximumRetryAttempts];
      }),
    );
    expect(retries).toEqual({
      SweepUnstartedWorkflows: 0,
      SweepActionReminders: 0,
      SendSloReports: undefined,
      SmsReplies: undefined,
      MailEvents: undefined,
      MailReplies: undefined,
    });
  });

  it('lets only the async and stream-started functions publish to the topic (and use its key)', () => {
    const topic = logicalId(stack.alarms.topic);
    const publishers = functionIds.filter((id) => {
      const role = logicalId(stack.functions[id].executionRole);
      return Object.values(template.findResources('AWS::IAM::Policy')).some((p) => {
        const props = (p as Resource).Properties as {
          Roles: { Ref: string }[];
          PolicyDocument: { Statement: { Action: string | string[]; Resource: unknown }[] };
        };
        return (
          props.Roles.some((r) => r.Ref === role) &&
          props.PolicyDocument.Statement.some(
            (s) => [s.Action].flat().includes('sns:Publish') && JSON.stringify(s.Resource).includes(topic),
          )
        );
      });
    });
    expect(publishers.sort()).toEqual([
      'MailEvents',
      'MailReplies',
      'RunSloReport',
      'SendSloReports',
      'SmsReplies',
      'SweepActionReminders',
      'SweepUnstartedWorkflows',
    ]);
  });

  it('traces the API and workflow functions, not the scheduled sweeps', () => {
    const functions = template.findResources('AWS::Lambda::Function');
    for (const id of functionIds) {
      const tracing = (functions[fnId(id)]?.Properties as { TracingConfig?: { Mode: string } } | undefined)
        ?.TracingConfig;
      const sweep = id === 'SweepUnstartedWorkflows' || id === 'SweepActionReminders';
      expect(tracing?.Mode ?? 'PassThrough', id).toBe(sweep ? 'PassThrough' : 'Active');
      expect((functionDeclarations[id] as { tracing?: boolean }).tracing !== false, id).toBe(!sweep);
    }
  });
});
