import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { functionCodeOptions } from '../../../infra/bundling/bundle.ts';

const root = resolve(import.meta.dirname, '..', '..', '..');

/**
 * A bundle built as the functions are (minified, a source map without the sources' text, no
 * --enable-source-maps at run time): the stacks it prints name the TypeScript source and line.
 */
describe('stack traces of a bundle', () => {
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-stacks-'));
    const entry = join(dir, 'entry.ts');
    writeFileSync(
      entry,
      [
        `import { logger } from ${JSON.stringify(join(root, 'functions/adapters/logger.ts'))};`,
        'function failing(n: number): never {',
        "  throw new Error('boom ' + n);",
        '}',
        'try {',
        '  failing(3);',
        '} catch (error) {',
        "  logger.error('failed', error as Error);",
        '  console.log(JSON.stringify({ stack: (error as Error).stack }));',
        '}',
      ].join('\n'),
    );
    await build({
      entryPoints: [entry],
      outdir: join(dir, 'out'),
      entryNames: 'index',
      outExtension: { '.js': '.mjs' },
      ...functionCodeOptions,
      splitting: true,
      sourcemap: true,
      sourcesContent: false,
      logLevel: 'silent',
    });
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const run = (file: string, preload: string[] = []) => {
    const result = spawnSync(process.execPath, [...preload, file], {
      encoding: 'utf8',
      env: { ...process.env, POWERTOOLS_LOG_LEVEL: 'INFO', POWERTOOLS_DEV: '' },
    });
    expect(result.status, result.stderr).toBe(0);
    const lines = `${result.stdout}\n${result.stderr}`.trim().split('\n');
    const logged = JSON.parse(lines.find((line) => line.includes('"level":"ERROR"')) ?? '{}');
    const printed = JSON.parse(lines.find((line) => line.startsWith('{"stack"')) ?? '{}');
    return { logged, stack: String(printed.stack) };
  };

  it('names the source and line of each of our frames, in the stack and in the logged error', () => {
    const { logged, stack } = run(join(dir, 'out', 'index.mjs'));
    expect(stack.split('\n')[0]).toBe('Error: boom 3');
    // `failing` throws on line 3 of entry.ts and is called on line 6.
    expect(stack).toMatch(/\n {4}at \S+ \(\S*entry\.ts:3:\d+\)/);
    expect(stack).toMatch(/entry\.ts:6:\d+/);
    expect(stack).not.toContain('index.mjs');
    expect(logged.error.location).toMatch(/entry\.ts:3$/);
    expect(logged.error.stack).toBe(stack);
  });

  it('hands a formatter installed before it (a runtime hook) frames that answer with the source', () => {
    const preload = join(dir, 'formatter.mjs');
    writeFileSync(
      preload,
      // biome-ignore lint/suspicious/noTemplateCurlyInString: the preload's own template literal
      "Error.prepareStackTrace = (error, sites) => [String(error), ...sites.map((s) => `  via ${s.getFunctionName() ?? '?'} ${s.getFileName()}:${s.getLineNumber()}:${s.getColumnNumber()}`)].join('\\n');",
    );
    const { stack } = run(join(dir, 'out', 'index.mjs'), ['--import', preload]);
    expect(stack.split('\n')[0]).toBe('Error: boom 3');
    expect(stack).toMatch(/\n {2}via \S+ \S*entry\.ts:3:\d+/);
    expect(stack).not.toContain('index.mjs');
  });

  it('leaves the bundle positions when the map is missing', () => {
    rmSync(join(dir, 'out', 'index.mjs.map'));
    const { stack } = run(join(dir, 'out', 'index.mjs'));
    expect(stack.split('\n')[0]).toBe('Error: boom 3');
    expect(stack).toMatch(/index\.mjs:\d+:\d+/);
    expect(stack).not.toContain('entry.ts');
  });
});
