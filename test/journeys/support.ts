// What every journey test needs: a site of its own on the shared collector, the shop served for it, delivery checks.
import { expect } from 'vitest';
import { exportEvents, registerSite, sharedCollector, uniqueSiteId } from '../harness/collector.ts';
import { serveShop, serveSpa, type RunningStaticServer } from '../harness/static-server.ts';

export interface ShopSite {
  collector: string;
  site: string;
  token: string;
  /** The shop's origin, e.g. `http://127.0.0.1:41234`. */
  shop: string;
  stop(): Promise<void>;
}

/** Serves the shop (or its SPA) for a new site registered on the shared collector with the shop's origin. */
export async function openShopSite(prefix: string, { spa = false } = {}): Promise<ShopSite> {
  const { url, adminToken } = sharedCollector();
  const site = uniqueSiteId(prefix);
  const server: RunningStaticServer = await (spa ? serveSpa : serveShop)(url, site);
  const token = await registerSite(url, adminToken, { id: site, origins: [server.url] });
  return { collector: url, site, token, shop: server.url, stop: () => server.stop() };
}

/** Polls the events export until every id in `ids` is stored (or `timeoutMs` passes), then returns the export. */
export async function waitForStored(s: ShopSite, ids: readonly string[], timeoutMs = 30_000): Promise<Array<Record<string, unknown>>> {
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
export function expectStoredExactlyOnce(recorded: ReadonlyArray<Record<string, unknown>>, stored: ReadonlyArray<Record<string, unknown>>): void {
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
  const text = stored.map((e) => JSON.stringify(e)).join('\n').toLowerCase();
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
