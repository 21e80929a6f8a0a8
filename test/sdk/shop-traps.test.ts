// The example shop's friction traps, with the built script in Chromium against the real collector: a button that does
// nothing (rage and dead clicks), a coupon field that rejects every code (a field error), a sale page people come
// straight back from (a quick back). Each stored with its target, page and stage, and counted so in the friction report.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  follow,
  leaveSite,
  newVisitor,
  pageErrors,
  recordedEvents,
  tracked,
  visit,
  type Visitor,
} from '../harness/browser.ts';
import { report } from '../harness/collector.ts';
import { serveShop } from '../harness/static-server.ts';
import { expectDeliveredOnce, flushed, openSdkSite, type SdkSite } from './support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const path = (e: Record<string, unknown>) => new URL(e.url as string).pathname;

describe("chromium: the example shop's friction traps", () => {
  let s: SdkSite;
  let v: Visitor;

  beforeAll(async () => {
    s = await openSdkSite('traps', serveShop);
  });
  afterAll(async () => {
    await v?.dispose();
    await s?.stop();
  });

  test('a rage click on Compare, a rejected coupon and a quick back from the sale page are stored with their targets and stages', async () => {
    v = await newVisitor('chromium');
    const tab = await v.newTab();
    await visit(tab, `${s.origin}/`);
    await follow(tab, '#sale-banner', /\/sale/);
    await sleep(700);
    await tab.back();
    await tab.waitFor(() => location.pathname === '/' && document.readyState === 'complete');
    await tracked(tab, 'quick_back');

    await visit(tab, `${s.origin}/products/grinder`);
    for (let i = 0; i < 3; i++) await tab.click('#compare');
    await sleep(3000); // past the dead click's watch

    await visit(tab, `${s.origin}/checkout/`);
    await tab.type('#coupon', 'FREECOFFEE');
    await tab.click('#apply-coupon');
    await tracked(tab, 'field_error');
    await flushed(tab);
    await leaveSite(tab);

    const recorded = await recordedEvents(v, s.origin);
    expect(await pageErrors(v, s.origin)).toEqual([]);
    await v.close();
    const stored = await expectDeliveredOnce(s, recorded, ['FREECOFFEE']);
    const friction = stored
      .filter((e) => ['rage_click', 'dead_click', 'quick_back', 'field_error'].includes(e.type as string))
      .map((e) => [e.type, path(e), e.stage, e.target ?? e.field ?? null]);
    expect(friction).toEqual([
      ['quick_back', '/sale', 'awareness', null],
      ['rage_click', '/products/grinder', 'consideration', 'compare'],
      ['dead_click', '/products/grinder', 'consideration', 'compare'],
      ['field_error', '/checkout/', 'decision', 'coupon'],
    ]);
    expect(stored.find((e) => e.type === 'field_error')).toMatchObject({ form: 'checkout' });

    // And in the friction report, on the right page and stage, with their targets.
    const { pages } = await report<{ pages: Array<Record<string, unknown>> }>(s.collector, s.site, s.token, 'friction');
    const row = (p: string) => pages.find((x) => x.path === p);
    expect(row('/sale')).toMatchObject({ stage: 'awareness', quick_backs: 1 });
    expect(row('/products/grinder')).toMatchObject({
      stage: 'consideration',
      rage_clicks: 1,
      dead_clicks: 1,
      targets: [
        { kind: 'dead_click', target: 'compare', count: 1 },
        { kind: 'rage_click', target: 'compare', count: 1 },
      ],
    });
    expect(row('/checkout/')).toMatchObject({
      stage: 'decision',
      field_errors: 1,
      targets: [{ kind: 'field_error', target: 'coupon', count: 1 }],
    });
  });
});
