import { describe, expect, it } from 'vitest';
import type { NormalisedAlert } from '../../../functions/core/alert.ts';
import { parseOrganisation } from '../../../functions/core/config.ts';
import {
  backSequence,
  decideHeartbeat,
  HEARTBEAT_SOURCES,
  type HeartbeatConfig,
  type HeartbeatRecord,
  MONITORING_SERVICE,
  splitHeartbeats,
} from '../../../functions/core/heartbeats.ts';
import { heartbeatBackEmail } from '../../../functions/core/mails/heartbeats.ts';
import { sourceNames } from '../../../functions/sources/index.ts';
import { organisationInput } from '../../support/organisation.ts';

const watchdog: HeartbeatConfig = {
  source: 'alertmanager',
  labels: { alertname: 'Watchdog' },
  windowMinutes: 10,
};
const heartbeats = {
  'prometheus-watchdog': watchdog,
  batch: { source: 'generic', labels: { heartbeat: 'batch' }, windowMinutes: 45 },
};

const alert = (
  labels: Record<string, string>,
  status: 'firing' | 'resolved' = 'firing',
): NormalisedAlert => ({
  source: 'alertmanager',
  groupKey: 'g',
  fingerprint: JSON.stringify(labels),
  status,
  startsAt: '2026-12-07T08:00:00.000Z',
  summary: 's',
  labels,
  annotations: {},
});

describe('heartbeats in a delivery', () => {
  it('takes a firing alert with every label of a heartbeat of its source out of the alerts', () => {
    const real = alert({ alertname: 'HighLatency', service: 'checkout' });
    const split = splitHeartbeats(heartbeats, 'alertmanager', [
      alert({ alertname: 'Watchdog', prometheus: 'k8s/main' }),
      real,
      alert({ alertname: 'Watchdog', prometheus: 'k8s/other' }),
    ]);
    expect(split.beats).toEqual([{ id: 'prometheus-watchdog', source: 'alertmanager' }]);
    expect(split.alerts).toEqual([real]);
  });

  it('counts a resolved heartbeat as neither a beat nor an alert', () => {
    const split = splitHeartbeats(heartbeats, 'alertmanager', [alert({ alertname: 'Watchdog' }, 'resolved')]);
    expect(split).toEqual({ beats: [], alerts: [] });
  });

  it('leaves alerts of other sources, other label values and unconfigured organisations alone', () => {
    const alerts = [alert({ alertname: 'Watchdog' })];
    expect(splitHeartbeats(heartbeats, 'grafana', alerts)).toEqual({ beats: [], alerts });
    expect(splitHeartbeats(undefined, 'alertmanager', alerts)).toEqual({ beats: [], alerts });
    const other = [alert({ alertname: 'watchdog' }), alert({ heartbeat: 'batch' })];
    expect(splitHeartbeats(heartbeats, 'alertmanager', other)).toEqual({ beats: [], alerts: other });
    // A label named like an Object.prototype member is no match by inheritance.
    const proto = { source: 'alertmanager', labels: { constructor: 'x' }, windowMinutes: 5 };
    expect(splitHeartbeats({ proto }, 'alertmanager', [alert({})]).beats).toEqual([]);
  });
});

describe('the heartbeat rule', () => {
  const now = new Date('2026-12-07T10:00:00.000Z');
  const alive = (lastSeenAt: string): HeartbeatRecord => ({
    id: 'prometheus-watchdog',
    source: 'alertmanager',
    lastSeenAt,
    state: 'alive',
  });

  it('does not judge a heartbeat never seen (the clock starts at its first beat)', () => {
    expect(decideHeartbeat(watchdog, undefined, now)).toEqual({ kind: 'none' });
  });

  it('finds it silent only past its window', () => {
    expect(decideHeartbeat(watchdog, alive('2026-12-07T09:50:00.000Z'), now)).toEqual({ kind: 'none' });
    expect(decideHeartbeat(watchdog, alive('2026-12-07T09:49:59.999Z'), now)).toEqual({
      kind: 'silent',
      silentSince: '2026-12-07T09:49:59.999Z',
    });
  });

  it('scales the window as the local target scales time', () => {
    // 10 minutes at 0.001 are 600 ms.
    expect(decideHeartbeat(watchdog, alive('2026-12-07T09:59:59.500Z'), now, 0.001)).toEqual({
      kind: 'none',
    });
    expect(decideHeartbeat(watchdog, alive('2026-12-07T09:59:59.300Z'), now, 0.001).kind).toBe('silent');
  });

  it('finishes an interrupted page, then waits for the heartbeat to be seen again', () => {
    const silent: HeartbeatRecord = {
      ...alive('2026-12-07T09:40:00.000Z'),
      state: 'silent',
      silentSince: '2026-12-07T09:40:00.000Z',
      silentAt: '2026-12-07T09:50:30.000Z',
    };
    expect(decideHeartbeat(watchdog, silent, now)).toEqual({
      kind: 'page',
      silentSince: '2026-12-07T09:40:00.000Z',
      silentAt: '2026-12-07T09:50:30.000Z',
    });
    const paged = { ...silent, incidentId: 'i', incidentKey: 'HOT-9' };
    // Paged: nothing more, however long the silence lasts.
    expect(decideHeartbeat(watchdog, paged, new Date('2026-12-08T10:00:00.000Z'))).toEqual({ kind: 'none' });
    expect(decideHeartbeat(watchdog, { ...paged, lastSeenAt: '2026-12-07T09:59:00.000Z' }, now)).toEqual({
      kind: 'back',
      silentSince: '2026-12-07T09:40:00.000Z',
      seenAt: '2026-12-07T09:59:00.000Z',
    });
  });

  it('numbers each silence\'s "back" mail by its start, so two silences on one incident are each told', () => {
    expect(backSequence('2026-12-07T09:40:00.000Z')).not.toBe(backSequence('2026-12-07T11:40:00.000Z'));
    expect(backSequence('2026-12-07T09:40:00.000Z')).toBe(backSequence('2026-12-07T09:40:00.400Z'));
  });

  it('tells the operators what came back, after how long, and that the incident stays theirs to resolve', () => {
    const mail = heartbeatBackEmail({
      incident: {
        key: 'HOT-9',
        severity: 2,
        summary: 'Heartbeat "prometheus-watchdog" from alertmanager is silent',
      },
      id: 'prometheus-watchdog',
      config: watchdog,
      silentSince: '2026-12-07T09:40:00.000Z',
      seenAt: '2026-12-07T10:05:00.000Z',
      viewUrl: 'https://hotline.example.com/links/v1.a.b.c',
    });
    expect(mail.subject).toContain('HOT-9');
    expect(mail.subject).toContain('Heartbeat prometheus-watchdog is back');
    expect(mail.text).toContain('25 min of silence');
    expect(mail.text).toContain('The incident stays open');
    expect(mail.text).toContain('https://hotline.example.com/links/v1.a.b.c');
  });
});

describe('heartbeats in the organisation file', () => {
  const withHeartbeats = (value: unknown, extra: Record<string, unknown> = {}) =>
    parseOrganisation({ ...organisationInput, heartbeats: value, ...extra }, 'infra/organisation.ts');

  it('builds the monitoring service in, run by the operators', () => {
    const org = withHeartbeats(heartbeats);
    const monitoring = org.services[MONITORING_SERVICE];
    expect(monitoring?.incidentManagers.primary).toEqual(organisationInput.operators);
    expect(monitoring?.comms.internal).toEqual(organisationInput.operators);
    expect(monitoring?.approvers.mandatory).toEqual(organisationInput.operators);
    // Customers are not told that our monitoring went quiet.
    expect(monitoring?.statusPage).toBe(false);
    expect(org.heartbeats?.['prometheus-watchdog']).toEqual(watchdog);
    // Without heartbeats there is no monitoring service to see.
    expect(parseOrganisation(organisationInput).services[MONITORING_SERVICE]).toBeUndefined();
  });

  it('keeps a monitoring service the file defines', () => {
    const own = {
      name: 'Observability',
      ownerTeam: 'SRE',
      comms: { internal: ['sre@example.com'] },
      incidentManagers: { primary: ['sre-oncall@example.com'] },
      approvers: { mandatory: ['sre-lead@example.com'] },
    };
    const org = withHeartbeats(heartbeats, {
      services: { ...organisationInput.services, monitoring: own },
    });
    expect(org.services.monitoring?.name).toBe('Observability');
    expect(org.services.monitoring?.incidentManagers.primary).toEqual(['sre-oncall@example.com']);
  });

  it('names each bad field', () => {
    const bad = () =>
      withHeartbeats({
        a: { source: 'nagios', labels: { alertname: 'Watchdog' }, windowMinutes: 10 },
        b: { source: 'alertmanager', labels: {}, windowMinutes: 1 },
        c: { source: 'generic', labels: { heartbeat: 'x' }, windowMinutes: 2.5 },
        'Bad Id': { source: 'generic', labels: { heartbeat: 'y' }, windowMinutes: 5 },
      });
    expect(bad).toThrowError(/heartbeats\.a\.source: must be one of the alert sources \(alertmanager,/);
    expect(bad).toThrowError(/heartbeats\.b\.labels: name at least one label/);
    expect(bad).toThrowError(/heartbeats\.b\.windowMinutes: at least 2 minutes/);
    expect(bad).toThrowError(/heartbeats\.c\.windowMinutes: whole minutes/);
    expect(bad).toThrowError(/heartbeats\.Bad Id: Invalid key in record/);
  });

  it('knows the sources the API serves (core cannot import them)', () => {
    expect([...HEARTBEAT_SOURCES].sort()).toEqual([...sourceNames].sort());
  });

  it('refuses two heartbeats one alert could be', () => {
    expect(() =>
      withHeartbeats({
        first: watchdog,
        second: { ...watchdog, labels: { alertname: 'Watchdog' }, windowMinutes: 30 },
      }),
    ).toThrowError(/heartbeats\.second\.labels: the same source and labels as heartbeat "first"/);
  });
});
