import { readFileSync } from 'node:fs';
import { type BuildOptions, build } from 'esbuild';
import { htmlEntitiesPlugin } from './html-entities.ts';
import { sdkSchemaKeysPlugin } from './sdk-schema-keys.ts';

/**
 * esbuild's options for one function's bundle as plain data (they cross a process boundary as JSON): everything
 * but where the bundle goes and the plugins, which `bundleFunction` adds.
 */
export type FunctionBuildOptions = Omit<BuildOptions, 'outfile' | 'outdir' | 'plugins' | 'write' | 'stdin'>;

/**
 * How every function's code is built, and what the bundle bench's baselines and the bundling tests build with too:
 * one minified ESM module for Node 24 (ES module entry points of packages first). No externals: the bundle carries
 * its own SDK instead of using the runtime's copy, so the version we test is the version we run. Some bundled
 * CommonJS dependencies call require() for Node built-ins, which ESM lacks: the banner gives them one.
 */
export const functionCodeOptions: FunctionBuildOptions = {
  bundle: true,
  format: 'esm',
  target: 'node24',
  platform: 'node',
  mainFields: ['module', 'main'],
  minify: true,
  banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
};

/** The plugins of every function's bundle (see each one's comment). */
export const bundlePlugins = [sdkSchemaKeysPlugin, htmlEntitiesPlugin];

/** The entry module of a function's bundle in its asset (the function's handler is `index.<export>`). */
export const bundleEntryFile = 'index.mjs';

/**
 * Bundles one function into `outdir` with esbuild's JS API (the one way to use plugins): the entry is
 * `index.mjs`; a module the code imports dynamically (loaded on first use) is a `chunk-<hash>.mjs` beside it
 * when the options split.
 */
export async function bundleFunction(options: FunctionBuildOptions, outdir: string): Promise<void> {
  await build({
    ...options,
    outdir,
    entryNames: bundleEntryFile.replace(/\.mjs$/, ''),
    chunkNames: 'chunk-[hash]',
    outExtension: { '.js': '.mjs' },
    plugins: bundlePlugins,
  });
}

/**
 * Run as a script by FunctionBundling (infra/bundling/function-bundling.ts) because CDK bundles synchronously and
 * esbuild's synchronous API takes no plugins: `{ options, outdir }` as JSON on stdin. esbuild prints its own
 * errors; the exit status says whether it failed.
 */
if (import.meta.main) {
  const { options, outdir } = JSON.parse(readFileSync(0, 'utf8')) as {
    options: FunctionBuildOptions;
    outdir: string;
  };
  try {
    await bundleFunction(options, outdir);
  } catch {
    process.exitCode = 1;
  }
}
