import { chmod, copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * Writes the `incident` bin, dist/incident.mjs, in one of three ways:
 *
 * - `bundle` (prepack: `npm pack` of the repo): main.ts and everything it imports, the AWS SDK's signer and
 *   credential chain included, in one minified ESM file with a shebang and its licences at the end.
 * - `dev` (prepare: `npm install` in a clone; postpack puts it back with --force): a launcher that runs the
 *   TypeScript source under the repo's tsx, so `npx incident` in a clone runs the code as it is.
 * - `package` (`npm run pack:cli`): the bundle in dist/cli/ beside a manifest with no dependencies at all, for
 *   a tarball that installs the CLI alone (the repo's own manifest lists the stack's dependencies).
 *
 * dist/ carries its own .gitignore (everything), so none of it is committed or linted.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const [mode = 'bundle'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));

// npm pack runs prepare after prepack: the bundle it just built stays.
if (
  mode === 'dev' &&
  !process.argv.includes('--force') &&
  ['pack', 'publish'].includes(process.env.npm_command ?? '')
) {
  console.log('dist/incident.mjs: the bundle (kept for npm pack)');
  process.exit(0);
}

await mkdir(`${root}dist`, { recursive: true });
await writeFile(`${root}dist/.gitignore`, '# build output (functions/cli/build.ts)\n*\n');

async function bundle(outfile: string): Promise<void> {
  await build({
    entryPoints: [`${root}functions/cli/main.ts`],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    legalComments: 'eof',
    // CommonJS dependencies bundled into ESM still call require() for Node's own modules.
    banner: {
      js: "#!/usr/bin/env node\nimport { createRequire as __createRequire } from 'node:module';\nconst require = __createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  await chmod(outfile, 0o755);
}

if (mode === 'dev') {
  const launcher = [
    '#!/usr/bin/env node',
    '// In a clone: the CLI from its TypeScript source (functions/cli/build.ts wrote this; npm pack bundles it).',
    "import { register } from 'tsx/esm/api';",
    '',
    'register();',
    "await import('../functions/cli/main.ts');",
    '',
  ];
  await writeFile(`${root}dist/incident.mjs`, launcher.join('\n'));
  await chmod(`${root}dist/incident.mjs`, 0o755);
  console.log('dist/incident.mjs: runs functions/cli/main.ts under tsx');
} else if (mode === 'package') {
  const manifest = JSON.parse(await readFile(`${root}package.json`, 'utf8')) as Record<string, unknown>;
  const dir = `${root}dist/cli`;
  await mkdir(dir, { recursive: true });
  await bundle(`${dir}/incident.mjs`);
  const keep = ['name', 'version', 'private', 'description', 'license', 'type', 'engines'];
  const cli = Object.fromEntries(keep.filter((k) => k in manifest).map((k) => [k, manifest[k]]));
  await writeFile(
    `${dir}/package.json`,
    `${JSON.stringify({ ...cli, bin: { incident: 'incident.mjs' }, files: ['incident.mjs'] }, null, 2)}\n`,
  );
  await copyFile(`${root}LICENSE`, `${dir}/LICENSE`);
  console.log('dist/cli: the bundle and a manifest without dependencies (npm pack ./dist/cli)');
} else {
  await bundle(`${root}dist/incident.mjs`);
  console.log('dist/incident.mjs: the bundle');
}
