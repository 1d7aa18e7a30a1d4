import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { describe, expect, it, vi } from 'vitest';
import { logger } from '../../../functions/adapters/logger.ts';
import { keys as tableKeys } from '../../../functions/core/keys.ts';
import { httpEvent, lambdaContext } from '../../support/events.ts';
import { linkHandlerHarness, linkIncident, signedLink } from '../../support/link-handlers.ts';

const harness = linkHandlerHarness(() => import('../../../functions/handlers/handle-link.ts'));
const { ddb } = harness;

const incident = linkIncident({ summary: 'Checkout <slow>' });
const token = signedLink(incident, 'acknowledge', {
  recipient: 'oncall@example.com',
  ttlHours: 24 * 365 * 10,
});

const call = (
  method: 'GET' | 'POST',
  link = token,
  more: { query?: Record<string, string>; form?: string } = {},
) =>
  harness.handler()(
    httpEvent({
      method,
      path: `/links/${link}`,
      routeKey: `${method} /links/{token}`,
      pathParameters: { token: link },
      headers: more.form === undefined ? {} : { 'content-type': 'application/x-www-form-urlencoded' },
      ...(more.form === undefined ? {} : { body: more.form }),
      ...(more.query ? { query: more.query } : {}),
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

  it('logs where an unexpected failure was thrown (its stack, no other field of it) and shows the error page', async () => {
    const error = vi.spyOn(logger, 'error');
    ddb
      .on(GetCommand)
      .rejects(Object.assign(new TypeError('cannot read properties of undefined'), { $response: 'raw' }));
    const response = await call('GET');
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('cannot read properties');
    const [message, attributes] = error.mock.calls.at(-1) ?? [];
    expect(message).toBe('unhandled error');
    const logged = (attributes as { error: Record<string, unknown> }).error;
    expect(logged).toMatchObject({ name: 'TypeError', message: 'cannot read properties of undefined' });
    expect(String(logged.stack)).toMatch(/^TypeError: cannot read properties of undefined\n\s+at /);
    expect(Object.keys(logged).sort()).toEqual(['message', 'name', 'stack']);
    expect(JSON.stringify(error.mock.calls)).not.toContain(token);
  });
});

describe('an editor link mailed before the editor had its own route (/links/{token}/edit)', () => {
  const editorToken = (now = new Date()) =>
    signedLink(incident, 'edit-postmortem', {
      id: '01JEDIT',
      recipient: 'payments-team@example.com',
      ttlHours: 24,
      now,
    });
  /** A GET, or a POST of the editor's form (a save from a page opened before the move). */
  const editorCall = (method: 'GET' | 'POST', link: string, more: { query?: Record<string, string> } = {}) =>
    call(method, link, { ...more, ...(method === 'POST' ? { form: 'version=3&summary=typed' } : {}) });

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
    const parameters = harness.keyStore();
    parameters.requests.length = 0;
    parameters.values.set(harness.keysParameter, rotated);
    const fresh = signedLink(incident, 'acknowledge', {
      id: '01JLINK2',
      recipient: 'oncall@example.com',
      ttlHours: 24,
      secret: rotated,
    });

    const page = await call('GET', fresh);

    expect(page.statusCode).toBe(200);
    expect(page.body).toContain('<h1>Acknowledge HOT-9?</h1>');
    expect(parameters.requests.map((r) => r.body)).toEqual([
      { Name: harness.keysParameter, WithDecryption: true },
    ]);
    // A made-up key id right after: the link is invalid, and the keys are not read again for it.
    const forged = `v1.k9.${fresh.split('.').slice(2).join('.')}`;
    expect((await call('GET', forged)).statusCode).toBe(403);
    expect(parameters.requests).toHaveLength(1);
  });
});
