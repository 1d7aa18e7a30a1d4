import { resolve } from 'node:path';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import type { Organisation } from '../../functions/core/config.ts';
import { buildApp } from '../../infra/build-app.ts';
import { loadOrganisation } from '../../infra/config.ts';
import { HotlineStack } from '../../infra/hotline-stack.ts';

export const exampleOrganisationPath = resolve(import.meta.dirname, '../../infra/organisation.example.ts');

export async function exampleOrganisation(): Promise<Organisation> {
  return (await loadOrganisation(exampleOrganisationPath)).organisation;
}

/** The stack as `cdk synth` builds it, minus bundling and cdk-nag (each has its own test). */
export async function synthesized(
  organisation?: Organisation,
): Promise<{ stack: HotlineStack; template: Template }> {
  const { stack } = buildApp({
    organisation: organisation ?? (await exampleOrganisation()),
    nag: false,
    bundle: false,
  });
  return { stack, template: Template.fromStack(stack) };
}

/** A stack built with extra context, as `-c key=value` would give it. */
export async function synthesizedWithContext(context: Record<string, unknown>): Promise<Template> {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [], ...context } });
  const stack = new HotlineStack(app, 'Hotline', { organisation: await exampleOrganisation() });
  return Template.fromStack(stack);
}

/** Logical id of a construct's CloudFormation resource (its default child for L2 constructs). */
export function logicalId(construct: IConstruct): string {
  const element = (construct.node.defaultChild ?? construct) as CfnElement;
  return Stack.of(construct).getLogicalId(element);
}

export const ref = (construct: IConstruct) => ({ Ref: logicalId(construct) });
export const arnOf = (construct: IConstruct) => ({ 'Fn::GetAtt': [logicalId(construct), 'Arn'] });
