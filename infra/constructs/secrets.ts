import { ArnFormat, CustomResource, RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import { Construct } from 'constructs';
import type { Organisation } from '../../functions/core/config.ts';
import type { SecureParameterProperties } from '../../functions/core/secure-parameters.ts';
import { IncidentFunction } from './incident-function.ts';

/**
 * Alert sources that authenticate with a shared credential; each gets its own parameter. CloudWatch (through SNS)
 * is not here: SNS signs its messages with AWS's key and the topics are allowed by configuration.
 */
export const alertSources = ['alertmanager', 'grafana', 'datadog', 'pagerduty', 'generic'] as const;
export type AlertSource = (typeof alertSources)[number];

/** `alertmanager` -> `Alertmanager`, for construct ids; `alertmanager` -> `ALERTMANAGER`, for env names. */
export const pascalCase = (source: string): string =>
  source
    .split(/[^a-zA-Z0-9]+/)
    .filter(Boolean)
    .map((part) => part[0]?.toUpperCase() + part.slice(1))
    .join('');
export const envPrefix = (source: string): string => source.toUpperCase().replace(/[^A-Z0-9]+/g, '_');

/**
 * PagerDuty integration (routing) keys are 32 characters and some Events API clients check that; every other
 * source gets 48.
 */
export const credentialLength = (source: string): number => (source === 'pagerduty' ? 32 : 48);

/**
 * The construct ids of the Secrets Manager secrets of 0.2.0, at the stack's root: CloudFormation's logical ids
 * are these followed by CDK's hash (`AlertSourceSecretAlertmanager1A2B3C4D`). An upgrade carries their values.
 */
export const LEGACY_ALERT_SOURCE_SECRET = 'AlertSourceSecret';
export const LEGACY_LINK_SIGNING_KEYS = 'LinkSigningKeys';

/** Where a stack's credentials live in Parameter Store: one path per stack, so stacks never share one. */
export const parameterPath = (stackName: string): string => `/hotline/${stackName}`;
export const alertSourceParameterName = (stackName: string, source: string): string =>
  `${parameterPath(stackName)}/alert-sources/${source}`;
export const linkSigningKeysParameterName = (stackName: string): string =>
  `${parameterPath(stackName)}/link-signing-keys`;

/** A SecureString parameter the stack made: what a function is bound to (its name, and its ARN for the grant). */
export interface SecureParameter {
  readonly parameterName: string;
  readonly parameterArn: string;
  readonly resource: CustomResource;
}

export interface CredentialsProps {
  readonly organisation: Organisation;
  /** Keep the parameters when the stack is deleted, as the table is kept. */
  readonly retainData: boolean;
  readonly logRemovalPolicy: RemovalPolicy;
}

/**
 * The stack's credentials as SSM SecureString parameters, standard tier (free; a Secrets Manager secret costs
 * $0.40 a month), encrypted with the AWS managed key (free), one parameter per credential so each function is
 * granted only its own. CloudFormation can neither create a SecureString nor generate a value, so each is a
 * `Custom::SecureStringParameter` backed by one small function of the stack (functions/handlers/secure-parameter.ts)
 * that runs only at deploy and answers CloudFormation itself.
 *
 * The values keep the shapes and the rotation promise the secrets had. An alert source's credential is
 * `{"current": "..."}`; a rotation adds `"previous"` and later drops it, and every string value is accepted, so
 * senders move to the new value with no window where either is refused. The link keys are
 * `{"activeKeyId": "k1", "k1": "..."}`: new links are signed with the active key and any key present verifies.
 * A deploy never changes a value (an update changes nothing, a create keeps an existing parameter), so a
 * rotation done with `aws ssm put-parameter --overwrite` stays. No Secrets Manager-style rotation function: the
 * alert credential is shared with an external sender it cannot update, and replacing the link keys would void
 * every link in flight.
 */
export class Credentials extends Construct {
  readonly function: IncidentFunction;
  readonly alertSources: Record<AlertSource, SecureParameter>;
  readonly linkSigningKeys: SecureParameter;
  private readonly retainData: boolean;

  constructor(scope: Construct, id: string, props: CredentialsProps) {
    super(scope, id);
    this.retainData = props.retainData;
    const stackName = Stack.of(this).stackName;
    this.function = new IncidentFunction(this, 'SecureParameterFunction', {
      handlerFile: 'secure-parameter',
      kind: 'workflow',
      organisation: props.organisation,
      description:
        'Hotline: creates the SecureString parameters of the stack (custom resource, deploy time only)',
      memoryMb: 256,
      logRemovalPolicy: props.logRemovalPolicy,
    });
    this.alertSources = Object.fromEntries(
      alertSources.map((source) => [
        source,
        this.parameter(`AlertSourceCredential${pascalCase(source)}`, {
          Name: alertSourceParameterName(stackName, source),
          Description: `Hotline: credential the ${source} alert source presents on POST /alerts/${source}`,
          Template: '{}',
          GenerateKey: 'current',
          Length: credentialLength(source),
          LegacySecretLogicalId: `${LEGACY_ALERT_SOURCE_SECRET}${pascalCase(source)}`,
          Shape: 'alert-source-credential',
        }),
      ]),
    ) as Record<AlertSource, SecureParameter>;
    this.linkSigningKeys = this.parameter('LinkSigningKeys', {
      Name: linkSigningKeysParameterName(stackName),
      Description: 'Hotline: keys that sign the action links sent by email',
      Template: '{"activeKeyId":"k1"}',
      GenerateKey: 'k1',
      Length: 64,
      LegacySecretLogicalId: LEGACY_LINK_SIGNING_KEYS,
      Shape: 'link-signing-keys',
    });
    this.grantLegacySecrets(stackName);
  }

  /**
   * An upgrade from 0.2.0 carries the values of its Secrets Manager secrets over (functions/adapters/
   * legacy-secrets.ts): the function lists the secrets tagged with this stack's name and reads the one of each
   * credential. ListSecrets has no resource-level permission (Service Authorization Reference, AWS Secrets
   * Manager: its resource is `*`). GetSecretValue is granted on the names CloudFormation gave the 0.2.0 secrets
   * (the logical id, a hyphen and random characters: the Secrets Manager User Guide's "Create an AWS Secrets
   * Manager secret with CloudFormation" names its example `CloudFormationCreatedSecret-a1b2c3d4e5f6`; this account
   * and region) AND only while the secret carries this stack's
   * `aws:cloudformation:stack-name` tag: either alone would be looser (the names match another Hotline stack's
   * secrets in the account; the tag alone matches any secret of this stack). Never read by the functions.
   */
  private grantLegacySecrets(stackName: string): void {
    const role = this.function.executionRole;
    const secretArn = (prefix: string) =>
      Stack.of(this).formatArn({
        service: 'secretsmanager',
        resource: 'secret',
        resourceName: `${prefix}*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
    // Its own policy, so the findings it raises are acknowledged here with their reasons.
    const policy = new iam.Policy(this, 'LegacySecretsPolicy', {
      roles: [role],
      statements: [
        new iam.PolicyStatement({ actions: ['secretsmanager:ListSecrets'], resources: ['*'] }),
        new iam.PolicyStatement({
          actions: ['secretsmanager:GetSecretValue'],
          resources: [secretArn(LEGACY_ALERT_SOURCE_SECRET), secretArn(LEGACY_LINK_SIGNING_KEYS)],
          conditions: {
            StringEquals: { 'secretsmanager:ResourceTag/aws:cloudformation:stack-name': stackName },
          },
        }),
      ],
    });
    // The function answers CloudFormation itself: it must be able to read before any custom resource runs.
    for (const resource of [...Object.values(this.alertSources), this.linkSigningKeys])
      resource.resource.node.addDependency(policy);
    Validations.of(policy).acknowledge(
      {
        id: 'AwsSolutions-IAM5[Resource::*]',
        reason:
          'secretsmanager:ListSecrets has no resource-level permission; the function lists only to find the 0.2.0 secrets of this stack (filtered by its stack-name tag) once at deploy.',
      },
      ...[LEGACY_ALERT_SOURCE_SECRET, LEGACY_LINK_SIGNING_KEYS].map((prefix) => ({
        id: `AwsSolutions-IAM5[Resource::arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:${prefix}*]`,
        reason: `The 0.2.0 secrets have names CloudFormation generated (${prefix}<hash>-<random>), known only by prefix; GetSecretValue is further limited to secrets tagged with this stack's name, and only read once at deploy to carry their values over.`,
      })),
    );
  }

  private parameter(id: string, props: Omit<SecureParameterProperties, 'Retain'>): SecureParameter {
    const parameterArn = Stack.of(this).formatArn({
      service: 'ssm',
      resource: 'parameter',
      // A path name starts with `/`, which the ARN does not repeat: `parameter/hotline/...`.
      resourceName: props.Name.replace(/^\//, ''),
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const resource = new CustomResource(this, id, {
      serviceToken: this.function.functionArn,
      resourceType: 'Custom::SecureStringParameter',
      properties: { ...props, Retain: this.retainData },
      // As the table: kept when the stack goes (CloudFormation then sends no Delete); the handler checks Retain
      // too, for a Delete that comes anyway (a replaced resource).
      removalPolicy: this.retainData ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY,
    });
    // Exactly this parameter; DeleteParameter only where the stack deletes its data. No KMS grant: the AWS
    // managed key aws/ssm is usable by the account's principals through Parameter Store.
    iam.Grant.addToPrincipal({
      grantee: this.function,
      actions: this.retainData ? ['ssm:PutParameter'] : ['ssm:PutParameter', 'ssm:DeleteParameter'],
      resourceArns: [parameterArn],
    });
    return { parameterName: props.Name, parameterArn, resource };
  }
}
