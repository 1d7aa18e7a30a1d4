import {
  DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { indexes, keys } from '../../../functions/core/keys.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { useTestOrganisation } from '../../support/organisation.ts';

const ddb = mockClient(DynamoDBDocumentClient);

let handler: typeof import('../../../functions/handlers/actions.ts').handler;

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  useTestOrganisation();
  ({ handler } = await import('../../../functions/handlers/actions.ts'));
});

const ACTION_ID = '01JBQ7ZCTK00000000000000AB';
const stored = {
  ...keys.action(ACTION_ID),
  ...indexes.openActions.values('2027-01-10T12:00:00.000Z', ACTION_ID),
  type: 'action',
  id: ACTION_ID,
  title: 'Retry card authorisations',
  kind: 'priority',
  category: 'repair',
  ownerTeam: 'Payments',
  status: 'open',
  dueAt: '2027-01-10T12:00:00.000Z',
  incidentId: '01JINCIDENT',
  incidentKey: 'HOT-9',
  summary: 'Card payments failing',
  severity: 2,
  service: 'checkout',
  approvedAt: '2026-12-13T12:00:00.000Z',
};

beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [stored] });
});

const list = (query: Record<string, string>) =>
  handler(httpEvent({ method: 'GET', path: '/actions', routeKey: 'GET /actions', query }), lambdaContext);
const complete = (id: string, body?: unknown) =>
  handler(
    httpEvent({
      method: 'POST',
      path: `/actions/${id}/complete`,
      routeKey: 'POST /actions/{id}/complete',
      pathParameters: { id },
      headers: { 'content-type': 'application/json' },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    }),
    lambdaContext,
  );

describe('GET /actions', () => {
  it('answers open overdue priority actions of a team from one Query with a key condition on the due date', async () => {
    const response = await list({ kind: 'priority', ownerTeam: 'Payments', overdue: 'true' });

    expect(response.statusCode).toBe(200);
    expect(JSON.parse(response.body as string).actions).toEqual([
      expect.objectContaining({ id: ACTION_ID, incidentKey: 'HOT-9' }),
    ]);
    expect(JSON.parse(response.body as string).actions[0]).not.toHaveProperty('gsi3pk');
    const queries = ddb.commandCalls(QueryCommand);
    expect(queries).toHaveLength(1);
    expect(queries[0]?.args[0].input).toMatchObject({
      IndexName: 'gsi3',
      KeyConditionExpression: '#pk = :pk AND #sk < :before',
      ExpressionAttributeValues: expect.objectContaining({ ':pk': 'ACTIONS#OPEN' }),
    });
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
  });

  it.each([
    [{ status: 'closed' }, /status/],
    [{ dueBefore: 'tomorrow' }, /dueBefore/],
    [{ status: 'done', overdue: 'true' }, /open actions only/],
    [{ owner: 'x' }, /owner/],
  ])('refuses %j with a 400 naming it', async (query, message) => {
    const response = await list(query as Record<string, string>);
    expect(response.statusCode).toBe(400);
    expect(JSON.parse(response.body as string).error.message).toMatch(message);
  });
});

describe('POST /actions/{id}/complete', () => {
  it('answers 409 when the action is already done, and writes nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: { ...stored, status: 'done', doneBy: 'a@example.com' } });
    const response = await complete(ACTION_ID, {});
    expect(response.statusCode).toBe(409);
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });

  it('answers 404 for an unknown action and 400 for a malformed id or tracker URL', async () => {
    ddb.on(GetCommand).resolves({});
    expect((await complete(ACTION_ID, {})).statusCode).toBe(404);
    expect((await complete('not-an-id', {})).statusCode).toBe(400);
    const badUrl = await complete(ACTION_ID, { trackerUrl: 'javascript:alert(1)' });
    expect(badUrl.statusCode).toBe(400);
    expect(JSON.parse(badUrl.body as string).error.message).toMatch(/trackerUrl/);
  });

  it('refuses a `by` (the CLI --as) that does not name a person, with a 400 naming it, and writes nothing', async () => {
    ddb.on(GetCommand).resolves({ Item: stored });
    for (const by of ['', '   ', 'a\r\nBcc: x@example.com', 42, 'x'.repeat(201)]) {
      const refused = await complete(ACTION_ID, { by });
      expect(refused.statusCode, JSON.stringify(by)).toBe(400);
      expect(JSON.parse(refused.body as string).error.message).toMatch(/^invalid by: /);
    }
    expect(ddb.commandCalls(UpdateCommand)).toHaveLength(0);
  });
});
