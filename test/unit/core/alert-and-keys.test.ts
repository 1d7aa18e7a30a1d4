import { describe, expect, it } from 'vitest';
import {
  alertEntryData,
  alertLinks,
  alertsFromTimeline,
  countsFromMarkers,
  describeGroup,
  groupAlerts,
  type NormalisedAlert,
  serviceFor,
  severityFor,
  stateMarker,
} from '../../../functions/core/alert.ts';
import {
  formatIncidentKey,
  impactStartNoLaterThan,
  isIncidentKey,
  timeToDetectMs,
} from '../../../functions/core/incident.ts';
import { digest, keys, stripKeys } from '../../../functions/core/keys.ts';
import { constantTimeEquals, liveValues, matchesAny } from '../../../functions/core/secrets.ts';
import { organisation } from '../../support/organisation.ts';

const alert = (overrides: Partial<NormalisedAlert>): NormalisedAlert => ({
  source: 'alertmanager',
  groupKey: 'g1',
  fingerprint: 'f1',
  status: 'firing',
  startsAt: '2026-11-20T10:00:00.000Z',
  summary: 'something broke',
  labels: {},
  annotations: {},
  ...overrides,
});

describe('alert routing', () => {
  it('maps a service by id or alias, in label order', () => {
    expect(serviceFor(organisation, { job: 'checkout-api' })).toEqual({ service: 'checkout', matched: true });
    expect(serviceFor(organisation, { service: 'Checkout' })).toEqual({ service: 'checkout', matched: true });
    expect(serviceFor(organisation, { service: 'billing' })).toEqual({ service: 'unknown', matched: false });
  });

  it('maps severity from labels with a default', () => {
    expect(severityFor(organisation, { severity: 'CRITICAL' })).toBe(1);
    expect(severityFor(organisation, { priority: 'warning' })).toBe(3);
    expect(severityFor(organisation, { severity: 'weird' })).toBe(2);
  });

  it('describes a group by its firing alerts: most severe, earliest start', () => {
    const about = describeGroup(organisation, {
      source: 'alertmanager',
      groupKey: 'g1',
      alerts: [
        alert({
          fingerprint: 'a',
          labels: { severity: 'warning', service: 'checkout' },
          startsAt: '2026-11-20T10:05:00.000Z',
        }),
        alert({ fingerprint: 'b', labels: { severity: 'critical' }, startsAt: '2026-11-20T10:01:00.000Z' }),
        alert({
          fingerprint: 'c',
          status: 'resolved',
          labels: { severity: 'critical' },
          startsAt: '2026-11-20T09:00:00.000Z',
        }),
      ],
    });
    expect(about).toMatchObject({
      service: 'checkout',
      severity: 1,
      impactStartedAt: '2026-11-20T10:01:00.000Z',
    });
    expect(about.summary).toBe('something broke (+1 more alert)');
  });

  it('groups alerts by source and group key', () => {
    const groups = groupAlerts([alert({}), alert({ fingerprint: 'f2' }), alert({ groupKey: 'g2' })]);
    expect(groups.map((g) => [g.groupKey, g.alerts.length])).toEqual([
      ['g1', 2],
      ['g2', 1],
    ]);
  });

  it('keeps the last listing of an alert listed twice in one delivery', () => {
    const [group] = groupAlerts([alert({}), alert({ status: 'resolved' }), alert({ fingerprint: 'f2' })]);
    expect(group?.alerts.map((a) => [a.fingerprint, a.status])).toEqual([
      ['f1', 'resolved'],
      ['f2', 'firing'],
    ]);
  });
});

describe('alert state markers', () => {
  it('count alerts, firing alerts and the latest start or end', () => {
    const firing = { status: 'firing' as const, startsAt: '2026-11-20T09:00:00.000Z' };
    const resolved = {
      status: 'resolved' as const,
      startsAt: '2026-11-20T08:00:00.000Z',
      endsAt: '2026-11-20T09:30:00.000Z',
    };
    expect(stateMarker(firing)).toBe('firing|2026-11-20T09:00:00.000Z|');
    expect(countsFromMarkers([stateMarker(firing), stateMarker(resolved)])).toEqual({
      alertCount: 2,
      firingCount: 1,
      lastAlertAt: '2026-11-20T09:30:00.000Z',
    });
    expect(countsFromMarkers([stateMarker(resolved)])?.firingCount).toBe(0);
    expect(countsFromMarkers([])).toBeUndefined();
  });
});

describe('alerts from the timeline', () => {
  const entry = (a: NormalisedAlert, receivedAt: string) => ({
    kind: a.status === 'firing' ? 'alert.firing' : 'alert.resolved',
    at: a.status === 'firing' ? a.startsAt : (a.endsAt ?? receivedAt),
    actor: a.source,
    text: `${a.status}: ${a.summary}`,
    data: { ...alertEntryData(a, receivedAt) },
  });
  const firing = alert({
    summary: 'disk full',
    labels: { host: 'db1' },
    url: 'https://grafana.example.com/d/1',
  });
  const resolvedBare = alert({
    status: 'resolved',
    endsAt: '2026-11-20T11:00:00.000Z',
    summary: 'resolved',
    labels: {},
  });

  it('gives each alert its latest state by its own times, whatever order the entries come in', () => {
    const entries = [
      entry(resolvedBare, '2026-11-20T11:00:05.000Z'),
      entry(firing, '2026-11-20T10:00:02.000Z'),
    ];
    const [stored] = alertsFromTimeline('inc-1', entries);
    expect(stored).toMatchObject({
      incidentId: 'inc-1',
      source: 'alertmanager',
      groupKey: 'g1',
      fingerprint: 'f1',
      status: 'resolved',
      startsAt: '2026-11-20T10:00:00.000Z',
      endsAt: '2026-11-20T11:00:00.000Z',
      firstSeenAt: '2026-11-20T10:00:02.000Z',
      lastSeenAt: '2026-11-20T11:00:05.000Z',
    });
    // The resolve carried no details: what the firing alert said stays.
    expect(stored).toMatchObject({ summary: 'disk full', labels: { host: 'db1' }, url: firing.url });
  });

  it('takes a re-fire as the new state, with its own details', () => {
    const refire = alert({ startsAt: '2026-11-20T12:00:00.000Z', summary: 'disk full again' });
    const alerts = alertsFromTimeline('inc-1', [
      entry(firing, '2026-11-20T10:00:02.000Z'),
      entry(resolvedBare, '2026-11-20T11:00:05.000Z'),
      entry(refire, '2026-11-20T12:00:01.000Z'),
      entry(alert({ fingerprint: 'f2' }), '2026-11-20T10:00:03.000Z'),
    ]);
    expect(alerts.map((a) => [a.fingerprint, a.status, a.summary, a.endsAt])).toEqual([
      ['f1', 'firing', 'disk full again', undefined],
      ['f2', 'firing', 'something broke', undefined],
    ]);
  });

  it('ignores other entries and reads older alert entries that kept only fingerprint and labels', () => {
    const alerts = alertsFromTimeline('inc-1', [
      {
        kind: 'incident.opened',
        at: '2026-11-20T10:00:00.000Z',
        actor: 'alertmanager',
        text: 'HOT-1 opened',
      },
      {
        kind: 'alert.firing',
        at: '2026-11-20T10:00:00.000Z',
        actor: 'alertmanager',
        text: 'Firing: old style',
        data: { fingerprint: 'f9', labels: { a: 'b' } },
      },
    ]);
    expect(alerts).toEqual([
      expect.objectContaining({
        fingerprint: 'f9',
        status: 'firing',
        summary: 'old style',
        labels: { a: 'b' },
      }),
    ]);
  });
});

describe('keys', () => {
  it('keeps one incident in one partition', () => {
    const id = '01JABC';
    expect(keys.incident(id).pk).toBe(keys.timelineEntry(id, '2026-11-20T10:00:00.000Z', 'e').pk);
    expect(keys.timelineEntry(id, '2026-11-20T10:00:00.000Z', 'e').sk).toBe(
      'TIMELINE#2026-11-20T10:00:00.000Z#e',
    );
  });

  it('hashes long group keys to a bounded, stable partition key', () => {
    const long = 'x'.repeat(5000);
    expect(keys.alertGroup('alertmanager', long).pk.length).toBeLessThan(80);
    expect(digest(long)).toBe(digest(long));
    expect(digest(long)).not.toBe(digest(`${long}y`));
  });

  it('strips storage attributes from items', () => {
    expect(stripKeys({ pk: 'a', sk: 'b', gsi1pk: 'c', key: 'HOT-1' })).toEqual({ key: 'HOT-1' });
  });

  it('formats and recognises human incident keys', () => {
    expect(formatIncidentKey('HOT', 42)).toBe('HOT-42');
    expect(isIncidentKey('HOT-42')).toBe(true);
    expect(isIncidentKey('HOT-0')).toBe(false);
    expect(isIncidentKey('hot-1')).toBe(false);
    expect(isIncidentKey('HOT-1; DROP')).toBe(false);
  });

  it('never reports a negative time to detect', () => {
    expect(
      timeToDetectMs({ impactStartedAt: '2026-11-20T10:00:00.000Z', detectedAt: '2026-11-20T10:02:30.000Z' }),
    ).toBe(150_000);
    expect(
      timeToDetectMs({ impactStartedAt: '2026-11-20T10:05:00.000Z', detectedAt: '2026-11-20T10:00:00.000Z' }),
    ).toBe(0);
  });

  it('records an impact start no later than detection (a source clock ahead of ours)', () => {
    const detectedAt = '2026-11-20T10:00:00.000Z';
    expect(impactStartNoLaterThan('2026-11-20T09:58:00.000Z', detectedAt)).toBe('2026-11-20T09:58:00.000Z');
    expect(impactStartNoLaterThan('2026-11-20T10:00:30.000Z', detectedAt)).toBe(detectedAt);
    expect(impactStartNoLaterThan('9999-12-31T23:59:59.000Z', detectedAt)).toBe(detectedAt);
    expect(impactStartNoLaterThan(detectedAt, detectedAt)).toBe(detectedAt);
  });
});

describe('secret comparison', () => {
  it('compares in constant time over any lengths', () => {
    expect(constantTimeEquals('abc', 'abc')).toBe(true);
    expect(constantTimeEquals('abc', 'abcd')).toBe(false);
    expect(constantTimeEquals('', 'a')).toBe(false);
  });

  it('accepts any live value of a rotating secret and ignores short or non-string values', () => {
    const live = liveValues(
      JSON.stringify({ current: 'c'.repeat(48), previous: 'p'.repeat(48), activeKeyId: 'k1', n: 5 }),
    );
    expect(live).toHaveLength(2);
    expect(matchesAny('p'.repeat(48), live)).toBe(true);
    expect(matchesAny('k1', live)).toBe(false);
    expect(matchesAny('', [''])).toBe(false);
  });
});

describe('the links an alert carries', () => {
  it('takes the runbook, dashboards and the graph, http(s) only and each once', () => {
    expect(
      alertLinks({
        source: 'alertmanager',
        annotations: {
          runbook_url: 'https://runbooks.example.com/a',
          runbook: 'https://runbooks.example.com/a',
          dashboard_url: 'javascript:alert(1)',
          grafana_panel_url: 'data:text/html,x',
        },
        url: 'http://prometheus.example.com/graph',
      }),
    ).toEqual([
      { label: 'Runbook', href: 'https://runbooks.example.com/a' },
      { label: 'Graph', href: 'http://prometheus.example.com/graph' },
    ]);
    expect(
      alertLinks({ source: 'datadog', annotations: {}, url: 'https://app.datadoghq.com/monitors/1' }),
    ).toEqual([{ label: 'Monitor', href: 'https://app.datadoghq.com/monitors/1' }]);
    expect(alertLinks({ source: 'generic', annotations: {}, url: 'not a url' })).toEqual([]);
  });
});
