import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import { DynamoDBDocumentClient, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { keys } from '../../../functions/core/keys.ts';
import { lambdaContext } from '../../support/events.ts';
import { useTestOrganisation } from '../../support/organisation.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const ses = mockClient(SESv2Client);

let handler: typeof import('../../../functions/handlers/send-slo-reports.ts').handler;

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  process.env.PUBLIC_BASE_URL = 'https://incidents.example.com';
  process.env.LINK_SIGNING_KEYS_PARAMETER = '/hotline/Hotline/link-signing-keys';
  useTestOrganisation();
  ({ handler } = await import('../../../functions/handlers/send-slo-reports.ts'));
});

beforeEach(() => {
  ddb.reset();
  ses.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
  ses.on(SendEmailCommand).resolves({ MessageId: 'm-1' });
});

describe('the scheduled SLO report', () => {
  it("reports the week before Scheduler's scheduled time, claimed per scope and recipient set, as raw MIME", async () => {
    // A retry minutes later still carries the scheduled time: the same week, the same run records.
    const result = await handler({ scheduledTime: '2026-11-30T08:00:00Z' }, lambdaContext);
    expect(result.period).toEqual({ from: '2026-11-23T00:00:00.000Z', to: '2026-11-30T00:00:00.000Z' });
    // Each run is claimed (one conditional UpdateItem, leased) before its report is built, keyed by its scope too.
    const claims = ddb
      .commandCalls(UpdateCommand)
      .map((c) => c.args[0].input)
      .filter((u) => u.ReturnValues === 'ALL_OLD');
    expect(claims.map((u) => u.Key)).toEqual([
      keys.reportRun(result.period.from, result.period.to, 'org', ['engineering-leads@example.com']),
      keys.reportRun(result.period.from, result.period.to, 'department:commerce', [
        'commerce-managers@example.com',
      ]),
    ]);
    expect(claims.every((u) => u.ConditionExpression?.startsWith('attribute_not_exists(pk) OR'))).toBe(true);
    // The lease runs as long as the invocation may, and a little longer.
    const until = Date.parse(String(claims[0]?.ExpressionAttributeValues?.[':until']));
    expect(until - Date.now()).toBeGreaterThan(0);
    expect(until - Date.now()).toBeLessThanOrEqual(lambdaContext.getRemainingTimeInMillis() + 60_000);
    const sent = ses.commandCalls(SendEmailCommand).map((c) => c.args[0].input);
    expect(sent.map((s) => s.Destination?.ToAddresses)).toEqual([
      ['engineering-leads@example.com'],
      ['commerce-managers@example.com'],
    ]);
    const raw = Buffer.from(sent[0]?.Content?.Raw?.Data ?? new Uint8Array()).toString('utf8');
    expect(raw).toMatch(/filename="incidents-2026-11-23\.csv"/);
    expect(raw).toMatch(/filename="actions-2026-11-23\.csv"/);
  });

  it('falls back to the invocation time when the event has no usable scheduled time', async () => {
    const result = await handler({ scheduledTime: '<aws.scheduler.scheduled-time>' }, lambdaContext);
    expect(Date.parse(result.period.to)).toBeLessThanOrEqual(Date.now());
    expect(Date.parse(result.period.to) - Date.parse(result.period.from)).toBe(7 * 86_400_000);
  });
});
