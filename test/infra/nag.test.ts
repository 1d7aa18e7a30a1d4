import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { buildApp } from '../../infra/build-app.ts';
import { exampleOrganisation } from './stack.ts';

describe('cdk-nag AwsSolutions', () => {
  const dirs: string[] = [];
  const outdir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'hotline-nag-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('finds nothing unacknowledged in the stack', async () => {
    const dir = outdir();
    const { app } = buildApp({ organisation: await exampleOrganisation(), outdir: dir, bundle: false });
    expect(() => app.synth()).not.toThrow();
    const report = join(dir, 'validation-report.json');
    if (existsSync(report)) {
      const { pluginReports } = JSON.parse(readFileSync(report, 'utf8')) as {
        pluginReports: Array<{ conclusion: string; violations: unknown[] }>;
      };
      for (const plugin of pluginReports) expect(plugin.violations).toEqual([]);
    }
  });

  it('acknowledges each finding by its exact id, on a construct, with a written reason', async () => {
    const { app } = buildApp({ organisation: await exampleOrganisation(), bundle: false, outdir: outdir() });
    const acknowledged = app.node
      .findAll()
      .flatMap((c) => c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY))
      .flatMap((m) => Object.entries(m.data as Record<string, string>));
    expect(acknowledged.length).toBeGreaterThan(0);
    for (const [id, reason] of acknowledged) {
      // cdk-nag reads acknowledgements by the bare finding id, which CDK stores in its annotation namespace.
      expect(id).toMatch(/^Annotation::AwsSolutions-[A-Z]+\d+(\[.+\])?$/);
      expect(reason.length, id).toBeGreaterThan(40);
    }
    const stackLevel = app.node.findAll().filter((c) => c.node.path === 'Hotline' || c === app);
    for (const scope of stackLevel) {
      expect(
        scope.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
      ).toEqual([]);
    }
  });

  it('has no acknowledgement left without its finding', async () => {
    // Build once with acknowledgements recorded but not applied: each must match exactly one finding.
    const acknowledged: string[] = [];
    const spy = vi.spyOn(Validations.prototype, 'acknowledge').mockImplementation(function (
      this: Validations,
      ...rules
    ) {
      const scope = (this as unknown as { scope: { node: { path: string } } }).scope;
      for (const rule of rules) acknowledged.push(`${scope.node.path}/ ${rule.id}`);
    });
    const dir = outdir();
    try {
      const { app } = buildApp({ organisation: await exampleOrganisation(), bundle: false, outdir: dir });
      expect(() => app.synth()).toThrow(/AwsSolutions/);
    } finally {
      spy.mockRestore();
    }
    const { pluginReports } = JSON.parse(readFileSync(join(dir, 'validation-report.json'), 'utf8')) as {
      pluginReports: Array<{
        violations: Array<{ ruleName: string; violatingConstructs: { constructPath: string }[] }>;
      }>;
    };
    const findings = pluginReports.flatMap((p) =>
      p.violations.flatMap((v) =>
        v.violatingConstructs.map((c) => ({ path: c.constructPath, id: v.ruleName })),
      ),
    );
    expect(findings.length).toBe(acknowledged.length);
    for (const ack of acknowledged) {
      const [scope, id] = ack.split('/ ');
      expect(
        findings.filter((f) => f.id === id && f.path.startsWith(`${scope}/`)),
        ack,
      ).toHaveLength(1);
    }
  });

  it('still fails the synth on a new finding', async () => {
    const { app, stack } = buildApp({
      organisation: await exampleOrganisation(),
      bundle: false,
      outdir: outdir(),
    });
    stack.functions.GetIncident.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['dynamodb:*'], resources: [stack.table.tableArn] }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::dynamodb:\*\]/);
  });
});
