// Four scripted visitors walk the multi-page shop in real Chromium; the reports must match what they did, exactly.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { Page } from 'playwright-core';
import { report } from '../harness/collector.ts';
import { follow, leaveSite, newVisitor, recordedEvents, tracked, typeInto, visit, type Visitor } from '../harness/browser.ts';
import { expectNoneStored, expectStoredExactlyOnce, openShopSite, sortBy, waitForStored, type ShopSite } from './support.ts';

// Distinctive values: if any of them shows up in the stored data, a field value leaked.
const CHECKOUT = {
  name: 'Zqname Secretperson',
  email: 'zq-secret-email-93@example.test',
  address: '93 Zqsecret Street',
  postcode: 'ZQ93-SECRET',
  city: 'Zqsecretville',
  card: '4111 9999 2222 7777',
  expiry: 'zq-exp-12/34',
  cvc: 'zq-cvc-719',
};
const TYPED = Object.values(CHECKOUT);

let s: ShopSite;
const visitors: Visitor[] = [];
const recorded: Array<Record<string, unknown>> = [];

async function person(): Promise<Visitor> {
  const v = await newVisitor();
  visitors.push(v);
  return v;
}

/** Reads what the visitor's pages queued, then closes their browser. */
async function done(v: Visitor): Promise<void> {
  recorded.push(...(await recordedEvents(v, s.shop)));
  await v.close();
}

async function fillCheckout(page: Page, fields: Partial<typeof CHECKOUT>): Promise<void> {
  for (const [name, value] of Object.entries(fields)) await typeInto(page, `#checkout [name="${name}"]`, value);
}

async function addToCart(page: Page, n = 1): Promise<void> {
  await page.click('#add-to-cart');
  await tracked(page, 'add_to_cart', n);
}

/** The previous session ends: the script starts a new one after 30 idle minutes, which the test does not wait for. */
async function thirtyMinutesLater(v: Visitor): Promise<void> {
  const page = await v.context.newPage();
  await page.goto(`${s.shop}/__e2e-no-tracking.txt`);
  // ids.ts keeps "visitor session last-activity-ms" under `pcs`: move the last activity 31 minutes back.
  await page.evaluate(() => {
    const [visitor, id] = (localStorage.getItem('pcs') ?? '').split(' ');
    localStorage.setItem('pcs', `${visitor} ${id} ${Date.now() - 31 * 60_000}`);
  });
  await page.close();
}

beforeAll(async () => {
  s = await openShopSite('shop');
});

afterAll(async () => {
  for (const v of visitors) await v.dispose();
  await s?.stop();
});

describe('scripted visitors on the shop', () => {
  test('a reader arrives on the blog article, scrolls and leaves the site', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await visit(page, `${s.shop}/blog/brewing-guide`);
    await page.mouse.wheel(0, 2000);
    await leaveSite(page);
    await done(v);
  });

  test('a comparer looks at two products, adds one, and abandons the checkout form at the email field', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await visit(page, `${s.shop}/`);
    await follow(page, 'main a[href="/products/"]');
    await follow(page, '#product-grid a[href="/products/grinder"]');
    await page.goBack();
    await page.waitForLoadState('load');
    await tracked(page, 'page_view');
    await follow(page, '#product-grid a[href="/products/kettle"]');
    await addToCart(page);
    await follow(page, 'a.cart-link');
    await follow(page, '#to-checkout');
    await fillCheckout(page, { name: CHECKOUT.name, email: CHECKOUT.email });
    await leaveSite(page);
    await done(v);
  });

  test('a buyer fills a cart with two products, adds one more unit in the cart, and purchases', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await visit(page, `${s.shop}/products/`);
    await follow(page, '#product-grid a[href="/products/mug"]');
    await addToCart(page);
    await follow(page, 'header a[href="/products/"]');
    await follow(page, '#product-grid a[href="/products/beans"]');
    await addToCart(page);
    await follow(page, 'a.cart-link');
    await page.click('tr[data-line="sku-beans"] button[aria-label="One more"]');
    await tracked(page, 'add_to_cart');
    await expect.poll(() => page.textContent('#cart-total')).toBe('€44.50');
    await follow(page, '#to-checkout');
    await fillCheckout(page, CHECKOUT);
    await follow(page, '#pay');
    await tracked(page, 'purchase');
    await expect.poll(() => page.textContent('#order')).toContain('€44.50');
    await leaveSite(page);
    await done(v);
  });

  test('a customer buys, comes back in a new session, buys again and shares a referral link', async () => {
    const v = await person();
    let page = await v.context.newPage();
    await visit(page, `${s.shop}/products/grinder`);
    await addToCart(page);
    await follow(page, 'a.cart-link');
    await follow(page, '#to-checkout');
    await fillCheckout(page, CHECKOUT);
    await follow(page, '#pay');
    await tracked(page, 'purchase');
    await leaveSite(page);
    // Back later, with the browser closed in between.
    recorded.push(...(await recordedEvents(v, s.shop)));
    await v.close();
    await v.open();
    await thirtyMinutesLater(v);
    page = await v.context.newPage();
    await visit(page, `${s.shop}/`);
    await follow(page, 'main a[href="/products/"]');
    await follow(page, '#product-grid a[href="/products/mug"]');
    await addToCart(page);
    await follow(page, 'a.cart-link');
    await follow(page, '#to-checkout');
    await fillCheckout(page, CHECKOUT);
    await follow(page, '#pay');
    await tracked(page, 'purchase');
    await follow(page, 'a[href="/account/"]');
    await expect.poll(() => page.locator('#orders li').count()).toBe(2);
    await page.click('#refer');
    await tracked(page, 'referral_share');
    await leaveSite(page);
    // Both visits' records: the first browser's were read before it closed; keep only this browser's new ones.
    const all = await recordedEvents(v, s.shop);
    const known = new Set(recorded.map((e) => e.id));
    recorded.push(...all.filter((e) => !known.has(e.id)));
    await v.close();
  });

  test('every event the pages queued is stored exactly once, and no typed value is stored anywhere', async () => {
    const stored = await waitForStored(
      s,
      recorded.map((e) => e.id as string),
    );
    expectStoredExactlyOnce(recorded, stored);
    expectNoneStored(stored, TYPED);
    // Four people, five visits.
    expect(new Set(stored.map((e) => e.visitor)).size).toBe(4);
    expect(new Set(stored.map((e) => e.session)).size).toBe(5);
  });

  test('the funnel counts who reached each stage', async () => {
    const r = await report<{ stages: Array<{ stage: string; visitors: number; rate_from_previous: number | null }> }>(s.collector, s.site, s.token, 'funnel');
    expect(r.stages.map(({ stage, visitors, rate_from_previous }) => ({ stage, visitors, rate_from_previous }))).toEqual([
      // reader and comparer start in awareness; the buyer and the customer land on product pages
      { stage: 'awareness', visitors: 2, rate_from_previous: null },
      // the comparer moves on from awareness, the reader does not: 1 of 2
      { stage: 'consideration', visitors: 3, rate_from_previous: 0.5 },
      // every one who compared put something in a cart
      { stage: 'decision', visitors: 3, rate_from_previous: 1 },
      // only the returning customer is back in retention (the buyer's last page is the confirmation, a decision page)
      { stage: 'retention', visitors: 1, rate_from_previous: 1 / 3 },
      { stage: 'advocacy', visitors: 1, rate_from_previous: 1 },
    ]);
  });

  test('the transitions are each stage change the visitors made, backward moves included', async () => {
    const r = await report<{ transitions: Array<{ from: string | null; to: string; count: number; visitors: number }> }>(s.collector, s.site, s.token, 'transitions');
    const got = sortBy(
      r.transitions.map(({ from, to, count, visitors }) => ({ from, to, count, visitors })),
      (t) => `${t.from}>${t.to}`,
    );
    expect(got).toEqual(
      sortBy(
        [
          { from: null, to: 'awareness', count: 2, visitors: 2 }, // reader, comparer
          { from: null, to: 'consideration', count: 2, visitors: 2 }, // buyer, customer
          { from: 'awareness', to: 'consideration', count: 1, visitors: 1 }, // comparer
          // comparer's add, buyer's two adds (mug, then beans after going back to the shop), customer's first add
          { from: 'consideration', to: 'decision', count: 4, visitors: 3 },
          { from: 'decision', to: 'consideration', count: 1, visitors: 1 }, // buyer back on a product page
          // customer: back on the home page as a customer (retention), and again on the account page
          { from: 'decision', to: 'retention', count: 2, visitors: 1 },
          { from: 'retention', to: 'decision', count: 1, visitors: 1 }, // customer's second add to cart
          { from: 'retention', to: 'advocacy', count: 1, visitors: 1 }, // the referral share
        ],
        (t) => `${t.from}>${t.to}`,
      ),
    );
  });

  test('the forms report shows the checkout abandoned once, at the email field', async () => {
    const r = await report<{ forms: Array<Record<string, unknown>> }>(s.collector, s.site, s.token, 'forms');
    expect(r.forms).toEqual([
      { form: 'checkout', path: '/checkout/', starts: 4, submits: 3, abandons: 1, abandon_rate: 0.25, last_fields: [{ field: 'email', abandons: 1 }] },
    ]);
  });

  test('carts: four started and checked out, three purchased, the comparer’s open until abandon_after passes', async () => {
    const open = await report<{ carts: Record<string, unknown> }>(s.collector, s.site, s.token, 'carts');
    expect(open.carts).toEqual({ started: 4, checked_out: 4, purchased: 3, open: 1, abandoned: 0, abandonment_rate: 0, abandoned_value: [] });
    // abandon_after is in minutes: 0.05 is three seconds, long past since the comparer left.
    const carts = () => report<{ carts: Record<string, unknown>; pages: unknown[] }>(s.collector, s.site, s.token, 'carts', { abandon_after: 0.05 });
    await expect.poll(async () => (await carts()).carts, { timeout: 15_000 }).toEqual({
      started: 4,
      checked_out: 4,
      purchased: 3,
      open: 0,
      abandoned: 1,
      abandonment_rate: 0.25,
      abandoned_value: [{ currency: 'EUR', value: 59 }], // the kettle
    });
    expect((await carts()).pages).toEqual([{ path: '/checkout/', abandons: 1 }]);
  });

  test('friction: the checkout page, where the comparer left form and cart, ranks first; every page is counted', async () => {
    const r = await report<{ pages: Array<Record<string, unknown>> }>(s.collector, s.site, s.token, 'friction', { abandon_after: 0.05 });
    const rows = r.pages.map(({ path, stage, views, visitors, exits, form_abandons, cart_abandons }) => ({ path, stage, views, visitors, exits, form_abandons, cart_abandons }));
    expect(rows[0]).toEqual({ path: '/checkout/', stage: 'decision', views: 4, visitors: 3, exits: 1, form_abandons: 1, cart_abandons: 1 });
    const row = (path: string, stage: string, views: number, visitors: number, exits = 0) => ({ path, stage, views, visitors, exits, form_abandons: 0, cart_abandons: 0 });
    expect(sortBy(rows, (p) => `${p?.path} ${p?.stage}`)).toEqual(
      sortBy(
        [
          rows[0],
          row('/blog/brewing-guide', 'awareness', 1, 1, 1), // the reader's exit
          row('/', 'awareness', 1, 1),
          row('/', 'retention', 1, 1), // the customer, back
          row('/products/', 'consideration', 4, 2), // the comparer went back to the list, the buyer came back to it
          row('/products/', 'retention', 1, 1),
          row('/products/grinder', 'consideration', 2, 2),
          row('/products/kettle', 'consideration', 1, 1),
          row('/products/mug', 'consideration', 1, 1),
          row('/products/mug', 'retention', 1, 1),
          row('/products/beans', 'consideration', 1, 1),
          row('/cart', 'decision', 4, 3),
          row('/checkout/confirmation', 'decision', 3, 2), // purchases are not exits
          row('/account/', 'retention', 1, 1), // the referral share came after it: not an exit either
        ],
        (p) => `${p?.path} ${p?.stage}`,
      ),
    );
  });

  test('KPIs: half of the visitors bought, and one of the two customers bought again', async () => {
    const r = await report<{ decision: { conversion_rate: number }; retention: { repurchase_rate: number } }>(s.collector, s.site, s.token, 'kpis');
    expect(r.decision.conversion_rate).toBe(0.5);
    expect(r.retention.repurchase_rate).toBe(0.5);
  });
});
