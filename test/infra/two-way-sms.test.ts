import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { TWO_WAY_SMS_TOPIC_ID } from '../../infra/constructs/two-way-sms.ts';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { TWO_WAY_SMS_TOPIC_ID as LOCAL_TOPIC_ID } from '../../infra/local/sms-voice.ts';
import { logicalId, synthesized } from './stack.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are read loosely
type Resource = { Properties: Record<string, any> };

describe('the two-way SMS topic', () => {
  let stack: HotlineStack;
  let template: Template;
  beforeAll(async () => {
    ({ stack, template } = await synthesized());
  });

  it('is the topic the local target delivers inbound texts to', () => {
    expect(TWO_WAY_SMS_TOPIC_ID).toBe(LOCAL_TOPIC_ID);
    expect(stack.twoWaySmsTopic.node.id).toBe(TWO_WAY_SMS_TOPIC_ID);
  });

  it("is encrypted with the operators' topic key, which lets End User Messaging SMS use it for this account only", () => {
    const topic = template.findResources('AWS::SNS::Topic')[logicalId(stack.twoWaySmsTopic)] as Resource;
    expect(topic.Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [logicalId(stack.alarms.topicKey), 'Arn'],
    });
    const key = template.findResources('AWS::KMS::Key')[logicalId(stack.alarms.topicKey)] as Resource;
    const statement = (key.Properties.KeyPolicy.Statement as Resource['Properties'][]).find(
      (s) => s.Principal?.Service === 'sms-voice.amazonaws.com',
    );
    expect(statement).toMatchObject({
      Action: ['kms:Decrypt', 'kms:GenerateDataKey*'],
      Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
    });
  });

  it('lets only End User Messaging SMS publish, for this account, over TLS', () => {
    const id = logicalId(stack.twoWaySmsTopic);
    const policies = Object.values(template.findResources('AWS::SNS::TopicPolicy')).filter((p) =>
      JSON.stringify((p as Resource).Properties.Topics).includes(id),
    ) as Resource[];
    expect(policies).toHaveLength(1);
    const statements = policies[0]?.Properties.PolicyDocument.Statement as Resource['Properties'][];
    const allows = statements.filter((s) => s.Effect === 'Allow');
    expect(allows).toEqual([
      expect.objectContaining({
        Action: 'sns:Publish',
        Principal: { Service: 'sms-voice.amazonaws.com' },
        Resource: { Ref: id },
        Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
      }),
    ]);
    expect(
      statements.some((s) => s.Effect === 'Deny' && JSON.stringify(s.Condition).includes('SecureTransport')),
    ).toBe(true);
  });

  it('delivers to SmsReplies alone, which names the topic, and names the topic in an output', () => {
    const id = logicalId(stack.twoWaySmsTopic);
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).filter(
      (s) => JSON.stringify((s as Resource).Properties.TopicArn) === JSON.stringify({ Ref: id }),
    ) as Resource[];
    expect(subscriptions.map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual([
      ['lambda', { 'Fn::GetAtt': [logicalId(stack.functions.SmsReplies), 'Arn'] }],
    ]);
    const fn = template.findResources('AWS::Lambda::Function')[
      logicalId(stack.functions.SmsReplies)
    ] as Resource;
    expect(fn.Properties.Environment.Variables.TWO_WAY_SMS_TOPIC_ARN).toEqual({ Ref: id });
    const permissions = Object.values(template.findResources('AWS::Lambda::Permission')).filter(
      (p) => (p as Resource).Properties.Principal === 'sns.amazonaws.com',
    ) as Resource[];
    expect(permissions.map((p) => p.Properties.SourceArn)).toContainEqual({ Ref: id });
    // The other SNS-invoked functions are MailEvents and MailReplies, each from its own topic alone.
    expect(permissions).toHaveLength(3);
    expect(template.findOutputs('TwoWaySmsTopicArn').TwoWaySmsTopicArn?.Value).toEqual({ Ref: id });
  });
});
