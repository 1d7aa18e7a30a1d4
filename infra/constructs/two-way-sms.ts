import { Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';

/** The construct id the local target finds the topic by (infra/local/sms-voice.ts TWO_WAY_SMS_TOPIC_ID). */
export const TWO_WAY_SMS_TOPIC_ID = 'TwoWaySmsTopic';

/** The service that publishes inbound texts (two-way SMS) to a topic: AWS End User Messaging SMS and Voice. */
export const SMS_VOICE_PRINCIPAL = 'sms-voice.amazonaws.com';

/**
 * The topic two-way SMS publishes replies to the origination number to (the user points the number's two-way
 * SMS at it, README), always in the stack: a topic costs nothing until something is published, and a stack that
 * adds SMS paging later needs no other change. Encrypted at rest with the key the operators' topic already uses
 * (a second customer managed key would cost another dollar a month; the AWS managed SNS key cannot be used, as its
 * key policy cannot let the service publish), whose policy lets End User Messaging SMS use it for this account.
 * Only that service, on behalf of this account, may publish (and only over TLS).
 */
export function twoWaySmsTopic(scope: Construct, key: kms.Key): sns.Topic {
  const account = Stack.of(scope).account;
  const topic = new sns.Topic(scope, TWO_WAY_SMS_TOPIC_ID, {
    displayName: 'Hotline SMS replies',
    masterKey: key,
    enforceSSL: true,
  });
  topic.addToResourcePolicy(
    new iam.PolicyStatement({
      sid: 'TwoWaySmsPublishes',
      principals: [new iam.ServicePrincipal(SMS_VOICE_PRINCIPAL)],
      actions: ['sns:Publish'],
      resources: [topic.topicArn],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
  );
  key.addToResourcePolicy(
    new iam.PolicyStatement({
      principals: [new iam.ServicePrincipal(SMS_VOICE_PRINCIPAL)],
      actions: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      resources: ['*'],
      conditions: { StringEquals: { 'aws:SourceAccount': account } },
    }),
  );
  return topic;
}
