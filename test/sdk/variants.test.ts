// Every variant of the tag, built, in Chromium against the real collector: the core sends page views and track() and
// ignores the calls of the features it lacks without an error; each feature variant does its features (friction: a
// rage click; its other signals are in friction.test.ts; survey: feedback()); the variants that leave the path
// heuristics to the collector send a page without a stage, and the collector stores the stage they give.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { leaveSite, newVisitor, pageErrors, recordedEvents, type Visitor } from '../harness/browser.ts';
import { expectDeliveredOnce, flushed, load, openSdkSite, track, type SdkSite } from './support.ts';
// @ts-expect-error: a plain .mjs module of the SDK, without types.
import { VARIANTS } from '../../packages/sdk/variants.mjs';

const variants = VARIANTS as Array<{ file: string; features: string[] }>;

describe('chromium: every variant of the tag', () => {
  let s: SdkSite;
  const visitors: Visitor[] = [];

  beforeAll(async () => {
    s = await openSdkSite('variants');
  });
  afterAll(async () => {
    for (const v of visitors) await v.dispose();
    await s?.stop();
  });

  test('the collector serves every variant, cacheable and readable from any origin', async () => {
    for (const { file } of variants) {
      const res = await fetch(`${s.collector}/${file}`);
      expect(res.status, file).toBe(200);
      expect(res.headers.get('content-type'), file).toMatch(/javascript/);
      expect(res.headers.get('access-control-allow-origin'), file).toBe('*');
      expect(res.headers.get('cache-control'), file).toMatch(/max-age=3600/);
      expect((await res.text()).length, file).toBeGreaterThan(4000);
    }
  });

  test.each(variants)('$file does the features it names and ignores the others', async ({ file, features }) => {
    const has = (f: string) => features.includes(f);
    const v = await newVisitor('chromium');
    visitors.push(v);
    const tab = await v.newTab();
    const name = file.replace(/^parcours\.|\.?js$/g, '');
    await load(tab, s, `/variant.html${name ? `?v=${name}` : ''}`);
    // The script that runs is the one asked for.
    expect(
      await tab.evaluate(() => [...document.scripts].map((e) => e.src).find((src) => /parcours/.test(src))),
    ).toMatch(new RegExp(`/${file.replace(/\./g, '\\.')}$`));

    await track(tab, 'ping', { n: 1 });
    await tab.evaluate(() => {
      const p = (window as unknown as { parcours(...a: unknown[]): unknown }).parcours;
      p('identify', 'c_10042');
      // The survey variants take a score, and ignore one off its scale; the others ignore the call.
      p('feedback', 'nps', 9, { survey: 'nps-1' });
      p('feedback', 'csat', 6);
      p('cart', 'view', { items: [{ item_id: 'sku-1', price: 3 }], currency: 'EUR' });
    });
    for (let i = 0; i < 3; i++) await tab.click('#dead');
    await tab.click('#add');
    await tab.type('#email', 'ada@example.com');
    // A route on a path the heuristics stage (rule 6: /pricing is consideration), declared by no page rule.
    await tab.evaluate(() => history.pushState(null, '', '/pricing'));
    await flushed(tab);
    await leaveSite(tab);

    const recorded = await recordedEvents(v, s.origin);
    expect(await pageErrors(v, s.origin), 'errors in the page').toEqual([]);
    await v.close();
    const types = recorded.map((e) => e.type);
    expect(types).toContain('page_view');
    expect(types).toContain('page_leave');
    expect(recorded.find((e) => e.type === 'ping')).toMatchObject({ props: { n: 1 } });
    expect(recorded.filter((e) => e.type === 'feedback').map((e) => [e.kind, e.score, e.survey])).toEqual(
      has('survey') ? [['nps', 9, 'nps-1']] : [],
    );
    // Carts, friction and survey read an event's stage in the page, so they resolve rule 6 themselves; the others send
    // none and the collector applies the same table.
    const pricing = recorded.find((e) => e.type === 'page_view' && String(e.url).endsWith('/pricing'));
    const stageInPage = has('carts') || has('friction') || has('survey');
    expect(pricing?.stage).toBe(stageInPage ? 'consideration' : undefined);

    const carts = recorded.filter((e) => e.type === 'view_cart' || e.type === 'add_to_cart');
    if (has('carts')) {
      expect(carts.map((e) => [e.type, e.stage, e.customer])).toEqual([
        ['view_cart', 'decision', 'c_10042'],
        ['add_to_cart', 'decision', 'c_10042'],
      ]);
    } else expect(carts).toEqual([]);

    const forms = recorded.filter((e) => String(e.type).startsWith('form_')).map((e) => e.type);
    expect(forms).toEqual(has('forms') ? ['form_start', 'form_abandon'] : []);

    expect(recorded.filter((e) => e.type === 'rage_click').map((e) => [e.target, e.clicks])).toEqual(
      has('friction') ? [['dead', 3]] : [],
    );

    const stored = await expectDeliveredOnce(s, recorded, ['ada@example.com']);
    expect(stored.find((e) => e.type === 'page_view' && String(e.url).endsWith('/pricing'))?.stage).toBe(
      'consideration',
    );
    if (has('survey'))
      expect(stored.find((e) => e.type === 'feedback')).toMatchObject({ kind: 'nps', score: 9, survey: 'nps-1' });
    else expect(stored.filter((e) => e.type === 'feedback')).toEqual([]);
    if (has('carts'))
      expect(stored.find((e) => e.type === 'add_to_cart')).toMatchObject({
        customer: 'c_10042',
        items: [{ item_id: 'sku-42', price: 12.5 }],
      });
  });
});
