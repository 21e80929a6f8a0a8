// Losing nothing, in each engine: a visitor offline who closes the tab and comes back, two tabs at once, twenty offline/online flaps.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { report } from '../harness/collector.ts';
import {
  ENGINES,
  follow,
  leaveSite,
  newVisitor,
  pageErrors,
  recordedEvents,
  tracked,
  visit,
  type Visitor,
} from '../harness/browser.ts';
import {
  expectStoredExactlyOnce,
  offlineAtProxy,
  openShopSite,
  setOffline,
  sleep,
  textOf,
  waitForStored,
  type ShopSite,
} from './support.ts';

for (const engine of ENGINES) {
  // Offline is the browser's own switch in Chromium; in Firefox, whose switch is per tab, and in WebKit, whose driver has
  // none, the shop's fault proxy drops every event request too (see `setOffline` in support.ts).
  describe(`${engine}: nothing is lost`, () => {
    let s: ShopSite;
    const visitors: Visitor[] = [];
    const recorded: Array<Record<string, unknown>> = [];
    /** Every error thrown in each visitor's pages so far (the records keep them all: the last read has every one). */
    const errors = new Map<Visitor, string[]>();

    async function person(): Promise<Visitor> {
      const v = await newVisitor(engine);
      visitors.push(v);
      return v;
    }

    /** Adds the visitor's new records (and errors thrown in their pages) to the run's. */
    async function collect(v: Visitor): Promise<void> {
      const known = new Set(recorded.map((e) => e.id));
      recorded.push(...(await recordedEvents(v, s.shop)).filter((e) => !known.has(e.id)));
      errors.set(v, await pageErrors(v, s.shop));
    }

    const storedIds = async () => new Set((await waitForStored(s, [], 0)).map((e) => e.id as string));

    beforeAll(async () => {
      s = await openShopSite('offline', { proxy: true });
    });

    afterAll(async () => {
      for (const v of visitors) await v.dispose();
      await s?.stop();
    });

    test('offline mid-journey, a visitor adds to cart and closes the tab; the events arrive when they come back online', async () => {
      const v = await person();
      const tab = await v.newTab();
      await visit(tab, `${s.shop}/products/`);
      await follow(tab, '#product-grid a[href="/products/mug"]');
      await setOffline(v, s, true);
      await tab.click('#add-to-cart');
      await tracked(tab, 'add_to_cart');
      await tab.evaluate(() => scrollBy(0, 600));
      // The collector stays unreachable a while longer in every engine (the proxy drops event requests): a closing
      // tab's keepalive fetch that failed offline falls back to a beacon, which may leave a moment later, once the
      // network is back; the test is about the outbox delivering on the next visit, so that late send must fail too.
      s.proxy!.fault('drop');
      await tab.close(); // the tab closes (pagehide runs); the browser stays
      if (offlineAtProxy(v)) {
        // The proxy is the network that is down here: the closing tab's send reaches it on its own time (the machine
        // may be busy), and must meet it still down, as it would with Chromium's switch.
        const dropped = () => s.proxy!.requests.filter((r) => r.outcome === 'drop').map((r) => r.body);
        await expect.poll(() => dropped().some((b) => b.includes('"add_to_cart"')), { timeout: 10_000 }).toBe(true);
      }
      // Back online only to read what the pages recorded: no page of the shop (no script) runs before the browser closes.
      await v.browser.setOffline?.(false); // the browser is back online; the proxy still drops event requests
      await sleep(2_000);
      await collect(v);
      s.proxy!.clear();
      const offlineIds = recorded.filter((e) => e.type === 'add_to_cart').map((e) => e.id as string);
      expect(offlineIds).toHaveLength(1);
      // Nothing of the offline part could have reached the collector.
      expect((await storedIds()).has(offlineIds[0]!)).toBe(false);

      // Later, online again, with the browser closed in between (WebKit: every tab closed, the session kept; see
      // `reopen`): the next page of the shop delivers what the closed tab left in the outbox.
      await v.reopen();
      const back = await v.newTab();
      await visit(back, `${s.shop}/`);
      await expect.poll(async () => (await storedIds()).has(offlineIds[0]!), { timeout: 20_000 }).toBe(true);
      await leaveSite(back);
      await collect(v);
      await v.close();
    });

    test('two tabs of one visitor at once share one session and one cart, and send each event once', async () => {
      const v = await person();
      const [a, b] = [await v.newTab(), await v.newTab()];
      // Tab B opened from tab A once A has loaded, as a person does (middle-click): both then run side by side.
      await visit(a, `${s.shop}/products/grinder`);
      await visit(b, `${s.shop}/products/kettle`);
      // One click after the other, as a person does (the shop's own cart is a plain localStorage read-modify-write).
      await a.click('#add-to-cart');
      await tracked(a, 'add_to_cart');
      await b.click('#add-to-cart');
      await tracked(b, 'add_to_cart');
      await follow(a, 'a.cart-link');
      await expect.poll(() => textOf(a, '#cart-total')).toBe('€188.00');
      await Promise.all([leaveSite(a), leaveSite(b)]);
      await collect(v);
      await v.close();
    });

    test('twenty offline/online flaps while the visitor keeps adding to the cart', async () => {
      const v = await person();
      const tab = await v.newTab();
      await visit(tab, `${s.shop}/products/beans`);
      for (let i = 0; i < 20; i++) {
        await setOffline(v, s, true);
        await tab.click('#add-to-cart');
        await tracked(tab, 'add_to_cart', 2 * i + 1);
        await sleep(50 + ((i * 37) % 250));
        await setOffline(v, s, false);
        await tab.click('#add-to-cart');
        await tracked(tab, 'add_to_cart', 2 * i + 2);
        await sleep(50 + ((i * 53) % 300));
      }
      await follow(tab, 'a.cart-link');
      await expect.poll(() => textOf(tab, '#cart-total')).toBe('€640.00');
      await leaveSite(tab);
      await collect(v);
      await v.close();
    });

    test('every event the pages queued is stored exactly once, and no page threw an error', async () => {
      const stored = await waitForStored(
        s,
        recorded.map((e) => e.id as string),
      );
      expectStoredExactlyOnce(recorded, stored);
      expect(recorded.filter((e) => e.type === 'add_to_cart')).toHaveLength(1 + 2 + 40);
      // Three people; the two tabs are one session, the offline visitor came back within 30 minutes: one session each.
      expect(new Set(stored.map((e) => e.visitor)).size).toBe(3);
      expect(new Set(stored.map((e) => e.session)).size).toBe(3);
      expect([...errors.values()].flat(), 'errors thrown into the pages').toEqual([]);
    });

    test('the three carts are abandoned with everything they held: 12.50 + 188 + 640 euros', async () => {
      // abandon_after 0.05 minutes: three seconds after each cart's last activity, it counts as abandoned.
      const carts = async () =>
        (
          await report<{ carts: Record<string, unknown> }>(s.collector, s.site, s.token, 'carts', {
            abandon_after: 0.05,
          })
        ).carts;
      await expect.poll(carts, { timeout: 15_000 }).toEqual({
        started: 3,
        checked_out: 0,
        purchased: 0,
        open: 0,
        abandoned: 3,
        abandonment_rate: 1,
        abandoned_value: [{ currency: 'EUR', value: 840.5 }],
        recovered: 0,
        recovered_value: [],
        recovery_rate: 0,
      });
    });

    test('the funnel: all three compared and decided; the visitor who came back to the home page entered awareness', async () => {
      const r = await report<{ stages: Array<{ stage: string; visitors: number }> }>(
        s.collector,
        s.site,
        s.token,
        'funnel',
      );
      expect(r.stages.map(({ stage, visitors }) => ({ stage, visitors }))).toEqual([
        // The offline visitor's return to the home page is a backward move into awareness: they entered it.
        { stage: 'awareness', visitors: 1 },
        { stage: 'consideration', visitors: 3 },
        { stage: 'decision', visitors: 3 },
        { stage: 'retention', visitors: 0 },
        { stage: 'advocacy', visitors: 0 },
      ]);
    });
  });
}
