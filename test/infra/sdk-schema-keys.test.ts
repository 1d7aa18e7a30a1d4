import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, type Plugin } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { functionCodeOptions } from '../../infra/bundling/bundle.ts';
import {
  literalSchemaKeys,
  sdkSchemaKeysPlugin,
  sdkSchemaModule,
  stringConstants,
} from '../../infra/bundling/sdk-schema-keys.ts';
import { projectRoot } from '../../infra/constructs/incident-function.ts';

describe('literalSchemaKeys', () => {
  it('writes a computed key as the literal of the string constant it names', () => {
    const source = [
      'const _h = "http";',
      'const _hQ = "httpQuery";',
      'export var Op$ = [9, n0, _O, { [_h]: ["POST", "/v2/op", 200] }, () => A$, () => B$];',
      'export var A$ = [3, n0, _A, 0, [_N], [[0, { [_hQ]: _N }]], 1];',
      'export var E$ = [-3, n0, _E,',
      '    { [_e]: _c,',
      '      [_h]: 400 },',
      '];',
    ].join('\n');
    expect(literalSchemaKeys(source)).toBe(
      [
        'const _h = "http";',
        'const _hQ = "httpQuery";',
        'export var Op$ = [9, n0, _O, { "http": ["POST", "/v2/op", 200] }, () => A$, () => B$];',
        'export var A$ = [3, n0, _A, 0, [_N], [[0, { "httpQuery": _N }]], 1];',
        'export var E$ = [-3, n0, _E,',
        '    { [_e]: _c,',
        '      "http": 400 },',
        '];',
      ].join('\n'),
    );
  });

  it('leaves every key whose name is not a plain string constant of the module as it is', () => {
    const source = [
      'const _t = `http`;',
      'const _c = "a" + "b";',
      'const _n = 1;',
      'let _l = "let";',
      'const _x = "\\x41";',
      'const _p = "__proto__";',
      'const _d = "once";',
      'function f() { const _d = "other"; return { [_d]: 1 }; }',
      'export var O$ = { [_t]: 1, [_c]: 2, [_n]: 3, [_l]: 4, [_x]: 5, [_p]: 6, [_u]: 7, [_d]: 8 };',
    ].join('\n');
    expect(literalSchemaKeys(source)).toBe(source);
  });

  it('rewrites keys only, never an array in a ternary or a case label', () => {
    const source = ['const _h = "http";', 'export var a = c ? [_h] : [];', 'switch (v) { case [_h]: }'].join(
      '\n',
    );
    expect(literalSchemaKeys(source)).toBe(source);
  });

  it('reads escapes in a constant as JavaScript does and writes them back as a valid literal', () => {
    const source = 'const _q = "a\\"b\\u00e9";\nexport var O$ = { [_q]: 1 };';
    expect(stringConstants(source).get('_q')).toBe('a"bé');
    expect(literalSchemaKeys(source)).toBe('const _q = "a\\"b\\u00e9";\nexport var O$ = { "a\\"bé": 1 };');
  });
});

/** The installed SDK clients' schema modules (the ones the functions' bundles hold, and any other). */
function installedSchemaModules(): string[] {
  const sdk = join(projectRoot, 'node_modules', '@aws-sdk');
  return readdirSync(sdk)
    .filter((name) => name.startsWith('client-'))
    .map((name) => join(sdk, name, 'dist-es', 'schemas', 'schemas_0.js'))
    .filter((file) => existsSync(file));
}

const work = mkdtempSync(join(tmpdir(), 'hotline-schema-keys-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

/** A module re-exporting `file`'s exports, bundled (with its own copy of the SDK) with the given plugins. */
async function bundled(file: string, outName: string, plugins: Plugin[]): Promise<Record<string, unknown>> {
  const outfile = join(work, `${outName}.mjs`);
  await build({
    stdin: { contents: `export * from ${JSON.stringify(file)};`, resolveDir: projectRoot, loader: 'js' },
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node24',
    mainFields: ['module', 'main'],
    plugins,
    logLevel: 'silent',
  });
  return (await import(pathToFileURL(outfile).href)) as Record<string, unknown>;
}

/**
 * The exports of a schema module as plain data: objects with their own keys in order, arrays, primitives. A
 * reference to another export is its name; a thunk (`() => X$`) is what it returns; a class or other function is
 * its name; an instance (a TypeRegistry) is its class and its own properties.
 */
function shapeOf(exports: Record<string, unknown>): unknown {
  const names = new Map<unknown, string>();
  for (const [name, value] of Object.entries(exports))
    if (value !== null && (typeof value === 'object' || typeof value === 'function')) names.set(value, name);

  const shape = (value: unknown, depth: number): unknown => {
    if (depth > 40) throw new Error('schema nested deeper than expected (a cycle outside the exports?)');
    if (value === null || (typeof value !== 'object' && typeof value !== 'function'))
      return typeof value === 'bigint' ? `${value}n` : value;
    const exported = names.get(value);
    if (depth > 0 && exported !== undefined) return { export: exported };
    if (typeof value === 'function') {
      const fn = value as (...args: unknown[]) => unknown;
      if (fn.length === 0 && fn.prototype === undefined) return { thunk: shape(fn(), depth + 1) };
      return { function: fn.name };
    }
    if (Array.isArray(value)) return value.map((item) => shape(item, depth + 1));
    if (value instanceof Map)
      return { map: [...value].map(([k, v]) => [shape(k, depth + 1), shape(v, depth + 1)]) };
    const proto = Object.getPrototypeOf(value) as object | null;
    const kind = proto === Object.prototype || proto === null ? 'object' : proto.constructor.name;
    const record = value as Record<PropertyKey, unknown>;
    return {
      [kind]: Reflect.ownKeys(record).map((key) => [String(key), shape(record[key], depth + 1)]),
    };
  };
  return Object.keys(exports)
    .sort()
    .map((name) => [name, shape(exports[name], 0)]);
}

describe('the SDK schema modules with literal keys', () => {
  const modules = installedSchemaModules();

  it('are the ones the plugin matches', () => {
    expect(modules.length).toBeGreaterThan(0);
    for (const file of modules) expect(sdkSchemaModule.test(file), file).toBe(true);
    expect(modules.some((file) => file.includes('client-sesv2'))).toBe(true);
  });

  it.each(modules.map((file) => [/@aws-sdk[\\/](client-[^\\/]+)/.exec(file)?.[1] ?? file, file]))(
    'export the same schemas, object for object, as the published %s',
    async (client, file) => {
      const source = readFileSync(file, 'utf8');
      const original = await bundled(file, `${client}-original`, []);
      const rewritten = await bundled(file, `${client}-literal`, [sdkSchemaKeysPlugin]);
      expect(Object.keys(rewritten).sort()).toEqual(Object.keys(original).sort());
      expect(shapeOf(rewritten)).toStrictEqual(shapeOf(original));
      // The comparison is not vacuous: the rewrite did change the module where it has computed keys.
      if (/[{,]\s*\[_\w+\]\s*:/.test(source)) expect(literalSchemaKeys(source)).not.toBe(source);
    },
  );

  it('let a bundle that sends mail through SES v2 drop the schemas of the operations it does not call', async () => {
    const code = async (plugins: Plugin[]) => {
      const result = await build({
        stdin: {
          contents: "export { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';",
          resolveDir: projectRoot,
        },
        ...functionCodeOptions,
        write: false,
        plugins,
        logLevel: 'silent',
      });
      return result.outputFiles[0]?.text ?? '';
    };
    const without = await code([]);
    const withPlugin = await code([sdkSchemaKeysPlugin]);
    expect(without).toContain('BatchGetMetricDataRequest');
    expect(withPlugin).not.toContain('BatchGetMetricDataRequest');
    expect(withPlugin).toContain('SendEmailRequest');
    expect(withPlugin).toContain('/v2/email/outbound-emails');
    expect(without.length - withPlugin.length).toBeGreaterThan(30_000);
  });
});
