import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Paging whoever is on call, by their rules, on the real stack's local target with scaled time: an incident no
 * service claims pages the SRE schedule's holder (here Grace, by an override) by mail and SMS at once, calls
 * her after her rule's 3 minutes, and her SMS reply with the page's code acknowledges it; a reply from another
 * number changes nothing.
 */

const GRACE_PHONE = '+12025550123';

let hotline: HotlineTarget;
const { api, waitForMails } = hotlineClient(() => hotline);
beforeAll(async () => {
  // 3 minutes of a rule take 0.18 s; the tier's 15-minute timeout 0.9 s.
  hotline = await startHotline({ waitScale: 0.001 });
});
afterAll(async () => hotline?.stop());

async function local(method: string, path: string, body?: unknown) {
  const response = await fetch(`${hotline.target.urls.aws}${path}`, {
    method,
    headers: { ...hotline.operator(), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: response.status, body: (await response.json()) as Json };
}

const messagesTo = async (phone: string) =>
  ((await local('GET', '/_local/messages')).body.messages as Json[]).filter((m) => m.to === phone);

describe('paging by phone on the local target', () => {
  it('texts and mails the person on call, calls after their rule, and their SMS reply acknowledges', async () => {
    const cover = {
      personId: 'grace',
      start: new Date(Date.now() - 1_000).toISOString(),
      end: new Date(Date.now() + 3_600_000).toISOString(),
    };
    expect((await api('POST', '/schedules/sre/overrides', cover)).status).toBe(201);
    const declared = await api('POST', '/incidents', {
      summary: 'Unowned queue backing up',
      description: 'A queue no service claims is backing up.',
      severity: 2,
      service: 'unknown',
    });
    expect(declared.status).toBe(201);
    const key = declared.body.key as string;

    await waitForMails(
      'the page mail to Grace',
      (m) => m.subject.startsWith(`${key} `) && m.destination.to.includes('grace@example.com'),
    );
    const sms = await eventually(async () => {
      const found = (await messagesTo(GRACE_PHONE)).find(
        (m) => m.channel === 'sms' && String(m.body).startsWith(`${key} `),
      );
      return found;
    }, 'the SMS page to Grace');
    expect(sms.body).toMatch(new RegExp(`^${key} SEV2 Unowned queue backing up\\nReply ACK \\d{6}$`));
    const code = /ACK (\d{6})/.exec(String(sms.body))?.[1] ?? '';
    // The call follows after her rule's 3 minutes (scaled), reading the same code.
    const call = await eventually(
      async () => (await messagesTo(GRACE_PHONE)).find((m) => m.channel === 'voice'),
      'the voice call to Grace',
    );
    expect(call.body).toContain('H O T');

    // A reply with the code from another number is ignored.
    const stranger = await local('POST', '/_local/sms/inbound', {
      from: '+447700900999',
      to: '+12065550100',
      body: `ACK ${code}`,
    });
    expect(stranger.status).toBeLessThan(300);
    // Her reply acknowledges: she is in charge, and is told so by SMS.
    await local('POST', '/_local/sms/inbound', {
      from: GRACE_PHONE,
      to: '+12065550100',
      body: `ack ${code}`,
    });
    const acknowledged = await eventually(async () => {
      const detail = (await api('GET', `/incidents/${key}`)).body;
      return detail.incident.acknowledgedBy ? detail : undefined;
    }, 'the acknowledgement by SMS');
    expect(acknowledged.incident.acknowledgedBy).toBe('grace@example.com');
    expect((acknowledged.timeline as Json[]).map((e) => e.text)).toEqual(
      expect.arrayContaining([expect.stringContaining('Acknowledged by SMS reply from Grace Hopper')]),
    );
    await eventually(
      async () =>
        (await messagesTo(GRACE_PHONE)).find(
          (m) => m.channel === 'sms' && String(m.body).includes('acknowledged by you'),
        ),
      'the answer to Grace',
    );
    expect((await messagesTo('+447700900999')).length).toBe(0);
  });
});
