// The built script in each engine under flaps, tab closes, five tabs, a tiny quota, an outage and refusals: nothing lost, nothing stored twice, no page error.
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, test } from 'vitest';
import { ENGINES, type Engine, type Tab } from '../harness/browser.ts';
import { setOffline, sleep } from '../journeys/support.ts';
import { flushed, load, openSdkSite, type SdkSite } from '../sdk/support.ts';
import { countFigures, writeResults, type Figures, type Skipped } from './figures.ts';
import { openVisitor, readRecords, type Visitor } from './visitor.ts';

const FULL = process.env.RELIABILITY_FULL === '1';
/** The sizes with RELIABILITY_FULL=1, a fast slice of each in CI. */
const SIZE = FULL
  ? {
      flaps: 500,
      flapEvents: 5_000,
      closes: 200,
      tabEvents: 400,
      quotaEvents: 1_000,
      downMs: 60_000,
      downEvents: 500,
      refusals: 5,
      refusedEvents: 200,
    }
  : {
      flaps: 20,
      flapEvents: 200,
      closes: 10,
      tabEvents: 40,
      quotaEvents: 100,
      downMs: 5_000,
      downEvents: 50,
      refusals: 3,
      refusedEvents: 60,
    };
const TIMEOUT = FULL ? 900_000 : 120_000;

const results: Figures[] = [];
const skipped: Skipped[] = [];
afterAll(() => {
  console.table(results.map(({ errorSamples: _, unexpectedSamples: __, lostSamples: ___, ...f }) => f));
  if (FULL && results.length > 0) {
    writeResults(
      fileURLToPath(new URL('./RESULTS.md', import.meta.url)),
      results,
      skipped,
      SCENARIOS,
      `Total ${(results.reduce((a, f) => a + f.durationMs, 0) / 1000).toFixed(0)} s of scenarios.`,
    );
  }
});

const SCENARIOS = [
  `flaps: one tab, ${SIZE.flaps} offline/online flaps, ${SIZE.flapEvents} events queued half while offline, half while online. Offline is the browser's own switch in Chromium; in Firefox its switch (WebDriver BiDi, per tab) plus the proxy dropping every event request; in WebKit, whose driver has no switch, the proxy alone (\`navigator.onLine\` stays true there)`,
  `tab closes: ${SIZE.closes} tabs opened one after another, each queues 5 events, its send is held in flight by the proxy (never answered), and the tab is closed (pagehide, beacon); a last visit sends what is left`,
  `five tabs: one visitor, five tabs of the site at once, ${SIZE.tabEvents} events each, queued interleaved; all five leave at once, then the visitor opens one more page`,
  `tiny quota: the origin's quota forced to 1 KiB (Chromium's \`Storage.overrideQuotaForOrigin\`; the other engines have no such override), ${SIZE.quotaEvents} events of 2 KB each`,
  `collector down: every connection dropped for ${SIZE.downMs / 1000} s while ${SIZE.downEvents} events are queued, then back; delivery waited for without calling \`flush()\``,
  `429 and 500: ${SIZE.refusals} answers 429 (Retry-After: 1) then ${SIZE.refusals} answers 500 while ${SIZE.refusedEvents} events are queued; delivery waited for without \`flush()\``,
];

/** Runs one scenario on its own site (own proxy, own rate-limit budget) and visitor; checks the figures a user would. */
async function scenario(
  engine: Engine,
  name: string,
  body: (s: SdkSite, v: Visitor) => Promise<void>,
  deliveryMs = 30_000,
): Promise<Figures> {
  const s = await openSdkSite(`rel-${engine}-${name.replace(/\W+/g, '-')}`);
  const v = await openVisitor(engine);
  const started = Date.now();
  try {
    // A scenario that fails part-way still reports what it saw (marked failed), then fails its test.
    const failure = await body(s, v).then(
      () => undefined,
      (err: unknown) => err,
    );
    s.proxy.clear();
    const f = await countFigures(engine, name, s, v, started, failure ? 10_000 : deliveryMs);
    if (failure) f.failed = String(failure).split('\n')[0]!.slice(0, 160);
    results.push(f);
    if (failure) throw failure;
    return f;
  } finally {
    await v.dispose();
    await s.stop();
  }
}

/** Marks `scenario` as one `engine` cannot run, says why on the console and in the results; answers whether to skip. */
function cannot(engine: Engine, scenario: string, reason: string | false): boolean {
  if (!reason) return false;
  console.log(`reliability: ${engine}: "${scenario}" skipped: ${reason}`);
  skipped.push({ engine, scenario, reason });
  return true;
}

/**
 * The figures a user would check. `unrecordedLeaves`: in Firefox, a closing tab's last localStorage write (the harness
 * recorder's, not the tag's) is sometimes lost, so the page_leave that tab sent is stored but was never recorded; there
 * a stored row nobody recorded may be such a page_leave, at most one per closed tab, and nothing else.
 */
function expectClean(f: Figures, unrecordedLeaves = 0): void {
  expect(f.generated, 'events were generated').toBeGreaterThan(0);
  expect(f.duplicatesStored, 'ids stored twice').toBe(0);
  const samples = f.unexpectedSamples ?? [];
  if (unrecordedLeaves && f.unexpectedStored <= Math.min(unrecordedLeaves, samples.length)) {
    expect(
      samples.every((r) => r.startsWith('page_leave ')),
      `stored rows nobody generated: ${samples.join(' | ')}`,
    ).toBe(true);
  } else expect(f.unexpectedStored, `stored rows nobody generated: ${samples.join(' | ')}`).toBe(0);
  expect(
    f.lost,
    `events lost beyond what the outbox cap reported: ${(f.lostSamples ?? []).join(' | ')}`,
  ).toBeLessThanOrEqual(f.dropped);
  expect(f.stored + f.lost).toBe(f.generated);
  expect(f.pageErrors, `errors thrown into the page: ${f.errorSamples.join(' | ')}`).toBe(0);
}

/** Queues `n` custom events in the page in one go (the script is called as a site would call it). */
const trackMany = (tab: Tab, type: string, n: number, from = 0, pad = '') =>
  tab.evaluate(
    ([t, count, start, p]) => {
      const w = window as unknown as { parcours(...a: unknown[]): void };
      for (let i = 0; i < count; i++) w.parcours('track', t, { i: start + i, ...(p ? { pad: p } : {}) });
    },
    [type, n, from, pad] as [string, number, number, string],
  );

/** Leaves the site the way a person does: the page is hidden for good (pagehide, beacon). */
const leave = (tab: Tab) => tab.goto('about:blank');

for (const engine of ENGINES) {
  describe(`${engine}: the built script loses nothing, stores nothing twice and never breaks the page`, () => {
    test(`${SIZE.flaps} offline/online flaps while ${SIZE.flapEvents} events are queued`, {
      timeout: TIMEOUT,
    }, async () => {
      const f = await scenario(engine, 'flaps', async (s, v) => {
        const tab = await v.newTab();
        await load(tab, s);
        const per = Math.ceil(SIZE.flapEvents / SIZE.flaps / 2);
        let made = 0;
        for (let i = 0; i < SIZE.flaps; i++) {
          await setOffline(v, s, true);
          await trackMany(tab, 'flap_offline', per, made);
          made += per;
          await sleep(50 + Math.random() * 250);
          await setOffline(v, s, false);
          await trackMany(tab, 'flap_online', per, made);
          made += per;
          await sleep(50 + Math.random() * 250);
        }
        await flushed(tab, s);
        await leave(tab);
      });
      expectClean(f);
      expect(f.generated).toBeGreaterThanOrEqual(SIZE.flapEvents);
    });

    test(`${SIZE.closes} tabs closed with a request in flight`, { timeout: TIMEOUT }, async () => {
      const f = await scenario(engine, 'tab closes', async (s, v) => {
        for (let i = 0; i < SIZE.closes; i++) {
          const tab = await v.newTab();
          await load(tab, s);
          await trackMany(tab, 'before_close', 5, i * 5);
          const before = s.proxy.requests.length;
          s.proxy.fault('hang', 1);
          // Not awaited: the send is in flight (held by the proxy) when the tab closes.
          await tab.evaluate(
            () => void (window as unknown as { parcours(n: string): Promise<boolean> }).parcours('flush'),
          );
          await expect.poll(() => s.proxy.requests.length, { timeout: 10_000, interval: 20 }).toBeGreaterThan(before);
          await tab.close();
          s.proxy.clear();
        }
        const last = await v.newTab();
        await load(last, s);
        await flushed(last, s);
        await leave(last);
        expect(
          s.proxy.requests.filter((r) => r.outcome === 'hang').length,
          'a request was in flight at every close',
        ).toBeGreaterThanOrEqual(SIZE.closes);
      });
      expectClean(f, engine === 'firefox' ? SIZE.closes : 0);
    });

    test(`five tabs of one visitor at once, ${SIZE.tabEvents} events each`, { timeout: TIMEOUT }, async () => {
      const f = await scenario(engine, 'five tabs', async (s, v) => {
        const tabs: Tab[] = [];
        for (let i = 0; i < 5; i++) tabs.push(await v.newTab());
        await Promise.all(tabs.map((t, i) => load(t, s, i === 0 ? '/' : `/tab-${i}`)));
        const step = 10;
        for (let k = 0; k < SIZE.tabEvents; k += step) {
          await Promise.all(tabs.map((t, i) => trackMany(t, `tab_${i}`, step, k)));
          await sleep(Math.random() * 200);
        }
        await Promise.all(tabs.map((t) => flushed(t, s)));
        // All five leave at once: what a closing page could not send (its page_leave, when the keepalive request
        // fails) waits on the device for the visitor's next page, as it would for a person. That next page comes.
        await Promise.all(tabs.map((t) => leave(t)));
        const next = await v.newTab();
        await load(next, s);
        await flushed(next, s);
        await leave(next);
      });
      expectClean(f);
      expect(f.generated).toBeGreaterThanOrEqual(5 * SIZE.tabEvents);
    });

    const noQuota =
      engine !== 'chromium' &&
      `${engine} has no quota override under automation (Chromium's is CDP's Storage.overrideQuotaForOrigin)`;
    test.skipIf(cannot(engine, 'tiny quota', noQuota))(
      `IndexedDB quota forced tiny, ${SIZE.quotaEvents} events`,
      { timeout: TIMEOUT },
      async () => {
        const f = await scenario(engine, 'tiny quota', async (s, v) => {
          const tab = await v.newTab();
          await tab.goto(`${s.origin}/__rel-blank.txt`);
          await v.browser.overrideQuota!(tab, s.origin, 1024);
          await load(tab, s);
          for (let k = 0; k < SIZE.quotaEvents; k += 50) {
            await trackMany(tab, 'tiny_quota', 50, k, 'x'.repeat(2000));
            await sleep(100);
          }
          await flushed(tab, s);
          await leave(tab);
        });
        expectClean(f);
        expect(f.generated).toBeGreaterThanOrEqual(SIZE.quotaEvents);
      },
    );

    test(`the collector down for ${SIZE.downMs / 1000} s then back`, { timeout: TIMEOUT }, async () => {
      let downAt = 0;
      const f = await scenario(
        engine,
        'collector down then back',
        async (s, v) => {
          const tab = await v.newTab();
          await load(tab, s);
          await flushed(tab, s);
          s.proxy.fault('drop');
          downAt = Date.now();
          const rounds = 10;
          for (let k = 0; k < rounds; k++) {
            await trackMany(tab, 'while_down', Math.ceil(SIZE.downEvents / rounds), k * 1000);
            await sleep(SIZE.downMs / rounds);
          }
          s.proxy.clear();
          // No flush(): the script's own retries must find the collector back (backoff steps end at 5 min).
          const pending = await readRecords(v, s.origin);
          await expect
            .poll(() => new Set(s.proxy.deliveredIds()).size >= new Set(pending.ids).size, {
              timeout: FULL ? 120_000 : 30_000,
              interval: 250,
            })
            .toBe(true);
          await leave(tab);
        },
        FULL ? 120_000 : 30_000,
      );
      expect(downAt).toBeGreaterThan(0);
      expectClean(f);
    });

    test(`the collector answering 429 and 500`, { timeout: TIMEOUT }, async () => {
      const f = await scenario(engine, '429 then 500', async (s, v) => {
        const tab = await v.newTab();
        await load(tab, s);
        await flushed(tab, s);
        const start = s.proxy.requests.length;
        s.proxy.fault({ status: 429, retryAfter: '1' }, SIZE.refusals);
        await trackMany(tab, 'refused', SIZE.refusedEvents / 2, 0);
        await expect
          .poll(() => s.proxy.requests.length - start, { timeout: 30_000, interval: 100 })
          .toBeGreaterThanOrEqual(SIZE.refusals);
        s.proxy.fault({ status: 500 }, SIZE.refusals);
        await trackMany(tab, 'refused', SIZE.refusedEvents / 2, SIZE.refusedEvents / 2);
        await expect
          .poll(() => s.proxy.requests.length - start, { timeout: 60_000, interval: 100 })
          .toBeGreaterThanOrEqual(2 * SIZE.refusals);
        const pending = await readRecords(v, s.origin);
        await expect
          .poll(() => new Set(s.proxy.deliveredIds()).size >= new Set(pending.ids).size, {
            timeout: 60_000,
            interval: 250,
          })
          .toBe(true);
        // Each 429 was waited out as its Retry-After said before the next try.
        const tries = s.proxy.requests.slice(start);
        tries.forEach((r, i) => {
          if (r.outcome === 429 && tries[i + 1]) expect(tries[i + 1]!.at - r.at).toBeGreaterThanOrEqual(900);
        });
        await leave(tab);
      });
      expectClean(f);
    });
  });
}
