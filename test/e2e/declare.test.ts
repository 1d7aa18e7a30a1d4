import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnFor } from '../../functions/adapters/workflow.ts';
import { type CliIo, run } from '../../functions/cli/incident.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/** Declaring by hand, through the API and the `incident` CLI, on the local target. */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

function cli(env: Record<string, string> = {}) {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIo = {
    env: { HOTLINE_URL: hotline.target.urls.api, HOTLINE_TOKEN: hotline.target.operatorToken, ...env },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    fetch,
  };
  return { io, out, err };
}

const declaration = {
  summary: 'Checkout payments failing for EU cards',
  description: 'About 30% of EU card payments fail at checkout; customers see "payment declined".',
  severity: 2,
  service: 'checkout',
  products: ['Checkout'],
};

const post = (body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${hotline.target.urls.api}/incidents`, {
    method: 'POST',
    headers: { ...hotline.operator(), 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });

describe('declaring an incident', () => {
  it('declares through the CLI and shows it with its timeline and workflow', async () => {
    const declared = cli();
    const code = await run(
      [
        'declare',
        '--summary',
        declaration.summary,
        '--impact',
        declaration.description,
        '--severity',
        '2',
        '--service',
        'checkout',
      ],
      declared.io,
    );
    expect(declared.err).toEqual([]);
    expect(code).toBe(0);
    const key = /^Declared (HOT-\d+)$/.exec(declared.out[0] ?? '')?.[1];
    expect(key).toBeDefined();

    const shown = cli();
    expect(await run(['show', key ?? ''], shown.io)).toBe(0);
    expect(shown.out[0]).toBe(`${key} - Sev 2 - ${declaration.summary}`);
    expect(shown.out.join('\n')).toMatch(/incident\.declared\s+HOT-\d+ declared by /);
    expect(shown.out.join('\n')).toMatch(/workflow\.started/);
    const stateMachineArn = hotline.target.stateMachines[0] ?? '';
    // The workflow pages the incident manager and waits for an acknowledgement.
    const execution = hotline.target.stepFunctions.describeExecution(
      executionArnFor(stateMachineArn, key ?? ''),
    );
    expect(execution.status).toBe('RUNNING');
  });

  it('opens one incident for a retried declaration with the same idempotency key', async () => {
    const first = await post(declaration, { 'idempotency-key': 'declare-retry-0001' });
    const again = await post(declaration, { 'idempotency-key': 'declare-retry-0001' });
    expect(first.status).toBe(201);
    expect(again.status).toBe(200);
    const a = (await first.json()) as { key: string; outcome: string };
    const b = (await again.json()) as { key: string; outcome: string };
    expect(a.outcome).toBe('declared');
    expect(b).toEqual({ key: a.key, outcome: 'existing' });
  });

  it('records "unknown" as the default service with a note', async () => {
    const response = await post({ ...declaration, service: 'unknown' });
    const { key } = (await response.json()) as { key: string };
    const detail = (await (
      await fetch(`${hotline.target.urls.api}/incidents/${key}`, { headers: hotline.operator() })
    ).json()) as {
      incident: { service: string; description: string };
      timeline: { kind: string }[];
    };
    expect(detail.incident.service).toBe('unknown');
    expect(detail.incident.description).toBe(declaration.description);
    expect(detail.timeline.map((e) => e.kind)).toContain('incident.service-unknown');
  });

  it('refuses a declaration missing the handbook fields, naming them, and writes nothing', async () => {
    const before = (
      (await (
        await fetch(`${hotline.target.urls.api}/incidents?limit=100`, { headers: hotline.operator() })
      ).json()) as { incidents: unknown[] }
    ).incidents.length;
    const missing = await post({ summary: 'x', severity: 5, service: 'checkout' });
    expect(missing.status).toBe(400);
    const message = ((await missing.json()) as { error: { message: string } }).error.message;
    expect(message).toMatch(/description/);
    expect(message).toMatch(/severity/);
    const unknownService = await post({ ...declaration, service: 'billing' });
    expect(unknownService.status).toBe(400);
    expect(((await unknownService.json()) as { error: { message: string } }).error.message).toMatch(
      /"billing" is not configured/,
    );
    const after = (
      (await (
        await fetch(`${hotline.target.urls.api}/incidents?limit=100`, { headers: hotline.operator() })
      ).json()) as { incidents: unknown[] }
    ).incidents.length;
    expect(after).toBe(before);
  });

  it('runs every response action from the CLI', async () => {
    const declared = cli();
    await run(
      [
        'declare',
        '--summary',
        'Search slow',
        '--impact',
        'Search takes 10 s',
        '--severity',
        '2',
        '--service',
        'checkout',
      ],
      declared.io,
    );
    const key = /^Declared (HOT-\d+)$/.exec(declared.out[0] ?? '')?.[1] ?? '';
    const steps: [string[], RegExp][] = [
      [
        ['acknowledge', key, '--as', 'payments-oncall@example.com'],
        new RegExp(`^${key} acknowledged: payments-oncall@example.com is in charge$`),
      ],
      [
        ['roles', key, '--tech-lead', 'dev@example.com', '--comms', 'comms@example.com'],
        /roles: .*dev@example.com/,
      ],
      [
        [
          'update',
          key,
          '--summary',
          'Search is slow. We found the cause.',
          '--status',
          'Index rebuild running',
          '--status',
          'Latency 4 s',
          '--next',
          'Finish rebuild',
          '--next',
          'Watch latency',
          '--impact',
          'Slow search',
          '--internal',
          'unknown',
          '--external',
          '300',
          '--root-cause',
          'currently unknown',
          '--eta',
          'no ETA',
          '--next-update',
          '+30',
        ],
        /update 1 sent; next update due /,
      ],
      [
        ['severity', key, '3', '--reason', 'Only admins affected', '--as', 'payments-oncall@example.com'],
        new RegExp(`^${key} is now Sev 3$`),
      ],
      [['resolve', key, '--support-cases', '2'], /resolved: impact .*; postmortem not-required$/],
    ];
    for (const [args, expected] of steps) {
      const run1 = cli();
      expect(await run(args, run1.io), `${args[0]}: ${run1.err.join(' ')}`).toBe(0);
      expect(run1.out[0]).toMatch(expected);
    }
    // Acknowledged from the CLI for them, the incident manager is mailed their responder link.
    const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as {
      emails: { subject: string; destination: { to: string[] }; body: { html?: string } }[];
    };
    const told = store.emails.find(
      (m) => m.subject.startsWith(`${key} - `) && m.subject.endsWith(' - You are incident manager'),
    );
    expect(told?.destination.to).toEqual(['payments-oncall@example.com']);
    const token = /\/links\/v1\.[\w-]+\.([\w-]+)\.[\w-]+/.exec(told?.body.html ?? '')?.[1] ?? '';
    expect(JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))).toMatchObject({
      action: 'respond',
      recipient: 'payments-oncall@example.com',
    });
    // --as records the action for the person named; without it, for the operator the API authenticated.
    const detail = (await (
      await fetch(`${hotline.target.urls.api}/incidents/${key}`, { headers: hotline.operator() })
    ).json()) as { timeline: { kind: string; actor: string }[] };
    const actorOf = (kind: string) => detail.timeline.find((t) => t.kind === kind)?.actor;
    expect(actorOf('severity.changed')).toBe('payments-oncall@example.com');
    expect(actorOf('incident.resolved')).not.toBe('payments-oncall@example.com');
    expect(actorOf('incident.resolved')).toBeTruthy();
    const incomplete = cli();
    expect(await run(['update', key, '--summary', 'x'], incomplete.io)).toBe(2);
    expect(incomplete.err[0]).toMatch(/^409|^400/);
  });

  it('lists by every status and by open, through the API and the CLI', async () => {
    const declared = cli();
    await run(
      [
        'declare',
        '--summary',
        'Status filter check',
        '--impact',
        'None',
        '--severity',
        '2',
        '--service',
        'checkout',
      ],
      declared.io,
    );
    const key = /^Declared (HOT-\d+)$/.exec(declared.out[0] ?? '')?.[1] ?? '';
    expect(await run(['acknowledge', key, '--as', 'payments-oncall@example.com'], cli().io)).toBe(0);
    const listed = async (status: string) => {
      const response = await fetch(`${hotline.target.urls.api}/incidents?status=${status}&limit=100`, {
        headers: hotline.operator(),
      });
      expect(response.status, status).toBe(200);
      const body = (await response.json()) as { incidents: { key: string; status: string }[] };
      return body.incidents;
    };
    expect((await listed('fixing')).map((i) => i.key)).toContain(key);
    expect((await listed('open')).map((i) => i.key)).toContain(key);
    for (const status of ['new', 'paged', 'resolved']) {
      expect((await listed(status)).every((i) => i.status === status)).toBe(true);
    }
    expect((await listed('open')).every((i) => i.status !== 'resolved')).toBe(true);

    const open = cli();
    expect(await run(['list', '--status', 'open'], open.io)).toBe(0);
    expect(open.out.some((line) => line.startsWith(`${key} `) && line.includes('fixing'))).toBe(true);
    expect(await run(['resolve', key, '--support-cases', '0'], cli().io)).toBe(0);
    const resolved = cli();
    expect(await run(['list', '--status', 'resolved'], resolved.io)).toBe(0);
    expect(resolved.out.some((line) => line.startsWith(`${key} `) && line.includes('resolved'))).toBe(true);
    const stillOpen = cli();
    expect(await run(['list', '--status', 'open'], stillOpen.io)).toBe(0);
    expect(stillOpen.out.some((line) => line.startsWith(`${key} `))).toBe(false);
    const wrong = cli();
    expect(await run(['list', '--status', 'closed'], wrong.io)).not.toBe(0);
    expect(wrong.err[0]).toMatch(/status must be one of new, paged, fixing, resolved, open/);
  });

  it('needs the operator token', async () => {
    const response = await fetch(`${hotline.target.urls.api}/incidents`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(declaration),
    });
    expect(response.status).toBe(403);
    const denied = cli({ HOTLINE_TOKEN: 'wrong' });
    expect(await run(['list'], denied.io)).toBe(2);
    expect(denied.err[0]).toMatch(/^403/);
  });
});
