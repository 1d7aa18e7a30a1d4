import { Validations } from 'aws-cdk-lib';
import * as secretsmanager from 'aws-cdk-lib/aws-secretsmanager';
import type { Construct } from 'constructs';

/**
 * Alert sources that authenticate with a shared credential; each gets `AlertSourceSecret<Source>`. CloudWatch
 * (through SNS) is not here: SNS signs its messages with AWS's key and the topics are allowed by configuration.
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
 * The credential an alert source presents. The value is `{"current": "..."}`; a rotation adds `"previous"`
 * and later drops it, and every string value in the object is accepted, so senders can be moved to the new
 * value with no window where either value is refused.
 */
/**
 * PagerDuty integration (routing) keys are 32 characters and some Events API clients check that; every other
 * source gets 48.
 */
export const credentialLength = (source: string): number => (source === 'pagerduty' ? 32 : 48);

export class AlertSourceSecret extends secretsmanager.Secret {
  constructor(scope: Construct, id: string, source: string) {
    super(scope, id, {
      description: `Hotline: credential the ${source} alert source presents on POST /alerts/${source}`,
      generateSecretString: {
        secretStringTemplate: '{}',
        generateStringKey: 'current',
        excludePunctuation: true,
        passwordLength: credentialLength(source),
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'The value is shared with an external alert sender, which a rotation Lambda cannot update; rotation is the documented two-live-values procedure (add "previous", move the sender, drop it).',
    });
  }
}

/**
 * Keys that sign the links in emails: `{"activeKeyId": "k1", "k1": "..."}`. New links are signed with the
 * active key and any key present verifies, so a new key can be added and made active while old links still
 * work until the old key is removed.
 */
export class LinkSigningKeys extends secretsmanager.Secret {
  constructor(scope: Construct, id: string) {
    super(scope, id, {
      description: 'Hotline: keys that sign the action links sent by email',
      generateSecretString: {
        secretStringTemplate: '{"activeKeyId":"k1"}',
        generateStringKey: 'k1',
        excludePunctuation: true,
        passwordLength: 64,
      },
    });
    Validations.of(this).acknowledge({
      id: 'AwsSolutions-SMG4',
      reason:
        'Keys rotate by adding a new key id and making it active while older keys keep verifying links already sent; a Secrets Manager rotation replacing the value would invalidate every link in flight.',
    });
  }
}
