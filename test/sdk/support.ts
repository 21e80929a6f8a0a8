// What the SDK's browser tests share: a site on the shared collector behind a fault proxy, its test page, and the exactly-once check.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { exportEvents, registerSite, sharedCollector, uniqueSiteId } from '../harness/collector.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { startStaticServer, type RunningStaticServer } from '../harness/static-server.ts';
import type { Tab } from '../harness/browser.ts';

export interface SdkSite {
  site: string;
  token: string;
  collector: string;
  /** The test page's origin. */
  origin: string;
  proxy: FaultProxy;
  stop(): Promise<void>;
}

/** Serves the SDK's test pages (`test/sdk/pages`, every path without a file answering the index) for `site`. */
const serveTestPages = (collector: string, site: string): Promise<RunningStaticServer> =>
  startStaticServer({ dir: join(fileURLToPath(new URL('.', import.meta.url)), 'pages'), collector, site, spa: true });

/**
 * A new site whose pages load the built script through the fault proxy (its endpoint is the proxy too): the SDK's
 * test pages, or what `serve` serves (the example shop: `serveShop`).
 */
export async function openSdkSite(prefix: string, serve = serveTestPages): Promise<SdkSite> {
  const { url, adminToken } = sharedCollector();
  const proxy = await startFaultProxy(url);
  const site = uniqueSiteId(prefix);
  const pages = await serve(proxy.url, site);
  const token = await registerSite(url, adminToken, { id: site, origins: [pages.url] });
  return {
    site,
    token,
    collector: url,
    origin: pages.url,
    proxy,
    async stop() {
      await pages.stop();
      await proxy.stop();
    },
  };
}

/** Opens `path` of the test page and waits until the script has started. */
export async function load(tab: Tab, s: SdkSite, path = '/'): Promise<void> {
  await tab.goto(s.origin + path);
  await tab.waitFor(() => (window as unknown as { parcours?: { l?: number } }).parcours?.l === 1);
}

/** Queues a custom event in the page. */
export const track = (tab: Tab, type: string, props: Record<string, unknown> = {}) =>
  tab.evaluate(([t, p]) => (window as unknown as { parcours(...a: unknown[]): void }).parcours('track', t, p), [
    type,
    props,
  ] as [string, Record<string, unknown>]);

/** Resolves once the script reports everything it queued acknowledged. */
export const flushed = (tab: Tab) =>
  expect
    .poll(
      () => tab.evaluate(() => (window as unknown as { parcours(n: string): Promise<boolean> }).parcours('flush')),
      { timeout: 30_000 },
    )
    .toBe(true);

/**
 * Every recorded event is stored exactly once and nothing else of these visitors is stored; no
 * request body the browser sent holds any of `secrets`. Returns the stored events.
 */
export async function expectDeliveredOnce(
  s: SdkSite,
  recorded: ReadonlyArray<Record<string, unknown>>,
  secrets: readonly string[] = [],
) {
  const ids = recorded.map((e) => e.id as string);
  expect(new Set(ids).size, 'each id made once').toBe(ids.length);
  const visitors = new Set(recorded.map((e) => e.visitor));
  let stored: Array<Record<string, unknown>> = [];
  await expect
    .poll(
      async () => {
        stored = (await exportEvents(s.collector, s.site, s.token)).filter((e) => visitors.has(e.visitor));
        return ids.filter((id) => !stored.some((e) => e.id === id)).length;
      },
      { timeout: 30_000, interval: 500 },
    )
    .toBe(0);
  expect(stored.map((e) => e.id).sort(), 'stored exactly the recorded events, once each').toEqual([...ids].sort());
  const bodies = s.proxy.requests.map((r) => r.body).join('\n');
  for (const secret of secrets) expect(bodies.includes(secret), `${secret} sent`).toBe(false);
  return stored;
}
