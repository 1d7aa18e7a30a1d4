import { describe, expect, it } from 'vitest';
import { severityFor } from '../../../functions/core/alert.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import { pagerduty } from '../../../functions/sources/pagerduty.ts';
import { fixture, fixtureText } from '../../support/fixtures.ts';
import { organisation } from '../../support/organisation.ts';
import { sourceContext } from '../../support/source-context.ts';

const context = sourceContext();
const routingKey = 'e93facc04764012d7bfb002500d5d1a6';

describe('pagerduty source: parse', () => {
  it('reads a trigger into a firing alert keyed by its dedup_key, and answers like PagerDuty', () => {
    const result = pagerduty.parse(fixture('pagerduty', 'trigger'), context);
    expect(result.reply).toEqual({
      status: 'success',
      message: 'Event processed',
      dedup_key: 'checkout-api/payment-provider-timeouts',
    });
    expect(result.alerts).toHaveLength(1);
    const [alert] = result.alerts;
    expect(alert).toMatchObject({
      source: 'pagerduty',
      groupKey: 'checkout-api/payment-provider-timeouts',
      fingerprint: 'checkout-api/payment-provider-timeouts',
      status: 'firing',
      startsAt: '2026-11-20T09:43:12.500Z',
      summary: 'Payment provider timeouts above 10% on checkout-api',
      url: 'https://runbooks.example.com/checkout/payment-timeouts',
      labels: {
        severity: 'critical',
        source: 'checkout-api-7d9f.prod.example.com',
        component: 'payment-client',
        group: 'checkout',
        class: 'upstream timeout',
        service: 'checkout',
        'timeout rate': '12.4%',
        threshold: '10',
      },
      annotations: {
        pagerduty_client: 'Example Monitoring',
        pagerduty_client_url: 'https://monitoring.example.com/alerts/8812',
        links: 'Runbook <https://runbooks.example.com/checkout/payment-timeouts>',
        images: 'https://monitoring.example.com/render/checkout-timeouts.png',
      },
    });
    expect(alert?.description).toContain('window: {"minutes":5}');
    expect(alert?.endsAt).toBeUndefined();
    // The organisation's mapping applies to PagerDuty's severities.
    expect(alert && severityFor(organisation, alert.labels)).toBe(1);
  });

  it('derives a stable dedup_key for a trigger without one and returns it', () => {
    const body = fixture<Record<string, unknown>>('pagerduty', 'trigger-without-dedup-key');
    const first = pagerduty.parse(body, context);
    const again = pagerduty.parse(structuredClone(body), sourceContext({ now: '2026-11-20T10:00:00Z' }));
    const key = first.reply?.dedup_key;
    expect(key).toMatch(/^[0-9a-f]{32}$/);
    expect(again.reply?.dedup_key).toBe(key);
    expect(first.alerts[0]).toMatchObject({
      groupKey: key,
      fingerprint: key,
      startsAt: '2026-11-20T09:45:00.000Z',
      description: 'exit code 3 after 2 retries',
      labels: { severity: 'warning', source: 'batch-runner-2', class: 'job failure' },
    });
    const other = { ...body, payload: { ...(body.payload as object), summary: 'Another failure' } };
    expect(pagerduty.parse(other, context).reply?.dedup_key).not.toBe(key);
    // The routing key is not part of the content hash: rotating it does not split an alert.
    expect(pagerduty.parse({ ...body, routing_key: 'x'.repeat(32) }, context).reply?.dedup_key).toBe(key);
  });

  it('reads a resolve into a resolved alert of the same group', () => {
    const result = pagerduty.parse(fixture('pagerduty', 'resolve'), context);
    expect(result.reply?.dedup_key).toBe('checkout-api/payment-provider-timeouts');
    expect(result.alerts[0]).toMatchObject({
      groupKey: 'checkout-api/payment-provider-timeouts',
      fingerprint: 'checkout-api/payment-provider-timeouts',
      status: 'resolved',
      endsAt: '2026-11-20T09:45:00.000Z',
      labels: {},
    });
  });

  it("accepts an acknowledge with PagerDuty's reply and no alert", () => {
    const result = pagerduty.parse(fixture('pagerduty', 'acknowledge'), context);
    expect(result).toEqual({
      alerts: [],
      reply: {
        status: 'success',
        message: 'Event processed',
        dedup_key: 'checkout-api/payment-provider-timeouts',
      },
    });
  });

  it('hashes a dedup_key too long for a fingerprint', () => {
    const body = fixture<Record<string, unknown>>('pagerduty', 'trigger');
    const a = pagerduty.parse({ ...body, dedup_key: `${'k'.repeat(200)}1` }, context).alerts[0];
    const b = pagerduty.parse({ ...body, dedup_key: `${'k'.repeat(200)}2` }, context).alerts[0];
    expect(a?.fingerprint).not.toBe(b?.fingerprint);
    expect(a?.fingerprint.length).toBeLessThanOrEqual(128);
    expect(a?.groupKey).toBe(`${'k'.repeat(200)}1`);
  });

  it('names the problem in a malformed event', () => {
    const trigger = fixture<{ payload: Record<string, unknown> } & Record<string, unknown>>(
      'pagerduty',
      'trigger',
    );
    const bad: [unknown, RegExp][] = [
      [{ ...trigger, event_action: 'escalate' }, /event_action/],
      [{ ...trigger, payload: undefined }, /payload: required for trigger/],
      [{ ...trigger, payload: { ...trigger.payload, severity: 'high' } }, /payload\.severity/],
      [{ ...trigger, payload: { ...trigger.payload, summary: 's'.repeat(1025) } }, /payload\.summary/],
      [{ ...trigger, payload: { ...trigger.payload, source: undefined } }, /payload\.source/],
      [{ ...trigger, payload: { ...trigger.payload, timestamp: 'last tuesday' } }, /payload\.timestamp/],
      // Date.parse reads it as 2001-01-01: an impact start 25 years back.
      [{ ...trigger, payload: { ...trigger.payload, timestamp: '1' } }, /payload\.timestamp/],
      [{ ...trigger, dedup_key: 'k'.repeat(256) }, /dedup_key/],
      [{ routing_key: routingKey, event_action: 'resolve' }, /dedup_key: required for resolve/],
      [
        { routing_key: routingKey, event_action: 'acknowledge', dedup_key: '' },
        /dedup_key: required for acknowledge/,
      ],
      [{ ...trigger, routing_key: undefined }, /routing_key/],
      [{ ...trigger, links: [{ text: 'no href' }] }, /links\.0\.href/],
      [null, /body/],
    ];
    for (const [body, message] of bad) {
      expect(() => pagerduty.parse(body, context), String(message)).toThrowError(message);
      expect(() => pagerduty.parse(body, context)).toThrowError(ValidationError);
    }
  });
});

describe('pagerduty source: verify', () => {
  const secret = 'r'.repeat(32);
  const previous = 'q'.repeat(48);
  const withKey = (key: unknown) =>
    JSON.stringify({ ...fixture<object>('pagerduty', 'trigger'), routing_key: key });
  const verify = (rawBody: string, secrets: readonly string[] = [secret]) =>
    pagerduty.verify({ headers: {}, rawBody }, sourceContext({ secrets }));

  it('accepts the routing_key of the current or previous credential', async () => {
    expect(await verify(withKey(secret))).toEqual({ ok: true });
    expect((await verify(withKey(previous), [secret, previous])).ok).toBe(true);
  });

  it('refuses a wrong, missing or malformed routing key, and bodies that are not JSON objects', async () => {
    const bodies = [
      withKey(routingKey),
      withKey(`${secret}x`),
      withKey(''),
      withKey(42),
      withKey(null),
      fixtureText('pagerduty', 'trigger').replace(/"routing_key": "[^"]*",/, ''),
      JSON.stringify([{ routing_key: secret }]),
      JSON.stringify(secret),
      `{"routing_key": "${secret}"`,
      '',
    ];
    for (const body of bodies) {
      const result = await verify(body);
      expect(result.ok, body.slice(0, 60)).toBe(false);
      if (!result.ok) expect(result.reason).not.toContain(secret);
    }
    expect((await verify(withKey(secret), [])).ok).toBe(false);
  });
});
