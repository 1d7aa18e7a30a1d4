import type { StackModel } from '../template.ts';
import { type NamedPolicy, type PolicyDocument, unsupportedElements } from './policy.ts';

/**
 * The principals of the synthesized template and their identity policies, as the template has them (intrinsics
 * resolved to the local values): each function's role, the state machine's role, the Scheduler's role. Also the
 * functions' resource policies (AWS::Lambda::Permission), which say who may invoke them.
 */

export interface Principal {
  /** What logs and the usage report name it by: the function id, else the role's construct id. */
  name: string;
  roleLogicalId: string;
  /** The ARN AWS names the caller by in an AccessDenied message. */
  arn: string;
  policies: NamedPolicy[];
}

/** The access key id a function calls the local endpoints with: `local-<FunctionId>`. */
export const functionAccessKey = (functionId: string) => `local-${functionId}`;
/** The administrator's key (the AWS CLI, tests, the local target itself): not checked. */
export const ADMIN_ACCESS_KEY = 'local';

const logicalIdOf = (value: unknown): string | undefined => {
  if (value && typeof value === 'object') {
    const v = value as Record<string, unknown>;
    if (typeof v.Ref === 'string') return v.Ref;
    const getAtt = v['Fn::GetAtt'];
    if (Array.isArray(getAtt) && typeof getAtt[0] === 'string') return getAtt[0];
  }
  return undefined;
};

/**
 * The AWS managed policies the local target knows, by ARN (their documents as AWS publishes them). CDK attaches
 * the basic execution role to a function that gets no role of its own; any other managed policy stops the local
 * target, which cannot know its grants.
 */
export const knownManagedPolicies: Record<string, PolicyDocument> = {
  'arn:aws:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole': {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents'],
        Resource: '*',
      },
    ],
  },
};

const managedPolicyArns = (model: StackModel, roleLogicalId: string): string[] => {
  const arns = model.resource(roleLogicalId).Properties?.ManagedPolicyArns;
  if (!Array.isArray(arns)) return [];
  return arns.map((arn, i) => model.resolveString(arn, `${roleLogicalId}.ManagedPolicyArns[${i}]`));
};

/**
 * The identity policies attached to a role: its inline Policies, the AWS::IAM::Policy resources naming it and
 * the AWS managed policies the local target knows.
 */
export function rolePolicies(model: StackModel, roleLogicalId: string): NamedPolicy[] {
  const role = model.resource(roleLogicalId);
  const policies: NamedPolicy[] = managedPolicyArns(model, roleLogicalId)
    .filter((arn) => knownManagedPolicies[arn])
    .map((arn) => ({ name: arn, document: knownManagedPolicies[arn] as PolicyDocument }));
  const inline = (role.Properties?.Policies ?? []) as Array<{
    PolicyName?: unknown;
    PolicyDocument?: unknown;
  }>;
  for (const [i, policy] of inline.entries()) {
    policies.push({
      name: `${roleLogicalId}.Policies[${i}]`,
      document: model.resolve(policy.PolicyDocument, `${roleLogicalId}.Policies[${i}]`) as PolicyDocument,
    });
  }
  for (const [id, resource] of model.resourcesOfType('AWS::IAM::Policy')) {
    const roles = (resource.Properties?.Roles ?? []) as unknown[];
    if (!roles.some((r) => logicalIdOf(r) === roleLogicalId)) continue;
    policies.push({
      name: id,
      document: model.resolve(resource.Properties?.PolicyDocument, `${id}.PolicyDocument`) as PolicyDocument,
    });
  }
  return policies;
}

export function rolePrincipal(
  model: StackModel,
  roleLogicalId: string,
  session: string,
  name?: string,
): Principal {
  return {
    name: name ?? model.readableName(roleLogicalId),
    roleLogicalId,
    arn: `arn:aws:sts::${model.account}:assumed-role/${model.physicalName(roleLogicalId)}/${session}`,
    policies: rolePolicies(model, roleLogicalId),
  };
}

/** Each function's principal by the access key it calls with (`local-<FunctionId>`). */
export function functionPrincipals(model: StackModel): Map<string, Principal> {
  const principals = new Map<string, Principal>();
  for (const [logicalId, resource] of model.resourcesOfType('AWS::Lambda::Function')) {
    const roleId = logicalIdOf(resource.Properties?.Role);
    if (!roleId) continue;
    const functionId = model.readableName(logicalId);
    principals.set(
      functionAccessKey(functionId),
      rolePrincipal(model, roleId, model.physicalName(logicalId), functionId),
    );
  }
  return principals;
}

/** The role a resource runs with (`RoleArn` of a state machine, a schedule's target). */
export function roleOf(value: unknown): string | undefined {
  return logicalIdOf(value);
}

/** A function's resource policy statement, from an AWS::Lambda::Permission. */
export interface LambdaPermission {
  logicalId: string;
  functionArn: string;
  action: string;
  principal: string;
  sourceArn?: string;
  sourceAccount?: string;
}

export function lambdaPermissions(model: StackModel): LambdaPermission[] {
  return model.resourcesOfType('AWS::Lambda::Permission').map(([logicalId, resource]) => {
    const p = resource.Properties ?? {};
    const resolved = (key: string) =>
      p[key] === undefined ? undefined : model.resolveString(p[key], `${logicalId}.${key}`);
    const name = resolved('FunctionName') ?? '';
    const functionArn = name.startsWith('arn:')
      ? name
      : `arn:aws:lambda:${model.region}:${model.account}:function:${name}`;
    return {
      logicalId,
      functionArn,
      action: resolved('Action') ?? '',
      principal: resolved('Principal') ?? '',
      ...(resolved('SourceArn') ? { sourceArn: resolved('SourceArn') as string } : {}),
      ...(resolved('SourceAccount') ? { sourceAccount: resolved('SourceAccount') as string } : {}),
    };
  });
}

export interface PolicyProblem {
  logicalId: string;
  message: string;
}

/**
 * What the local evaluator does not understand in the template's identity policies, and the IAM features it does
 * not model (managed policies, permission boundaries): the local target refuses to start on any, and synth
 * refuses too (infra/iam-check.ts), so a new construct cannot pass unchecked.
 */
export function policyProblems(model: StackModel): PolicyProblem[] {
  const problems: PolicyProblem[] = [];
  const add = (logicalId: string, message: string) => problems.push({ logicalId, message });
  for (const [roleId, role] of model.resourcesOfType('AWS::IAM::Role')) {
    const props = role.Properties ?? {};
    for (const arn of managedPolicyArns(model, roleId)) {
      if (!knownManagedPolicies[arn])
        add(
          roleId,
          `${roleId}: the managed policy ${arn} is not known locally (its grants cannot be evaluated)`,
        );
    }
    if (props.PermissionsBoundary !== undefined)
      add(roleId, `${roleId}: permission boundaries are not evaluated locally`);
    for (const policy of rolePolicies(model, roleId)) {
      const owner = model.template.Resources[policy.name] ? policy.name : roleId;
      for (const message of unsupportedElements(policy)) add(owner, message);
    }
  }
  for (const type of ['AWS::IAM::ManagedPolicy', 'AWS::IAM::User', 'AWS::IAM::Group']) {
    for (const [id] of model.resourcesOfType(type)) add(id, `${id}: ${type} is not evaluated locally`);
  }
  for (const [id, resource] of model.resourcesOfType('AWS::IAM::Policy')) {
    const props = resource.Properties ?? {};
    const attached = (key: string) => Array.isArray(props[key]) && (props[key] as unknown[]).length > 0;
    if (attached('Users') || attached('Groups'))
      add(id, `${id}: policies of users or groups are not evaluated locally`);
  }
  for (const permission of lambdaPermissions(model)) {
    if (permission.action !== 'lambda:InvokeFunction')
      add(
        permission.logicalId,
        `${permission.logicalId}: only lambda:InvokeFunction permissions are evaluated locally`,
      );
  }
  return problems;
}
