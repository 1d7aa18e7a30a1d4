import { readFileSync } from 'node:fs';
import { type BuildOptions, build } from 'esbuild';
import { sdkSchemaKeysPlugin } from './sdk-schema-keys.ts';

/**
 * esbuild's options for one function's bundle as plain data (they cross a process boundary as JSON): everything
 * but where the bundle goes and the plugins, which `bundleFunction` adds.
 */
export type FunctionBuildOptions = Omit<BuildOptions, 'outfile' | 'outdir' | 'plugins' | 'write' | 'stdin'>;

/** The plugins of every function's bundle (see each one's comment). */
export const bundlePlugins = [sdkSchemaKeysPlugin];

/** Bundles one function into `outfile` with esbuild's JS API: the one way to use plugins. */
export async function bundleFunction(options: FunctionBuildOptions, outfile: string): Promise<void> {
  await build({ ...options, outfile, plugins: bundlePlugins });
}

/**
 * Run as a script by FunctionBundling (infra/bundling/function-bundling.ts) because CDK bundles synchronously and
 * esbuild's synchronous API takes no plugins: `{ options, outfile }` as JSON on stdin. esbuild prints its own
 * errors; the exit status says whether it failed.
 */
if (import.meta.main) {
  const { options, outfile } = JSON.parse(readFileSync(0, 'utf8')) as {
    options: FunctionBuildOptions;
    outfile: string;
  };
  try {
    await bundleFunction(options, outfile);
  } catch {
    process.exitCode = 1;
  }
}
