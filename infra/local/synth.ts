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
}

/** Returns the assembly directory; the template is `<dir>/<stackName>.template.json`. */
export async function synthesize(options: SynthesizeOptions): Promise<string> {
  const organisation =
    options.organisation ?? (await loadOrganisation(options.organisationPath)).organisation;
  const outdir = resolve(options.outdir);
  const { app } = buildApp({
    organisation,
    outdir,
    nag: false,
    bundle: true,
    ...(options.stackName ? { stackName: options.stackName } : {}),
  });
  app.synth();
  return outdir;
}
