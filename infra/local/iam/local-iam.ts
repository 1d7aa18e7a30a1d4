import type { IncomingMessage } from 'node:http';
import type { LambdaRuntime } from '../functions.ts';
import type { SecretStore } from '../secrets.ts';
import type { StepFunctionsService } from '../stepfunctions.ts';
import type { StackModel } from '../template.ts';
import { type Denied, IamEnforcer, type IamMode } from './enforcer.ts';
import { authorizeCall } from './fronts.ts';
import { evaluate } from './policy.ts';
import {
  functionAccessKey,
  lambdaPermissions,
  type Principal,
  policyProblems,
  roleOf,
  rolePrincipal,
} from './principals.ts';
import { awsEndpointCall, type CallEnvironment } from './requests.ts';

/**
 * IAM for the whole local target, from the synthesized template: the functions' calls (through the fronts and
 * the local AWS endpoint), the state machine's role invoking its tasks, the Scheduler's role invoking its
 * targets, and API Gateway invoking functions under their resource policies (AWS::Lambda::Permission).
 */

export class PolicyProblemsError extends Error {
  override name = 'PolicyProblemsError';
}

export interface LocalIamOptions {
  mode: IamMode;
  log: (line: string) => void;
  usageFile?: string;
}

/** `HOTLINE_IAM=report` logs what would be denied and lets it through; anything else enforces. */
export function iamModeFromEnv(value = process.env.HOTLINE_IAM): IamMode {
  if (value === undefined || value === '' || value === 'enforce') return 'enforce';
  if (value === 'report') return 'report';
  throw new Error(`HOTLINE_IAM must be "enforce" (the default) or "report", not "${value}"`);
}

export class LocalIam {
  readonly enforcer: IamEnforcer;
  readonly env: CallEnvironment;
  private readonly roleByArn = new Map<string, string>();
  private readonly rolePrincipals = new Map<string, Principal>();

  constructor(
    private readonly model: StackModel,
    private readonly deps: {
      stepFunctions: StepFunctionsService;
      secrets: SecretStore;
      lambda: LambdaRuntime;
    },
    options: LocalIamOptions,
  ) {
    const problems = policyProblems(model);
    if (problems.length > 0) {
      throw new PolicyProblemsError(
        `The local target cannot evaluate these IAM policies of the template, so it cannot refuse what AWS would:\n  - ${problems.map((p) => p.message).join('\n  - ')}`,
      );
    }
    this.enforcer = new IamEnforcer(model, options);
    for (const [roleId] of model.resourcesOfType('AWS::IAM::Role'))
      this.roleByArn.set(model.arn(roleId), roleId);
    this.env = {
      region: model.region,
      account: model.account,
      stateMachineOfToken: (token) => deps.stepFunctions.stateMachineOfToken(token),
      secretArn: (secretId) => {
        try {
          return deps.secrets.find(secretId).arn;
        } catch {
          return undefined;
        }
      },
      secretTags: (arn) => deps.secrets.list().find((s) => s.arn === arn)?.tags,
      functionArn: (name) => deps.lambda.find(name)?.arn,
    };
    this.wireStateMachines();
  }

  /** The local AWS endpoint's authoriser (Step Functions, Secrets Manager, SSM Parameter Store, Lambda). */
  awsEndpoint = (req: IncomingMessage, body: Buffer): Denied | undefined =>
    authorizeCall(this.enforcer, req, 'aws', () => {
      let parsed: unknown = {};
      if (body.length > 0 && req.headers['x-amz-target']) parsed = JSON.parse(body.toString('utf8'));
      return awsEndpointCall(
        req.method ?? 'GET',
        req.url ?? '/',
        typeof req.headers['x-amz-target'] === 'string' ? req.headers['x-amz-target'] : undefined,
        parsed,
        this.env,
      );
    });

  /**
   * Whether a schedule's role may invoke its target: a denial's message, or undefined. Scheduler assumes the
   * role and calls the target with it, so the role's policies decide.
   */
  scheduleInvoke(roleArn: string | undefined, targetArn: string, schedule: string): string | undefined {
    const principal = this.roleFor(roleArn, `scheduler-${schedule}`);
    if (!principal)
      return `${schedule}: the target has no role the local target can find (${roleArn ?? 'none'})`;
    const action = targetArn.includes(':states:') ? 'states:StartExecution' : 'lambda:InvokeFunction';
    const refused = this.enforcer.authorize(principal, [{ action, resource: targetArn }]);
    return refused && this.enforcer.refuse(refused) ? refused.message : undefined;
  }

  /**
   * Whether Lambda may deliver a function's asynchronous invocation record to an SNS topic: a denial's message, or
   * undefined. Lambda publishes with the function's execution role, so its policies decide: sns:Publish on the
   * topic and, for an encrypted topic, kms:GenerateDataKey on the topic's key.
   */
  destinationPublish(functionId: string, topicArn: string, keyArn: string | undefined): string | undefined {
    const principal = this.enforcer.principals.get(functionAccessKey(functionId));
    if (!principal) return `${functionId}: no role the local target can find`;
    const refused = this.enforcer.authorize(principal, [
      { action: 'sns:Publish', resource: topicArn },
      ...(keyArn ? [{ action: 'kms:GenerateDataKey', resource: keyArn }] : []),
    ]);
    return refused && this.enforcer.refuse(refused) ? refused.message : undefined;
  }

  /**
   * Whether an event source mapping may read its DynamoDB stream for a function: a denial's message, or undefined.
   * Lambda's poller reads the stream with the function's execution role, and CreateEventSourceMapping checks
   * that the role may DescribeStream, GetRecords, GetShardIterator and ListStreams on the stream.
   */
  streamRead(functionId: string, streamArn: string): string | undefined {
    const principal = this.enforcer.principals.get(functionAccessKey(functionId));
    if (!principal) return `${functionId}: no role the local target can find`;
    const refused = this.enforcer.authorize(
      principal,
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
      ].map((action) => ({ action, resource: streamArn })),
    );
    return refused && this.enforcer.refuse(refused) ? refused.message : undefined;
  }

  /** Whether API Gateway may invoke the route's function for this request, under the function's resource policy. */
  apiInvoke = (functionArn: string, sourceArn: string): string | undefined => {
    const allowed = lambdaPermissions(this.model).some(
      (p) =>
        p.principal === 'apigateway.amazonaws.com' &&
        (p.functionArn === functionArn || p.functionArn === `${functionArn}:$LATEST`) &&
        evaluate(
          [
            {
              name: p.logicalId,
              document: {
                Statement: [
                  {
                    Effect: 'Allow',
                    Action: p.action,
                    Resource: p.functionArn,
                    ...(p.sourceArn ? { Condition: { ArnLike: { 'aws:SourceArn': p.sourceArn } } } : {}),
                  },
                ],
              },
            },
          ],
          {
            action: 'lambda:InvokeFunction',
            resource: p.functionArn,
            context: { 'aws:SourceArn': sourceArn },
          },
        ).allowed,
    );
    if (allowed) return undefined;
    const message = `apigateway.amazonaws.com may not invoke ${functionArn} for ${sourceArn}: no AWS::Lambda::Permission allows it`;
    const refused = this.enforcer.refuse({
      principal: 'apigateway.amazonaws.com',
      action: 'lambda:InvokeFunction',
      resource: functionArn,
      reason: 'implicit-deny',
      message,
    });
    return refused ? message : undefined;
  };

  private wireStateMachines(): void {
    const machines = this.deps.stepFunctions.stateMachines;
    this.deps.stepFunctions.authorizeInvoke = (stateMachineArn, functionRef) => {
      const machine = machines.find((m) => m.arn === stateMachineArn);
      const principal = this.roleFor(machine?.roleArn, machine?.name ?? 'StateMachine');
      const functionArn = this.deps.lambda.find(functionRef)?.arn ?? functionRef;
      if (!principal) return `${stateMachineArn} has no role the local target can find`;
      const refused = this.enforcer.authorize(principal, [
        {
          action: 'lambda:InvokeFunction',
          resource: functionRef.startsWith('arn:') ? functionRef : functionArn,
        },
      ]);
      return refused && this.enforcer.refuse(refused)
        ? `${refused.message} (Service: AWSLambda; Status Code: 403; Error Code: AccessDeniedException)`
        : undefined;
    };
  }

  private roleFor(roleArn: string | undefined, session: string): Principal | undefined {
    const roleId = roleArn ? (this.roleByArn.get(roleArn) ?? roleOf(roleArn)) : undefined;
    if (!roleId || !this.model.template.Resources[roleId]) return undefined;
    let principal = this.rolePrincipals.get(roleId);
    if (!principal) {
      principal = this.enforcer.track(rolePrincipal(this.model, roleId, session));
      this.rolePrincipals.set(roleId, principal);
    }
    return principal;
  }
}
