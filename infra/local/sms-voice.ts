import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import { join } from 'node:path';
import { html, joinHtml } from '../../functions/core/html/html.ts';
import { pageHeaders, pageShell } from '../../functions/core/html/page.ts';
import { VOICE_IDS } from '../../functions/core/paging-config.ts';
import { localRoute, readBody } from './admin-api.ts';
import { readJson, writeJson } from './data-files.ts';
import { ServiceError } from './errors.ts';
import type { StackModel } from './template.ts';
import type { TopicSubscription } from './topics.ts';

/**
 * AWS End User Messaging SMS and Voice (v2) for the local target: SendTextMessage and SendVoiceMessage over the
 * SDK's awsJson1.0 protocol (`X-Amz-Target: PinpointSMSVoiceV2.<Op>`) on the local AWS endpoint, validated as
 * the service validates them (ValidationException with its Reason and Fields), authorised against the calling
 * function's role like every call there (iam/requests.ts maps them). Nothing leaves the machine: every text and
 * voice message is kept, across restarts, in `<dataDir>/messages.json` (the newest 5,000), and shown
 *
 *   - as JSON at `GET <AWS endpoint>/_local/messages` (administrator): {"messages":[{channel, to, from, body, at}]}
 *   - in a viewer beside the mail viewer: `GET <mail viewer>/messages`, newest first.
 *
 * Inbound: `POST <AWS endpoint>/_local/sms/inbound` with {"from","to","body"} publishes to the stack's two-way SMS
 * topic what AWS publishes for an inbound text (publishInboundSms); without such a topic it answers 404. A reply
 * of STOP (or another default opt-out keyword) opts the number out, as the service does: texts to it are then
 * refused (ConflictException, DESTINATION_PHONE_NUMBER_OPTED_OUT) until it sends START or UNSTOP, and it is on
 * the default opt-out list DescribeOptedOutNumbers answers (with DescribeAccountAttributes and DescribeSpendLimits,
 * what a production account answers).
 *
 * Delivery events: a message sent with a configuration set that has an SNS event destination in the template is
 * followed by the events the service would publish there (phone-events.ts).
 */

export type Channel = 'sms' | 'voice';

export interface LocalMessage {
  channel: Channel;
  to: string;
  from: string;
  body: string;
  /** ISO-8601 UTC. */
  at: string;
  messageId: string;
  configurationSet?: string;
  voiceId?: string;
  context?: Record<string, string>;
}

type Body = Record<string, unknown>;
type Operation = (body: Body) => unknown;
type Log = (line: string) => void;

export const MAX_SAVED_MESSAGES = 5_000;
/** The service's default opt-out and opt-in keywords (self-managed opt-outs off). */
const OPT_OUT_KEYWORDS = new Set([
  'STOP',
  'STOPALL',
  'UNSUBSCRIBE',
  'CANCEL',
  'END',
  'QUIT',
  'OPTOUT',
  'OPT-OUT',
]);
const OPT_IN_KEYWORDS = new Set(['START', 'UNSTOP', 'YES']);
/** The account's default opt-out list, the one STOP replies land on. */
const LOCAL_OPT_OUT_LIST = 'Default';

/** The API's own patterns (API reference, SendTextMessage / SendVoiceMessage request parameters). */
const PHONE_PATTERN = /^\+?[1-9][0-9]{1,18}$/;
const E164 = /^\+[1-9]\d{7,14}$/;
const IDENTITY_PATTERN = /^[A-Za-z0-9_:/+-]+$/;
const CONFIGURATION_SET_PATTERN = /^[A-Za-z0-9_:/-]+$/;
const MAX_TEXT_BODY = 1_600;
const MAX_VOICE_TEXT = 3_000;
const MAX_VOICE_SSML = 6_000;

/** The messages sent locally and the numbers that opted out, in the data folder. */
export class MessageArchive {
  readonly file: string;
  private messages: LocalMessage[];
  private readonly optedOut: Set<string>;

  constructor(dataDir: string, log: Log = () => undefined) {
    mkdirSync(dataDir, { recursive: true });
    this.file = join(dataDir, 'messages.json');
    const saved = readSaved(this.file, log);
    this.messages = saved.messages;
    this.optedOut = new Set(saved.optedOut);
    if (this.messages.length > 0)
      log(`[sms-voice] ${this.messages.length} message(s) restored from ${this.file}`);
  }

  /** Oldest first. */
  list(): readonly LocalMessage[] {
    return this.messages;
  }

  add(message: LocalMessage): void {
    this.messages.push(message);
    if (this.messages.length > MAX_SAVED_MESSAGES) this.messages = this.messages.slice(-MAX_SAVED_MESSAGES);
    this.save();
  }

  isOptedOut(number: string): boolean {
    return this.optedOut.has(number);
  }

  /** The numbers opted out, in the order they did. */
  optedOutNumbers(): readonly string[] {
    return [...this.optedOut];
  }

  /** What an inbound text's keyword does to its sender's opt-out, as the service's default keywords do. */
  applyKeyword(from: string, keyword: string): void {
    if (OPT_OUT_KEYWORDS.has(keyword)) this.optedOut.add(from);
    else if (OPT_IN_KEYWORDS.has(keyword)) this.optedOut.delete(from);
    else return;
    this.save();
  }

  private save(): void {
    writeJson(this.file, { messages: this.messages, optedOut: [...this.optedOut] });
  }
}

function readSaved(file: string, log: Log): { messages: LocalMessage[]; optedOut: string[] } {
  let saved: { messages?: unknown; optedOut?: unknown } | undefined;
  try {
    saved = readJson(file);
  } catch (error) {
    // Sent messages are a convenience, not data the target needs: start without them, say so.
    log(`[sms-voice] ${(error as Error).message}: starting without the saved messages`);
    return { messages: [], optedOut: [] };
  }
  const messages = Array.isArray(saved?.messages) ? saved.messages.filter(isMessage) : [];
  const optedOut = Array.isArray(saved?.optedOut)
    ? saved.optedOut.filter((n): n is string => typeof n === 'string')
    : [];
  return { messages: messages.slice(-MAX_SAVED_MESSAGES), optedOut };
}

function isMessage(value: unknown): value is LocalMessage {
  const m = value as Partial<LocalMessage> | null;
  return (
    typeof m === 'object' &&
    m !== null &&
    (m.channel === 'sms' || m.channel === 'voice') &&
    typeof m.to === 'string' &&
    typeof m.from === 'string' &&
    typeof m.body === 'string' &&
    typeof m.at === 'string' &&
    typeof m.messageId === 'string'
  );
}

/** A ValidationException as the service answers it: a message, a Reason and the Fields at fault. */
function invalid(reason: string, message: string, fields: Array<{ Name: string; Message: string }> = []) {
  return new ServiceError('ValidationException', message, 400, {
    // The service capitalises its members; the SDK reads `message ?? Message`.
    Message: message,
    Reason: reason,
    ...(fields.length > 0 ? { Fields: fields } : {}),
  });
}

function fieldFailed(field: string, value: unknown, constraint: string) {
  const shown = value === undefined || value === null ? 'null' : `'${String(value)}'`;
  const message = `Value ${shown} at '${field}' failed to satisfy constraint: ${constraint}`;
  return invalid('FIELD_VALIDATION_FAILED', `1 validation error detected: ${message}`, [
    { Name: field.charAt(0).toUpperCase() + field.slice(1), Message: message },
  ]);
}

const str = (v: unknown) => (typeof v === 'string' ? v : undefined);

function requireString(b: Body, field: string): string {
  const value = b[field];
  if (value === undefined || value === null) {
    throw fieldFailed(field.charAt(0).toLowerCase() + field.slice(1), value, 'Member must not be null');
  }
  if (typeof value !== 'string')
    throw new ServiceError('SerializationException', `${field} must be a string`);
  return value;
}

function destination(b: Body): string {
  const to = requireString(b, 'DestinationPhoneNumber');
  if (!PHONE_PATTERN.test(to)) {
    throw fieldFailed(
      'destinationPhoneNumber',
      to,
      `Member must satisfy regular expression pattern: ${PHONE_PATTERN.source.slice(1, -1)}`,
    );
  }
  // The pattern lets a number without its plus through; the service then refuses what is not E.164.
  if (!E164.test(to)) {
    throw invalid('INVALID_PARAMETER', `The destination phone number ${to} is not a valid E.164 number.`, [
      { Name: 'DestinationPhoneNumber', Message: 'must be in E.164 format' },
    ]);
  }
  return to;
}

function optional(b: Body, field: string, pattern: RegExp, maxLength: number): string | undefined {
  const value = b[field];
  if (value === undefined || value === null) return undefined;
  const name = field.charAt(0).toLowerCase() + field.slice(1);
  if (typeof value !== 'string' || value.length < 1 || value.length > maxLength || !pattern.test(value)) {
    throw fieldFailed(
      name,
      value,
      `Member must satisfy regular expression pattern: ${pattern.source.slice(1, -1)} and have length between 1 and ${maxLength}`,
    );
  }
  return value;
}

function contextOf(b: Body): Record<string, string> | undefined {
  const context = b.Context;
  if (context === undefined || context === null) return undefined;
  if (typeof context !== 'object' || Array.isArray(context))
    throw new ServiceError('SerializationException', 'Context must be a map of strings');
  const entries = Object.entries(context as Record<string, unknown>);
  if (entries.length > 5)
    throw fieldFailed(
      'context',
      `${entries.length} entries`,
      'Member must have length less than or equal to 5',
    );
  for (const [key, value] of entries) {
    if (
      typeof value !== 'string' ||
      value.length < 1 ||
      value.length > 800 ||
      key.length > 100 ||
      /\s/.test(key)
    )
      throw fieldFailed(
        'context',
        key,
        'Map keys must be 1-100 characters without spaces and values 1-800 characters',
      );
  }
  return Object.fromEntries(entries) as Record<string, string>;
}

/** The service's message ids are UUIDs. */
const messageId = () => randomUUID();

/** SendTextMessage and SendVoiceMessage, as the local AWS endpoint's operations. */
export function smsVoiceOperations(
  archive: MessageArchive,
  now: () => Date = () => new Date(),
  /** After a message is accepted (its configuration set's delivery events follow: phone-events.ts). */
  sent: (message: LocalMessage) => void = () => undefined,
): Record<string, Operation> {
  return {
    'PinpointSMSVoiceV2.SendTextMessage': (b) => {
      const to = destination(b);
      const from = optional(b, 'OriginationIdentity', IDENTITY_PATTERN, 256);
      const body = optional(b, 'MessageBody', /^[\s\S]+$/, MAX_TEXT_BODY);
      if (body === undefined) throw fieldFailed('messageBody', undefined, 'Member must not be null');
      const type = str(b.MessageType);
      if (type !== undefined && type !== 'TRANSACTIONAL' && type !== 'PROMOTIONAL')
        throw fieldFailed(
          'messageType',
          type,
          'Member must satisfy enum value set: [TRANSACTIONAL, PROMOTIONAL]',
        );
      const configurationSet = optional(b, 'ConfigurationSetName', CONFIGURATION_SET_PATTERN, 256);
      const context = contextOf(b);
      if (archive.isOptedOut(to)) {
        throw new ServiceError('ConflictException', 'The destination phone number is opted out.', 400, {
          Message: 'The destination phone number is opted out.',
          Reason: 'DESTINATION_PHONE_NUMBER_OPTED_OUT',
          ResourceType: 'opted-out-number',
          ResourceId: to,
        });
      }
      if (b.DryRun === true) return { MessageId: messageId() };
      const id = messageId();
      const message: LocalMessage = {
        channel: 'sms',
        to,
        // Without an identity the service picks one of the account's; locally, a stand-in.
        from: from ?? 'local-default-identity',
        body,
        at: now().toISOString(),
        messageId: id,
        ...(configurationSet ? { configurationSet } : {}),
        ...(context ? { context } : {}),
      };
      archive.add(message);
      sent(message);
      return { MessageId: id };
    },
    // The reads of the channel check: the account's default opt-out list (STOP replies), a production account
    // tier and the default spend limits of a new account out of the sandbox.
    'PinpointSMSVoiceV2.DescribeOptedOutNumbers': (b) => {
      const list = requireString(b, 'OptOutListName');
      const name = list.startsWith('arn:') ? (list.split('/').pop() ?? list) : list;
      if (name !== LOCAL_OPT_OUT_LIST)
        throw new ServiceError('ResourceNotFoundException', `No opt-out list named ${name}`, 400, {
          Message: `No opt-out list named ${name}`,
          ResourceType: 'opt-out-list',
          ResourceId: name,
        });
      const asked = Array.isArray(b.OptedOutNumbers)
        ? b.OptedOutNumbers.filter((n): n is string => typeof n === 'string')
        : undefined;
      const numbers = archive.optedOutNumbers().filter((n) => !asked || asked.includes(n));
      return {
        OptOutListArn: `arn:aws:sms-voice:us-east-1:000000000000:opt-out-list/${LOCAL_OPT_OUT_LIST}`,
        OptOutListName: LOCAL_OPT_OUT_LIST,
        OptedOutNumbers: numbers.map((n) => ({
          OptedOutNumber: n,
          OptedOutTimestamp: Math.floor(now().getTime() / 1000),
          EndUserOptedOut: true,
        })),
      };
    },
    'PinpointSMSVoiceV2.DescribeAccountAttributes': () => ({
      AccountAttributes: [{ Name: 'ACCOUNT_TIER', Value: 'PRODUCTION' }],
    }),
    'PinpointSMSVoiceV2.DescribeSpendLimits': () => ({
      SpendLimits: [
        { Name: 'TEXT_MESSAGE_MONTHLY_SPEND_LIMIT', EnforcedLimit: 1, MaxLimit: 1, Overridden: false },
        { Name: 'VOICE_MESSAGE_MONTHLY_SPEND_LIMIT', EnforcedLimit: 1, MaxLimit: 1, Overridden: false },
      ],
    }),
    'PinpointSMSVoiceV2.SendVoiceMessage': (b) => {
      const to = destination(b);
      const from = requireString(b, 'OriginationIdentity');
      if (!IDENTITY_PATTERN.test(from) || from.length > 256)
        throw fieldFailed(
          'originationIdentity',
          from,
          `Member must satisfy regular expression pattern: ${IDENTITY_PATTERN.source.slice(1, -1)}`,
        );
      const textType = str(b.MessageBodyTextType) ?? 'TEXT';
      if (textType !== 'TEXT' && textType !== 'SSML')
        throw fieldFailed(
          'messageBodyTextType',
          textType,
          'Member must satisfy enum value set: [TEXT, SSML]',
        );
      const max = textType === 'SSML' ? MAX_VOICE_SSML : MAX_VOICE_TEXT;
      const body = optional(b, 'MessageBody', /^[\s\S]+$/, max);
      if (body === undefined) throw fieldFailed('messageBody', undefined, 'Member must not be null');
      const voiceId = str(b.VoiceId);
      if (voiceId !== undefined && !(VOICE_IDS as readonly string[]).includes(voiceId))
        throw fieldFailed(
          'voiceId',
          voiceId,
          'Member must satisfy enum value set of the Amazon Polly voices',
        );
      const configurationSet = optional(b, 'ConfigurationSetName', CONFIGURATION_SET_PATTERN, 256);
      const context = contextOf(b);
      if (b.DryRun === true) return { MessageId: messageId() };
      const id = messageId();
      const message: LocalMessage = {
        channel: 'voice',
        to,
        from,
        body,
        at: now().toISOString(),
        messageId: id,
        voiceId: voiceId ?? 'MATTHEW',
        ...(configurationSet ? { configurationSet } : {}),
        ...(context ? { context } : {}),
      };
      archive.add(message);
      sent(message);
      return { MessageId: id };
    },
  };
}

// ------------------------------------------------------------------------------------------------ two-way SMS

/**
 * The construct id of the SNS topic two-way SMS delivers inbound texts to (infra/constructs/two-way-sms.ts, whose
 * Lambda subscriber is SmsReplies). A stack without it has `POST /_local/sms/inbound` answer 404.
 */
export const TWO_WAY_SMS_TOPIC_ID = 'TwoWaySmsTopic';

/** The ARN of the stack's two-way SMS topic, if it has one. */
export function twoWaySmsTopicArn(model: StackModel): string | undefined {
  const found = model
    .resourcesOfType('AWS::SNS::Topic')
    .find(([id]) => model.readableName(id) === TWO_WAY_SMS_TOPIC_ID);
  return found ? model.arn(found[0]) : undefined;
}

/** What two-way SMS publishes for an inbound text (the SNS message is this, as JSON). */
export interface InboundSmsPayload {
  originationNumber: string;
  destinationNumber: string;
  messageKeyword: string;
  messageBody: string;
  inboundMessageId: string;
  previousPublishedMessageId: string;
}

/**
 * The payload for a text from `from` to `to`. The keyword is the body's first word in upper case (the service
 * reports the keyword the text matched); the previous message is the last one sent from `to` to `from`.
 */
export function inboundSmsPayload(
  text: { from: string; to: string; body: string },
  archive: MessageArchive,
): InboundSmsPayload {
  const previous = [...archive.list()]
    .reverse()
    .find((m) => m.channel === 'sms' && m.to === text.from && m.from === text.to);
  return {
    originationNumber: text.from,
    destinationNumber: text.to,
    messageKeyword: keywordOf(text.body),
    messageBody: text.body,
    inboundMessageId: randomUUID(),
    previousPublishedMessageId: previous?.messageId ?? '',
  };
}

function keywordOf(body: string): string {
  return (body.trim().split(/\s+/)[0] ?? '').toUpperCase();
}

/** The Lambda event SNS delivers a notification in (one record), for a topic's `lambda` subscriptions. */
export function snsLambdaEvent(topicArn: string, subscriptionArn: string, message: string, at = new Date()) {
  const region = topicArn.split(':')[3] ?? 'us-east-1';
  return {
    Records: [
      {
        EventSource: 'aws:sns',
        EventVersion: '1.0',
        EventSubscriptionArn: subscriptionArn,
        Sns: {
          Type: 'Notification',
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Subject: null,
          Message: message,
          Timestamp: at.toISOString(),
          SignatureVersion: '1',
          // SNS signs with its certificate; a local notification cannot be, and says so.
          Signature: 'LOCAL-UNSIGNED',
          SigningCertUrl: `https://sns.${region}.amazonaws.com/local-unsigned.pem`,
          UnsubscribeUrl: `https://sns.${region}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${encodeURIComponent(subscriptionArn)}`,
          MessageAttributes: {},
        },
      },
    ],
  };
}

export interface InboundDeps {
  subscriptions: readonly TopicSubscription[];
  /** Invokes a function asynchronously, as SNS does (Lambda's retries and destinations apply). */
  invokeAsync: (functionArn: string, event: unknown) => Promise<unknown>;
  log: Log;
}

/**
 * Publishes an inbound text to the two-way SMS topic, delivering the SNS
 * notification to each of the topic's `lambda` subscriptions. Returns the functions it went to.
 */
export async function publishInboundSms(
  topicArn: string,
  payload: InboundSmsPayload,
  deps: InboundDeps,
): Promise<string[]> {
  const targets = deps.subscriptions.filter((s) => s.topic === topicArn && s.protocol === 'lambda');
  const message = JSON.stringify(payload);
  for (const [i, subscription] of targets.entries()) {
    const event = snsLambdaEvent(topicArn, `${topicArn}:local-subscription-${i + 1}`, message);
    await deps
      .invokeAsync(subscription.endpoint, event)
      .catch((error: Error) =>
        deps.log(`[sms-voice] the inbound text to ${subscription.endpoint} failed: ${error.message}`),
      );
  }
  if (targets.length === 0)
    deps.log(`[sms-voice] ${topicArn} has no lambda subscription: inbound text dropped`);
  return targets.map((t) => t.endpoint);
}

// ---------------------------------------------------------------------------------------------- admin routes

export interface MessagingAdminDeps {
  archive: MessageArchive;
  /** Whether the request carries the administrator's credentials (admin-api.ts). */
  isAdmin: (req: IncomingMessage) => boolean;
  /** The two-way SMS topic, when the stack has one. */
  topicArn: () => string | undefined;
  publish: (topicArn: string, payload: InboundSmsPayload) => Promise<string[]>;
}

const MAX_INBOUND_BODY = 64 * 1024;

/**
 * `GET /_local/messages` and `POST /_local/sms/inbound` on the local AWS endpoint: true when the request was one
 * of them (answered), false to let the caller go on.
 */
export function createMessagingAdmin(deps: MessagingAdminDeps) {
  const paths = new Set(['/_local/messages', '/_local/sms/inbound']);
  return localRoute(
    (path) => paths.has(path),
    deps.isAdmin,
    async (req, path, { answer, error }) => {
      if (path === '/_local/messages') {
        req.resume();
        if (req.method !== 'GET') return error(405, 'MethodNotAllowed', 'Use GET', { allow: 'GET' });
        return answer(200, {
          messages: deps.archive
            .list()
            .map(({ channel, to, from, body, at }) => ({ channel, to, from, body, at })),
        });
      }
      if (req.method !== 'POST') {
        req.resume();
        return error(405, 'MethodNotAllowed', 'Use POST', { allow: 'POST' });
      }
      let input: unknown;
      try {
        const raw = await readBody(req, MAX_INBOUND_BODY);
        input = JSON.parse(raw.toString('utf8'));
      } catch (e) {
        return error(
          400,
          'BadRequest',
          `The body must be JSON {"from","to","body"}: ${(e as Error).message}`,
        );
      }
      const text = input as { from?: unknown; to?: unknown; body?: unknown } | null;
      for (const field of ['from', 'to'] as const) {
        if (typeof text?.[field] !== 'string' || !E164.test(text[field] as string))
          return error(
            400,
            'ValidationError',
            `"${field}" must be a phone number in E.164 form, e.g. +447700900123`,
          );
      }
      if (typeof text?.body !== 'string' || text.body.length === 0 || text.body.length > MAX_TEXT_BODY)
        return error(400, 'ValidationError', `"body" must be the text, 1 to ${MAX_TEXT_BODY} characters`);
      const inbound = { from: text.from as string, to: text.to as string, body: text.body };
      const topicArn = deps.topicArn();
      if (!topicArn) {
        return error(
          404,
          'NoTwoWaySmsTopic',
          `The stack has no two-way SMS topic (an AWS::SNS::Topic with the construct id ${TWO_WAY_SMS_TOPIC_ID}): inbound texts have nowhere to go yet`,
        );
      }
      const payload = inboundSmsPayload(inbound, deps.archive);
      deps.archive.applyKeyword(inbound.from, payload.messageKeyword);
      const deliveredTo = await deps.publish(topicArn, payload);
      return answer(202, { published: payload, topicArn, deliveredTo });
    },
  );
}

// -------------------------------------------------------------------------------------------------- viewer

/** The viewer's page: every text and voice message, newest first, escaped by the html tag. */
export function renderMessagesPage(messages: readonly LocalMessage[]): string {
  // One list of facts per message (the page style's <dl>: two columns, one on a phone), not a table that a
  // phone's width cannot hold.
  const items = [...messages].reverse().map(
    (m) => html`<dl>
<dt>${m.channel === 'sms' ? 'SMS' : `Voice (${m.voiceId ?? 'MATTHEW'})`}</dt><dd>${m.at.replace('T', ' ').replace(/\.\d+Z$/, 'Z')}</dd>
<dt>To</dt><dd>${m.to}</dd>
<dt>From</dt><dd>${m.from}</dd>
<dt>Message</dt><dd class="pre">${m.body}</dd>
</dl>`,
  );
  const content = joinHtml([
    html`<h1>Texts and voice messages</h1>`,
    html`<p>Every SMS and voice message the functions sent through the local target, newest first (${messages.length}). As JSON: <code>GET /_local/messages</code> on the local AWS endpoint.</p>`,
    messages.length === 0 ? html`<p>Nothing sent yet.</p>` : joinHtml(items, html`\n`),
  ]);
  return pageShell('plain', 'Texts and voice messages', content, { wide: true });
}

export const VIEWER_PATH = '/messages';

/**
 * Serves the viewer on the mail viewer's server at `/messages` (the package's own routes keep everything else),
 * with no credentials, as the mail viewer has none.
 */
export function serveViewerBeside(server: Server, archive: MessageArchive): void {
  const listeners = server.listeners('request') as Array<(...args: unknown[]) => void>;
  server.removeAllListeners('request');
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0];
    if (req.method === 'GET' && path === VIEWER_PATH) {
      res.writeHead(200, pageHeaders()).end(renderMessagesPage(archive.list()));
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}
