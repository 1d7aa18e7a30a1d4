import { verify as verifySignature, X509Certificate } from 'node:crypto';
import * as z from 'zod/mini';
import { describeIssues } from '../core/validation.ts';
import type { Fetcher, Verification } from './source.ts';

/**
 * Amazon SNS HTTP/S delivery: the message envelope, its signature and the URLs it carries.
 * (docs.aws.amazon.com/sns/latest/dg/sns-verify-signature-of-message.html and the HTTP/HTTPS JSON formats.)
 *
 * SNS signs the values of fixed fields, in byte-sort order, as `Name\nvalue\n` pairs: SignatureVersion 1 with
 * SHA1withRSA, 2 with SHA256withRSA, using the key of the X.509 certificate at SigningCertURL. Trust in that
 * certificate comes from where it is fetched: HTTPS (TLS checks the host) from an SNS host of AWS. Raw message
 * delivery must stay off for HTTP/S subscriptions: a raw message carries no signature and is refused.
 */

export const SNS_MESSAGE_TYPES = [
  'Notification',
  'SubscriptionConfirmation',
  'UnsubscribeConfirmation',
] as const;
export type SnsMessageType = (typeof SNS_MESSAGE_TYPES)[number];

/** The documented string-to-sign fields per message type, already in byte-sort order. */
export const SIGNED_FIELDS: Readonly<Record<SnsMessageType, readonly string[]>> = {
  Notification: ['Message', 'MessageId', 'Subject', 'Timestamp', 'TopicArn', 'Type'],
  SubscriptionConfirmation: [
    'Message',
    'MessageId',
    'SubscribeURL',
    'Timestamp',
    'Token',
    'TopicArn',
    'Type',
  ],
  UnsubscribeConfirmation: ['Message', 'MessageId', 'SubscribeURL', 'Timestamp', 'Token', 'TopicArn', 'Type'],
};

/** A replayed message (same signature, old Timestamp) is refused after this; SNS retries end within it. */
export const REPLAY_WINDOW_MS = 60 * 60 * 1000;
/** Clocks differ a little; a Timestamp further ahead than this is not believed. */
export const CLOCK_SKEW_MS = 5 * 60 * 1000;

const CERTIFICATE_CACHE_SIZE = 20;
const CERTIFICATE_CACHE_TTL_MS = 60 * 60 * 1000;
const MAX_CERTIFICATE_CHARS = 64 * 1024;

/** `arn:<partition>:sns:<region>:<account>:<topic>`, the same shape the organisation file accepts. */
const TOPIC_ARN = /^arn:(aws[a-z-]*):sns:([a-z0-9-]+):(\d{12}):([A-Za-z0-9_-]{1,256})$/;
/**
 * The SNS endpoints of AWS: `sns.<region>.amazonaws.com` (commercial and GovCloud, e.g. us-gov-west-1) and
 * `sns.<region>.amazonaws.com.cn` (China, cn-* regions only). Anchored both ends so look-alikes such as
 * `sns.us-east-1.amazonaws.com.evil.com` or `evilsns.us-east-1.amazonaws.com` do not match.
 */
const SNS_HOST = /^sns\.([a-z]{2}(?:-[a-z]+)+-\d{1,2})\.amazonaws\.com(\.cn)?$/;

const topicArn = z.string().check(z.regex(TOPIC_ARN, 'must be an SNS topic ARN'));
const common = {
  MessageId: z.string().check(z.minLength(1), z.maxLength(128)),
  TopicArn: topicArn,
  Message: z.string(),
  Timestamp: z.string().check(z.maxLength(64)),
  SignatureVersion: z.string(),
  Signature: z.string().check(z.maxLength(2048)),
  SigningCertURL: z.string().check(z.maxLength(2048)),
};
const confirmation = {
  ...common,
  SubscribeURL: z.string().check(z.maxLength(4096)),
  Token: z.string().check(z.maxLength(2048)),
};

export const snsMessageSchema = z.discriminatedUnion('Type', [
  z.object({
    Type: z.literal('Notification'),
    ...common,
    // SNS leaves Subject out when the publisher gave none; null is read the same way (as the AWS SDKs do).
    Subject: z.optional(z.nullable(z.string())),
    UnsubscribeURL: z.optional(z.string()),
  }),
  z.object({ Type: z.literal('SubscriptionConfirmation'), ...confirmation }),
  z.object({ Type: z.literal('UnsubscribeConfirmation'), ...confirmation }),
]);

export type SnsMessage = z.infer<typeof snsMessageSchema>;

/** Reads an SNS envelope; `problem` names what is wrong (no secrets: the envelope carries none). */
export function readSnsMessage(body: unknown): { message: SnsMessage } | { problem: string } {
  const result = snsMessageSchema.safeParse(body);
  return result.success ? { message: result.data } : { problem: describeIssues(result.error) };
}

/** The canonical string SNS signed for this message type. */
export function stringToSign(message: SnsMessage): string {
  const fields = message as unknown as Record<string, unknown>;
  let out = '';
  for (const name of SIGNED_FIELDS[message.Type]) {
    const value = fields[name];
    // Only Subject is optional (Notification); every other field was required by the schema.
    if (typeof value !== 'string') continue;
    out += `${name}\n${value}\n`;
  }
  return out;
}

export interface TopicArnParts {
  partition: string;
  region: string;
  account: string;
  name: string;
}

export function topicArnParts(arn: string): TopicArnParts | undefined {
  const match = TOPIC_ARN.exec(arn);
  if (!match) return undefined;
  const [, partition = '', region = '', account = '', name = ''] = match;
  return { partition, region, account, name };
}

/** The region of an SNS host, or undefined when the host is not one of AWS's SNS endpoints. */
export function snsHostRegion(hostname: string): string | undefined {
  const match = SNS_HOST.exec(hostname);
  if (!match) return undefined;
  const [, region = '', china] = match;
  // The .com.cn suffix belongs to the China regions and only to them.
  if (Boolean(china) !== region.startsWith('cn-')) return undefined;
  return region;
}

function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

/** Why a SigningCertURL is not to be fetched, or undefined when it is an SNS certificate URL. */
export function signingCertUrlProblem(value: string): string | undefined {
  const url = parseUrl(value);
  if (!url) return 'SigningCertURL is not a URL';
  if (url.protocol !== 'https:') return 'SigningCertURL is not https';
  if (url.username || url.password || url.port || url.search || url.hash) {
    return 'SigningCertURL carries credentials, a port, a query or a fragment';
  }
  if (snsHostRegion(url.hostname) === undefined)
    return `SigningCertURL host ${url.hostname.slice(0, 80)} is not SNS`;
  if (!url.pathname.endsWith('.pem')) return 'SigningCertURL is not a .pem file';
  return undefined;
}

/**
 * Why a SubscribeURL must not be fetched, or undefined when it is the ConfirmSubscription call of this topic on
 * the topic's own regional SNS endpoint (the handler fetches it, so it must not point anywhere else).
 */
export function subscribeUrlProblem(value: string, topic: string): string | undefined {
  const url = parseUrl(value);
  const parts = topicArnParts(topic);
  if (!url) return 'SubscribeURL is not a URL';
  if (!parts) return 'TopicArn is not an SNS topic ARN';
  if (url.protocol !== 'https:') return 'SubscribeURL is not https';
  if (url.username || url.password || url.port || url.hash) {
    return 'SubscribeURL carries credentials, a port or a fragment';
  }
  const region = snsHostRegion(url.hostname);
  if (region === undefined) return 'SubscribeURL host is not SNS';
  if (region !== parts.region) return 'SubscribeURL is not on the endpoint of the topic region';
  if (url.searchParams.get('Action') !== 'ConfirmSubscription')
    return 'SubscribeURL is not a ConfirmSubscription';
  if (url.searchParams.get('TopicArn') !== topic) return 'SubscribeURL names another topic';
  return undefined;
}

interface CachedCertificate {
  certificate: X509Certificate;
  cachedUntil: number;
}

// Module memory: survives between invocations of a warm Lambda. Bounded, least recently used goes first.
const certificates = new Map<string, CachedCertificate>();

/** Test hook: forget every cached certificate. */
export function clearCertificateCache(): void {
  certificates.clear();
}

async function signingCertificate(
  url: string,
  fetcher: Fetcher,
  now: Date,
): Promise<{ certificate: X509Certificate } | { problem: string }> {
  const cached = certificates.get(url);
  if (cached && cached.cachedUntil > now.getTime()) {
    certificates.delete(url);
    certificates.set(url, cached);
    return { certificate: cached.certificate };
  }
  certificates.delete(url);

  let pem: string;
  try {
    const response = await fetcher(url);
    if (response.status !== 200) return { problem: `signing certificate fetch answered ${response.status}` };
    pem = await response.text();
  } catch (error) {
    const why = error instanceof Error ? error.message.slice(0, 200) : 'error';
    return { problem: `signing certificate could not be fetched: ${why}` };
  }
  if (pem.length > MAX_CERTIFICATE_CHARS) return { problem: 'signing certificate is too large' };

  let certificate: X509Certificate;
  try {
    certificate = new X509Certificate(pem);
  } catch {
    return { problem: 'signing certificate is not an X.509 certificate' };
  }
  const key = certificate.publicKey;
  if (key.asymmetricKeyType !== 'rsa' || (key.asymmetricKeyDetails?.modulusLength ?? 0) < 2048) {
    return { problem: 'signing certificate does not hold an RSA key of 2048 bits or more' };
  }

  certificates.set(url, { certificate, cachedUntil: now.getTime() + CERTIFICATE_CACHE_TTL_MS });
  while (certificates.size > CERTIFICATE_CACHE_SIZE) {
    const oldest = certificates.keys().next().value;
    if (oldest === undefined) break;
    certificates.delete(oldest);
  }
  return { certificate };
}

function validityProblem(certificate: X509Certificate, now: Date): string | undefined {
  const from = Date.parse(certificate.validFrom);
  const to = Date.parse(certificate.validTo);
  if (Number.isNaN(from) || Number.isNaN(to)) return 'signing certificate validity is unreadable';
  if (now.getTime() < from) return 'signing certificate is not valid yet';
  if (now.getTime() > to) return 'signing certificate has expired';
  return undefined;
}

const BASE64 = /^[A-Za-z0-9+/]+={0,2}$/;
/** SNS writes Timestamp as ISO-8601 UTC with milliseconds; Date.parse alone would accept almost anything. */
const ISO_UTC = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/;

export interface SnsVerificationOptions {
  fetch: Fetcher;
  now: Date;
  allowedTopicArns: readonly string[];
}

/**
 * Verifies an SNS message end to end: allowed topic, replay window, certificate URL, certificate, signature.
 * Never throws; the reason is for the log only. The MessageId is returned as the delivery id so a replayed
 * message (SNS reuses the MessageId on its own retries) is processed once.
 */
export async function verifySnsMessage(
  message: SnsMessage,
  options: SnsVerificationOptions,
): Promise<Verification> {
  try {
    if (!options.allowedTopicArns.includes(message.TopicArn)) {
      return {
        ok: false,
        reason: `topic ${message.TopicArn} is not in alertSources.cloudwatch.allowedTopicArns`,
      };
    }

    const sentAt = ISO_UTC.test(message.Timestamp) ? Date.parse(message.Timestamp) : Number.NaN;
    if (Number.isNaN(sentAt)) return { ok: false, reason: 'Timestamp is not an ISO-8601 UTC time' };
    const age = options.now.getTime() - sentAt;
    if (age > REPLAY_WINDOW_MS)
      return { ok: false, reason: `message is older than the replay window (${message.Timestamp})` };
    if (age < -CLOCK_SKEW_MS)
      return { ok: false, reason: `message Timestamp is in the future (${message.Timestamp})` };

    const algorithm =
      message.SignatureVersion === '1' ? 'sha1' : message.SignatureVersion === '2' ? 'sha256' : undefined;
    if (!algorithm)
      return {
        ok: false,
        reason: `SignatureVersion ${message.SignatureVersion.slice(0, 8)} is not supported`,
      };
    if (!BASE64.test(message.Signature)) return { ok: false, reason: 'Signature is not base64' };

    const urlProblem = signingCertUrlProblem(message.SigningCertURL);
    if (urlProblem) return { ok: false, reason: urlProblem };

    const fetched = await signingCertificate(message.SigningCertURL, options.fetch, options.now);
    if ('problem' in fetched) return { ok: false, reason: fetched.problem };
    const expiry = validityProblem(fetched.certificate, options.now);
    if (expiry) return { ok: false, reason: expiry };

    const valid = verifySignature(
      algorithm,
      Buffer.from(stringToSign(message), 'utf8'),
      fetched.certificate.publicKey,
      Buffer.from(message.Signature, 'base64'),
    );
    return valid
      ? { ok: true, deliveryId: message.MessageId }
      : { ok: false, reason: `signature does not match (SignatureVersion ${message.SignatureVersion})` };
  } catch (error) {
    return {
      ok: false,
      reason: `signature could not be checked: ${error instanceof Error ? error.name : 'error'}`,
    };
  }
}
