import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { build } from 'esbuild';
import { bundlePlugins, functionCodeOptions } from '../../infra/bundling/bundle.ts';
import { lambdaCredentialsModule, noEventStreamsModule } from '../../infra/constructs/incident-function.ts';
import { loadAssembly, StackModel } from '../../infra/local/template.ts';

/**
 * Bundle size and cold-start module init of every function, from the synthesized assembly (what deploys).
 * Init time is a ratio to a bundle holding only the same AWS SDK clients, built with the same options and timed
 * in the same run, so a noisy machine moves both sides alike: each round times every function and its baseline
 * back to back, and a function's ratio is the median of its rounds' ratios.
 */

export const targets = { maxBundleBytes: 400 * 1024, maxInitRatio: 1.3 } as const;

interface FunctionBundle {
  name: string;
  /** The entry module (what a cold start imports). */
  file: string;
  /** Every module of the asset: the entry and the chunks it loads on first use. */
  files: string[];
  sdkPackages: string[];
  /** The function's NODE_OPTIONS as deployed: a flag that costs at start (source maps) is timed with it. */
  nodeOptions: string[];
}

const root = resolve(import.meta.dirname, '..', '..');

/** The function bundles of a stack (read the way the local target reads them), with the SDK packages they hold. */
export function functionBundles(assemblyDir: string, stackName: string): FunctionBundle[] {
  const model = new StackModel(loadAssembly(assemblyDir, stackName));
  return model
    .resourcesOfType('AWS::Lambda::Function')
    .filter(
      ([, resource]) =>
        typeof (resource.Properties?.Code as { S3Key?: unknown } | undefined)?.S3Key === 'string',
    )
    .map(([logicalId, resource]) => {
      const { file, dir } = model.functionBundle(logicalId);
      const variables = (
        resource.Properties?.Environment as { Variables?: Record<string, unknown> } | undefined
      )?.Variables;
      const nodeOptions = typeof variables?.NODE_OPTIONS === 'string' ? variables.NODE_OPTIONS : '';
      const files = readdirSync(dir)
        .filter((name) => name.endsWith('.mjs'))
        .map((name) => join(dir, name));
      return {
        name: model.readableName(logicalId),
        file,
        files,
        sdkPackages: sdkPackagesOf(files.map((f) => `${f}.map`)),
        nodeOptions: nodeOptions.split(/\s+/).filter(Boolean),
      };
    })
    .sort((a, b) => a.name.localeCompare(b.name));
}

function sdkPackagesOf(sourceMaps: string[]): string[] {
  const sources = sourceMaps.flatMap(
    (map) => (JSON.parse(readFileSync(map, 'utf8')) as { sources: string[] }).sources,
  );
  const packages = new Set<string>();
  for (const source of sources) {
    const match = /node_modules\/(@aws-sdk\/(?:client-[a-z0-9-]+|lib-dynamodb))\//.exec(source);
    if (match?.[1]) packages.add(match[1]);
  }
  return [...packages].sort();
}

/**
 * A bundle module and the chunks it imports statically, transitively: what importing it reads. esbuild writes a
 * chunk's import as `from"./chunk-X.mjs"` (or `import"./chunk-X.mjs"`); a dynamic `import("./x.mjs")` is not one.
 */
export function staticallyImported(entry: string): string[] {
  const seen = new Set<string>([entry]);
  const pending = [entry];
  for (let file = pending.pop(); file !== undefined; file = pending.pop()) {
    const code = readFileSync(file, 'utf8');
    for (const [, chunk] of code.matchAll(/(?:\bfrom|\bimport)\s*["'](\.\/[^"']+\.mjs)["']/g)) {
      const path = join(dirname(file), chunk as string);
      if (!seen.has(path)) {
        seen.add(path);
        pending.push(path);
      }
    }
  }
  return [...seen];
}

const clientClass: Record<string, string> = {
  '@aws-sdk/client-dynamodb': 'DynamoDBClient',
  '@aws-sdk/client-sfn': 'SFNClient',
  '@aws-sdk/client-sesv2': 'SESv2Client',
  '@aws-sdk/client-pinpoint-sms-voice-v2': 'PinpointSMSVoiceV2Client',
  '@aws-sdk/client-secrets-manager': 'SecretsManagerClient',
  '@aws-sdk/client-ssm': 'SSMClient',
  '@aws-sdk/client-sso': 'SSOClient',
  '@aws-sdk/client-sso-oidc': 'SSOOIDCClient',
  '@aws-sdk/client-sts': 'STSClient',
};

/** A bundle that creates the same SDK clients at module load, as the functions do, and nothing else. */
async function baselineBundle(packages: string[], outdir: string): Promise<string> {
  const lines = packages.map((pkg, i) => {
    if (pkg === '@aws-sdk/lib-dynamodb')
      return `import * as m${i} from '${pkg}'; used.push(m${i}.DynamoDBDocumentClient);`;
    const cls = clientClass[pkg];
    return cls
      ? `import { ${cls} as C${i} } from '${pkg}'; used.push(new C${i}({}));`
      : `import * as m${i} from '${pkg}'; used.push(m${i});`;
  });
  const entry = join(outdir, `baseline-${packages.map((p) => p.split('/')[1]).join('+') || 'empty'}.mjs`);
  writeFileSync(entry, ['const used = [];', ...lines, 'export default used;'].join('\n'));
  const outfile = entry.replace(/\.mjs$/, '.bundle.mjs');
  await build({
    entryPoints: [entry],
    outfile,
    // The same options as the functions' bundles, credential chain and plugins (SDK schemas) included.
    ...functionCodeOptions,
    nodePaths: [join(root, 'node_modules')],
    alias: {
      '@aws-sdk/credential-provider-node': resolve(root, lambdaCredentialsModule),
      '@smithy/core/event-streams': resolve(root, noEventStreamsModule),
    },
    plugins: bundlePlugins,
    logLevel: 'silent',
  });
  return outfile;
}

/** Milliseconds to import a module in a fresh Node process (what a cold start pays for our code). */
function initMs(file: string, nodeOptions: string[] = []): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t));`;
  const result = spawnSync(process.execPath, [...nodeOptions, '--input-type=module', '-e', script], {
    encoding: 'utf8',
    env: {
      ...process.env,
      AWS_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    },
  });
  if (result.status !== 0) throw new Error(`importing ${file} failed: ${result.stderr}`);
  return Number(result.stdout);
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export interface BundleResult {
  name: string;
  /** Every module of the asset. */
  bytes: number;
  /** The entry and the chunks it imports statically: what a cold start reads (not the chunks loaded later). */
  entryBytes: number;
  initMs: number;
  baselineMs: number;
  ratio: number;
  sdkPackages: string[];
  ok: boolean;
}

export async function benchBundles(
  assemblyDir: string,
  stackName: string,
  rounds = 21,
): Promise<BundleResult[]> {
  const work = join(dirname(assemblyDir), 'bench-baselines');
  mkdirSync(work, { recursive: true });
  // One baseline per set of SDK clients, shared by the functions that hold the same set.
  const baselines = new Map<string, string>();
  const runs = [];
  for (const fn of functionBundles(assemblyDir, stackName)) {
    const key = fn.sdkPackages.join('+');
    const baseline = baselines.get(key) ?? (await baselineBundle(fn.sdkPackages, work));
    baselines.set(key, baseline);
    runs.push({ fn, baseline, own: [] as number[], base: [] as number[], ratios: [] as number[] });
  }
  // Round-robin: each round times every function once, its entry and its baseline back to back (which goes first
  // alternates), so a burst of load on a shared machine costs each function one pair of a round, not a run of its
  // pairs; a pair's ratio cancels what drifts slower than the pair. The ratio is the median of the pairs'.
  for (let round = 0; round < rounds; round++) {
    for (const run of runs) {
      const ms = { own: 0, base: 0 };
      for (const side of round % 2 === 0 ? (['own', 'base'] as const) : (['base', 'own'] as const))
        ms[side] = side === 'own' ? initMs(run.fn.file, run.fn.nodeOptions) : initMs(run.baseline);
      run.own.push(ms.own);
      run.base.push(ms.base);
      run.ratios.push(ms.own / ms.base);
    }
  }
  return runs.map(({ fn, own, base, ratios }) => {
    // The whole asset counts (chunks loaded on first use too); init is the entry's.
    const bytes = fn.files.reduce((total, file) => total + statSync(file).size, 0);
    const entryBytes = staticallyImported(fn.file).reduce((total, file) => total + statSync(file).size, 0);
    const ratio = median(ratios);
    return {
      name: fn.name,
      bytes,
      entryBytes,
      initMs: median(own),
      baselineMs: median(base),
      ratio,
      sdkPackages: fn.sdkPackages,
      ok: bytes <= targets.maxBundleBytes && ratio <= targets.maxInitRatio,
    };
  });
}
