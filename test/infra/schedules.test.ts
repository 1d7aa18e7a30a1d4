import type { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
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

  const scheduleOf = (schedule: IConstruct) =>
    template.findResources('AWS::Scheduler::Schedule')[logicalId(schedule)];

  it('runs the unstarted-workflow sweep every minute with an empty input and no retries', () => {
    expect(schedules()).toHaveLength(3);
    expect(stack.schedules.sweepUnstartedWorkflows.node.path).toBe(
      'Hotline/Schedules/SweepUnstartedWorkflows',
    );
    expect(scheduleOf(stack.schedules.sweepUnstartedWorkflows)?.Properties).toMatchObject({
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

  it('runs the action reminder sweep every hour with an empty input and no retries', () => {
    expect(stack.schedules.sweepActionReminders.node.path).toBe('Hotline/Schedules/SweepActionReminders');
    expect(scheduleOf(stack.schedules.sweepActionReminders)?.Properties).toMatchObject({
      ScheduleExpression: 'rate(1 hour)',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: arnOf(stack.functions.SweepActionReminders),
        Input: '{}',
        RoleArn: arnOf(stack.schedules.role),
        RetryPolicy: { MaximumRetryAttempts: 0 },
      },
    });
  });

  it('mails the SLO report on the configured cron in the configured time zone, with the scheduled time', () => {
    expect(stack.schedules.sendSloReports.node.path).toBe('Hotline/Schedules/SendSloReports');
    // The example organisation: Mondays 08:00, Europe/London.
    expect(scheduleOf(stack.schedules.sendSloReports)?.Properties).toMatchObject({
      ScheduleExpression: 'cron(0 8 ? * MON *)',
      ScheduleExpressionTimezone: 'Europe/London',
      State: 'ENABLED',
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: arnOf(stack.functions.SendSloReports),
        Input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
        RoleArn: arnOf(stack.schedules.role),
        RetryPolicy: { MaximumRetryAttempts: 2 },
      },
    });
  });

  it('invokes through a role that Scheduler of this account alone assumes, which may invoke only the sweeps', () => {
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
    const reminders = arnOf(stack.functions.SweepActionReminders);
    const reports = arnOf(stack.functions.SendSloReports);
    expect(statements).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [sweep, { 'Fn::Join': ['', [sweep, ':*']] }],
      },
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [reminders, { 'Fn::Join': ['', [reminders, ':*']] }],
      },
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: [reports, { 'Fn::Join': ['', [reports, ':*']] }],
      },
    ]);
  });

  it('is read by the local target as schedules that fire the sweep functions', () => {
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
    // Scheduler invokes each target with the schedules' role (the local target checks its policies).
    const [role] = model
      .resourcesOfType('AWS::IAM::Role')
      .filter(([id]) => id.startsWith('SchedulesInvokeRole'));
    const roleArn = model.arn(role?.[0] ?? '');
    expect(local).toEqual([
      expect.objectContaining({
        kind: 'scheduler',
        expression: 'rate(1 minute)',
        enabled: true,
        targets: [
          { arn: model.arn(logicalId(stack.functions.SweepUnstartedWorkflows)), roleArn, input: '{}' },
        ],
      }),
      expect.objectContaining({
        kind: 'scheduler',
        expression: 'rate(1 hour)',
        enabled: true,
        targets: [{ arn: model.arn(logicalId(stack.functions.SweepActionReminders)), roleArn, input: '{}' }],
      }),
      expect.objectContaining({
        kind: 'scheduler',
        expression: 'cron(0 8 ? * MON *)',
        timezone: 'Europe/London',
        enabled: true,
        targets: [
          {
            arn: model.arn(logicalId(stack.functions.SendSloReports)),
            roleArn,
            input: JSON.stringify({ scheduledTime: '<aws.scheduler.scheduled-time>' }),
          },
        ],
      }),
    ]);
    expect(local[0]?.targets[0]?.arn).toMatch(
      /^arn:aws:lambda:us-east-1:000000000000:function:SweepUnstartedWorkflows/,
    );
    expect(log).toEqual([]);
  });
});
