import type { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { MAIL_REPLIES_TOPIC_ID } from '../../infra/constructs/mailer.ts';
import type { HotlineStack } from '../../infra/hotline-stack.ts';
import { exampleOrganisation, logicalId, synthesized } from './stack.ts';

// biome-ignore lint/suspicious/noExplicitAny: CloudFormation properties are read loosely
type Resource = { Properties: Record<string, any> };

describe('replies to the page mails', () => {
  let stack: HotlineStack;
  let template: Template;
  beforeAll(async () => {
    ({ stack, template } = await synthesized());
  });

  it("adds one receipt rule for the replies domain to the user's active rule set, and creates no rule set", () => {
    const rules = Object.values(template.findResources('AWS::SES::ReceiptRule')) as Resource[];
    expect(rules).toHaveLength(1);
    expect(rules[0]?.Properties).toEqual({
      RuleSetName: 'hotline',
      Rule: {
        Enabled: true,
        Recipients: ['replies.example.com'],
        ScanEnabled: true,
        Actions: [
          { SNSAction: { TopicArn: { Ref: logicalId(stack.mailRepliesTopic) }, Encoding: 'Base64' } },
        ],
      },
    });
    expect(template.findResources('AWS::SES::ReceiptRuleSet')).toEqual({});
  });

  it("publishes to a topic encrypted with the operators' key, to MailReplies alone", () => {
    expect(stack.mailRepliesTopic.node.id).toBe(MAIL_REPLIES_TOPIC_ID);
    const topic = template.findResources('AWS::SNS::Topic')[logicalId(stack.mailRepliesTopic)] as Resource;
    expect(topic.Properties.KmsMasterKeyId).toEqual({
      'Fn::GetAtt': [logicalId(stack.alarms.topicKey), 'Arn'],
    });
    const subscriptions = Object.values(template.findResources('AWS::SNS::Subscription')).filter(
      (s) =>
        JSON.stringify((s as Resource).Properties.TopicArn) ===
        JSON.stringify({ Ref: logicalId(stack.mailRepliesTopic) }),
    ) as Resource[];
    expect(subscriptions.map((s) => [s.Properties.Protocol, s.Properties.Endpoint])).toEqual([
      ['lambda', { 'Fn::GetAtt': [logicalId(stack.functions.MailReplies), 'Arn'] }],
    ]);
    const key = template.findResources('AWS::KMS::Key')[logicalId(stack.alarms.topicKey)] as Resource;
    const sesStatements = (key.Properties.KeyPolicy.Statement as Resource['Properties'][]).filter(
      (s) => s.Principal?.Service === 'ses.amazonaws.com',
    );
    // One statement for both SES topics (events and replies).
    expect(sesStatements).toHaveLength(1);
  });

  it('adds no rule when the organisation names no replies domain (the topic stays, unused)', async () => {
    const { mailReplies: _, ...organisation } = await exampleOrganisation();
    const { stack: bare, template: bareTemplate } = await synthesized(organisation);
    expect(bareTemplate.findResources('AWS::SES::ReceiptRule')).toEqual({});
    expect(bare.mailRepliesTopic).toBeDefined();
  });
});
