// The built script in Chromium, Firefox and WebKit against the real collector (through the fault proxy): nothing lost,
// nothing stored twice, nothing thrown into the page.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ENGINES,
  leaveSite,
  newVisitor,
  pageErrors,
  recordedEvents,
  type Engine,
  type Tab,
  type Visitor,
} from '../harness/browser.ts';
import { expectDeliveredOnce, flushed, load, openSdkSite, track, type SdkSite } from './support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

for (const engine of ENGINES) describe(`${engine}: the built script delivers every event once`, () => suite(engine));

function suite(engine: Engine) {
  let s: SdkSite;
  const visitors: Visitor[] = [];
  async function person(): Promise<Visitor> {
    const v = await newVisitor(engine);
    visitors.push(v);
    return v;
  }
  /** Reads what the visitor's pages queued, checks none of them saw an error, and closes the browser. */
  async function done(v: Visitor): Promise<Array<Record<string, unknown>>> {
    const recorded = await recordedEvents(v, s.origin);
    expect(await pageErrors(v, s.origin), 'errors in the page').toEqual([]);
    await v.close();
    return recorded;
  }

  beforeAll(async () => {
    s = await openSdkSite('sdk');
  });
  afterAll(async () => {
    for (const v of visitors) await v.dispose();
    await s?.stop();
  });

  // WebKitWebDriver has no offline switch: the next test's lost requests cover a lost network there.
  test.skipIf(engine === 'webkit')(
    'offline, events wait in the outbox; back online, they are sent at once',
    async () => {
      const v = await person();
      const offline = v.browser.setOffline!;
      const tab = await v.newTab();
      await load(tab, s);
      await flushed(tab);
      const before = s.proxy.requests.length;
      await offline(true);
      for (let i = 0; i < 5; i++) await track(tab, 'offline_click', { i });
      await sleep(2500); // past the send delay and a first retry
      expect(s.proxy.requests.length, 'nothing got out while offline').toBe(before);
      await offline(false);
      // The online event sends at once: well before the backoff would have.
      await expect.poll(() => s.proxy.requests.length, { timeout: 1_500, interval: 100 }).toBeGreaterThan(before);
      await flushed(tab);
      await leaveSite(tab);
      const recorded = await done(v);
      expect(recorded.filter((e) => e.type === 'offline_click')).toHaveLength(5);
      await expectDeliveredOnce(s, recorded);
    },
  );

  test('requests lost on the way keep the events; once requests get through, they are delivered', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s);
    await flushed(tab);
    s.proxy.fault('drop');
    const at = s.proxy.requests.length;
    for (let i = 0; i < 5; i++) await track(tab, 'lost_click', { i });
    await expect
      .poll(() => s.proxy.requests.slice(at).some((r) => r.outcome === 'drop'), { timeout: 10_000 })
      .toBe(true);
    s.proxy.clear();
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await done(v);
    expect(recorded.filter((e) => e.type === 'lost_click')).toHaveLength(5);
    await expectDeliveredOnce(s, recorded);
  });

  test('a 5xx keeps the events and a later try delivers them; a 429 is waited out as its Retry-After says', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s);
    await flushed(tab);
    s.proxy.fault({ status: 503 }, 2);
    const start = s.proxy.requests.length;
    await track(tab, 'during_outage');
    await expect
      .poll(() => s.proxy.requests.slice(start).filter((r) => r.outcome === 200).length, { timeout: 20_000 })
      .toBe(1);
    const tries = s.proxy.requests.slice(start);
    expect(tries.map((r) => r.outcome)).toEqual([503, 503, 200]);
    // The same event in every try: kept, not lost, not duplicated.
    expect(
      new Set(
        tries.map((r) =>
          JSON.parse(r.body)
            .events.map((e: { id: string }) => e.id)
            .join(),
        ),
      ),
    ).toHaveProperty('size', 1);

    s.proxy.fault({ status: 429, retryAfter: '3' }, 1);
    const at = s.proxy.requests.length;
    await track(tab, 'rate_limited');
    await expect
      .poll(() => s.proxy.requests.slice(at).filter((r) => r.outcome === 200).length, { timeout: 20_000 })
      .toBe(1);
    const [limited, next] = s.proxy.requests.slice(at);
    expect(limited!.outcome).toBe(429);
    expect(next!.at - limited!.at).toBeGreaterThanOrEqual(2900);
    await leaveSite(tab);
    await expectDeliveredOnce(s, await done(v));
  });

  test('a tab closed while nothing gets through keeps its events; the next visit sends them', async () => {
    const v = await person();
    let tab = await v.newTab();
    await load(tab, s);
    s.proxy.fault('drop'); // every event request, the closing tab's included, is lost on the way
    for (let i = 0; i < 3; i++) await track(tab, 'before_close', { i });
    await sleep(500);
    await tab.close();
    // The closing tab's send reaches the proxy on its own time (the machine may be busy); closing the browser
    // before it left would cancel it, which a real tab close does not do.
    await expect.poll(() => s.proxy.requests.some((r) => r.outcome === 'drop'), { timeout: 10_000 }).toBe(true);
    await v.reopen();
    s.proxy.clear();
    tab = await v.newTab();
    await load(tab, s);
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await done(v);
    expect(recorded.filter((e) => e.type === 'before_close')).toHaveLength(3);
    // Firefox may lose the recorder's last write of the closed tab: its page_leave, stored, may go unrecorded.
    await expectDeliveredOnce(s, recorded, [], engine === 'firefox' ? 1 : 0);
  });

  test('a backlog of large events leaves in full batches one after another, every one acknowledged', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s);
    await flushed(tab);
    const at = s.proxy.requests.length;
    // 100 events of 2 KB: five batches near the 48 KB limit, more than the 64 KiB a page may have in keepalive flight.
    await tab.evaluate(() => {
      for (let i = 0; i < 100; i++)
        (window as unknown as { parcours(...a: unknown[]): void }).parcours('track', 'large', {
          i,
          pad: 'x'.repeat(2000),
        });
    });
    await flushed(tab);
    expect(s.proxy.requests.slice(at).filter((r) => r.outcome === 200).length).toBeGreaterThanOrEqual(4);
    await leaveSite(tab);
    const recorded = await done(v);
    expect(recorded.filter((e) => e.type === 'large')).toHaveLength(100);
    await expectDeliveredOnce(s, recorded);
  });

  test('a tab closed while a large batch is in flight still gets its page_leave out', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s);
    await flushed(tab);
    const large = (from: number, n: number) =>
      tab.evaluate(
        ([from, n]: [number, number]) => {
          for (let i = from; i < from + n; i++)
            (window as unknown as { parcours(...a: unknown[]): void }).parcours('track', 'large', {
              i,
              pad: 'x'.repeat(2000),
            });
        },
        [from, n] as [number, number],
      );
    // A batch of about 40 KB leaves and hangs: it holds that much of the page's 64 KiB of keepalive data in flight.
    s.proxy.fault('hang', 1);
    const at = s.proxy.requests.length;
    await large(0, 20);
    await expect
      .poll(() => s.proxy.requests.slice(at).some((r) => r.outcome === 'hang'), { timeout: 10_000 })
      .toBe(true);
    // More large events wait for that send; then the tab closes, its page_leave queued last.
    await large(20, 20);
    const sent = s.proxy.requests.length;
    await tab.close();
    // The closing tab's request must fit beside the batch in flight, or the browser refuses it and the page_leave
    // waits for a next visit that may never come.
    await expect
      .poll(() => s.proxy.requests.slice(sent).some((r) => r.outcome === 200 && r.body.includes('"page_leave"')), {
        timeout: 10_000,
      })
      .toBe(true);
    s.proxy.clear();
    await v.close();
  });

  test('two tabs sending at once neither lose nor multiply events', async () => {
    const v = await person();
    const [a, b] = [await v.newTab(), await v.newTab()];
    await Promise.all([load(a, s), load(b, s, '/two')]);
    for (let i = 0; i < 15; i++) await Promise.all([track(a, 'tab_a', { i }), track(b, 'tab_b', { i })]);
    await Promise.all([flushed(a), flushed(b)]);
    await Promise.all([leaveSite(a), leaveSite(b)]);
    const recorded = await done(v);
    expect(recorded.filter((e) => e.type === 'tab_a' || e.type === 'tab_b')).toHaveLength(30);
    await expectDeliveredOnce(s, recorded);
  });

  // Only Chromium's driver sets a storage quota; the page without IndexedDB covers the memory path in every engine.
  test.skipIf(engine !== 'chromium')(
    'with IndexedDB over quota, events are kept in memory and still delivered',
    async () => {
      const v = await person();
      const overrideQuota = v.browser.overrideQuota!;
      const tab = await v.newTab();
      await tab.goto(`${s.origin}/__blank.txt`);
      await overrideQuota(tab, s.origin, 0);
      await load(tab, s);
      for (let i = 0; i < 5; i++) await track(tab, 'no_quota', { i, pad: 'x'.repeat(2000) });
      await flushed(tab);
      await leaveSite(tab);
      await expectDeliveredOnce(s, await done(v));
    },
  );

  test('without IndexedDB at all, events are kept in memory and still delivered', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s, '/no-idb');
    expect(await tab.evaluate(() => typeof window.indexedDB)).toBe('undefined');
    for (let i = 0; i < 3; i++) await track(tab, 'no_idb', { i });
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await done(v);
    expect(recorded.filter((e) => e.type === 'no_idb')).toHaveLength(3);
    await expectDeliveredOnce(s, recorded);
  });

  test('SPA routes are page views, each leaving the previous route; same-route replaceState is not', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s);
    await tab.evaluate(() => history.pushState({}, '', '/pricing'));
    await tab.evaluate(() => history.replaceState({ x: 1 }, '', '/pricing?plan=pro'));
    await tab.evaluate(() => history.pushState({}, '', '/checkout'));
    await tab.evaluate(() => history.back());
    await tab.waitFor(() => location.pathname === '/pricing');
    await tab.evaluate(() => void (location.hash = '#faq'));
    await sleep(200);
    await leaveSite(tab);
    const recorded = await done(v);
    const views = recorded.filter((e) => e.type === 'page_view');
    expect(views.map((e) => [new URL(e.url as string).pathname, e.stage])).toEqual([
      ['/', 'awareness'],
      ['/pricing', 'consideration'],
      ['/checkout', 'decision'],
      ['/pricing', 'consideration'],
      ['/pricing', 'consideration'],
    ]);
    expect(recorded.filter((e) => e.type === 'page_leave')).toHaveLength(5);
    await expectDeliveredOnce(s, recorded);
  });

  test('a started form left for another site is abandoned once, with its last field, and no typed value leaves the page', async () => {
    const v = await person();
    const tab: Tab = await v.newTab();
    await load(tab, s);
    const secrets = ['ada.lovelace@example.com', 'Analytical Engines Ltd', '4242424242424242'];
    await tab.type('#email', secrets[0]!);
    await tab.type('#company', secrets[1]!);
    await tab.type('#card', secrets[2]!);
    await leaveSite(tab);
    const recorded = await done(v);
    expect(recorded.filter((e) => String(e.type).startsWith('form_')).map((e) => e.type)).toEqual([
      'form_start',
      'form_abandon',
    ]);
    const stored = await expectDeliveredOnce(s, recorded, secrets);
    expect(stored.find((e) => e.type === 'form_abandon')).toMatchObject({
      form: 'signup',
      last_field: 'company',
      fields_touched: 2,
    });
    const text = JSON.stringify(stored);
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
  });

  test('a page whose library makes arrays serialize as strings (Prototype.js) still sends cart items and form fields', async () => {
    const v = await person();
    const tab: Tab = await v.newTab();
    await load(tab, s, '/legacy-json');
    expect(await tab.evaluate(() => JSON.stringify({ a: [1] })), 'the page broke JSON.stringify').toBe('{"a":"[1]"}');
    await tab.type('#email', 'grace@example.com');
    await tab.click('#buy');
    await leaveSite(tab);
    const recorded = await done(v);
    const stored = await expectDeliveredOnce(s, recorded, ['grace@example.com']);
    expect(stored.find((e) => e.type === 'add_to_cart')).toMatchObject({
      items: [{ item_id: 'sku-42', item_name: 'Mug', price: 12.5, quantity: 1 }],
      currency: 'EUR',
    });
    expect(stored.find((e) => e.type === 'form_abandon')).toMatchObject({
      form: 'quote',
      last_field: 'email',
      fields: [{ field: 'email' }],
    });
    expect(stored.filter((e) => e.type === 'page_leave')).toHaveLength(1);
  });

  // Firefox has a Global Privacy Control setting; Chromium and WebKitGTK have none to switch on.
  test.skipIf(engine !== 'firefox')('with Global Privacy Control on, the script sends and stores nothing', async () => {
    const v = await newVisitor(engine, { gpc: true });
    visitors.push(v);
    const tab = await v.newTab();
    const at = s.proxy.requests.length;
    await load(tab, s);
    expect(await tab.evaluate(() => (navigator as { globalPrivacyControl?: boolean }).globalPrivacyControl)).toBe(true);
    await track(tab, 'gpc_click');
    await sleep(2500); // past the send delay
    await leaveSite(tab);
    await sleep(1000);
    expect(s.proxy.requests.length, 'requests sent with GPC on').toBe(at);
    expect(await done(v)).toEqual([]);
  });
}
