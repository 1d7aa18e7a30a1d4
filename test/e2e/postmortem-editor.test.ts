import type { Page, Response as PageResponse } from 'playwright-core';
import { ulid } from 'ulid';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Browser, newTab, scrollsSideways, shoot, startBrowser } from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { fixture } from '../support/fixtures.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';

/**
 * The postmortem owner's editor, in Chromium against the real stack on the local target: a sev 2 is resolved,
 * its postmortem opened, and the editor link taken from the owner's mail. The owner fills the template and adds
 * actions on the page (no script) and sees the checks go from blocking to clear; two tabs save the same version
 * and the second is told, with its text kept.
 */

type Mail = { subject: string; destination: { to: string[] }; body: { text?: string; html?: string } };
type Check = { code: string; field?: string; message: string };
type ApiPostmortem = {
  version: number;
  owner: string;
  updatedBy: string;
  fields: Record<string, unknown> & { fault: string; impact: string; recovery: string; summary: string };
  actions: { title: string; kind: string; category: string; trackerUrl?: string; dueAt?: string }[];
  checks: { blocking: Check[]; warnings: Check[] };
};

const owner = 'payments-team@example.com';
const PHONE = { width: 390, height: 844 };
const DESKTOP = { width: 1280, height: 900 };

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
const operatorPost = (path: string, body: unknown) =>
  api(path, {
    method: 'POST',
    headers: { ...hotline.operator(), 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });

async function postmortemOf(key: string): Promise<ApiPostmortem> {
  const response = await api(`/incidents/${key}/postmortem`, { headers: hotline.operator() });
  expect(response.status).toBe(200);
  return ((await response.json()) as { postmortem: ApiPostmortem }).postmortem;
}

/**
 * A sev 2 of its own (an Alertmanager group with `severity: error`), paged, resolved, its postmortem opened (by
 * the workflow or, if it has not yet, by an operator: opening is idempotent), and the editor link exactly as
 * the owner's mail carries it.
 */
async function resolvedSev2(): Promise<{ key: string; link: string }> {
  const alert = fixture<{
    groupKey: string;
    commonLabels: Record<string, string>;
    alerts: { labels: Record<string, string> }[];
  }>('alertmanager', 'firing-v4');
  const body = {
    ...alert,
    groupKey: `postmortem-editor:${ulid()}`,
    commonLabels: { ...alert.commonLabels, severity: 'error' },
    alerts: alert.alerts.map((a) => ({ ...a, labels: { ...a.labels, severity: 'error' } })),
  };
  const opened = await api('/alerts/alertmanager', {
    method: 'POST',
    headers: {
      authorization: `Bearer ${hotline.secretOf('alertmanager')}`,
      'content-type': 'application/json',
    },
    body: JSON.stringify(body),
  });
  expect(opened.status).toBe(202);
  const key = ((await opened.json()) as { incidents: { key: string }[] }).incidents[0]?.key ?? '';
  const incident = await eventually(async () => {
    const response = await api(`/incidents/${key}`, { headers: hotline.operator() });
    const detail = (await response.json()) as { incident: { status: string; severity: number } };
    return detail.incident.status === 'paged' ? detail.incident : undefined;
  }, `${key} to be paged`);
  expect(incident.severity).toBe(2);

  const resolved = await operatorPost(`/incidents/${key}/resolve`, { supportCases: 0 });
  expect(resolved.status).toBe(200);
  expect(await resolved.json()).toMatchObject({ postmortem: 'required' });
  // The workflow opens it at the same time: a 503 says it is being opened, and the sender retries, as any would.
  const postmortem = await eventually(async () => {
    const answer = await operatorPost(`/incidents/${key}/postmortem`, {});
    return answer.status === 503 ? undefined : answer;
  }, `${key}'s postmortem to open`);
  expect([200, 201]).toContain(postmortem.status);

  const mail = await eventually(async () => {
    const store = (await (await fetch(`${hotline.target.urls.ses}/store`)).json()) as { emails: Mail[] };
    return store.emails.find((m) => m.subject.startsWith(`${key} - `) && m.subject.endsWith(' - Postmortem'));
  }, `the postmortem mail of ${key}`);
  expect(mail.destination.to).toEqual([owner]);
  const link = /^Write the postmortem: .*<(https?:\/\/\S+\/links\/v1\.[^>]+)>$/m.exec(
    mail.body.text ?? '',
  )?.[1];
  if (!link) throw new Error(`the postmortem mail of ${key} has no editor link:\n${mail.body.text ?? ''}`);
  expect(mail.body.html).toContain(`href="${link}"`);
  return { key, link };
}

/** Presses Save and waits for the page that follows; answers the POST's response. */
async function save(tab: Page): Promise<PageResponse> {
  const [posted] = await Promise.all([
    tab.waitForResponse((r) => r.request().method() === 'POST'),
    tab.getByRole('button', { name: 'Save' }).click(),
  ]);
  await tab.waitForLoadState('load');
  return posted;
}

const field = (tab: Page, label: string) => tab.getByLabel(label, { exact: true });

/** Opens every folded part of the template, as a person clicks each summary (the page has no script). */
async function unfold(tab: Page): Promise<void> {
  await tab.bringToFront(); // a tab in the background does not toggle a fold on a click
  const closed = tab.locator('details.part:not([open]) > summary');
  for (let left = 20, n = await closed.count(); n > 0 && left > 0; n = await closed.count(), left--)
    await closed.first().click();
  expect(await closed.count()).toBe(0);
}

describe('the postmortem editor page', () => {
  it('is the owner’s whole template: filled on the page, actions added, the checks turn from blocking to clear', async () => {
    const { key, link } = await resolvedSev2();
    const csp: string[] = [];
    const tab = await newTab(browser.context, csp, PHONE);

    const response = await tab.goto(link);

    expect(response?.status()).toBe(200);
    const headers = response?.headers() ?? {};
    expect(headers['cache-control']).toBe('no-store');
    expect(headers['referrer-policy']).toBe('no-referrer');
    expect(headers['content-security-policy']).toContain("default-src 'none'");
    expect(headers['content-security-policy']).not.toContain('script-src');
    await expect(tab.locator('h1').textContent()).resolves.toBe(`Postmortem of ${key}`);
    expect(await tab.locator('script').count()).toBe(0);
    const blocking = tab.locator('#checks .box.bad');
    await expect(blocking.textContent()).resolves.toMatch(/Blocking \(\d+\)/);
    expect(await blocking.innerText()).toContain('No priority action.');
    // Pre-filled from the incident: the summary sentence and the timeline.
    await expect(field(tab, 'Incident summary').inputValue()).resolves.toMatch(/^Between .* UTC on /);
    expect(await scrollsSideways(tab)).toBe(false);
    // A short page: each part of the template folded, saying where it stands (and, below the form, the
    // correction of the incident's times).
    expect(await tab.locator('details.part').count()).toBe(17);
    expect(await tab.locator('details.part[open]').count()).toBe(0);
    await shoot(tab, 'postmortem-editor-390-opened');
    await unfold(tab);

    // The owner assigns a person and writes the template.
    await field(tab, 'Who writes this postmortem').fill('dana.lee@example.com');
    const text: Record<string, string> = {
      'Incident summary':
        'Between 09:41 and 10:20 UTC, checkout requests failed with 5xx errors after a release. Sev 2.',
      Leadup: 'Release 2026.11.20-1 changed the connection pool size of checkout-api.',
      Fault: 'The pool was too small for peak traffic, so requests timed out.',
      Impact: 'About 5% of checkout requests failed for 39 minutes. No support cases.',
      Detection: 'The CheckoutHighErrorRate alert fired after 5 minutes of errors.',
      Response: 'The incident manager was paged and acknowledged within 3 minutes.',
      Recovery: 'The release was rolled back; errors stopped at 10:20 UTC.',
      'Root cause': 'Pool sizes are set by hand per release, with no load test.',
      'Backlog check': 'A load test stage was in the backlog (CHK-88), not scheduled.',
      Recurrence: 'No earlier incident had this root cause.',
      'What went well': 'The rollback took 4 minutes.',
      'What could have gone better': 'The release had no canary stage.',
      'Where we got lucky': 'It happened before the evening peak.',
    };
    for (const [label, value] of Object.entries(text)) await field(tab, label).fill(value);
    const whys = [
      'Checkout failed because requests timed out waiting for a connection.',
      'They waited because the pool had 10 connections instead of 50.',
      'It had 10 because the release changed the pool size.',
      'The change passed review because nothing measures it under load.',
      'Nothing measures it because there is no load test stage.',
    ];
    for (const [i, why] of whys.entries()) await field(tab, `Why ${i + 1}`).fill(why);
    await tab.locator('#f-rootCauseCategory-change').check();
    // A new timeline row goes into the first blank row (there are three).
    const rows = await tab.locator('input[name^="timeline["][name$="[at]"]').count();
    await tab.locator(`#f-timeline-${rows - 3}-at`).fill('2026-11-20 09:30');
    await tab.locator(`#f-timeline-${rows - 3}-text`).fill('Release 2026.11.20-1 deployed to checkout-api.');
    // Two actions in the blank action rows.
    await tab.locator('#f-actions-0-title').fill('Add a load test stage to the checkout release pipeline');
    await tab.locator('#f-actions-0-kind').selectOption('priority');
    await tab.locator('#f-actions-0-category').selectOption('prevent-future');
    await tab.locator('#f-actions-0-trackerUrl').fill('https://tracker.example.com/CHK-88');
    await tab
      .locator('#f-actions-1-title')
      .fill('Add alerting for all cases where this service returns >1% errors');
    await tab.locator('#f-actions-1-kind').selectOption('improvement');
    await tab.locator('#f-actions-1-category').selectOption('detect');
    await tab.locator('#f-actions-1-trackerUrl').fill('https://tracker.example.com/CHK-89');

    const posted = await save(tab);

    // Post/Redirect/Get: a reload shows the page again, it never posts twice.
    expect(posted.status()).toBe(303);
    expect(tab.url()).toBe(`${link}?saved=2`);
    expect(await tab.locator('.box.ok[role="status"]').innerText()).toContain('Saved as version 2');
    expect(await tab.locator('#checks').innerText()).toContain('Nothing blocks approval.');
    expect(await tab.locator('#checks .box.bad').count()).toBe(0);
    await expect(tab.locator('#f-actions-0-title').inputValue()).resolves.toBe(
      'Add a load test stage to the checkout release pipeline',
    );
    // New blank rows to add more.
    expect(await tab.locator('#f-actions-3-title').inputValue()).toBe('');
    expect(await scrollsSideways(tab)).toBe(false);
    await shoot(tab, 'postmortem-editor-390-saved');
    await tab.setViewportSize(DESKTOP);
    await shoot(tab, 'postmortem-editor-desktop-saved');

    const saved = await postmortemOf(key);
    expect(saved).toMatchObject({ version: 2, owner: 'dana.lee@example.com', updatedBy: owner });
    expect(saved.checks.blocking).toEqual([]);
    expect(saved.fields.fault).toBe(text.Fault);
    expect(saved.fields.rootCauseCategory).toBe('change');
    expect(saved.fields.fiveWhys).toEqual(whys);
    expect(saved.fields.timeline).toContainEqual({
      at: '2026-11-20T09:30:00.000Z',
      text: 'Release 2026.11.20-1 deployed to checkout-api.',
    });
    expect(saved.actions).toMatchObject([
      { kind: 'priority', category: 'prevent-future', trackerUrl: 'https://tracker.example.com/CHK-88' },
      { kind: 'improvement', category: 'detect' },
    ]);
    expect(saved.actions[0]?.dueAt).toBeDefined();
    expect(csp).toEqual([]);
  });

  it('tells the stale of two tabs, keeps its text, and its next save keeps both edits', async () => {
    const { key, link } = await resolvedSev2();
    const csp: string[] = [];
    const first = await newTab(browser.context, csp, PHONE);
    const second = await newTab(browser.context, csp, DESKTOP);

    await first.goto(link);
    await second.goto(link);
    await unfold(first);
    await unfold(second);

    // The second tab saves first.
    await field(second, 'Fault').fill('Their fault: the pool was too small.');
    await field(second, 'Impact').fill('Their impact: 5% of checkouts failed.');
    expect((await save(second)).status()).toBe(303);
    expect(second.url()).toBe(`${link}?saved=2`);

    // The first tab, still on version 1, changes the fault too, and the recovery.
    await field(first, 'Fault').fill('My fault: requests waited for connections.');
    await field(first, 'Recovery').fill('My recovery: rolled back the release.');
    const stale = await save(first);

    expect(stale.status()).toBe(409);
    const notice = await first.locator('.box.warn[role="alert"]').innerText();
    expect(notice).toContain(
      'Not saved: this postmortem was saved by someone else while you were editing version 1.',
    );
    expect(notice).toContain(`Version 2 saved by ${owner}`);
    expect(notice).toMatch(/changed Fault, Impact/);
    expect(notice).toContain('You both changed Fault');
    expect(notice).toContain('Only they changed Impact');
    // The typed text is kept; theirs is shown beside it where both changed; theirs is taken where only they did.
    await expect(field(first, 'Fault').inputValue()).resolves.toBe(
      'My fault: requests waited for connections.',
    );
    await expect(field(first, 'Recovery').inputValue()).resolves.toBe(
      'My recovery: rolled back the release.',
    );
    await expect(field(first, 'Impact').inputValue()).resolves.toBe('Their impact: 5% of checkouts failed.');
    expect(await first.locator('#f-fault ~ .theirs').innerText()).toContain(
      'Their fault: the pool was too small.',
    );
    expect(await first.locator('input[name="version"]').inputValue()).toBe('2');
    expect(await scrollsSideways(first)).toBe(false);
    await shoot(first, 'postmortem-editor-390-stale');
    expect(await postmortemOf(key)).toMatchObject({
      version: 2,
      fields: {
        fault: 'Their fault: the pool was too small.',
        recovery: expect.not.stringContaining('My recovery'),
      },
    });

    // Saving again, on purpose, is version 3 with both edits.
    expect((await save(first)).status()).toBe(303);
    expect(first.url()).toBe(`${link}?saved=3`);
    expect(await postmortemOf(key)).toMatchObject({
      version: 3,
      fields: {
        fault: 'My fault: requests waited for connections.',
        impact: 'Their impact: 5% of checkouts failed.',
        recovery: 'My recovery: rolled back the release.',
      },
    });
    expect(csp).toEqual([]);
  });

  it('sends an editor link mailed before the editor had its own address there (307): a GET keeps its query, a save its form', async () => {
    const { key, link } = await resolvedSev2();
    // Mailed now: the editor's own address. Mailed before: the bare signed link (LinkDecision), redirected.
    expect(link).toMatch(/\/links\/v1\.[^/]+\/edit$/);
    const old = link.slice(0, -'/edit'.length);
    const moved = await fetch(`${old}?saved=1`, { redirect: 'manual' });
    expect(moved.status).toBe(307);
    expect(moved.headers.get('cache-control')).toBe('no-store');
    expect(moved.headers.get('referrer-policy')).toBe('no-referrer');
    expect(new URL(moved.headers.get('location') ?? '', old).href).toBe(`${link}?saved=1`);

    const tab = await newTab(browser.context, [], PHONE);
    const opened = await tab.goto(old);
    expect(opened?.status()).toBe(200);
    expect(tab.url()).toBe(link);
    await unfold(tab);
    // A page opened before the move posts its save to the old address: the browser follows the 307 with the form.
    const form = tab.locator('form', { has: tab.getByRole('button', { name: 'Save', exact: true }) }).first();
    await form.evaluate((element, action) => element.setAttribute('action', action), old);
    await field(tab, 'Fault').fill('Saved through the address the first mail carried.');
    const [posted] = await Promise.all([
      tab.waitForResponse((r) => r.request().method() === 'POST' && r.url() === link),
      tab.getByRole('button', { name: 'Save', exact: true }).first().click(),
    ]);
    await tab.waitForLoadState('load');

    expect(posted.status()).toBe(303);
    expect(tab.url()).toBe(`${link}?saved=2`);
    expect((await postmortemOf(key)).fields.fault).toBe('Saved through the address the first mail carried.');
  });

  it('refuses what cannot be a postmortem edit: invalid input (400, typed text kept) and an oversized form (413)', async () => {
    const { key, link } = await resolvedSev2();
    const tab = await newTab(browser.context, [], PHONE);
    await tab.goto(link);
    await unfold(tab);
    await tab.locator('#f-actions-0-title').fill('Add a canary stage to checkout deploys');
    await tab.locator('#f-actions-0-kind').selectOption('priority');
    await tab.locator('#f-actions-0-trackerUrl').fill('javascript:alert(1)');

    const refused = await save(tab);

    expect(refused.status()).toBe(400);
    const notice = await tab.locator('.box.bad[role="alert"]').innerText();
    expect(notice).toContain('Action 1: category');
    expect(notice).toContain('Action 1: tracker link: must be an http(s) URL');
    await expect(tab.locator('#f-actions-0-title').inputValue()).resolves.toBe(
      'Add a canary stage to checkout deploys',
    );
    await expect(tab.locator('#f-actions-0-trackerUrl').inputValue()).resolves.toBe('javascript:alert(1)');
    expect(await tab.locator('#f-actions-0-trackerUrl').getAttribute('aria-invalid')).toBe('true');
    expect(await tab.locator('a[href^="javascript:"]').count()).toBe(0);
    // The part with the refused field comes back open.
    expect(await tab.locator('#part-actions').getAttribute('open')).toBe('');
    await shoot(tab, 'postmortem-editor-390-invalid');

    const big = await fetch(link, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: `version=1&summary=${'x'.repeat(600 * 1024)}`,
    });
    expect(big.status).toBe(413);
    expect(await big.text()).toContain('nothing was saved');
    expect((await postmortemOf(key)).version).toBe(1);
  });

  it('adds action rows without saving, keeps what was typed, caps fields, saves on Enter, and links in the preview', async () => {
    const { key, link } = await resolvedSev2();
    const csp: string[] = [];
    const tab = await newTab(browser.context, csp, PHONE);
    await tab.goto(link);
    await tab.locator('#part-actions > summary').click();
    await tab.locator('#part-impact > summary').click();
    await field(tab, 'Impact').fill(
      'About 5% of checkouts failed: see [the error dashboard](https://grafana.example.com/d/checkout).',
    );
    for (const i of [0, 1]) {
      await tab.locator(`#f-actions-${i}-title`).fill(`Add check ${i + 1} to the release pipeline`);
      await tab.locator(`#f-actions-${i}-kind`).selectOption(i === 0 ? 'priority' : 'improvement');
      await tab.locator(`#f-actions-${i}-category`).selectOption('prevent-future');
    }
    // The owner team takes at most 100 characters: the field stops there.
    await tab.locator('#f-actions-1-ownerTeam').pressSequentially('x'.repeat(103));
    expect((await tab.locator('#f-actions-1-ownerTeam').inputValue()).length).toBe(100);
    await tab.locator('#f-actions-1-ownerTeam').fill('Payments');
    expect(await tab.locator('#f-actions-2-title').count()).toBe(0);

    const [added] = await Promise.all([
      tab.waitForResponse((r) => r.request().method() === 'POST'),
      tab.getByRole('button', { name: 'Add another action row' }).click(),
    ]);
    await tab.waitForLoadState('load');

    // Nothing saved; the page is the form as typed, one more blank action, opened at the blank rows.
    expect(added.status()).toBe(200);
    expect(tab.url()).toBe(`${link}#f-actions-new`);
    expect(await tab.locator('.box.ok[role="status"]').innerText()).toContain('Nothing saved yet.');
    expect((await postmortemOf(key)).version).toBe(1);
    await expect(field(tab, 'Impact').inputValue()).resolves.toContain('[the error dashboard]');
    await expect(tab.locator('#f-actions-1-title').inputValue()).resolves.toBe(
      'Add check 2 to the release pipeline',
    );
    expect(await tab.locator('#part-actions').getAttribute('open')).toBe('');
    await expect(tab.locator('#f-actions-2-title').isVisible()).resolves.toBe(true);
    expect(await scrollsSideways(tab)).toBe(false);
    await shoot(tab, 'postmortem-editor-390-row-added');

    // Enter in a one-line field saves (not "add a row"): the third action with the first two.
    await tab.locator('#f-actions-2-title').fill('Add check 3 to the release pipeline');
    await tab.locator('#f-actions-2-kind').selectOption('improvement');
    await tab.locator('#f-actions-2-category').selectOption('detect');
    const [saved] = await Promise.all([
      tab.waitForResponse((r) => r.request().method() === 'POST'),
      tab.locator('#f-actions-2-title').press('Enter'),
    ]);
    await tab.waitForLoadState('load');
    expect(saved.status()).toBe(303);
    expect(tab.url()).toBe(`${link}?saved=2`);
    const pm = await postmortemOf(key);
    expect(pm.actions.map((a) => a.title)).toEqual([
      'Add check 1 to the release pipeline',
      'Add check 2 to the release pipeline',
      'Add check 3 to the release pipeline',
    ]);

    // The preview shows the saved text with its Markdown link as a link.
    await tab.locator('#preview > summary').click();
    const linkInPreview = tab.locator('#preview a', { hasText: 'the error dashboard' });
    expect(await linkInPreview.getAttribute('href')).toBe('https://grafana.example.com/d/checkout');
    expect(await linkInPreview.getAttribute('rel')).toBe('noreferrer');
    await shoot(tab, 'postmortem-editor-390-preview');
    await tab.setViewportSize(DESKTOP);
    expect(await scrollsSideways(tab)).toBe(false);
    await shoot(tab, 'postmortem-editor-desktop-preview');
    expect(csp).toEqual([]);
  });
});
