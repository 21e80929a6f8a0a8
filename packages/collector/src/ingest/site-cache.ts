// The site rows ingestion reads, kept in this isolate for a few seconds: one D1 read fewer per batch.
import { getSite, type Site } from '../db/sites.ts';

/**
 * What ingestion needs of a site. Never the read-token hash: the reports API checks tokens against a
 * fresh row (`auth.ts`), and nothing in this cache could let a rotated token read.
 */
export type IngestSite = Omit<Site, 'readTokenHash'>;

/**
 * How long a site row is reused, in ms. An admin change made through this isolate takes effect at
 * once (the admin routes forget the site); one made through another isolate within this time.
 */
export const SITE_CACHE_TTL_MS = 5_000;

/** Most sites kept: a flood of made-up ids never reaches the cache (unknown sites are not kept). */
const MAX_SITES = 1_000;

const cache = new Map<string, { site: IngestSite; until: number }>();

function withoutToken({ readTokenHash: _, ...site }: Site): IngestSite {
  return site;
}

/**
 * The site with this id, from this isolate's cache when read less than SITE_CACHE_TTL_MS ago, else
 * from D1. An unknown site is never kept, so a site registered anywhere is accepted at its first batch.
 */
export async function cachedSite(db: D1Database, id: string, now = Date.now()): Promise<IngestSite | null> {
  const hit = cache.get(id);
  if (hit && hit.until > now) return hit.site;
  return freshSite(db, id, now);
}

/** The site read from D1 now (and kept for the next batches): for refusals, which must never rest on a stale row. */
export async function freshSite(db: D1Database, id: string, now = Date.now()): Promise<IngestSite | null> {
  const row = await getSite(db, id);
  cache.delete(id);
  if (!row) return null;
  const site = withoutToken(row);
  if (cache.size >= MAX_SITES) cache.delete(cache.keys().next().value!);
  cache.set(id, { site, until: now + SITE_CACHE_TTL_MS });
  return site;
}

/** Drops a site from this isolate's cache: the admin routes call it after every change to the site. */
export function forgetSite(id: string): void {
  cache.delete(id);
}
