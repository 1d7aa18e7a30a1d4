import { ulid } from 'ulid';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { dynamoStores } from '../../functions/adapters/stores.ts';
import { type Organisation, parseOrganisation } from '../../functions/core/config.ts';
import { HEARTBEAT_PRECISION_MS, heartbeatGroupKey } from '../../functions/core/heartbeats.ts';
import { alertmanager } from '../../functions/sources/alertmanager.ts';
import { checkHeartbeats, HEARTBEAT_INCIDENT_SOURCE } from '../../functions/use-cases/heartbeats.ts';
import { ingestDelivery } from '../../functions/use-cases/ingest-alerts.ts';
import type { Stores, WorkflowInput, WorkflowStarter } from '../../functions/use-cases/ports.ts';
import { incidentDetail } from '../../functions/use-cases/read-incidents.ts';
import { recordingMailer, testSigningKeys } from '../support/fakes.ts';
import { fixture } from '../support/fixtures.ts';
import { type LocalDb, startLocalDb } from '../support/local-db.ts';
import { organisationInput } from '../support/organisation.ts';
import { sourceContext } from '../support/source-context.ts';

/**
 * Heartbeats against the stack's table on dynalite: last seen is a conditional write (a duplicate changes
 * nothing), a silence opens one incident however many runs find it, and its return is told once.
 */

const organisation: Organisation = parseOrganisation({
  ...organisationInput,
  heartbeats: { watchdog: { source: 'alertmanager', labels: { alertname: 'Watchdog' }, windowMinutes: 10 } },
});

let db: LocalDb;
let stores: Stores;
let starts: WorkflowInput[];
let clock: Date;
const workflow: WorkflowStarter = {
  async start(input) {
    starts.push(input);
    return {
      executionArn: `arn:aws:states:us-east-1:000000000000:execution:Incident:${input.key}`,
      alreadyStarted: false,
    };
  },
};
const { mailer, sent } = recordingMailer();
const signingKeys = testSigningKeys();

beforeAll(async () => {
  db = await startLocalDb();
});
afterAll(async () => db?.stop());
beforeEach(() => {
  starts = [];
  sent.length = 0;
  stores = dynamoStores(db.client, db.table);
  clock = new Date('2026-12-07T09:00:00.000Z');
});

const now = () => clock;
const advance = (ms: number) => {
  clock = new Date(clock.getTime() + ms);
};
const deps = () => ({
  ...stores,
  workflow,
  organisation,
  now,
  newId: ulid,
  mailer,
  signingKeys: async () => signingKeys,
  baseUrl: 'https://hotline.example.com',
});

/** A Watchdog notification (with a real alert of another group alongside when asked). */
function delivery(withRealAlert = false) {
  const body = fixture<{ alerts: Record<string, unknown>[] } & Record<string, unknown>>(
    'alertmanager',
    'firing-v4',
  );
  const first = body.alerts[0] ?? {};
  const watchdog = {
    ...first,
    labels: { alertname: 'Watchdog', severity: 'none', prometheus: 'monitoring/k8s' },
    fingerprint: 'watchdog-1',
  };
  const alerts = withRealAlert ? [watchdog, ...body.alerts] : [watchdog];
  const parsed = alertmanager.parse(
    { ...body, groupKey: `{}:{alertname="${withRealAlert ? 'mixed' : 'Watchdog'}"}`, alerts },
    sourceContext({ now: clock }),
  );
  return { source: 'alertmanager', alerts: parsed.alerts };
}

describe('heartbeats on the real table', () => {
  it('records a heartbeat as last seen, never as an alert, and a duplicate changes nothing', async () => {
    const only = await ingestDelivery(deps(), delivery());
    expect(only).toEqual({ incidents: [], heartbeats: ['watchdog'] });
    expect(await stores.heartbeats.get('watchdog')).toMatchObject({
      state: 'alive',
      lastSeenAt: clock.toISOString(),
      source: 'alertmanager',
    });
    // The same heartbeat again within the precision: no write (the condition fails), last seen unchanged.
    advance(HEARTBEAT_PRECISION_MS - 1);
    expect(await stores.heartbeats.beat('watchdog', 'alertmanager', clock.toISOString())).toBe(false);
    expect((await stores.heartbeats.get('watchdog'))?.lastSeenAt).toBe('2026-12-07T09:00:00.000Z');
    // A real alert in the same delivery opens its incident as ever.
    advance(2);
    const mixed = await ingestDelivery(deps(), delivery(true));
    expect(mixed.heartbeats).toEqual(['watchdog']);
    expect(mixed.incidents.map((i) => i.outcome)).toEqual(['opened']);
    expect((await incidentDetail(stores, mixed.incidents[0]?.key ?? '')).alerts).toHaveLength(2);
    expect((await stores.heartbeats.get('watchdog'))?.lastSeenAt).toBe(clock.toISOString());
  });

  it('pages once per silence whatever the runs, tells the operators once when it is back, and leaves the incident open', async () => {
    advance(60 * 60_000);
    await stores.heartbeats.beat('watchdog', 'alertmanager', clock.toISOString());
    const seen = clock.toISOString();
    expect((await stores.heartbeats.get('watchdog'))?.lastSeenAt).toBe(seen);
    // Within its window: nothing.
    advance(10 * 60_000);
    expect(await checkHeartbeats(deps())).toEqual({ silent: [], back: [], failed: [] });
    // Past it: two overlapping runs open one incident, through one workflow start.
    advance(1);
    const [a, b] = await Promise.all([checkHeartbeats(deps()), checkHeartbeats(deps())]);
    const keys = new Set([...(a?.silent ?? []), ...(b?.silent ?? [])].map((s) => s.key));
    expect(keys.size).toBe(1);
    const [key = ''] = keys;
    expect(starts.map((s) => s.key)).toEqual([key]);
    const group = await stores.groups.get(HEARTBEAT_INCIDENT_SOURCE, heartbeatGroupKey('watchdog'));
    expect(group?.incidentKey).toBe(key);
    const opened = await incidentDetail(stores, key);
    expect(opened.incident).toMatchObject({
      severity: 2,
      service: 'monitoring',
      source: 'heartbeat',
      impactStartedAt: seen,
      status: 'new',
    });
    expect(opened.timeline.filter((e) => e.kind === 'heartbeat.silent')).toHaveLength(1);
    // Later runs while it stays silent: nothing more.
    advance(60 * 60_000);
    expect(await checkHeartbeats(deps())).toEqual({ silent: [], back: [], failed: [] });
    expect(starts).toHaveLength(1);

    // It comes back: the next run tells the operators, once, and records it; the incident stays open.
    await stores.heartbeats.beat('watchdog', 'alertmanager', clock.toISOString());
    advance(30_000);
    const runs = await Promise.all([checkHeartbeats(deps()), checkHeartbeats(deps())]);
    expect(runs.flatMap((r) => r.back).map((x) => x.key)).toContain(key);
    // The other run finished the same work, or found the mail being sent by the first (retryable: the next
    // run would find it sent).
    for (const failure of runs.flatMap((r) => r.failed)) expect(failure.error).toMatch(/RetryableError/);
    expect(sent.map((m) => [m.to, m.message.subject])).toEqual([
      [organisation.operators, expect.stringMatching(new RegExp(`^${key} .*Heartbeat watchdog is back$`))],
    ]);
    expect(await checkHeartbeats(deps())).toEqual({ silent: [], back: [], failed: [] });
    const back = await incidentDetail(stores, key);
    expect(back.incident.status).toBe('new');
    expect(back.timeline.filter((e) => e.kind === 'heartbeat.back').map((e) => e.text)).toEqual([
      expect.stringContaining('Heartbeat "watchdog" (alertmanager) is back'),
      expect.stringContaining(`Told operators ${organisation.operators.join(', ')}`),
    ]);
    expect(await stores.heartbeats.get('watchdog')).toMatchObject({ state: 'alive', incidentKey: key });

    // Silent again while that incident is open: recorded on it, no second incident nor start.
    advance(11 * 60_000);
    const again = await checkHeartbeats(deps());
    expect(again.silent.map((s) => s.key)).toEqual([key]);
    expect(starts).toHaveLength(1);
    expect(
      (await incidentDetail(stores, key)).timeline.filter((e) => e.kind === 'heartbeat.silent'),
    ).toHaveLength(2);

    // Resolved (a person closes its group), then back and silent again: a new incident, a recurrence of the first.
    const first = await incidentDetail(stores, key);
    expect(
      await stores.groups.close(HEARTBEAT_INCIDENT_SOURCE, heartbeatGroupKey('watchdog'), first.incident.id),
    ).toBe(true);
    await stores.heartbeats.beat('watchdog', 'alertmanager', clock.toISOString());
    advance(30_000);
    expect((await checkHeartbeats(deps())).back.map((x) => x.key)).toEqual([key]);
    advance(11 * 60_000);
    const next = (await checkHeartbeats(deps())).silent.map((x) => x.key);
    expect(next).toHaveLength(1);
    expect(next[0]).not.toBe(key);
    expect((await incidentDetail(stores, next[0] ?? '')).incident.recurrenceOf).toBe(key);
    expect(starts).toHaveLength(2);
  });

  it('finishes a run interrupted after marking the heartbeat silent', async () => {
    // A heartbeat of its own: the watchdog's incident of the test before is still open.
    const org = parseOrganisation({
      ...organisationInput,
      heartbeats: { batch: { source: 'generic', labels: { heartbeat: 'batch' }, windowMinutes: 5 } },
    });
    await stores.heartbeats.beat('batch', 'generic', clock.toISOString());
    advance(6 * 60_000);
    // The run that found it silent died before paging.
    expect(await stores.heartbeats.markSilent('batch', '2026-12-07T09:00:00.000Z', clock.toISOString())).toBe(
      true,
    );
    advance(60_000);
    const result = await checkHeartbeats({ ...deps(), organisation: org });
    expect(result.silent).toHaveLength(1);
    expect(starts).toHaveLength(1);
    expect((await stores.heartbeats.get('batch'))?.incidentKey).toBe(result.silent[0]?.key);
    // A beat within the precision of the last one is its return while it is silent: recorded all the same.
    expect(await stores.heartbeats.beat('batch', 'generic', '2026-12-07T09:00:10.000Z')).toBe(true);
    const back = await checkHeartbeats({ ...deps(), organisation: org });
    expect(back.back.map((b) => b.key)).toEqual([result.silent[0]?.key]);
    expect(sent).toHaveLength(1);
  });
});
