import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/core/keys.ts';
import { eventually } from '../support/eventually.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The operators hear of every failing function on the local target, through the alarm topic's email subscription
 * (never through the product's own mailer): an API function through the alarm on the HTTP API's 5xx, a
 * scheduled function through its Lambda onFailure destination (the invocation record, as Lambda publishes it),
 * the report runner through its stream mapping's on-failure destination (where the batch was).
 * A failed workflow: test/e2e/restart.test.ts; a sweep that had to start a workflow or left items undone:
 * test/e2e/unstarted-workflow-sweep.test.ts and test/e2e/actions.test.ts.
 */

type Mail = { from: string; subject: string; destination: { to: string[] }; body: { text?: string } };

let hotline: HotlineTarget;
beforeAll(async () => {
  // Faults are off until a test turns them on; a fixed draw makes every injected fault a refusal.
  hotline = await startHotline({ faults: {}, faultRandom: () => 0.1 });
});
afterAll(async () => hotline?.stop());

const mails = async () =>
  ((await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] }).emails;
const toOperators = (m: Mail) => m.destination.to.includes('sre-platform@example.com');

describe('operator alarms on the local target', () => {
  it('mails the operators when an API function fails (the alarm on the API 5xx), naming where to look', async () => {
    expect(hotline.target.alarms.state('AlarmsApiServerErrors')).toEqual({ state: 'OK', value: 0 });
    hotline.target.setFaults({ dynamodb: 1 });
    let status: number;
    try {
      status = (await fetch(`${hotline.target.urls.api}/incidents`, { headers: hotline.operator() })).status;
    } finally {
      hotline.target.setFaults({ dynamodb: 0 });
    }
    // ListIncidents answers 503 when the table fails (retryable); a crash or a timeout would be 500 or 503 too.
    expect(status).toBeGreaterThanOrEqual(500);
    const alarm = await eventually(
      async () => (await mails()).find((m) => m.subject === 'ALARM: "AlarmsApiServerErrors" in us-east-1'),
      'the alarm on the API 5xx',
    );
    expect(alarm.destination.to).toEqual(['sre-platform@example.com']);
    // SNS mails from no-reply@sns.amazonaws.com under the topic's display name.
    expect(alarm.from).toContain('Hotline operator alarms');
    expect(alarm.from).toContain('no-reply@sns.amazonaws.com');
    expect(alarm.body.text).toContain('An API function failed');
    expect(alarm.body.text).toContain('Logs Insights');
    expect(alarm.body.text).toContain('AWS/ApiGateway 5xx');
    expect(hotline.target.alarms.state('AlarmsApiServerErrors')?.state).toBe('ALARM');
  });

  it('mails the operators the invocation record when a scheduled function fails (its onFailure destination)', async () => {
    const schedule = hotline.target.schedules.schedules.find((s) =>
      s.targets.some((t) => t.arn.includes('SweepActionReminders')),
    );
    if (!schedule) throw new Error('no schedule invokes SweepActionReminders');
    const before = (await mails()).filter(toOperators).length;
    hotline.target.setFaults({ dynamodb: 1 });
    try {
      // Scheduler invokes the function asynchronously: the schedule fires fine, the function fails (no retries
      // for the sweeps), and Lambda publishes the record to the operators' topic with the function's role.
      await hotline.target.schedules.trigger(schedule.name);
    } finally {
      hotline.target.setFaults({ dynamodb: 0 });
    }
    const mail = await eventually(
      async () =>
        (await mails())
          .filter(toOperators)
          .slice(before)
          .find((m) => m.body.text?.includes('SweepActionReminders')),
      'the failure record to the operators',
    );
    expect(mail.subject).toBe('AWS Notification Message');
    expect(mail.from).toContain('no-reply@sns.amazonaws.com');
    const record = JSON.parse((mail.body.text ?? '').split('\n--\n')[0] ?? '') as {
      version: string;
      requestContext: { functionArn: string; condition: string; approximateInvokeCount: number };
      requestPayload: unknown;
      responseContext: { functionError?: string };
      responsePayload: { errorType: string; errorMessage: string; trace?: string[] };
    };
    expect(record.version).toBe('1.0');
    expect(record.requestContext).toMatchObject({
      functionArn: expect.stringMatching(/:function:.*SweepActionReminders.*:\$LATEST$/),
      condition: 'RetriesExhausted',
      approximateInvokeCount: 1,
    });
    expect(record.requestPayload).toEqual({});
    expect(record.responseContext.functionError).toBe('Unhandled');
    expect(record.responsePayload.errorMessage).toBeTruthy();
    // Its trace names the sources (the map beside the bundle, read when the stack was printed), not the bundle's
    // minified positions, although the function runs without --enable-source-maps.
    const trace = record.responsePayload.trace ?? [];
    expect(
      trace.some((line) => /\((?:functions|node_modules)\/\S+\.[jt]s:\d+:\d+\)/.test(line)),
      trace.join('\n'),
    ).toBe(true);
    expect(trace.filter((line) => /\.mjs:\d+:\d+/.test(line))).toEqual([]);
    // From the project root, whichever folder the assembly was built in: no path of the machine that built it.
    expect(trace.filter((line) => line.includes(process.cwd().slice(1)))).toEqual([]);
    // The mail came through the topic, not through a function: no function may mail the operators' topic.
    expect(hotline.target.iam.deniedCalls()).toEqual([]);
  });

  it("retries the weekly report twice (Lambda's default) before its failure reaches the operators", async () => {
    const schedule = hotline.target.schedules.schedules.find((s) =>
      s.targets.some((t) => t.arn.includes('SendSloReports')),
    );
    if (!schedule) throw new Error('no schedule invokes SendSloReports');
    const before = (await mails()).filter(toOperators).length;
    hotline.target.setFaults({ dynamodb: 1 });
    try {
      await hotline.target.schedules.trigger(schedule.name);
    } finally {
      hotline.target.setFaults({ dynamodb: 0 });
    }
    const mail = await eventually(
      async () =>
        (await mails())
          .filter(toOperators)
          .slice(before)
          .find((m) => m.body.text?.includes('SendSloReports')),
      'the failure record to the operators',
    );
    const record = JSON.parse((mail.body.text ?? '').split('\n--\n')[0] ?? '') as {
      requestContext: { condition: string; approximateInvokeCount: number };
      requestPayload: { scheduledTime?: string };
    };
    expect(record.requestContext).toMatchObject({ condition: 'RetriesExhausted', approximateInvokeCount: 3 });
    expect(record.requestPayload.scheduledTime).toBeDefined();
  });

  it("mails the operators where a report run's stream batch was when RunSloReport keeps failing (its mapping's on-failure destination)", async () => {
    const before = (await mails()).filter(toOperators).length;
    const runId = 'R'.repeat(23) + String(Date.now() % 10);
    const key = keys.reportJob(runId);
    const admin = new DynamoDBClient({
      endpoint: hotline.target.urls.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    hotline.target.setFaults({ dynamodb: 1 });
    try {
      // The run record, as Reports writes it (here past the functions' faults): its INSERT reaches RunSloReport
      // through the table's stream, which fails on the table every time (three attempts), and Lambda publishes
      // the batch's place to the operators' topic with the function's role.
      await admin.send(
        new PutItemCommand({
          TableName: hotline.target.tables[0],
          Item: {
            pk: { S: key.pk },
            sk: { S: key.sk },
            type: { S: 'reportJob' },
            runId: { S: runId },
            status: { S: 'queued' },
            requestedAt: { S: new Date().toISOString() },
          },
        }),
      );
      const mail = await eventually(
        async () =>
          (await mails())
            .filter(toOperators)
            .slice(before)
            .find((m) => m.body.text?.includes('DDBStreamBatchInfo')),
        'the failure record to the operators',
        60_000,
      );
      expect(mail.subject).toBe('AWS Notification Message');
      const record = JSON.parse((mail.body.text ?? '').split('\n--\n')[0] ?? '') as {
        requestContext: { functionArn: string; condition: string; approximateInvokeCount: number };
        DDBStreamBatchInfo: { batchSize: number; streamArn: string };
      };
      expect(record.requestContext).toMatchObject({
        functionArn: expect.stringMatching(/:function:.*RunSloReport/),
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: 3,
      });
      expect(record.DDBStreamBatchInfo).toMatchObject({
        batchSize: 1,
        streamArn: expect.stringMatching(/\/stream\//),
      });
    } finally {
      hotline.target.setFaults({ dynamodb: 0 });
      admin.destroy();
    }
    expect(hotline.target.iam.deniedCalls()).toEqual([]);
  });

  it('delivers nothing when the scheduled function succeeds', async () => {
    const schedule = hotline.target.schedules.schedules.find((s) =>
      s.targets.some((t) => t.arn.includes('SweepActionReminders')),
    );
    if (!schedule) throw new Error('no schedule invokes SweepActionReminders');
    const before = (await mails()).length;
    await hotline.target.schedules.trigger(schedule.name);
    await hotline.target.alarms.settle();
    expect((await mails()).length).toBe(before);
  });
});
