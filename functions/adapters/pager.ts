import {
  PinpointSMSVoiceV2Client,
  SendTextMessageCommand,
  SendVoiceMessageCommand,
  type VoiceId,
} from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { RetryableError } from '../core/errors.ts';
import { type PageRefusal, PageRefusedError } from '../core/pages-sms.ts';
import { isE164, redactPhone } from '../core/people.ts';
import type { PageContext, PagerSender } from '../use-cases/ports.ts';
import { port } from './capabilities.ts';
import { isTransient } from './errors.ts';
import { logger } from './logger.ts';
import { PerCallRetryStrategy, type RetryPolicy } from './retry.ts';

/**
 * Pages by SMS and voice through AWS End User Messaging SMS and Voice (v2): SendTextMessage (TRANSACTIONAL, one
 * segment) and SendVoiceMessage (plain text read by an Amazon Polly voice), from the origination identity and
 * through the configuration set the stack binds (the `pager` capability). Locally the same calls reach the
 * local target's emulator through AWS_ENDPOINT_URL.
 *
 * Sending is not idempotent: a retry after a lost reply may page twice, which beats not paging. So the retries
 * are few (throttling and 5xx, a second's worth), and then the caller hears RetryableError; a refusal the
 * service gives for good (an opted-out number, an invalid destination, no permission) is PageRefusedError, which
 * the caller records instead of retrying. Numbers are logged redacted only.
 */

export const pagerRetries: RetryPolicy = {
  maxAttempts: 3,
  baseDelayMs: 100,
  throttlingBaseDelayMs: 500,
  maxDelayMs: 2_000,
};

/** AWS's limits on a message's Context: 5 entries, keys up to 100 characters, values 1 to 800. */
const MAX_CONTEXT_ENTRIES = 5;

export interface PagerSettings {
  sms?: { originationIdentity: string; configurationSet?: string | undefined } | undefined;
  voice?: { originationIdentity: string; voiceId: string; configurationSet?: string | undefined } | undefined;
}

/** The settings the stack bound (capability `pager`): a channel with an empty identity is not configured. */
export function pagerSettingsFromEnv(env: NodeJS.ProcessEnv = process.env): PagerSettings {
  const value = (name: string) => env[name] || undefined;
  const smsIdentity = value('PAGER_SMS_ORIGINATION_IDENTITY');
  const voiceIdentity = value('PAGER_VOICE_ORIGINATION_IDENTITY');
  return {
    sms: smsIdentity
      ? { originationIdentity: smsIdentity, configurationSet: value('PAGER_SMS_CONFIGURATION_SET') }
      : undefined,
    voice: voiceIdentity
      ? {
          originationIdentity: voiceIdentity,
          voiceId: value('PAGER_VOICE_ID') ?? 'JOANNA',
          configurationSet: value('PAGER_VOICE_CONFIGURATION_SET'),
        }
      : undefined,
  };
}

export function createSmsVoiceClient(
  config: ConstructorParameters<typeof PinpointSMSVoiceV2Client>[0] = {},
): PinpointSMSVoiceV2Client {
  return new PinpointSMSVoiceV2Client({
    maxAttempts: pagerRetries.maxAttempts,
    retryStrategy: new PerCallRetryStrategy(pagerRetries),
    ...config,
  });
}

/** Context entries AWS accepts: non-empty values, cut to its limits, at most five. */
function contextOf(context: PageContext): Record<string, string> {
  return Object.fromEntries(
    Object.entries(context)
      .filter(([key, value]) => key.trim() !== '' && value.trim() !== '')
      .slice(0, MAX_CONTEXT_ENTRIES)
      .map(([key, value]) => [key.slice(0, 100), value.trim().slice(0, 800)]),
  );
}

/** What a refusal is, for the record; undefined for an error worth retrying later. */
export function refusalOf(error: unknown): { reason: PageRefusal; detail: string } | undefined {
  if (!(error instanceof Error)) return undefined;
  const reasonCode = (error as { Reason?: unknown }).Reason;
  const detail = typeof reasonCode === 'string' ? `${error.name}/${reasonCode}` : error.name;
  if (error.name === 'ConflictException' && reasonCode === 'DESTINATION_PHONE_NUMBER_OPTED_OUT')
    return { reason: 'opted-out', detail };
  if (error.name === 'ValidationException') return { reason: 'invalid', detail };
  if (
    error.name === 'ServiceQuotaExceededException' &&
    typeof reasonCode === 'string' &&
    reasonCode.startsWith('MONTHLY_SPEND_LIMIT_REACHED')
  )
    return { reason: 'spend-limit', detail };
  if (
    [
      'AccessDeniedException',
      'ResourceNotFoundException',
      'ServiceQuotaExceededException',
      'ConflictException',
    ].includes(error.name)
  )
    return { reason: 'not-permitted', detail };
  return undefined;
}

export function smsVoicePager(
  client: PinpointSMSVoiceV2Client,
  settings: PagerSettings = pagerSettingsFromEnv(),
): PagerSender {
  const send = async (
    channel: 'sms' | 'voice',
    to: string,
    context: PageContext,
    command: () => SendTextMessageCommand | SendVoiceMessageCommand,
  ): Promise<{ messageId: string }> => {
    const shown = redactPhone(to);
    if (!isE164(to)) {
      // Never sent: AWS would refuse it the same way, and the number is not logged whole.
      throw new PageRefusedError('invalid', 'NotE164', `the ${channel} destination ${shown} is not E.164`);
    }
    try {
      const result = await client.send(command() as SendTextMessageCommand);
      const messageId = result.MessageId ?? '';
      logger.info('page sent', { channel, to: shown, messageId, ...context });
      return { messageId };
    } catch (error) {
      const refusal = refusalOf(error);
      if (refusal) {
        logger.warn('page refused', { channel, to: shown, ...refusal, ...context });
        throw new PageRefusedError(
          refusal.reason,
          refusal.detail,
          `the ${channel} page to ${shown} was refused (${refusal.detail}): ${(error as Error).message}`,
        );
      }
      if (isTransient(error)) {
        logger.warn('page failed, retry later', {
          channel,
          to: shown,
          error: (error as Error).name,
          ...context,
        });
        throw new RetryableError(
          `the ${channel} page to ${shown} failed for now: ${(error as Error).message}`,
        );
      }
      throw error;
    }
  };

  const notConfigured = (channel: 'sms' | 'voice', to: string) =>
    new PageRefusedError(
      'not-permitted',
      'NotConfigured',
      `the organisation configures no ${channel} origination identity (paging.${channel}): no ${channel} page to ${redactPhone(to)}`,
    );

  return {
    async sendText(to, body, context) {
      const sms = settings.sms;
      if (!sms) throw notConfigured('sms', to);
      return send('sms', to, context, () => {
        const ctx = contextOf(context);
        return new SendTextMessageCommand({
          DestinationPhoneNumber: to,
          OriginationIdentity: sms.originationIdentity,
          MessageBody: body,
          MessageType: 'TRANSACTIONAL',
          ...(sms.configurationSet ? { ConfigurationSetName: sms.configurationSet } : {}),
          ...(Object.keys(ctx).length > 0 ? { Context: ctx } : {}),
        });
      });
    },
    async sendVoice(to, text, context) {
      const voice = settings.voice;
      if (!voice) throw notConfigured('voice', to);
      return send('voice', to, context, () => {
        const ctx = contextOf(context);
        return new SendVoiceMessageCommand({
          DestinationPhoneNumber: to,
          OriginationIdentity: voice.originationIdentity,
          MessageBody: text,
          MessageBodyTextType: 'TEXT',
          VoiceId: voice.voiceId.toUpperCase() as VoiceId,
          ...(voice.configurationSet ? { ConfigurationSetName: voice.configurationSet } : {}),
          ...(Object.keys(ctx).length > 0 ? { Context: ctx } : {}),
        });
      });
    },
  };
}

/** Built once per execution environment, on first use (linkedTo keeps it), with its one client. */
export const pagerPort = port('pager', () => smsVoicePager(createSmsVoiceClient()));

/** The text channel alone (`pager:text`): answers by SMS from the same identity; no voice settings are bound. */
export const textPagerPort = port('pager:text', () =>
  smsVoicePager(createSmsVoiceClient(), { sms: pagerSettingsFromEnv().sms }),
);
