// The single-page shop in each engine: history routes are page views, a route change abandons a started form, one document does it all.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { report } from '../harness/collector.ts';
import {
  ENGINES,
  leaveSite,
  newVisitor,
  pageErrors,
  recordedEvents,
  tracked,
  visit,
  type Tab,
  type Visitor,
} from '../harness/browser.ts';
import {
  expectNoneStored,
  expectRecoveryConsistent,
  expectStoredExactlyOnce,
  openShopSite,
  sortBy,
  textOf,
  waitForStored,
  type ShopSite,
} from './support.ts';

const TYPED = {
  name: 'Zqspa Secretname',
  email: 'zq-spa-secret-71@example.test',
  address: '71 Zqspa Lane',
  postcode: 'ZQSPA-71',
  city: 'Zqspaville',
  card: '5500 1234 8888 9999',
  expiry: 'zq-spa-exp',
  cvc: 'zq-spa-cvc',
};

/** Waits until the tab is at `url` (a route of the app: no load to wait for). */
const atUrl = (tab: Tab, url: string) => tab.waitFor((u) => location.href === u, url);

for (const engine of ENGINES) {
  describe(`${engine}: the SPA variant`, () => {
    let s: ShopSite;
    let v: Visitor;
    let stored: Array<Record<string, unknown>> = [];
    let recorded: Array<Record<string, unknown>> = [];

    beforeAll(async () => {
      s = await openShopSite('spa', { spa: true });
      v = await newVisitor(engine);
    });

    afterAll(async () => {
      await v?.dispose();
      await s?.stop();
    });

    test('a visitor routes through the app, abandons the checkout by navigating away, then comes back and buys', async () => {
      const tab = await v.newTab();
      let views = 1;
      /** Clicks a link the router intercepts, and waits for the script to count the route as a page view. */
      const route = async (selector: string, path: string) => {
        await tab.click(selector);
        await atUrl(tab, `${s.shop}${path}`);
        await tracked(tab, 'page_view', ++views);
      };
      const fill = async (fields: Partial<typeof TYPED>) => {
        for (const [name, value] of Object.entries(fields)) await tab.type(`#checkout [name="${name}"]`, value);
      };

      await visit(tab, `${s.shop}/`);
      await route('main a[href="/products/"]', '/products/');
      await route('main a[href="/products/kettle"]', '/products/kettle');
      await tab.click('#add-to-cart');
      await tracked(tab, 'add_to_cart', 1);
      await route('a.cart-link', '/cart');
      await route('#to-checkout', '/checkout/');
      await fill({ name: TYPED.name, email: TYPED.email });
      // Changes their mind: back to the shop without submitting.
      await route('header a[href="/products/"]', '/products/');
      await tracked(tab, 'form_abandon');
      await route('main a[href="/products/mug"]', '/products/mug');
      await tab.click('#add-to-cart');
      await tracked(tab, 'add_to_cart', 2);
      await route('a.cart-link', '/cart');
      await expect.poll(() => textOf(tab, '#cart-root .total')).toContain('€71.50');
      await route('#to-checkout', '/checkout/');
      await fill(TYPED);
      await tab.click('#pay');
      await atUrl(tab, `${s.shop}/checkout/confirmation`);
      await tracked(tab, 'purchase');
      await leaveSite(tab);

      recorded = await recordedEvents(v, s.shop);
      // One document did all of it: every route was a page view of its own, and every route left a page_leave.
      expect(recorded.filter((e) => e.type === 'page_view').map((e) => new URL(String(e.url)).pathname)).toEqual([
        '/',
        '/products/',
        '/products/kettle',
        '/cart',
        '/checkout/',
        '/products/',
        '/products/mug',
        '/cart',
        '/checkout/',
        '/checkout/confirmation',
      ]);
      expect(recorded.filter((e) => e.type === 'page_leave')).toHaveLength(10);
      expect(await pageErrors(v, s.shop), 'errors thrown into the page').toEqual([]);
    });

    test('every event is stored exactly once and no typed value is stored', async () => {
      stored = await waitForStored(
        s,
        recorded.map((e) => e.id as string),
      );
      expectStoredExactlyOnce(recorded, stored);
      expectNoneStored(stored, Object.values(TYPED));
    });

    test('transitions follow the routes, including the move back from checkout to the product list', async () => {
      const r = await report<{ transitions: Array<{ from: string | null; to: string; count: number }> }>(
        s.collector,
        s.site,
        s.token,
        'transitions',
      );
      expect(
        sortBy(
          r.transitions.map(({ from, to, count }) => ({ from, to, count })),
          (t) => `${t.from}>${t.to}`,
        ),
      ).toEqual(
        sortBy(
          [
            { from: null, to: 'awareness', count: 1 },
            { from: 'awareness', to: 'consideration', count: 1 },
            { from: 'consideration', to: 'decision', count: 2 }, // the kettle, then the mug
            { from: 'decision', to: 'consideration', count: 1 }, // checkout left for the product list
          ],
          (t) => `${t.from}>${t.to}`,
        ),
      );
    });

    test('the first checkout form counts as abandoned at the email field when the route changed', async () => {
      const r = await report<{ forms: Array<Record<string, unknown>> }>(s.collector, s.site, s.token, 'forms');
      expect(r.forms).toHaveLength(1);
      expect(r.forms[0]).toMatchObject({
        form: 'checkout',
        path: '/checkout/',
        starts: 2,
        submits: 1,
        abandons: 1,
        abandon_rate: 0.5,
        last_fields: [{ field: 'email', abandons: 1 }],
      });
      // The full tag describes each field touched (forms with friction): the one abandoned at carries the abandon.
      const fields = r.forms[0]!.fields as Array<{ field: string; abandons: number }>;
      expect(fields.find((f) => f.field === 'email')).toMatchObject({ abandons: 1 });
    });

    test('one cart, checked out and purchased with both items: nothing abandoned', async () => {
      const r = await report<{ carts: Record<string, unknown> }>(s.collector, s.site, s.token, 'carts', {
        abandon_after: 0.05,
      });
      expect(r.carts).toMatchObject({
        started: 1,
        checked_out: 1,
        purchased: 1,
        open: 0,
        abandoned: 0,
        abandonment_rate: 0,
        abandoned_value: [],
      });
      // Three seconds is shorter than a person takes over a checkout form: whether the cart counts as recovered
      // depends on how fast the scripted visitor typed. Whichever it is, the numbers agree with each other.
      expectRecoveryConsistent(r.carts);
      const purchase = stored.find((e) => e.type === 'purchase');
      expect(purchase?.value).toBe(71.5);
    });
  });
}
