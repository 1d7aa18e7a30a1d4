import { z } from 'zod';
import { isE164 } from './people.ts';

/**
 * The organisation's `paging` section: how SMS and voice pages leave through AWS End User Messaging SMS and
 * Voice (v2). The origination identities and configuration sets are the user's (requested, registered and
 * provisioned outside the template, as the README explains); the stack grants the pager exactly these.
 */

/** A phone number id or pool id as the service issues them (`phone-` / `pool-` and 32 hex digits). */
const PHONE_NUMBER_ID = /^phone-[0-9a-f]{32}$/;
const POOL_ID = /^pool-[0-9a-f]{32}$/;
/** A sender ID: 1 to 11 letters, digits, `-` or `_`, not all digits (carriers refuse numeric sender IDs). */
const SENDER_ID = /^(?!\d+$)[A-Za-z0-9_-]{1,11}$/;
/** The ARN of a phone number, sender ID (`sender-id/<id>/<country>`) or pool. */
const IDENTITY_ARN =
  /^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:(phone-number\/phone-[0-9a-f]{32}|pool\/pool-[0-9a-f]{32}|sender-id\/[A-Za-z0-9_-]{1,11}\/[A-Z]{2})$/;
/** A configuration set: its name, or its ARN. */
const CONFIGURATION_SET_NAME = /^[A-Za-z0-9_-]{1,64}$/;
const CONFIGURATION_SET_ARN =
  /^arn:aws[a-z-]*:sms-voice:[a-z0-9-]+:\d{12}:configuration-set\/[A-Za-z0-9_-]{1,64}$/;

export type OriginationIdentityKind = 'phone-number' | 'phone-number-id' | 'pool-id' | 'sender-id' | 'arn';

/** What kind of origination identity a configured value is, or undefined when it is none. */
export function originationIdentityKind(
  value: string,
  channel: 'sms' | 'voice' = 'sms',
): OriginationIdentityKind | undefined {
  if (IDENTITY_ARN.test(value))
    return channel === 'voice' && value.includes(':sender-id/') ? undefined : 'arn';
  if (isE164(value)) return 'phone-number';
  if (PHONE_NUMBER_ID.test(value)) return 'phone-number-id';
  if (POOL_ID.test(value)) return 'pool-id';
  // A voice call needs a number to call from: sender IDs are for texts only.
  if (channel === 'sms' && SENDER_ID.test(value)) return 'sender-id';
  return undefined;
}

const IDENTITY_MESSAGE =
  'must be an origination phone number in E.164 form (+12065550100), a phone number id (phone-...), a pool id (pool-...), a sender ID (1-11 letters and digits) or the ARN of one';

const smsIdentity = z
  .string()
  .refine((v) => originationIdentityKind(v, 'sms') !== undefined, IDENTITY_MESSAGE);
const voiceIdentity = z
  .string()
  .refine(
    (v) => originationIdentityKind(v, 'voice') !== undefined,
    'must be an origination phone number in E.164 form, a phone number id (phone-...), a pool id (pool-...) or the ARN of one (a sender ID cannot place a call)',
  );
const configurationSet = z
  .string()
  .refine(
    (v) => CONFIGURATION_SET_NAME.test(v) || CONFIGURATION_SET_ARN.test(v),
    'must be a configuration set name (letters, digits, - and _, up to 64) or its ARN',
  );

/**
 * The Amazon Polly voices SendVoiceMessage takes, as the SDK's VoiceId enumeration names them (upper case on the
 * wire; the configuration accepts any case).
 */
export const VOICE_IDS = [
  'AMY',
  'ASTRID',
  'BIANCA',
  'BRIAN',
  'CAMILA',
  'CARLA',
  'CARMEN',
  'CELINE',
  'CHANTAL',
  'CONCHITA',
  'CRISTIANO',
  'DORA',
  'EMMA',
  'ENRIQUE',
  'EWA',
  'FILIZ',
  'GERAINT',
  'GIORGIO',
  'GWYNETH',
  'HANS',
  'INES',
  'IVY',
  'JACEK',
  'JAN',
  'JOANNA',
  'JOEY',
  'JUSTIN',
  'KARL',
  'KENDRA',
  'KIMBERLY',
  'LEA',
  'LIV',
  'LOTTE',
  'LUCIA',
  'LUPE',
  'MADS',
  'MAJA',
  'MARLENE',
  'MATHIEU',
  'MATTHEW',
  'MAXIM',
  'MIA',
  'MIGUEL',
  'MIZUKI',
  'NAJA',
  'NICOLE',
  'PENELOPE',
  'RAVEENA',
  'RICARDO',
  'RUBEN',
  'RUSSELL',
  'SALLI',
  'SEOYEON',
  'TAKUMI',
  'TATYANA',
  'VICKI',
  'VITORIA',
  'ZEINA',
  'ZHIYU',
] as const;
export type VoiceId = (typeof VOICE_IDS)[number];

const voiceId = z
  .string()
  .transform((v) => v.toUpperCase())
  .refine((v): v is VoiceId => (VOICE_IDS as readonly string[]).includes(v), {
    message: `must be an Amazon Polly voice SendVoiceMessage takes (e.g. Joanna, Matthew, Amy, Brian)`,
  });

export const pagingConfig = z
  .object({
    sms: z
      .object({
        /** Where texts come from: a phone number, sender ID or pool (id or ARN), provisioned by you. */
        originationIdentity: smsIdentity,
        /** The configuration set texts go through (delivery events, two-way SMS's topic), if any. */
        configurationSet: configurationSet.optional(),
        /**
         * An alert storm's limit: at most this many page texts (and as many calls, counted apart) to one person in
         * a clock hour; the next is a summary saying further pages come by mail only until the hour ends, and the
         * rest are held, written on their incident's timeline and mailed (core/page-storm.ts). Unset: no limit.
         */
        maxPerHour: z.number().int().min(1).max(120).optional(),
      })
      .optional(),
    voice: z
      .object({
        originationIdentity: voiceIdentity,
        voiceId: voiceId.default('JOANNA'),
        /** The storm limit for calls: at most this many page calls to one person an hour (default: `sms.maxPerHour`). */
        maxPerHour: z.number().int().min(1).max(120).optional(),
        configurationSet: configurationSet.optional(),
      })
      .optional(),
  })
  .refine((p) => p.sms !== undefined || p.voice !== undefined, 'configure sms, voice or both');

export type PagingConfig = z.output<typeof pagingConfig>;

/**
 * The IAM resource an origination identity is authorised as (sms-voice:Send*Message on the phone number, sender
 * ID or pool; the Service Authorization Reference's resource types). A phone number given as a number is known
 * to IAM only by its id, which the configuration does not say: it is every phone number of the account
 * (`phone-number/*`), and the README recommends giving the id or ARN instead. A sender ID's ARN ends in its
 * country, which a bare sender ID does not say: every country (`sender-id/<id>/*`).
 */
export function originationIdentityResource(
  identity: string,
  arn: (resource: string) => string,
): { arn: string; exact: boolean } {
  const kind = originationIdentityKind(identity);
  switch (kind) {
    case 'arn':
      return { arn: identity, exact: true };
    case 'phone-number-id':
      return { arn: arn(`phone-number/${identity}`), exact: true };
    case 'pool-id':
      return { arn: arn(`pool/${identity}`), exact: true };
    case 'sender-id':
      return { arn: arn(`sender-id/${identity}/*`), exact: false };
    case 'phone-number':
      return { arn: arn('phone-number/*'), exact: false };
    default:
      throw new Error(`not an origination identity: ${identity}`);
  }
}

/** The IAM resource of a configuration set (named or given by ARN). */
export function configurationSetResource(nameOrArn: string, arn: (resource: string) => string): string {
  return nameOrArn.startsWith('arn:') ? nameOrArn : arn(`configuration-set/${nameOrArn}`);
}

/** A configuration set's name, from its name or ARN. */
export function configurationSetName(nameOrArn: string): string {
  return nameOrArn.startsWith('arn:') ? (nameOrArn.split('/').pop() ?? nameOrArn) : nameOrArn;
}
