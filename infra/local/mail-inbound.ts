import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import PostalMime, { type Email } from 'postal-mime';
import { BodyTooLargeError, localRoute, readBody } from './admin-api.ts';
import { snsLambdaEvent } from './sms-voice.ts';
import type { StackModel } from './template.ts';
import type { TopicSubscription } from './topics.ts';

/**
 * SES receiving, locally: `POST <AWS endpoint>/_local/mail/inbound` with a raw RFC 5322 message is received as
 * SES would receive it at the template's receipt rules (AWS::SES::ReceiptRule): each enabled rule whose recipients
 * match runs its SNS actions, which publish SES's receipt notification (the mail whole, in the action's encoding,
 * with SES's verdicts) to the topic's Lambda subscribers, as SNS delivers it. The verdicts are PASS unless the
 * request (or the message) says otherwise with `X-Local-Spf`, `X-Local-Dkim`, `X-Local-Dmarc`, `X-Local-Spam`,
 * `X-Local-Virus` (PASS, FAIL, GRAY, PROCESSING_FAILED). The envelope recipients are the message's To, Cc and Bcc
 * unless `X-Local-Rcpt-To` names them; the envelope sender is `X-Local-Mail-From`, else Return-Path, else From.
 * What AWS refuses is refused: a mail over 150 KB for an SNS action bounces (422), a mail no rule takes is not
 * received (404). The rule set is taken to be the account's active one (the README's command makes it so).
 */

type Log = (line: string) => void;

export interface ReceiptRule {
  id: string;
  ruleSetName: string;
  /** Addresses, domains (`example.com`) or subdomains (`.example.com`); empty: every recipient. */
  recipients: string[];
  scanEnabled: boolean;
  sns: { topicArn: string; encoding: 'Base64' | 'UTF-8' }[];
}

/** The template's enabled receipt rules with their SNS actions. */
export function receiptRules(model: StackModel): ReceiptRule[] {
  return model.resourcesOfType('AWS::SES::ReceiptRule').flatMap(([id, r]) => {
    const p = model.resolve(r.Properties ?? {}, `${id}.Properties`) as {
      RuleSetName?: string;
      Rule?: {
        Enabled?: boolean;
        Recipients?: string[];
        ScanEnabled?: boolean;
        Actions?: { SNSAction?: { TopicArn?: string; Encoding?: string } }[];
      };
    };
    if (!p.RuleSetName || p.Rule?.Enabled === false) return [];
    return [
      {
        id,
        ruleSetName: String(p.RuleSetName),
        recipients: (p.Rule?.Recipients ?? []).map((x) => String(x).toLowerCase()),
        scanEnabled: p.Rule?.ScanEnabled === true,
        sns: (p.Rule?.Actions ?? []).flatMap((a) =>
          a.SNSAction?.TopicArn
            ? [
                {
                  topicArn: String(a.SNSAction.TopicArn),
                  encoding: a.SNSAction.Encoding === 'Base64' ? ('Base64' as const) : ('UTF-8' as const),
                },
              ]
            : [],
        ),
      },
    ];
  });
}

/** Whether a rule recipient takes an address, as SES matches them (address, domain, or `.domain` for subdomains). */
export function ruleTakes(ruleRecipient: string, address: string): boolean {
  const want = ruleRecipient.toLowerCase();
  const got = address.trim().toLowerCase();
  const domain = got.slice(got.lastIndexOf('@') + 1);
  if (want.includes('@')) return got === want;
  if (want.startsWith('.')) return domain.endsWith(want);
  return domain === want;
}

/** SES publishes mail of up to 150 KB (headers included) to SNS; a larger one bounces. */
export const MAX_SNS_MAIL_BYTES = 150 * 1024;
/** SES receives mail of up to 40 MB; the route reads no more. */
const MAX_INBOUND_BYTES = 40 * 1024 * 1024;

const VERDICTS = ['PASS', 'FAIL', 'GRAY', 'PROCESSING_FAILED'] as const;
type Verdict = (typeof VERDICTS)[number];
const VERDICT_NAMES = ['spf', 'dkim', 'dmarc', 'spam', 'virus'] as const;

class InboundError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

function verdictsOf(
  request: IncomingMessage['headers'],
  message: { key: string; value: string }[],
): Record<(typeof VERDICT_NAMES)[number], Verdict> {
  const out = {} as Record<(typeof VERDICT_NAMES)[number], Verdict>;
  for (const name of VERDICT_NAMES) {
    const header = `x-local-${name}`;
    const given = request[header] ?? message.find((h) => h.key === header)?.value;
    const value = (Array.isArray(given) ? given[0] : given)?.trim().toUpperCase() ?? 'PASS';
    if (!(VERDICTS as readonly string[]).includes(value))
      throw new InboundError(400, 'ValidationError', `X-Local-${name} must be one of ${VERDICTS.join(', ')}`);
    out[name] = value as Verdict;
  }
  return out;
}

function addressesOf(list: { address?: string | undefined; group?: { address: string }[] }[] | undefined) {
  return (list ?? []).flatMap((a) =>
    a.group ? a.group.map((m) => m.address) : a.address ? [a.address] : [],
  );
}

/** The SES receipt notifications (one per matching rule and SNS action) for a raw message. */
export async function receiptNotifications(
  raw: Buffer,
  request: IncomingMessage['headers'],
  rules: readonly ReceiptRule[],
  at = new Date(),
): Promise<{ topicArn: string; message: string; recipients: string[] }[]> {
  let email: Email;
  try {
    email = await PostalMime.parse(raw, { maxHeadersSize: 256 * 1024, maxRfc822NestingDepth: 0 });
  } catch (error) {
    throw new InboundError(
      400,
      'BadRequest',
      `The body must be a raw RFC 5322 message: ${(error as Error).message}`,
    );
  }
  const from = email.from && 'address' in email.from ? email.from.address : undefined;
  if (!from) throw new InboundError(400, 'ValidationError', 'The message has no From address');
  const verdicts = verdictsOf(request, email.headers);
  const rcptHeader = request['x-local-rcpt-to'];
  const envelopeTo = rcptHeader
    ? String(rcptHeader)
        .split(',')
        .map((a) => a.trim())
        .filter(Boolean)
    : [...addressesOf(email.to), ...addressesOf(email.cc), ...addressesOf(email.bcc)];
  if (envelopeTo.length === 0) throw new InboundError(400, 'ValidationError', 'The message has no recipient');
  const mailFrom = String(request['x-local-mail-from'] ?? email.returnPath ?? from).replace(/^<|>$/g, '');
  const timestamp = at.toISOString();
  const messageId = `local${randomUUID().replaceAll('-', '')}`;
  const out: { topicArn: string; message: string; recipients: string[] }[] = [];
  for (const rule of rules) {
    const recipients = envelopeTo.filter(
      (address) => rule.recipients.length === 0 || rule.recipients.some((r) => ruleTakes(r, address)),
    );
    if (recipients.length === 0) continue;
    for (const action of rule.sns) {
      if (raw.byteLength > MAX_SNS_MAIL_BYTES)
        throw new InboundError(
          422,
          'MessageTooLarge',
          `Bounced: SES publishes mail of up to ${MAX_SNS_MAIL_BYTES} bytes to SNS (this one is ${raw.byteLength})`,
        );
      const notification = {
        notificationType: 'Received',
        mail: {
          timestamp,
          source: mailFrom,
          messageId,
          destination: envelopeTo,
          headersTruncated: false,
          headers: email.headerLines.map((h) => {
            const colon = h.line.indexOf(':');
            return { name: h.line.slice(0, colon).trim(), value: h.line.slice(colon + 1).trim() };
          }),
          commonHeaders: {
            returnPath: mailFrom,
            from: [email.headers.find((h) => h.key === 'from')?.value ?? from],
            ...(email.date ? { date: email.date } : {}),
            to: addressesOf(email.to),
            ...(email.messageId ? { messageId: email.messageId } : {}),
            subject: email.subject ?? '',
          },
        },
        receipt: {
          timestamp,
          processingTimeMillis: 180,
          recipients,
          ...(rule.scanEnabled
            ? { spamVerdict: { status: verdicts.spam }, virusVerdict: { status: verdicts.virus } }
            : {}),
          spfVerdict: { status: verdicts.spf },
          dkimVerdict: { status: verdicts.dkim },
          dmarcVerdict: { status: verdicts.dmarc },
          action: {
            type: 'SNS',
            topicArn: action.topicArn,
            encoding: action.encoding === 'Base64' ? 'BASE64' : 'UTF8',
          },
        },
        content: action.encoding === 'Base64' ? raw.toString('base64') : raw.toString('utf8'),
      };
      out.push({ topicArn: action.topicArn, message: JSON.stringify(notification), recipients });
    }
  }
  if (out.length === 0)
    throw new InboundError(
      404,
      'NoMatchingReceiptRule',
      `No receipt rule of the stack takes ${envelopeTo.join(', ')}: SES would not receive this mail`,
    );
  return out;
}

export interface MailInboundDeps {
  /** Whether the request carries the administrator's credentials (admin-api.ts). */
  isAdmin: (req: IncomingMessage) => boolean;
  rules: () => readonly ReceiptRule[];
  subscriptions: readonly TopicSubscription[];
  invokeAsync: (functionArn: string, event: unknown) => Promise<unknown>;
  log: Log;
}

export const MAIL_INBOUND_PATH = '/_local/mail/inbound';

/** `POST /_local/mail/inbound`: true when the request was it (answered), false to let the caller go on. */
export function createMailInbound(deps: MailInboundDeps) {
  return localRoute(
    (path) => path === MAIL_INBOUND_PATH,
    deps.isAdmin,
    async (req, _path, { answer, error }) => {
      if (req.method !== 'POST') {
        req.resume();
        return error(405, 'MethodNotAllowed', 'Use POST with a raw RFC 5322 message', { allow: 'POST' });
      }
      try {
        const raw = await readBody(req, MAX_INBOUND_BYTES);
        if (raw.byteLength === 0)
          throw new InboundError(400, 'BadRequest', 'The body must be a raw RFC 5322 message');
        const notifications = await receiptNotifications(raw, req.headers, deps.rules());
        const deliveredTo: string[] = [];
        for (const { topicArn, message } of notifications) {
          const targets = deps.subscriptions.filter((s) => s.topic === topicArn && s.protocol === 'lambda');
          for (const [i, subscription] of targets.entries()) {
            const event = snsLambdaEvent(topicArn, `${topicArn}:local-subscription-${i + 1}`, message);
            await deps
              .invokeAsync(subscription.endpoint, event)
              .catch((e: Error) =>
                deps.log(`[ses] the received mail to ${subscription.endpoint} failed: ${e.message}`),
              );
            deliveredTo.push(subscription.endpoint);
          }
        }
        return answer(202, {
          received: notifications.map(({ topicArn, recipients }) => ({ topicArn, recipients })),
          deliveredTo,
        });
      } catch (e) {
        if (e instanceof InboundError) return error(e.status, e.code, e.message);
        if (e instanceof BodyTooLargeError)
          return error(413, 'MessageTooLarge', `SES receives mail of up to ${MAX_INBOUND_BYTES} bytes`);
        return error(400, 'BadRequest', (e as Error).message);
      }
    },
  );
}
