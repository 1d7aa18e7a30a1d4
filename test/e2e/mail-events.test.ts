import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { about, hotlineClient, type Json } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Proof of delivery on the real stack's local target, in real time (no scaling): each incident mail's SES events
 * (the configuration set's destination, SNS, MailEvents) land on its incident's timeline; a page that bounces
 * for every recipient escalates to the next tier at once, minutes before the sev 1 timeout (5 minutes) would.
 */

let hotline: HotlineTarget;
const { api, waitForMails } = hotlineClient(() => hotline);
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const timelineOf = async (key: string) => (await api('GET', `/incidents/${key}`)).body.timeline as Json[];

async function declare(severity: 1 | 2, summary: string): Promise<string> {
  const declared = await api('POST', '/incidents', {
    summary,
    description: 'Customers cannot pay.',
    severity,
    service: 'checkout',
  });
  expect(declared.status).toBe(201);
  return declared.body.key as string;
}

describe('proof of delivery', () => {
  it("puts each page's delivery on the incident's timeline", async () => {
    const key = await declare(2, 'Card payments slow');
    await waitForMails('the page', about(key, ' - Paged', 'payments-oncall@example.com'));
    const delivered = await eventually(async () => {
      const entry = (await timelineOf(key)).find((e) => e.kind === 'mail.delivery');
      return entry;
    }, 'the delivery on the timeline');
    expect(delivered.text).toMatch(/^Page to payments-oncall@example\.com delivered \d\d:\d\d:\d\d UTC\.$/);
    expect(delivered).toMatchObject({ actor: 'ses', data: { outcome: 'delivered', kind: 'page' } });
  });

  it('escalates a page that bounced for everyone at once, and says why', async () => {
    hotline.target.setMailOutcome((address) =>
      address === 'payments-oncall@example.com' ? 'bounce' : undefined,
    );
    try {
      const key = await declare(1, 'Card payments down');
      // The backup is paged within seconds: the 5-minute timeout is not waited out.
      await waitForMails('the page to the backup', about(key, '', 'payments-lead@example.com'));
      // The escalation's entry is written just after its mail.
      const timeline = await eventually(async () => {
        const all = await timelineOf(key);
        return all.some((e) => e.kind === 'incident.escalated') ? all : undefined;
      }, 'the escalation on the timeline');
      const bounced = timeline.find((e) => e.kind === 'mail.failed');
      expect(bounced?.text).toMatch(
        /^Page to payments-oncall@example\.com bounced \d\d:\d\d:\d\d UTC: 550 5\.1\.1 user unknown\.$/,
      );
      expect(timeline.map((e) => e.kind)).toContain('page.undeliverable');
      expect(timeline.find((e) => e.kind === 'incident.escalated')?.text).toBe(
        'The page before reached nobody: escalated to backup incident manager payments-lead@example.com (tier 1).',
      );
      const detail = (await api('GET', `/incidents/${key}`)).body;
      expect(detail.incident.pageTier).toBe(1);
      expect(detail.incident.status).toBe('paged');
    } finally {
      hotline.target.setMailOutcome(undefined);
    }
  });

  it('keeps waiting when only some of the tier bounced', async () => {
    // Every mail to the backup bounces; the primary's arrives: nobody is skipped.
    hotline.target.setMailOutcome((address) =>
      address === 'payments-lead@example.com' ? 'bounce' : undefined,
    );
    try {
      const key = await declare(1, 'Card payments flaky');
      await eventually(
        async () => ((await timelineOf(key)).some((e) => e.kind === 'mail.delivery') ? true : undefined),
        'the delivery of the page',
      );
      // A moment more for any event in flight: still the primary's tier.
      await new Promise((r) => setTimeout(r, 500));
      expect((await api('GET', `/incidents/${key}`)).body.incident.pageTier).toBe(0);
    } finally {
      hotline.target.setMailOutcome(undefined);
    }
  });
});
