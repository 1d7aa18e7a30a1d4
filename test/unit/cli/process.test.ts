import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

/** The CLI as a process: as the bin and `npm run incident` run it, with stdout read by something like `head`. */
const root = join(import.meta.dirname, '../../..');
const bin = join(root, 'node_modules/.bin');
// node_modules/.bin first, as npm run and npx put it (its `node` is Node 24).
const env = { ...process.env, PATH: `${bin}${delimiter}${process.env.PATH ?? ''}` };

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs a command; `closeAfter` bytes into stdout, closes the reading end as `head` does when it has enough. */
async function runProcess(command: string, args: string[], extraEnv = {}, closeAfter?: number): Promise<Ran> {
  const child = spawn(command, args, {
    cwd: root,
    env: { ...env, ...extraEnv },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (closeAfter !== undefined && stdout.length >= closeAfter) child.stdout.destroy();
  });
  if (closeAfter === 0) child.stdout.destroy();
  const [code] = (await once(child, 'close')) as [number | null];
  return { code, stdout, stderr };
}

let server: ReturnType<typeof createServer>;
let url = '';

beforeAll(async () => {
  // Enough incidents that the output overflows a pipe's buffer many times over.
  const incidents = Array.from({ length: 4000 }, (_, i) => ({
    key: `HOT-${i + 1}`,
    status: 'fixing',
    severity: 2,
    service: 'checkout',
    openedAt: '2026-12-06T20:00:00.000Z',
    summary: 'Card payments fail in the EU for a share of customers',
  }));
  server = createServer((_, res) => {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ incidents }));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(() => {
  server.close();
});

describe('the incident process', () => {
  it('stops quietly when the reader closes early (EPIPE): exit 0, no stack trace', async () => {
    const listed = await runProcess(
      join(bin, 'tsx'),
      ['functions/cli/main.ts', 'list'],
      { HOTLINE_URL: url, HOTLINE_TOKEN: 'token' },
      200,
    );
    expect(listed.stderr).toBe('');
    expect(listed.code).toBe(0);
    expect(listed.stdout).toMatch(/^HOT-1 /);
    const help = await runProcess(join(bin, 'tsx'), ['functions/cli/main.ts', '--help'], {}, 0);
    expect(help).toMatchObject({ code: 0, stderr: '' });
  });

  it('writes everything when nobody closes early', async () => {
    const listed = await runProcess(join(bin, 'tsx'), ['functions/cli/main.ts', 'list'], {
      HOTLINE_URL: url,
      HOTLINE_TOKEN: 'token',
    });
    expect(listed.code).toBe(0);
    expect(listed.stdout.trimEnd().split('\n')).toHaveLength(4000);
  });

  it('runs as `npx incident` (the bin) and as `npm run incident --`', async () => {
    const built = await runProcess(join(bin, 'tsx'), ['functions/cli/build.ts', 'dev']);
    expect(built.code, built.stderr).toBe(0);
    const viaBin = await runProcess('npx', ['--no-install', 'incident', 'postmortem', '--help']);
    expect(viaBin.code, viaBin.stderr).toBe(0);
    expect(viaBin.stdout).toMatch(/^Usage: incident postmortem <command>/);
    const viaScript = await runProcess('npm', ['run', '--silent', 'incident', '--', 'list', '--help']);
    expect(viaScript.code, viaScript.stderr).toBe(0);
    expect(viaScript.stdout).toMatch(/^Usage: incident list /);
  }, 120_000);
});
