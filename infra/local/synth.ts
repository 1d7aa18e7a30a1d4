import { resolve } from 'node:path';
import type { Organisation } from '../../functions/core/config.ts';
import { buildApp } from '../build-app.ts';
import { loadOrganisation } from '../config.ts';

/**
 * Synthesizes the real stack into a cloud assembly for the local target: bundled (the local target runs the
 * bundles) and without cdk-nag (findings are a deploy concern, and they would stop a laptop run).
 */

export interface SynthesizeOptions {
  outdir: string;
  /** An already validated organisation; else it is loaded from `organisationPath` (or the default file). */
  organisation?: Organisation;
  organisationPath?: string;
  /** @default 'Hotline' */
  stackName?: string;
  /**
   * Leave out the bundler's lines for every function (CDK's "Bundling asset ..." and esbuild's file sizes);
   * esbuild's warnings and errors, and any failure, still print. @default false
   */
  quiet?: boolean;
}

/** Returns the assembly directory; the template is `<dir>/<stackName>.template.json`. */
export async function synthesize(options: SynthesizeOptions): Promise<string> {
  const organisation =
    options.organisation ?? (await loadOrganisation(options.organisationPath)).organisation;
  const outdir = resolve(options.outdir);
  const restore = options.quiet ? withoutBundlingProgress() : () => undefined;
  try {
    // Bundling runs as the stack's functions are constructed, so the quiet spans building the app too.
    const { app } = buildApp({
      organisation,
      outdir,
      nag: false,
      bundle: true,
      quietBundling: options.quiet ?? false,
      ...(options.stackName ? { stackName: options.stackName } : {}),
    });
    app.synth();
  } finally {
    restore();
  }
  return outdir;
}

/** CDK writes "Bundling asset <path>..." to stderr for every function: drop those lines until restored. */
function withoutBundlingProgress(): () => void {
  const write = process.stderr.write;
  const progress = /^Bundling asset \S+\.\.\.\r?\n$/;
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
    if (typeof chunk === 'string' && progress.test(chunk)) return true;
    return (write as (...args: unknown[]) => boolean).call(process.stderr, chunk, ...rest);
  }) as typeof process.stderr.write;
  return () => {
    process.stderr.write = write;
  };
}
