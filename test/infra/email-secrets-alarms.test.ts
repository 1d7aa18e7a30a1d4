import { Match, type Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { logicalId, ref, synthesized } from './stack.ts';

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

  it('generates one credential per alert source and the link signing keys', () => {
    expect(stack.alertSourceSecrets.alertmanager?.node.path).toBe('Hotline/AlertSourceSecretAlertmanager');
    expect(stack.linkSigningKeys.node.path).toBe('Hotline/LinkSigningKeys');
    const secrets = template.findResources('AWS::SecretsManager::Secret');
    // Every source with a shared credential, and the link keys; CloudWatch authenticates by SNS signature.
    expect(Object.keys(stack.alertSourceSecrets).sort()).toEqual([
      'alertmanager',
      'datadog',
      'generic',
      'grafana',
      'pagerduty',
    ]);
    expect(Object.keys(secrets)).toHaveLength(6);
    for (const [source, secret] of Object.entries(stack.alertSourceSecrets)) {
      expect(secrets[logicalId(secret)]?.Properties.GenerateSecretString).toEqual({
        SecretStringTemplate: '{}',
        GenerateStringKey: 'current',
        ExcludePunctuation: true,
        // PagerDuty routing keys are 32 characters; Events API clients may check.
        PasswordLength: source === 'pagerduty' ? 32 : 48,
      });
    }
    expect(secrets[logicalId(stack.linkSigningKeys)]?.Properties.GenerateSecretString).toEqual({
      SecretStringTemplate: '{"activeKeyId":"k1"}',
      GenerateStringKey: 'k1',
      ExcludePunctuation: true,
      PasswordLength: 64,
    });
  });

  it('exports the API URL, table, state machine and secret ARNs', () => {
    template.hasOutput('TableName', { Value: ref(stack.table) });
    template.hasOutput('StateMachineArn', { Value: ref(stack.stateMachine) });
    template.hasOutput('AlertSourceSecretAlertmanagerArn', {
      Value: ref(stack.alertSourceSecrets.alertmanager),
    });
    template.hasOutput('LinkSigningKeysArn', { Value: ref(stack.linkSigningKeys) });
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
