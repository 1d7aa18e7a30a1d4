import { SFNClient } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { logger } from '../../../functions/adapters/logger.ts';
import type { Incident } from '../../../functions/core/incident.ts';
import { keys as tableKeys } from '../../../functions/core/keys.ts';
import { issueLink, parseSigningKeys } from '../../../functions/core/links.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { type FakeParameterStore, fakeParameterStore } from '../../support/fake-parameter-store.ts';
import { useTestOrganisation } from '../../support/organisation.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
let parameters: FakeParameterStore;
const signingSecret = JSON.stringify({ activeKeyId: 'k1', k1: 's'.repeat(64) });

let handler: typeof import('../../../functions/handlers/handle-link.ts').handler;

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  process.env.STATE_MACHINE_ARN = 'arn:aws:states:us-east-1:123456789012:stateMachine:Incident';
  process.env.LINK_SIGNING_KEYS_PARAMETER = '/hotline/Hotline/link-signing-keys';
  parameters = await fakeParameterStore({ '/hotline/Hotline/link-signing-keys': signingSecret });
  useTestOrganisation();
  ({ handler } = await import('../../../functions/handlers/handle-link.ts'));
});

afterAll(() => parameters.close());

beforeEach(() => {
  ddb.reset();
  sfn.reset();
});

const incident: Incident = {
  id: '01JINCIDENT',
  key: 'HOT-9',
  number: 9,
  status: 'paged',
  severity: 2,
  service: 'checkout',
  summary: 'Checkout <slow>',
  products: [],
  source: 'alertmanager',
  impactStartedAt: '2026-11-20T09:00:00.000Z',
  detectedAt: '2026-11-20T09:01:00.000Z',
  openedAt: '2026-11-20T09:01:00.000Z',
  executionName: 'HOT-9',
  updatedAt: '2026-11-20T09:01:00.000Z',
};
const token = issueLink(parseSigningKeys(signingSecret), {
  id: '01JLINK',
  incidentId: incident.id,
  key: incident.key,
  action: 'acknowledge',
  recipient: 'oncall@example.com',
  ttlHours: 24 * 365 * 10,
  now: new Date(),
});

const call = (method: 'GET' | 'POST', link = token) =>
  handler(
    httpEvent({
      method,
      path: `/links/${link}`,
      routeKey: `${method} /links/{token}`,
      pathParameters: { token: link },
      headers: {},
    }),
    lambdaContext,
  );

describe('GET and POST /links/{token}', () => {
  it('GET answers the confirm page as HTML with its security headers and writes nothing', async () => {
    ddb.on(GetCommand, { Key: tableKeys.incident(incident.id) }).resolves({ Item: { ...incident } });
    ddb.on(GetCommand, { Key: tableKeys.linkUse('01JLINK') }).resolves({});
    const response = await call('GET');
    expect(response.statusCode).toBe(200);
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    expect(response.body).toContain('<h1>Acknowledge HOT-9?</h1>');
    expect(response.body).toContain('Checkout &lt;slow&gt;');
    expect(response.body).toContain(`<form method="post" action="./${token}">`);
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('answers a tampered token with the invalid page, as HTML, reading nothing', async () => {
    const response = await call('POST', `${token.slice(0, -3)}abc`);
    expect(response.statusCode).toBe(403);
    expect(response.headers?.['content-type']).toBe('text/html; charset=utf-8');
    expect(response.body).toContain('This link is not valid');
    expect(ddb).not.toHaveReceivedCommand(GetCommand);
  });

  it('turns a transient failure into a 503 page (never JSON) and never logs the token', async () => {
    const warn = vi.spyOn(logger, 'warn');
    const error = vi.spyOn(logger, 'error');
    ddb.on(GetCommand).rejects(
      Object.assign(new Error('Rate exceeded'), {
        name: 'ThrottlingException',
        $fault: 'client',
        $retryable: {},
      }),
    );
    const response = await call('POST');
    expect(response.statusCode).toBe(503);
    expect(response.headers).toMatchObject({
      'content-type': 'text/html; charset=utf-8',
      'retry-after': '2',
    });
    expect(response.body).toContain('Please try again');
    expect(response.body).not.toMatch(/^\s*\{/);
    const logged = JSON.stringify([...warn.mock.calls, ...error.mock.calls]);
    expect(logged).not.toContain(token);
    expect(logged).not.toContain(token.split('.')[3]);
  });
});

describe('an editor link mailed before the editor had its own route (/links/{token}/edit)', () => {
  const editorToken = (now = new Date()) =>
    issueLink(parseSigningKeys(signingSecret), {
      id: '01JEDIT',
      incidentId: incident.id,
      key: incident.key,
      action: 'edit-postmortem',
      recipient: 'payments-team@example.com',
      ttlHours: 24,
      now,
    });
  const editorCall = (method: 'GET' | 'POST', link: string, more: { query?: Record<string, string> } = {}) =>
    handler(
      httpEvent({
        method,
        path: `/links/${link}`,
        routeKey: `${method} /links/{token}`,
        pathParameters: { token: link },
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        ...(method === 'POST' ? { body: 'version=3&summary=typed' } : {}),
        ...more,
      }),
      lambdaContext,
    );

  it('answers 307 to the editor’s address, GET with its query and POST (method and body kept), reading nothing', async () => {
    const link = editorToken();

    const get = await editorCall('GET', link, { query: { saved: '2' } });
    const post = await editorCall('POST', link);

    expect(get.statusCode).toBe(307);
    expect(get.headers).toMatchObject({
      location: `./${link}/edit?saved=2`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
      'content-type': 'text/html; charset=utf-8',
    });
    expect(post.statusCode).toBe(307);
    expect(post.headers).toMatchObject({
      location: `./${link}/edit`,
      'cache-control': 'no-store',
      'referrer-policy': 'no-referrer',
    });
    expect(post.body).toContain(`href="./${link}/edit"`);
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('redirects an expired editor link too (the editor offers the fresh link there), and not a tampered one', async () => {
    const expired = editorToken(new Date(Date.now() - 48 * 3_600_000));

    expect(await editorCall('GET', expired)).toMatchObject({
      statusCode: 307,
      headers: { location: `./${expired}/edit` },
    });
    expect(await editorCall('POST', expired)).toMatchObject({
      statusCode: 307,
      headers: { location: `./${expired}/edit` },
    });
    expect((await editorCall('GET', `${editorToken().slice(0, -3)}abc`)).statusCode).toBe(403);
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});

describe('a link signed with a key rotated in since the keys were cached', () => {
  it('reads the keys again once, so a fresh link works at once; an unknown key id does not read them again', async () => {
    ddb.on(GetCommand).resolves({});
    ddb.on(GetCommand, { Key: tableKeys.incident(incident.id) }).resolves({ Item: { ...incident } });
    // The function has the keys cached (a link signed with k1 was opened)...
    expect((await call('GET')).statusCode).toBe(200);
    // ...when the runbook adds k2 and makes it active in one step, and a fresh link is signed with it.
    const rotated = JSON.stringify({ activeKeyId: 'k2', k1: 's'.repeat(64), k2: 't'.repeat(64) });
    parameters.requests.length = 0;
    parameters.values.set('/hotline/Hotline/link-signing-keys', rotated);
    const fresh = issueLink(parseSigningKeys(rotated), {
      id: '01JLINK2',
      incidentId: incident.id,
      key: incident.key,
      action: 'acknowledge',
      recipient: 'oncall@example.com',
      ttlHours: 24,
      now: new Date(),
    });

    const page = await call('GET', fresh);

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Acknowledge HOT-9?</h1>');
    expect(parameters.requests.map((r) => r.body)).toEqual([
      { Name: '/hotline/Hotline/link-signing-keys', WithDecryption: true },
    ]);
    // A made-up key id right after: the link is invalid, and the keys are not read again for it.
    const forged = `v1.k9.${fresh.split('.').slice(2).join('.')}`;
    expect((await call('GET', forged)).statusCode).toBe(403);
    expect(parameters.requests).toHaveLength(1);
  });
});
