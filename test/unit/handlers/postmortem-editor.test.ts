import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { keys as tableKeys } from '../../../functions/core/keys.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { linkHandlerHarness, linkIncident, signedLink } from '../../support/link-handlers.ts';

/**
 * GET and POST /links/{token}/edit (PostmortemEditor): the editor's own route serves editor links only, verified
 * as at /links/{token}; an expired one offers a fresh link, whose form posts to the editor's address. The
 * editor's pages themselves are exercised with the emulators (test/integration/postmortem-editor-link.test.ts)
 * and in a browser (test/e2e/postmortem-editor.test.ts).
 */

const harness = linkHandlerHarness(() => import('../../../functions/handlers/postmortem-editor.ts'));
const { ddb } = harness;

const incident = linkIncident({ status: 'resolved' });
const signed = (action: string, now = new Date()) =>
  signedLink(incident, action, { recipient: 'payments-team@example.com', ttlHours: 24, now });

const call = (method: 'GET' | 'POST', link: string, body?: string) =>
  harness.handler()(
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
