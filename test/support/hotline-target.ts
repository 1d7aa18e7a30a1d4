import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { inject } from 'vitest';
import { alertSourceParameterName } from '../../infra/constructs/secrets.ts';
import {
  type LocalTarget,
  type StartLocalTargetOptions,
  startLocalTarget,
} from '../../infra/local/target.ts';

export interface HotlineTarget {
  target: LocalTarget;
  /** The credential of an alert source (its `current` value). */
  secretOf(source: string): string;
  operator(): Record<string, string>;
  stop(): Promise<void>;
}

/**
 * The real stack on the local target, from the assembly the global setup synthesized, with its own data. IAM is
 * enforced as on AWS, and stopping fails the test if any call was denied (unless it expects denials); each
 * target's grant usage goes to the suite's usage folder, for the unused-grant report.
 */
export async function startHotline(
  options: Partial<StartLocalTargetOptions> & { expectDenials?: boolean } = {},
): Promise<HotlineTarget> {
  const { expectDenials, ...targetOptions } = options;
  const dir = mkdtempSync(join(tmpdir(), 'hotline-target-'));
  const usageDir = inject('hotlineIamUsage');
  const target = await startLocalTarget({
    assemblyDir: inject('hotlineAssembly'),
    stackName: 'Hotline',
    dataDir: join(dir, 'data'),
    ports: { api: 0, ses: 0, aws: 0, dynamodb: 0 },
    log: () => undefined,
    iam: 'enforce',
    ...(usageDir ? { iamUsageFile: join(usageDir, `${basename(dir)}.json`) } : {}),
    ...targetOptions,
  });
  return {
    target,
    secretOf(source) {
      const name = alertSourceParameterName(target.model.stackName, source);
      const value = target.parameters[name];
      if (value === undefined)
        throw new Error(`no parameter ${name} among ${Object.keys(target.parameters).join(', ')}`);
      return (JSON.parse(value) as { current: string }).current;
    },
    operator: () => ({ authorization: `Bearer ${target.operatorToken}` }),
    async stop() {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
      const denied = target.iam.deniedCalls();
      if (!expectDenials && denied.length > 0) {
        throw new Error(
          `IAM denied ${denied.length} call(s) on the local target, as AWS would:\n${denied
            .slice(0, 10)
            .map((d) => `  ${d.principal} ${d.action} on ${d.resource}`)
            .join('\n')}`,
        );
      }
    },
  };
}
