import { mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { synthesize } from '../../infra/local/synth.ts';
import { benchBundles, targets } from './bundles.ts';
import { benchTransitions, transitionTarget } from './transitions.ts';

/** `npm run bench`: benchmarks reported as ratios to baselines measured in the same run (never in npm test). */

const root = resolve(import.meta.dirname, '..', '..');
const work = join(root, '.local', 'bench');
rmSync(work, { recursive: true, force: true });
mkdirSync(work, { recursive: true });

const assemblyDir = await synthesize({ outdir: join(work, 'cdk.out') });
let failed = false;

console.log('\n== Function bundles: size and module init (fresh Node process, median of 21) ==');
console.log(
  `targets: bundle <= ${targets.maxBundleBytes / 1024} KB minified; init ratio <= ${targets.maxInitRatio}\n`,
);
const rows = await benchBundles(assemblyDir, 'Hotline');
console.table(
  rows.map((r) => ({
    function: r.name,
    'bundle KB': (r.bytes / 1024).toFixed(1),
    'init ms': r.initMs.toFixed(1),
    'SDK-only ms': r.baselineMs.toFixed(1),
    ratio: r.ratio.toFixed(2),
    'SDK clients': r.sdkPackages.map((p) => p.replace('@aws-sdk/', '')).join(' '),
    result: r.ok ? 'ok' : 'OVER TARGET',
  })),
);
if (rows.some((r) => !r.ok)) failed = true;

console.log(
  '\n== Step Functions transitions: a sev 2 incident, acknowledged, three on-time updates, resolved ==',
);
const transitions = await benchTransitions(assemblyDir);
console.table(Object.entries(transitions.byState).map(([state, entered]) => ({ state, entered })));
console.log(
  `transitions: ${transitions.transitions} (target <= ${transitionTarget}) ${transitions.ok ? 'ok' : 'OVER TARGET'}; ` +
    `Lambda tasks: ${transitions.lambdaTasks}; Step Functions cost per 1,000 such incidents: ` +
    `$${transitions.dollarsPer1000Incidents.toFixed(3)} (Standard, $0.025 per 1,000 transitions)`,
);
if (!transitions.ok) failed = true;

console.log(failed ? '\nbench: some targets missed' : '\nbench: all targets met');
process.exitCode = failed ? 1 : 0;
