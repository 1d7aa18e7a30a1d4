import { join } from 'node:path';
import type { Page, Response as PageResponse } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { run } from '../../functions/cli/incident.ts';
import {
  type Browser,
  newTab,
  screenshotDir,
  scrollsSideways,
  shoot,
  startBrowser,
} from '../support/browser.ts';
import { eventually } from '../support/eventually.ts';
import { about, decisionLinks, hotlineClient, type Json, type Mail } from '../support/hotline-client.ts';
import { type HotlineTarget, startHotline } from '../support/hotline-target.ts';
import { completePostmortem } from '../support/postmortem-flow.ts';

/**
 * Postmortem approval in Chromium against the real stack on the local target, as people do it from their mail:
 * the owner asks from the editor page's "Ask for approval" button (refused, naming the blocking checks, until
 * they are met); two mandatory approvers (the configured one and one an operator adds with the CLI) and one
 * optional approver decide from the links they were mailed; a mail scanner's GET of every link changes nothing;
 * an edit in review makes the old links refuse and mails new ones; a request for changes reaches the owner by
 * mail and on the editor page; once both mandatory approvers approve, the postmortem is published, mailed and
 * readable on a 390 px phone. The steps share one incident and run in order.
 */

const owner = 'payments-team@example.com';
const head = 'head-of-payments@example.com';
const cto = 'cto@example.com';
const sreLead = 'sre-lead@example.com';
const PHONE = { width: 390, height: 844 };

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

const { api, mails, waitForMails, cli: cliIo } = hotlineClient(() => hotline);
const postmortemOf = async (key: string) =>
  (await api('GET', `/incidents/${key}/postmortem`)).body.postmortem;
/** The `nth` (1-based) approval mail an approver got for the postmortem of `key`. */
const approvalMail = async (key: string, approver: string, nth: number) =>
  (
    await waitForMails(
      `approval mail ${nth} to ${approver}`,
      about(key, ' - Postmortem approval requested', approver),
      nth,
    )
  )[nth - 1] as Mail;

/** The `incident` CLI against the target; fails the test unless it exits 0. Its output. */
async function cli(args: string[]): Promise<string> {
  const c = cliIo();
  expect(await run(args, c.io), `${args.join(' ')}: ${c.errors()}`).toBe(0);
  return c.text();
}

/** Presses a submit button and waits for the page that follows; answers the POST's response. */
async function press(tab: Page, name: string): Promise<PageResponse> {
  const [posted] = await Promise.all([
    tab.waitForResponse((r) => r.request().method() === 'POST'),
    tab.getByRole('button', { name, exact: true }).click(),
  ]);
  await tab.waitForLoadState('load');
  return posted;
}

/**
 * A field of the editor, its folded part opened first (as a person clicks its summary; the page has no script).
 */
async function field(tab: Page, label: string) {
  await unfold(tab);
  return tab.getByLabel(label, { exact: true });
}

/** Opens every folded part of the editor, as a person clicks each summary (the page has no script). */
async function unfold(tab: Page): Promise<void> {
  await tab.bringToFront(); // a tab in the background does not toggle a fold on a click
  const closed = tab.locator('details.part:not([open]) > summary');
  for (let left = 20, n = await closed.count(); n > 0 && left > 0; n = await closed.count(), left--)
    await closed.first().click();
}

/** What the template needs besides the root cause category (chosen on the page) and what the draft pre-fills. */
const template = completePostmortem('Add a check of connection pool sizes to the change review checklist');
const { rootCauseCategory: _chosenOnThePage, ...fields } = template.fields;
const complete = { ...template, fields };

/** What the steps share: the incident, the owner's editor link, the CSP violations every tab saw. */
const story = { key: '', editor: '', csp: [] as string[] };

/** The owner's editor in a fresh phone tab (a tab lasts one step). */
async function openEditor(): Promise<Page> {
  const tab = await newTab(browser.context, story.csp, PHONE);
  expect((await tab.goto(story.editor))?.status()).toBe(200);
  return tab;
}

describe('postmortem approval from the mail, in Chromium', () => {
  it('refuses "Ask for approval" while a blocking check is unmet, naming each; what was typed is saved', async () => {
    const declared = await api('POST', '/incidents', {
      summary: 'Checkout errors after a pool change',
      description: 'Card payments fail at checkout.',
      severity: 2,
      service: 'checkout',
    });
    const key = declared.body.key as string;
    story.key = key;
    await api('POST', `/incidents/${key}/acknowledge`, { incidentManager: 'payments-oncall@example.com' });
    await api('POST', `/incidents/${key}/resolve`, { supportCases: 2 });
    const [ownerMail] = await waitForMails('the owner mail', about(key, ' - Postmortem', owner));
    story.editor =
      /^Write the postmortem: .*<(https?:\/\/\S+\/links\/v1\.[^>]+)>$/m.exec(
        (ownerMail as Mail).body.text,
      )?.[1] ?? '';
    expect(story.editor).not.toBe('');

    // A second mandatory approver, added by an operator with the CLI: the configured ones stay as they were.
    expect(await cli(['postmortem', 'approvers', key, '--add', cto, '--mandatory'])).toContain(
      `Approvers: ${head} (mandatory), ${sreLead} (optional), ${cto} (mandatory).`,
    );
    expect((await postmortemOf(key)).approvals.approvers).toEqual([
      { address: head, mandatory: true },
      { address: sreLead, mandatory: false },
      { address: cto, mandatory: true },
    ]);

    const ownerTab = await openEditor();
    expect(await ownerTab.locator('#ask-hint').innerText()).toContain(
      `${head} (mandatory), ${sreLead} (optional), ${cto} (mandatory)`,
    );
    await (await field(ownerTab, 'Leadup')).fill('Typed before asking: a pool change at 14:20 UTC.');

    const refused = await press(ownerTab, 'Ask for approval');

    expect(refused.status()).toBe(409);
    const notice = await ownerTab.locator('.box.bad[role="alert"]').innerText();
    expect(notice).toMatch(/Not sent for approval: \d+ blocking checks are not met\./);
    expect(notice).toContain('Your changes were saved as version 2.');
    expect(notice).toContain('Nobody was asked.');
    expect(notice).toContain('No priority action.');
    // Each check links to its field.
    expect(await ownerTab.locator('.box.bad[role="alert"] a[href="#f-rootCauseCategory"]').count()).toBe(1);
    await expect((await field(ownerTab, 'Leadup')).inputValue()).resolves.toBe(
      'Typed before asking: a pool change at 14:20 UTC.',
    );
    const saved = await postmortemOf(key);
    expect(saved).toMatchObject({ status: 'draft', version: 2, updatedBy: owner });
    expect(saved.fields.leadup).toBe('Typed before asking: a pool change at 14:20 UTC.');
    expect((await mails()).filter(about(key, ' - Postmortem approval requested'))).toEqual([]);
    expect(await scrollsSideways(ownerTab)).toBe(false);
    await shoot(ownerTab, 'postmortem-approval-390-blocked');
    // The save bar stays on a phone's screen with both buttons: a screenshot of the screen, not the page.
    await (await field(ownerTab, 'What went well')).scrollIntoViewIfNeeded();
    await expect(ownerTab.getByRole('button', { name: 'Ask for approval' }).isVisible()).resolves.toBe(true);
    await ownerTab.screenshot({ path: join(screenshotDir, 'postmortem-approval-390-savebar.png') });
  });

  it('asks the two mandatory approvers and the optional one from the button; a scanner’s GET of every link changes nothing', async () => {
    const { key } = story;
    expect((await api('PUT', `/incidents/${key}/postmortem`, { version: 2, ...complete })).status).toBe(200);
    const ownerTab = await openEditor();
    // The last blocking check is met on the page, and the same press saves it and asks.
    await unfold(ownerTab);
    await ownerTab.locator('#f-rootCauseCategory-change').check();

    const asked = await press(ownerTab, 'Ask for approval');

    expect(asked.status()).toBe(303);
    expect(ownerTab.url()).toBe(`${story.editor}?requested=4`);
    const status = await ownerTab.locator('.box.ok[role="status"]').innerText();
    expect(status).toContain('Approval requested on version 4.');
    const review = await ownerTab.locator('#approval').innerText();
    expect(review).toContain('In review');
    expect(review).toContain(`${head} (mandatory): not decided yet.`);
    expect(review).toContain(`${sreLead} (optional): not decided yet.`);
    expect(review).toContain(`${cto} (mandatory): not decided yet.`);
    expect(await ownerTab.getByRole('button', { name: 'Ask for approval' }).count()).toBe(0);
    expect(await scrollsSideways(ownerTab)).toBe(false);
    await shoot(ownerTab, 'postmortem-approval-390-requested');
    const requested = await postmortemOf(key);
    expect(requested).toMatchObject({
      status: 'in-review',
      version: 4,
      fields: { rootCauseCategory: 'change' },
    });
    // Asked as the editor link's recipient.
    expect(requested.approvals).toMatchObject({ requestedBy: owner, version: 4, pending: [head, cto] });

    const asks = await Promise.all([head, sreLead, cto].map((a) => approvalMail(key, a, 1)));
    for (const mail of asks) expect(mail.destination.to).toHaveLength(1);

    // A mail scanner follows every link in every mail: nothing changes, nothing is sent. (The mails' delivery
    // events land first: they are SES's doing, not the scanner's.)
    await hotline.target.settleMailEvents();
    const before = {
      postmortem: await postmortemOf(key),
      incident: (await api('GET', `/incidents/${key}`)).body,
      mails: (await mails()).length,
    };
    const links = asks.flatMap((m) =>
      [...m.body.text.matchAll(/<(https?:\/\/[^>]+\/links\/v1\.[^>]+)>/g)].map((x) => x[1]),
    );
    expect(links.length).toBeGreaterThanOrEqual(6);
    for (const link of links) {
      const page = await fetch(link as string, { headers: { 'user-agent': 'MailScanner/1.0' } });
      expect(page.status).toBe(200);
    }
    expect({
      postmortem: await postmortemOf(key),
      incident: (await api('GET', `/incidents/${key}`)).body,
      mails: (await mails()).length,
    }).toEqual(before);
  });

  it('approves from the mail: the page shows the whole document and the form; one click decides', async () => {
    const { key } = story;
    const { approve } = decisionLinks(await approvalMail(key, head, 1));
    const tab = await newTab(browser.context, story.csp, PHONE);

    const opened = await tab.goto(approve);

    expect(opened?.status()).toBe(200);
    expect(opened?.headers()['cache-control']).toBe('no-store');
    expect(await tab.locator('h1').first().innerText()).toBe(`Approve the postmortem of ${key}?`);
    const document = await tab.locator('section.doc').innerText();
    for (const text of [
      'Five whys',
      complete.fields.rootCause,
      complete.fields.fiveWhys[4] as string,
      complete.actions[0]?.title as string,
    ])
      expect(document).toContain(text);
    expect(await tab.locator('script').count()).toBe(0);
    expect(await scrollsSideways(tab)).toBe(false);
    await shoot(tab, 'postmortem-approval-390-confirm');
    await tab.getByLabel('Comment (optional)').fill('Good work on the whys.');

    const decided = await press(tab, 'Approve version 4');

    expect(decided.status()).toBe(200);
    expect(await tab.locator('h1').innerText()).toBe(`You approved the postmortem of ${key}`);
    await shoot(tab, 'postmortem-approval-390-approved');
    const { approvals } = await postmortemOf(key);
    expect(approvals.pending).toEqual([cto]);
    expect(approvals.decisions).toEqual([
      expect.objectContaining({
        approver: head,
        decision: 'approved',
        comment: 'Good work on the whys.',
        version: 4,
        current: true,
        userAgent: expect.stringContaining('Chrome'),
      }),
    ]);
  });

  it('an edit in review makes the old links refuse, saying the document changed, and mails new ones', async () => {
    const { key } = story;
    const ownerTab = await openEditor();
    expect(await ownerTab.locator('#approval').innerText()).toMatch(
      new RegExp(`${head} \\(mandatory\\): approved .* \\(version 4\\)`),
    );
    await (await field(ownerTab, 'Recovery')).fill(
      'The change was rolled back at 15:05 UTC; errors stopped at 15:07 UTC.',
    );
    expect((await press(ownerTab, 'Save')).status()).toBe(303);
    expect(ownerTab.url()).toBe(`${story.editor}?saved=5`);
    const review = await ownerTab.locator('#approval').innerText();
    expect(review).toContain(`${head} (mandatory): not decided yet.`);
    expect(review).toMatch(/Earlier: approved version 4 .*; it counts only when made again\./);

    const tab = await newTab(browser.context, story.csp, PHONE);
    const stale = await tab.goto(decisionLinks(await approvalMail(key, cto, 1)).approve);
    expect(stale?.status()).toBe(409);
    expect(await tab.locator('h1').innerText()).toBe('The postmortem changed since you were asked');
    expect(await tab.locator('body').innerText()).toContain(
      'A new email with links for the new version was sent',
    );
    expect(await scrollsSideways(tab)).toBe(false);
    await shoot(tab, 'postmortem-approval-390-stale');

    // Everyone is asked again on version 5; the approval on version 4 is kept and no longer counts.
    for (const approver of [head, sreLead, cto]) await approvalMail(key, approver, 2);
    const { approvals } = await postmortemOf(key);
    expect(approvals).toMatchObject({ version: 5, pending: [head, cto] });
    expect(approvals.decisions).toEqual([
      expect.objectContaining({ approver: head, version: 4, current: false }),
    ]);
  });

  it('a request for changes with a comment sends it back: the owner’s mail and the editor page show it', async () => {
    const { key } = story;
    const comment = 'Name the <b>owner</b> of the review checklist & when it changes.';
    const tab = await newTab(browser.context, story.csp, PHONE);
    expect((await tab.goto(decisionLinks(await approvalMail(key, sreLead, 2)).changes))?.status()).toBe(200);
    expect(await tab.locator('h1').first().innerText()).toBe(`Request changes to the postmortem of ${key}?`);
    await tab.getByLabel('What should change (required)').fill(comment);

    const decided = await press(tab, 'Request changes');

    expect(decided.status()).toBe(200);
    expect(await tab.locator('h1').innerText()).toBe(`You requested changes to the postmortem of ${key}`);
    const [ownerMail] = await waitForMails(
      'the comment mailed to the owner',
      about(key, ' - Postmortem changes requested', owner),
    );
    expect((ownerMail as Mail).body.text).toContain(comment);
    expect((ownerMail as Mail).body.html).toContain(
      'Name the &lt;b&gt;owner&lt;/b&gt; of the review checklist &amp; when it changes.',
    );

    const ownerTab = await openEditor();
    const box = ownerTab.locator('#changes-requested');
    const shown = await box.innerText();
    expect(shown).toContain('Changes requested.');
    expect(shown).toContain(`${sreLead} (optional approver)`);
    expect(shown).toContain('on version 5');
    expect(shown).toContain(comment);
    expect(await box.locator('b').count()).toBe(0);
    expect(await ownerTab.getByRole('button', { name: 'Ask for approval' }).count()).toBe(1);
    expect((await postmortemOf(key)).status).toBe('draft');
    expect(await scrollsSideways(ownerTab)).toBe(false);
    await shoot(ownerTab, 'postmortem-approval-390-changes-requested');
  });

  it('asked again, both mandatory approvers approve from the mail: published, mailed, readable at 390 px', async () => {
    const { key } = story;
    const ownerTab = await openEditor();
    await (await field(ownerTab, 'What could have gone better')).fill(
      'The change was deployed without a load check. The Payments team owns the review checklist and reviews it each quarter.',
    );
    expect((await press(ownerTab, 'Ask for approval')).status()).toBe(303);
    expect(ownerTab.url()).toBe(`${story.editor}?requested=6`);

    for (const approver of [head, cto]) {
      const tab = await newTab(browser.context, story.csp, PHONE);
      await tab.goto(decisionLinks(await approvalMail(key, approver, 3)).approve);
      expect((await press(tab, 'Approve version 6')).status()).toBe(200);
      expect(await tab.locator('h1').innerText()).toBe(`You approved the postmortem of ${key}`);
    }

    const [published] = await waitForMails(
      'the published postmortem',
      about(key, ' - Postmortem published', 'checkout-incidents@example.com'),
    );
    const record = await eventually(async () => {
      const pm = await postmortemOf(key);
      return pm.status === 'published' ? pm : undefined;
    }, 'the postmortem to be published');
    expect(record.approvals.decisions.filter((d: Json) => d.current)).toEqual([
      expect.objectContaining({ approver: head, decision: 'approved', version: 6 }),
      expect.objectContaining({ approver: cto, decision: 'approved', version: 6 }),
    ]);
    // The optional approver's request for changes on version 5 is kept, and does not count.
    expect(record.approvals.decisions).toContainEqual(
      expect.objectContaining({
        approver: sreLead,
        decision: 'changes-requested',
        version: 5,
        current: false,
      }),
    );

    // The published document, as operators read it (the route needs the operator's Authorization header).
    const markdown = await fetch(`${hotline.target.urls.api}/incidents/${key}/postmortem/document`, {
      headers: { ...hotline.operator(), accept: 'text/markdown' },
    });
    expect(markdown.status).toBe(200);
    expect(await markdown.text()).toContain('The Payments team owns the review checklist');
    const html = await fetch(`${hotline.target.urls.api}/incidents/${key}/postmortem/document`, {
      headers: { ...hotline.operator(), accept: 'text/html' },
    });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
    const documentTab = await newTab(browser.context, [], PHONE);
    await documentTab.setContent(await html.text());
    expect(await documentTab.locator('h1').first().innerText()).toContain(`Postmortem of ${key}`);
    expect(await documentTab.locator('script').count()).toBe(0);
    expect(await scrollsSideways(documentTab)).toBe(false);
    await shoot(documentTab, 'postmortem-published-document-390');

    // The published mail, as a mail client shows its HTML part on a phone.
    const mail = published as Mail;
    expect(mail.body.text).toContain('Five whys');
    const mailTab = await newTab(browser.context, [], PHONE);
    await mailTab.setContent(mail.body.html);
    const readable = await mailTab.locator('body').innerText();
    for (const text of ['Five whys', complete.fields.rootCause, complete.actions[0]?.title as string])
      expect(readable).toContain(text);
    expect(await mailTab.locator('script').count()).toBe(0);
    expect(await scrollsSideways(mailTab)).toBe(false);
    await shoot(mailTab, 'postmortem-published-mail-390');

    // The owner's editor link now shows it, read-only.
    await ownerTab.goto(story.editor);
    expect(await ownerTab.locator('form').count()).toBe(0);
    expect(await ownerTab.locator('#approval').innerText()).toContain('Approved and published');
    expect(story.csp).toEqual([]);
  });
});
