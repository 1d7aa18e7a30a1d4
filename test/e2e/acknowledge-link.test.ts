import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keys } from '../../functions/core/keys.ts';
import { type LinkClaims, parseSigningKeys, signedLinkUrl, signLink } from '../../functions/core/links.ts';
import { eventually } from '../support/eventually.ts';
import { fixtureText } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The acknowledge link of a page email, in a real browser (Debian's Chromium through playwright-core) against
 * the real stack on the local target: GET shows a confirm page and changes nothing (mail scanners prefetch
 * links), the button acknowledges once, a second use says it was already done, a tampered link is refused.
 */

const CHROMIUM = process.env.HOTLINE_CHROMIUM ?? '/usr/bin/chromium';
/** Where the screenshots go, to look at the pages as a person sees them. */
const screenshotDir = process.env.HOTLINE_SCREENSHOTS ?? join(tmpdir(), 'hotline-e2e-screenshots');

let hotline: HotlineTarget;
let context: BrowserContext;
let profileDir: string;

/** Fails the file with what to do, instead of a stack trace from deep inside playwright. */
function requireChromium(): void {
  if (existsSync(CHROMIUM)) return;
  throw new Error(
    `Chromium is not installed at ${CHROMIUM}: this browser test drives Debian's Chromium. ` +
      'Install it with "sudo apt-get install -y chromium" (.ci/run does this), or set HOTLINE_CHROMIUM to a Chromium binary.',
  );
}

beforeAll(async () => {
  requireChromium();
  profileDir = mkdtempSync(join(tmpdir(), 'hotline-chromium-'));
  try {
    // A persistent context is how playwright takes a --user-data-dir: a fresh, empty profile per run.
    context = await chromium.launchPersistentContext(profileDir, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
  } catch (error) {
    throw new Error(`Chromium at ${CHROMIUM} did not start: ${(error as Error).message}`);
  }
  hotline = await startHotline();
  mkdirSync(screenshotDir, { recursive: true });
});

afterAll(async () => {
  await context?.close();
  await hotline?.stop();
  if (profileDir) rmSync(profileDir, { recursive: true, force: true });
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

const TOKEN = /\/links\/(v1\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)/;

function claimsOf(token: string): LinkClaims {
  return JSON.parse(Buffer.from(token.split('.')[2] ?? '', 'base64url').toString('utf8')) as LinkClaims;
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

async function shoot(page: Page, name: string) {
  await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
}

describe('the acknowledge link of a page email, in Chromium', () => {
  let key: string;
  let recipient: string;
  let link: string;
  let token: string;
  let confirmTab: Page;
  let staleTab: Page;
  let acknowledged: Detail;
  const cspViolations: string[] = [];

  it('pages the incident manager with an acknowledge link', async () => {
    const response = await api('/alerts/alertmanager', {
      method: 'POST',
      headers: {
        authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
        'content-type': 'application/json',
      },
      body: fixtureText('alertmanager', 'firing-v4'),
    });
    expect(response.status).toBe(202);
    key = ((await response.json()) as { incidents: { key: string }[] }).incidents[0]?.key ?? '';
    expect(key).toMatch(/^HOT-\d+$/);

    const mail = await eventually(async () => {
      const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] };
      return store.emails.find((m) => m.subject.startsWith(`${key} `));
    }, 'the page email');
    recipient = mail.destination.to[0] ?? '';
    expect(recipient).toBe('payments-oncall@example.com');
    const before = await eventually(async () => {
      const d = await detail(key);
      return d.incident.status === 'paged' ? d : undefined;
    }, 'the incident to be paged');

    const mailed = TOKEN.exec(mail.body.text ?? '')?.[1] ?? TOKEN.exec(mail.body.html ?? '')?.[1];
    if (mailed) {
      token = mailed;
    } else {
      // Until the page step mails links, sign one the way it will, with the stack's own link keys.
      const secret = Object.entries(hotline.target.secrets).find(([name]) => /LinkSigningKeys/i.test(name));
      if (!secret) throw new Error(`no LinkSigningKeys secret among ${Object.keys(hotline.target.secrets)}`);
      token = signLink(
        {
          id: ulid(),
          incidentId: before.incident.id,
          key,
          action: 'acknowledge',
          recipient,
          exp: Math.floor(Date.now() / 1000) + 3600,
        },
        parseSigningKeys(secret[1]),
      );
    }
    expect(claimsOf(token)).toMatchObject({
      incidentId: before.incident.id,
      key,
      action: 'acknowledge',
      recipient,
    });
    link = signedLinkUrl(hotline.target.urls.api, token);
  });

  it('GET shows the confirm page and changes nothing', async () => {
    const before = await detail(key);
    confirmTab = await context.newPage();
    confirmTab.on('console', (m) => {
      if (/Content.Security.Policy|Refused/i.test(m.text())) cspViolations.push(m.text());
    });
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

    // A second tab stands for a second click later on, from the same (now stale) page.
    staleTab = await context.newPage();
    expect((await staleTab.goto(link))?.status()).toBe(200);

    const after = await detail(key);
    expect(after.incident).toEqual(before.incident);
    expect(after.incident.status).toBe('paged');
    expect(after.incident.acknowledgedBy).toBeUndefined();
    expect(acknowledgements(after)).toEqual([]);
    expect(await linkUse(claimsOf(token).id)).toBeUndefined();
  });

  it('the click acknowledges the incident for the recipient', async () => {
    const posted = confirmTab.waitForResponse((r) => r.request().method() === 'POST');
    await confirmTab.locator('button').click();
    const response = await posted;
    await confirmTab.waitForLoadState();
    expect(response.status()).toBe(200);
    expect(response.url()).toBe(link);
    await expect(confirmTab.locator('h1').textContent()).resolves.toBe(`You acknowledged ${key}`);
    expect(await confirmTab.locator('main').innerText()).toContain(recipient);
    await shoot(confirmTab, 'acknowledge-done');

    acknowledged = await detail(key);
    expect(acknowledged.incident).toMatchObject({ status: 'fixing', acknowledgedBy: recipient });
    expect(acknowledgements(acknowledged)).toEqual([
      expect.objectContaining({ kind: 'incident.acknowledged', actor: recipient }),
    ]);
    expect(await linkUse(claimsOf(token).id)).toMatchObject({ outcome: 'done', recipient });
  });

  it('a second use says it was already done and changes nothing', async () => {
    const posted = staleTab.waitForResponse((r) => r.request().method() === 'POST');
    await staleTab.locator('button').click();
    expect((await posted).status()).toBe(200);
    await staleTab.waitForLoadState();
    await expect(staleTab.locator('h1').textContent()).resolves.toBe(`${key} was already acknowledged`);
    expect(await staleTab.locator('main').innerText()).toContain(`Already done by ${recipient}`);
    await shoot(staleTab, 'acknowledge-already');

    // Revisiting the link shows the same, with nothing to press.
    expect((await confirmTab.goto(link))?.status()).toBe(200);
    await expect(confirmTab.locator('h1').textContent()).resolves.toBe(`${key} was already acknowledged`);
    expect(await confirmTab.locator('form').count()).toBe(0);
    // And a POST from elsewhere (no form at all) is answered the same way.
    const again = await confirmTab.request.post(link);
    expect(again.status()).toBe(200);
    expect(await again.text()).toContain('was already acknowledged');

    const after = await detail(key);
    expect(after.incident.acknowledgedAt).toBe(acknowledged.incident.acknowledgedAt);
    expect(after.incident.acknowledgedBy).toBe(recipient);
    expect(acknowledgements(after)).toHaveLength(1);
  });

  it('a tampered link shows the invalid page and changes nothing', async () => {
    const [v, kid, , signature] = token.split('.');
    const forged = Buffer.from(
      JSON.stringify({ ...claimsOf(token), id: ulid(), recipient: 'mallory@example.com' }),
    ).toString('base64url');
    const tampered = signedLinkUrl(hotline.target.urls.api, `${v}.${kid}.${forged}.${signature}`);
    const page = await context.newPage();
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
    expect(after.incident.acknowledgedBy).toBe(recipient);
    expect(acknowledgements(after)).toHaveLength(1);
    expect(cspViolations).toEqual([]);
  });
});
