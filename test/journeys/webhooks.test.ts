// A visitor leaves a cart in Chromium: the schedule sends one signed cart.abandoned to a webhook inbox; they come back
// and buy: one cart.recovered. The collector runs under wrangler dev with its local Queues, the inbox is the one of `pnpm dev`.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { ensureWebhook, freePort } from '../../scripts/collector-process.mjs';
import { type RunningInbox, startWebhookInbox } from '../../scripts/webhook-inbox.mjs';
import { ENGINES, leaveSite, newVisitor, type Tab, tracked, visit, type Visitor } from '../harness/browser.ts';
import { sharedCollector } from '../harness/collector.ts';
import { openShopSite, sleep, type ShopSite, waitForStored } from './support.ts';

/** The first event of `type` the page recorded (the harness's recorder). */
async function recorded(tab: Tab, type: string): Promise<{ id: string; visitor: string }> {
  const found = await tab.evaluate(
    (t) =>
      (
        (window as unknown as { __e2eRecorded?: Array<{ type: string; id: string; visitor: string }> }).__e2eRecorded ??
        []
      ).find((e) => e.type === t),
    type,
  );
  if (!found) throw new Error(`no ${type} recorded`);
  return found;
}

/** abandon_after for this site: 0.05 minutes, three seconds. */
const ABANDON_AFTER_MS = 3000;

describe.runIf(ENGINES.includes('chromium'))('chromium: abandoned cart and recovery reach a webhook', () => {
  let s: ShopSite;
  let inbox: RunningInbox;
  let secret = '';
  let v: Visitor;
  const admin = () => ({ authorization: `Bearer ${sharedCollector().adminToken}`, 'content-type': 'application/json' });
  const ofSite = () => inbox.received.filter((d) => d.data?.visitor === visitor);
  let visitor = '';

  beforeAll(async () => {
    s = await openShopSite('webhooks');
    inbox = await startWebhookInbox({ port: await freePort(), secrets: () => [secret], log: () => {} });
    ({ secret } = await ensureWebhook(s.collector, sharedCollector().adminToken, s.site, `${inbox.url}/hook`));
    const patched = await fetch(`${s.collector}/v1/admin/sites/${s.site}`, {
      method: 'PATCH',
      headers: admin(),
      body: JSON.stringify({ abandon_after: ABANDON_AFTER_MS / 60_000 }),
    });
    expect(patched.status).toBe(200);
    v = await newVisitor('chromium');
  });

  afterAll(async () => {
    await v?.dispose();
    await inbox?.stop();
    await s?.stop();
  });

  /** Runs the schedule as `GET /__scheduled` does (wrangler dev --test-scheduled), then waits for the queue to deliver. */
  async function runSchedule(until: () => boolean) {
    const res = await fetch(`${s.collector}/__scheduled`);
    expect(res.status).toBe(200);
    await expect.poll(until, { timeout: 20_000, interval: 200 }).toBe(true);
  }

  test('a cart left for abandon_after reaches the inbox once, signed, with its items, value and customer', async () => {
    const tab = await v.newTab();
    await visit(tab, `${s.shop}/products/mug`);
    await tab.evaluate(() =>
      (window as unknown as { parcours(...a: unknown[]): void }).parcours('identify', 'c_e2e_7'),
    );
    await tab.click('#add-to-cart');
    await tracked(tab, 'add_to_cart');
    const add = await recorded(tab, 'add_to_cart');
    visitor = add.visitor;
    await leaveSite(tab);
    await waitForStored(s, [add.id]);
    await sleep(ABANDON_AFTER_MS + 500);

    await runSchedule(() => ofSite().length >= 1);
    // A second run and some time for a stray second delivery: there must be none.
    await fetch(`${s.collector}/__scheduled`);
    await sleep(2000);
    const got = ofSite();
    expect(got.map((d) => [d.type, d.verified])).toEqual([['cart.abandoned', true]]);
    expect(got[0]!.data).toMatchObject({
      cart_id: add.id,
      customer: 'c_e2e_7',
      items: [{ item_id: 'sku-mug', item_name: 'Stoneware mug', price: 12.5, quantity: 1 }],
      value: [{ currency: 'EUR', value: 12.5 }],
      exit_page: '/products/mug',
      channel: 'direct',
      device: 'desktop',
    });
  });

  test('the visitor comes back and buys: one cart.recovered', async () => {
    const tab = await v.newTab();
    await visit(tab, `${s.shop}/cart`);
    await tab.click('#to-checkout');
    await tracked(tab, 'page_view');
    for (const [name, value] of Object.entries({
      name: 'A Person',
      email: 'someone@example.test',
      address: '1 Street',
      postcode: '12345',
      city: 'Town',
      card: '4242 4242 4242 4242',
      expiry: '12/34',
      cvc: '123',
    }))
      await tab.type(`#checkout [name="${name}"]`, value);
    await tab.click('#pay');
    await tracked(tab, 'purchase');
    const purchase = await recorded(tab, 'purchase');
    await leaveSite(tab);
    // The schedule decides from what is stored: the purchase must be there first.
    await waitForStored(s, [purchase.id]);

    await runSchedule(() => ofSite().some((d) => d.type === 'cart.recovered'));
    await fetch(`${s.collector}/__scheduled`);
    await sleep(2000);
    const got = ofSite();
    expect(got.map((d) => [d.type, d.verified])).toEqual([
      ['cart.abandoned', true],
      ['cart.recovered', true],
    ]);
    expect(got[1]!.data).toMatchObject({
      cart_id: got[0]!.data.cart_id,
      customer: 'c_e2e_7',
      value: [{ currency: 'EUR', value: 12.5 }],
    });
    expect(got[1]!.data.recovered_after_ms).toBeGreaterThan(0);
  });
});
