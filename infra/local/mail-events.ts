import { randomUUID } from 'node:crypto';
import { snsLambdaEvent } from './sms-voice.ts';
import type { StackModel } from './template.ts';
import type { TopicSubscription } from './topics.ts';

/**
 * The configuration set's events, locally: each mail the functions send through the SES front (v2 SendEmail)
 * with a configuration set that has an SNS event destination in the template is followed, shortly after, by the
 * events SES would publish there, delivered to the topic's Lambda subscribers as SNS delivers them. What each
 * recipient gets is what the SES mailbox simulator gives on AWS: `bounce@simulator.amazonses.com` bounces (hard),
 * `complaint@...` is delivered and complained about, `suppressionlist@...` bounces as suppressed, `success@...`
 * and any other address is delivered. Tests may say otherwise for an address (`setMailOutcome`). Only the event
 * types the destination matches are sent. A hard bounce or a complaint puts the address on the account's
 * suppression list (ses-account.ts), and later mail to it bounces as suppressed, as on AWS; the simulator's own
 * addresses never go on it.
 */

export type LocalMailOutcome = 'delivery' | 'bounce' | 'complaint' | 'suppressed' | 'reject';
export type MailOutcomeRule = (address: string) => LocalMailOutcome | undefined;

type Log = (line: string) => void;

interface EventDestination {
  configurationSetName: string;
  topicArn: string;
  types: Set<string>;
}

/** The SNS event destinations of the template's configuration sets. */
export function mailEventDestinations(model: StackModel): EventDestination[] {
  return model.resourcesOfType('AWS::SES::ConfigurationSetEventDestination').flatMap(([id, r]) => {
    const p = model.resolve(r.Properties ?? {}, `${id}.Properties`) as {
      ConfigurationSetName?: string;
      EventDestination?: {
        Enabled?: boolean;
        MatchingEventTypes?: string[];
        SnsDestination?: { TopicARN?: string };
      };
    };
    const topicArn = p.EventDestination?.SnsDestination?.TopicARN;
    if (!p.ConfigurationSetName || !topicArn || p.EventDestination?.Enabled === false) return [];
    return [
      {
        configurationSetName: String(p.ConfigurationSetName),
        topicArn: String(topicArn),
        types: new Set((p.EventDestination?.MatchingEventTypes ?? []).map((t) => t.toLowerCase())),
      },
    ];
  });
}

/** What the mailbox simulator does with an address (AWS: docs "Using the mailbox simulator"). */
export function simulatorOutcome(address: string): LocalMailOutcome {
  const local = /^([^@+]+)(?:\+[^@]*)?@simulator\.amazonses\.com$/i.exec(address.trim())?.[1]?.toLowerCase();
  if (local === 'bounce') return 'bounce';
  if (local === 'complaint') return 'complaint';
  if (local === 'suppressionlist') return 'suppressed';
  return 'delivery';
}

interface SentMail {
  from: string;
  to: string[];
  subject: string;
  configurationSetName?: string;
  tags: Record<string, string[]>;
  messageId: string;
}

/** The SES event notifications (as SNS messages) for one recipient's outcome. */
export function sesEventMessages(mail: SentMail, recipient: string, outcome: LocalMailOutcome, at: Date) {
  const timestamp = at.toISOString();
  const common = {
    mail: {
      timestamp,
      source: mail.from,
      messageId: mail.messageId,
      destination: mail.to,
      headersTruncated: false,
      commonHeaders: { from: [mail.from], to: mail.to, subject: mail.subject },
      tags: mail.tags,
    },
  };
  const delivery = {
    eventType: 'Delivery',
    ...common,
    delivery: {
      timestamp,
      processingTimeMillis: 120,
      recipients: [recipient],
      smtpResponse: '250 2.6.0 Message received',
      reportingMTA: 'a8-1.smtp-out.amazonses.com',
    },
  };
  switch (outcome) {
    case 'delivery':
      return [{ type: 'delivery', message: delivery }];
    case 'complaint':
      return [
        { type: 'delivery', message: delivery },
        {
          type: 'complaint',
          message: {
            eventType: 'Complaint',
            ...common,
            complaint: {
              complainedRecipients: [{ emailAddress: recipient }],
              timestamp,
              feedbackId: randomUUID(),
              complaintFeedbackType: 'abuse',
            },
          },
        },
      ];
    case 'bounce':
    case 'suppressed':
      return [
        {
          type: 'bounce',
          message: {
            eventType: 'Bounce',
            ...common,
            bounce: {
              bounceType: 'Permanent',
              bounceSubType: outcome === 'suppressed' ? 'OnAccountSuppressionList' : 'General',
              bouncedRecipients: [
                {
                  emailAddress: recipient,
                  action: 'failed',
                  status: '5.1.1',
                  diagnosticCode:
                    outcome === 'suppressed'
                      ? 'Amazon SES did not send the message to this address because it is on the suppression list for your account.'
                      : 'smtp; 550 5.1.1 user unknown',
                },
              ],
              timestamp,
              feedbackId: randomUUID(),
              reportingMTA: 'dsn; a8-1.smtp-out.amazonses.com',
            },
          },
        },
      ];
    case 'reject':
      return [
        { type: 'reject', message: { eventType: 'Reject', ...common, reject: { reason: 'Bad content' } } },
      ];
  }
}

/** One v2 SendEmail request as the front saw it, or undefined for anything else (v1, raw without JSON). */
export function sentMailOf(call: { path: string; body: string; messageId: string }): SentMail | undefined {
  if (!call.path.startsWith('/v2/email/outbound-emails')) return undefined;
  let request: {
    FromEmailAddress?: string;
    Destination?: { ToAddresses?: string[]; CcAddresses?: string[]; BccAddresses?: string[] };
    ConfigurationSetName?: string;
    EmailTags?: { Name?: string; Value?: string }[];
    Content?: { Simple?: { Subject?: { Data?: string } } };
  };
  try {
    request = JSON.parse(call.body);
  } catch {
    return undefined;
  }
  const to = [
    ...(request.Destination?.ToAddresses ?? []),
    ...(request.Destination?.CcAddresses ?? []),
    ...(request.Destination?.BccAddresses ?? []),
  ];
  const tags: Record<string, string[]> = {};
  for (const tag of request.EmailTags ?? []) if (tag.Name && tag.Value) tags[tag.Name] = [tag.Value];
  return {
    from: request.FromEmailAddress ?? '',
    to,
    subject: request.Content?.Simple?.Subject?.Data ?? '',
    ...(request.ConfigurationSetName ? { configurationSetName: request.ConfigurationSetName } : {}),
    tags,
    messageId: call.messageId,
  };
}

export class LocalMailEvents {
  private readonly pending = new Set<Promise<unknown>>();
  private rule: MailOutcomeRule | undefined;

  constructor(
    private readonly destinations: readonly EventDestination[],
    private readonly subscriptions: readonly TopicSubscription[],
    private readonly deps: {
      invokeAsync: (functionArn: string, event: unknown) => Promise<unknown>;
      log: Log;
      /**
       * The account's suppression list: a hard bounce or a complaint puts the address on it, and mail to an
       * address on it bounces as suppressed, as SES does.
       */
      suppression?: {
        isSuppressed(address: string): boolean;
        suppress(address: string, reason: 'BOUNCE' | 'COMPLAINT'): void;
      };
    },
  ) {}

  /** What a test wants an address to get instead of the simulator's outcome (undefined: the simulator's). */
  setOutcome(rule: MailOutcomeRule | undefined, options: { holdUntil?: Promise<unknown> } = {}): void {
    this.rule = rule;
    this.hold = options.holdUntil;
  }

  /** Events of the mails sent while it is set wait for it (a test's way to order a late bounce after a wait). */
  private hold: Promise<unknown> | undefined;

  /** After SES accepted a message: its events, a moment later (SES publishes within seconds). */
  sent(call: { path: string; body: string; messageId: string }): void {
    const mail = sentMailOf(call);
    if (!mail?.configurationSetName) return;
    const destinations = this.destinations.filter(
      (d) => d.configurationSetName === mail.configurationSetName,
    );
    if (destinations.length === 0) return;
    const hold = this.hold;
    const work = new Promise((resolve) => setTimeout(resolve, 50).unref())
      .then(() => hold)
      .then(() => this.publish(mail, destinations))
      .catch((error: Error) => this.deps.log(`[ses] mail events of ${mail.messageId}: ${error.message}`));
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Waits for the events in flight (a stopping target). */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async publish(mail: SentMail, destinations: readonly EventDestination[]): Promise<void> {
    for (const recipient of mail.to) {
      // The mailbox simulator's addresses never go on the suppression list (AWS keeps them off it).
      const simulated = /@simulator\.amazonses\.com$/i.test(recipient.trim());
      const suppression = simulated ? undefined : this.deps.suppression;
      const outcome =
        this.rule?.(recipient) ??
        (suppression?.isSuppressed(recipient) ? 'suppressed' : simulatorOutcome(recipient));
      if (outcome === 'bounce') suppression?.suppress(recipient, 'BOUNCE');
      if (outcome === 'complaint') suppression?.suppress(recipient, 'COMPLAINT');
      for (const { type, message } of sesEventMessages(mail, recipient, outcome, new Date())) {
        for (const destination of destinations) {
          if (!destination.types.has(type)) continue;
          const targets = this.subscriptions.filter(
            (s) => s.topic === destination.topicArn && s.protocol === 'lambda',
          );
          for (const [i, subscription] of targets.entries()) {
            const event = snsLambdaEvent(
              destination.topicArn,
              `${destination.topicArn}:local-subscription-${i + 1}`,
              JSON.stringify(message),
            );
            await this.deps.invokeAsync(subscription.endpoint, event);
          }
        }
      }
    }
  }
}
