import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import type { Organisation } from '../functions/core/config.ts';
import { quietBundlingContext } from './constructs/incident-function.ts';
import { HotlineStack } from './hotline-stack.ts';
import { LocalIamCheck } from './iam-check.ts';

export interface BuildAppOptions {
  organisation: Organisation;
  /** Cloud assembly directory. @default the CLI's (CDK_OUTDIR) or a temporary one */
  outdir?: string;
  /** Stack id and CloudFormation stack name. @default 'Hotline' */
  stackName?: string;
  /** Run cdk-nag AwsSolutions on synth; an unacknowledged finding fails it. @default true */
  nag?: boolean;
  /** Bundle the functions with esbuild. Off makes synth fast where bundles are not looked at. @default true */
  bundle?: boolean;
  /** esbuild prints only warnings and errors, not each bundle's sizes (`npm start`). @default false */
  quietBundling?: boolean;
}

/** The app as `cdk synth` builds it, for the CLI entry, tests, the local target and benchmarks alike. */
export function buildApp(options: BuildAppOptions): { app: App; stack: HotlineStack } {
  const app = new App({
    ...(options.outdir === undefined ? {} : { outdir: options.outdir }),
    context: {
      // An empty list of stacks to bundle is CDK's own switch for skipping asset bundling.
      ...(options.bundle === false ? { 'aws:cdk:bundling-stacks': [] } : {}),
      ...(options.quietBundling ? { [quietBundlingContext]: true } : {}),
    },
  });
  const stack = new HotlineStack(app, options.stackName ?? 'Hotline', { organisation: options.organisation });
  // The local target must be able to judge every policy of the stack as AWS would.
  Validations.of(app).addPlugins(new LocalIamCheck());
  if (options.nag ?? true) Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  return { app, stack };
}
