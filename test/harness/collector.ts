// Test access to a running collector: register sites, read reports and the events export.
import { inject } from 'vitest';
import { registerSite as registerProcess, UNLIMITED_QUOTA, type SiteConfig } from '../../scripts/collector-process.mjs';

export type { SiteConfig };

/** The collector the global setup started for the whole run: sites registered on it with unique ids keep tests apart. */
export function sharedCollector(): { url: string; adminToken: string } {
  return { url: inject('collectorUrl'), adminToken: inject('adminToken') };
}

/**
 * Registers a site and returns its read token; throws if it exists already. Unless `site.quota` says otherwise, the
 * site has no practical quota: the reliability scenarios send one visitor's 5,000 events in minutes.
 */
export async function registerSite(url: string, adminToken: string, site: SiteConfig): Promise<string> {
  const token = await registerProcess(url, adminToken, { quota: UNLIMITED_QUOTA, ...site });
  if (!token) throw new Error(`site ${site.id} exists already`);
  return token;
}

/** A site id nobody else in this run uses. */
export function uniqueSiteId(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Every stored event of a site, oldest first, paging through the NDJSON export by `x-next-cursor`. */
export async function exportEvents(
  url: string,
  site: string,
  readToken: string,
): Promise<Array<Record<string, unknown>>> {
  const out: Array<Record<string, unknown>> = [];
  let cursor: string | null = null;
  for (let page = 0; page < 10_000; page++) {
    const q = new URLSearchParams(WIDE_RANGE);
    if (cursor) q.set('cursor', cursor);
    const res = await fetch(`${url}/v1/sites/${encodeURIComponent(site)}/events?${q}`, {
      headers: { authorization: `Bearer ${readToken}` },
    });
    if (res.status !== 200) throw new Error(`events export: ${res.status} ${await res.text()}`);
    for (const line of (await res.text()).split('\n'))
      if (line.trim()) out.push(JSON.parse(line) as Record<string, unknown>);
    cursor = res.headers.get('x-next-cursor');
    if (!cursor) return out;
  }
  throw new Error('events export did not end after 10 000 pages');
}

// Reports default to the last 30 days; tests ask for a range that surely holds what they just did.
const WIDE_RANGE = {
  from: new Date(Date.now() - 40 * 86_400_000).toISOString(),
  to: new Date(Date.now() + 86_400_000).toISOString(),
};

/** One report as JSON (`funnel`, `transitions`, `friction`, `forms`, `carts`, `kpis`); `query` adds parameters. */
export async function report<T = Record<string, unknown>>(
  url: string,
  site: string,
  token: string,
  name: string,
  query: Record<string, string | number> = {},
): Promise<T> {
  const q = new URLSearchParams({ ...WIDE_RANGE, to: new Date(Date.now() + 86_400_000).toISOString() });
  for (const [k, v] of Object.entries(query)) q.set(k, String(v));
  const res = await fetch(`${url}/v1/sites/${encodeURIComponent(site)}/${name}?${q}`, {
    headers: { authorization: `Bearer ${token}` },
  });
  if (res.status !== 200) throw new Error(`report ${name}: ${res.status} ${await res.text()}`);
  return (await res.json()) as T;
}

declare module 'vitest' {
  export interface ProvidedContext {
    collectorUrl: string;
    adminToken: string;
  }
}
