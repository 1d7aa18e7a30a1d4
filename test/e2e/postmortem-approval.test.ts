import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { eventually } from '../support/eventually.ts';
import { about, decisionLinks, hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { completePostmortem, postmortemReadyForApproval } from '../support/postmortem-flow.ts';

/**
 * Approval from mail, on the local target: a sev 2 goes from declaration to a published postmortem with every
 * decision made through the links the approvers were mailed. A GET (a mail scanner's prefetch) changes nothing;
 * an edit in review makes the old links refuse and asks again; changes requested send it back to its owner.
 */

let hotline: HotlineTarget;
beforeAll(async () => {
  hotline = await startHotline();
});
afterAll(async () => hotline?.stop());

const client = hotlineClient(() => hotline);
const { api, waitForMails } = client;
const to = (address: string) => (m: Mail) => m.destination.to.includes(address);

describe('postmortem approval through the links in the mails', () => {
  it('refuses a request while a blocking check is unmet, naming it', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Search slow',
      description: 'Search takes 10 s.',
      severity: 2,
      service: 'checkout',
    });
    const key = declared.body.key as string;
    await api('POST', `/incidents/${key}/resolve`, { supportCases: 0 });
    await waitForMails('the owner mail', about(key, ' - Postmortem'));
    const refused = await api('POST', `/incidents/${key}/postmortem/request-approval`, {});
    expect(refused.status).toBe(409);
    expect(refused.body.error.message).toMatch(/rootCauseCategory/);
    expect((await api('GET', `/incidents/${key}/postmortem`)).body.postmortem.status).toBe('draft');
  });

  it('goes from the request to a published postmortem, every decision made from a mail link', async () => {
    const key = await postmortemReadyForApproval(client, 'Checkout errors');
    const requested = await api('POST', `/incidents/${key}/postmortem/request-approval`, {});
    expect(requested.status).toBe(200);
    expect(requested.body.postmortem.status).toBe('in-review');
    const [mandatory] = await waitForMails(
      'the mandatory approver mail',
      (m) => about(key, ' - Postmortem approval requested')(m) && to('head-of-payments@example.com')(m),
    );
    await waitForMails(
      'the optional approver mail',
      (m) => about(key, ' - Postmortem approval requested')(m) && to('sre-lead@example.com')(m),
    );
    const first = decisionLinks(mandatory as Mail);

    // A scanner's GET of every link changes nothing.
    const before = (await api('GET', `/incidents/${key}/postmortem`)).body;
    for (const link of Object.values(first)) {
      const page = await fetch(link);
      expect(page.status).toBe(200);
      expect(await page.text()).toContain('Five whys');
    }
    expect((await api('GET', `/incidents/${key}/postmortem`)).body).toEqual(before);

    // An edit in review: the old links refuse, and the approvers are asked again on the new version.
    const edited = await api('PUT', `/incidents/${key}/postmortem`, {
      version: before.postmortem.version,
      ...completePostmortem('Add a load check of connection pool sizes to every configuration change'),
    });
    expect(edited.status).toBe(200);
    const stale = await fetch(first.approve);
    expect(stale.status).toBe(409);
    expect(await stale.text()).toMatch(/changed/);
    const mandatoryMails = await waitForMails(
      'the mandatory approver asked again',
      (m) => about(key, ' - Postmortem approval requested')(m) && to('head-of-payments@example.com')(m),
      2,
    );
    const second = decisionLinks(mandatoryMails[1] as Mail);
    const confirm = await fetch(second.approve);
    const html = await confirm.text();
    const hash = /name="contentHash" value="([^"]+)"/.exec(html)?.[1] ?? '';
    expect(hash).toMatch(/^[A-Za-z0-9_-]{43}$/);

    // A POST whose body is not what the page offered decides nothing.
    const forged = await fetch(second.approve, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        decision: 'changes-requested',
        contentHash: hash,
        comment: 'no',
      }).toString(),
    });
    expect(forged.status).toBe(403);

    const approved = await fetch(second.approve, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', 'user-agent': 'approval-test' },
      body: new URLSearchParams({ decision: 'approved', contentHash: hash }).toString(),
    });
    expect(approved.status).toBe(200);
    expect(await approved.text()).toContain('You approved the postmortem');
    // Used: the same link again says so and records nothing new.
    const again = await fetch(second.approve, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'approved', contentHash: hash }).toString(),
    });
    expect(await again.text()).toContain('already decided');

    // The only mandatory approver approved: the workflow publishes.
    const published = await waitForMails(
      'the published postmortem',
      (m) => about(key, ' - Postmortem published')(m) && to('checkout-incidents@example.com')(m),
    );
    expect((published[0] as Mail).body.text).toContain('Five whys');
    const record = await eventually(async () => {
      const { postmortem } = (await api('GET', `/incidents/${key}/postmortem`)).body;
      return postmortem.status === 'published' ? postmortem : undefined;
    }, 'the postmortem to be published');
    const priority = record.actions.find((a: Json) => a.kind === 'priority');
    expect(priority.dueProvisional).toBeUndefined();
    expect(Date.parse(priority.dueAt) - Date.parse(record.approvedAt)).toBe(4 * 7 * 86_400_000);
    expect(record.approvals.decisions).toEqual([
      expect.objectContaining({
        approver: 'head-of-payments@example.com',
        decision: 'approved',
        current: true,
        userAgent: 'approval-test',
      }),
    ]);
    // The resolved message promised a postmortem: its external summary is on the status page now.
    const status = (await (await fetch(`${hotline.target.urls.api}/status.json`)).json()) as {
      incidents: { updates: { text: string }[] }[];
    };
    expect(
      status.incidents.some((i) =>
        i.updates.some((u) =>
          u.text.startsWith('Postmortem: For about 45 minutes some card payments failed'),
        ),
      ),
    ).toBe(true);
    const markdown = await fetch(`${hotline.target.urls.api}/incidents/${key}/postmortem/document`, {
      headers: { ...hotline.operator(), accept: 'text/markdown' },
    });
    expect(markdown.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(await markdown.text()).toContain('Add a load check of connection pool sizes');
    const page = await fetch(`${hotline.target.urls.api}/incidents/${key}/postmortem/document`, {
      headers: { ...hotline.operator(), accept: 'text/html' },
    });
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await page.text()).not.toContain('<script');
  });

  it('sends a postmortem back to its owner with the comment when an approver requests changes', async () => {
    const key = await postmortemReadyForApproval(client, 'Refund errors');
    await api('POST', `/incidents/${key}/postmortem/request-approval`, {});
    const [mail] = await waitForMails(
      'the approver mail',
      (m) => about(key, ' - Postmortem approval requested')(m) && to('head-of-payments@example.com')(m),
    );
    const { changes } = decisionLinks(mail as Mail);
    const hash = /name="contentHash" value="([^"]+)"/.exec(await (await fetch(changes)).text())?.[1] ?? '';
    const withoutComment = await fetch(changes, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ decision: 'changes-requested', contentHash: hash }).toString(),
    });
    expect(withoutComment.status).toBe(400);
    const decided = await fetch(changes, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        decision: 'changes-requested',
        contentHash: hash,
        comment: 'Name the <b>owner</b> of the checklist.',
      }).toString(),
    });
    expect(decided.status).toBe(200);
    const [owner] = await waitForMails(
      'the comment to the owner',
      (m) => about(key, ' - Postmortem changes requested')(m) && to('payments-team@example.com')(m),
    );
    expect((owner as Mail).body.text).toContain('Name the <b>owner</b> of the checklist.');
    expect((owner as Mail).body.html).toContain('Name the &lt;b&gt;owner&lt;/b&gt; of the checklist.');
    const draft = (await api('GET', `/incidents/${key}/postmortem`)).body.postmortem;
    expect(draft.status).toBe('draft');

    // Asked again: the approver's mail says what changed since the version they saw, and what they asked.
    const edited = await api('PUT', `/incidents/${key}/postmortem`, {
      version: draft.version,
      fields: { recovery: 'Refunds were replayed from the queue; the checklist now names its owner.' },
    });
    expect(edited.status).toBe(200);
    expect((await api('POST', `/incidents/${key}/postmortem/request-approval`, {})).status).toBe(200);
    const asked = await waitForMails(
      'the approver mail, asked again',
      (m) => about(key, ' - Postmortem approval requested')(m) && to('head-of-payments@example.com')(m),
      2,
    );
    const again = asked.find((m) => (m as Mail).body.text?.includes('since then')) as Mail | undefined;
    expect(again?.body.text).toContain(`You asked for changes to version ${draft.version};`);
    expect(again?.body.text).toMatch(/since then these changed: [^.]*recovery/);
    expect(again?.body.text).toContain('You asked: Name the <b>owner</b> of the checklist.');
  });
});
