import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { schedulesFromTemplate } from '../../infra/local/schedules.ts';
import { type CfnTemplate, StackModel } from '../../infra/local/template.ts';
import { arnOf, logicalId, synthesized } from './stack.ts';

describe('schedules', () => {
  let stack: HotlineStack;
  let template: Template;
  beforeAll(async () => {
    ({ stack, template } = await synthesized());
  });

  const schedules = () => Object.values(template.findResources('AWS::Scheduler::Schedule'));

  it('runs the unstarted-workflow sweep every minute with an empty input and no retries', () => {
    expect(schedules()).toHaveLength(1);
    expect(stack.schedules.sweepUnstartedWorkflows.node.path).toBe(
      'Hotline/Schedules/SweepUnstartedWorkflows',
    );
    expect(schedules()[0]?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 minute)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: arnOf(stack.functions.SweepUnstartedWorkflows),
        Input: '{}',
        RoleArn: arnOf(stack.schedules.role),
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    });
  });

  it('invokes through a role that Scheduler of this account alone assumes, which may invoke only the sweep', () => {
    const role = template.findResources('AWS::IAM::Role')[logicalId(stack.schedules.role)];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Effect: 'Allow',
        Principal: { Service: 'scheduler.amazonaws.com' },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      },
    ]);
    const policies = Object.values(template.findResources('AWS::IAM::Policy')).filter((p) =>
      (p.Properties.Roles as unknown[]).some(
        (r) => JSON.stringify(r) === JSON.stringify({ Ref: logicalId(stack.schedules.role) }),
      ),
    );
    const statements = policies.flatMap((p) => p.Properties.PolicyDocument.Statement);
    const sweep = arnOf(stack.functions.SweepUnstartedWorkflows);
    expect(statements).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [sweep, { 'Fn::Join': ['', [sweep, ':*']] }],
      },
    ]);
  });

  it('is read by the local target as one schedule that fires the sweep function', () => {
    const cfn = template.toJSON() as CfnTemplate;
    const model = new StackModel({
      dir: '',
      stackName: 'Hotline',
      template: cfn,
      assets: {},
      region: 'us-east-1',
    });
    const log: string[] = [];
    const local = schedulesFromTemplate(model, (line) => log.push(line));
    expect(local).toEqual([
      expect.objectContaining({
        kind: 'scheduler',
        expression: 'rate(1 minute)',
        enabled: true,
        targets: [{ arn: model.arn(logicalId(stack.functions.SweepUnstartedWorkflows)), input: '{}' }],
      }),
    ]);
    expect(local[0]?.targets[0]?.arn).toMatch(
      /^arn:aws:lambda:us-east-1:000000000000:function:SweepUnstartedWorkflows/,
    );
    expect(log).toEqual([]);
  });
});
