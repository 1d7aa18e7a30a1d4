import { describe, expect, it } from 'vitest';
import { severityFor } from '../../../functions/core/alert.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import { datadog } from '../../../functions/sources/datadog.ts';
import { fixture, fixtureText } from '../../support/fixtures.ts';
import { organisation } from '../../support/organisation.ts';
import { sourceContext } from '../../support/source-context.ts';

const context = sourceContext();
const secret = 'd'.repeat(48);

describe('datadog source: parse', () => {
  it('reads a Triggered notification of a multi-alert monitor', () => {
    const { alerts } = datadog.parse(fixture('datadog', 'triggered'), context);
    expect(alerts).toHaveLength(1);
    expect(alerts[0]).toMatchObject({
      source: 'datadog',
      groupKey: '3f6e1d2c9a8b7f0e5d4c3b2a19087f6e',
      fingerprint: '48213377:env:prod,host:checkout-web-3',
      status: 'firing',
      startsAt: '2026-11-20T09:44:30.000Z',
      summary: '[Triggered on {env:prod,host:checkout-web-3}] Checkout 5xx rate is high',
      description: expect.stringContaining('more than 50 requests a minute'),
      url: 'https://app.datadoghq.eu/event/event?id=7894561230123456789',
      labels: {
        env: 'prod',
        host: 'checkout-web-3',
        monitor: '',
        service: 'checkout',
        team: 'payments',
        priority: 'p1',
        datadog_monitor_id: '48213377',
      },
    });
    expect(alerts[0]?.endsAt).toBeUndefined();
    expect(alerts[0]?.annotations).toMatchObject({
      datadog_transition: 'Triggered',
      datadog_query: expect.stringContaining('trace.http.request.errors'),
      datadog_event_priority: 'normal',
      datadog_org: 'Example Shop',
    });
    // $ALERT_PRIORITY P1 goes through the organisation's mapping.
    expect(alerts[0] && severityFor(organisation, alerts[0].labels)).toBe(1);
  });

  it('reads Recovered as resolved, on the same fingerprint whatever the order of the scope tags', () => {
    const [firing] = datadog.parse(fixture('datadog', 'triggered'), context).alerts;
    const [resolved] = datadog.parse(fixture('datadog', 'recovered'), context).alerts;
    expect(resolved).toMatchObject({
      status: 'resolved',
      endsAt: '2026-11-20T10:05:00.000Z',
      groupKey: firing?.groupKey,
      fingerprint: firing?.fingerprint,
    });
  });

  it('reads No Data as firing and says so', () => {
    const [alert] = datadog.parse(fixture('datadog', 'no-data'), context).alerts;
    expect(alert).toMatchObject({
      status: 'firing',
      fingerprint: '48219901:queue:orders',
      annotations: { datadog_transition: 'No Data' },
      labels: { queue: 'orders', service: 'checkout', priority: 'p2' },
    });
    expect(alert?.labels.host).toBeUndefined();
  });

  it('reads numbers, tag arrays, epoch seconds and unsubstituted variables leniently', () => {
    const [alert] = datadog.parse(fixture('datadog', 'loose-values'), context).alerts;
    expect(alert).toMatchObject({
      status: 'firing',
      groupKey: '48220044',
      fingerprint: '48220044',
      startsAt: '2026-11-20T09:30:00.000Z',
      summary: '[Re-Warn] Checkout disk usage',
      labels: { service: 'checkout', severity: 'warning', datadog_monitor_id: '48220044' },
    });
    expect(alert?.description).toBeUndefined();
    expect(alert?.labels.host).toBeUndefined();
    expect(alert?.labels.priority).toBeUndefined();
  });

  it('maps every documented transition', () => {
    const base = fixture<Record<string, unknown>>('datadog', 'triggered');
    const statusOf = (alert_transition: string, alert_type = '') =>
      datadog.parse({ ...base, alert_transition, alert_type }, context).alerts[0]?.status;
    for (const t of ['Triggered', 'Re-Triggered', 'Warn', 'Re-Warn', 'Renotify', 'No Data', 'Re-No Data']) {
      expect(statusOf(t), t).toBe('firing');
    }
    expect(statusOf('Recovered')).toBe('resolved');
    expect(statusOf('Null', 'success')).toBe('resolved');
    expect(statusOf('', 'error')).toBe('firing');
  });

  it('reads tags named like object properties as plain labels', () => {
    const body = {
      ...fixture<Record<string, unknown>>('datadog', 'triggered'),
      tags: 'constructor:x,toString,env:a,env:b',
    };
    const [alert] = datadog.parse(body, context).alerts;
    expect(alert?.labels).toMatchObject({ constructor: 'x', toString: '', env: 'prod' });
    expect(datadog.parse({ ...body, alert_scope: '' }, context).alerts[0]?.labels.env).toBe('a,b');
  });

  it('falls back to the receive time for an unreadable date', () => {
    const body = {
      ...fixture<Record<string, unknown>>('datadog', 'triggered'),
      date: 'yesterday',
      last_updated: '',
    };
    expect(datadog.parse(body, context).alerts[0]?.startsAt).toBe('2026-11-20T09:45:00.000Z');
  });

  it('hashes a scope too long for a fingerprint instead of truncating it', () => {
    const base = fixture<Record<string, unknown>>('datadog', 'triggered');
    const scope = (last: string) => `${'k'.repeat(100)}:v,x:${last}`;
    const a = datadog.parse({ ...base, alert_scope: scope('1') }, context).alerts[0]?.fingerprint;
    const b = datadog.parse({ ...base, alert_scope: scope('2') }, context).alerts[0]?.fingerprint;
    expect(a).not.toBe(b);
    expect(a?.length).toBeLessThanOrEqual(128);
  });

  it('names the problem in a malformed payload', () => {
    const base = fixture<Record<string, unknown>>('datadog', 'triggered');
    expect(() => datadog.parse({ ...base, alert_id: '', aggreg_key: '' }, context)).toThrowError(
      /alert_id: required/,
    );
    expect(() =>
      datadog.parse({ ...base, alert_transition: 'Null', alert_type: 'info' }, context),
    ).toThrowError(/alert_transition/);
    expect(() => datadog.parse({ ...base, alert_title: { text: 'x' } }, context)).toThrowError(/alert_title/);
    expect(() => datadog.parse({ ...base, tags: 42 }, context)).toThrowError(/tags/);
    expect(() => datadog.parse('Triggered', context)).toThrowError(ValidationError);
  });

  it('caps untrusted text', () => {
    const body = {
      ...fixture<Record<string, unknown>>('datadog', 'triggered'),
      alert_title: 't'.repeat(5000),
    };
    expect(datadog.parse(body, context).alerts[0]?.summary.length).toBeLessThanOrEqual(200);
  });
});

describe('datadog source: verify', () => {
  const rawBody = fixtureText('datadog', 'triggered');
  const verify = (headers: Record<string, string | undefined>, secrets: readonly string[] = [secret]) =>
    datadog.verify({ headers, rawBody }, sourceContext({ secrets }));

  it('accepts the X-Hotline-Token of the current or previous credential', async () => {
    expect(await verify({ 'x-hotline-token': secret })).toEqual({ ok: true });
    expect((await verify({ 'x-hotline-token': secret }, ['n'.repeat(48), secret])).ok).toBe(true);
  });

  it('refuses wrong, missing and misplaced tokens', async () => {
    for (const headers of [
      {},
      { 'x-hotline-token': '' },
      { 'x-hotline-token': `${secret} ` },
      { 'x-hotline-token': secret.slice(1) },
      { authorization: `Bearer ${secret}` },
    ]) {
      const result = await verify(headers);
      expect(result.ok, JSON.stringify(headers)).toBe(false);
      if (!result.ok) expect(result.reason).not.toContain(secret);
    }
    expect((await verify({ 'x-hotline-token': secret }, [])).ok).toBe(false);
  });
});
