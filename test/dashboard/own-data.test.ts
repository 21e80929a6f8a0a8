// The journey map for a site set up its own way: three hyphenated stages without a `decision`, French page paths, and a
// site with no data yet. What a person sees must read well (no NaN, undefined, or percent-encoded path) and equal the API.
import { generateJourneys, postJourneys } from '@parcours/traffic';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { registerSite, sharedCollector, uniqueSiteId } from '../harness/collector.ts';
import { num, openBrowser, readTable, signIn } from './browser.ts';

type Json = Record<string, any>;

const { url, adminToken } = sharedCollector();
const ORIGIN = 'https://shop.example';
const STAGES = ['look', 'choose-it', 'buy'];
const RENAME: Record<string, string> = { awareness: 'look', consideration: 'choose-it', decision: 'buy' };
let site = '';
let token = '';
let browser: Awaited<ReturnType<typeof openBrowser>>;
/** The query of the page's latest funnel request: the API is asked the very same question. */
let lastQuery = '';
const problems: string[] = [];

/** Words that mean a figure went missing on its way to the page. */
const BROKEN = /\b(NaN|undefined|null|Infinity)\b|%[0-9A-F]{2}/;

/** The page's text as a person reads it, table cells apart (textContent would run `62.5%` into the next cell's `58`). */
function shownText(page: Page): Promise<string> {
  // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, cells apart, is what a person reads
  return page.evaluate(() => document.body.innerText);
}

async function api(report: string, query = lastQuery): Promise<Json> {
  const res = await fetch(`${url}/v1/sites/${site}/${report}?${query}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  expect(res.status).toBe(200);
  return (await res.json()) as Json;
}

beforeAll(async () => {
  site = uniqueSiteId('dash-own');
  token = await registerSite(url, adminToken, { id: site, origins: [ORIGIN], stages: STAGES });
  // The shop's journeys with the site's own stage names, its product pages under /produits/café-… (sent as browsers
  // send them: percent-encoded).
  const journeys = generateJourneys({ seed: 31, visitors: 30, fromDaysAgo: 5, toDaysAgo: 0.5 }).map((j) => ({
    ...j,
    events: j.events
      .filter((e) => RENAME[e.stage])
      .map((e) => ({
        ...e,
        stage: RENAME[e.stage]!,
        url: new URL(e.url.replace('/products/', '/produits/café-')).href,
      })),
  }));
  const totals = await postJourneys({ url, site, origin: ORIGIN, journeys });
  expect(totals.accepted + totals.duplicates).toBe(totals.events);
  browser = await openBrowser();
  browser.page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  browser.page.on('pageerror', (e) => problems.push(e.message));
  browser.page.on('request', (r) => {
    const m = new RegExp(`/v1/sites/${site}/funnel\\?(.*)$`).exec(r.url());
    if (m?.[1]) lastQuery = m[1];
  });
});

afterAll(async () => {
  await browser?.close();
});

describe('a site with three stages of its own and French paths', () => {
  test('reads without a missing figure, stages in its order, numbers equal to the API', async () => {
    const { page } = browser;
    await page.goto(`${url}/`);
    expect(await signIn(page, site, token)).toBe('ready');
    const text = await shownText(page);
    expect(text.match(BROKEN)?.[0] ?? null).toBeNull();
    expect(problems).toEqual([]);

    const funnel = await api('funnel');
    const rows = await readTable(page, 'funnel');
    expect(funnel.stages.map((s: Json) => s.stage)).toEqual(STAGES);
    expect(rows.map((r) => num(r[1]!))).toEqual(funnel.stages.map((s: Json) => s.visitors));
    expect(funnel.stages[2].visitors).toBeGreaterThan(0);
  });

  test('pages read as the site names them, in the API order', async () => {
    const { page } = browser;
    const { pages } = await api('friction');
    const shown = (await readTable(page, 'friction')).map((r) => r[1]);
    // The API keeps the encoded path (what filters and alerts name); the page shows it decoded.
    expect(pages.some((p: Json) => p.path.startsWith('/produits/caf%C3%A9-'))).toBe(true);
    expect(shown).toEqual(pages.map((p: Json) => decodeURI(p.path)));
    expect(shown.some((p) => p?.startsWith('/produits/café-'))).toBe(true);

    // The landing pages tab shows them decoded too, and a click filters on the value the API gave.
    await page.check('#sources-switch input[value="landing"]');
    await page.waitForSelector('table[data-table="breakdown-landing"]');
    const { rows } = await api('breakdown', `${lastQuery}&by=landing`);
    const landing = await readTable(page, 'breakdown-landing');
    expect(landing.map((r) => r[0])).toEqual(rows.map((r: Json) => decodeURI(r.value)));
    const product = rows.find((r: Json) => r.value.startsWith('/produits/'));
    expect(product).toBeDefined();
    await page.click(`table[data-table="breakdown-landing"] [data-value="${product.value}"]`);
    await page.waitForFunction(() => document.body.dataset.state === 'ready' && location.hash.includes('landing='));
    const filtered = await api('funnel');
    expect(lastQuery).toContain(`landing=${encodeURIComponent(product.value)}`);
    expect((await readTable(page, 'funnel')).map((r) => num(r[1]!))).toEqual(
      filtered.stages.map((s: Json) => s.visitors),
    );
    expect((await shownText(page)).match(BROKEN)?.[0] ?? null).toBeNull();
  });
});

describe('a site of ten stages whose names start alike', () => {
  test('labels each stage of the flow differently, however narrow its column', async () => {
    const ten = uniqueSiteId('dash-ten');
    const names = [
      'landing',
      'reading',
      'comparing',
      'shortlist',
      'pricing',
      'checkout',
      'paid',
      'onboarding',
      'loyalty',
      'referral',
    ];
    const stages = names.map((n, i) => `step-${String(i + 1).padStart(2, '0')}-${n}`);
    const tenToken = await registerSite(url, adminToken, { id: ten, origins: [ORIGIN], stages });
    // Each of the shop's five stages split over two of the ten, by the page.
    const split: Record<string, number> = { awareness: 0, consideration: 2, decision: 4, retention: 6, advocacy: 8 };
    const journeys = generateJourneys({ seed: 5, visitors: 40, fromDaysAgo: 5, toDaysAgo: 0.5 }).map((j) => ({
      ...j,
      events: j.events.map((e) => ({ ...e, stage: stages[split[e.stage]! + (new URL(e.url).pathname.length % 2)]! })),
    }));
    const totals = await postJourneys({ url, site: ten, origin: ORIGIN, journeys });
    expect(totals.accepted + totals.duplicates).toBe(totals.events);
    const b = await openBrowser();
    try {
      await b.page.goto(`${url}/`);
      expect(await signIn(b.page, ten, tenToken)).toBe('ready');
      const labels = await b.page.$$eval('#flow .node text', (ts) => ts.map((t) => t.textContent ?? ''));
      expect(labels.length).toBeGreaterThanOrEqual(8);
      expect(new Set(labels).size).toBe(labels.length);
      expect((await shownText(b.page)).match(BROKEN)?.[0] ?? null).toBeNull();
    } finally {
      await b.close();
    }
  });
});

describe('a site of its own stages with no data yet', () => {
  test('says so, with nothing missing on the page', async () => {
    const empty = uniqueSiteId('dash-own-empty');
    const emptyToken = await registerSite(url, adminToken, { id: empty, origins: [ORIGIN], stages: STAGES });
    const b = await openBrowser();
    try {
      await b.page.goto(`${url}/`);
      expect(await signIn(b.page, empty, emptyToken)).toBe('empty');
      expect(await b.page.textContent('#problem')).toContain('No data yet for this range');
      expect((await shownText(b.page)).match(BROKEN)?.[0] ?? null).toBeNull();
    } finally {
      await b.close();
    }
  });
});
