import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { about, hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Alerts that clear before anyone acknowledges, on the real stack's local target with scaled time (a minute
 * lasts 0.6 s): an alert no service claims pages the SRE schedule's holder (Grace, by an override) by mail and
 * SMS; when it clears she is told on both that the escalation stopped, nobody else is paged, and after the
 * service's grace the incident resolves as cleared-before-acknowledgement with no postmortem. An alert that
 * fires again within the grace pages her again at once.
 */

const GRACE_PHONE = '+12025550123';

let hotline: HotlineTarget;
const { api, mails, waitForMails } = hotlineClient(() => hotline);
beforeAll(async () => {
  hotline = await startHotline({ waitScale: 0.01 });
  const cover = {
    personId: 'grace',
    start: new Date(Date.now() - 1_000).toISOString(),
    end: new Date(Date.now() + 3_600_000).toISOString(),
  };
  expect((await api('POST', '/schedules/sre/overrides', cover)).status).toBe(201);
});
afterAll(async () => hotline?.stop());

/** One Alertmanager alert (v4 webhook), firing or resolved, of a service nobody claims. */
async function alertmanager(groupKey: string, status: 'firing' | 'resolved', startsAt: string) {
  const labels = { alertname: 'QueueBacklog', service: 'orders-queue', severity: 'high' };
  const annotations = { summary: 'Orders queue backing up', description: 'Over 10k messages waiting.' };
  const body = {
    version: '4',
    groupKey,
    truncatedAlerts: 0,
    status,
    receiver: 'hotline',
    groupLabels: { alertname: labels.alertname },
    commonLabels: labels,
    commonAnnotations: annotations,
    externalURL: 'http://alertmanager.example.com:9093',
    alerts: [
      {
        status,
        labels,
        annotations,
        startsAt,
        endsAt: status === 'resolved' ? new Date().toISOString() : '0001-01-01T00:00:00Z',
        generatorURL: 'http://prometheus.example.com:9090/graph?g0.expr=queue_depth',
        fingerprint: `f${groupKey.slice(-15).toLowerCase()}`,
      },
    ],
  };
  const response = await fetch(`${hotline.target.urls.api}/alerts/alertmanager`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { incidents: { key: string }[] }).incidents[0]?.key ?? '';
}

async function local(path: string) {
  const response = await fetch(`${hotline.target.urls.aws}${path}`, { headers: hotline.operator() });
  return (await response.json()) as Json;
}
const textsTo = async (phone: string, key: string) =>
  ((await local('/_local/messages')).messages as Json[]).filter(
    (m) => m.to === phone && m.channel === 'sms' && String(m.body).startsWith(`${key} `),
  );
const detailOf = async (key: string) => (await api('GET', `/incidents/${key}`)).body;

describe('alerts that clear before anyone acknowledges', () => {
  it('tell whoever was paged on every channel, stop the escalation, and resolve as cleared after the grace', async () => {
    const groupKey = `cleared:${ulid()}`;
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const key = await alertmanager(groupKey, 'firing', startsAt);
    await waitForMails('the page to Grace', about(key, ' - Paged', 'grace@example.com'));
    await eventually(
      async () => ((await textsTo(GRACE_PHONE, key)).length > 0 ? true : undefined),
      'the SMS page',
    );

    expect(await alertmanager(groupKey, 'resolved', startsAt)).toBe(key);
    const [notice] = await waitForMails(
      'the cleared notice',
      about(key, ' - Alerts cleared before acknowledgement', 'grace@example.com'),
    );
    expect(notice?.body.text).toContain('nobody else will be paged');
    const texts = await eventually(async () => {
      const all = await textsTo(GRACE_PHONE, key);
      return all.some((m) => String(m.body).includes('alerts cleared')) ? all : undefined;
    }, 'the cleared text');
    expect(texts.find((m) => String(m.body).includes('alerts cleared'))?.body).toMatch(
      new RegExp(
        `^${key} SEV2 alerts cleared before anyone acknowledged\\. Escalation stopped\\. Resolves as cleared at \\d\\d:\\d\\d UTC unless acknowledged\\.$`,
      ),
    );

    // After the grace (15 minutes: 9 s scaled), resolved as cleared, with no postmortem and nobody else paged.
    const resolved = await eventually(
      async () => {
        const detail = await detailOf(key);
        return detail.incident.status === 'resolved' ? detail : undefined;
      },
      'the resolution as cleared',
      60_000,
    );
    expect(resolved.incident).toMatchObject({
      resolution: 'cleared-before-acknowledgement',
      resolvedBy: 'hotline',
      postmortem: 'not-required',
      pagedTo: ['grace@example.com'],
    });
    const kinds = (resolved.timeline as Json[]).map((e) => e.kind);
    expect(kinds).toContain('alerts.cleared');
    expect(kinds).not.toContain('incident.escalated');
    // Customers never heard of it: they are not told it is over (internal recap only).
    const done = await eventually(async () => {
      const detail = await detailOf(key);
      const texts = (detail.timeline as Json[]).map((e) => String(e.text));
      return texts.some((t) => t.startsWith('Final internal comms sent')) ? texts : undefined;
    }, 'the final comms');
    expect(done.filter((t) => t.startsWith('External comms sent'))).toEqual([]);
    const status = (await (await fetch(`${hotline.target.urls.api}/status.json`)).json()) as Json;
    expect(status.incidents as Json[]).toEqual([]);
    // (Read after the final comms: the resolution's entry is written just after the status changes.)
    expect(done).toContainEqual(
      expect.stringContaining('Resolved as cleared before anyone acknowledged by hotline'),
    );
    // Told once, whatever the steps' retries.
    expect((await mails()).filter(about(key, ' - Alerts cleared before acknowledgement'))).toHaveLength(1);
    expect(
      (await textsTo(GRACE_PHONE, key)).filter((m) => String(m.body).includes('alerts cleared')),
    ).toHaveLength(1);
  });

  it('an alert that fires again within the grace pages again where the escalation stopped', async () => {
    const groupKey = `refired:${ulid()}`;
    const startsAt = new Date(Date.now() - 60_000).toISOString();
    const key = await alertmanager(groupKey, 'firing', startsAt);
    await waitForMails('the page to Grace', about(key, ' - Paged', 'grace@example.com'));
    await alertmanager(groupKey, 'resolved', startsAt);
    await waitForMails('the cleared notice', about(key, ' - Alerts cleared before acknowledgement'));

    expect(await alertmanager(groupKey, 'firing', new Date().toISOString())).toBe(key);
    // Paged again, as a new round of the tier it had reached.
    await waitForMails('the second page to Grace', about(key, ' - Paged', 'grace@example.com'), 2);
    const detail = await detailOf(key);
    expect(detail.incident.status).toBe('paged');
    expect(detail.incident.alertsClearedAt).toBeUndefined();
    expect((detail.timeline as Json[]).map((e) => e.kind)).toContain('alerts.refired');
    // Her acknowledgement now puts her in charge, as for any page.
    expect(
      (await api('POST', `/incidents/${key}/acknowledge`, { incidentManager: 'grace@example.com' })).status,
    ).toBe(200);
    const fixing = await eventually(async () => {
      const d = await detailOf(key);
      return d.incident.status === 'fixing' ? d : undefined;
    }, 'the acknowledgement');
    expect(fixing.incident.resolution).toBeUndefined();
  });
});
