import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { about, hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Acknowledging by replying to the page mail, on the real stack's local target: the page's Reply-To is the
 * incident's reply address at the example's replies domain; a raw reply posted to `/_local/mail/inbound` is
 * received as SES would receive it at the stack's receipt rule (its SNS action, the mail replies topic, its Lambda
 * subscription to MailReplies, IAM enforced). Only a reply saying "ack" from a paged address with passing SPF
 * and DKIM acknowledges; every other reply changes nothing.
 */

let hotline: HotlineTarget;
const { api, waitForMails } = hotlineClient(() => hotline);
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const admin = {
  authorization:
    'AWS4-HMAC-SHA256 Credential=local/20261201/us-east-1/ses/aws4_request, SignedHeaders=host, Signature=00',
};

/** Posts a raw mail to the local inbound route (the route answers once the rule's function has run). */
async function receive(raw: string, headers: Record<string, string> = {}) {
  const response = await fetch(`${hotline.target.urls.aws}/_local/mail/inbound`, {
    method: 'POST',
    headers: { ...admin, 'content-type': 'message/rfc822', ...headers },
    body: raw,
  });
  return { status: response.status, body: (await response.json()) as Json };
}

/** A reply as a mail client writes it: multipart, the text quoted-printable, the page quoted below. */
function reply(from: string, to: string, firstLine: string, subject = 'Re: Paged') {
  return [
    `From: Someone <${from}>`,
    `To: ${to}`,
    `Subject: ${subject}`,
    'Date: Mon, 07 Dec 2026 09:07:00 +0000',
    `Message-ID: <${Math.random().toString(36).slice(2)}@mail.example.com>`,
    'MIME-Version: 1.0',
    'Content-Type: multipart/alternative; boundary="b1"',
    '',
    '--b1',
    'Content-Type: text/plain; charset=utf-8',
    'Content-Transfer-Encoding: quoted-printable',
    '',
    firstLine,
    '',
    '> A Sev 2 incident was opened for Checkout. Please acknowledge and take charge.',
    '--b1',
    'Content-Type: text/html; charset=utf-8',
    '',
    `<div>${firstLine}</div><blockquote>A Sev 2 incident was opened</blockquote>`,
    '--b1--',
    '',
  ].join('\r\n');
}

const replyToOf = (mail: Mail): string => {
  const value = (mail as Mail & { replyTo?: string | string[] }).replyTo;
  return (Array.isArray(value) ? value[0] : value) ?? '';
};

const incidentOf = async (key: string) => (await api('GET', `/incidents/${key}`)).body as Json;

async function declare(service: string, summary: string): Promise<string> {
  const declared = await api('POST', '/incidents', {
    summary,
    description: 'Customers cannot pay.',
    severity: 2,
    service,
  });
  expect(declared.status).toBe(201);
  return declared.body.key as string;
}

describe('acknowledging by replying to the page mail', () => {
  it('acknowledges from the paged address with passing verdicts, and ignores every other reply', async () => {
    const key = await declare('checkout', 'Card payments failing');
    const [page] = await waitForMails('the page', about(key, ' - Paged', 'payments-oncall@example.com'));
    const address = replyToOf(page as Mail);
    expect(address).toMatch(
      new RegExp(`^ack-${key.toLowerCase()}-[0-9a-hjkmnp-tv-z]{26}@replies\\.example\\.com$`),
    );
    expect(page?.body.text).toContain('Or reply to this mail with "ack" on the first line');

    // Another incident, paged to someone else: its reply address does not take payments-oncall's reply.
    const other = await declare('unknown', 'Search index stale');
    const [otherPage] = await waitForMails('the other page', about(other, ' - Paged'));
    const otherAddress = replyToOf(otherPage as Mail);
    expect(otherAddress).toContain(`ack-${other.toLowerCase()}-`);

    const ignored: [string, string, Record<string, string>][] = [
      ['from an address the incident did not page', reply('mallory@example.com', address, 'ack'), {}],
      ['failing SPF', reply('payments-oncall@example.com', address, 'ack'), { 'x-local-spf': 'FAIL' }],
      ['failing DKIM', reply('payments-oncall@example.com', address, 'ack'), { 'x-local-dkim': 'FAIL' }],
      [
        'DKIM not evaluated',
        reply('payments-oncall@example.com', address, 'ack'),
        { 'x-local-dkim': 'GRAY' },
      ],
      ['failing DMARC', reply('payments-oncall@example.com', address, 'ack'), { 'x-local-dmarc': 'FAIL' }],
      ['a virus', reply('payments-oncall@example.com', address, 'ack'), { 'x-local-virus': 'FAIL' }],
      ['no "ack" on the first line', reply('payments-oncall@example.com', address, 'Thanks, looking'), {}],
      ["to another incident's address", reply('payments-oncall@example.com', otherAddress, 'ack'), {}],
      [
        'to a forged address of the incident',
        reply(
          'payments-oncall@example.com',
          address.replace(/-[0-9a-z]{26}@/, '-01jf0000000000000000000000@'),
          'ack',
        ),
        {},
      ],
    ];
    for (const [what, raw, headers] of ignored) {
      const received = await receive(raw, headers);
      expect(received.status, what).toBe(202);
      expect(received.body.deliveredTo, what).toEqual([hotline.target.functions.find('MailReplies')?.arn]);
      // The route answers once MailReplies has run: nothing changed.
      const view = await incidentOf(key);
      expect(view.incident.status, what).toBe('paged');
      expect(view.incident.acknowledgedAt, what).toBeUndefined();
    }
    expect((await incidentOf(other)).incident.acknowledgedAt).toBeUndefined();

    const replied = await receive(
      reply('Payments-Oncall@example.com', address, 'Ack - on it, looking at the PSP now'),
    );
    expect(replied.status).toBe(202);
    expect(replied.body.received).toEqual([
      { topicArn: expect.stringContaining('MailRepliesTopic'), recipients: [address] },
    ]);
    const acknowledged = await eventually(async () => {
      const view = await incidentOf(key);
      return view.incident.status === 'fixing' ? view : undefined;
    }, `${key} acknowledged by mail`);
    expect(acknowledged.incident.acknowledgedBy).toBe('payments-oncall@example.com');
    const entries = (acknowledged.timeline as Json[]).filter((e) => e.kind === 'incident.acknowledged');
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      text: 'Acknowledged by mail reply from payments-oncall@example.com: payments-oncall@example.com is in charge as incident manager. Status: → fixing.',
      data: { via: 'mail' },
    });
  });

  it('refuses what SES would not receive', async () => {
    const address = 'ack-hot-1-01jf0000000000000000000000@replies.example.com';
    const big = reply('payments-oncall@example.com', address, `ack ${'x'.repeat(160 * 1024)}`);
    const tooLarge = await receive(big);
    expect(tooLarge.status).toBe(422);
    expect(tooLarge.body.error.code).toBe('MessageTooLarge');

    const elsewhere = await receive(
      reply('payments-oncall@example.com', 'someone@elsewhere.example.org', 'ack'),
    );
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.error.code).toBe('NoMatchingReceiptRule');

    const notMail = await receive('this is not a mail');
    expect(notMail.status).toBe(400);

    const badVerdict = await receive(reply('payments-oncall@example.com', address, 'ack'), {
      'x-local-spf': 'maybe',
    });
    expect(badVerdict.status).toBe(400);

    const anonymous = await fetch(`${hotline.target.urls.aws}/_local/mail/inbound`, {
      method: 'POST',
      body: reply('payments-oncall@example.com', address, 'ack'),
    });
    expect(anonymous.status).toBe(403);
  });
});
