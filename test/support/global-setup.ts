import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { synthesize } from '../../infra/local/synth.ts';
import { ensureChromium } from './chromium.ts';

/**
 * Synthesizes (and bundles) the real stack once per test run for the end-to-end tests, which each start their
 * own local target from it: bundling five functions takes seconds on a 2-core machine.
 */
export default async function setup(project: TestProject) {
  ensureChromium();
  const dir = mkdtempSync(join(tmpdir(), 'hotline-assembly-'));
  const assemblyDir = await synthesize({ outdir: join(dir, 'cdk.out'), quiet: !process.env.HOTLINE_VERBOSE });
  project.provide('hotlineAssembly', assemblyDir);
  // Every local target of the run writes the IAM grants its calls used here: `npm run iam:unused -- <folder>`
  // lists, per function, the grants no test used. Kept when HOTLINE_IAM_USAGE_DIR names it.
  const usageDir = process.env.HOTLINE_IAM_USAGE_DIR ?? join(dir, 'iam-usage');
  project.provide('hotlineIamUsage', usageDir);
  return () => rmSync(dir, { recursive: true, force: true });
}

declare module 'vitest' {
  export interface ProvidedContext {
    hotlineAssembly: string;
    hotlineIamUsage: string;
  }
}
