import { describe, expect, it } from 'vitest';
import { ValidationError } from '../../../functions/core/errors.ts';
import { alertmanager, presentedCredential } from '../../../functions/sources/alertmanager.ts';
import { fixture } from '../../support/fixtures.ts';
import { sourceContext } from '../../support/source-context.ts';

const context = sourceContext();
const secret = 's'.repeat(48);

describe('alertmanager source: parse', () => {
  it('reads a firing v4 notification into one alert per fingerprint', () => {
    const alerts = alertmanager.parse(fixture('alertmanager', 'firing-v4'), context).alerts;
    expect(alerts).toHaveLength(2);
    expect(alerts[0]).toMatchObject({
      source: 'alertmanager',
      groupKey: '{}/{severity="critical"}:{alertname="CheckoutHighErrorRate", service="checkout"}',
      fingerprint: '5f1d0c2b9a7e3a41',
      status: 'firing',
      startsAt: '2026-11-20T09:41:12.345Z',
      summary: 'Checkout API 5xx rate above 5%',
      description: 'More than 5% of checkout requests have failed for 5 minutes.',
    });
    // The zero time Alertmanager sends for "no end yet" is not an end.
    expect(alerts[0]?.endsAt).toBeUndefined();
    expect(alerts[0]?.annotations.runbook_url).toBe('https://runbooks.example.com/checkout/high-error-rate');
  });

  it('reads a resolved notification with its end time', () => {
    const [alert] = alertmanager.parse(fixture('alertmanager', 'resolved-v4'), context).alerts;
    expect(alert).toMatchObject({ status: 'resolved', endsAt: '2026-11-20T10:02:40.000Z' });
  });

  it('names the problem in a malformed notification', () => {
    const body = fixture<Record<string, unknown>>('alertmanager', 'firing-v4');
    expect(() => alertmanager.parse({ ...body, version: '3' }, context).alerts).toThrowError(/version/);
    expect(() => alertmanager.parse({ ...body, alerts: [] }, context).alerts).toThrowError(
      /alerts: a notification carries at least one alert/,
    );
    expect(
      () => alertmanager.parse({ ...body, alerts: [{ status: 'firing' }] }, context).alerts,
    ).toThrowError(ValidationError);
    expect(() => alertmanager.parse('nope', context).alerts).toThrowError(ValidationError);
    const [first] = body.alerts as Record<string, unknown>[];
    for (const startsAt of ['1', 'Dec 8 2026', '2026-02-31T10:00:00Z'])
      expect(
        () => alertmanager.parse({ ...body, alerts: [{ ...first, startsAt }] }, context).alerts,
      ).toThrowError(/alerts\.0\.startsAt: must be an RFC 3339 time/);
  });

  it('caps untrusted text', () => {
    const body = fixture<{ alerts: { annotations: Record<string, string> }[] }>('alertmanager', 'firing-v4');
    const first = body.alerts[0];
    if (first) first.annotations.summary = 'x'.repeat(10_000);
    const [alert] = alertmanager.parse(body, context).alerts;
    expect(alert?.summary.length).toBeLessThanOrEqual(200);
  });
});

describe('alertmanager source: verify', () => {
  const request = (authorization?: string) => ({ headers: { authorization }, rawBody: '{}' });

  it('accepts the bearer credential and the basic-auth password', async () => {
    expect(
      (await alertmanager.verify(request(`Bearer ${secret}`), sourceContext({ secrets: [secret] }))).ok,
    ).toBe(true);
    const basic = Buffer.from(`alertmanager:${secret}`).toString('base64');
    expect(
      (await alertmanager.verify(request(`Basic ${basic}`), sourceContext({ secrets: [secret] }))).ok,
    ).toBe(true);
  });

  it('accepts the previous value during rotation', async () => {
    expect(
      (
        await alertmanager.verify(
          request(`Bearer ${secret}`),
          sourceContext({ secrets: ['n'.repeat(48), secret] }),
        )
      ).ok,
    ).toBe(true);
  });

  it('refuses missing, wrong and malformed credentials', async () => {
    expect((await alertmanager.verify(request(), sourceContext({ secrets: [secret] }))).ok).toBe(false);
    expect(
      (await alertmanager.verify(request(`Bearer ${secret}x`), sourceContext({ secrets: [secret] }))).ok,
    ).toBe(false);
    expect((await alertmanager.verify(request('Bearer'), sourceContext({ secrets: [secret] }))).ok).toBe(
      false,
    );
    expect(
      (await alertmanager.verify(request(`Token ${secret}`), sourceContext({ secrets: [secret] }))).ok,
    ).toBe(false);
    expect((await alertmanager.verify(request(`Bearer ${secret}`), sourceContext({ secrets: [] }))).ok).toBe(
      false,
    );
    expect(presentedCredential('Basic bm9jb2xvbg==')).toBeUndefined();
  });
});
