import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseOrganisation } from '../../../functions/core/config.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { organisationInput } from '../../support/organisation.ts';

const ddb = mockClient(DynamoDBDocumentClient);

let handler: typeof import('../../../functions/handlers/schedules.ts').handler;

const NOW = new Date('2026-03-10T12:00:00.000Z');

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  process.env.ORGANISATION_CONFIG = JSON.stringify(
    parseOrganisation({
      ...organisationInput,
      people: {
        ada: { name: 'Ada Lovelace', email: 'ada@example.com', phone: '+447700900123' },
        grace: { name: 'Grace Hopper', email: 'grace@example.com' },
      },
      schedules: {
        payments: {
          name: 'Payments on call',
          timeZone: 'Europe/London',
          rotation: {
            members: ['ada', 'grace'],
            handoff: { weekday: 1, time: '09:00' },
            shift: 'weekly',
            start: '2026-01-05',
          },
        },
      },
    }),
  );
  ({ handler } = await import('../../../functions/handlers/schedules.ts'));
});

beforeEach(() => {
  ddb.reset();
  ddb.on(QueryCommand).resolves({ Items: [] });
  ddb.on(PutCommand).resolves({});
  vi.useFakeTimers({ now: NOW, toFake: ['Date'] });
});

type Call = { method: string; routeKey: string; path: string; pathParameters?: Record<string, string> };
const ROUTES = {
  list: { method: 'GET', routeKey: 'GET /schedules', path: '/schedules' },
  oncall: {
    method: 'GET',
    routeKey: 'GET /schedules/{id}/oncall',
    path: '/schedules/payments/oncall',
    pathParameters: { id: 'payments' },
  },
  overrides: {
    method: 'GET',
    routeKey: 'GET /schedules/{id}/overrides',
    path: '/schedules/payments/overrides',
    pathParameters: { id: 'payments' },
  },
  add: {
    method: 'POST',
    routeKey: 'POST /schedules/{id}/overrides',
    path: '/schedules/payments/overrides',
    pathParameters: { id: 'payments' },
  },
  remove: (overrideId: string) => ({
    method: 'DELETE',
    routeKey: 'DELETE /schedules/{id}/overrides/{overrideId}',
    path: `/schedules/payments/overrides/${overrideId}`,
    pathParameters: { id: 'payments', overrideId },
  }),
} satisfies Record<string, Call | ((id: string) => Call)>;

async function send(
  route: Call,
  options: { body?: string; query?: Record<string, string>; headers?: Record<string, string> } = {},
) {
  const response = await handler(
    httpEvent({
      ...route,
      headers: { 'content-type': 'application/json', ...options.headers },
      ...(options.body === undefined ? {} : { body: options.body }),
      ...(options.query ? { query: options.query } : {}),
    }),
    lambdaContext,
  );
  return { status: response.statusCode, body: JSON.parse(response.body as string) };
}
const post = (body: unknown) => send(ROUTES.add, { body: JSON.stringify(body) });

const valid = { personId: 'grace', start: '2026-03-11T18:00:00Z', end: '2026-03-12T09:00:00Z' };

describe('POST /schedules/{id}/overrides', () => {
  it('creates once, conditionally, on the schedule partition and the gsi3 list by end; 201 then 200 on a retry', async () => {
    const created = await post(valid);
    expect(created.status).toBe(201);
    expect(created.body.override).toMatchObject({
      person: { id: 'grace', name: 'Grace Hopper' },
      start: '2026-03-11T18:00:00.000Z',
      local: { start: '2026-03-11T18:00+00:00', end: '2026-03-12T09:00+00:00', timeZone: 'Europe/London' },
    });
    const put = ddb.commandCalls(PutCommand)[0]?.args[0].input;
    const id = created.body.override.id as string;
    expect(put).toMatchObject({
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: 'SCHEDULE#payments',
        sk: `OVERRIDE#${id}`,
        gsi3pk: 'OVERRIDES#payments',
        gsi3sk: `2026-03-12T09:00:00.000Z#${id}`,
      },
    });
    expect(put?.Item).not.toHaveProperty('expiresAt');

    ddb
      .on(PutCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ConditionalCheckFailedException' }));
    ddb.on(GetCommand).resolves({ Item: put?.Item });
    const retried = await post(valid);
    expect(retried.status).toBe(200);
    expect(retried.body).toMatchObject({ created: false, override: { id } });
  });

  it.each([
    ['a wrong type', { ...valid, personId: 42 }, /personId/],
    ['an unknown field', { ...valid, admin: true }, /admin|Unrecognized key/],
    ['a huge person id', { ...valid, personId: 'a'.repeat(3000) }, /personId: at most 63/],
    ['a date the calendar lacks', { ...valid, start: '2026-02-30T18:00:00Z' }, /start: must be an ISO-8601/],
    ['a date in words', { ...valid, end: 'tomorrow' }, /end: must be an ISO-8601/],
    ['a time without its offset', { ...valid, end: '2026-03-12T09:00:00' }, /end: must be an ISO-8601/],
    [
      'a mix of instants and wall times',
      { ...valid, from: { date: '2026-03-11', time: '18:00' } },
      /not both/,
    ],
    ['half a pair', { personId: 'grace', from: { date: '2026-03-11', time: '18:00' } }, /to: required/],
    ['no times', { personId: 'grace' }, /start: required/],
    [
      'a bad wall time',
      {
        personId: 'grace',
        from: { date: '2026-03-11', time: '24:00' },
        to: { date: '2026-03-12', time: '09:00' },
      },
      /from\.time: must be HH:MM/,
    ],
    [
      'an unknown field in a wall time',
      {
        personId: 'grace',
        from: { date: '2026-03-11', time: '18:00', zone: 'UTC' },
        to: { date: '2026-03-12', time: '09:00' },
      },
      /from/,
    ],
    [
      'someone not in the configuration',
      { ...valid, personId: 'mallory' },
      /personId: "mallory" is not one of the people/,
    ],
    ['an end before the start', { ...valid, end: '2026-03-11T17:00:00Z' }, /end: must be after start/],
    [
      'a month and a half',
      { ...valid, end: '2026-04-25T09:00:00Z' },
      /end: an override covers at most 31 days/,
    ],
    [
      'a cover in a year',
      { ...valid, start: '2027-03-11T18:00:00Z', end: '2027-03-12T09:00:00Z' },
      /start: an override starts at most 90 days ahead/,
    ],
    ['a bad id', { ...valid, id: '../../etc' }, /id:/],
    ['an array', [valid], /body|expected object/],
    ['null', null, /body|expected object/],
    [
      'a prototype key',
      JSON.parse(`{"__proto__": {"personId": "ada"}, "personId": "grace"}`),
      /__proto__|Unrecognized|start/,
    ],
  ])('refuses %s with 400 naming the field, and writes nothing', async (_what, body, message) => {
    const { status, body: answer } = await post(body);
    expect(status).toBe(400);
    expect(answer.error.code).toBe('ValidationError');
    expect(answer.error.message).toMatch(message);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('refuses a body over 4 KB (413), not JSON (400) or not sent as JSON (415)', async () => {
    expect(
      (await send(ROUTES.add, { body: JSON.stringify({ ...valid, pad: 'x'.repeat(5000) }) })).status,
    ).toBe(413);
    expect((await send(ROUTES.add, { body: '{"personId": ' })).status).toBe(400);
    expect(
      (await send(ROUTES.add, { body: JSON.stringify(valid), headers: { 'content-type': 'text/plain' } }))
        .status,
    ).toBe(415);
    expect(ddb.commandCalls(PutCommand)).toHaveLength(0);
  });

  it('an unknown schedule is 404, a malformed one 400', async () => {
    const unknown = await send(
      { ...ROUTES.add, pathParameters: { id: 'nope' } },
      { body: JSON.stringify(valid) },
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NotFound');
    const malformed = await send({ ...ROUTES.oncall, pathParameters: { id: 'NOPE%00' } });
    expect(malformed.status).toBe(400);
  });
});

describe('GET /schedules/{id}/oncall', () => {
  it('answers now by default from one Query on gsi3, never a Scan', async () => {
    // The last channel check (one GetItem): none yet.
    ddb.on(GetCommand).resolves({});
    const { status, body } = await send(ROUTES.oncall);
    expect(status).toBe(200);
    expect(body.at).toBe(NOW.toISOString());
    expect(body.onCall).toMatchObject({ person: { id: 'grace', name: 'Grace Hopper' }, source: 'rotation' });
    expect(body.next[0]).toMatchObject({ person: { id: 'ada', phone: '+44********23' } });
    expect(JSON.stringify(body)).not.toContain('7700900123');
    const queries = ddb.commandCalls(QueryCommand);
    expect(queries).toHaveLength(1);
    expect(queries[0]?.args[0].input).toMatchObject({
      IndexName: 'gsi3',
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :from AND :until',
      ExpressionAttributeValues: expect.objectContaining({ ':pk': 'OVERRIDES#payments' }),
    });
    expect(ddb.commandCalls(ScanCommand)).toHaveLength(0);
    expect(body.onCall.quiet).toEqual([]);
    expect(body).not.toHaveProperty('channelsCheckedAt');
  });

  it("shows the quiet channels of the people on call now and next, from the last check's one item", async () => {
    ddb.on(GetCommand).resolves({
      Item: {
        pk: 'CHANNELS',
        sk: 'HEALTH',
        type: 'channel-health',
        checkedAt: '2026-12-07T11:00:00.000Z',
        onCall: {},
        quiet: [
          { personId: 'ada', channel: 'sms', problem: 'opted-out', detail: '+44********23 opted out' },
          { personId: 'grace', channel: 'email', problem: 'suppressed', detail: 'on the list' },
        ],
      },
    });
    const { status, body } = await send(ROUTES.oncall);
    expect(status).toBe(200);
    expect(body.channelsCheckedAt).toBe('2026-12-07T11:00:00.000Z');
    expect(body.onCall.quiet).toEqual([
      {
        channel: 'email',
        problem: 'suppressed',
        detail: 'on the list',
        remedy: expect.stringContaining('aws sesv2 delete-suppressed-destination --email-address'),
      },
    ]);
    expect(body.next[0].person.id).toBe('ada');
    expect(body.next[0].quiet.map((q: { problem: string }) => q.problem)).toEqual(['opted-out']);
    expect(ddb.commandCalls(GetCommand)[0]?.args[0].input.Key).toEqual({ pk: 'CHANNELS', sk: 'HEALTH' });
  });

  it.each([
    'yesterday',
    '2026-13-01T00:00:00Z',
    '',
    'x'.repeat(5000),
    // Centuries away: refused before any shift is computed (it would cost seconds).
    '0001-01-01T00:00:00Z',
    '9999-12-31T00:00:00Z',
  ])('at=%s is a 400', async (at) => {
    const { status, body } = await send(ROUTES.oncall, { query: { at } });
    expect(status).toBe(400);
    expect(body.error.message).toMatch(/at:/);
  });

  it('an unknown query parameter is a 400; an unknown schedule a 404', async () => {
    expect((await send(ROUTES.oncall, { query: { when: 'now' } })).status).toBe(400);
    expect((await send({ ...ROUTES.oncall, pathParameters: { id: 'nope' } })).status).toBe(404);
  });
});

describe('GET /schedules and the override list', () => {
  it('lists the schedules with members by id and name', async () => {
    const { status, body } = await send(ROUTES.list);
    expect(status).toBe(200);
    expect(body.schedules).toEqual([
      expect.objectContaining({
        id: 'payments',
        timeZone: 'Europe/London',
        rotation: expect.objectContaining({
          members: [
            { id: 'ada', name: 'Ada Lovelace', phone: '+44********23' },
            { id: 'grace', name: 'Grace Hopper' },
          ],
        }),
      }),
    ]);
  });

  it('refuses a window the wrong way round or too wide', async () => {
    const backwards = await send(ROUTES.overrides, {
      query: { from: '2026-03-10T00:00:00Z', to: '2026-03-01T00:00:00Z' },
    });
    expect(backwards.status).toBe(400);
    const wide = await send(ROUTES.overrides, {
      query: { from: '2020-03-10T00:00:00Z', to: '2026-03-01T00:00:00Z' },
    });
    expect(wide.status).toBe(400);
  });
});

describe('DELETE /schedules/{id}/overrides/{overrideId}', () => {
  it('marks it removed with one conditional UpdateItem (no DeleteItem), taking it out of the list', async () => {
    ddb.on(UpdateCommand).resolves({
      Attributes: {
        pk: 'SCHEDULE#payments',
        sk: 'OVERRIDE#cover-1',
        id: 'cover-1',
        scheduleId: 'payments',
        ...valid,
        createdAt: NOW.toISOString(),
        createdBy: 'op',
        removedAt: NOW.toISOString(),
        removedBy: 'operator',
      },
    });
    const { status, body } = await send(ROUTES.remove('cover-1'));
    expect(status).toBe(200);
    expect(body.override).toMatchObject({ id: 'cover-1', removedBy: 'operator' });
    expect(ddb.commandCalls(UpdateCommand)[0]?.args[0].input).toMatchObject({
      UpdateExpression: 'SET removedAt = :at, removedBy = :by REMOVE #gpk, #gsk',
      ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(removedAt) AND #end > :at',
    });
    expect(ddb.commandCalls(DeleteCommand)).toHaveLength(0);
  });

  it('a missing override is a 404 in JSON; a malformed id a 400', async () => {
    ddb
      .on(UpdateCommand)
      .rejects(Object.assign(new Error('no'), { name: 'ConditionalCheckFailedException' }));
    ddb.on(GetCommand).resolves({});
    const missing = await send(ROUTES.remove('o-0123456789abcdef0123'));
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({
      code: 'NotFound',
      message: expect.stringContaining('no override'),
    });
    expect((await send(ROUTES.remove('%2E%2E'))).status).toBe(400);
  });
});
