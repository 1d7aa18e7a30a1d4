import { describe, expect, it } from 'vitest';
import { type CliIo, run } from '../../../functions/cli/incident.ts';

/** `incident show` against a fake API: the incident, the stakeholders its comms did not reach, the timeline. */

function cli(body: unknown) {
  const out: string[] = [];
  const io: CliIo = {
    env: { HOTLINE_URL: 'http://127.0.0.1:3000', HOTLINE_TOKEN: 'token' },
    out: (line) => out.push(line),
    err: () => undefined,
    fetch: (async () =>
      new Response(JSON.stringify(body), {
        status: 200,
        headers: { 'content-type': 'application/json' },
      })) as typeof fetch,
  };
  return { io, out };
}

const incident = {
  key: 'HOT-7',
  severity: 2,
  summary: 'Checkout errors',
  status: 'fixing',
  service: 'checkout',
  openedAt: '2026-12-07T12:00:00.000Z',
  impactStartedAt: '2026-12-07T11:55:00.000Z',
};
const timeline = [{ at: '2026-12-07T12:00:00.000Z', kind: 'incident.opened', text: 'Opened.' }];

describe('incident show', () => {
  it('says which stakeholders the comms did not reach, and why', async () => {
    const c = cli({
      incident: {
        ...incident,
        commsBounces: [
          {
            address: 'gone@example.com',
            outcome: 'bounced',
            detail: '550 5.1.1 user unknown',
            at: '2026-12-07T12:05:00.000Z',
            kind: 'initial',
          },
        ],
      },
      timeline,
    });
    expect(await run(['show', 'HOT-7'], c.io)).toBe(0);
    expect(c.out[2]).toMatch(/^comms did not reach these stakeholders/);
    expect(c.out[3]).toBe('  2026-12-07T12:05:00.000Z  gone@example.com (bounced: 550 5.1.1 user unknown)');
    expect(c.out.at(-1)).toContain('incident.opened');
  });

  it('says nothing of comms when every mail arrived', async () => {
    const c = cli({ incident, timeline });
    expect(await run(['show', 'HOT-7'], c.io)).toBe(0);
    expect(c.out.join('\n')).not.toContain('did not reach');
    expect(c.out).toHaveLength(3);
  });
});
