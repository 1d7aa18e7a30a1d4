import { generateKeyPairSync, type KeyObject, randomBytes, sign } from 'node:crypto';
import fc from 'fast-check';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { severityFor } from '../../../functions/core/alert.ts';
import type { Organisation } from '../../../functions/core/config.ts';
import { ValidationError } from '../../../functions/core/errors.ts';
import { alarmTime, cloudwatch, declaredSeverity } from '../../../functions/sources/cloudwatch.ts';
import { sourceNamed } from '../../../functions/sources/index.ts';
import {
  clearCertificateCache,
  type SnsMessage,
  signingCertUrlProblem,
  stringToSign,
  subscribeUrlProblem,
} from '../../../functions/sources/sns-signature.ts';
import type { Fetcher, SourceContext } from '../../../functions/sources/source.ts';
import { fixture } from '../../support/fixtures.ts';
import { organisation } from '../../support/organisation.ts';
import { sourceContext } from '../../support/source-context.ts';

// ---------------------------------------------------------------------------------------------------------
// Test certificates. Real SNS signatures need AWS's private key, so the tests make their own RSA keys and a
// minimal self-signed X.509 v3 certificate in DER (no openssl, no dependency), sign the documented canonical
// strings with them, and serve the certificate through the injected fetch at an SNS URL.
// ---------------------------------------------------------------------------------------------------------

function tlv(tag: number, ...content: Buffer[]): Buffer {
  const body = Buffer.concat(content);
  if (body.length < 0x80) return Buffer.concat([Buffer.from([tag, body.length]), body]);
  const length: number[] = [];
  for (let n = body.length; n > 0; n >>= 8) length.unshift(n & 0xff);
  return Buffer.concat([Buffer.from([tag, 0x80 | length.length, ...length]), body]);
}
const sequence = (...content: Buffer[]) => tlv(0x30, ...content);
const SHA256_WITH_RSA = sequence(Buffer.from('06092a864886f70d01010b', 'hex'), Buffer.from('0500', 'hex'));
const COMMON_NAME = Buffer.from('0603550403', 'hex');

function utcTime(at: Date): Buffer {
  const iso = at.toISOString(); // YYYY-MM-DDTHH:MM:SS.sssZ -> YYMMDDHHMMSSZ
  const value = `${iso.slice(2, 4)}${iso.slice(5, 7)}${iso.slice(8, 10)}${iso.slice(11, 13)}${iso.slice(14, 16)}${iso.slice(17, 19)}Z`;
  return tlv(0x17, Buffer.from(value, 'ascii'));
}

function selfSignedCertificate(
  key: { publicKey: KeyObject; privateKey: KeyObject },
  notBefore: Date,
  notAfter: Date,
): string {
  const name = sequence(tlv(0x31, sequence(COMMON_NAME, tlv(0x0c, Buffer.from('sns.amazonaws.com')))));
  const serial = randomBytes(8);
  // A positive INTEGER in DER's minimal form: a first byte of 0x00 (1 in 256) would be refused as malformed.
  serial[0] = 0x40 | ((serial[0] ?? 0) & 0x3f);
  const tbs = sequence(
    tlv(0xa0, tlv(0x02, Buffer.from([2]))), // v3
    tlv(0x02, serial),
    SHA256_WITH_RSA,
    name,
    sequence(utcTime(notBefore), utcTime(notAfter)),
    name,
    key.publicKey.export({ type: 'spki', format: 'der' }),
  );
  const signature = sign('sha256', tbs, key.privateKey);
  const der = sequence(tbs, SHA256_WITH_RSA, tlv(0x03, Buffer.concat([Buffer.from([0]), signature])));
  const lines = der.toString('base64').match(/.{1,64}/g) ?? [];
  return `-----BEGIN CERTIFICATE-----\n${lines.join('\n')}\n-----END CERTIFICATE-----\n`;
}

// The documented string-to-sign fields, written out here independently of the code under test.
const DOCUMENTED_FIELDS: Record<string, string[]> = {
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

type Envelope = Record<string, unknown> & { Type: string; MessageId: string; TopicArn: string };

function signed(message: Envelope, privateKey: KeyObject, version: '1' | '2', certUrl = CERT_URL): Envelope {
  const canonical = (DOCUMENTED_FIELDS[message.Type] ?? [])
    .filter((name) => typeof message[name] === 'string')
    .map((name) => `${name}\n${message[name] as string}\n`)
    .join('');
  const signature = sign(version === '1' ? 'sha1' : 'sha256', Buffer.from(canonical, 'utf8'), privateKey);
  return {
    ...message,
    SignatureVersion: version,
    SigningCertURL: certUrl,
    Signature: signature.toString('base64'),
  };
}

// ---------------------------------------------------------------------------------------------------------

const TOPIC = 'arn:aws:sns:eu-west-1:111122223333:hotline-alarms';
const OTHER_ALLOWED_TOPIC = 'arn:aws:sns:eu-west-1:111122223333:hotline-alarms-2';
const CERT_URL =
  'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem';
const NOW = new Date('2026-11-20T09:45:00.000Z');
const DAY = 86_400_000;

const allowingOrganisation: Organisation = {
  ...organisation,
  alertSources: { cloudwatch: { allowedTopicArns: [TOPIC, OTHER_ALLOWED_TOPIC] } },
};

let snsKey: { publicKey: KeyObject; privateKey: KeyObject };
let attackerKey: { publicKey: KeyObject; privateKey: KeyObject };
let certificate: string;

beforeAll(() => {
  snsKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  attackerKey = generateKeyPairSync('rsa', { modulusLength: 2048 });
  certificate = selfSignedCertificate(
    snsKey,
    new Date(NOW.getTime() - 30 * DAY),
    new Date(NOW.getTime() + 365 * DAY),
  );
});

beforeEach(() => clearCertificateCache());

/** A fetch that serves PEMs by URL (anything else 404) and counts its calls. */
function certificateServer(pems: Record<string, string> = { [CERT_URL]: certificate }) {
  return vi.fn<Fetcher>(async (url) => {
    const pem = Object.hasOwn(pems, url) ? pems[url] : undefined;
    return { status: pem === undefined ? 404 : 200, text: async () => pem ?? 'not found' };
  });
}

function context(options: { now?: Date; fetch?: Fetcher } = {}): SourceContext {
  return {
    ...sourceContext({ now: options.now ?? NOW, fetch: options.fetch ?? certificateServer() }),
    organisation: allowingOrganisation,
  };
}

function request(message: Envelope, headers: Record<string, string> = {}) {
  return {
    headers: {
      'content-type': 'text/plain; charset=UTF-8',
      'x-amz-sns-message-type': message.Type,
      'x-amz-sns-message-id': message.MessageId,
      'x-amz-sns-topic-arn': message.TopicArn,
      ...headers,
    },
    rawBody: JSON.stringify(message),
  };
}

/** A fixture as SNS would sign it, stamped a minute before the test clock. */
function delivered(name: string, version: '1' | '2' = '2', changes: Record<string, unknown> = {}): Envelope {
  const body = {
    ...fixture<Envelope>('cloudwatch', name),
    Timestamp: '2026-11-20T09:44:00.000Z',
    ...changes,
  };
  return signed(body, snsKey.privateKey, version);
}

async function verify(message: Envelope, ctx: SourceContext = context()) {
  return cloudwatch.verify(request(message), ctx);
}

describe('cloudwatch source: registry', () => {
  it('is served at /alerts/cloudwatch, takes text/plain and needs no shared secret', async () => {
    expect(await sourceNamed('cloudwatch')).toBe(cloudwatch);
    expect(cloudwatch.usesSecret).toBe(false);
    expect(cloudwatch.acceptsTextPlain).toBe(true);
  });
});

describe('cloudwatch source: SNS canonical string', () => {
  it('matches the documented Notification example byte for byte', () => {
    const message = {
      Type: 'Notification',
      Message: 'My Test Message',
      MessageId: '4d4dc071-ddbf-465d-bba8-08f81c89da64',
      Subject: 'My subject',
      Timestamp: '2019-01-31T04:37:04.321Z',
      TopicArn: 'arn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P',
    } as SnsMessage;
    expect(stringToSign(message)).toBe(
      'Message\nMy Test Message\nMessageId\n4d4dc071-ddbf-465d-bba8-08f81c89da64\nSubject\nMy subject\n' +
        'Timestamp\n2019-01-31T04:37:04.321Z\nTopicArn\narn:aws:sns:us-east-2:123456789012:s4-MySNSTopic-1G1WEFCOXTC0P\n' +
        'Type\nNotification\n',
    );
    const { Subject: _omitted, ...withoutSubject } = message as SnsMessage & { Subject?: string };
    expect(stringToSign(withoutSubject as SnsMessage)).not.toContain('Subject');
  });

  it('signs SubscribeURL and Token for subscription messages, and no UnsubscribeURL for notifications', () => {
    const confirmation = fixture<Envelope>('cloudwatch', 'subscription-confirmation');
    const expected = (DOCUMENTED_FIELDS.SubscriptionConfirmation ?? [])
      .map((name) => `${name}\n${confirmation[name] as string}\n`)
      .join('');
    expect(stringToSign(confirmation as unknown as SnsMessage)).toBe(expected);
    expect(stringToSign(fixture<SnsMessage>('cloudwatch', 'notification-alarm'))).not.toContain(
      'UnsubscribeURL',
    );
  });
});

describe('cloudwatch source: verify', () => {
  it('accepts SignatureVersion 1 (SHA1withRSA) and 2 (SHA256withRSA) and returns the MessageId', async () => {
    for (const version of ['1', '2'] as const) {
      for (const name of [
        'notification-alarm',
        'notification-metric-math',
        'subscription-confirmation',
        'unsubscribe-confirmation',
      ]) {
        const message = delivered(name, version);
        expect(await verify(message), `${name} v${version}`).toEqual({
          ok: true,
          deliveryId: message.MessageId,
        });
      }
    }
  });

  it('accepts a notification without a Subject', async () => {
    const { Subject: _none, ...body } = fixture<Envelope>('cloudwatch', 'notification-alarm');
    const message = signed({ ...body, Timestamp: '2026-11-20T09:44:00.000Z' }, snsKey.privateKey, '2');
    expect((await verify(message)).ok).toBe(true);
  });

  it('refuses a message whose signed fields were changed after signing', async () => {
    const notification = delivered('notification-alarm', '2');
    const confirmation = delivered('subscription-confirmation', '1');
    const tampered: [string, Envelope][] = [
      ['Message', { ...notification, Message: notification.Message === '{}' ? '[]' : '{}' }],
      ['MessageId', { ...notification, MessageId: 'f00dfeed-0000-4000-8000-000000000000' }],
      ['Subject', { ...notification, Subject: 'OK: "checkout-api-5xx" in EU (Ireland)' }],
      ['Subject removed', { ...notification, Subject: undefined }],
      ['Timestamp', { ...notification, Timestamp: '2026-11-20T09:44:00.001Z' }],
      ['TopicArn (another allowed topic)', { ...notification, TopicArn: OTHER_ALLOWED_TOPIC }],
      ['SubscribeURL', { ...confirmation, SubscribeURL: `${confirmation.SubscribeURL as string}&x=1` }],
      ['Token', { ...confirmation, Token: 'ff' }],
      ['Type', { ...confirmation, Type: 'UnsubscribeConfirmation' }],
      ['SignatureVersion', { ...notification, SignatureVersion: '1' }],
      [
        'signed by another key',
        signed(fixture<Envelope>('cloudwatch', 'notification-alarm'), attackerKey.privateKey, '2'),
      ],
    ];
    for (const [what, message] of tampered) {
      const result = await verify(message);
      expect(result.ok, what).toBe(false);
    }
  });

  it('refuses certificate URLs off the SNS hosts of AWS without fetching them', async () => {
    const urls = [
      'http://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
      'https://sns.eu-west-1.amazonaws.com.evil.com/SimpleNotificationService-1.pem',
      'https://evilsns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
      'https://sns.eu-west-1.amazonaws.com@evil.com/SimpleNotificationService-1.pem',
      'https://user:pass@sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem',
      'https://sns.eu-west-1.amazonaws.com:8443/SimpleNotificationService-1.pem',
      'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.pem?x=1',
      'https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-1.txt',
      'https://sns.eu-west-1.amazonaws.com.cn/SimpleNotificationService-1.pem',
      'https://sns.amazonaws.com/SimpleNotificationService-1.pem',
      'https://s3.eu-west-1.amazonaws.com/bucket/SimpleNotificationService-1.pem',
      'https://sns.eu-west-1.amazonaws.co/SimpleNotificationService-1.pem',
      'not a url',
    ];
    for (const url of urls) {
      const fetch = certificateServer({ [url]: certificate });
      const message = signed(
        { ...fixture<Envelope>('cloudwatch', 'notification-alarm'), Timestamp: '2026-11-20T09:44:00.000Z' },
        snsKey.privateKey,
        '2',
        url,
      );
      const result = await verify(message, context({ fetch }));
      expect(result.ok, url).toBe(false);
      expect(fetch, url).not.toHaveBeenCalled();
    }
  });

  it('knows the SNS hosts of the commercial, GovCloud and China partitions', () => {
    expect(
      signingCertUrlProblem('https://sns.us-east-1.amazonaws.com/SimpleNotificationService-a.pem'),
    ).toBeUndefined();
    expect(
      signingCertUrlProblem('https://sns.us-gov-west-1.amazonaws.com/SimpleNotificationService-a.pem'),
    ).toBeUndefined();
    expect(
      signingCertUrlProblem('https://sns.cn-north-1.amazonaws.com.cn/SimpleNotificationService-a.pem'),
    ).toBeUndefined();
    expect(
      signingCertUrlProblem('https://sns.cn-north-1.amazonaws.com/SimpleNotificationService-a.pem'),
    ).toMatch(/not SNS/);
  });

  it('refuses expired and not-yet-valid certificates', async () => {
    const expired = selfSignedCertificate(
      snsKey,
      new Date(NOW.getTime() - 400 * DAY),
      new Date(NOW.getTime() - DAY),
    );
    const future = selfSignedCertificate(
      snsKey,
      new Date(NOW.getTime() + DAY),
      new Date(NOW.getTime() + 400 * DAY),
    );
    for (const [what, pem] of [
      ['expired', expired],
      ['not yet valid', future],
    ] as const) {
      clearCertificateCache();
      const result = await verify(
        delivered('notification-alarm'),
        context({ fetch: certificateServer({ [CERT_URL]: pem }) }),
      );
      expect(result, what).toMatchObject({
        ok: false,
        reason: expect.stringMatching(/expired|not valid yet/),
      });
    }
  });

  it('refuses what is not a usable certificate: missing, garbage, a weak key', async () => {
    const weak = selfSignedCertificate(
      generateKeyPairSync('rsa', { modulusLength: 1024 }),
      new Date(NOW.getTime() - DAY),
      new Date(NOW.getTime() + DAY),
    );
    const failing: Fetcher = async () => {
      throw new Error('connect ETIMEDOUT');
    };
    for (const fetch of [
      certificateServer({}),
      certificateServer({ [CERT_URL]: 'garbage' }),
      certificateServer({ [CERT_URL]: weak }),
      failing,
    ]) {
      clearCertificateCache();
      expect((await verify(delivered('notification-alarm'), context({ fetch }))).ok).toBe(false);
    }
  });

  it('refuses a topic that is not allowed, with the reason in the log', async () => {
    const message = delivered('notification-alarm', '2', {
      TopicArn: 'arn:aws:sns:eu-west-1:444455556666:somebody-else',
    });
    const result = await verify(message);
    expect(result).toMatchObject({ ok: false, reason: expect.stringContaining('allowedTopicArns') });
    // Nothing is allowed by default.
    expect(
      (
        await cloudwatch.verify(
          request(delivered('notification-alarm')),
          sourceContext({ now: NOW, fetch: certificateServer() }),
        )
      ).ok,
    ).toBe(false);
  });

  it('refuses messages outside the replay window (older than an hour) or from the future', async () => {
    const at = (timestamp: string) => delivered('notification-alarm', '2', { Timestamp: timestamp });
    expect((await verify(at('2026-11-20T08:46:00.000Z'))).ok).toBe(true); // 59 minutes
    expect(await verify(at('2026-11-20T08:44:59.999Z'))).toMatchObject({
      ok: false,
      reason: expect.stringMatching(/replay/),
    });
    expect((await verify(at('2026-11-20T09:52:00.000Z'))).ok).toBe(false);
    expect((await verify(at('Fri, 20 Nov 2026 09:44:00 GMT'))).ok).toBe(false);
  });

  it('refuses unknown signature versions, headers that disagree with the body, and non-SNS bodies', async () => {
    const message = delivered('notification-alarm');
    expect((await verify({ ...message, SignatureVersion: '3' })).ok).toBe(false);
    expect(
      (
        await cloudwatch.verify(
          request(message, { 'x-amz-sns-message-type': 'SubscriptionConfirmation' }),
          context(),
        )
      ).ok,
    ).toBe(false);
    expect(
      (await cloudwatch.verify(request(message, { 'x-amz-sns-topic-arn': OTHER_ALLOWED_TOPIC }), context()))
        .ok,
    ).toBe(false);
    expect((await cloudwatch.verify({ headers: {}, rawBody: 'not json' }, context())).ok).toBe(false);
    expect((await cloudwatch.verify({ headers: {}, rawBody: '{"Type":"Notification"}' }, context())).ok).toBe(
      false,
    );
  });

  it('caches a certificate per URL: one fetch for two messages, again after the cache time', async () => {
    const fetch = certificateServer();
    expect((await verify(delivered('notification-alarm'), context({ fetch }))).ok).toBe(true);
    expect((await verify(delivered('notification-metric-math', '1'), context({ fetch }))).ok).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(1);

    const later = new Date(NOW.getTime() + 2 * 3_600_000);
    const message = delivered('notification-alarm', '2', {
      Timestamp: new Date(later.getTime() - 60_000).toISOString(),
    });
    expect((await verify(message, context({ now: later, fetch }))).ok).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(2);
  });

  it('keeps at most 20 certificates, dropping the least recently used', async () => {
    const urlOf = (i: number) => `https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-${i}.pem`;
    const fetch = certificateServer(
      Object.fromEntries(Array.from({ length: 21 }, (_, i) => [urlOf(i), certificate])),
    );
    const body = {
      ...fixture<Envelope>('cloudwatch', 'notification-alarm'),
      Timestamp: '2026-11-20T09:44:00.000Z',
    };
    const verifyWith = async (i: number) =>
      (await verify(signed(body, snsKey.privateKey, '2', urlOf(i)), context({ fetch }))).ok;

    for (let i = 0; i < 20; i++) expect(await verifyWith(i)).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(20);
    expect(await verifyWith(0)).toBe(true); // a hit makes 0 the most recently used
    expect(await verifyWith(20)).toBe(true); // the 21st evicts the least recently used: 1
    expect(fetch).toHaveBeenCalledTimes(21);
    expect(await verifyWith(0)).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(21);
    expect(await verifyWith(1)).toBe(true);
    expect(fetch).toHaveBeenCalledTimes(22);
  });
});

describe('cloudwatch source: parse', () => {
  const parse = (body: unknown) => cloudwatch.parse(body, context());

  it('reads an ALARM into a firing alert keyed by the alarm ARN', () => {
    const { alerts, confirmSubscription } = parse(fixture('cloudwatch', 'notification-alarm'));
    expect(confirmSubscription).toBeUndefined();
    expect(alerts).toHaveLength(1);
    const [alert] = alerts;
    expect(alert).toMatchObject({
      source: 'cloudwatch',
      groupKey: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-5xx',
      status: 'firing',
      startsAt: '2026-11-20T09:41:12.345Z',
      description: 'severity=critical service=checkout. Checkout API target 5xx responses above 50 a minute.',
      url: 'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/checkout-api-5xx',
    });
    expect(alert?.endsAt).toBeUndefined();
    expect(alert?.summary).toMatch(/^checkout-api-5xx: Threshold Crossed: 2 out of the last 3 datapoints/);
    expect(alert?.summary.length).toBeLessThanOrEqual(200);
    expect(alert?.labels).toEqual({
      alarm_name: 'checkout-api-5xx',
      alarm_type: 'metric',
      namespace: 'AWS/ApplicationELB',
      metric: 'HTTPCode_Target_5XX_Count',
      region: 'eu-west-1',
      account: '111122223333',
      dimension_LoadBalancer: 'app/checkout-alb/50dc6c495c0c9188',
      dimension_TargetGroup: 'targetgroup/checkout-api/73e2d6bc24d8a067',
      severity: 'critical',
      service: 'checkout',
    });
    expect(alert?.annotations).toMatchObject({
      state_change: 'OK -> ALARM',
      region_name: 'EU (Ireland)',
      statistic: 'SUM',
      threshold: 'GreaterThanThreshold 50',
      period_seconds: '60',
      evaluation_periods: '3',
      sns_topic_arn: TOPIC,
    });
    // The organisation's severity mapping applies to the label.
    expect(severityFor(organisation, alert?.labels ?? {})).toBe(1);
  });

  it('reads an OK into a resolved alert of the same alarm, ended at the state change', () => {
    const [firing] = parse(fixture('cloudwatch', 'notification-alarm')).alerts;
    const [resolved] = parse(fixture('cloudwatch', 'notification-ok')).alerts;
    expect(resolved).toMatchObject({
      status: 'resolved',
      endsAt: '2026-11-20T10:02:40.118Z',
      startsAt: '2026-11-20T10:02:40.118Z',
    });
    expect(resolved?.groupKey).toBe(firing?.groupKey);
    expect(resolved?.fingerprint).toBe(firing?.fingerprint);
    expect(resolved?.annotations.state_change).toBe('ALARM -> OK');
  });

  it('gives no alert, and no error, for INSUFFICIENT_DATA', () => {
    expect(parse(fixture('cloudwatch', 'notification-insufficient-data'))).toEqual({ alerts: [] });
  });

  it('reads a composite alarm with its rule and triggering children', () => {
    const [alert] = parse(fixture('cloudwatch', 'notification-composite')).alerts;
    expect(alert).toMatchObject({
      status: 'firing',
      groupKey: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:[P2] checkout-degraded',
      labels: { alarm_type: 'composite', severity: 'p2', service: 'checkout', region: 'eu-west-1' },
      annotations: {
        alarm_rule: 'ALARM("checkout-api-5xx") OR ALARM("checkout-api-latency-p99")',
        triggering_children: 'arn:aws:cloudwatch:eu-west-1:111122223333:alarm:checkout-api-5xx',
      },
    });
    expect(alert?.labels.metric).toBeUndefined();
    expect(alert?.url).toContain('#alarmsV2:alarm/%5BP2%5D%20checkout-degraded');
  });

  it('reads a metric math alarm: its first metric, every dimension, the service from ServiceName', () => {
    const [alert] = parse(fixture('cloudwatch', 'notification-metric-math')).alerts;
    expect(alert?.labels).toMatchObject({
      namespace: 'Payments/Worker',
      metric: 'JobErrors',
      dimension_ClusterName: 'payments-cluster',
      dimension_ServiceName: 'checkout-api',
      service: 'checkout-api',
      severity: 'sev3',
    });
    expect(alert?.annotations.expression).toBe('100 * errors / jobs');
  });

  it('asks the handler to confirm a subscription to an allowed topic', () => {
    const body = fixture<Envelope>('cloudwatch', 'subscription-confirmation');
    expect(parse(body)).toEqual({
      alerts: [],
      confirmSubscription: { url: body.SubscribeURL, topicArn: TOPIC },
    });
    expect(() => cloudwatch.parse(body, sourceContext())).toThrowError(/allowedTopicArns/);
  });

  it('refuses a SubscribeURL that is not the ConfirmSubscription call of the topic on its SNS endpoint', () => {
    const body = fixture<Envelope>('cloudwatch', 'subscription-confirmation');
    const good = body.SubscribeURL as string;
    const bad = [
      good.replace('https://', 'http://'),
      good.replace('sns.eu-west-1.amazonaws.com', 'sns.eu-west-1.amazonaws.com.evil.com'),
      good.replace('sns.eu-west-1.amazonaws.com', 'sns.us-east-1.amazonaws.com'),
      good.replace('Action=ConfirmSubscription', 'Action=Unsubscribe'),
      good.replace(`TopicArn=${TOPIC}`, `TopicArn=${OTHER_ALLOWED_TOPIC}`),
      good.replace('https://', 'https://user@'),
      'javascript:alert(1)',
    ];
    for (const url of bad) {
      expect(() => parse({ ...body, SubscribeURL: url }), url).toThrowError(ValidationError);
    }
    expect(subscribeUrlProblem(good, TOPIC)).toBeUndefined();
  });

  it('gives no alert for an unsubscribe confirmation', () => {
    expect(parse(fixture('cloudwatch', 'unsubscribe-confirmation'))).toEqual({ alerts: [] });
  });

  it('names the problem in a message that is not a CloudWatch alarm', () => {
    const body = fixture<Envelope>('cloudwatch', 'notification-alarm');
    const alarm = JSON.parse(body.Message as string) as Record<string, unknown>;
    expect(() => parse({ ...body, Message: 'hello' })).toThrowError(/not JSON/);
    expect(() =>
      parse({ ...body, Message: JSON.stringify({ ...alarm, NewStateValue: 'BROKEN' }) }),
    ).toThrowError(/NewStateValue/);
    expect(() =>
      parse({ ...body, Message: JSON.stringify({ ...alarm, AlarmArn: 'arn:aws:sns:x' }) }),
    ).toThrowError(/AlarmArn/);
    expect(() =>
      parse({ ...body, Message: JSON.stringify({ ...alarm, StateChangeTime: 'yesterday' }) }),
    ).toThrowError(/StateChangeTime/);
    expect(() => parse({ ...body, Type: 'Bogus' })).toThrowError(ValidationError);
    expect(() => parse('nope')).toThrowError(ValidationError);
  });

  it('does not lose a page over a malformed detail', () => {
    const body = fixture<Envelope>('cloudwatch', 'notification-alarm');
    const alarm = JSON.parse(body.Message as string) as Record<string, unknown>;
    const odd = {
      ...alarm,
      Trigger: { Dimensions: 'oops', Threshold: 'high' },
      Region: 7,
      AlarmDescription: null,
      TriggeringChildren: 'x',
    };
    const [alert] = parse({ ...body, Message: JSON.stringify(odd) }).alerts;
    expect(alert).toMatchObject({
      status: 'firing',
      labels: { alarm_name: 'checkout-api-5xx', region: 'eu-west-1' },
    });
    expect(alert?.description).toBeUndefined();
  });

  it('caps untrusted text', () => {
    const body = fixture<Envelope>('cloudwatch', 'notification-alarm');
    const alarm = JSON.parse(body.Message as string) as Record<string, unknown>;
    const long = { ...alarm, NewStateReason: 'x'.repeat(10_000), AlarmDescription: 'y'.repeat(10_000) };
    const [alert] = parse({ ...body, Message: JSON.stringify(long) }).alerts;
    expect(alert?.summary.length).toBeLessThanOrEqual(200);
    expect(alert?.description?.length).toBeLessThanOrEqual(2000);
    expect(alert?.annotations.reason?.length).toBeLessThanOrEqual(1024);
  });
});

describe('cloudwatch source: conventions', () => {
  it('reads severity from the description, then the name; key=value before [P<n>] tags', () => {
    expect(declaredSeverity('severity=critical', 'x')).toBe('critical');
    expect(declaredSeverity('Paging. Severity = High; owner=payments', 'x')).toBe('high');
    expect(declaredSeverity(undefined, 'checkout-5xx severity=warning')).toBe('warning');
    expect(declaredSeverity('[P3] slow', 'severity=critical')).toBe('critical');
    expect(declaredSeverity('nothing here', '[P1] checkout down')).toBe('p1');
    expect(declaredSeverity('[SEV-2] checkout slow', 'x')).toBe('sev2');
    expect(declaredSeverity('noseverity=critical [Prod]', 'x')).toBeUndefined();
  });

  it('reads CloudWatch state change times with a +0000 offset', () => {
    expect(alarmTime('2026-11-20T09:41:12.345+0000')).toBe('2026-11-20T09:41:12.345Z');
    expect(alarmTime('2026-11-20T10:41:12.345+01:00')).toBe('2026-11-20T09:41:12.345Z');
    expect(alarmTime('2026-11-20')).toBeUndefined();
    expect(alarmTime('2026-13-45T99:00:00.000+0000')).toBeUndefined();
    // Date.parse would roll it over to 3 March.
    expect(alarmTime('2026-02-31T09:41:12.345+0000')).toBeUndefined();
  });
});

describe('cloudwatch source: properties', () => {
  const onlyValidationErrors = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      if (!(error instanceof ValidationError)) throw error;
    }
  };

  it('parse throws nothing but ValidationError, whatever the JSON', () => {
    const envelope = fixture<Envelope>('cloudwatch', 'notification-alarm');
    const alarm = JSON.parse(envelope.Message as string) as Record<string, unknown>;
    const alarmKeys = [...Object.keys(alarm), 'AlarmRule', 'TriggeringChildren'];
    const confirmation = fixture<Envelope>('cloudwatch', 'subscription-confirmation');
    fc.assert(
      fc.property(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }),
          fc.jsonValue({ maxDepth: 4 }).map((value) => ({ ...envelope, Message: JSON.stringify(value) })),
          fc.dictionary(fc.constantFrom(...alarmKeys), fc.jsonValue({ maxDepth: 4 })).map((changes) => ({
            ...envelope,
            Message: JSON.stringify({ ...alarm, ...changes }),
          })),
          fc
            .record({
              Type: fc.constantFrom('SubscriptionConfirmation', 'UnsubscribeConfirmation'),
              SubscribeURL: fc.oneof(
                fc.string(),
                fc.string().map((tail) => `${confirmation.SubscribeURL as string}${tail}`),
                fc.string().map((host) => `https://${host}/?Action=ConfirmSubscription&TopicArn=${TOPIC}`),
              ),
            })
            .map((changes) => ({ ...confirmation, ...changes })),
        ),
        (body) => onlyValidationErrors(() => cloudwatch.parse(body, context())),
      ),
      { numRuns: 100 },
    );
  });

  it('verify never throws and never accepts a tampered message', async () => {
    const original = delivered('notification-alarm');
    const fields = [
      'Message',
      'MessageId',
      'Subject',
      'Timestamp',
      'TopicArn',
      'Type',
      'Signature',
      'SignatureVersion',
    ];
    const fetch = certificateServer();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null'),
          fc.string(),
          fc
            .tuple(
              fc.constantFrom(...fields),
              fc.oneof(fc.string(), fc.base64String(), fc.jsonValue({ maxDepth: 4 })),
            )
            .filter(([field, value]) => original[field] !== value)
            .map(([field, value]) => JSON.stringify({ ...original, [field]: value })),
        ),
        async (rawBody) => {
          const result = await cloudwatch.verify({ headers: {}, rawBody }, context({ fetch }));
          expect(result.ok).toBe(false);
        },
      ),
      { numRuns: 100 },
    );
    // The untampered original does pass with the same fetch: the property is not vacuous.
    expect((await verify(original, context({ fetch }))).ok).toBe(true);
  });
});
