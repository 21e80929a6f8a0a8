// The built script in real Chromium against the real collector (through the fault proxy): nothing lost, nothing stored twice.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { leaveSite, newVisitor, recordedEvents, typeInto, type Visitor } from '../harness/browser.ts';
import { expectDeliveredOnce, flushed, load, openSdkSite, track, type SdkSite } from './support.ts';

let s: SdkSite;
const visitors: Visitor[] = [];
async function person(): Promise<Visitor> {
  const v = await newVisitor();
  visitors.push(v);
  return v;
}

beforeAll(async () => {
  s = await openSdkSite('sdk');
});
afterAll(async () => {
  for (const v of visitors) await v.dispose();
  await s?.stop();
});

describe('the built script delivers every event once', () => {
  test('offline, events wait in the outbox; back online, they are sent at once', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await load(page, s);
    await flushed(page);
    const before = s.proxy.requests.length;
    await v.context.setOffline(true);
    for (let i = 0; i < 5; i++) await track(page, 'offline_click', { i });
    await page.waitForTimeout(2500); // past the send delay and a first retry
    expect(s.proxy.requests.length, 'nothing got out while offline').toBe(before);
    await v.context.setOffline(false);
    // The online event sends at once: well before the backoff would have.
    await expect.poll(() => s.proxy.requests.length, { timeout: 1_500, interval: 100 }).toBeGreaterThan(before);
    await flushed(page);
    await leaveSite(page);
    const recorded = await recordedEvents(v, s.origin);
    expect(recorded.filter((e) => e.type === 'offline_click')).toHaveLength(5);
    await expectDeliveredOnce(s, recorded);
    await v.close();
  });

  test('a 5xx keeps the events and a later try delivers them; a 429 is waited out as its Retry-After says', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await load(page, s);
    await flushed(page);
    s.proxy.fault({ status: 503 }, 2);
    const start = s.proxy.requests.length;
    await track(page, 'during_outage');
    await expect.poll(() => s.proxy.requests.slice(start).filter((r) => r.outcome === 200).length, { timeout: 20_000 }).toBe(1);
    const tries = s.proxy.requests.slice(start);
    expect(tries.map((r) => r.outcome)).toEqual([503, 503, 200]);
    // The same event in every try: kept, not lost, not duplicated.
    expect(new Set(tries.map((r) => JSON.parse(r.body).events.map((e: { id: string }) => e.id).join()))).toHaveProperty('size', 1);

    s.proxy.fault({ status: 429, retryAfter: '3' }, 1);
    const at = s.proxy.requests.length;
    await track(page, 'rate_limited');
    await expect.poll(() => s.proxy.requests.slice(at).filter((r) => r.outcome === 200).length, { timeout: 20_000 }).toBe(1);
    const [limited, next] = s.proxy.requests.slice(at);
    expect(limited!.outcome).toBe(429);
    expect(next!.at - limited!.at).toBeGreaterThanOrEqual(2900);
    await leaveSite(page);
    await expectDeliveredOnce(s, await recordedEvents(v, s.origin));
    await v.close();
  });

  test('a tab closed while nothing gets through keeps its events; the next visit sends them', async () => {
    const v = await person();
    let page = await v.context.newPage();
    await load(page, s);
    s.proxy.fault('drop'); // every event request, the beacon included, is lost on the way
    for (let i = 0; i < 3; i++) await track(page, 'before_close', { i });
    await page.waitForTimeout(500);
    await page.close({ runBeforeUnload: true });
    // The closing tab's beacon reaches the proxy on its own time (the machine may be busy); closing the browser
    // before it left would cancel it, which a real tab close does not do.
    await expect.poll(() => s.proxy.requests.some((r) => r.outcome === 'drop'), { timeout: 10_000 }).toBe(true);
    await v.close();
    s.proxy.clear();
    await v.open();
    page = await v.context.newPage();
    await load(page, s);
    await flushed(page);
    await leaveSite(page);
    const recorded = await recordedEvents(v, s.origin);
    expect(recorded.filter((e) => e.type === 'before_close')).toHaveLength(3);
    await expectDeliveredOnce(s, recorded);
    await v.close();
  });

  test('two tabs sending at once neither lose nor multiply events', async () => {
    const v = await person();
    const [a, b] = [await v.context.newPage(), await v.context.newPage()];
    await Promise.all([load(a, s), load(b, s, '/two')]);
    for (let i = 0; i < 15; i++) await Promise.all([track(a, 'tab_a', { i }), track(b, 'tab_b', { i })]);
    await Promise.all([flushed(a), flushed(b)]);
    await Promise.all([leaveSite(a), leaveSite(b)]);
    const recorded = await recordedEvents(v, s.origin);
    expect(recorded.filter((e) => e.type === 'tab_a' || e.type === 'tab_b')).toHaveLength(30);
    await expectDeliveredOnce(s, recorded);
    await v.close();
  });

  test('with IndexedDB over quota, events are kept in memory and still delivered', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await page.goto(`${s.origin}/__blank.txt`);
    const cdp = await v.context.newCDPSession(page);
    await cdp.send('Storage.overrideQuotaForOrigin', { origin: s.origin, quotaSize: 0 });
    await load(page, s);
    for (let i = 0; i < 5; i++) await track(page, 'no_quota', { i, pad: 'x'.repeat(2000) });
    await flushed(page);
    await leaveSite(page);
    await expectDeliveredOnce(s, await recordedEvents(v, s.origin));
    await v.close();
  });

  test('without IndexedDB at all, events are kept in memory and still delivered', async () => {
    const v = await person();
    await v.context.addInitScript(() => Object.defineProperty(window, 'indexedDB', { value: undefined }));
    const page = await v.context.newPage();
    await load(page, s);
    for (let i = 0; i < 3; i++) await track(page, 'no_idb', { i });
    await flushed(page);
    await leaveSite(page);
    await expectDeliveredOnce(s, await recordedEvents(v, s.origin));
    await v.close();
  });

  test('SPA routes are page views, each leaving the previous route; same-route replaceState is not', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await load(page, s);
    await page.evaluate(() => history.pushState({}, '', '/pricing'));
    await page.evaluate(() => history.replaceState({ x: 1 }, '', '/pricing?plan=pro'));
    await page.evaluate(() => history.pushState({}, '', '/checkout'));
    await page.evaluate(() => history.back());
    await page.waitForURL(/\/pricing/);
    await page.evaluate(() => (location.hash = '#faq'));
    await page.waitForTimeout(200);
    await leaveSite(page);
    const recorded = await recordedEvents(v, s.origin);
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
    await v.close();
  });

  test('a started form left for another site is abandoned once, with its last field, and no typed value leaves the page', async () => {
    const v = await person();
    const page = await v.context.newPage();
    await load(page, s);
    const secrets = ['ada.lovelace@example.com', 'Analytical Engines Ltd', '4242424242424242'];
    await typeInto(page, '#email', secrets[0]!);
    await typeInto(page, '#company', secrets[1]!);
    await typeInto(page, '#card', secrets[2]!);
    await leaveSite(page);
    const recorded = await recordedEvents(v, s.origin);
    expect(recorded.filter((e) => String(e.type).startsWith('form_')).map((e) => e.type)).toEqual(['form_start', 'form_abandon']);
    const stored = await expectDeliveredOnce(s, recorded, secrets);
    expect(stored.find((e) => e.type === 'form_abandon')).toMatchObject({ form: 'signup', last_field: 'company', fields_touched: 2 });
    const text = JSON.stringify(stored);
    for (const secret of secrets) expect(text.includes(secret)).toBe(false);
    await v.close();
  });
});
