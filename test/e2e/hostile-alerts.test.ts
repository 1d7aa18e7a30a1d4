import { createHmac } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fixture } from '../support/fixtures.ts';
import { hostileMaps, hostileSources, type Json } from '../support/hostile-alerts.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Alert bodies with keys named like Object.prototype members (`__proto__`, `constructor`, `toString`...) in
 * every free-form map, through the local target: each delivery is accepted (2xx) or refused (4xx), never a
 * 5xx, and no incident is left without its workflow. Most deliveries open an incident of their own, so
 * routing (severity, service) reads the hostile labels too. Each tool authenticates as in sources.test.ts.
 *
 * CloudWatch is not here: its SNS signing certificates cannot be fetched from the local target. Its parse is
 * covered with hostile dimensions and alarm fields in test/unit/sources (hostile-keys and properties).
 */

// Seeded, and few enough runs to stay well within a minute on two cores.
const RUNS = { seed: 42, numRuns: 40, endOnFailure: true };

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

let deliveries = 0;

/** The request each tool would send for `body`: its own way to present the credential. */
function signed(source: string, body: Json): { raw: string; headers: Record<string, string> } {
  const secret = hotline.secretOf(source);
  const timestamp = String(Math.floor(Date.now() / 1000));
  switch (source) {
    case 'alertmanager':
      return { raw: JSON.stringify(body), headers: { authorization: `Bearer ${secret}` } };
    case 'grafana': {
      const raw = JSON.stringify(body);
      const signature = createHmac('sha256', secret).update(`${timestamp}:${raw}`).digest('hex');
      return {
        raw,
        headers: {
          'x-grafana-alerting-signature': signature,
          'x-grafana-alerting-signature-timestamp': timestamp,
        },
      };
    }
    case 'datadog':
      return { raw: JSON.stringify(body), headers: { 'x-hotline-token': secret } };
    case 'pagerduty':
      return { raw: JSON.stringify({ ...(body as object), routing_key: secret }), headers: {} };
    case 'generic': {
      const raw = JSON.stringify(body);
      const id = `msg_hostile_${deliveries}`;
      const mac = createHmac('sha256', Buffer.from(secret, 'base64'))
        .update(`${id}.${timestamp}.${raw}`)
        .digest('base64');
      return {
        raw,
        headers: { 'webhook-id': id, 'webhook-timestamp': timestamp, 'webhook-signature': `v1,${mac}` },
      };
    }
    default:
      throw new Error(`no sender for ${source}`);
  }
}

async function deliver(source: string, body: Json): Promise<{ status: number; text: string }> {
  deliveries++;
  const { raw, headers } = signed(source, body);
  const response = await fetch(`${hotline.target.urls.api}/alerts/${source}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: raw,
  });
  return { status: response.status, text: await response.text() };
}

interface Listed {
  key: string;
  severity: unknown;
  service: unknown;
}

/** Every incident, page by page as an operator lists them. */
async function allIncidents(): Promise<Listed[]> {
  const incidents: Listed[] = [];
  let cursor: string | undefined;
  do {
    const query = new URLSearchParams({ limit: '100', ...(cursor ? { cursor } : {}) });
    const response = await fetch(`${hotline.target.urls.api}/incidents?${query}`, {
      headers: hotline.operator(),
    });
    expect(response.status).toBe(200);
    const page = (await response.json()) as { incidents: Listed[]; nextCursor?: string };
    incidents.push(...page.incidents);
    cursor = page.nextCursor;
  } while (cursor);
  return incidents;
}

/**
 * Incidents whose execution (named after the key) has not started, or has failed, given a while for the last
 * ones to start: `HOT-7: not started`.
 */
async function incidentsWithoutWorkflow(keys: readonly string[]): Promise<string[]> {
  const deadline = Date.now() + 15_000;
  for (;;) {
    const statuses = new Map(hotline.target.stepFunctions.executionsOf().map((e) => [e.name, e.status]));
    const unstarted = keys.filter((key) => !statuses.has(key));
    if (unstarted.length === 0 || Date.now() > deadline) {
      return keys
        .map((key) => `${key}: ${statuses.get(key) ?? 'not started'}`)
        .filter((line) => !/: (RUNNING|SUCCEEDED)$/.test(line));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const shown = new Set<string>();

/** What an operator reads of the incidents not read yet: each answers 200, its alerts' labels as text. */
async function unreadableIncidents(keys: readonly string[]): Promise<string[]> {
  const problems: string[] = [];
  for (const key of keys.filter((k) => !shown.has(k))) {
    shown.add(key);
    const response = await fetch(`${hotline.target.urls.api}/incidents/${key}`, {
      headers: hotline.operator(),
    });
    const text = await response.text();
    const alerts =
      response.status === 200 ? (JSON.parse(text) as { alerts: { labels: object }[] }).alerts : [];
    const textual = alerts.every((a) => Object.values(a.labels).every((v) => typeof v === 'string'));
    if (response.status !== 200 || !textual)
      problems.push(`${key}: ${response.status} ${text.slice(0, 200)}`);
  }
  return problems;
}

describe('hostile keys in alert bodies, end to end', () => {
  it.each(['alertmanager', 'grafana', 'datadog', 'pagerduty', 'generic'])(
    '%s: every delivery is a 2xx or a 4xx, and every incident has its workflow and reads back',
    async (name) => {
      const { fixtures, inject, regroup } = hostileSources[name] ?? ({} as never);
      const statuses: number[] = [];

      await fc.assert(
        fc.asyncProperty(
          fc.constantFrom(...fixtures),
          hostileMaps,
          fc.constantFrom(true, true, false),
          async (fixtureName, maps, ownGroup) => {
            const hostile = inject(fixture<Json>(name, fixtureName), maps);
            const body = ownGroup ? regroup(hostile, `hostile-${deliveries}`) : hostile;

            const { status, text } = await deliver(name, body);

            statuses.push(status);
            expect(status, text).toBeGreaterThanOrEqual(200);
            expect(status, text).toBeLessThan(500);
          },
        ),
        RUNS,
      );

      const incidents = await allIncidents();
      expect(statuses.some((s) => s < 300)).toBe(true);
      expect(incidents.length).toBeGreaterThan(0);
      // Routing read hostile label values (`severity: constructor`): only configured severities and services.
      for (const incident of incidents) {
        expect([1, 2, 3], incident.key).toContain(incident.severity);
        expect(['checkout', 'unknown'], incident.key).toContain(incident.service);
      }
      expect(await incidentsWithoutWorkflow(incidents.map((i) => i.key))).toEqual([]);
      expect(await unreadableIncidents(incidents.map((i) => i.key))).toEqual([]);
    },
  );
});
