import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';

const root = resolve(import.meta.dirname, '../..');
const work = mkdtempSync(join(tmpdir(), 'hotline-app-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** Runs the CLI entry the way `cdk synth` does: context and output directory come through the environment. */
function runApp(context: Record<string, unknown>) {
  const outdir = mkdtempSync(join(work, 'out-'));
  const result = spawnSync(process.execPath, ['--import', 'tsx', 'infra/app.ts'], {
    cwd: root,
    encoding: 'utf8',
    env: {
      ...process.env,
      CDK_OUTDIR: outdir,
      CDK_CONTEXT_JSON: JSON.stringify({ 'aws:cdk:bundling-stacks': [], ...context }),
    },
  });
  return { ...result, outdir };
}

describe('infra/app.ts', () => {
  it('synthesizes the stack with the organisation named by the `organisation` context', () => {
    const { status, stderr, outdir } = runApp({ organisation: 'infra/organisation.example.ts' });
    expect(stderr).not.toMatch(/AwsSolutions/);
    expect(status).toBe(0);
    expect(existsSync(join(outdir, 'Hotline.template.json'))).toBe(true);
  });

  it('stops with the configuration error and no stack trace when the organisation file is invalid', () => {
    const bad = join(work, 'bad-organisation.ts');
    writeFileSync(bad, "export default { sender: { address: 'not-an-address' }, operators: [] };\n");
    const { status, stderr } = runApp({ organisation: bad });
    expect(status).toBe(1);
    expect(stderr).toContain('Invalid configuration');
    expect(stderr).toContain('sender.address');
    expect(stderr).not.toMatch(/^\s+at /m);
  });

  it('stops with a message when the organisation file does not exist', () => {
    const { status, stderr } = runApp({ organisation: join(work, 'missing.ts') });
    expect(status).toBe(1);
    expect(stderr).toContain('Configuration file not found');
    expect(stderr).not.toMatch(/^\s+at /m);
  });
});
