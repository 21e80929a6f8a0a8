// Friction signals of the built script in Chromium against the real collector: rage, dead and error clicks, a quick
// back, field errors with per-field figures; a page that floods clicks and throws gets a bounded number of events and
// no error of the script's own.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  follow,
  leaveSite,
  newVisitor,
  pageErrors,
  recordedEvents,
  tracked,
  type Tab,
  type Visitor,
} from '../harness/browser.ts';
import { expectDeliveredOnce, flushed, load, openSdkSite, type SdkSite } from './support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe('chromium: friction, captured by the built script', () => {
  let s: SdkSite;
  const visitors: Visitor[] = [];
  const person = async () => {
    const v = await newVisitor('chromium');
    visitors.push(v);
    return v;
  };
  const of = (events: Array<Record<string, unknown>>, type: string) => events.filter((e) => e.type === type);

  beforeAll(async () => {
    s = await openSdkSite('friction');
  });
  afterAll(async () => {
    for (const v of visitors) await v.dispose();
    await s?.stop();
  });

  test('a rage click on a dead button, an error click, a rejected coupon and a failed field, each with its target', async () => {
    const v = await person();
    const tab: Tab = await v.newTab();
    await load(tab, s, '/friction.html');
    for (let i = 0; i < 4; i++) await tab.click('#dead');
    await sleep(3000); // past the dead click's watch: the next clicks change the page
    await tab.click('#boom');
    await tab.click('#works');
    await tab.type('#coupon', 'SPRING-SALE');
    await tab.type('#email', 'not-an-email');
    await tab.click('#go');
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await recordedEvents(v, s.origin);
    // The page's own bug is the only error in it.
    expect((await pageErrors(v, s.origin)).filter((e) => !/null|total/.test(e))).toEqual([]);
    await v.close();

    expect(of(recorded, 'rage_click').map((e) => [e.target, e.clicks, e.stage])).toEqual([['dead', 4, 'awareness']]);
    expect(of(recorded, 'dead_click').map((e) => e.target)).toEqual(['dead']);
    expect(of(recorded, 'error_click').map((e) => [e.target, e.error])).toEqual([
      ['boom', expect.stringMatching(/^TypeError friction\.html:\d+$/)],
    ]);
    expect(of(recorded, 'field_error').map((e) => [e.form, e.field])).toEqual([
      ['checkout', 'coupon'],
      ['checkout', 'email'],
    ]);
    const stored = await expectDeliveredOnce(s, recorded, ['SPRING-SALE', 'not-an-email']);
    expect(stored.find((e) => e.type === 'error_click')).toMatchObject({
      target: 'boom',
      error: expect.stringMatching(/^TypeError /),
    });
    const abandon = stored.find((e) => e.type === 'form_abandon') as { fields: Array<Record<string, number | string>> };
    expect(abandon.fields.map((f) => [f.field, f.errors])).toEqual([
      ['coupon', 1],
      ['email', 1],
    ]);
    expect(abandon.fields[0]!.hesitation_ms).toBeGreaterThanOrEqual(0);
    // Never an element's text nor a value.
    expect(JSON.stringify(stored)).not.toMatch(/Apply|Pay|Show more|SPRING|not-an-email/);
  });

  test('going back within 5 s of landing is a quick back of the page left, with its url', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s, '/friction.html');
    await follow(tab, '#next', /friction-next/);
    await sleep(800);
    await tab.back();
    await tab.waitFor(() => location.pathname === '/friction.html' && document.readyState === 'complete');
    await tracked(tab, 'quick_back');
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await recordedEvents(v, s.origin);
    expect(await pageErrors(v, s.origin)).toEqual([]);
    await v.close();
    const [back, ...more] = of(recorded, 'quick_back');
    expect(more).toEqual([]);
    expect(new URL(back!.url as string).pathname).toBe('/friction-next.html');
    expect(back!.duration_ms).toBeGreaterThanOrEqual(500);
    expect(back!.duration_ms).toBeLessThan(5000);
    await expectDeliveredOnce(s, recorded);
  });

  test('a link to a fragment of the page, followed twice, is no quick back; going back from it within 5 s is one', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s, '/friction.html');
    // The browser fires popstate for each click (the second, to where the page already is, too: Chromium and WebKit).
    await tab.click('#to-details');
    await tab.waitFor(() => location.hash === '#details');
    await tracked(tab, 'page_view', 2);
    await sleep(300);
    await tab.click('#to-details');
    await sleep(300);
    await tab.back();
    await tab.waitFor(() => location.hash === '');
    await tracked(tab, 'quick_back');
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await recordedEvents(v, s.origin);
    expect(await pageErrors(v, s.origin)).toEqual([]);
    await v.close();
    const [back, ...more] = of(recorded, 'quick_back');
    expect(more).toEqual([]);
    expect(new URL(back!.url as string).pathname).toBe('/friction.html');
    expect(back!.duration_ms).toBeLessThan(5000);
    await expectDeliveredOnce(s, recorded);
  });

  test('a page that fires 10,000 clicks a second and throws in its handlers gets a bounded number of events and no error of the script', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s, '/friction.html');
    await tab.evaluate(() => {
      const button = document.getElementById('dead')!;
      let n = 0;
      button.addEventListener('click', () => {
        if (++n % 500 === 0) throw new RangeError('page bug');
      });
      // Series of three clicks, each far from the one before: 3,333 rage clicks' worth, and 20 errors.
      for (let i = 0; i < 10_000; i++)
        button.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: (Math.floor(i / 3) % 2) * 500 }));
      return (window as unknown as { parcours(...a: unknown[]): void }).parcours('track', 'after_flood');
    });
    await sleep(3000);
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await recordedEvents(v, s.origin);
    expect((await pageErrors(v, s.origin)).filter((e) => !/page bug/.test(e))).toEqual([]);
    await v.close();
    expect(of(recorded, 'rage_click').length).toBe(10);
    expect(of(recorded, 'error_click').length).toBeLessThanOrEqual(10);
    expect(of(recorded, 'dead_click').length).toBeLessThanOrEqual(1);
    // Nothing else lost.
    expect(of(recorded, 'after_flood')).toHaveLength(1);
    await expectDeliveredOnce(s, recorded);
  });
});
