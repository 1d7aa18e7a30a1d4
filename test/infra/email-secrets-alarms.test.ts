import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { logicalId, ref, synthesized, synthesizedWithContext } from './stack.ts';

describe('email, secrets and alarms', () => {
  let stack: HotlineStack;
  let template: Template;
  beforeAll(async () => {
    ({ stack, template } = await synthesized());
  });

  it('sends through a configuration set that suppresses bounces and complaints and requires TLS', () => {
    template.resourceCountIs('AWS::SES::ConfigurationSet', 1);
    template.hasResourceProperties('AWS::SES::ConfigurationSet', {
      SuppressionOptions: { SuppressedReasons: ['BOUNCE', 'COMPLAINT'] },
      DeliveryOptions: { TlsPolicy: 'REQUIRE' },
      ReputationOptions: { ReputationMetricsEnabled: true },
      TrackingOptions: Match.absent(),
    });
  });

  it('does not track opens or clicks', () => {
    const destinations = Object.values(template.findResources('AWS::SES::ConfigurationSetEventDestination'));
    for (const destination of destinations) {
      const types = destination.Properties.EventDestination.MatchingEventTypes as string[];
      expect(types.map((t) => t.toLowerCase())).not.toContain('open');
      expect(types.map((t) => t.toLowerCase())).not.toContain('click');
    }
  });

  it('creates the sender identity from the organisation, using the configuration set', () => {
    template.hasResourceProperties('AWS::SES::EmailIdentity', {
      EmailIdentity: 'incidents@example.com',
      ConfigurationSetAttributes: { ConfigurationSetName: ref(stack.mailer.configurationSet) },
    });
  });

  it('generates one SecureString parameter per alert source and one for the link signing keys, no secret', () => {
    // Standard parameters cost nothing; a Secrets Manager secret is $0.40 a month.
    template.resourceCountIs('AWS::SecretsManager::Secret', 0);
    template.resourceCountIs('AWS::SSM::Parameter', 0);
    const parameters = template.findResources('Custom::SecureStringParameter');
    // Every source with a shared credential, and the link keys; CloudWatch authenticates by SNS signature.
    expect(Object.keys(stack.alertSourceCredentials).sort()).toEqual([
      'alertmanager',
      'datadog',
      'generic',
      'grafana',
      'pagerduty',
    ]);
    expect(Object.keys(parameters)).toHaveLength(6);
    const serviceToken = { 'Fn::GetAtt': [logicalId(stack.credentials.function), 'Arn'] };
    for (const [source, parameter] of Object.entries(stack.alertSourceCredentials)) {
      expect(parameters[logicalId(parameter.resource)]?.Properties).toEqual({
        ServiceToken: serviceToken,
        Name: `/hotline/Hotline/alert-sources/${source}`,
        Description: expect.stringContaining(`POST /alerts/${source}`),
        Template: '{}',
        GenerateKey: 'current',
        // PagerDuty routing keys are 32 characters; Events API clients may check.
        Length: source === 'pagerduty' ? 32 : 48,
        Retain: true,
        // An upgrade from 0.2.0 carries the value of the secret this parameter replaces.
        LegacySecretLogicalId: `AlertSourceSecret${source[0]?.toUpperCase()}${source.slice(1)}`,
        Shape: 'alert-source-credential',
      });
    }
    expect(parameters[logicalId(stack.linkSigningKeys.resource)]?.Properties).toMatchObject({
      ServiceToken: serviceToken,
      Name: '/hotline/Hotline/link-signing-keys',
      Template: '{"activeKeyId":"k1"}',
      GenerateKey: 'k1',
      Length: 64,
      Retain: true,
      LegacySecretLogicalId: 'LinkSigningKeys',
      Shape: 'link-signing-keys',
    });
    // Kept with the stack's data, as the table is: CloudFormation sends no Delete.
    for (const parameter of Object.values(parameters)) expect(parameter.DeletionPolicy).toBe('Retain');
  });

  it('lets the custom resource create exactly those parameters, and delete them only when data is not retained', async () => {
    const arns = [...Object.values(stack.alertSourceCredentials), stack.linkSigningKeys].map((p) =>
      JSON.stringify(stack.resolve(p.parameterArn)),
    );
    const roleId = logicalId(stack.credentials.function.executionRole);
    const ssmStatements = (t: Template, role: string) =>
      Object.values(t.findResources('AWS::IAM::Policy'))
        .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: role }]))
        .flatMap(
          (p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown; Resource: unknown }>,
        )
        .filter((st) => [st.Action].flat().some((a) => String(a).startsWith('ssm:')));
    const retained = ssmStatements(template, roleId);
    expect(retained.map((st) => st.Action)).toEqual(arns.map(() => 'ssm:PutParameter'));
    expect(retained.map((st) => JSON.stringify(st.Resource)).sort()).toEqual([...arns].sort());

    const throwAway = await synthesizedWithContext({ retainData: 'false' });
    const dropped = ssmStatements(throwAway, roleId);
    expect(dropped.map((st) => st.Action)).toEqual(
      arns.map(() => ['ssm:PutParameter', 'ssm:DeleteParameter']),
    );
    const customs = Object.values(throwAway.findResources('Custom::SecureStringParameter'));
    expect(customs.map((c) => [c.Properties.Retain, c.DeletionPolicy])).toEqual(
      customs.map(() => [false, 'Delete']),
    );
  });

  it("lets the custom resource read only this stack's 0.2.0 secrets, to carry their values over", () => {
    const roleId = logicalId(stack.credentials.function.executionRole);
    const secretStatements = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) === JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<Record<string, unknown>>)
      .filter((st) => [st.Action].flat().some((a) => String(a).startsWith('secretsmanager:')));
    const secretArn = (prefix: string) => ({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':secretsmanager:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          `:secret:${prefix}*`,
        ],
      ],
    });
    expect(secretStatements).toEqual([
      { Action: 'secretsmanager:ListSecrets', Effect: 'Allow', Resource: '*' },
      {
        Action: 'secretsmanager:GetSecretValue',
        Effect: 'Allow',
        Resource: [secretArn('AlertSourceSecret'), secretArn('LinkSigningKeys')],
        Condition: {
          StringEquals: { 'secretsmanager:ResourceTag/aws:cloudformation:stack-name': 'Hotline' },
        },
      },
    ]);
    // No function of the product reads a secret.
    const others = Object.values(template.findResources('AWS::IAM::Policy'))
      .filter((p) => JSON.stringify(p.Properties.Roles) !== JSON.stringify([{ Ref: roleId }]))
      .flatMap((p) => p.Properties.PolicyDocument.Statement as Array<{ Action: unknown }>);
    expect(others.filter((st) => JSON.stringify(st.Action).includes('secretsmanager:'))).toEqual([]);
  });

  it('exports the API URL, table, state machine and credential parameter names', () => {
    template.hasOutput('TableName', { Value: ref(stack.table) });
    template.hasOutput('StateMachineArn', { Value: ref(stack.stateMachine) });
    template.hasOutput('AlertSourceCredentialAlertmanagerParameter', {
      Value: '/hotline/Hotline/alert-sources/alertmanager',
    });
    template.hasOutput('LinkSigningKeysParameter', { Value: '/hotline/Hotline/link-signing-keys' });
    template.hasOutput('ApiUrl', {});
  });

  it('emails the operators through a TLS-only, KMS-encrypted topic when the system fails', () => {
    const topicId = logicalId(stack.alarms.topic);
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: Match.anyValue() });
    template.hasResourceProperties('AWS::KMS::Key', { EnableKeyRotation: true });
    template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'sre-platform@example.com',
      TopicArn: { Ref: topicId },
    });
    template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ExecutionsFailed',
      Namespace: 'AWS/States',
      AlarmActions: [{ Ref: topicId }],
    });
    // Which alarms, and how every function is covered by them: test/infra/operator-alarms.test.ts.
  });
});
