import { createHmac } from 'node:crypto';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { about, hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * A dead man's switch on the real stack's local target, IAM enforced, time scaled: Alertmanager's Watchdog (the
 * example organisation's `prometheus-watchdog`, a 10-minute window) is recorded as last seen and never opens an
 * incident; silent past its window (6 s here: the sweep is invoked with a time scale of 0.01, as the target
 * scales the workflow's waits), the operators are paged once through a sev 2 on the built-in monitoring service,
 * whatever the runs; seen again, they are told by mail and the incident's timeline says so, and it stays open.
 */

const OPERATORS = 'sre-platform@example.com';
const TIME_SCALE = 0.01;
const WINDOW_MS = 10 * 60_000 * TIME_SCALE;

let hotline: HotlineTarget;
const { api, mails, waitForMails } = hotlineClient(() => hotline);
beforeAll(async () => {
  hotline = await startHotline({ waitScale: TIME_SCALE });
});
afterAll(async () => hotline?.stop());

type SweepResult = {
  started: string[];
  heartbeats?: { silent: { heartbeat: string; key: string }[]; back: { heartbeat: string; key: string }[] };
};
const sweep = () => {
  const fn = hotline.target.functions.functions.find((f) =>
    f.logicalId.startsWith('SweepUnstartedWorkflows'),
  );
  if (!fn) throw new Error('the stack has no SweepUnstartedWorkflows function');
  return hotline.target.functions.invoke(fn.arn, { heartbeatTimeScale: TIME_SCALE }) as Promise<SweepResult>;
};

const post = (source: string, body: string, headers: Record<string, string>) =>
  fetch(`${hotline.target.urls.api}/alerts/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });

/** Alertmanager's notification of the Watchdog group, as a Prometheus with the usual rule sends it. */
function watchdog(): Promise<Response> {
  const body = fixture<{ alerts: Json[] } & Json>('alertmanager', 'firing-v4');
  const alert = {
    ...body.alerts[0],
    labels: { alertname: 'Watchdog', severity: 'none', prometheus: 'monitoring/k8s' },
    annotations: {
      summary: 'An alert that should always be firing to certify that Alertmanager is working.',
    },
    fingerprint: 'e3b0c44298fc1c14',
  };
  const notification = {
    ...body,
    groupKey: '{}:{alertname="Watchdog"}',
    groupLabels: { alertname: 'Watchdog' },
    commonLabels: alert.labels,
    alerts: [alert],
  };
  return post('alertmanager', JSON.stringify(notification), {
    authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
  });
}

/** A generic webhook heartbeat (the example's `batch-runner`), signed as Standard Webhooks are. */
function genericHeartbeat(): Promise<Response> {
  const body = JSON.stringify({ id: 'batch-heartbeat', summary: 'alive', labels: { heartbeat: 'batch' } });
  const id = `msg_${ulid()}`;
  const timestamp = String(Math.floor(Date.now() / 1000));
  const mac = createHmac('sha256', Buffer.from(hotline.secretOf('generic'), 'base64'))
    .update(`${id}.${timestamp}.${body}`)
    .digest('base64');
  return post('generic', body, {
    'webhook-id': id,
    'webhook-timestamp': timestamp,
    'webhook-signature': `v1,${mac}`,
  });
}

describe('heartbeats on the local target', () => {
  it('takes heartbeats as last seen, never as alerts, and refuses a bad one naming the problem', async () => {
    const beat = await watchdog();
    expect(beat.status).toBe(202);
    expect(await beat.json()).toEqual({ incidents: [], heartbeats: ['prometheus-watchdog'] });
    const generic = await genericHeartbeat();
    expect(generic.status).toBe(202);
    expect(await generic.json()).toEqual({ incidents: [], heartbeats: ['batch-runner'] });
    const bad = await post('alertmanager', JSON.stringify({ version: '4', alerts: 'Watchdog' }), {
      authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
    });
    expect(bad.status).toBe(400);
    expect(((await bad.json()) as Json).error).toMatchObject({ message: expect.stringContaining('alerts') });
    expect((await api('GET', '/incidents')).body.incidents).toEqual([]);
  });

  it('pages the operators once when the Watchdog stays silent past its window, and tells them when it is back', async () => {
    await watchdog();
    // Within its window the sweep does nothing about it.
    expect((await sweep()).heartbeats).toBeUndefined();
    await new Promise((resolve) => setTimeout(resolve, WINDOW_MS + 500));

    // Silent: two overlapping runs (a retried schedule) open one incident.
    const runs = await Promise.all([sweep(), sweep()]);
    const keys = new Set(runs.flatMap((r) => r.heartbeats?.silent ?? []).map((s) => s.key));
    expect(keys.size).toBe(1);
    const [key = ''] = keys;
    const [page] = await waitForMails('the page to the operators', about(key, ' - Paged', OPERATORS));
    expect(page?.subject).toContain('Heartbeat "prometheus-watchdog" from alertmanager is silent');
    expect(page?.body.text).toContain('Sev 2');
    expect(page?.body.text).toContain('Monitoring');
    const opened = (await api('GET', `/incidents/${key}`)).body;
    expect(opened.incident).toMatchObject({ severity: 2, service: 'monitoring', source: 'heartbeat' });
    // Still silent a minute (scaled) later: nothing more.
    expect((await sweep()).heartbeats).toBeUndefined();

    // Back: the next run tells the operators, and the incident's timeline has both.
    expect((await watchdog()).status).toBe(202);
    const back = await sweep();
    expect(back.heartbeats?.back).toEqual([{ heartbeat: 'prometheus-watchdog', key }]);
    const [told] = await waitForMails(
      'the mail that the heartbeat is back',
      about(key, ' - Heartbeat prometheus-watchdog is back', OPERATORS),
    );
    expect(told?.body.text).toContain('is seen again after');
    expect(told?.body.text).toContain('The incident stays open');
    expect((await sweep()).heartbeats).toBeUndefined();
    const detail = await eventually(async () => {
      const found = (await api('GET', `/incidents/${key}`)).body;
      return (found.timeline as Json[]).some(
        (e) => e.kind === 'heartbeat.back' && /Told operators/.test(e.text),
      )
        ? found
        : undefined;
    }, 'the return on the timeline');
    const kinds = (detail.timeline as Json[]).map((e) => e.kind);
    expect(kinds.filter((k) => k === 'heartbeat.silent')).toHaveLength(1);
    expect(kinds.filter((k) => k === 'heartbeat.back')).toHaveLength(2);
    expect(detail.incident.status).not.toBe('resolved');

    // Paged once: one page to the operators, and the Watchdog itself never became an incident.
    expect((await mails()).filter(about(key, ' - Paged', OPERATORS))).toHaveLength(1);
    expect(((await api('GET', '/incidents')).body.incidents as Json[]).map((i) => i.key)).toEqual([key]);
  });
});
