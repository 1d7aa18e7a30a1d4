import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { executionArnFor } from '../../functions/adapters/workflow.ts';
import { eventually } from '../support/eventually.ts';
import { about, hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * Every path of the incident state machine, run by the local target from the synthesized definition, with the
 * people's waits (acknowledge timeouts, update cadence) scaled down.
 */

interface Harness {
  hotline: HotlineTarget;
  api(path: string, body?: unknown): Promise<{ status: number; body: Json }>;
  declare(severity: 1 | 2 | 3, summary: string): Promise<string>;
  mails(filter: (m: Mail) => boolean): Promise<Mail[]>;
  waitForMail(what: string, filter: (m: Mail) => boolean, count?: number): Promise<Mail[]>;
  incident(key: string): Promise<Json>;
  execution(key: string): Promise<{ status: string }>;
}

async function harness(waitScale: number): Promise<Harness> {
  const hotline = await startHotline({ waitScale });
  const client = hotlineClient(() => hotline);
  const api = (path: string, body?: unknown) => client.api(body === undefined ? 'GET' : 'POST', path, body);
  const mails = async (filter: (m: Mail) => boolean) => (await client.mails()).filter(filter);
  return {
    hotline,
    api,
    async declare(severity, summary) {
      const { status, body } = await api('/incidents', {
        summary,
        description: 'Customers cannot complete checkout.',
        severity,
        service: 'checkout',
      });
      expect(status).toBe(201);
      return body.key as string;
    },
    mails,
    waitForMail: (what, filter, count = 1) =>
      client.waitForMails(count === 1 ? what : `${count} of ${what}`, filter, count),
    async incident(key) {
      return (await api(`/incidents/${key}`)).body;
    },
    async execution(key) {
      const arn = executionArnFor(hotline.target.stateMachines[0] ?? '', key);
      return { status: hotline.target.stepFunctions.describeExecution(arn).status };
    },
  };
}

const update = (nextUpdateAt: Date) => ({
  summary: 'Card payments fail for EU customers. We rolled back the release.',
  status: ['Rollback complete on 3 of 5 regions', 'Error rate down from 30% to 8%'],
  nextSteps: ['Finish the rollback', 'Confirm the error rate is back to normal'],
  impact: 'EU customers cannot pay by card',
  customers: { internal: 0, external: 1200 },
  rootCause: 'currently unknown',
  eta: 'no ETA',
  nextUpdateAt: nextUpdateAt.toISOString(),
  external: 'We are still working on card payment failures in the EU.',
});

describe('acknowledged, updates on time, severity change, resolution (sev 2)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(0.02);
  });
  afterAll(async () => h?.hotline.stop());

  it('runs from page to the postmortem hand-off, with the comms the handbook asks for', async () => {
    const key = await h.declare(2, 'EU card payments failing');
    const [pageMail] = await h.waitForMail(
      'the page',
      (m) => about(key)(m) && m.destination.to.includes('payments-oncall@example.com'),
    );
    expect(pageMail?.body.text).toMatch(/\/links\/v1\./);

    // GET on an API route never acknowledges: the operator acknowledges with POST.
    const ack = await h.api(`/incidents/${key}/acknowledge`, {
      incidentManager: 'payments-oncall@example.com',
    });
    expect(ack).toMatchObject({ status: 200, body: { outcome: 'acknowledged' } });
    expect((await h.api(`/incidents/${key}/acknowledge`, {})).body.outcome).toBe('already-acknowledged');

    const [initial] = await h.waitForMail(
      'initial internal comms',
      (m) => about(key)(m) && m.destination.to.includes('checkout-incidents@example.com'),
    );
    expect(initial?.subject).toBe(`${key} - Sev 2 - EU card payments failing`);
    expect(initial?.body.text).toContain(
      'We are investigating an incident affecting Checkout and Payments. We will provide updates via email and the status page shortly.',
    );
    expect(initial?.body.text).toContain(`#${key.toLowerCase()}`);
    expect(initial?.body.text).toContain('Incident manager: payments-oncall@example.com');
    // The external list's mail carries the external wording alone: no key to find it by, its own subject.
    const [external] = await h.waitForMail(
      'external comms',
      (m) =>
        m.destination.to.includes('status-updates@example.com') &&
        m.body.text.includes('We are investigating issues with Checkout and Payments.'),
    );
    expect(external?.subject).toBe('We are investigating issues with Checkout and Payments.');
    expect(external?.body.text).toContain(
      `We are investigating issues with Checkout and Payments. Updates: ${h.hotline.target.urls.api}/status`,
    );
    expect(`${external?.subject} ${external?.body.text}`).not.toContain(key);

    const incomplete = await h.api(`/incidents/${key}/updates`, {
      summary: 'Still broken.',
      status: ['a', 'b'],
      nextSteps: ['c', 'd'],
    });
    expect(incomplete.status).toBe(400);
    for (const item of ['impact', 'customers', 'root cause', 'ETA', 'next update']) {
      expect(incomplete.body.error.message).toContain(item);
    }
    const tooLate = await h.api(`/incidents/${key}/updates`, update(new Date(Date.now() + 3 * 3600_000)));
    expect(tooLate.status).toBe(400);
    expect(tooLate.body.error.message).toMatch(/every 60 minutes/);

    const first = await h.api(`/incidents/${key}/updates`, update(new Date(Date.now() + 45 * 60_000)));
    expect(first).toMatchObject({ status: 201, body: { sequence: 1 } });
    await h.waitForMail(
      'update 1',
      (m) => m.subject === `${key} - Sev 2 - EU card payments failing - Update 1`,
    );

    expect(
      (
        await h.api(`/incidents/${key}/roles`, {
          techLeads: ['dev-a@example.com', 'dev-b@example.com'],
          commsManager: 'comms@example.com',
        })
      ).status,
    ).toBe(200);
    const sev = await h.api(`/incidents/${key}/severity`, {
      severity: 1,
      reason: 'All EU card payments fail now',
    });
    expect(sev.body).toMatchObject({ changed: true, severity: 1 });
    const second = await h.api(`/incidents/${key}/updates`, update(new Date(Date.now() + 20 * 60_000)));
    expect(second.body.sequence).toBe(2);
    const [update2] = await h.waitForMail(
      'update 2',
      (m) => m.subject === `${key} - Sev 1 - EU card payments failing - Update 2`,
    );
    expect(update2?.body.text).toContain('Comms manager: comms@example.com');
    expect(update2?.body.text).toContain('Tech leads: dev-a@example.com, dev-b@example.com');
    expect(update2?.body.text).toContain('Customers affected: internal: 0, external: 1200');

    const resolved = await h.api(`/incidents/${key}/resolve`, { supportCases: 3 });
    expect(resolved).toMatchObject({ status: 200, body: { postmortem: 'required' } });
    const [final] = await h.waitForMail(
      'final internal comms',
      (m) => m.subject === `${key} - Sev 1 - EU card payments failing - Resolved`,
    );
    expect(final?.body.text).toContain('There will be no further comms');
    expect(final?.body.text).toContain('Support cases: 3');
    await h.waitForMail(
      'final external comms',
      (m) =>
        m.destination.to.includes('status-updates@example.com') &&
        m.body.text.includes('service is restored'),
    );

    const detail = await h.incident(key);
    expect(detail.incident).toMatchObject({
      status: 'resolved',
      severity: 1,
      postmortem: 'required',
      supportCases: 3,
      updateCount: 2,
    });
    expect(Object.keys(detail.metrics).sort()).toEqual([
      'timeToAcknowledgeMs',
      'timeToDetectMs',
      'timeToFirstCommsMs',
      'timeToRecoverMs',
    ]);
    const kinds = detail.timeline.map((e: { kind: string }) => e.kind);
    for (const kind of [
      'incident.declared',
      'page.sent',
      'incident.acknowledged',
      'response.started',
      'comms.sent',
      'update.posted',
      'roles.changed',
      'severity.changed',
      'incident.resolved',
    ]) {
      expect(kinds).toContain(kind);
    }
    // A sev 1 needs a postmortem: the workflow opens it and mails its owner (the team) the editor link.
    const [opened] = await h.waitForMail(
      "the postmortem's owner mail",
      (m) =>
        about(key)(m) &&
        m.subject.endsWith(' - Postmortem') &&
        m.destination.to.includes('payments-team@example.com'),
    );
    expect(opened?.body.text).toMatch(/Write the postmortem: Open the editor <http:\/\/[^>]+\/links\/v1\./);
    expect((await h.api(`/incidents/${key}/postmortem`)).body).toMatchObject({
      postmortem: { key, status: 'draft', version: 1, owner: 'payments-team@example.com' },
    });
    expect((await h.execution(key)).status).toBe('RUNNING');
    // No further comms after the final ones.
    expect((await h.api(`/incidents/${key}/updates`, update(new Date(Date.now() + 600_000)))).status).toBe(
      409,
    );
  });
});

describe('acknowledge timeout and escalation; overdue reminder and escalation (sev 1, waits scaled down)', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await harness(0.002);
  });
  afterAll(async () => h?.hotline.stop());

  it('escalates an unacknowledged page to the backup, then to IMOC, until someone acknowledges', async () => {
    const key = await h.declare(1, 'Checkout down');
    await h.waitForMail(
      'the primary page',
      (m) => about(key)(m) && m.destination.to.includes('payments-oncall@example.com'),
    );
    const [backup] = await h.waitForMail(
      'the backup page',
      (m) => about(key)(m) && m.destination.to.includes('payments-lead@example.com'),
    );
    expect(backup?.subject).toBe(`${key} - Sev 1 - Checkout down - Escalated page`);
    await h.waitForMail(
      'the IMOC page',
      (m) =>
        about(key)(m) &&
        m.destination.to.includes('imoc@example.com') &&
        m.subject.endsWith('Escalated page'),
    );
    expect(
      (await h.api(`/incidents/${key}/acknowledge`, { incidentManager: 'imoc@example.com' })).body.outcome,
    ).toBe('acknowledged');
    const detail = await h.incident(key);
    expect(detail.incident.status).toBe('fixing');
    expect(
      detail.timeline.filter((e: { kind: string }) => e.kind === 'incident.escalated').length,
    ).toBeGreaterThanOrEqual(2);
    await h.api(`/incidents/${key}/resolve`, { supportCases: 0 });
  });

  it('reminds the comms and incident managers of an overdue update, then escalates a second miss to IMOC', async () => {
    const key = await h.declare(1, 'Search down');
    // Acknowledged at once: possibly before the workflow waits (the waiting step then resumes itself).
    expect(
      (await h.api(`/incidents/${key}/acknowledge`, { incidentManager: 'payments-oncall@example.com' }))
        .status,
    ).toBe(200);
    await h.api(`/incidents/${key}/roles`, { commsManager: 'comms@example.com' });
    // Each of them gets the reminder alone, around their own responder link (post the update from there).
    const reminders = await h.waitForMail(
      'the overdue reminders',
      (m) => m.subject === `${key} - Sev 1 - Search down - Update overdue`,
      2,
    );
    expect(reminders.flatMap((m) => m.destination.to).sort()).toEqual([
      'comms@example.com',
      'payments-oncall@example.com',
    ]);
    for (const reminder of reminders) {
      const token = /\/links\/(v1\.[\w-]+\.([\w-]+)\.[\w-]+)/.exec(reminder.body.html ?? '')?.[2] ?? '';
      expect(JSON.parse(Buffer.from(token, 'base64url').toString('utf8'))).toMatchObject({
        action: 'respond',
        recipient: reminder.destination.to[0],
      });
    }
    const [escalation] = await h.waitForMail(
      'the IMOC escalation',
      (m) => m.subject === `${key} - Sev 1 - Search down - Updates missed`,
    );
    expect(escalation?.destination.to).toEqual(['imoc@example.com']);
    // Each miss goes on the timeline after its mail went out: wait for the second entry, not just the mail.
    const overdue = await eventually(async () => {
      const entries = (await h.incident(key)).timeline.filter(
        (e: { kind: string }) => e.kind === 'update.overdue',
      );
      return entries.length >= 2 ? entries : undefined;
    }, 'both misses on the timeline');
    expect(overdue.length).toBeGreaterThanOrEqual(2);
    // An update resets the misses.
    const posted = await h.api(`/incidents/${key}/updates`, update(new Date(Date.now() + 20 * 60_000)));
    expect(posted.status).toBe(201);
    expect((await h.incident(key)).incident.missedUpdates).toBe(0);
    await h.api(`/incidents/${key}/resolve`, { supportCases: 0 });
  });

  it('resolves straight from the acknowledgement wait, and a sev 3 ends without a postmortem unless asked', async () => {
    const key = await h.declare(3, 'Slow admin reports');
    // A sev 3 is not paged: it goes to the owner team (test/e2e/severity-3.test.ts has its paths).
    await h.waitForMail(
      'the team notice',
      (m) => about(key)(m) && m.destination.to.includes('payments-team@example.com'),
    );
    const resolved = await h.api(`/incidents/${key}/resolve`, { supportCases: 0 });
    expect(resolved.body.postmortem).toBe('not-required');
    await h.waitForMail('final comms', (m) => m.subject === `${key} - Sev 3 - Slow admin reports - Resolved`);
  });
});
