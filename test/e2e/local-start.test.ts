import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkPorts, PortInUseError } from '../../infra/local/target.ts';

/** `npm start` stops with one clear line, not a stack trace, when it cannot run. */

const root = resolve(import.meta.dirname, '../..');
const tsx = join(root, 'node_modules/.bin/tsx');
let busy: Server;
let busyPort: number;
let dir: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'hotline-local-start-'));
  busy = createServer();
  await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
  busyPort = (busy.address() as { port: number }).port;
});

afterAll(async () => {
  await new Promise((r) => busy.close(r));
  rmSync(dir, { recursive: true, force: true });
});

function start(
  env: Record<string, string>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolveRun, reject) => {
    const child = spawn(tsx, ['infra/local/start.ts'], { cwd: root, env: { ...process.env, ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => {
      stdout += d;
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolveRun({ code, stdout, stderr });
    });
  });
}

describe.concurrent('npm start', () => {
  it('names the busy port and the variable that moves it', async () => {
    const run = await start({
      HOTLINE_DYNAMODB_PORT: String(busyPort),
      HOTLINE_API_PORT: '0',
      HOTLINE_SES_PORT: '0',
      HOTLINE_AWS_PORT: '0',
    });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe(`port ${busyPort} is in use: set HOTLINE_DYNAMODB_PORT`);
  });

  it('prints a configuration error without a stack trace', async () => {
    const file = join(dir, 'organisation.ts');
    writeFileSync(file, "export default { sender: { address: 'not-an-email' }, operators: [] };\n");
    const run = await start({ HOTLINE_ORGANISATION: file });
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Invalid configuration in');
    expect(run.stderr).toContain('sender.address');
    expect(run.stderr).not.toMatch(/\n\s+at /);
  });

  it('rejects a port variable that is not a port', async () => {
    const run = await start({ HOTLINE_API_PORT: 'eighty' });
    expect(run.code).toBe(1);
    expect(run.stderr.trim()).toBe('HOTLINE_API_PORT=eighty is not a port number');
  });
});

describe('checkPorts', () => {
  it('says which service wanted the busy port', async () => {
    const error = await checkPorts('127.0.0.1', { api: 0, ses: busyPort }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PortInUseError);
    expect(error).toMatchObject({ service: 'ses', port: busyPort });
  });
});
