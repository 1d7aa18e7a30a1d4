import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
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

/** The real stack on the local target, from the assembly the global setup synthesized, with its own data. */
export async function startHotline(options: Partial<StartLocalTargetOptions> = {}): Promise<HotlineTarget> {
  const dir = mkdtempSync(join(tmpdir(), 'hotline-target-'));
  const target = await startLocalTarget({
    assemblyDir: inject('hotlineAssembly'),
    stackName: 'Hotline',
    dataDir: join(dir, 'data'),
    ports: { api: 0, ses: 0, aws: 0, dynamodb: 0 },
    log: () => undefined,
    ...options,
  });
  return {
    target,
    secretOf(source) {
      const entry = Object.entries(target.secrets).find(([name]) =>
        name.toLowerCase().endsWith(source.toLowerCase()),
      );
      if (!entry) throw new Error(`no secret for ${source} among ${Object.keys(target.secrets).join(', ')}`);
      return (JSON.parse(entry[1]) as { current: string }).current;
    },
    operator: () => ({ authorization: `Bearer ${target.operatorToken}` }),
    async stop() {
      await target.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
