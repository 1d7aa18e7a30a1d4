import type { Page } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { LinkClaims } from '../../functions/core/links.ts';
import { type Browser, newTab, scrollsSideways, shoot, startBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The incident manager runs the incident from a phone (Chromium at 390 px, no operator token): the page mail's
 * acknowledge link, the responder page it leads to, an update with the handbook's checklist (and the external
 * text, checked for internal markers), severity, roles (the tech lead is mailed a link that posts updates only),
 * meeting places, a stale form refused with what was typed kept, and resolution. Every action is recorded for
 * the link's recipient, as the CLI's would be for its operator.
 */

let hotline: HotlineTarget;
let browser: Browser;

beforeAll(async () => {
  browser = await startBrowser();
  hotline = await startHotline();
});

afterAll(async () => {
  await browser?.stop();
  await hotline?.stop();
});

const PHONE = { width: 390, height: 844 };
const api = (path: string, init: RequestInit = {}) => fetch(`${hotline.target.urls.api}${path}`, init);

type Mail = { subject: string; destination: { to: string[] }; body: { text?: string; html?: string } };
type Detail = {
  incident: Record<string, unknown> & { id: string; status: string; severity: number; updatedAt: string };
  timeline: { kind: string; actor?: string; text: string }[];
};

async function detail(key: string): Promise<Detail> {
  const response = await api(`/incidents/${key}`, { headers: hotline.operator() });
  expect(response.status).toBe(200);
  return (await response.json()) as Detail;
}

async function mails(): Promise<Mail[]> {
  return ((await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] }).emails;
}

const LINK = /https?:\/\/[^\s"'<>]+\/links\/(v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/;
const claimsOf = (token: string) =>
  JSON.parse(Buffer.from(token.split('.')[2] ?? '', 'base64url').toString('utf8')) as LinkClaims;

/** Opens an incident of its own and answers the acknowledge link its page mail carries. */
async function pagedIncident(): Promise<{ key: string; recipient: string; ackLink: string }> {
  const alert = fixture<{ groupKey: string }>('alertmanager', 'firing-v4');
  const response = await api('/alerts/alertmanager', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ...alert, groupKey: `${alert.groupKey}:{test="${ulid()}"}` }),
  });
  expect(response.status).toBe(202);
  const key = ((await response.json()) as { incidents: { key: string }[] }).incidents[0]?.key ?? '';
  const mail = await eventually(
    async () =>
      (await mails()).find((m) => m.subject.startsWith(`${key} - `) && m.subject.endsWith(' - Paged')),
    `the page email of ${key}`,
  );
  await eventually(async () => ((await detail(key)).incident.status === 'paged' ? true : undefined), 'paged');
  const link = LINK.exec(mail.body.html ?? mail.body.text ?? '')?.[0] ?? '';
  expect(link).not.toBe('');
  return { key, recipient: mail.destination.to[0] ?? '', ackLink: link };
}

/** Submits the form the button is in and waits for the page the POST (and its redirect) lands on. */
async function submit(tab: Page, button: string): Promise<number> {
  const landed = tab.waitForResponse((r) => r.request().method() === 'GET' || r.status() >= 400);
  await tab.getByRole('button', { name: button }).click();
  const response = await landed;
  await tab.waitForLoadState();
  return response.status();
}

/** The incident once the workflow has stopped writing to it for a while (its steps after a change are done). */
async function settled(key: string): Promise<Detail> {
  let last = await detail(key);
  return eventually(async () => {
    await new Promise((r) => setTimeout(r, 1500));
    const now = await detail(key);
    const same =
      now.timeline.length === last.timeline.length && now.incident.updatedAt === last.incident.updatedAt;
    last = now;
    return same ? now : undefined;
  }, `${key} to settle`);
}

async function hiddenVersion(tab: Page): Promise<string> {
  return (await tab.locator('input[name="version"]').first().getAttribute('value')) ?? '';
}

describe('the responder page, from the page mail, on a phone', () => {
  it('runs the incident: update, severity, roles, meeting places, a stale form, resolution', async () => {
    const { key, recipient, ackLink } = await pagedIncident();
    const csp: string[] = [];
    const tab = await newTab(browser.context, csp, PHONE);

    // Acknowledge, then follow the link the acknowledged page offers.
    expect((await tab.goto(ackLink))?.status()).toBe(200);
    await tab.locator('button').click();
    await tab.waitForLoadState();
    await expect(tab.locator('h1').textContent()).resolves.toBe(`You acknowledged ${key}`);
    const responderLink = await tab.getByRole('link', { name: /responder page/ }).getAttribute('href');
    expect(responderLink).toMatch(LINK);
    const token = LINK.exec(responderLink ?? '')?.[1] ?? '';
    expect(claimsOf(token)).toMatchObject({ key, action: 'respond', recipient });

    // GET changes nothing (once the workflow's own steps after the acknowledgement are done).
    const before = await settled(key);
    const opened = await tab.goto(responderLink ?? '');
    expect(opened?.status()).toBe(200);
    const after = await detail(key);
    expect(after.incident.updatedAt).toBe(before.incident.updatedAt);
    expect(after.timeline.length).toBe(before.timeline.length);
    expect(await tab.locator('script').count()).toBe(0);
    expect(await scrollsSideways(tab)).toBe(false);
    expect(await tab.locator('form').count()).toBe(6);
    const firstVersion = await hiddenVersion(tab);
    await shoot(tab, 'responder-page-390');

    // The first update, with the handbook's checklist and an external text.
    await tab.locator('#update-summary').fill('Checkout fails for some card payments. We found the cause.');
    await tab.locator('#update-status').fill('Rolling back release 412\nError rate falling');
    await tab.locator('#update-nextSteps').fill('Finish the rollback\nWatch the error rate');
    await tab.locator('#update-impact').fill('About 8% of card payments fail at checkout');
    await tab.locator('#update-internalCustomers').fill('0');
    await tab.locator('#update-externalCustomers').fill('1200');
    await tab.locator('#update-rootCause').fill('A bad release of the payment client');
    await tab.locator('#update-eta').fill('in 1h');
    await tab.locator('#update-externalText').fill('Some card payments are failing. We are fixing it.');
    expect(await submit(tab, 'Send the update')).toBe(200);
    expect(tab.url()).toMatch(/\?done=update$/);
    await expect(tab.locator('[role=status]').first().textContent()).resolves.toMatch(/update was sent/);
    const updated = await detail(key);
    expect(updated.incident.updateCount).toBe(1);
    expect(updated.timeline.find((t) => t.kind === 'update.posted')?.text).toContain(`by ${recipient}`);
    // The external mail carries the external wording only: no key, no person, no internal link.
    const external = await eventually(
      async () =>
        (await mails()).find((m) =>
          (m.body.text ?? '').includes('Some card payments are failing. We are fixing it.'),
        ),
      'the external update mail',
    );
    for (const marker of [key, recipient, '/links/', 'release 412'])
      expect(`${external.subject}\n${external.body.text}\n${external.body.html}`).not.toContain(marker);

    // A form made on the version before the update is stale: refused, nothing sent, what was typed kept.
    const stale = await fetch(responderLink ?? '', {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        intent: 'severity',
        version: firstVersion,
        severity: '2',
        reason: 'Typed on a stale page',
      }),
      redirect: 'manual',
    });
    expect(stale.status).toBe(409);
    expect(await stale.text()).toContain('Typed on a stale page');
    expect((await detail(key)).incident.severity).toBe(1);

    // Severity, from the folded form.
    await tab.locator('#form-severity summary').click();
    await tab.locator('#severity-severity-2').check();
    await tab.locator('#severity-reason').fill('Only card payments affected');
    expect(await submit(tab, 'Change the severity')).toBe(200);
    const lowered = await detail(key);
    expect(lowered.incident.severity).toBe(2);
    expect(lowered.timeline.find((t) => t.kind === 'severity.changed')?.actor).toBe(recipient);

    // Roles: the tech lead named is mailed their own link, which posts updates only.
    await tab.locator('#form-roles summary').click();
    await tab.locator('#roles-techLeads').fill('dev-lead@example.com');
    expect(await submit(tab, 'Set the roles')).toBe(200);
    const leadMail = await eventually(
      async () =>
        (await mails()).find(
          (m) => m.destination.to.includes('dev-lead@example.com') && m.subject.includes('You are tech lead'),
        ),
      'the tech lead mail',
    );
    const leadLink = LINK.exec(leadMail.body.html ?? '')?.[0] ?? '';
    expect(claimsOf(LINK.exec(leadLink)?.[1] ?? '')).toMatchObject({
      action: 'respond',
      recipient: 'dev-lead@example.com',
    });
    const leadTab = await newTab(browser.context, csp, PHONE);
    expect((await leadTab.goto(leadLink))?.status()).toBe(200);
    expect(await leadTab.locator('form').count()).toBe(1);
    expect(await leadTab.locator('#form-severity').count()).toBe(0);
    const refused = await fetch(leadLink, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        intent: 'resolve',
        version: await hiddenVersion(leadTab),
        supportCases: '0',
      }),
      redirect: 'manual',
    });
    expect(refused.status).toBe(400);
    expect((await detail(key)).incident.status).not.toBe('resolved');

    // Meeting places: shown as links from then on.
    await tab.locator('#form-meeting summary').click();
    await tab.locator('#meeting-chatRoomUrl').fill('https://chat.example.com/rooms/checkout');
    await tab.locator('#meeting-videoUrl').fill('https://meet.example.com/checkout');
    expect(await submit(tab, 'Save the meeting places')).toBe(200);
    expect(await tab.getByRole('link', { name: /video/i }).first().getAttribute('href')).toBe(
      'https://meet.example.com/checkout',
    );

    // Resolve.
    await tab.locator('#form-resolve summary').click();
    await tab.locator('#resolve-supportCases').fill('3');
    expect(await submit(tab, `Resolve ${key}`)).toBe(200);
    const resolved = await detail(key);
    expect(resolved.incident.status).toBe('resolved');
    expect(resolved.incident.resolvedBy).toBe(recipient);
    expect(resolved.incident.supportCases).toBe(3);
    // The person paged for it hears it is over (they are on none of the lists the recap goes to).
    await eventually(
      async () =>
        (await mails()).find(
          (m) =>
            m.destination.to.includes(recipient) &&
            m.subject.endsWith(' - Resolved') &&
            m.subject.startsWith(`${key} - `),
        ),
      'the resolved mail to the paged person',
    );
    // Once resolved, only the times can be corrected: a correction of the impact window, recorded as such.
    expect(await tab.locator('form').count()).toBe(1);
    await tab.locator('#form-measures summary').click();
    await tab.locator('#measures-impactStartedAt').fill('25 minutes ago');
    await tab.locator('#measures-reason').fill('The alert carried an old start time');
    expect(await submit(tab, 'Record the correction')).toBe(200);
    const corrected = await detail(key);
    expect(corrected.timeline.find((t) => t.kind === 'measures.corrected')?.actor).toBe(recipient);
    expect(Date.now() - Date.parse(String(corrected.incident.impactStartedAt))).toBeLessThan(30 * 60_000);
    expect(await scrollsSideways(tab)).toBe(false);
    await shoot(tab, 'responder-page-resolved-390');
    expect(csp).toEqual([]);
  });

  it("shows the incident manager who is on call for the service's schedule now and next", async () => {
    // The unassigned service pages whoever is on call for SRE: they acknowledge and open their page.
    const declared = await api('/incidents', {
      method: 'POST',
      headers: { ...hotline.operator(), 'content-type': 'application/json' },
      body: JSON.stringify({
        summary: 'Unowned queue backing up',
        description: 'A queue no service claims is backing up.',
        severity: 2,
        service: 'unknown',
      }),
    });
    expect(declared.status).toBe(201);
    const key = ((await declared.json()) as { key: string }).key;
    const mail = await eventually(
      async () =>
        (await mails()).find((m) => m.subject.startsWith(`${key} - `) && m.subject.endsWith(' - Paged')),
      `the page email of ${key}`,
    );
    await eventually(
      async () => ((await detail(key)).incident.status === 'paged' ? true : undefined),
      'paged',
    );
    const tab = await newTab(browser.context, [], PHONE);
    expect((await tab.goto(LINK.exec(mail.body.html ?? '')?.[0] ?? ''))?.status()).toBe(200);
    await tab.locator('button').click();
    await tab.waitForLoadState();
    const responderLink = await tab.getByRole('link', { name: /responder page/ }).getAttribute('href');
    expect((await tab.goto(responderLink ?? ''))?.status()).toBe(200);
    const oncall = await tab.locator('h2:text-is("On call") + dl').innerText();
    expect(oncall).toMatch(/Primary incident manager\s+SRE on call: .+, until .+ America\/New_York \(/);
    expect(oncall).toMatch(/Next: .+, from /);
    expect(oncall).toContain('imoc@example.com');
    expect(await scrollsSideways(tab)).toBe(false);
  });
});
