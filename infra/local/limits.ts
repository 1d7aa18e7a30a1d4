import { randomUUID } from 'node:crypto';

/**
 * AWS's service limits that the emulators do not enforce, as pure checks: a request in, AWS's refusal out (in the
 * wire shape the SDK turns into AWS's error class and message), or undefined when AWS would take it. The fronts
 * call them after authorising (AWS authorises first) and before handing the request on.
 */

/** AWS's refusal of a request, ready to send: the same shape as an AccessDenied answer. */
export interface LimitViolation {
  status: number;
  headers: Record<string, string>;
  body: string;
}

// ---------------------------------------------------------------------------------------------------------- SES

/**
 * "Maximum number of recipients per message: 50 recipients per message. A recipient is any To, CC, or BCC
 * address." (Service quotas in Amazon SES, https://docs.aws.amazon.com/ses/latest/dg/quotas.html; not adjustable.)
 */
export const SES_MAX_RECIPIENTS = 50;

/**
 * "Using the SES v1 API - Maximum message size (including attachments): 10 MB per message (after base64
 * encoding)" (same page). AWS counts the MB as MiB: its refusal reads "Message length is more than 10485760 bytes
 * long".
 */
export const SES_V1_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** "Using the SES v2 API or SMTP - Maximum message size (including attachments): 40 MB per message (after base64 encoding)" (same page). */
export const SES_V2_MAX_MESSAGE_BYTES = 40 * 1024 * 1024;

/**
 * The largest request body the SES front reads: a 40 MB v2 raw message travels base64-encoded in JSON (4/3 of it,
 * about 53.4 MB), with room for the rest of the request. Anything longer carries a message over every limit.
 */
export const SES_MAX_REQUEST_BYTES = 64 * 1024 * 1024;

/** What a send asks of SES, as far as its limits are concerned. */
interface SesSend {
  api: 'v1' | 'v2';
  recipients: number;
  /** The message's size in bytes: exact for raw content, a lower bound for content SES assembles. */
  messageBytes: number;
}

type Json = Record<string, unknown>;

const record = (value: unknown): Json =>
  value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
const str = (value: unknown): string | undefined => (typeof value === 'string' ? value : undefined);
const strings = (value: unknown): string[] =>
  Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : [];
const utf8 = (text: string | undefined) => (text ? Buffer.byteLength(text, 'utf8') : 0);
const base64Bytes = (data: string | undefined) => (data ? Buffer.byteLength(data, 'base64') : 0);
/** An attachment's size in the message SES builds: base64 in MIME, 4 characters for every 3 bytes. */
const encodedAttachment = (rawContent: unknown) => Math.ceil(base64Bytes(str(rawContent)) / 3) * 4;

/**
 * The addresses of the To, Cc and Bcc headers of a raw MIME message (SES takes the recipients from them when the
 * request names none). A group (`Team: a@x, b@x;`) counts each of its members, as SES counts them.
 */
function rawHeaderRecipients(mime: Buffer): number {
  const text = mime.subarray(0, 64 * 1024).toString('utf8');
  const end = /\r?\n\r?\n/.exec(text);
  const section = (end ? text.slice(0, end.index) : text).replace(/\r?\n[ \t]+/g, ' ');
  let count = 0;
  for (const line of section.split(/\r?\n/)) {
    const colon = line.indexOf(':');
    if (colon <= 0 || !['to', 'cc', 'bcc'].includes(line.slice(0, colon).trim().toLowerCase())) continue;
    count += addressesIn(line.slice(colon + 1));
  }
  return count;
}

/** The mailboxes of an address list: its `@`s outside quoted display names. */
function addressesIn(list: string): number {
  let count = 0;
  let quoted = false;
  for (const c of list) {
    if (c === '"') quoted = !quoted;
    else if (c === '@' && !quoted) count += 1;
  }
  return count;
}

function sesV2Send(method: string, pathname: string, body: string): SesSend | undefined {
  if (method !== 'POST' || pathname.replace(/\/+$/, '') !== '/v2/email/outbound-emails') return undefined;
  let request: Json;
  try {
    request = record(JSON.parse(body));
  } catch {
    return undefined; // Not a send SES could read: its own validation answers it.
  }
  const content = record(request.Content);
  const destination = record(request.Destination);
  const listed =
    strings(destination.ToAddresses).length +
    strings(destination.CcAddresses).length +
    strings(destination.BccAddresses).length;
  if (content.Raw !== undefined) {
    const mime = Buffer.from(str(record(content.Raw).Data) ?? '', 'base64');
    return {
      api: 'v2',
      recipients: listed > 0 ? listed : rawHeaderRecipients(mime),
      messageBytes: mime.length,
    };
  }
  // Simple and templated content: SES assembles the MIME message, at least as long as what it is made of.
  const simple = record(content.Simple);
  const template = record(content.Template);
  const parts = [simple, template];
  const headers = parts.flatMap((part) => (Array.isArray(part.Headers) ? part.Headers : []).map(record));
  const attachments = parts.flatMap((part) =>
    (Array.isArray(part.Attachments) ? part.Attachments : []).map(record),
  );
  const simpleBody = record(simple.Body);
  const messageBytes =
    utf8(str(record(simple.Subject).Data)) +
    utf8(str(record(simpleBody.Text).Data)) +
    utf8(str(record(simpleBody.Html).Data)) +
    headers.reduce((sum, h) => sum + utf8(str(h.Name)) + utf8(str(h.Value)), 0) +
    attachments.reduce((sum, a) => sum + encodedAttachment(a.RawContent), 0);
  return { api: 'v2', recipients: listed, messageBytes };
}

/** `Prefix.member.1`, `Prefix.member.2`, ... of a query-protocol form. */
function memberCount(form: URLSearchParams, prefix: string): number {
  const member = `${prefix}.member.`;
  return [...form.keys()].filter((key) => key.startsWith(member) && /^\d+$/.test(key.slice(member.length)))
    .length;
}

function sesV1Send(form: URLSearchParams): SesSend | undefined {
  const destination =
    memberCount(form, 'Destination.ToAddresses') +
    memberCount(form, 'Destination.CcAddresses') +
    memberCount(form, 'Destination.BccAddresses');
  switch (form.get('Action')) {
    case 'SendEmail':
      return {
        api: 'v1',
        recipients: destination,
        messageBytes:
          utf8(form.get('Message.Subject.Data') ?? undefined) +
          utf8(form.get('Message.Body.Text.Data') ?? undefined) +
          utf8(form.get('Message.Body.Html.Data') ?? undefined),
      };
    case 'SendTemplatedEmail':
      // The stored template's size is not in the request: only the recipients can be checked here.
      return { api: 'v1', recipients: destination, messageBytes: 0 };
    case 'SendRawEmail': {
      const mime = Buffer.from(form.get('RawMessage.Data') ?? '', 'base64');
      const listed = memberCount(form, 'Destinations');
      return {
        api: 'v1',
        recipients: listed > 0 ? listed : rawHeaderRecipients(mime),
        messageBytes: mime.length,
      };
    }
    default:
      return undefined;
  }
}

/** An SES request as the SES front reads it. */
export interface SesRequest {
  method: string;
  /** The request target: path and query. */
  path: string;
  body: Buffer | string;
  contentType?: string | undefined;
}

function sesSend(request: SesRequest): SesSend | undefined {
  const [pathname = '', query = ''] = request.path.split('?');
  const body = typeof request.body === 'string' ? request.body : request.body.toString('utf8');
  if (pathname.startsWith('/v2/')) return sesV2Send(request.method.toUpperCase(), pathname, body);
  // The v1 query protocol: parameters in the form body (and, for hand-made requests, the query string).
  const form = new URLSearchParams(query);
  const isForm = (request.contentType ?? '').toLowerCase().startsWith('application/x-www-form-urlencoded');
  if (isForm || /(^|&)Action=/.test(body)) {
    for (const [key, value] of new URLSearchParams(body)) form.append(key, value);
  }
  return form.has('Action') ? sesV1Send(form) : undefined;
}

const xmlEscape = (text: string) =>
  text.replace(/[&<>"']/g, (c) => `&${{ '&': 'amp', '<': 'lt', '>': 'gt', '"': 'quot', "'": 'apos' }[c]};`);

/**
 * SES's refusal in each API's protocol. v1 (query, XML): AWS answers InvalidParameterValue for both limits, not
 * MessageRejected (observed from SDK users: 400 "InvalidParameterValue: Recipient count exceeds 50." and 400
 * "InvalidParameterValue: Message length is more than 10485760 bytes long: '12078147'."). v2 (restJson1): no
 * refusal of these limits is on record, so v1's invalid-parameter error becomes v2's, BadRequestException ("The
 * input you provided is invalid", 400), in the same words; the SDK names the error after `x-amzn-errortype` and
 * reads `message`.
 */
function sesRefusal(api: SesSend['api'], message: string): LimitViolation {
  const requestId = randomUUID();
  if (api === 'v1') {
    return {
      status: 400,
      headers: { 'content-type': 'text/xml', 'x-amzn-requestid': requestId },
      body:
        '<ErrorResponse xmlns="http://ses.amazonaws.com/doc/2010-12-01/">' +
        `<Error><Type>Sender</Type><Code>InvalidParameterValue</Code><Message>${xmlEscape(message)}</Message></Error>` +
        `<RequestId>${requestId}</RequestId></ErrorResponse>`,
    };
  }
  return {
    status: 400,
    headers: {
      'content-type': 'application/json',
      'x-amzn-errortype': 'BadRequestException',
      'x-amzn-requestid': requestId,
    },
    body: JSON.stringify({ message }),
  };
}

/**
 * SES's refusal of a send over its limits (recipients, then message size), or undefined for a request within
 * them or that is not a send.
 */
export function sesLimitViolation(request: SesRequest): LimitViolation | undefined {
  const send = sesSend(request);
  if (!send) return undefined;
  if (send.recipients > SES_MAX_RECIPIENTS) {
    return sesRefusal(send.api, `Recipient count exceeds ${SES_MAX_RECIPIENTS}.`);
  }
  const max = send.api === 'v1' ? SES_V1_MAX_MESSAGE_BYTES : SES_V2_MAX_MESSAGE_BYTES;
  if (send.messageBytes > max) {
    return sesRefusal(send.api, `Message length is more than ${max} bytes long: '${send.messageBytes}'.`);
  }
  return undefined;
}

// ----------------------------------------------------------------------------------------------------- DynamoDB

/**
 * 400 KB an item, attribute names and values counted in their binary (UTF-8) lengths (Quotas in Amazon DynamoDB,
 * https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html, "Item size").
 */
export const DYNAMODB_MAX_ITEM_BYTES = 400 * 1024;

/**
 * An attribute value's size as "DynamoDB item sizes and formats" counts it: strings and names in UTF-8 bytes,
 * binaries in raw bytes, numbers about one byte per two significant digits plus one, null and Boolean one byte,
 * lists and maps 3 bytes plus their elements, each with a byte of its own.
 */
export function dynamoDbValueSize(value: unknown): number {
  const v = record(value);
  if (typeof v.S === 'string') return utf8(v.S);
  if (typeof v.N === 'string') return numberSize(v.N);
  if (typeof v.B === 'string') return base64Bytes(v.B);
  if (v.BOOL !== undefined || v.NULL !== undefined) return 1;
  if (Array.isArray(v.SS)) return strings(v.SS).reduce((sum, s) => sum + utf8(s), 0);
  if (Array.isArray(v.NS)) return strings(v.NS).reduce((sum, n) => sum + numberSize(n), 0);
  if (Array.isArray(v.BS)) return strings(v.BS).reduce((sum, b) => sum + base64Bytes(b), 0);
  if (Array.isArray(v.L))
    return 3 + v.L.reduce((sum: number, e: unknown) => sum + 1 + dynamoDbValueSize(e), 0);
  if (v.M !== undefined) {
    return (
      3 + Object.entries(record(v.M)).reduce((sum, [k, e]) => sum + 1 + utf8(k) + dynamoDbValueSize(e), 0)
    );
  }
  return 0;
}

function numberSize(n: string): number {
  const digits = n
    .replace(/^[-+]/, '')
    .replace(/[eE].*$/, '')
    .replace('.', '')
    .replace(/^0+/, '')
    .replace(/0+$/, '');
  return digits.length === 0 ? 1 : Math.ceil(digits.length / 2) + 1;
}

/** An item's size: the sum over its attributes of the name's UTF-8 bytes and the value's size. */
export function dynamoDbItemSize(item: unknown): number {
  return Object.entries(record(item)).reduce(
    (sum, [name, value]) => sum + utf8(name) + dynamoDbValueSize(value),
    0,
  );
}

/**
 * DynamoDB's refusal of a write whose item is over 400 KB, for the requests that carry the whole item (PutItem
 * and BatchWriteItem's PutRequests), or undefined. dynalite checks the same limit but counts string characters,
 * not UTF-8 bytes, so it stores multi-byte text that AWS refuses. UpdateItem's result depends on the stored item,
 * which a check of the request cannot see: that one stays dynalite's ("Item size to update has exceeded the
 * maximum allowed size"), with the same miscount.
 */
export function dynamoDbLimitViolation(target: string, body: unknown): LimitViolation | undefined {
  const operation = target.replace(/^DynamoDB_20120810\./, '');
  const request = record(body);
  const items =
    operation === 'PutItem'
      ? [request.Item]
      : operation === 'BatchWriteItem'
        ? Object.values(record(request.RequestItems)).flatMap((writes) =>
            (Array.isArray(writes) ? writes : [])
              .map((w) => record(record(w).PutRequest).Item)
              .filter(Boolean),
          )
        : [];
  if (!items.some((item) => dynamoDbItemSize(item) > DYNAMODB_MAX_ITEM_BYTES)) return undefined;
  return {
    status: 400,
    headers: { 'content-type': 'application/x-amz-json-1.0', 'x-amzn-requestid': randomUUID() },
    body: JSON.stringify({
      __type: 'com.amazon.coral.validate#ValidationException',
      message: 'Item size has exceeded the maximum allowed size',
    }),
  };
}
