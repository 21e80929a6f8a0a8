// The example shop renders: every page screenshotted in Chromium (desktop and phone), key elements visible, nothing broken.
// Chromium only, on purpose: this is about what a person sees of the demo shop (layout at two screen sizes, images,
// screenshots, failed requests), which needs Playwright's viewport, screenshot and network events; the tag on these
// pages is tested in every engine by journeys/ and sdk/.
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT } from '../scripts/collector-process.mjs';
import { CHROMIUM_ARGS, CHROMIUM_PATH, VISITOR_UA } from '../scripts/chromium.mjs';
import { openShopSite, type ShopSite } from './journeys/support.ts';

// Kept after the run (gitignored) so a person can look at them; CI can publish the folder.
const OUT = join(ROOT, 'test-results', 'shop-screenshots');

const PAGES: Array<{ path: string; name: string; visible: string[] }> = [
  { path: '/', name: 'home', visible: ['h1', '.hero img', '.card img'] },
  { path: '/blog/brewing-guide', name: 'blog', visible: ['article.post h1', 'aside.cta'] },
  {
    path: '/products/',
    name: 'products',
    visible: ['#product-grid .card', '#product-grid button[data-parcours-cart="add"]'],
  },
  { path: '/products/grinder', name: 'product', visible: ['.product img', '#add-to-cart', '.price'] },
  { path: '/cart', name: 'cart', visible: ['table.cart', '#cart-total', '#to-checkout'] },
  {
    path: '/checkout/',
    name: 'checkout',
    visible: ['#checkout [name="email"]', '#checkout [name="card"]', '#pay', '#summary li'],
  },
  { path: '/account/', name: 'account', visible: ['#orders li', '#refer'] },
  { path: '/newsletter', name: 'newsletter', visible: ['#newsletter [name="email"]'] },
  { path: '/quote', name: 'quote', visible: ['#quote [name="company"]', '#quote textarea'] },
];

let s: ShopSite;
let profile: string;
let context: BrowserContext;
const problems: string[] = [];

/** Waits until the page's script has queued `count` events of `type` (the recorder put in every page counts them). */
async function tracked(page: Page, type: string, count = 1): Promise<void> {
  await page.waitForFunction(
    ([t, n]) =>
      ((window as unknown as { __e2eRecorded?: Array<{ type: string }> }).__e2eRecorded ?? []).filter(
        (e) => e.type === t,
      ).length >= n,
    [type, count] as [string, number],
  );
}

/** Opens `url` and waits for the script's page view. */
async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await tracked(page, 'page_view');
}

/** Distinct colours in a screenshot, counted by the browser itself (no image library needed). */
async function distinctColours(page: Page, png: Buffer): Promise<number> {
  const probe = await page.context().newPage();
  try {
    return await probe.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/png;base64,${b64}`;
      await img.decode();
      const c = document.createElement('canvas');
      c.width = img.width;
      c.height = img.height;
      const g = c.getContext('2d')!;
      g.drawImage(img, 0, 0);
      const d = g.getImageData(0, 0, c.width, c.height).data;
      const seen = new Set<number>();
      for (let i = 0; i < d.length; i += 4 * 97) seen.add((d[i]! << 16) | (d[i + 1]! << 8) | d[i + 2]!);
      return seen.size;
    }, png.toString('base64'));
  } finally {
    await probe.close();
  }
}

beforeAll(async () => {
  mkdirSync(OUT, { recursive: true });
  s = await openShopSite('pages');
  profile = mkdtempSync(join(tmpdir(), 'parcours-pages-'));
  // A desktop Chrome as far as the collector can tell (headless Chromium says HeadlessChrome, dropped as a bot).
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, `--user-agent=${VISITOR_UA}`],
    userAgent: VISITOR_UA,
    viewport: { width: 1280, height: 900 },
  });
  context.on('page', (p) => {
    p.on('pageerror', (e) => problems.push(`${p.url()}: ${e.message}`));
    // Event deliveries cut short by the next navigation are the script's business (and tested in the journeys).
    p.on(
      'requestfailed',
      (r) => r.url().includes('/v1/events') || problems.push(`${r.url()}: ${r.failure()?.errorText}`),
    );
  });
  // Something in the cart and one order, so the cart, checkout and account pages show their full content.
  const page = await context.newPage();
  await visit(page, `${s.shop}/products/beans`);
  await page.click('#add-to-cart');
  await tracked(page, 'add_to_cart');
  await page.evaluate(() =>
    localStorage.setItem(
      'shop-orders',
      JSON.stringify([
        {
          id: 'ord-demo-1',
          at: Date.now(),
          lines: [{ id: 'sku-mug', name: 'Stoneware mug', price: 12.5, qty: 2 }],
          value: 25,
        },
      ]),
    ),
  );
  await page.close();
});

afterAll(async () => {
  await context?.close().catch(() => {});
  if (profile) rmSync(profile, { recursive: true, force: true });
  await s?.stop();
});

describe('the shop renders', () => {
  for (const { path, name, visible } of PAGES) {
    test(`${name} (${path}) shows its content on desktop and on a phone`, async () => {
      const page = await context.newPage();
      try {
        for (const [device, size] of [
          ['desktop', { width: 1280, height: 900 }],
          ['phone', { width: 390, height: 844 }],
        ] as const) {
          await page.setViewportSize(size);
          await visit(page, `${s.shop}${path}`);
          await page.waitForLoadState('networkidle');
          for (const sel of visible)
            await expect.poll(() => page.locator(sel).first().isVisible(), { message: `${sel} visible` }).toBe(true);
          await expect(page.locator('header#site-header .brand').isVisible()).resolves.toBe(true);
          // Every image actually decoded (a broken src has naturalWidth 0).
          const broken = await page.$$eval('img', (imgs) =>
            imgs.filter((i) => !(i as HTMLImageElement).naturalWidth).map((i) => (i as HTMLImageElement).src),
          );
          expect(broken).toEqual([]);
          // Nothing wider than the screen (a phone would scroll sideways).
          expect(await page.evaluate(() => document.documentElement.scrollWidth <= innerWidth + 1)).toBe(true);
          const png = await page.screenshot({ path: join(OUT, `${name}-${device}.png`), fullPage: true });
          expect(await distinctColours(page, png)).toBeGreaterThan(8);
        }
      } finally {
        await page.close();
      }
    });
  }

  test('no page threw an error and no request failed', () => {
    expect(problems).toEqual([]);
  });
});
