import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { HOSTILE_KEYS } from '../../support/hostile-alerts.ts';
import { useTestOrganisation } from '../../support/organisation.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);

let handler: typeof import('../../../functions/handlers/declare-incident.ts').handler;

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Incident';
  useTestOrganisation();
  ({ handler } = await import('../../../functions/handlers/declare-incident.ts'));
});

beforeEach(() => {
  ddb.reset();
  sfn.reset();
});

const declaration = {
  summary: 'Checkout is failing for card payments',
  description: 'Card payments fail at the provider since 09:40.',
  severity: 2,
  service: 'checkout',
};

const declare = (body: string) =>
  handler(
    httpEvent({
      path: '/incidents',
      routeKey: 'POST /incidents',
      headers: { 'content-type': 'application/json' },
      body,
    }),
    lambdaContext,
  );

/** The declaration's JSON text with one more field: as text, so `__proto__` is a field and not a prototype. */
const withField = (key: string, value: unknown) =>
  `${JSON.stringify(declaration).slice(0, -1)},${JSON.stringify(key)}:${JSON.stringify(value)}}`;

describe('POST /incidents with fields named like Object.prototype members', () => {
  it.each([
    ...HOSTILE_KEYS.map((key) => [key, 'x'] as const),
    ['__proto__', { severity: 1, service: 'checkout' }] as const,
    ['constructor', { prototype: { polluted: true } }] as const,
  ])('refuses %s (value %j) with a 400 naming the field, and writes nothing', async (key, value) => {
    const body = withField(key, value);

    const response = await declare(body);

    expect(response.statusCode).toBe(400);
    const { error } = JSON.parse(response.body ?? '');
    expect(error.code).toBe('ValidationError');
    expect(error.message).toContain(`Unrecognized key: ${JSON.stringify(key)}`);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(sfn).not.toHaveReceivedCommand(StartExecutionCommand);
  });
});

describe('POST /incidents naming a service like an Object.prototype member', () => {
  it.each(['constructor', 'toString', '__proto__', 'hasOwnProperty'])(
    'refuses service %s as not configured, and writes nothing',
    async (service) => {
      const response = await declare(JSON.stringify({ ...declaration, service }));

      expect(response.statusCode).toBe(400);
      expect(JSON.parse(response.body ?? '').error.message).toMatch(/is not configured/);
      expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
      expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
    },
  );
});

describe('POST /incidents with an impact start', () => {
  it.each([
    [new Date(Date.now() + 3_600_000).toISOString(), /impactStartedAt: is in the future/],
    ['not a time', /impactStartedAt: must be an ISO-8601 time/],
    // Date.parse reads these as 2001-01-01 and 3 March.
    ['1', /impactStartedAt: must be an ISO-8601 time/],
    ['2026-02-31T10:00:00Z', /impactStartedAt: must be an ISO-8601 time/],
  ])('refuses %s with a 400 naming the field, and writes nothing', async (impactStartedAt, message) => {
    const response = await declare(JSON.stringify({ ...declaration, impactStartedAt }));

    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body ?? '').error.message).toMatch(message);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
    expect(sfn.commandCalls(StartExecutionCommand)).toHaveLength(0);
  });
});
