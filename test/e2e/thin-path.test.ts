import { randomUUID } from 'node:crypto';
import { DynamoDBClient, ScanCommand } from '@aws-sdk/client-dynamodb';
import { DescribeExecutionCommand, ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LocalTarget } from '../../infra/local/target.ts';
import { eventually } from '../support/eventually.ts';
import { fixture, fixtureText } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The foundation's thin path on the local target, which runs the synthesized stack: an Alertmanager webhook opens
 * an incident with a human key, its timeline, a workflow execution named after it, and a page email.
 */

const credentials = { accessKeyId: 'local', secretAccessKey: 'local' };
let hotline: HotlineTarget;
let target: LocalTarget;
let alertSecret: string;

beforeAll(async () => {
  hotline = await startHotline();
  target = hotline.target;
  alertSecret = hotline.secretOf('alertmanager');
});

afterAll(async () => {
  await hotline?.stop();
});

const api = (path: string, init: RequestInit = {}) => fetch(`${target.urls.api}${path}`, init);
const operator = () => ({ authorization: `Bearer ${target.operatorToken}` });
const postAlert = (body: string, headers: Record<string, string> = {}) =>
  api('/alerts/alertmanager', {
    method: 'POST',
    headers: { authorization: `Bearer ${alertSecret}`, 'content-type': 'application/json', ...headers },
    body,
  });

async function itemCount(): Promise<number> {
  const db = new DynamoDBClient({ endpoint: target.urls.dynamodb, region: 'us-east-1', credentials });
  let count = 0;
  let start: Record<string, unknown> | undefined;
  do {
    const page = await db.send(
      new ScanCommand({ TableName: tableName(), ExclusiveStartKey: start as never }),
    );
    count += page.Count ?? 0;
    start = page.LastEvaluatedKey;
  } while (start);
  return count;
}

function tableName(): string {
  const name = target.tables[0];
  if (!name) throw new Error('the stack has no table');
  return name;
}

/** The fixture alert with a group key of its own: a new incident, whatever else the stack has seen. */
function alertOfOwnGroup(): string {
  const alert = fixture<{ groupKey: string }>('alertmanager', 'firing-v4');
  return JSON.stringify({ ...alert, groupKey: `${alert.groupKey}:{test="${randomUUID()}"}` });
}

async function incidentKeys(): Promise<string[]> {
  const list = await api('/incidents?limit=100', { headers: operator() });
  expect(list.status).toBe(200);
  return ((await list.json()) as { incidents: { key: string }[] }).incidents.map((i) => i.key);
}

async function executionsNamed(name: string): Promise<number> {
  const sfn = new SFNClient({ endpoint: target.urls.aws, region: 'us-east-1', credentials });
  const listed = await sfn.send(new ListExecutionsCommand({ stateMachineArn: target.stateMachines[0] }));
  sfn.destroy();
  return (listed.executions ?? []).filter((e) => e.name === name).length;
}

type Mail = { subject: string; destination: { to: string[] }; body: { text?: string; html?: string } };
async function mails(): Promise<Mail[]> {
  const store = (await (await fetch(`${target.urls.ses}/store`)).json()) as { emails: Mail[] };
  return store.emails;
}

describe('thin path: an Alertmanager alert on the local target', () => {
  it('refuses a missing or wrong secret with 401 and writes nothing', async () => {
    // Earlier mails' delivery events are written a moment after them: let them land first.
    await hotline.target.settleMailEvents();
    const before = await itemCount();
    const missing = await api('/alerts/alertmanager', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: fixtureText('alertmanager', 'firing-v4'),
    });
    expect(missing.status).toBe(401);
    expect(await missing.json()).toEqual({
      error: { code: 'Unauthorized', message: 'missing or invalid credentials' },
    });
    const wrong = await postAlert(fixtureText('alertmanager', 'firing-v4'), {
      authorization: `Bearer ${'x'.repeat(48)}`,
    });
    expect(wrong.status).toBe(401);
    expect(await itemCount()).toBe(before);
  });

  it('refuses a malformed body with 400 naming the problem and writes nothing', async () => {
    // Earlier mails' delivery events are written a moment after them: let them land first.
    await hotline.target.settleMailEvents();
    const before = await itemCount();
    const broken = await postAlert('{"version":"4","groupKey":');
    expect(broken.status).toBe(400);
    expect(((await broken.json()) as { error: { message: string } }).error.message).toMatch(/not valid JSON/);
    const invalid = await postAlert(
      JSON.stringify({ version: '4', groupKey: 'g', status: 'firing', receiver: 'r', alerts: [{}] }),
    );
    expect(invalid.status).toBe(400);
    expect(((await invalid.json()) as { error: { message: string } }).error.message).toMatch(
      /alerts\.0\.status/,
    );
    expect(await itemCount()).toBe(before);
  });

  it('opens HOT-1 with its timeline, an execution named after it and a page email', async () => {
    // Keys count from 1 on a fresh stack: HOT-1 when this test runs first or alone, the next number otherwise.
    const key = `HOT-${(await incidentKeys()).length + 1}`;
    const response = await postAlert(fixtureText('alertmanager', 'firing-v4'));
    expect(response.status).toBe(202);
    expect(await response.json()).toEqual({ incidents: [{ key, outcome: 'opened' }] });

    const page = await eventually(async () => {
      const found = (await mails()).find((m) => m.subject.startsWith(`${key} - Sev 1 - `));
      return found;
    }, 'the page email');
    expect(page.destination.to).toEqual(['payments-oncall@example.com']);
    expect(page.subject).toBe(`${key} - Sev 1 - Checkout API 5xx rate above 5% (+1 more alert) - Paged`);
    // The incident row links the read-only incident page (a signed view link), not the operators' JSON route.
    expect(page.body.text).toMatch(
      new RegExp(`Incident: ${key} \\(open the incident page\\) <${target.urls.api}/links/v1\\.`),
    );

    const detail = await eventually(async () => {
      const res = await api(`/incidents/${key}`, { headers: operator() });
      const body = (await res.json()) as { incident: { status: string }; timeline: { kind: string }[] };
      return body.incident.status === 'paged' ? body : undefined;
    }, 'the incident to be paged');
    const full = detail as unknown as {
      incident: Record<string, unknown>;
      timeline: { kind: string; at: string }[];
      alerts: { fingerprint: string }[];
      comms: { kind: string; status: string }[];
      metrics: { timeToDetectMs: number };
    };
    expect(full.incident).toMatchObject({
      key,
      severity: 1,
      service: 'checkout',
      source: 'alertmanager',
      impactStartedAt: '2026-11-20T09:41:12.345Z',
      executionName: key,
    });
    expect(full.timeline.map((e) => e.kind)).toEqual(
      expect.arrayContaining([
        'incident.opened',
        'alert.firing',
        'workflow.started',
        'page.sent',
        'status.changed',
      ]),
    );
    expect(full.timeline.filter((e) => e.kind === 'alert.firing')).toHaveLength(2);
    for (const entry of full.timeline) expect(entry.at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    expect(full.alerts.map((a) => a.fingerprint).sort()).toEqual(['5f1d0c2b9a7e3a41', '9b3e77f0d2c1a5e8']);
    expect(full.comms).toEqual([expect.objectContaining({ kind: 'page', status: 'sent' })]);
    // Task tokens stay server side.
    expect(JSON.stringify(full)).not.toMatch(/TaskToken/);
    expect(full.metrics.timeToDetectMs).toBeGreaterThan(0);

    const sfn = new SFNClient({ endpoint: target.urls.aws, region: 'us-east-1', credentials });
    const [stateMachineArn] = target.stateMachines;
    const executions = await sfn.send(new ListExecutionsCommand({ stateMachineArn }));
    const named = executions.executions?.filter((e) => e.name === key) ?? [];
    expect(named).toHaveLength(1);
    const execution = await sfn.send(new DescribeExecutionCommand({ executionArn: named[0]?.executionArn }));
    sfn.destroy();
    // The workflow now waits for the incident manager to acknowledge (a task token kept server side).
    expect(execution.status).toBe('RUNNING');
    expect(JSON.parse(execution.input ?? '{}')).toMatchObject({ key });
  });

  it('attaches a repeated delivery to the same incident: no second incident, execution or page', async () => {
    const alert = alertOfOwnGroup();
    const first = await postAlert(alert);
    expect(first.status).toBe(202);
    const [opened] = ((await first.json()) as { incidents: { key: string; outcome: string }[] }).incidents;
    expect(opened?.outcome).toBe('opened');
    const key = opened?.key ?? '';
    // Paged: the workflow went past its page step, so a second page could only come from a second execution.
    await eventually(async () => {
      const res = await api(`/incidents/${key}`, { headers: operator() });
      return ((await res.json()) as { incident: { status: string } }).incident.status === 'paged'
        ? true
        : undefined;
    }, `${key} to be paged`);
    const incidentsBefore = await incidentKeys();

    const again = await postAlert(alert);
    expect(again.status).toBe(202);
    expect(await again.json()).toEqual({ incidents: [{ key, outcome: 'updated' }] });
    expect(await incidentKeys()).toEqual(incidentsBefore);
    expect(await executionsNamed(key)).toBe(1);
    expect((await mails()).filter((m) => m.subject.startsWith(`${key} `))).toHaveLength(1);
  });

  it('keeps operator routes behind the operator token', async () => {
    const opened = await postAlert(alertOfOwnGroup());
    expect(opened.status).toBe(202);
    const [{ key } = { key: '' }] = ((await opened.json()) as { incidents: { key: string }[] }).incidents;
    expect((await api(`/incidents/${key}`, { headers: operator() })).status).toBe(200);

    expect((await api('/incidents')).status).toBe(403);
    expect((await api(`/incidents/${key}`, { headers: { authorization: 'Bearer nope' } })).status).toBe(403);
    expect((await api(`/incidents/${key}`)).status).toBe(403);
    expect((await api('/incidents/HOT-999999', { headers: operator() })).status).toBe(404);
  });
});
