import { SESv2Client, SendEmailCommand } from '@aws-sdk/client-sesv2';
import type { StackModel } from './template.ts';

/**
 * The stack's SNS topics, locally, as far as their email subscriptions go: what is published to a topic (an
 * alarm's state change, a Lambda destination's invocation record) is mailed to each email subscriber through the
 * local SES, as SNS would mail it. Other protocols are not delivered (the stack has none).
 */

export interface TopicSubscription {
  topic: string;
  protocol: string;
  endpoint: string;
}

type Log = (line: string) => void;

/** SNS's email subject when the publisher gives none (Lambda destinations give none). */
export const DEFAULT_EMAIL_SUBJECT = 'AWS Notification Message';

export function subscriptionsFromTemplate(model: StackModel): TopicSubscription[] {
  return model.resourcesOfType('AWS::SNS::Subscription').map(([id, r]) => {
    const p = model.resolve(r.Properties ?? {}, `${id}.Properties`) as Record<string, unknown>;
    return { topic: String(p.TopicArn), protocol: String(p.Protocol), endpoint: String(p.Endpoint) };
  });
}

export class LocalTopics {
  private readonly ses: SESv2Client;
  private readonly sent: Promise<unknown>[] = [];
  /** Topic ARN -> the name its mails come from: the topic's DisplayName, as SNS uses it, or AWS Notifications. */
  private readonly senders = new Map<string, string>();

  constructor(
    model: StackModel,
    private readonly subscriptions: readonly TopicSubscription[],
    private readonly options: { sesUrl: string; region: string; log: Log },
  ) {
    for (const [id, r] of model.resourcesOfType('AWS::SNS::Topic')) {
      const displayName = r.Properties?.DisplayName;
      this.senders.set(model.arn(id), typeof displayName === 'string' ? displayName : 'AWS Notifications');
    }
    this.ses = new SESv2Client({
      endpoint: options.sesUrl,
      region: options.region,
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
  }

  /** Whether the ARN names a topic of the stack. */
  has(topicArn: string): boolean {
    return this.senders.has(topicArn);
  }

  emailSubscribers(topicArn: string): string[] {
    return this.subscriptions
      .filter((s) => s.topic === topicArn && s.protocol === 'email')
      .map((s) => s.endpoint);
  }

  /** Mails the message to the topic's email subscribers, as SNS does (the message is the mail's text). */
  publish(topicArn: string, message: { subject?: string; text: string }): Promise<void> {
    const delivery = this.deliver(topicArn, message);
    this.sent.push(delivery);
    return delivery;
  }

  /** Mails in flight, for a clean stop. */
  async settle(): Promise<void> {
    await Promise.allSettled(this.sent);
  }

  private async deliver(topicArn: string, message: { subject?: string; text: string }): Promise<void> {
    const recipients = this.emailSubscribers(topicArn);
    const name = topicArn.split(':').pop();
    if (recipients.length === 0) {
      this.options.log(`[sns] ${name}: no email subscriber, nothing mailed`);
      return;
    }
    const text = [
      message.text,
      '',
      '--',
      `(Sent by the local target, as the email subscriptions of ${name} would on AWS.)`,
    ].join('\n');
    try {
      await this.ses.send(
        new SendEmailCommand({
          FromEmailAddress: `${this.senders.get(topicArn) ?? 'AWS Notifications'} <no-reply@sns.amazonaws.com>`,
          Destination: { ToAddresses: recipients },
          Content: {
            Simple: {
              Subject: { Data: message.subject ?? DEFAULT_EMAIL_SUBJECT },
              Body: { Text: { Data: text } },
            },
          },
        }),
      );
      this.options.log(`[sns] ${name}: mailed ${recipients.join(', ')}`);
    } catch (error) {
      this.options.log(`[sns] ${name}: the mail failed: ${(error as Error).message}`);
    }
  }
}

/** The ARN of the KMS key a topic of the stack is encrypted with, if any (publishing needs its use). */
export function topicKeyArn(model: StackModel, topicArn: string): string | undefined {
  for (const [id, r] of model.resourcesOfType('AWS::SNS::Topic')) {
    if (model.arn(id) !== topicArn) continue;
    const key = r.Properties?.KmsMasterKeyId;
    return key === undefined ? undefined : model.resolveString(key, `${id}.Properties.KmsMasterKeyId`);
  }
  return undefined;
}
