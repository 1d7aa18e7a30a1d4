import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { fixture, fixtureText } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Every source's documented payload through the local target (the deployed bundles, the real table), each
 * authenticated the way its tool does it. Signatures are computed here, independently of the source code.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

type Reply = { incidents: { key: string; outcome: string }[]; [field: string]: unknown };
const post = async (source: string, body: string, headers: Record<string, string>) => {
  const response = await fetch(`${hotline.target.urls.api}/alerts/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return {
    status: response.status,
    body: (await response.json()) as Reply & { error?: { code: string; message: string } },
  };
};
const incident = async (key: string) =>
  (await (
    await fetch(`${hotline.target.urls.api}/incidents/${key}`, { headers: hotline.operator() })
  ).json()) as {
    incident: { source: string; severity: number; service: string };
    alerts: { status: string; fingerprint: string }[];
    timeline: { kind: string }[];
  };

describe('alert sources on the local target', () => {
  it('grafana: HMAC-signed webhook with timestamp opens an incident; a bad signature is refused', async () => {
    const secret = hotline.secretOf('grafana');
    const body = fixtureText('grafana', 'firing');
    const timestamp = String(Math.floor(Date.now() / 1000));
    const signature = createHmac('sha256', secret).update(`${timestamp}:${body}`).digest('hex');
    const headers = {
      'x-grafana-alerting-signature': signature,
      'x-grafana-alerting-signature-timestamp': timestamp,
    };
    const opened = await post('grafana', body, headers);
    expect(opened.status).toBe(202);
    expect(opened.body.incidents[0]?.outcome).toBe('opened');
    const detail = await incident(opened.body.incidents[0]?.key ?? '');
    expect(detail.incident.source).toBe('grafana');
    expect(detail.alerts.length).toBeGreaterThan(0);
    const tampered = await post('grafana', body.replace('firing', 'resolved'), headers);
    expect(tampered.status).toBe(401);
  });

  it('datadog: the shared-secret header opens, and Recovered resolves the alert', async () => {
    const headers = { 'x-hotline-token': hotline.secretOf('datadog') };
    const opened = await post('datadog', fixtureText('datadog', 'triggered'), headers);
    expect(opened.status).toBe(202);
    const key = opened.body.incidents[0]?.key ?? '';
    const ack = await fetch(`${hotline.target.urls.api}/incidents/${key}/acknowledge`, {
      method: 'POST',
      headers: { ...hotline.operator(), 'content-type': 'application/json' },
      body: JSON.stringify({ incidentManager: 'payments-oncall@example.com' }),
    });
    expect(ack.status).toBe(200);
    // The comms loop is waiting once the initial comms went out.
    await eventually(
      async () => ((await incident(key)).timeline.some((e) => e.kind === 'comms.sent') ? true : undefined),
      'the initial comms',
    );
    const recovered = await post('datadog', fixtureText('datadog', 'recovered'), headers);
    expect(recovered.body.incidents).toEqual([{ key, outcome: 'updated' }]);
    expect((await incident(key)).alerts.every((a) => a.status === 'resolved')).toBe(true);
    // Ingest wakes the loop; the workflow tells the incident manager (a person resolves the incident).
    await eventually(
      async () =>
        (await incident(key)).timeline.some((e) => e.kind === 'alerts.all-resolved') ? true : undefined,
      'the all-resolved notice',
    );
    expect(
      (await post('datadog', fixtureText('datadog', 'triggered'), { 'x-hotline-token': 'nope' })).status,
    ).toBe(401);
  });

  it('pagerduty: Events API v2 with the routing key as credential, answered the way PagerDuty answers', async () => {
    const routingKey = hotline.secretOf('pagerduty');
    expect(routingKey).toHaveLength(32);
    const trigger = { ...fixture<{ dedup_key: string }>('pagerduty', 'trigger'), routing_key: routingKey };
    const opened = await post('pagerduty', JSON.stringify(trigger), {});
    expect(opened.status).toBe(202);
    expect(opened.body).toMatchObject({
      status: 'success',
      message: 'Event processed',
      dedup_key: trigger.dedup_key,
    });
    const resolve = { ...fixture<Record<string, unknown>>('pagerduty', 'resolve'), routing_key: routingKey };
    const resolved = await post('pagerduty', JSON.stringify(resolve), {});
    expect(resolved.body.incidents).toEqual([{ key: opened.body.incidents[0]?.key, outcome: 'updated' }]);
    expect((await post('pagerduty', fixtureText('pagerduty', 'trigger'), {})).status).toBe(401);
  });

  it('generic: Standard Webhooks signature opens; the same webhook-id again is refused as a replay', async () => {
    const secret = hotline.secretOf('generic');
    const body = fixtureText('generic', 'firing');
    const id = `msg_${Date.now()}`;
    const timestamp = String(Math.floor(Date.now() / 1000));
    const mac = createHmac('sha256', Buffer.from(secret, 'base64'))
      .update(`${id}.${timestamp}.${body}`)
      .digest('base64');
    const headers = { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` };
    const opened = await post('generic', body, headers);
    expect(opened.status).toBe(202);
    expect(opened.body.incidents[0]?.outcome).toBe('opened');
    const replay = await post('generic', body, headers);
    expect(replay.status).toBe(409);
    const stale = String(Math.floor(Date.now() / 1000) - 600);
    const staleMac = createHmac('sha256', Buffer.from(secret, 'base64'))
      .update(`${id}x.${stale}.${body}`)
      .digest('base64');
    expect(
      (
        await post('generic', body, {
          'webhook-id': `${id}x`,
          'webhook-timestamp': stale,
          'webhook-signature': `v1,${staleMac}`,
        })
      ).status,
    ).toBe(401);
  });

  it('cloudwatch: SNS messages from a topic that is not allowed are refused before any certificate fetch', async () => {
    const refused = await fetch(`${hotline.target.urls.api}/alerts/cloudwatch`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
      body: fixtureText('cloudwatch', 'notification-alarm'),
    });
    expect(refused.status).toBe(401);
  });

  it('answers unknown sources, wrong content types and oversized bodies with a named 4xx', async () => {
    const unknown = await post('nagios', '{}', {});
    expect(unknown.status).toBe(404);
    expect(unknown.body.error?.message).toContain('nagios');
    const text = await post('datadog', fixtureText('datadog', 'triggered'), {
      'x-hotline-token': hotline.secretOf('datadog'),
      'content-type': 'text/plain',
    });
    expect(text.status).toBe(415);
    const huge = await post('alertmanager', 'x'.repeat(1_100_000), {});
    expect(huge.status).toBe(413);
  });
});
