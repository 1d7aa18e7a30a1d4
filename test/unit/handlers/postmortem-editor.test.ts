import { SFNClient } from '@aws-sdk/client-sfn';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Incident } from '../../../functions/core/incident.ts';
import { keys as tableKeys } from '../../../functions/core/keys.ts';
import { issueLink, parseSigningKeys } from '../../../functions/core/links.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { type FakeParameterStore, fakeParameterStore } from '../../support/fake-parameter-store.ts';
import { useTestOrganisation } from '../../support/organisation.ts';

/**
 * GET and POST /links/{token}/edit (PostmortemEditor): the editor's own route serves editor links only, verified
 * as at /links/{token}; an expired one offers a fresh link, whose form posts to the editor's address. The
 * editor's pages themselves are exercised with the emulators (test/integration/postmortem-editor-link.test.ts)
 * and in a browser (test/e2e/postmortem-editor.test.ts).
 */

const ddb = mockClient(DynamoDBDocumentClient);
const sfn = mockClient(SFNClient);
let parameters: FakeParameterStore;
const signingSecret = JSON.stringify({ activeKeyId: 'k1', k1: 's'.repeat(64) });

let handler: typeof import('../../../functions/handlers/postmortem-editor.ts').handler;

beforeAll(async () => {
  process.env.TABLE_NAME = 'incidents';
  process.env.LINK_SIGNING_KEYS_PARAMETER = '/hotline/Hotline/link-signing-keys';
  parameters = await fakeParameterStore({ '/hotline/Hotline/link-signing-keys': signingSecret });
  useTestOrganisation();
  ({ handler } = await import('../../../functions/handlers/postmortem-editor.ts'));
});

afterAll(() => parameters.close());

beforeEach(() => {
  ddb.reset();
  sfn.reset();
});

const incident = {
  id: '01JINCIDENT',
  key: 'HOT-9',
  number: 9,
  status: 'resolved',
  severity: 2,
  service: 'checkout',
  summary: 'Checkout slow',
  products: [],
  source: 'alertmanager',
  impactStartedAt: '2026-11-20T09:00:00.000Z',
  detectedAt: '2026-11-20T09:01:00.000Z',
  openedAt: '2026-11-20T09:01:00.000Z',
  executionName: 'HOT-9',
  updatedAt: '2026-11-20T09:01:00.000Z',
} as Incident;
const signed = (action: string, now = new Date()) =>
  issueLink(parseSigningKeys(signingSecret), {
    id: '01JLINK',
    incidentId: incident.id,
    key: incident.key,
    action,
    recipient: 'payments-team@example.com',
    ttlHours: 24,
    now,
  });

const call = (method: 'GET' | 'POST', link: string, body?: string) =>
  handler(
    httpEvent({
      method,
      path: `/links/${link}/edit`,
      routeKey: `${method} /links/{token}/edit`,
      pathParameters: { token: link },
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      ...(body === undefined ? {} : { body }),
    }),
    lambdaContext,
  );

describe('GET and POST /links/{token}/edit', () => {
  it('refuses a link of any other kind, and a tampered one, as invalid, reading nothing', async () => {
    for (const action of ['acknowledge', 'view', 'respond', 'approve-postmortem']) {
      const response = await call('GET', signed(action));
      expect(response.statusCode, action).toBe(403);
      expect(response.headers).toMatchObject({
        'content-type': 'text/html; charset=utf-8',
        'cache-control': 'no-store',
        'referrer-policy': 'no-referrer',
      });
      expect((await call('POST', signed(action), 'a=b')).statusCode, action).toBe(403);
    }
    expect((await call('GET', `${signed('edit-postmortem').slice(0, -3)}abc`)).statusCode).toBe(403);
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('offers a fresh link for an expired editor link, its form posting to the editor’s address; writes nothing', async () => {
    ddb.on(GetCommand, { Key: tableKeys.incident(incident.id) }).resolves({ Item: { ...incident } });
    ddb
      .on(GetCommand, { Key: tableKeys.postmortem(incident.id) })
      .resolves({ Item: { incidentId: incident.id, status: 'draft', owner: 'payments-team@example.com' } });
    const expired = signed('edit-postmortem', new Date(Date.now() - 48 * 3_600_000));

    const response = await call('GET', expired);

    expect(response.statusCode).toBe(410);
    expect(response.headers).toMatchObject({ 'cache-control': 'no-store', 'referrer-policy': 'no-referrer' });
    expect(response.body).toContain('This editor link has expired');
    expect(response.body).toContain('<form method="post" action="./edit">');
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
    expect(ddb).not.toHaveReceivedCommand(UpdateCommand);
    expect(ddb).not.toHaveReceivedCommand(DeleteCommand);
  });

  it('refuses a form larger than the editor takes (413) before reading anything', async () => {
    const response = await call('POST', signed('edit-postmortem'), `summary=${'x'.repeat(513 * 1024)}`);
    expect(response.statusCode).toBe(413);
    expect(response.body).toContain('Too much to save at once');
    expect(ddb).not.toHaveReceivedAnyCommand();
  });
});
