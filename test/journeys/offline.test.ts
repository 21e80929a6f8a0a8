// Losing nothing: a visitor offline who closes the tab and comes back, two tabs at once, twenty offline/online flaps.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { report } from '../harness/collector.ts';
import { follow, leaveSite, newVisitor, recordedEvents, tracked, visit, type Visitor } from '../harness/browser.ts';
import { expectStoredExactlyOnce, openShopSite, waitForStored, type ShopSite } from './support.ts';

let s: ShopSite;
const visitors: Visitor[] = [];
const recorded: Array<Record<string, unknown>> = [];

async function person(): Promise<Visitor> {
  const v = await newVisitor();
  visitors.push(v);
  return v;
}

async function collect(v: Visitor): Promise<void> {
  const known = new Set(recorded.map((e) => e.id));
  recorded.push(...(await recordedEvents(v, s.shop)).filter((e) => !known.has(e.id)));
}

const storedIds = async () => new Set((await waitForStored(s, [], 0)).map((e) => e.id as string));

beforeAll(async () => {
  s = await openShopSite('offline');
});

afterAll(async () => {
  for (const v of visitors) await v.dispose();
  await s?.stop();
});

describe('nothing is lost', () => {
  test('offline mid-journey, a visitor adds to cart and closes the tab; the events arrive when they come back online', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await visit(page, `${s.shop}/products/`);
    await follow(page, '#product-grid a[href="/products/mug"]');
    await v.context.setOffline(true);
    await page.click('#add-to-cart');
    await tracked(page, 'add_to_cart');
    await page.mouse.wheel(0, 600);
    await page.close(); // the tab closes (pagehide runs); the browser, with its other tab, stays
    // Back online only to read what the pages recorded: no page of the shop (no script) runs before the browser closes.
    await v.context.setOffline(false);
    await collect(v);
    await v.close();
    // Nothing of the offline part could have reached the collector.
    const offlineIds = recorded.filter((e) => e.type === 'add_to_cart').map((e) => e.id as string);
    expect(offlineIds).toHaveLength(1);
    expect((await storedIds()).has(offlineIds[0]!)).toBe(false);

    // Later, online again: the next page of the shop delivers what the closed tab left in the outbox.
    await v.open();
    const back = await v.context.newPage();
    await visit(back, `${s.shop}/`);
    await expect.poll(async () => (await storedIds()).has(offlineIds[0]!), { timeout: 20_000 }).toBe(true);
    await leaveSite(back);
    await collect(v);
    await v.close();
  });

  test('two tabs of one visitor at once share one session and one cart, and send each event once', async () => {
    const v = await person();
    const [a, b] = [await v.context.newPage(), await v.context.newPage()];
    // Tab B opened from tab A once A has loaded, as a person does (middle-click): both then run side by side.
    await visit(a, `${s.shop}/products/grinder`);
    await visit(b, `${s.shop}/products/kettle`);
    // One click after the other, as a person does (the shop's own cart is a plain localStorage read-modify-write).
    await a.click('#add-to-cart');
    await tracked(a, 'add_to_cart');
    await b.click('#add-to-cart');
    await tracked(b, 'add_to_cart');
    await follow(a, 'a.cart-link');
    await expect.poll(() => a.textContent('#cart-total')).toBe('€188.00');
    await Promise.all([leaveSite(a), leaveSite(b)]);
    await collect(v);
    await v.close();
  });

  test('twenty offline/online flaps while the visitor keeps adding to the cart', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await visit(page, `${s.shop}/products/beans`);
    for (let i = 0; i < 20; i++) {
      await v.context.setOffline(true);
      await page.click('#add-to-cart');
      await tracked(page, 'add_to_cart', 2 * i + 1);
      await page.waitForTimeout(50 + ((i * 37) % 250));
      await v.context.setOffline(false);
      await page.click('#add-to-cart');
      await tracked(page, 'add_to_cart', 2 * i + 2);
      await page.waitForTimeout(50 + ((i * 53) % 300));
    }
    await follow(page, 'a.cart-link');
    await expect.poll(() => page.textContent('#cart-total')).toBe('€640.00');
    await leaveSite(page);
    await collect(v);
    await v.close();
  });

  test('every event the pages queued is stored exactly once', async () => {
    const stored = await waitForStored(
      s,
      recorded.map((e) => e.id as string),
    );
    expectStoredExactlyOnce(recorded, stored);
    expect(recorded.filter((e) => e.type === 'add_to_cart')).toHaveLength(1 + 2 + 40);
    // Three people; the two tabs are one session, the offline visitor came back within 30 minutes: one session each.
    expect(new Set(stored.map((e) => e.visitor)).size).toBe(3);
    expect(new Set(stored.map((e) => e.session)).size).toBe(3);
  });

  test('the three carts are abandoned with everything they held: 12.50 + 188 + 640 euros', async () => {
    // abandon_after 0.05 minutes: three seconds after each cart's last activity, it counts as abandoned.
    const carts = async () => (await report<{ carts: Record<string, unknown> }>(s.collector, s.site, s.token, 'carts', { abandon_after: 0.05 })).carts;
    await expect.poll(carts, { timeout: 15_000 }).toEqual({
      started: 3,
      checked_out: 0,
      purchased: 0,
      open: 0,
      abandoned: 3,
      abandonment_rate: 1,
      abandoned_value: [{ currency: 'EUR', value: 840.5 }],
    });
  });

  test('the funnel: all three compared and decided; the visitor who came back to the home page entered awareness', async () => {
    const r = await report<{ stages: Array<{ stage: string; visitors: number }> }>(s.collector, s.site, s.token, 'funnel');
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
