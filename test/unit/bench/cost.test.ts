import { describe, expect, it } from 'vitest';
import {
  alarmMetrics,
  assumptions,
  durationUsd,
  firingsPerMonth,
  fixedCosts,
  formatPrice,
  gbSecondPrice,
  idleLine,
  incidentCost,
  prices,
  scheduleCost,
  schedulesOf,
  ssmParameters,
  type Template,
} from '../../bench/cost.ts';
import { emfMetrics } from '../../bench/cost-usage.ts';

/** Issue 23: the cost model of `npm run bench -- cost`, on small hand-written template fragments. */

const from = new Date('2027-01-01T00:00:00.000Z');

const metricStat = (name: string, period = 300) => ({
  MetricStat: { Metric: { Namespace: 'AWS/Lambda', MetricName: name }, Period: period, Stat: 'Sum' },
  ReturnData: false,
});

describe('alarm pricing', () => {
  it('bills a metric math alarm for each MetricStat in its Metrics, not for its expressions', () => {
    const metrics = alarmMetrics({
      Metrics: [
        metricStat('Errors'),
        metricStat('Throttles'),
        metricStat('Invocations'),
        { Id: 'e1', Expression: 'm1 + m2 + m3', ReturnData: true },
      ],
    });
    expect(metrics).toEqual({ standard: 3, highResolution: 0, insightsQueries: 0 });
  });

  it('bills a single-metric alarm once, and a period under 60 s as high resolution', () => {
    expect(alarmMetrics({ MetricName: 'Errors', Period: 300 })).toEqual({
      standard: 1,
      highResolution: 0,
      insightsQueries: 0,
    });
    expect(alarmMetrics({ MetricName: 'Errors', Period: 10 }).highResolution).toBe(1);
    expect(alarmMetrics({ Metrics: [metricStat('Errors', 10), metricStat('Throttles')] })).toEqual({
      standard: 1,
      highResolution: 1,
      insightsQueries: 0,
    });
  });

  it('counts a Metrics Insights query apart: the metrics it analyses are unknown', () => {
    const metrics = alarmMetrics({
      Metrics: [
        { Id: 'q', Expression: 'SELECT SUM(Errors) FROM "AWS/Lambda"', Period: 300, ReturnData: true },
      ],
    });
    expect(metrics).toEqual({ standard: 0, highResolution: 0, insightsQueries: 1 });
    const fixed = fixedCosts({
      Resources: {
        Q: { Type: 'AWS::CloudWatch::Alarm', Properties: { Metrics: [{ Id: 'q', Expression: 'SELECT 1' }] } },
      },
    });
    expect(fixed.unknowns).toHaveLength(1);
    expect(fixed.unknowns[0]).toContain('Metrics Insights');
  });
});

describe('fixed costs from a template', () => {
  const template: Template = {
    Resources: {
      S1: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
      S2: { Type: 'AWS::SecretsManager::Secret', Properties: {} },
      Key: { Type: 'AWS::KMS::Key', Properties: {} },
      Math: {
        Type: 'AWS::CloudWatch::Alarm',
        Properties: {
          Metrics: [metricStat('Errors'), metricStat('Throttles'), { Id: 'e', Expression: 'm1+m2' }],
        },
      },
      Single: { Type: 'AWS::CloudWatch::Alarm', Properties: { MetricName: 'Errors', Period: 60 } },
      Composite: { Type: 'AWS::CloudWatch::CompositeAlarm', Properties: {} },
      Table: { Type: 'AWS::DynamoDB::Table', Properties: { BillingMode: 'PAY_PER_REQUEST' } },
      Role: { Type: 'AWS::IAM::Role', Properties: {} },
      Bucket: { Type: 'AWS::S3::Bucket', Properties: {} },
    },
  };

  it('prices each kind by its count: secrets, alarm metrics, composite alarms, keys; on-demand tables at $0', () => {
    const fixed = fixedCosts(template);
    const byItem = Object.fromEntries(fixed.items.map((i) => [i.item, i]));
    expect(byItem['Secrets Manager secrets']?.monthlyUsd).toBeCloseTo(0.8, 10);
    expect(byItem['CloudWatch alarm metrics, standard resolution']?.count).toBe(3);
    expect(byItem['CloudWatch composite alarms']?.monthlyUsd).toBe(0.5);
    expect(byItem['KMS customer managed keys']?.monthlyUsd).toBe(1);
    expect(byItem['DynamoDB tables']?.monthlyUsd).toBe(0);
    expect(fixed.monthlyUsd).toBeCloseTo(0.8 + 0.3 + 0.5 + 1, 10);
  });

  it('lists the kinds it has no price for instead of hiding them, and leaves out the ones that never cost', () => {
    const fixed = fixedCosts(template);
    expect(fixed.unpricedKinds).toEqual(['AWS::S3::Bucket x1']);
  });

  it('prices provisioned capacity every hour of the month, indexes included', () => {
    const fixed = fixedCosts({
      Resources: {
        T: {
          Type: 'AWS::DynamoDB::Table',
          Properties: {
            BillingMode: 'PROVISIONED',
            ProvisionedThroughput: { ReadCapacityUnits: 5, WriteCapacityUnits: 2 },
            GlobalSecondaryIndexes: [
              { ProvisionedThroughput: { ReadCapacityUnits: 1, WriteCapacityUnits: 1 } },
            ],
          },
        },
      },
    });
    expect(fixed.monthlyUsd).toBeCloseTo(6 * 720 * 0.00013 + 3 * 720 * 0.00065, 10);
  });
});

describe('SSM parameters, however the template creates them', () => {
  it('counts AWS::SSM::Parameter by tier, SSM putParameter custom resources, and Custom::*Parameter types', () => {
    const create = JSON.stringify({
      service: 'SSM',
      action: 'putParameter',
      parameters: { Name: '/hotline/a', Type: 'SecureString', Value: 'x' },
    });
    const advanced = JSON.stringify({
      service: 'SSM',
      action: 'putParameter',
      parameters: { Name: '/hotline/b', Type: 'SecureString', Tier: 'Advanced' },
    });
    const counted = ssmParameters({
      Resources: {
        Plain: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'v' } },
        Big: { Type: 'AWS::SSM::Parameter', Properties: { Type: 'String', Value: 'v', Tier: 'Advanced' } },
        Sdk: { Type: 'Custom::AWS', Properties: { Create: create } },
        // A call with a token in it is a Fn::Join of JSON text.
        Joined: { Type: 'Custom::AWS', Properties: { Create: { 'Fn::Join': ['', [advanced]] } } },
        NotSsm: {
          Type: 'Custom::AWS',
          Properties: { Create: JSON.stringify({ service: 'S3', action: 'putObject' }) },
        },
        Own: { Type: 'Custom::SecureStringParameter', Properties: { Name: '/hotline/c' } },
        Other: { Type: 'Custom::Something', Properties: {} },
      },
    });
    expect(counted).toEqual({ standard: 3, advanced: 2 });
  });

  it('prices standard parameters at $0 and advanced ones at $0.05 a month', () => {
    const fixed = fixedCosts({
      Resources: {
        A: { Type: 'AWS::SSM::Parameter', Properties: { Tier: 'Advanced' } },
        B: { Type: 'Custom::SecureStringParameter', Properties: {} },
      },
    });
    expect(fixed.monthlyUsd).toBeCloseTo(0.05, 10);
    expect(fixed.unpricedKinds).toEqual([]);
  });
});

describe('firings per 30-day month', () => {
  it('counts rate expressions exactly', () => {
    expect(firingsPerMonth('rate(1 minute)', from)).toBe(43_200);
    expect(firingsPerMonth('rate(5 minutes)', from)).toBe(8_640);
    expect(firingsPerMonth('rate(1 hour)', from)).toBe(720);
    expect(firingsPerMonth('rate(2 hours)', from)).toBe(360);
    expect(firingsPerMonth('rate(1 day)', from)).toBe(30);
  });

  it('counts cron expressions over four years: every 15 minutes, weekly, the last day of the month', () => {
    expect(firingsPerMonth('cron(0/15 * * * ? *)', from)).toBe(96 * 30);
    // 2027-01-01 to 2030-12-31: 1,461 days, of which 209 Mondays and 1,043 weekdays.
    expect(firingsPerMonth('cron(0 8 ? * MON *)', from)).toBeCloseTo((209 / 1461) * 30, 10);
    expect(firingsPerMonth('cron(30 9,17 ? * MON-FRI *)', from)).toBeCloseTo(((2 * 1043) / 1461) * 30, 10);
    expect(firingsPerMonth('cron(0 12 L * ? *)', from)).toBeCloseTo((48 / 1461) * 30, 10);
  });

  it('gives a one-time schedule no monthly firing and refuses what is not an expression', () => {
    expect(firingsPerMonth('at(2027-03-01T10:00:00)', from)).toBe(0);
    expect(() => firingsPerMonth('every minute', from)).toThrow(/not a rate, cron or at/);
    expect(() => firingsPerMonth('cron(0 8 * * MON *)', from)).toThrow(/"\?"/);
  });
});

describe('architecture pricing', () => {
  it('prices a GB-second on arm64 20% below x86_64', () => {
    expect(gbSecondPrice('arm64').usd).toBe(0.0000133334);
    expect(gbSecondPrice('x86_64').usd).toBe(0.0000166667);
    expect(durationUsd(1024, 1000, 'arm64')).toBeCloseTo(0.0000133334, 12);
    expect(durationUsd(512, 100, 'x86_64')).toBeCloseTo(0.5 * 0.1 * 0.0000166667, 12);
    expect(durationUsd(512, 100, 'arm64') / durationUsd(512, 100, 'x86_64')).toBeCloseTo(0.8, 4);
  });
});

describe('a month of schedule firings', () => {
  const template = (tracing: boolean, expression = 'rate(1 minute)'): Template => ({
    Resources: {
      Sweep: {
        Type: 'AWS::Scheduler::Schedule',
        Properties: { ScheduleExpression: expression, Target: { Arn: { 'Fn::GetAtt': ['Fn', 'Arn'] } } },
      },
      Fn: {
        Type: 'AWS::Lambda::Function',
        Properties: {
          MemorySize: 512,
          Architectures: ['arm64'],
          ...(tracing ? { TracingConfig: { Mode: 'Active' } } : {}),
        },
      },
    },
  });
  const usage = { logBytes: 0, metrics: [], readUnits: 1, writeUnits: 0, emails: 0, measured: true };

  it("reads the target function's memory, architecture and tracing, with Lambda's defaults where absent", () => {
    const [schedule] = schedulesOf(template(true), from);
    expect(schedule?.target).toEqual({
      logicalId: 'Fn',
      memoryMb: 512,
      architecture: 'arm64',
      tracing: true,
    });
    const bare = schedulesOf(
      {
        Resources: {
          S: {
            Type: 'AWS::Scheduler::Schedule',
            Properties: {
              ScheduleExpression: 'rate(1 hour)',
              State: 'DISABLED',
              Target: { Arn: { Ref: 'F' } },
            },
          },
          F: { Type: 'AWS::Lambda::Function', Properties: {} },
        },
      },
      from,
    );
    expect(bare[0]?.target).toEqual({
      logicalId: 'F',
      memoryMb: 128,
      architecture: 'x86_64',
      tracing: false,
    });
    expect(bare[0]?.firingsPerMonth).toBe(0);
  });

  it('prices each part of a sweep every minute: Scheduler, requests, duration, logs, traces, metrics, reads', () => {
    const [schedule] = schedulesOf(template(true), from);
    if (!schedule) throw new Error('no schedule');
    const cost = scheduleCost(
      schedule,
      { ...usage, logBytes: 150, metrics: ['Hotline/Started{}'] },
      {
        ...assumptions,
        idleDurationMs: 100,
        initDurationMs: 400,
        coldWhenIntervalOverMinutes: 15,
        platformLogBytes: 350,
      },
    );
    expect(cost.scheduler).toBeCloseTo(0.0432, 10);
    expect(cost.requests).toBeCloseTo(0.00864, 10);
    // Warm at every firing: 100 ms at 0.5 GB on arm64.
    expect(cost.duration).toBeCloseTo(43_200 * 0.05 * 0.0000133334, 10);
    expect(cost.logs).toBeCloseTo(((43_200 * 500) / 1024 ** 3) * 0.53, 10);
    expect(cost.traces).toBeCloseTo(0.216, 10);
    expect(cost.metrics).toBeCloseTo(0.3, 10);
    expect(cost.dynamoDb).toBeCloseTo(43_200 * 0.125e-6, 10);
    expect(cost.monthlyUsd).toBeCloseTo(
      cost.scheduler + cost.requests + cost.duration + cost.logs + cost.traces + cost.metrics + cost.dynamoDb,
      12,
    );
  });

  it('records no traces without active tracing, and prorates a weekly metric by its hours', () => {
    const [untraced] = schedulesOf(template(false), from);
    if (!untraced) throw new Error('no schedule');
    expect(scheduleCost(untraced, usage).traces).toBe(0);
    const [weekly] = schedulesOf(template(false, 'cron(0 8 ? * MON *)'), from);
    if (!weekly) throw new Error('no schedule');
    const cost = scheduleCost(weekly, { ...usage, metrics: ['Hotline/Sent{}'] });
    expect(cost.metrics).toBeCloseTo(((209 / 1461) * 30 * 0.3) / 720, 10);
    // A weekly firing finds no warm environment: its init is billed too.
    expect(cost.duration).toBeCloseTo((209 / 1461) * 30 * 0.5 * 0.5 * 0.0000133334, 12);
  });
});

describe('the cost of incidents', () => {
  it('prices 1,000 incidents from what one did: transitions, API requests, Lambda by architecture, writes, mails', () => {
    const template: Template = {
      Resources: {
        Api: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024, Architectures: ['arm64'] } },
        Step: { Type: 'AWS::Lambda::Function', Properties: { MemorySize: 1024 } },
        Route: {
          Type: 'AWS::ApiGatewayV2::Integration',
          Properties: { IntegrationUri: { 'Fn::GetAtt': ['Api', 'Arn'] } },
        },
      },
    };
    const lines = incidentCost(
      template,
      {
        transitions: 30,
        historyEvents: 0,
        stepFunctionsLogLevel: 'OFF',
        invocations: { Api: 4, Step: 10 },
        logBytes: 0,
        readUnits: 0,
        writeUnits: 20,
        secretCalls: 0,
        emails: 10,
      },
      { ...assumptions, incidentDurationMs: 1000, platformLogBytes: 0 },
    );
    const usd = Object.fromEntries(lines.map((l) => [l.part, l.usd]));
    expect(usd['Step Functions state transitions']).toBeCloseTo(30 * 0.025, 10);
    expect(usd['HTTP API requests']).toBeCloseTo(4000 * 1e-6, 10);
    expect(usd['Lambda requests']).toBeCloseTo(14_000 * 0.2e-6, 10);
    expect(usd['Lambda duration arm64 (GB-s)']).toBeCloseTo(4000 * 0.0000133334, 10);
    expect(usd['Lambda duration x86_64 (GB-s)']).toBeCloseTo(10_000 * 0.0000166667, 10);
    expect(usd['DynamoDB write request units']).toBeCloseTo(20_000 * 0.625e-6, 10);
    expect(usd['SES emails (recipients)']).toBeCloseTo(1, 10);
    // Nothing read, no trace, no log: no line at all rather than a line of zeros.
    expect(Object.keys(usd)).not.toContain('DynamoDB read request units');
    expect(Object.keys(usd)).not.toContain('X-Ray traces');
  });
});

describe('the printed figures', () => {
  it('prints the idle line that outside checks parse, with two decimals', () => {
    expect(idleLine(1.234, 0.2)).toBe('idle cost per month: $1.43');
    expect(idleLine(0, 0)).toBe('idle cost per month: $0.00');
    expect(idleLine(5.5, 1.2345)).toMatch(/^idle cost per month: \$\d+\.\d{2}$/);
  });

  it('quotes prices as their pages do', () => {
    expect(formatPrice(prices.secret)).toBe('$0.40 per secret-month');
    expect(formatPrice(prices.lambdaRequest)).toBe('$0.20 per 1,000,000 requests');
    expect(formatPrice(prices.stateTransition)).toBe('$0.025 per 1,000 state transitions (Standard)');
    expect(prices.stateTransition.usd).toBeCloseTo(0.000025, 12);
  });

  it('reads the custom metrics of an Embedded Metric Format line, one per dimension set', () => {
    const line = JSON.stringify({
      _aws: {
        Timestamp: 0,
        CloudWatchMetrics: [
          {
            Namespace: 'Hotline',
            Dimensions: [['service', 'sweep']],
            Metrics: [{ Name: 'SweepItemFailures', Unit: 'Count' }],
          },
        ],
      },
      service: 'hotline',
      sweep: 'UnstartedWorkflows',
      SweepItemFailures: 0,
    });
    expect(emfMetrics(line)).toEqual(['Hotline/SweepItemFailures{service=hotline,sweep=UnstartedWorkflows}']);
    expect(emfMetrics('{"level":"INFO","message":"nothing to do"}')).toEqual([]);
  });
});
