import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium, type Page } from 'playwright-core';
import { onTestFinished } from 'vitest';

/**
 * Debian's Chromium through playwright-core, for the tests of the pages people open from their mail: a fresh
 * profile per file, tabs that collect Content-Security-Policy violations, screenshots to look at.
 */

const CHROMIUM = process.env.HOTLINE_CHROMIUM ?? '/usr/bin/chromium';
/** Where the screenshots go, to look at the pages as a person sees them. */
export const screenshotDir = process.env.HOTLINE_SCREENSHOTS ?? join(tmpdir(), 'hotline-e2e-screenshots');

export interface Browser {
  context: BrowserContext;
  stop(): Promise<void>;
}

/** Fails with what to do, instead of a stack trace from deep inside playwright. */
function requireChromium(): void {
  if (existsSync(CHROMIUM)) return;
  throw new Error(
    `Chromium is not installed at ${CHROMIUM}: the browser tests drive Debian's Chromium. ` +
      'Install it with "sudo apt-get install -y chromium" (.ci/run does this), or set HOTLINE_CHROMIUM to a Chromium binary.',
  );
}

export async function startBrowser(): Promise<Browser> {
  requireChromium();
  const profileDir = mkdtempSync(join(tmpdir(), 'hotline-chromium-'));
  mkdirSync(screenshotDir, { recursive: true });
  let context: BrowserContext;
  try {
    // A persistent context is how playwright takes a --user-data-dir: a fresh, empty profile per run. Without the
    // background-networking flags Chromium keeps trying hosts this offline machine cannot reach.
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
    rmSync(profileDir, { recursive: true, force: true });
    throw new Error(`Chromium at ${CHROMIUM} did not start: ${(error as Error).message}`);
  }
  return {
    context,
    async stop() {
      await context.close();
      rmSync(profileDir, { recursive: true, force: true });
    },
  };
}

/**
 * A fresh tab, closed when the test ends. Chromium reports a Content-Security-Policy violation on the console;
 * the test asserts its tabs saw none.
 */
export async function newTab(
  context: BrowserContext,
  cspViolations: string[],
  viewport?: { width: number; height: number },
): Promise<Page> {
  const page = await context.newPage();
  if (viewport) await page.setViewportSize(viewport);
  onTestFinished(() => page.close());
  page.on('console', (m) => {
    if (/Content.Security.Policy|Refused/i.test(m.text())) cspViolations.push(m.text());
  });
  return page;
}

/** Whether the page fits its viewport's width (a phone at 390 px must not scroll sideways). */
export async function scrollsSideways(page: Page): Promise<boolean> {
  return page.evaluate(() => {
    // Runs in the page; the project's TypeScript has no DOM types.
    const doc = (
      globalThis as unknown as { document: { documentElement: { scrollWidth: number; clientWidth: number } } }
    ).document.documentElement;
    return doc.scrollWidth > doc.clientWidth;
  });
}

export async function shoot(page: Page, name: string): Promise<string> {
  const path = join(screenshotDir, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}
