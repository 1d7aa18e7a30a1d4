import { readFileSync } from 'node:fs';
import { basename, dirname } from 'node:path';
import type {
  IPolicyValidationContext,
  IPolicyValidationPlugin,
  PolicyValidationPluginReport,
  PolicyViolation,
} from 'aws-cdk-lib';
import { policyProblems } from './local/iam/principals.ts';
import { type CfnTemplate, StackModel } from './local/template.ts';

/**
 * A synth-time check: every IAM policy of the stack must use only what the local target's evaluator understands
 * (infra/local/iam/policy.ts), or synth fails. Otherwise a new construct could bring a policy the local target
 * cannot judge, and its calls would pass locally unchecked while AWS refuses them.
 */
export class LocalIamCheck implements IPolicyValidationPlugin {
  readonly name = 'hotline-local-iam';
  readonly ruleIds = ['LocalIamUnderstood'];

  validate(context: IPolicyValidationContext): PolicyValidationPluginReport {
    const violations: PolicyViolation[] = [];
    for (const { templatePath } of context.stackTemplates) {
      const template = JSON.parse(readFileSync(templatePath, 'utf8')) as CfnTemplate;
      const model = new StackModel({
        dir: dirname(templatePath),
        stackName: basename(templatePath).replace(/\.template\.json$/, ''),
        template,
        assets: {},
        region: 'us-east-1',
      });
      for (const problem of policyProblems(model)) {
        violations.push({
          ruleName: 'LocalIamUnderstood',
          description: problem.message,
          fix: 'Use only the IAM grammar infra/local/iam/policy.ts evaluates, or teach it the new element (with tests).',
          violatingResources: [{ resourceLogicalId: problem.logicalId, templatePath, locations: [] }],
        });
      }
    }
    return { success: violations.length === 0, violations };
  }
}
