import { describe, expect, it } from 'vitest';
import { type CliIo, run } from '../../../functions/cli/incident.ts';

/** The CLI against a fake API: what it sends for each command, and what it prints. */

const shift = (id: string, name: string, source: 'rotation' | 'override', start: string, end: string) => ({
  person: { id, name },
  start: `${start}:00.000Z`,
  end: `${end}:00.000Z`,
  local: { start: `${start}+00:00`, end: `${end}+00:00`, timeZone: 'Europe/London' },
  source,
  ...(source === 'override' ? { overrideId: 'o-1' } : {}),
});
const oncall = {
  schedule: { id: 'payments', name: 'Payments on call', timeZone: 'Europe/London' },
  at: '2026-03-10T12:00:00.000Z',
  onCall: shift('ada', 'Ada Lovelace', 'rotation', '2026-03-09T09:00', '2026-03-16T09:00'),
  next: [shift('grace', 'Grace Hopper', 'override', '2026-03-16T09:00', '2026-03-17T09:00')],
};
const override = {
  id: 'o-1',
  scheduleId: 'payments',
  person: { id: 'grace', name: 'Grace Hopper' },
  start: '2026-03-28T18:00:00.000Z',
  end: '2026-03-29T08:00:00.000Z',
  local: { start: '2026-03-28T18:00+00:00', end: '2026-03-29T09:00+01:00', timeZone: 'Europe/London' },
  createdAt: '2026-03-10T12:00:00.000Z',
  createdBy: 'operator',
};

function cli(answers: Record<string, [number, unknown]>) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: { method: string; path: string; body?: unknown }[] = [];
  const io: CliIo = {
    env: { HOTLINE_URL: 'http://127.0.0.1:3000', HOTLINE_TOKEN: 'token' },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    fetch: (async (input: URL | string, init?: RequestInit) => {
      const url = new URL(String(input));
      const method = init?.method ?? 'GET';
      requests.push({
        method,
        path: `${url.pathname}${url.search}`,
        ...(init?.body ? { body: JSON.parse(String(init.body)) } : {}),
      });
      const [status, body] = answers[`${method} ${url.pathname}`] ?? [
        404,
        { error: { code: 'NotFound', message: 'no' } },
      ];
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch,
  };
  return { io, out, err, requests };
}

describe('incident schedules, oncall and override', () => {
  it('oncall without a schedule asks for every schedule, then each one; with --at it passes the instant', async () => {
    const c = cli({
      'GET /schedules': [200, { schedules: [{ id: 'payments' }] }],
      'GET /schedules/payments/oncall': [200, oncall],
    });
    expect(await run(['oncall', '--at', '2026-03-10T12:00Z'], c.io)).toBe(0);
    expect(c.requests.map((r) => `${r.method} ${r.path}`)).toEqual([
      'GET /schedules',
      'GET /schedules/payments/oncall?at=2026-03-10T12%3A00%3A00.000Z',
    ]);
    const text = c.out.join('\n');
    expect(text).toContain(
      'on call: Ada Lovelace (ada)  2026-03-09 09:00 (+00:00) to 2026-03-16 09:00 (+00:00)  [rotation]',
    );
    expect(text).toContain(
      'next:    Grace Hopper (grace)  2026-03-16 09:00 (+00:00) to 2026-03-17 09:00 (+00:00)  [override o-1]',
    );
  });

  it("oncall shows each person's quiet channels under their shift, with what to do, and when they were checked", async () => {
    const quiet = {
      channel: 'sms',
      problem: 'opted-out',
      detail: '+44********23 opted out (replied STOP): it gets no texts until it opts in again.',
      remedy: 'Text START to the number the pages come from to opt in again.',
    };
    const c = cli({
      'GET /schedules/payments/oncall': [
        200,
        {
          ...oncall,
          onCall: { ...oncall.onCall, quiet: [quiet] },
          next: oncall.next.map((n) => ({ ...n, quiet: [] })),
          channelsCheckedAt: '2026-03-10T11:00:00.000Z',
        },
      ],
    });
    expect(await run(['oncall', 'payments'], c.io)).toBe(0);
    const lines = c.out;
    const at = lines.findIndex((l) => l.includes('on call: Ada Lovelace'));
    expect(lines[at + 1]).toBe(
      '           QUIET sms (opted-out): +44********23 opted out (replied STOP): it gets no texts until it opts in again.',
    );
    expect(lines[at + 2]).toBe(
      '             what to do: Text START to the number the pages come from to opt in again.',
    );
    expect(lines[at + 3]).toContain('next:    Grace Hopper');
    expect(lines.at(-1)).toBe('  channels checked 2026-03-10T11:00:00.000Z');
    const unchecked = cli({
      'GET /schedules/payments/oncall': [200, { ...oncall, onCall: { ...oncall.onCall, quiet: [] } }],
    });
    expect(await run(['oncall', 'payments'], unchecked.io)).toBe(0);
    expect(unchecked.out.at(-1)).toBe('  channels not checked yet (the sweep checks them hourly)');
  });

  it('oncall <schedule> --json prints the answer as the API gives it', async () => {
    const c = cli({ 'GET /schedules/payments/oncall': [200, oncall] });
    expect(await run(['oncall', 'payments', '--json'], c.io)).toBe(0);
    expect(JSON.parse(c.out.join('\n'))).toEqual(oncall);
  });

  it('override add sends wall times as {date, time} in the schedule zone, instants as start/end', async () => {
    const c = cli({ 'POST /schedules/payments/overrides': [201, { created: true, override }] });
    expect(
      await run(
        [
          'override',
          'add',
          'payments',
          '--person',
          'grace',
          '--from',
          '2026-03-28 18:00',
          '--to',
          '2026-03-29 09:00',
        ],
        c.io,
      ),
    ).toBe(0);
    expect(c.requests[0]?.body).toEqual({
      personId: 'grace',
      from: { date: '2026-03-28', time: '18:00' },
      to: { date: '2026-03-29', time: '09:00' },
    });
    expect(c.out.join('\n')).toBe(
      'Override o-1: Grace Hopper (grace) covers 2026-03-28 18:00 (+00:00) to 2026-03-29 09:00 (+01:00) (Europe/London).',
    );
    const iso = cli({ 'POST /schedules/payments/overrides': [200, { created: false, override }] });
    expect(
      await run(
        [
          'override',
          'add',
          'payments',
          '--person',
          'grace',
          '--from',
          '2026-03-28T18:00Z',
          '--to',
          '2026-03-29T09:00+01:00',
          '--id',
          'cover-1',
          '--as',
          'ada@example.com',
        ],
        iso.io,
      ),
    ).toBe(0);
    expect(iso.requests[0]?.body).toEqual({
      personId: 'grace',
      start: '2026-03-28T18:00:00.000Z',
      end: '2026-03-29T08:00:00.000Z',
      id: 'cover-1',
      by: 'ada@example.com',
    });
    expect(iso.out.join('\n')).toMatch(/, already there\.$/);
  });

  it('refuses with exit 2, calling nothing: a mix of forms, a missing option, a time it cannot read', async () => {
    for (const args of [
      [
        'override',
        'add',
        'payments',
        '--person',
        'grace',
        '--from',
        '2026-03-28 18:00',
        '--to',
        '2026-03-29T09:00Z',
      ],
      ['override', 'add', 'payments', '--from', '2026-03-28 18:00', '--to', '2026-03-29 09:00'],
      ['override', 'add', 'payments', '--person', 'grace', '--from', 'tuesday', '--to', '2026-03-29 09:00'],
      ['override', 'remove', 'payments'],
      ['oncall', 'a', 'b'],
    ]) {
      const c = cli({});
      expect(await run(args, c.io), args.join(' ')).toBe(2);
      expect(c.requests).toEqual([]);
      expect(c.err.join('\n')).not.toBe('');
    }
  });

  it('override list and remove; a 404 from the API exits 2 with its message', async () => {
    const c = cli({
      'GET /schedules/payments/overrides': [200, { overrides: [override] }],
      'DELETE /schedules/payments/overrides/o-1': [
        200,
        { override: { ...override, removedAt: 'x', removedBy: 'y' } },
      ],
    });
    expect(await run(['override', 'list', 'payments'], c.io)).toBe(0);
    expect(c.out[0]).toBe(
      'o-1  Grace Hopper (grace)  2026-03-28 18:00 (+00:00) to 2026-03-29 09:00 (+01:00)  added by operator',
    );
    expect(await run(['override', 'remove', 'payments', 'o-1'], c.io)).toBe(0);
    expect(c.requests.at(-1)).toEqual({ method: 'DELETE', path: '/schedules/payments/overrides/o-1' });
    expect(c.out.at(-1)).toMatch(/^Override o-1 removed/);
    const missing = cli({});
    expect(await run(['override', 'remove', 'payments', 'o-2'], missing.io)).toBe(2);
    expect(missing.err.join('\n')).toMatch(/^404 NotFound: no/);
  });
});
