import type { LocalMessage } from './sms-voice.ts';
import { snsLambdaEvent } from './sms-voice.ts';
import type { StackModel } from './template.ts';
import type { TopicSubscription } from './topics.ts';

/**
 * The SMS and voice configuration sets' events, locally: each text or call the functions send through the local
 * End User Messaging SMS and Voice with a configuration set that has an SNS event destination in the template is
 * followed, shortly after, by the events the service would publish there (as JSON, each an SNS notification
 * delivered to the topic's Lambda subscribers): a text is accepted by the carrier (TEXT_SUCCESSFUL, not final)
 * then delivered (TEXT_DELIVERED), a call is initiated (VOICE_INITIATED) then completed (VOICE_COMPLETED). Tests
 * may give a number another final event (`setPhoneOutcome`: TEXT_BLOCKED, VOICE_NO_ANSWER...). Only the event
 * types the destination matches are sent.
 */

type Log = (line: string) => void;
export type PhoneChannel = 'sms' | 'voice';
/** The final event type a test wants a number's texts or calls to get (undefined: delivered or answered). */
export type PhoneOutcomeRule = (to: string, channel: PhoneChannel) => string | undefined;

interface PhoneEventDestination {
  configurationSetName: string;
  topicArn: string;
  types: Set<string>;
}

/** The SNS event destinations of the template's SMS and voice configuration sets. */
export function phoneEventDestinations(model: StackModel): PhoneEventDestination[] {
  return model.resourcesOfType('AWS::SMSVOICE::ConfigurationSet').flatMap(([id, r]) => {
    const p = model.resolve(r.Properties ?? {}, `${id}.Properties`) as {
      EventDestinations?: {
        Enabled?: boolean;
        MatchingEventTypes?: string[];
        SnsDestination?: { TopicArn?: string };
      }[];
    };
    const name = model.physicalName(id);
    return (p.EventDestinations ?? []).flatMap((d) => {
      const topicArn = d.SnsDestination?.TopicArn;
      if (!topicArn || d.Enabled === false) return [];
      return [
        { configurationSetName: name, topicArn: String(topicArn), types: new Set(d.MatchingEventTypes) },
      ];
    });
  });
}

const DESCRIPTIONS: Record<string, string> = {
  TEXT_SUCCESSFUL: 'Message has been accepted by phone carrier',
  TEXT_DELIVERED: 'Message has been delivered to the handset',
  TEXT_BLOCKED: 'Destination phone number blocked',
  TEXT_CARRIER_BLOCKED: 'Message blocked by the carrier',
  TEXT_INVALID: 'Destination phone number is invalid',
  TEXT_UNREACHABLE: 'Destination phone number is unreachable',
  TEXT_CARRIER_UNREACHABLE: 'Carrier is unreachable',
  TEXT_TTL_EXPIRED: 'Message was not delivered before its time to live',
  VOICE_INITIATED: 'Call initiated',
  VOICE_COMPLETED: 'Call completed',
  VOICE_BUSY: 'The line was busy',
  VOICE_NO_ANSWER: 'The call was not answered',
  VOICE_FAILED: 'The call failed',
};

function matches(types: Set<string>, type: string): boolean {
  return types.has(type) || types.has('ALL') || types.has(`${type.split('_')[0]}_ALL`);
}

/** The events (as the service publishes them) of one message, given its final event type. */
export function phoneEventMessages(message: LocalMessage, final: string, at: Date) {
  const sms = message.channel === 'sms';
  const event = (eventType: string, isFinal: boolean) => ({
    eventType,
    eventVersion: '1.0',
    eventTimestamp: at.getTime(),
    isFinal,
    originationPhoneNumber: message.from,
    destinationPhoneNumber: message.to,
    isInternationalSend: false,
    messageId: message.messageId,
    messageRequestTimestamp: Date.parse(message.at),
    ...(sms ? { messageEncoding: 'GSM', messageType: 'TRANSACTIONAL', totalMessageParts: 1 } : {}),
    messageStatus: eventType.replace(/^(TEXT|VOICE)_/, ''),
    messageStatusDescription: DESCRIPTIONS[eventType] ?? eventType,
    ...(message.context ? { context: message.context } : {}),
    totalMessagePrice: 0,
    totalCarrierFee: 0,
  });
  return [event(sms ? 'TEXT_SUCCESSFUL' : 'VOICE_INITIATED', false), event(final, true)];
}

export class LocalPhoneEvents {
  private readonly pending = new Set<Promise<unknown>>();
  private rule: PhoneOutcomeRule | undefined;

  constructor(
    private readonly destinations: readonly PhoneEventDestination[],
    private readonly subscriptions: readonly TopicSubscription[],
    private readonly deps: {
      invokeAsync: (functionArn: string, event: unknown) => Promise<unknown>;
      log: Log;
    },
  ) {}

  setOutcome(rule: PhoneOutcomeRule | undefined): void {
    this.rule = rule;
  }

  /** After the service accepted a text or call: its events, a moment later. */
  sent(message: LocalMessage): void {
    const setName = message.configurationSet?.split('/').pop();
    if (!setName) return;
    const destinations = this.destinations.filter((d) => d.configurationSetName === setName);
    if (destinations.length === 0) return;
    const final =
      this.rule?.(message.to, message.channel) ??
      (message.channel === 'sms' ? 'TEXT_DELIVERED' : 'VOICE_COMPLETED');
    // The carrier's receipt comes seconds later on AWS; a moment here, after the send is recorded.
    const work = new Promise((resolve) => setTimeout(resolve, 250).unref())
      .then(() => this.publish(message, final, destinations))
      .catch((error: Error) => this.deps.log(`[sms-voice] events of ${message.messageId}: ${error.message}`));
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  /** Waits for the events in flight. */
  async settle(): Promise<void> {
    await Promise.all([...this.pending]);
  }

  private async publish(
    message: LocalMessage,
    final: string,
    destinations: readonly PhoneEventDestination[],
  ): Promise<void> {
    for (const event of phoneEventMessages(message, final, new Date())) {
      for (const destination of destinations) {
        if (!matches(destination.types, event.eventType)) continue;
        const targets = this.subscriptions.filter(
          (s) => s.topic === destination.topicArn && s.protocol === 'lambda',
        );
        for (const [i, subscription] of targets.entries()) {
          await this.deps.invokeAsync(
            subscription.endpoint,
            snsLambdaEvent(
              destination.topicArn,
              `${destination.topicArn}:local-subscription-${i + 1}`,
              JSON.stringify(event),
            ),
          );
        }
      }
    }
  }
}
