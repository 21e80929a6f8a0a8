// Moving through a site in every engine with the back/forward cache on, while the collector flaps: every event stored
// once, the outbox empty on the last page, pages restored from the cache counted again.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ENGINES,
  leaveSite,
  newVisitor,
  pageErrors,
  recordedEvents,
  tracked,
  type Tab,
  type Visitor,
} from '../harness/browser.ts';
import { report } from '../harness/collector.ts';
import type { FaultProxy } from '../harness/fault-proxy.ts';
import { serveShop } from '../harness/static-server.ts';
import { expectDeliveredOnce, openSdkSite, type SdkSite } from './support.ts';

const PAGES = [
  '/',
  '/products/mug',
  '/products/beans',
  '/blog/brewing-guide',
  '/cart',
  '/newsletter',
  '/quote',
  '/account/',
];

/** Flaps the collector: every `ms`, the proxy alternates between dropping event requests and passing them, until stopped. */
function flap(proxy: FaultProxy, ms = 700): () => void {
  let down = false;
  const t = setInterval(() => {
    down = !down;
    if (down) proxy.fault('drop');
    else proxy.clear();
  }, ms);
  return () => {
    clearInterval(t);
    proxy.clear();
  };
}

/** `parcours('flush')` resolved true within `ms`: the outbox is empty and everything acknowledged. */
const flushesWithin = (tab: Tab, ms: number) =>
  tab.evaluate(
    (limit) =>
      Promise.race([
        (window as unknown as { parcours(n: string): Promise<boolean> }).parcours('flush'),
        new Promise<boolean>((r) => setTimeout(() => r(false), limit)),
      ]),
    ms,
  );

for (const engine of ENGINES) {
  describe(`${engine}: moving through the shop with the back/forward cache on`, () => {
    let s: SdkSite;
    const visitors: Visitor[] = [];
    beforeAll(async () => {
      s = await openSdkSite('nav', serveShop);
    });
    afterAll(async () => {
      for (const v of visitors) await v.dispose();
      await s?.stop();
    });

    test('eight pages while the collector flaps: every event stored once, the outbox empty on the last page within seconds', async () => {
      const v = await newVisitor(engine);
      visitors.push(v);
      const tab = await v.newTab();
      const stop = flap(s.proxy);
      try {
        for (const path of PAGES) {
          await tab.goto(s.origin + path);
          await tracked(tab, 'page_view');
          await new Promise((r) => setTimeout(r, 400));
        }
      } finally {
        stop();
      }
      // The last page stays open and visible: its own sends, not a beacon on hide, must empty the outbox.
      let empty = false;
      for (let i = 0; i < 5 && !empty; i++) empty = await flushesWithin(tab, 3_000);
      expect(empty, 'the outbox emptied on the last page').toBe(true);
      const recorded = await recordedEvents(v, s.origin);
      expect(recorded.filter((e) => e.type === 'page_view')).toHaveLength(PAGES.length);
      await expectDeliveredOnce(s, recorded);
      expect(await pageErrors(v, s.origin)).toEqual([]);
    });

    test('a landing from an ad sends the click id by name only; the session is paid search in every report', async () => {
      const v = await newVisitor(engine);
      visitors.push(v);
      const tab = await v.newTab();
      const clickValue = 'Cj0KCQiA-zq-secret-click-value';
      await tab.goto(
        `${s.origin}/products/mug?utm_source=google&utm_medium=cpc&utm_campaign=spring&gclid=${clickValue}`,
      );
      await tracked(tab, 'page_view');
      expect(await flushesWithin(tab, 10_000)).toBe(true);
      await leaveSite(tab);
      const recorded = await recordedEvents(v, s.origin);
      const [view] = recorded.filter((e) => e.type === 'page_view');
      expect(view).toMatchObject({ click_id: 'gclid' });
      expect(String(view!.url)).toBe(`${s.origin}/products/mug?utm_source=google&utm_medium=cpc&utm_campaign=spring`);
      await expectDeliveredOnce(s, recorded, [clickValue]);
      type Breakdown = { rows: Array<{ value: string; visitors: number }> };
      const byChannel = await report<Breakdown>(s.collector, s.site, s.token, 'breakdown', { by: 'channel' });
      expect(byChannel.rows.find((r) => r.value === 'paid_search')?.visitors).toBeGreaterThanOrEqual(1);
      const campaigns = await report<Breakdown>(s.collector, s.site, s.token, 'breakdown', {
        by: 'campaign',
        channel: 'paid_search',
      });
      expect(campaigns.rows.map((r) => r.value)).toContain('spring');
    });

    test('a page restored from the back/forward cache is a new page view, its earlier page_leave already sent', async (ctx) => {
      const v = await newVisitor(engine);
      visitors.push(v);
      const tab = await v.newTab();
      await tab.goto(`${s.origin}/products/mug`);
      await tracked(tab, 'page_view');
      await tab.goto(`${s.origin}/products/beans`);
      await tracked(tab, 'page_view');
      await tab.back();
      const restored = await tab
        .waitFor(() => (window as unknown as { __e2eRestored?: number }).__e2eRestored === 1, undefined, 10_000)
        .then(
          () => true,
          () => false,
        );
      // A browser may decline to keep a page (Firefox did, once in many runs, under load): then there is no restore to
      // check this time, and the test says so instead of passing.
      if (!restored) ctx.skip(`${engine} did not keep the page in its back/forward cache this time`);
      await tracked(tab, 'page_view', 2);
      expect(await flushesWithin(tab, 10_000)).toBe(true);
      await leaveSite(tab);
      const recorded = await recordedEvents(v, s.origin);
      const mug = recorded.filter((e) => String(e.url).endsWith('/products/mug'));
      expect(mug.map((e) => e.type)).toEqual(['page_view', 'page_leave', 'page_view', 'page_leave']);
      await expectDeliveredOnce(s, recorded);
    });

    test('a page that leaves while waiting for the send lock does not keep it from the next page', async () => {
      const v = await newVisitor(engine);
      visitors.push(v);
      const first = await v.newTab();
      const second = await v.newTab();
      // The first tab's send hangs: it holds the lock, and the second tab's send waits for it.
      s.proxy.fault('hang');
      const hanging = () => s.proxy.requests.filter((r) => r.outcome === 'hang').length;
      const before = hanging();
      await first.goto(`${s.origin}/products/mug`);
      await tracked(first, 'page_view');
      await expect.poll(hanging, { timeout: 10_000 }).toBeGreaterThan(before);
      await second.goto(`${s.origin}/products/beans`);
      await tracked(second, 'page_view');
      await new Promise((r) => setTimeout(r, 1_500));
      // The waiting page goes into the back/forward cache, and the hanging send ends: the lock is free again.
      await second.goto(`${s.origin}/blog/brewing-guide`);
      await tracked(second, 'page_view');
      s.proxy.clear();
      expect(await flushesWithin(second, 10_000), 'the next page sends within 10 s').toBe(true);
      expect(await flushesWithin(first, 10_000)).toBe(true);
      await leaveSite(first);
      await leaveSite(second);
      await expectDeliveredOnce(s, await recordedEvents(v, s.origin));
    });
  });
}
