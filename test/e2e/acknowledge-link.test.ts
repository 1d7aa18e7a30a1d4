import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import type { BrowserContext, Page, Response as PageResponse } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/core/keys.ts';
import { type LinkClaims, signedLinkUrl } from '../../functions/core/links.ts';
import { type Browser, newTab as openTab, shoot, startBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The acknowledge link of a page email, in a real browser (Debian's Chromium through playwright-core) against
 * the real stack on the local target: GET shows a confirm page and changes nothing (mail scanners prefetch
 * links), the button acknowledges once, a second use says it was already done, a tampered link is refused.
 * The link is always the one the page email carries: each test opens its own incident (its own alert group)
 * and follows the link mailed for it.
 */

let hotline: HotlineTarget;
let browser: Browser;
let context: BrowserContext;

beforeAll(async () => {
  browser = await startBrowser();
  context = browser.context;
  hotline = await startHotline();
});

afterAll(async () => {
  await browser?.stop();
  await hotline?.stop();
});

const api = (path: string, init: RequestInit = {}) => fetch(`${hotline.target.urls.api}${path}`, init);

type Mail = { subject: string; destination: { to: string[] }; body: { text?: string; html?: string } };
type Detail = {
  incident: Record<string, unknown> & { id: string; status: string; acknowledgedBy?: string };
  timeline: { kind: string; actor?: string }[];
};

async function detail(key: string): Promise<Detail> {
  const response = await api(`/incidents/${key}`, { headers: hotline.operator() });
  expect(response.status).toBe(200);
  return (await response.json()) as Detail;
}

const acknowledgements = (d: Detail) => d.timeline.filter((e) => e.kind === 'incident.acknowledged');

/** A signed link as mailed: `<base>/links/v1.<kid>.<claims>.<mac>`. */
const LINK = /https?:\/\/[^\s"'<>]+\/links\/(v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/;

function claimsOf(token: string): LinkClaims {
  return JSON.parse(Buffer.from(token.split('.')[2] ?? '', 'base64url').toString('utf8')) as LinkClaims;
}

interface PagedIncident {
  key: string;
  incidentId: string;
  recipient: string;
  /** The acknowledge link exactly as the page email carries it, and its token. */
  link: string;
  token: string;
  /** The incident as it stood once paged, before anyone used the link. */
  before: Detail;
}

/**
 * Opens an incident of its own (an Alertmanager group no other test sends), waits for its page email and
 * takes the acknowledge link from it. A page email without a link fails the test: the link under test is the
 * mailed one, never one signed here.
 */
async function pagedIncident(): Promise<PagedIncident> {
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
  expect(key).toMatch(/^HOT-\d+$/);

  const mail = await eventually(async () => {
    const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] };
    return store.emails.find((m) => m.subject.startsWith(`${key} - `) && m.subject.endsWith(' - Paged'));
  }, `the page email of ${key}`);
  const recipient = mail.destination.to[0] ?? '';
  const before = await eventually(async () => {
    const d = await detail(key);
    return d.incident.status === 'paged' ? d : undefined;
  }, `${key} to be paged`);

  const inText = LINK.exec(mail.body.text ?? '');
  const inHtml = LINK.exec(mail.body.html ?? '');
  const mailed = inHtml ?? inText;
  if (!mailed) {
    throw new Error(
      `the page email of ${key} ("${mail.subject}" to ${recipient}) has no acknowledge link ` +
        `(${hotline.target.urls.api}/links/v1.<kid>.<claims>.<mac>) in its text or HTML body:\n${mail.body.text ?? ''}`,
    );
  }
  // The link a person clicks (HTML) and the one a plain-text reader copies are the same link.
  if (inText && inHtml) expect(inText[0]).toBe(inHtml[0]);
  return {
    key,
    incidentId: before.incident.id,
    recipient,
    link: mailed[0],
    token: mailed[1] ?? '',
    before,
  };
}

/** The link use record, read straight from the table: GET must never create it. */
async function linkUse(linkId: string) {
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({
      endpoint: hotline.target.urls.dynamodb,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }),
  );
  const result = await db.send(
    new GetCommand({ TableName: hotline.target.tables[0], Key: keys.linkUse(linkId), ConsistentRead: true }),
  );
  db.destroy();
  return result.Item;
}

const newTab = (cspViolations: string[]) => openTab(context, cspViolations);

/** Opens the link (GET, as a person or a mail scanner would) and checks the confirm page came back. */
async function confirmPage(link: string, cspViolations: string[]): Promise<Page> {
  const tab = await newTab(cspViolations);
  expect((await tab.goto(link))?.status()).toBe(200);
  return tab;
}

/** Clicks the confirm page's button and waits for the answer to the POST it sends. */
async function clickConfirm(tab: Page): Promise<PageResponse> {
  const posted = tab.waitForResponse((r) => r.request().method() === 'POST');
  await tab.locator('button').click();
  const response = await posted;
  await tab.waitForLoadState();
  return response;
}

describe('the acknowledge link of a page email, in Chromium', () => {
  it('pages the incident manager with an acknowledge link', async () => {
    const paged = await pagedIncident();

    expect(paged.recipient).toBe('payments-oncall@example.com');
    // The mailed link points at this stack's API and authorises exactly this: the recipient acknowledges this
    // incident, for a while.
    expect(paged.link).toBe(signedLinkUrl(hotline.target.urls.api, paged.token));
    const claims = claimsOf(paged.token);
    expect(claims).toMatchObject({
      incidentId: paged.incidentId,
      key: paged.key,
      action: 'acknowledge',
      recipient: paged.recipient,
    });
    expect(claims.exp).toBeGreaterThan(Date.now() / 1000);
  });

  it('GET shows the confirm page and changes nothing', async () => {
    const { key, recipient, link, token, before } = await pagedIncident();
    const cspViolations: string[] = [];

    const confirmTab = await newTab(cspViolations);
    const response = await confirmTab.goto(link);
    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers['content-type']).toBe('text/html; charset=utf-8');
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['content-security-policy']).toMatch(/^default-src 'none'; style-src 'sha256-/);

    await expect(confirmTab.locator('h1').textContent()).resolves.toBe(`Acknowledge ${key}?`);
    const text = await confirmTab.locator('main').innerText();
    expect(text).toContain('Checkout API 5xx rate above 5%');
    expect(text).toContain('Sev 1');
    expect(text).toContain(recipient);
    expect(text).toContain('Opening this page changed nothing.');
    expect(await confirmTab.locator('script').count()).toBe(0);
    expect(await confirmTab.locator('form').count()).toBe(1);
    expect(await confirmTab.locator('form').getAttribute('method')).toBe('post');
    // The style applied (its hash is in the CSP): the button is the red one, not the browser default.
    const buttonColour = await confirmTab.locator('button').evaluate((b) => {
      // Runs in the page; the project's TypeScript has no DOM types.
      const view = globalThis as unknown as { getComputedStyle(e: unknown): { backgroundColor: string } };
      return view.getComputedStyle(b).backgroundColor;
    });
    expect(buttonColour).toBe('rgb(180, 35, 24)');
    await shoot(confirmTab, 'acknowledge-confirm');
    // Opening it again (a second tab, a scanner's prefetch) changes nothing either.
    await confirmPage(link, cspViolations);

    const after = await detail(key);
    expect(after.incident).toEqual(before.incident);
    expect(after.incident.status).toBe('paged');
    expect(after.incident.acknowledgedBy).toBeUndefined();
    expect(acknowledgements(after)).toEqual([]);
    expect(await linkUse(claimsOf(token).id)).toBeUndefined();
    expect(cspViolations).toEqual([]);
  });

  it('the click acknowledges the incident for the recipient', async () => {
    const { key, recipient, link, token } = await pagedIncident();
    const cspViolations: string[] = [];
    const confirmTab = await confirmPage(link, cspViolations);

    const response = await clickConfirm(confirmTab);
    expect(response.status()).toBe(200);
    expect(response.url()).toBe(link);
    await expect(confirmTab.locator('h1').textContent()).resolves.toBe(`You acknowledged ${key}`);
    expect(await confirmTab.locator('main').innerText()).toContain(recipient);
    await shoot(confirmTab, 'acknowledge-done');

    const acknowledged = await detail(key);
    expect(acknowledged.incident).toMatchObject({ status: 'fixing', acknowledgedBy: recipient });
    expect(acknowledgements(acknowledged)).toEqual([
      expect.objectContaining({ kind: 'incident.acknowledged', actor: recipient }),
    ]);
    expect(await linkUse(claimsOf(token).id)).toMatchObject({ outcome: 'done', recipient });
    expect(cspViolations).toEqual([]);
  });

  it('a second use says it was already done and changes nothing', async () => {
    const { key, recipient, link } = await pagedIncident();
    const cspViolations: string[] = [];
    // Two tabs on the confirm page: the second stands for a second click later on, from the same stale page.
    const confirmTab = await confirmPage(link, cspViolations);
    const staleTab = await confirmPage(link, cspViolations);
    expect((await clickConfirm(confirmTab)).status()).toBe(200);
    await expect(confirmTab.locator('h1').textContent()).resolves.toBe(`You acknowledged ${key}`);
    const acknowledged = await detail(key);
    expect(acknowledged.incident.acknowledgedBy).toBe(recipient);

    // A used link refuses (409) with who did it and when.
    expect((await clickConfirm(staleTab)).status()).toBe(409);
    await expect(staleTab.locator('h1').textContent()).resolves.toBe(`${key} was already acknowledged`);
    expect(await staleTab.locator('main').innerText()).toContain(`Already done by ${recipient}`);
    await shoot(staleTab, 'acknowledge-already');

    // Revisiting the link shows the same, with nothing to press.
    expect((await confirmTab.goto(link))?.status()).toBe(409);
    await expect(confirmTab.locator('h1').textContent()).resolves.toBe(`${key} was already acknowledged`);
    expect(await confirmTab.locator('form').count()).toBe(0);
    // And a POST from elsewhere (no form at all) is answered the same way.
    const again = await confirmTab.request.post(link);
    expect(again.status()).toBe(409);
    expect(await again.text()).toContain('was already acknowledged');

    const after = await detail(key);
    expect(after.incident.acknowledgedAt).toBe(acknowledged.incident.acknowledgedAt);
    expect(after.incident.acknowledgedBy).toBe(recipient);
    expect(acknowledgements(after)).toHaveLength(1);
    expect(cspViolations).toEqual([]);
  });

  it('a tampered link shows the invalid page and changes nothing', async () => {
    const { key, link, token, before } = await pagedIncident();
    const cspViolations: string[] = [];
    const [v, kid, , signature] = token.split('.');
    const forgedId = ulid();
    const forged = Buffer.from(
      JSON.stringify({ ...claimsOf(token), id: forgedId, recipient: 'mallory@example.com' }),
    ).toString('base64url');
    const tampered = link.replace(token, `${v}.${kid}.${forged}.${signature}`);
    expect(tampered).not.toBe(link);

    const page = await newTab(cspViolations);
    const response = await page.goto(tampered);
    expect(response?.status()).toBe(403);
    expect(response?.headers()['content-type']).toBe('text/html; charset=utf-8');
    await expect(page.locator('h1').textContent()).resolves.toBe('This link is not valid');
    expect(await page.locator('form').count()).toBe(0);
    await shoot(page, 'acknowledge-invalid');
    const post = await page.request.post(tampered);
    expect(post.status()).toBe(403);
    expect(await post.text()).toContain('This link is not valid');

    const after = await detail(key);
    expect(after.incident).toEqual(before.incident);
    expect(after.incident.acknowledgedBy).toBeUndefined();
    expect(acknowledgements(after)).toEqual([]);
    expect(await linkUse(forgedId)).toBeUndefined();
    expect(await linkUse(claimsOf(token).id)).toBeUndefined();
    expect(cspViolations).toEqual([]);
  });
});
