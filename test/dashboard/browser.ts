// Real Chromium for the dashboard tests: headless, a fresh profile per context, the page's tables read back as text.
// The dashboard is what a person sees, not the tag: one engine is enough here, the tag's tests run in all three.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { CHROMIUM_ARGS, CHROMIUM_PATH } from '../../scripts/chromium.mjs';

/** A browser with a profile of its own; `close()` also removes the profile. */
export async function openBrowser(): Promise<{ context: BrowserContext; page: Page; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-dash-'));
  const context = await chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    // Playwright switches the back/forward cache off; people have it on.
    ignoreDefaultArgs: ['--disable-back-forward-cache'],
    viewport: { width: 1280, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  return {
    context,
    page,
    async close() {
      await context.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Waits until the dashboard has finished a load: `ready`, `empty`, `error` or back at `signin`. */
export async function settled(page: Page): Promise<string> {
  await page.waitForFunction(() => {
    const s = document.body.dataset.state;
    return s !== undefined && s !== 'loading';
  });
  return page.evaluate(() => document.body.dataset.state ?? '');
}

/** Fills the sign-in form and waits for the first load to settle. */
export async function signIn(page: Page, site: string, token: string): Promise<string> {
  await page.fill('#signin-site', site);
  await page.fill('#signin-token', token);
  await page.click('#signin-form button[type=submit]');
  await page.waitForFunction(
    () => document.body.dataset.state !== 'signin' || !document.getElementById('signin-error')?.hidden,
  );
  return settled(page);
}

/** The body rows of the table `data-table="key"`, as trimmed cell texts (hidden rows included). */
export function readTable(page: Page, key: string): Promise<string[][]> {
  return page.$$eval(`table[data-table="${key}"] tbody tr`, (rows) =>
    rows.map((r) => [...r.querySelectorAll('td')].map((td) => (td.textContent ?? '').trim())),
  );
}

/** A count as printed on the page (`1,234`) as a number. */
export function num(text: string): number {
  const n = Number(text.replace(/,/g, ''));
  if (!Number.isFinite(n)) throw new Error(`not a number: ${text}`);
  return n;
}

/** A percentage as printed (`62.5%`) as a fraction; `–` is null. */
export function rate(text: string): number | null {
  if (text === '–') return null;
  if (!text.endsWith('%')) throw new Error(`not a percentage: ${text}`);
  return Number(text.slice(0, -1)) / 100;
}
