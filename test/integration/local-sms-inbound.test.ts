import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { administratorCheck } from '../../infra/local/admin-api.ts';
import {
  createMessagingAdmin,
  MessageArchive,
  publishInboundSms,
  renderMessagesPage,
} from '../../infra/local/sms-voice.ts';

// An inbound text through `POST /_local/sms/inbound` when the stack has a two-way SMS topic: the topic's Lambda
// subscribers get the SNS notification AWS delivers, its message the two-way SMS payload; STOP opts the sender out.

const topicArn = 'arn:aws:sns:us-east-1:000000000000:Hotline-TwoWaySmsTopic';
const functionArn = 'arn:aws:lambda:us-east-1:000000000000:function:Hotline-SmsReplies';
const token = 't'.repeat(43);

describe('inbound texts on the local target', () => {
  let dir: string;
  let server: Server;
  let url: string;
  let archive: MessageArchive;
  const invoked: Array<{ fn: string; event: unknown }> = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hotline-sms-inbound-'));
    archive = new MessageArchive(dir);
    archive.add({
      channel: 'sms',
      to: '+447700900123',
      from: '+12065550100',
      body: 'HOT-3 SEV1 db down\nReply ACK 123456',
      at: '2026-12-01T03:00:00.000Z',
      messageId: 'outbound-1',
    });
    const admin = createMessagingAdmin({
      archive,
      isAdmin: administratorCheck(token),
      topicArn: () => topicArn,
      publish: (arn, payload) =>
        publishInboundSms(arn, payload, {
          subscriptions: [
            { topic: arn, protocol: 'lambda', endpoint: functionArn },
            { topic: arn, protocol: 'email', endpoint: 'ops@example.com' },
          ],
          invokeAsync: async (fn, event) => invoked.push({ fn, event }),
          log: () => undefined,
        }),
    });
    server = createServer(async (req, res) => {
      if (!(await admin(req, res))) res.writeHead(599).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });

  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
    rmSync(dir, { recursive: true, force: true });
  });

  const inbound = (body: unknown) =>
    fetch(`${url}/_local/sms/inbound`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it("delivers the SNS notification two-way SMS publishes to the topic's Lambda subscribers", async () => {
    const response = await inbound({ from: '+447700900123', to: '+12065550100', body: 'ack 123456' });
    expect(response.status).toBe(202);
    const answer = (await response.json()) as { deliveredTo: string[] };
    expect(answer.deliveredTo).toEqual([functionArn]);
    expect(invoked).toHaveLength(1);
    const { fn, event } = invoked[0] as { fn: string; event: { Records: unknown[] } };
    expect(fn).toBe(functionArn);
    const record = event.Records[0] as { EventSource: string; Sns: Record<string, unknown> };
    expect(record.EventSource).toBe('aws:sns');
    expect(record.Sns).toMatchObject({ Type: 'Notification', TopicArn: topicArn, Subject: null });
    expect(JSON.parse(record.Sns.Message as string)).toEqual({
      originationNumber: '+447700900123',
      destinationNumber: '+12065550100',
      messageKeyword: 'ACK',
      messageBody: 'ack 123456',
      inboundMessageId: expect.stringMatching(/^[0-9a-f-]{36}$/),
      previousPublishedMessageId: 'outbound-1',
    });
  });

  it('opts a sender out on STOP and back in on START, as the default keywords do', async () => {
    expect((await inbound({ from: '+447700900555', to: '+12065550100', body: 'stop' })).status).toBe(202);
    expect(archive.isOptedOut('+447700900555')).toBe(true);
    expect((await inbound({ from: '+447700900555', to: '+12065550100', body: 'START' })).status).toBe(202);
    expect(archive.isOptedOut('+447700900555')).toBe(false);
  });

  it('lists the newest message first in the viewer', () => {
    archive.add({
      channel: 'voice',
      to: '+447700900123',
      from: 'pool-0123456789abcdef0123456789abcdef',
      body: 'This is Hotline & co',
      at: '2026-12-01T03:03:00.000Z',
      messageId: 'outbound-2',
      voiceId: 'JOANNA',
    });
    const page = renderMessagesPage(archive.list());
    expect(page.indexOf('This is Hotline &amp; co')).toBeLessThan(page.indexOf('HOT-3 SEV1'));
    expect(page).toContain('Voice (JOANNA)');
  });
});
