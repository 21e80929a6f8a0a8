// An erasure wins over batches still in the ingestion queue: each erasure is recorded with its time under a keyed
// hash of the visitor (erased_visitors), and the consumer drops a visitor's rows from any batch received before their
// erasure. docs/PROTOCOL.md ("Queued ingestion", "Erasure") says what a user may rely on.
import { newToken, sha256Hex } from '../auth.ts';
import { guardStatement } from '../db/guards.ts';
import { DAY_MS, TABLE } from '../db/schema.ts';
import { eraseVisitorWebhookStatements } from '../db/webhooks.ts';
import { eraseVisitorStatements } from '../derive/store.ts';

/**
 * How long an erasure is remembered: longer than any batch can wait in the queue. Cloudflare Queues keep a message
 * at most 4 days unless the queue is set to keep them longer (its retries, wrangler.jsonc, span about 35 hours).
 */
export const ERASURE_MEMORY_MS = 4 * DAY_MS;

/**
 * A site's recent erasures, as read at its erasure counter `count`: each erased visitor's hash and latest erasure. The
 * hashes are under `keys`: this database's own key first, then those of the shards a move brought records from.
 */
export interface SiteErasures {
  count: number;
  keys: string[];
  erasedAt: Map<string, number>;
}

/** A database's erasure memory as a move hands it to the new shards: its keys and its records still remembered. */
export interface ErasureMemory {
  keys: string[];
  erased: Array<{ hash: string; at: number }>;
}

/** The keyed hash naming an erased visitor: SHA-256 of the site's random key and the id. */
function visitorHash(key: string, visitor: string): Promise<string> {
  return sha256Hex(`${key}\u0000${visitor}`);
}

/**
 * Each site's erasures as this isolate last read them, per database: several shards of one site may share an isolate,
 * and each has its own key and records. A stale entry only costs a retry (see `erasureGuard`).
 */
const known = new WeakMap<D1Database, Map<string, SiteErasures>>();

/** Reads a site's erasures from the database (and keeps them for `cachedErasures`). */
export async function readErasures(db: D1Database, site: string): Promise<SiteErasures> {
  const row = await db
    .prepare(
      `SELECT s.erasures AS count, s.hash_key AS key, s.inherited_keys AS inherited,
              (SELECT json_group_array(json_array(e.visitor_hash, e.erased_at))
                 FROM ${TABLE.erased_visitors} AS e WHERE e.site = s.site) AS erased
         FROM ${TABLE.site_erasures} AS s WHERE s.site = ?1`,
    )
    .bind(site)
    .first<{ count: number; key: string | null; inherited: string | null; erased: string }>();
  const erasures: SiteErasures = {
    count: row?.count ?? 0,
    keys: [...(row?.key ? [row.key] : []), ...(JSON.parse(row?.inherited ?? '[]') as string[])],
    erasedAt: new Map(row ? (JSON.parse(row.erased) as Array<[string, number]>) : []),
  };
  const sites = known.get(db) ?? new Map<string, SiteErasures>();
  known.set(db, sites.set(site, erasures));
  return erasures;
}

/** A site's erasures as last read here, or read now. */
export async function cachedErasures(db: D1Database, site: string): Promise<SiteErasures> {
  return known.get(db)?.get(site) ?? readErasures(db, site);
}

/**
 * A guard for a write made with `erasures`: it fails the write's batch (one transaction) when the site's erasure
 * counter moved since they were read, so a visitor erased in between is never stored; the writer reads them again.
 */
export function erasureGuard(db: D1Database, site: string, erasures: SiteErasures): D1PreparedStatement {
  return guardStatement(
    db,
    'erased_since_read',
    `IFNULL((SELECT erasures FROM ${TABLE.site_erasures} WHERE site = ?1), 0) != ?2`,
    [site, erasures.count],
  );
}

/** The visitors among these erased at or after `receivedAt`: their rows of a batch received then are not stored. */
export async function erasedSince(
  erasures: SiteErasures,
  visitors: string[],
  receivedAt: number,
): Promise<Set<string>> {
  const erased = new Set<string>();
  if (erasures.erasedAt.size === 0) return erased;
  for (const visitor of new Set(visitors))
    for (const key of erasures.keys) {
      const at = erasures.erasedAt.get(await visitorHash(key, visitor));
      if (at !== undefined && at >= receivedAt) erased.add(visitor);
    }
  return erased;
}

/** What a move hands on of a site's erasure memory here: its keys and the records not yet forgotten. */
export async function erasureMemory(db: D1Database, site: string): Promise<ErasureMemory> {
  const { keys, erasedAt } = await readErasures(db, site);
  return { keys, erased: Array.from(erasedAt, ([hash, at]) => ({ hash, at })) };
}

/**
 * Takes on erasure memories a move brought from the old shards (`erasureMemory` there): their records under their own
 * keys, so that a batch queued before one of those erasures and delivered to this shard after the move is dropped too.
 * The erasure counter moves, so a write that read the memory before fails its guard and reads it again.
 */
export async function inheritErasures(db: D1Database, site: string, memories: ErasureMemory[]): Promise<void> {
  const keys = [...new Set(memories.flatMap((m) => m.keys))];
  const erased = memories.flatMap((m) => m.erased);
  if (!keys.length) return;
  await db.batch([
    db
      .prepare(
        `INSERT INTO ${TABLE.site_erasures} (site, erasures, inherited_keys) VALUES (?1, 1, ?2)
         ON CONFLICT (site) DO UPDATE SET erasures = erasures + 1,
           inherited_keys = (SELECT json_group_array(DISTINCT value) FROM (
                               SELECT value FROM json_each(IFNULL(inherited_keys, '[]'))
                               UNION ALL SELECT value FROM json_each(?2)))`,
      )
      .bind(site, JSON.stringify(keys)),
    db
      .prepare(
        `INSERT INTO ${TABLE.erased_visitors} (site, visitor_hash, erased_at)
         SELECT ?1, value ->> '$.hash', value ->> '$.at' FROM json_each(?2) WHERE true
         ON CONFLICT (site, visitor_hash) DO UPDATE SET erased_at = max(erased_at, excluded.erased_at)`,
      )
      .bind(site, JSON.stringify(erased)),
  ]);
}

/** Statements deleting everything stored of one visitor (their webhook deliveries and cart claims too). Last: the events. */
export function erasureStatements(db: D1Database, site: string, visitor: string): D1PreparedStatement[] {
  return [...eraseVisitorWebhookStatements(db, site, visitor), ...eraseVisitorStatements(db, site, visitor)];
}

/**
 * Erases one visitor of a site at `now`, in one transaction with `also` (other statements of the same database about
 * them: their webhook deliveries and cart claims where those live in it), and remembers the erasure for the queue's
 * consumer. Answers how many events were erased.
 */
export async function eraseVisitor(
  db: D1Database,
  site: string,
  visitor: string,
  now: number,
  also: D1PreparedStatement[] = [],
): Promise<number> {
  // The site's hash key, made at its first erasure. A new row counts no erasure yet: 0, as no row did.
  const keyRow = await db
    .prepare(
      `INSERT INTO ${TABLE.site_erasures} (site, erasures, hash_key) VALUES (?1, 0, ?2)
       ON CONFLICT (site) DO UPDATE SET hash_key = IFNULL(hash_key, excluded.hash_key) RETURNING hash_key`,
    )
    .bind(site, newToken())
    .first<{ hash_key: string }>();
  const results = await db.batch([
    db
      .prepare(
        `INSERT INTO ${TABLE.erased_visitors} (site, visitor_hash, erased_at) VALUES (?1, ?2, ?3)
         ON CONFLICT (site, visitor_hash) DO UPDATE SET erased_at = max(erased_at, excluded.erased_at)`,
      )
      .bind(site, await visitorHash(keyRow!.hash_key, visitor), now),
    ...also,
    ...eraseVisitorStatements(db, site, visitor),
  ]);
  return results[results.length - 1]!.meta.changes;
}

/** Forgets erasures older than ERASURE_MEMORY_MS (no queued batch is older); answers how many. The schedule runs it. */
export async function forgetOldErasures(db: D1Database, now: number): Promise<number> {
  const result = await db
    .prepare(`DELETE FROM ${TABLE.erased_visitors} WHERE erased_at < ?`)
    .bind(now - ERASURE_MEMORY_MS)
    .run();
  return result.meta.changes;
}
