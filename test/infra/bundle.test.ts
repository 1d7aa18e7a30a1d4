import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Template } from 'aws-cdk-lib/assertions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Organisation } from '../../functions/core/config.ts';
import { buildApp } from '../../infra/build-app.ts';
import { organisationDefine } from '../../infra/constructs/incident-function.ts';
import { type FunctionId, functionSpecs, type HotlineStack } from '../../infra/hotline-stack.ts';
import { staticallyImported } from '../bench/bundles.ts';
import { exampleOrganisation, logicalId } from './stack.ts';

// The one test that synthesizes with bundling: every other infra test synthesizes without it.
describe('function bundles', () => {
  let organisation: Organisation;
  let stack: HotlineStack;
  let outdir: string;
  let template: Template;
  beforeAll(async () => {
    organisation = await exampleOrganisation();
    outdir = mkdtempSync(join(tmpdir(), 'hotline-bundle-'));
    const built = buildApp({ organisation, outdir, nag: false });
    built.app.synth();
    stack = built.stack;
    template = Template.fromStack(stack);
  });
  afterAll(() => rmSync(outdir, { recursive: true, force: true }));

  const bundleDir = (id: FunctionId): string => {
    const fn = template.findResources('AWS::Lambda::Function')[logicalId(stack.functions[id])];
    const key = fn?.Properties.Code.S3Key as string;
    return join(outdir, `asset.${key.replace(/\.zip$/, '')}`);
  };
  const ids = (): FunctionId[] => Object.keys(stack.functions) as FunctionId[];

  it('defines the organisation as the JSON string the functions parse', () => {
    const define = organisationDefine(organisation)['process.env.ORGANISATION_CONFIG'] as string;
    expect(JSON.parse(JSON.parse(define))).toEqual(organisation);
  });

  it('bundles each handler as ESM with a require shim, its own AWS SDK, a source map and the organisation', () => {
    for (const id of ids()) {
      const dir = bundleDir(id);
      const code = readFileSync(join(dir, 'index.mjs'), 'utf8');
      expect(
        code.startsWith("import { createRequire } from 'module'; const require = createRequire("),
        id,
      ).toBe(true);
      // Matches printed instead of the whole bundle when an assertion fails.
      const first = (pattern: RegExp) => code.match(pattern)?.[0] ?? null;
      expect(first(/export\s*\{[^}]*\bas handler\b[^}]*\}/), id).not.toBeNull();
      // An external SDK would remain as an import of @aws-sdk/... (SDK error messages mention require() too).
      expect(first(/(\bfrom|\bimport\()\s*["']@aws-sdk\/[^"']+["']/), id).toBeNull();
      expect(first(/process\.env\.ORGANISATION_CONFIG/), id).toBeNull();
      expect(first(/\/\/# sourceMappingURL=index\.mjs\.map\s*$/), id).not.toBeNull();
      expect(existsSync(join(dir, 'index.mjs.map')), id).toBe(true);
      // The map serves stack traces (adapters/stack-traces.ts), which need positions, not the sources' text.
      const map = JSON.parse(readFileSync(join(dir, 'index.mjs.map'), 'utf8')) as {
        sourcesContent?: unknown;
      };
      expect(map.sourcesContent, id).toBeUndefined();
    }
  });

  it('writes what a cold start reads in ASCII only (V8 holds a module with one other character as two-byte)', () => {
    // esbuild escapes other characters in strings, but not in tagged templates (html`…`, whose raw text would
    // change) nor in regular expressions: the sources write those with \u escapes. Measured on LinkDecision: the
    // same bundle with its 4 non-ASCII characters escaped imports 6% faster (median of 41 interleaved pairs).
    for (const id of ids()) {
      for (const file of staticallyImported(join(bundleDir(id), 'index.mjs'))) {
        const code = readFileSync(file, 'latin1');
        const other = /.{0,40}[\u0080-\u00ff]+.{0,10}/.exec(code)?.[0] ?? null;
        expect(other, `${id} ${file}`).toBeNull();
      }
    }
  });

  const mapSources = (file: string): string[] =>
    (JSON.parse(readFileSync(file, 'utf8')) as { sources: string[] }).sources;
  /** The sources of every module of the function's asset: its entry and the chunks it loads on first use. */
  const sourcesOf = (id: FunctionId): string[] =>
    readdirSync(bundleDir(id))
      .filter((name) => name.endsWith('.mjs.map'))
      .flatMap((name) => mapSources(join(bundleDir(id), name)));
  const entrySourcesOf = (id: FunctionId): string[] => mapSources(join(bundleDir(id), 'index.mjs.map'));

  it('keeps the document and MIME libraries in the functions that use them, without their dead weight', () => {
    const packagesOf = (id: FunctionId) =>
      new Set(
        sourcesOf(id).flatMap((source) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1] ?? []),
      );
    const holding = (name: string) => ids().filter((id) => packagesOf(id).has(name));
    // The functions that render the postmortem document (its HTML) and those that mail reports (raw MIME).
    // WorkflowStep mails the rendering kept when approval was requested (core/document-render.ts).
    // Not LinkDecision: the postmortem editor, which asks approvers, is a function of its own.
    expect(holding('markdown-it').sort()).toEqual(['PostmortemEditor', 'Postmortems']);
    // ...in a chunk loaded on first use (adapters/document-renderer.ts), not in what a cold start imports.
    for (const id of ['PostmortemEditor', 'Postmortems'] as const) {
      expect(
        entrySourcesOf(id).filter((s) => s.includes('/markdown-it/')),
        id,
      ).toEqual([]);
      const rendering = readdirSync(bundleDir(id)).filter(
        (name) =>
          name.endsWith('.mjs.map') &&
          mapSources(join(bundleDir(id), name)).some((s) => s.includes('/markdown-it/')),
      );
      expect(rendering, id).toHaveLength(1);
      const chunk = readFileSync(join(bundleDir(id), (rendering[0] as string).replace(/\.map$/, '')), 'utf8');
      expect(chunk.startsWith("import { createRequire } from 'module';"), id).toBe(true);
    }
    // The sweeps publish a metric only when they have something to count: Powertools Metrics is a chunk they load
    // then (adapters/metrics.ts), not part of every run's cold start.
    expect(holding('@aws-lambda-powertools/metrics').sort()).toEqual([
      'SweepActionReminders',
      'SweepUnstartedWorkflows',
    ]);
    for (const id of ['SweepActionReminders', 'SweepUnstartedWorkflows'] as const)
      expect(
        entrySourcesOf(id).filter((s) => s.includes('/@aws-lambda-powertools/metrics/')),
        id,
      ).toEqual([]);
    // postal-mime reads the replies; of its HTML entity table, the bundle keeps Latin-1 and punctuation
    // (infra/bundling/html-entities.ts).
    expect(holding('postal-mime')).toEqual(['MailReplies']);
    const replies = readFileSync(join(bundleDir('MailReplies'), 'index.mjs'), 'utf8');
    expect(replies.includes('"&eacute;"'), 'MailReplies keeps &eacute;').toBe(true);
    expect(replies.includes('CounterClockwiseContourIntegral'), 'MailReplies drops the rest').toBe(false);
    // The SDK's browser user agent parser, a chunk nothing loads in Node, is stood in for.
    expect(holding('bowser')).toEqual([]);
    expect(holding('mimetext').sort()).toEqual(['Reports', 'RunSloReport', 'SendSloReports']);
    // mimetext checks a content type with mime-types (and its database) and trims with core-js: stood in for.
    expect(holding('mime-db')).toEqual([]);
    expect(holding('mime-types')).toEqual([]);
    expect(holding('core-js-pure')).toEqual([]);
    // Zod only where something is parsed: not in a function that only mails what the workflow asks it to.
    expect(holding('zod')).not.toContain('RecordWorkflowFailure');
    // No client of ours has an event stream operation: the SDK's support for them is stood in for.
    expect(
      ids().filter((id) =>
        sourcesOf(id).some((s) => s.includes('@smithy/core/dist-es/submodules/event-streams/')),
      ),
    ).toEqual([]);
  });

  it('keeps only the SES v2 operation schemas a function uses (the SDK schema plugin, infra/bundling)', () => {
    const mailers = ids().filter((id) => sourcesOf(id).some((s) => s.includes('@aws-sdk/client-sesv2/')));
    expect(mailers).not.toEqual([]);
    for (const id of mailers) {
      const code = readFileSync(join(bundleDir(id), 'index.mjs'), 'utf8');
      // SendEmail's route stays; the schemas of operations no function calls do not.
      expect(code.includes('/v2/email/outbound-emails'), id).toBe(true);
      expect(code.includes('BatchGetMetricDataRequest'), id).toBe(false);
      expect(code.includes('/v2/email/identities'), id).toBe(false);
    }
  });

  it('bakes in each function its own declared capabilities, not the table of every function', () => {
    for (const id of ids()) {
      const code = readFileSync(join(bundleDir(id), 'index.mjs'), 'utf8');
      // The table's entries are object literals with a handlerFile: none is left in a bundle.
      expect(/handlerFile:/.exec(code)?.[0] ?? null, id).toBeNull();
      // linkedTo's list, as the define put it in (the one JSON.parse of a capability list).
      expect(code.includes(`JSON.parse('${JSON.stringify(functionSpecs[id].uses)}')`), id).toBe(true);
    }
  });

  it('inlines the organisation where a handler reads it', () => {
    const address = organisation.operators[0] as string;
    const inlined = ids().filter((id) =>
      readFileSync(join(bundleDir(id), 'index.mjs'), 'utf8').includes(address),
    );
    expect(inlined).not.toEqual([]);
  });
});
