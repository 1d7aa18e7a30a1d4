import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, newTab, scrollsSideways, shoot, startBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The incident page every incident mail links: a real page mail and a real comms mail on the local target, their
 * signed view links opened in Chromium at a phone's width. Reading changes nothing; a view link never decides.
 */

type Mail = { subject: string; destination: { to: string[] }; body: { text?: string; html?: string } };

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

const api = (path: string, init: RequestInit = {}) => fetch(`${hotline.target.urls.api}${path}`, init);
const mails = async () =>
  ((await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] }).emails;

/** The view link of a mail: the "Incident" row, in the text part and the HTML part alike. */
function viewLinkOf(mail: Mail): string {
  const inText = /^Incident: \S+ \(open the incident page\) <(https?:\/\/\S+\/links\/v1\.[^>]+)>$/m.exec(
    mail.body.text ?? '',
  )?.[1];
  if (!inText) throw new Error(`"${mail.subject}" has no incident page link:\n${mail.body.text ?? ''}`);
  expect(mail.body.html).toContain(`href="${inText}"`);
  return inText;
}

async function openIncident(): Promise<string> {
  const alert = fixture<{ groupKey: string }>('alertmanager', 'firing-v4');
  const response = await api('/alerts/alertmanager', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify({ ...alert, groupKey: `incident-page:${ulid()}` }),
  });
  expect(response.status).toBe(202);
  return ((await response.json()) as { incidents: { key: string }[] }).incidents[0]?.key ?? '';
}

const mailOf = (key: string, what: string, match: (m: Mail) => boolean) =>
  eventually(async () => (await mails()).find((m) => m.subject.startsWith(`${key} - `) && match(m)), what);

/**
 * The incident (as the API answers it) once its page is done: the mail goes first, then the text, then the
 * incident is marked paged, and each delivery event lands on the timeline a moment later (SES or End User
 * Messaging, SNS, MailEvents). Compared with itself after reading the page, it shows that reading wrote nothing.
 */
async function pagedAndSettled(key: string): Promise<string> {
  await eventually(async () => {
    const detail = (await (await api(`/incidents/${key}`, { headers: hotline.operator() })).json()) as {
      incident: { status: string };
    };
    return detail.incident.status === 'paged' ? true : undefined;
  }, `${key} to be paged`);
  await hotline.target.settleMailEvents();
  return (await api(`/incidents/${key}`, { headers: hotline.operator() })).text();
}

describe('the incident page of every incident mail', () => {
  it('opens from the page mail, shows the incident with its alerts and timeline, fits a phone, changes nothing', async () => {
    const key = await openIncident();
    const page = await mailOf(key, 'the page mail', (m) => m.subject.endsWith(' - Paged'));
    const link = viewLinkOf(page);
    const before = await pagedAndSettled(key);
    const csp: string[] = [];
    const tab = await newTab(browser.context, csp, { width: 390, height: 844 });

    const response = await tab.goto(link);

    expect(response?.status()).toBe(200);
    expect(response?.headers()['cache-control']).toBe('no-store');
    expect(response?.headers()['referrer-policy']).toBe('no-referrer');
    await expect(tab.locator('h1').textContent()).resolves.toBe(
      `${key}: Checkout API 5xx rate above 5% (+1 more alert)`,
    );
    const text = await tab.locator('main').innerText();
    expect(text).toContain('Timeline (UTC)');
    expect(text).toMatch(/opened from alertmanager: Sev 1 on Checkout/);
    expect(text).toContain('Paged incident manager payments-oncall@example.com');
    expect(text).toContain('Time to detect');
    expect(await tab.locator('a', { hasText: 'Runbook' }).first().getAttribute('href')).toBe(
      'https://runbooks.example.com/checkout/high-error-rate',
    );
    expect(await tab.locator('script').count()).toBe(0);
    expect(await tab.locator('form').count()).toBe(0);
    expect(await scrollsSideways(tab)).toBe(false);
    await shoot(tab, 'incident-page-390');
    expect(csp).toEqual([]);
    // Reading (a person, a mail scanner's prefetch) changed nothing.
    expect(await (await api(`/incidents/${key}`, { headers: hotline.operator() })).text()).toBe(before);
  });

  it("opens from the comms mails to the service's lists, and a POST of it decides nothing", async () => {
    const key = await openIncident();
    const acknowledged = await api(`/incidents/${key}/acknowledge`, {
      method: 'POST',
      headers: { ...hotline.operator(), 'content-type': 'application/json' },
      body: JSON.stringify({ incidentManager: 'payments-oncall@example.com' }),
    });
    expect(acknowledged.status).toBe(200);
    const comms = await mailOf(key, 'the first internal comms', (m) =>
      m.destination.to.includes('checkout-incidents@example.com'),
    );
    const link = viewLinkOf(comms);
    const tab = await newTab(browser.context, [], { width: 390, height: 844 });
    expect((await tab.goto(link))?.status()).toBe(200);
    expect(await tab.locator('main').innerText()).toContain('payments-oncall@example.com');
    expect(await scrollsSideways(tab)).toBe(false);

    const posted = await fetch(link, { method: 'POST' });
    expect(posted.status).toBe(405);
    const body = await posted.text();
    expect(body).toContain('This link only shows an incident');
    expect(body).not.toContain(key);
  });

  it("shows who is on call for the service now and next (its schedule, with an override), and the IMOC, at a phone's width", async () => {
    // The unassigned service pages the SRE schedule (then the IMOC's address); Grace covers it for two hours.
    const start = new Date(Date.now() - 60_000).toISOString();
    const end = new Date(Date.now() + 2 * 3_600_000).toISOString();
    const cover = await api('/schedules/sre/overrides', {
      method: 'POST',
      headers: { ...hotline.operator(), 'content-type': 'application/json' },
      body: JSON.stringify({ personId: 'grace', start, end }),
    });
    expect(cover.status).toBe(201);
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
    const page = await mailOf(key, 'the page mail', (m) => m.subject.endsWith(' - Paged'));
    const link = viewLinkOf(page);
    const before = await pagedAndSettled(key);
    const overridesBefore = await (
      await api('/schedules/sre/overrides', { headers: hotline.operator() })
    ).text();
    const tab = await newTab(browser.context, [], { width: 390, height: 844 });
    expect((await tab.goto(link))?.status()).toBe(200);
    const section = tab.locator('h2', { hasText: 'On call' });
    await expect(section.count()).resolves.toBe(1);
    const oncall = await tab.locator('h2:text-is("On call") + dl').innerText();
    expect(oncall).toContain('Primary incident manager');
    expect(oncall).toMatch(
      /SRE on call: Grace Hopper, until \w{3} \d+ \w{3}, \d\d:\d\d America\/New_York \(/,
    );
    expect(oncall).toMatch(/Next: (Ada Lovelace|Alan Turing), from /);
    expect(oncall).toContain('IMOC');
    expect(oncall).toContain('imoc@example.com');
    expect(oncall).not.toContain('Backup incident manager');
    expect(await scrollsSideways(tab)).toBe(false);
    await tab.locator('h2:text-is("On call")').scrollIntoViewIfNeeded();
    await shoot(tab, 'incident-page-oncall-390');
    // Reading wrote nothing: not the incident, not the schedule.
    expect(await (await api(`/incidents/${key}`, { headers: hotline.operator() })).text()).toBe(before);
    expect(await (await api('/schedules/sre/overrides', { headers: hotline.operator() })).text()).toBe(
      overridesBefore,
    );
  });

  it('answers a tampered or truncated view link with a clear page and no incident data', async () => {
    const key = await openIncident();
    const link = viewLinkOf(await mailOf(key, 'the page mail', (m) => m.subject.endsWith(' - Paged')));
    for (const bad of [`${link.slice(0, -3)}xyz`, link.slice(0, link.lastIndexOf('.'))]) {
      const response = await fetch(bad);
      expect(response.status).toBe(403);
      const body = await response.text();
      expect(body).toContain('This link is not valid');
      expect(body).not.toContain(key);
    }
  });
});
