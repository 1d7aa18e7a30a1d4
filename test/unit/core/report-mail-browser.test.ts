import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportEmail } from '../../../functions/core/report-render.ts';
import { type Browser, newTab, scrollsSideways, shoot, startBrowser } from '../../support/browser.ts';
import { handReport } from './report-support.ts';

/**
 * The report mail's HTML as Chromium lays it out: a desktop client's 600 px reading pane and a phone at 390 px,
 * with no sideways scroll even for a long unbroken key or service name, and no request leaving the page.
 */
describe('the SLO report mail in a browser', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await startBrowser();
  });
  afterAll(async () => {
    await browser?.stop();
  });

  const report = handReport({ hostile: true });
  const firstRow = report.rootCausesNotFixed.rows[0];
  if (firstRow) firstRow.service = `a-very-long-service-name-without-any-break-${'x'.repeat(80)}`;
  const { html } = reportEmail(report, {
    title: 'Weekly SLO report',
    viewUrlFor: (key) => `https://hotline.example.com/links/${'t'.repeat(200)}-${key}`,
  });

  for (const width of [600, 390]) {
    it(`fits ${width} px without scrolling sideways, loading nothing`, async () => {
      const violations: string[] = [];
      const page = await newTab(browser.context, violations, { width, height: 900 });
      const requests: string[] = [];
      await page.route('**/*', (route) => {
        requests.push(route.request().url());
        return route.abort();
      });
      await page.setContent(html, { waitUntil: 'load' });
      await shoot(page, `slo-report-${width}`);
      expect(await scrollsSideways(page)).toBe(false);
      expect(requests).toEqual([]);
      expect(await page.locator('script').count()).toBe(0);
    });
  }
});
