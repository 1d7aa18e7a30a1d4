import { describe, expect, it } from 'vitest';
import { type CliIo, run } from '../../../functions/cli/incident.ts';

/** `incident test-page` against a fake API: what it sends, and what it prints of each channel. */

function cli(answers: Record<string, [number, unknown]>) {
  const out: string[] = [];
  const err: string[] = [];
  const requests: string[] = [];
  const io: CliIo = {
    env: { HOTLINE_URL: 'http://127.0.0.1:3000', HOTLINE_TOKEN: 'token' },
    out: (line) => out.push(line),
    err: (line) => err.push(line),
    fetch: (async (input: URL | string, init?: RequestInit) => {
      const key = `${init?.method ?? 'GET'} ${new URL(String(input)).pathname}`;
      requests.push(key);
      const [status, body] = answers[key] ?? [404, { error: { code: 'NotFound', message: 'no person "x"' } }];
      return new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
    }) as typeof fetch,
  };
  return { io, out, err, requests };
}

const testPage = {
  personId: 'ada',
  at: '2026-12-07T12:00:00.000Z',
  status: 'sent',
  channels: [
    { channel: 'email', to: 'ada@example.com', outcome: 'sent', messageId: 'm-1' },
    {
      channel: 'sms',
      to: '+44********23',
      outcome: 'refused',
      reason: 'opted-out',
      detail: 'ConflictException',
    },
    { channel: 'voice', to: '+44********23', outcome: 'sent', messageId: 'v-1' },
  ],
};

describe('incident test-page', () => {
  it('posts the test page and prints each channel, a refused one loudly', async () => {
    const c = cli({ 'POST /people/ada/test-page': [201, { testPage }] });
    expect(await run(['test-page', 'ada'], c.io)).toBe(0);
    expect(c.requests).toEqual(['POST /people/ada/test-page']);
    expect(c.out).toEqual([
      'Test page to ada at 2026-12-07T12:00:00.000Z:',
      '  mail   to ada@example.com: sent (m-1)',
      '  SMS    to +44********23: REFUSED: opted-out (ConflictException)',
      '  voice  to +44********23: sent (v-1)',
      'A refused channel will not reach this person in an incident either: fix it before one needs it.',
    ]);
  });

  it('shows the last one with --last, and says why when the API refuses', async () => {
    const c = cli({
      'GET /people/ada/test-page': [200, { testPage }],
      'POST /people/grace/test-page': [
        429,
        { error: { code: 'TooManyRequests', message: 'the next is allowed at 2026-12-07T12:01:00.000Z' } },
      ],
    });
    expect(await run(['test-page', 'ada', '--last'], c.io)).toBe(0);
    expect(c.requests).toEqual(['GET /people/ada/test-page']);
    expect(await run(['test-page', 'grace'], c.io)).not.toBe(0);
    expect(c.err.join('\n')).toContain('the next is allowed at 2026-12-07T12:01:00.000Z');
    expect(await run(['test-page'], c.io)).not.toBe(0);
  });
});
