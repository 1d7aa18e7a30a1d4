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

describe('a comms list that bounces', () => {
  it("is kept on the incident, shown on the incident manager's responder page and in the SLO report", async () => {
    const LIST = 'checkout-incidents@example.com';
    hotline.target.setMailOutcome((address) => (address === LIST ? 'bounce' : undefined));
    try {
      const from = new Date(Date.now() - 60_000).toISOString();
      const key = await declare(2, 'Card payments degraded');
      await waitForMails('the page', about(key, ' - Paged', 'payments-oncall@example.com'));
      const acknowledged = await api('POST', `/incidents/${key}/acknowledge`, {
        incidentManager: 'payments-oncall@example.com',
      });
      expect(acknowledged.status).toBe(200);
      // The initial comms go to the internal list, which bounces.
      const incident = await eventually(async () => {
        const detail = (await api('GET', `/incidents/${key}`)).body.incident as Json;
        return (detail.commsBounces as Json[] | undefined)?.length ? detail : undefined;
      }, 'the bounce kept on the incident');
      expect(incident.commsBounces).toEqual([
        expect.objectContaining({
          address: LIST,
          outcome: 'bounced',
          detail: '550 5.1.1 user unknown',
          kind: 'initial',
        }),
      ]);
      expect(incident.commsBounceWrites).toBeUndefined();
      // The incident manager's responder page (the link their "You are incident manager" mail carries) warns.
      const [named] = await waitForMails(
        'the responder link',
        about(key, ' - You are incident manager', 'payments-oncall@example.com'),
      );
      const link =
        /https?:\/\/[^\s"'<>]+\/links\/v1\.[A-Za-z0-9_.-]+/.exec(named?.body.text ?? '')?.[0] ?? '';
      expect(link).not.toBe('');
      const page = await (await fetch(link)).text();
      expect(page).toContain('These stakeholders did not get your updates:');
      expect(page).toContain(`${LIST} (bounced: 550 5.1.1 user unknown)`);
      // The SLO report of a period that holds it lists the address and the incident.
      const report = await api('POST', '/reports/slo', {
        from,
        to: new Date(Date.now() + 60_000).toISOString(),
      });
      expect(report.status).toBe(200);
      expect(report.body.report.commsBounces.rows).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ address: LIST, outcome: 'bounced', incidents: [key] }),
        ]),
      );
    } finally {
      hotline.target.setMailOutcome(undefined);
    }
  });
});
