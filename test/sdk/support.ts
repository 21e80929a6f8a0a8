// What the SDK's browser tests share: a site on the shared collector behind a fault proxy, its test page, and the exactly-once check.
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { exportEvents, registerSite, sharedCollector, uniqueSiteId } from '../harness/collector.ts';
import { startFaultProxy, type FaultProxy } from '../harness/fault-proxy.ts';
import { startStaticServer, type RunningStaticServer } from '../harness/static-server.ts';
import { RECORDER, type Tab } from '../harness/browser.ts';

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
 * test pages, or what `serve` serves (the example shop: `serveShop`); registered for the pages' own origin unless
 * `origins` are given.
 */
export async function openSdkSite(prefix: string, serve = serveTestPages, origins?: string[]): Promise<SdkSite> {
  const { url, adminToken } = sharedCollector();
  const proxy = await startFaultProxy(url);
  const site = uniqueSiteId(prefix);
  const pages = await serve(proxy.url, site);
  const token = await registerSite(url, adminToken, { id: site, origins: origins ?? [pages.url] });
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

/** An inline test page: its HTML (`{{COLLECTOR}}` and `{{SITE}}` filled in, the recorder put first in `<head>`) and headers. */
export interface InlinePage {
  html: string;
  headers?: Record<string, string>;
}

/** The stub and the full tag, as a site's `<head>` has them. */
export const TAG =
  '<script>window.parcours=window.parcours||function(){(parcours.q=parcours.q||[]).push(arguments)}</script>' +
  '<script async src="{{COLLECTOR}}/parcours.js" data-site="{{SITE}}"></script>';

/** Serves `pages` (path → page; any other path answers 404) for `site`, its tag pointed at `collector`. */
async function serveInline(
  pages: Record<string, InlinePage>,
  collector: string,
  site: string,
): Promise<RunningStaticServer> {
  const fill = (text: string) => text.replaceAll('{{COLLECTOR}}', collector).replaceAll('{{SITE}}', site);
  const server = createServer((req, res) => {
    const page = pages[new URL(req.url ?? '/', 'http://x').pathname];
    if (!page) return void res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
    const headers = Object.fromEntries(Object.entries(page.headers ?? {}).map(([k, v]) => [k, fill(v)]));
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-cache', ...headers });
    res.end(fill(page.html).replace(/<head>/i, (head) => head + RECORDER));
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
    },
  };
}

/**
 * A new site whose pages are `pages`, for patterns of real sites the test pages lack; `origins` other than the pages'
 * own (`['*']` for a sandboxed document, whose origin is opaque).
 */
export const openInlineSite = (
  prefix: string,
  pages: Record<string, InlinePage>,
  origins?: string[],
): Promise<SdkSite> => openSdkSite(prefix, (collector, site) => serveInline(pages, collector, site), origins);

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

/**
 * Resolves once the script reports everything it queued acknowledged. When it does not within 30 s, the error says
 * what the page and, given `s`, the collector's proxy saw (a rare stall must explain itself the one time it happens).
 */
export async function flushed(tab: Tab, s?: SdkSite): Promise<void> {
  const flush = () =>
    tab.evaluate(() => (window as unknown as { parcours(n: string): Promise<boolean> }).parcours('flush'));
  try {
    await expect.poll(flush, { timeout: 30_000 }).toBe(true);
  } catch (err) {
    throw new Error(`${(err as Error).message}\n${await stallReport(tab, s)}`, { cause: err });
  }
}

/** The page's Web Locks and connectivity, one more flush (5 s at most), and the proxy's last event requests. */
async function stallReport(tab: Tab, s?: SdkSite): Promise<string> {
  const within = <T>(p: Promise<T>) =>
    Promise.race([
      p.catch((e: unknown) => `failed: ${String(e)}`),
      new Promise((r) => setTimeout(() => r('no answer in 5 s'), 5_000)),
    ]);
  const page = await within(
    tab.evaluate(async () => ({
      online: navigator.onLine,
      locks: await navigator.locks?.query(),
      flush: await Promise.race([
        (window as unknown as { parcours(n: string): Promise<boolean> }).parcours('flush'),
        new Promise((r) => setTimeout(() => r('pending after 4 s'), 4_000)),
      ]),
    })),
  );
  const now = Date.now();
  const requests = (s?.proxy.requests ?? [])
    .slice(-10)
    .map((r) => `${r.outcome} ${r.body.length} B ${now - r.at} ms ago`);
  return `page: ${JSON.stringify(page)}; last event requests: ${requests.join(', ') || 'none'}`;
}

/**
 * Every recorded event is stored exactly once and nothing else of these visitors is stored; no
 * request body the browser sent holds any of `secrets`. Returns the stored events.
 * `unrecordedLeaves`: in Firefox, a closing tab's last localStorage write (the harness recorder's, not the tag's) is
 * sometimes lost, so the page_leave that tab sent is stored but was never recorded: up to that many stored rows nobody
 * recorded may be such page_leaves (one per closed tab at most), and nothing else.
 */
export async function expectDeliveredOnce(
  s: SdkSite,
  recorded: ReadonlyArray<Record<string, unknown>>,
  secrets: readonly string[] = [],
  unrecordedLeaves = 0,
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
  const unrecorded = stored.filter((e) => !ids.includes(e.id as string));
  const excused =
    unrecorded.length <= unrecordedLeaves && unrecorded.every((e) => e.type === 'page_leave') ? unrecorded : [];
  expect(
    stored
      .filter((e) => !excused.includes(e))
      .map((e) => e.id)
      .sort(),
    'stored exactly the recorded events, once each',
  ).toEqual([...ids].sort());
  const bodies = s.proxy.requests.map((r) => r.body).join('\n');
  for (const secret of secrets) expect(bodies.includes(secret), `${secret} sent`).toBe(false);
  return stored;
}
