import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Proof of delivery for texts and calls on the real stack's local target, time scaled: the pages' SMS and voice
 * configuration set sends each text's and call's final event to the delivery events topic, whose subscriber
 * (MailEvents) puts it on the incident's timeline with the number redacted; a page whose mail bounced and whose
 * text was blocked reached nobody, and the IMOC is paged at once instead of after the tier's timeout.
 */

const GRACE_PHONE = '+12025550123';
const ALAN_PHONE = '+447700900456';

let hotline: HotlineTarget;
const { api } = hotlineClient(() => hotline);
beforeAll(async () => {
  // Grace's call comes after her rule's 3 minutes (1.8 s); the tier's 15-minute timeout 9 s after that.
  hotline = await startHotline({ waitScale: 0.01 });
  const cover = {
    personId: 'grace',
    start: new Date(Date.now() - 1_000).toISOString(),
    end: new Date(Date.now() + 3_600_000).toISOString(),
  };
  expect((await api('POST', '/schedules/sre/overrides', cover)).status).toBe(201);
});
afterAll(async () => hotline?.stop());

const timelineOf = async (key: string) => (await api('GET', `/incidents/${key}`)).body.timeline as Json[];

async function declare(summary: string): Promise<string> {
  const declared = await api('POST', '/incidents', {
    summary,
    description: 'A queue no service claims is backing up.',
    severity: 2,
    service: 'unknown',
  });
  expect(declared.status).toBe(201);
  return declared.body.key as string;
}

describe('SMS and voice delivery events', () => {
  it("puts each text's and call's delivery on the timeline, the number redacted", async () => {
    const key = await declare('Unowned queue backing up');
    const timeline = await eventually(async () => {
      const all = await timelineOf(key);
      const kinds = all.filter((e) => e.kind === 'phone.delivery').map((e) => (e.data as Json).channel);
      return kinds.includes('sms') && kinds.includes('voice') ? all : undefined;
    }, 'the text and the call delivered');
    const text = timeline.find((e) => e.kind === 'phone.delivery' && (e.data as Json).channel === 'sms');
    expect(text?.text).toMatch(/^Text page to \+12\*{7}23 delivered \d\d:\d\d:\d\d UTC\.$/);
    expect(text).toMatchObject({
      actor: 'sms-voice',
      data: { outcome: 'delivered', kind: 'page-sms', recipient: 'grace@example.com' },
    });
    const call = timeline.find((e) => e.kind === 'phone.delivery' && (e.data as Json).channel === 'voice');
    expect(call?.text).toMatch(/^Call page to \+12\*{7}23 answered \d\d:\d\d:\d\d UTC\.$/);
    expect(JSON.stringify(timeline)).not.toContain(GRACE_PHONE);
    // Once each, however many events came.
    expect(timeline.filter((e) => e.kind === 'phone.delivery')).toHaveLength(2);
  });

  it('escalates at once when the mail bounced and the text was blocked, and says why', async () => {
    hotline.target.setMailOutcome((address) => (address === 'grace@example.com' ? 'bounce' : undefined));
    hotline.target.setPhoneOutcome((to, channel) =>
      to === GRACE_PHONE ? (channel === 'sms' ? 'TEXT_BLOCKED' : 'VOICE_NO_ANSWER') : undefined,
    );
    try {
      const started = Date.now();
      const key = await declare('Unowned queue stuck');
      const timeline = await eventually(async () => {
        const all = await timelineOf(key);
        return all.some((e) => e.kind === 'incident.escalated') ? all : undefined;
      }, 'the escalation on the timeline');
      // Well before the tier's timeout (1.8 s of rules and 9 s of waiting) would have.
      expect(Date.now() - started).toBeLessThan(9_000);
      const blocked = timeline.find((e) => e.kind === 'phone.failed');
      expect(blocked?.text).toMatch(
        /^Text page to \+12\*{7}23 failed \d\d:\d\d:\d\d UTC: blocked \(the number may have opted out\) \(Destination phone number blocked\)\.$/,
      );
      expect(timeline.map((e) => e.kind)).toEqual(
        expect.arrayContaining(['mail.failed', 'page.undeliverable']),
      );
      expect(timeline.find((e) => e.kind === 'incident.escalated')?.text).toMatch(
        /^The page before reached nobody: escalated to /,
      );
      expect((await api('GET', `/incidents/${key}`)).body.incident.pageTier).toBe(1);
    } finally {
      hotline.target.setMailOutcome(undefined);
      hotline.target.setPhoneOutcome(undefined);
    }
  });

  it('counts the call: a page whose mail bounced and text was blocked still reached someone if the call was answered, and nobody if it failed', async () => {
    // Alan is texted and called at once (his rules): he covers the SRE schedule from now, after Grace's cover.
    const cover = {
      personId: 'alan',
      start: new Date(Date.now() - 1_000).toISOString(),
      end: new Date(Date.now() + 3_600_000).toISOString(),
    };
    expect((await api('POST', '/schedules/sre/overrides', cover)).status).toBe(201);
    hotline.target.setMailOutcome((address) => (address === 'alan@example.com' ? 'bounce' : undefined));
    try {
      hotline.target.setPhoneOutcome((to, channel) =>
        to === ALAN_PHONE && channel === 'sms' ? 'TEXT_BLOCKED' : undefined,
      );
      const answered = await declare('Unowned queue: the call gets through');
      const events = await eventually(async () => {
        const all = await timelineOf(answered);
        const kinds = all.map((e) => e.kind);
        return kinds.includes('mail.failed') &&
          kinds.includes('phone.failed') &&
          kinds.includes('phone.delivery')
          ? all
          : undefined;
      }, 'the bounce, the blocked text and the answered call');
      expect(events.find((e) => e.kind === 'phone.delivery')?.text).toMatch(
        /^Call page to \+44\*{8}56 answered /,
      );
      expect(events.map((e) => e.kind)).not.toContain('page.undeliverable');
      expect(events.map((e) => e.kind)).not.toContain('incident.escalated');

      hotline.target.setPhoneOutcome((to, channel) =>
        to === ALAN_PHONE ? (channel === 'sms' ? 'TEXT_BLOCKED' : 'VOICE_FAILED') : undefined,
      );
      const started = Date.now();
      const unreached = await declare('Unowned queue: nobody gets through');
      const timeline = await eventually(async () => {
        const all = await timelineOf(unreached);
        return all.some((e) => e.kind === 'incident.escalated') ? all : undefined;
      }, 'the escalation after the failed call');
      expect(Date.now() - started).toBeLessThan(9_000);
      expect(
        timeline.find((e) => e.kind === 'phone.failed' && (e.data as Json).channel === 'voice')?.text,
      ).toMatch(/^Call page to \+44\*{8}56 failed /);
      expect(JSON.stringify(timeline)).not.toContain(ALAN_PHONE);
    } finally {
      hotline.target.setMailOutcome(undefined);
      hotline.target.setPhoneOutcome(undefined);
    }
  });
});
