import { PinpointSMSVoiceV2Client, SendTextMessageCommand } from '@aws-sdk/client-pinpoint-sms-voice-v2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Paging locally, on the real stack's local target: End User Messaging SMS and Voice answers on the AWS endpoint,
 * every message is listed at `GET /_local/messages` (administrator) and shown beside the mail viewer, and
 * `POST /_local/sms/inbound` reaches the stack's two-way SMS topic (acknowledging: sms-acknowledge.test.ts).
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const admin = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20261201/us-east-1/sms-voice/aws4_request, SignedHeaders=host, Signature=00',
};

async function call(method: string, path: string, body?: unknown, headers: Record<string, string> = admin) {
  const response = await fetch(`${hotline.target.urls.aws}${path}`, {
    method,
    headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  // biome-ignore lint/suspicious/noExplicitAny: the routes' JSON answers are read loosely
  return { status: response.status, body: (await response.json()) as Record<string, any> };
}

describe('texts and voice messages on the local target', () => {
  it('lists what was sent at /_local/messages, and shows it escaped in the viewer beside the mail viewer', async () => {
    expect((await call('GET', '/_local/messages')).body).toEqual({ messages: [] });
    // As the administrator (the AWS CLI's key): the functions' own calls are checked against their roles.
    const client = new PinpointSMSVoiceV2Client({
      endpoint: hotline.target.urls.aws,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    });
    const { MessageId } = await client.send(
      new SendTextMessageCommand({
        DestinationPhoneNumber: '+447700900123',
        OriginationIdentity: '+12065550100',
        MessageBody: 'HOT-1 SEV1 <script>alert(1)</script>\nReply ACK 123456',
        MessageType: 'TRANSACTIONAL',
      }),
    );
    expect(MessageId).toMatch(/^[0-9a-f-]{36}$/);
    const { status, body } = await call('GET', '/_local/messages');
    expect(status).toBe(200);
    expect(body.messages).toEqual([
      {
        channel: 'sms',
        to: '+447700900123',
        from: '+12065550100',
        body: 'HOT-1 SEV1 <script>alert(1)</script>\nReply ACK 123456',
        at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
      },
    ]);
    expect((await call('GET', '/_local/messages', undefined, {})).status).toBe(403);

    const viewer = await fetch(`${hotline.target.urls.ses}/messages`);
    expect(viewer.status).toBe(200);
    expect(viewer.headers.get('content-type')).toContain('text/html');
    expect(viewer.headers.get('content-security-policy')).toContain("default-src 'none'");
    const page = await viewer.text();
    expect(page).toContain('+447700900123');
    expect(page).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(page).not.toContain('<script>');
    // The mail viewer is still the package's.
    expect((await fetch(`${hotline.target.urls.ses}/store`)).status).toBe(200);
  });

  it("delivers /_local/sms/inbound to the two-way SMS topic's subscriber, and checks the body first", async () => {
    const text = { from: '+447700900123', to: '+12065550100', body: 'ACK 123456' };
    const delivered = await call('POST', '/_local/sms/inbound', text);
    expect(delivered.status).toBe(202);
    expect(delivered.body.topicArn).toMatch(/:TwoWaySmsTopic$/);
    expect(delivered.body.deliveredTo).toEqual([hotline.target.functions.find('SmsReplies')?.arn]);
    expect(delivered.body.published).toMatchObject({
      originationNumber: text.from,
      destinationNumber: text.to,
      messageBody: text.body,
    });
    const bad = await call('POST', '/_local/sms/inbound', { ...text, from: '07700900123' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.message).toContain('"from"');
    expect((await call('POST', '/_local/sms/inbound', text, {})).status).toBe(403);
    expect((await call('GET', '/_local/sms/inbound')).status).toBe(405);
  });
});
