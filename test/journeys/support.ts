// What every journey test needs: a site of its own on the shared collector (behind a fault proxy if asked), the shop served for it, offline in any engine, delivery checks.
import { expect } from 'vitest';
import type { Tab, Visitor } from '../harness/browser.ts';
import { exportEvents, registerSite, sharedCollector, uniqueSiteId } from '../harness/collector.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { serveShop, serveSpa, type RunningStaticServer } from '../harness/static-server.ts';

export interface ShopSite {
  collector: string;
  site: string;
  token: string;
  /** The shop's origin, e.g. `http://127.0.0.1:41234`. */
  shop: string;
  /** The fault proxy between the shop's script and the collector, when asked for (`openShopSite(…, { proxy: true })`). */
  proxy?: FaultProxy;
  stop(): Promise<void>;
}

/**
 * Serves the shop (or its SPA) for a new site registered on the shared collector with the shop's origin; with `proxy`
 * (default false), the script talks to the collector through a fault proxy of its own.
 */
export async function openShopSite(prefix: string, { spa = false, proxy = false } = {}): Promise<ShopSite> {
  const { url, adminToken } = sharedCollector();
  const site = uniqueSiteId(prefix);
  const faults = proxy ? await startFaultProxy(url) : undefined;
  const server: RunningStaticServer = await (spa ? serveSpa : serveShop)(faults?.url ?? url, site);
  const token = await registerSite(url, adminToken, { id: site, origins: [server.url] });
  return {
    collector: url,
    site,
    token,
    shop: server.url,
    proxy: faults,
    async stop() {
      await server.stop();
      await faults?.stop();
    },
  };
}

/**
 * Whether `setOffline` also has the site's fault proxy drop event requests for this visitor: everywhere but Chromium,
 * whose offline switch covers the whole browser. Firefox's (WebDriver BiDi) is per tab and lets a closing tab's last
 * send through (seen reaching the collector 70 ms into the close); WebKit's driver has none.
 */
export const offlineAtProxy = (v: Visitor): boolean => v.engine !== 'chromium';

/**
 * Cuts the visitor off from the collector (or reconnects them). The browser's own offline switch where it has one
 * (Chromium, Firefox: `navigator.onLine` false, `offline`/`online` fired); besides, where that switch does not cover
 * every request (see `offlineAtProxy`), the site's fault proxy drops every event request, which is what a network
 * that is down looks like to the page (in WebKit `navigator.onLine` stays true and no `online` event comes back).
 * Needs a site behind a fault proxy outside Chromium (`openShopSite(…, { proxy: true })`, every `openSdkSite`).
 */
export async function setOffline(v: Visitor, s: { proxy?: FaultProxy }, offline: boolean): Promise<void> {
  await v.browser.setOffline?.(offline);
  if (!offlineAtProxy(v)) return;
  if (!s.proxy)
    throw new Error(`offline in ${v.engine} needs the site behind a fault proxy (openShopSite(…, { proxy: true }))`);
  if (offline) s.proxy.fault('drop');
  else s.proxy.clear();
}

/**
 * The history's back button, then waits for the earlier page to count as a page view again: restored from the
 * back/forward cache (the same document, one more page view per restore) or loaded anew (a new document, its first).
 */
export async function goBack(tab: Tab, expectedUrl: string): Promise<void> {
  await tab.back();
  await tab.waitFor((want) => {
    const w = window as unknown as { __e2eRestored?: number; __e2eRecorded?: Array<{ type: string }> };
    const views = (w.__e2eRecorded ?? []).filter((e) => e.type === 'page_view').length;
    return location.href === want && document.readyState === 'complete' && views >= 1 + (w.__e2eRestored ?? 0);
  }, expectedUrl);
}

/** The text of the first element matching `selector` in the tab's page (null when there is none). */
export const textOf = (tab: Tab, selector: string): Promise<string | null> =>
  tab.evaluate((sel) => document.querySelector(sel)?.textContent ?? null, selector);

/** How many elements match `selector` in the tab's page. */
export const countOf = (tab: Tab, selector: string): Promise<number> =>
  tab.evaluate((sel) => document.querySelectorAll(sel).length, selector);

/** Waits `ms` milliseconds (the test process's clock, not the page's). */
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls the events export until every id in `ids` is stored (or `timeoutMs` passes), then returns the export. */
export async function waitForStored(
  s: ShopSite,
  ids: readonly string[],
  timeoutMs = 30_000,
): Promise<Array<Record<string, unknown>>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stored = await exportEvents(s.collector, s.site, s.token);
    const have = new Set(stored.map((e) => e.id));
    const missing = ids.filter((id) => !have.has(id));
    if (!missing.length || Date.now() > deadline) return stored;
    await new Promise((r) => setTimeout(r, 500));
  }
}

/** Every event the pages queued is stored exactly once, and nothing else is stored. */
export function expectStoredExactlyOnce(
  recorded: ReadonlyArray<Record<string, unknown>>,
  stored: ReadonlyArray<Record<string, unknown>>,
): void {
  const recordedIds = recorded.map((e) => e.id as string);
  expect(new Set(recordedIds).size, 'the script made each id once').toBe(recordedIds.length);
  const storedIds = stored.map((e) => e.id as string);
  const missing = recordedIds.filter((id) => !storedIds.includes(id));
  const describe = (id: string) => {
    const e = recorded.find((r) => r.id === id)!;
    return `${e.type} ${String(e.url).replace(/^https?:\/\/[^/]+/, '')} visitor ${String(e.visitor).slice(0, 8)}`;
  };
  expect(missing.map(describe), 'events queued by the pages but not stored').toEqual([]);
  expect(storedIds.length, 'no event stored twice, none stored that no page made').toBe(recordedIds.length);
  expect(new Set(storedIds)).toEqual(new Set(recordedIds));
}

/** None of the typed values appears anywhere in the stored data (export lines as text, whitespace-insensitive too). */
export function expectNoneStored(stored: ReadonlyArray<Record<string, unknown>>, typed: readonly string[]): void {
  const text = stored
    .map((e) => JSON.stringify(e))
    .join('\n')
    .toLowerCase();
  for (const value of typed) {
    expect(text.includes(value.toLowerCase()), `typed value ${value} stored`).toBe(false);
    const compact = value.replace(/\s+/g, '').toLowerCase();
    expect(text.includes(compact), `typed value ${compact} stored`).toBe(false);
  }
}

/** Sorts report rows for comparison regardless of order. */
export function sortBy<T>(rows: T[], key: (r: T) => string): T[] {
  return [...rows].sort((a, b) => (key(a) < key(b) ? -1 : key(a) > key(b) ? 1 : 0));
}

/**
 * A carts report's recovery numbers agree with its other numbers: no more recovered than purchased, a rate of
 * recovered over recovered + abandoned, a recovered value in some currency exactly when some cart was recovered.
 */
export function expectRecoveryConsistent(carts: Record<string, unknown>): void {
  const { recovered, purchased, abandoned, recovery_rate, recovered_value } = carts as {
    recovered: number;
    purchased: number;
    abandoned: number;
    recovery_rate: number;
    recovered_value: Array<{ currency: string; value: number }>;
  };
  expect(recovered).toBeGreaterThanOrEqual(0);
  expect(recovered).toBeLessThanOrEqual(purchased);
  expect(recovery_rate).toBeCloseTo(recovered + abandoned ? recovered / (recovered + abandoned) : 0, 10);
  expect(recovered_value.length > 0).toBe(recovered > 0);
}
