// What a move (move.ts) reads from an old shard and stores in a new one, over a shard's D1-shaped database: a page of
// raw events in insertion order with their visitors' sessions (whose dimensions came from a User-Agent and a country
// that are not stored, so derivation could not make them again) and abandoned-cart claims. Derived rows, rollups and
// saved states are not carried: the new shard derives each visitor it receives from their events, as ingestion does.
import { EVENT_COLUMNS, isPathField, SESSIONS, type SessionRow, TABLE } from '../db/schema.ts';
import { pathTextSql, type EventRow } from '../db/insert-sql.ts';
import { upsertSessionStatements } from '../db/sessions.ts';
import type { Site } from '../db/sites.ts';
import { writeThenDerive } from '../derive/index.ts';
import { storeStatements, utcDay } from '../ingest/store-batch.ts';
import { erasedSince, erasureGuard, readErasures } from '../queue-ingest/erasures.ts';

/** An abandoned-cart claim (`cart_abandonments`): carried with its visitor so a new shard never decides the cart again. */
interface MovedClaim {
  cart_id: string;
  visitor: string;
  abandoned_at: number;
  customer: string | null;
  recovered_at: number | null;
}

/** A page of an old shard's events by `seq` (each row with its receive time), with what belongs to their visitors. */
export interface MovePage {
  events: Array<{ row: EventRow; received_at: number }>;
  sessions: SessionRow[];
  claims: MovedClaim[];
  /** The `seq` of the page's last event: the move's cursor (null for an empty page). */
  last: number | null;
}

const EVENT_SELECT = EVENT_COLUMNS.map((c) => (isPathField(c) ? `${pathTextSql('e.path_id')} AS ${c}` : `e.${c}`)).join(
  ', ',
);

const CLAIM_COLUMNS = ['cart_id', 'visitor', 'abandoned_at', 'customer', 'recovered_at'] as const;

/** Up to `limit` of the site's events after `seq` `after`, in insertion order, with their visitors' sessions and claims. */
export async function readMovePage(db: D1Database, site: string, after: number, limit: number): Promise<MovePage> {
  const { results } = await db
    .prepare(
      `SELECT e.seq, e.received_at, ${EVENT_SELECT} FROM ${TABLE.events} AS e
        WHERE e.site = ?1 AND e.seq > ?2 ORDER BY e.seq LIMIT ?3`,
    )
    .bind(site, after, limit)
    .all<EventRow & { seq: number; received_at: number }>();
  if (!results.length) return { events: [], sessions: [], claims: [], last: null };
  const visitors = JSON.stringify([...new Set(results.map((r) => r.visitor))]);
  const [sessions, claims] = await db.batch([
    db
      .prepare(
        `SELECT ${SESSIONS.columns.join(', ')} FROM ${TABLE.sessions}
          WHERE site = ?1 AND visitor IN (SELECT value FROM json_each(?2))`,
      )
      .bind(site, visitors),
    db
      .prepare(
        `SELECT ${CLAIM_COLUMNS.join(', ')} FROM ${TABLE.cart_abandonments}
          WHERE site = ?1 AND visitor IN (SELECT value FROM json_each(?2))`,
      )
      .bind(site, visitors),
  ]);
  return {
    events: results.map(({ seq: _, received_at, ...row }) => ({ row, received_at })),
    sessions: sessions!.results as SessionRow[],
    claims: claims!.results as MovedClaim[],
    last: results[results.length - 1]!.seq,
  };
}

/** Deletes the site's events up to `seq` `through` (a page the move has stored in the new shards). */
export async function deleteMovedThrough(db: D1Database, site: string, through: number): Promise<void> {
  await db.prepare(`DELETE FROM ${TABLE.events} WHERE site = ?1 AND seq <= ?2`).bind(site, through).run();
}

const utf8 = new TextEncoder();

const sessionKey = (r: { visitor: string; session: string }) => JSON.stringify([r.visitor, r.session]);

/**
 * Stores a page (or its part for this shard) and derives the visitors it brought: each event id once (a page copied
 * again stores nothing again), none of a visitor erased in this shard after the event was received (an erasure during
 * the move reaches both generations: a page read before it must not bring the visitor back), their sessions'
 * dimensions and cart claims. The events count in the usage of the day they were received (a shard's quota counts what
 * it holds). Answers the events newly stored; throws when the write failed (nothing of it was stored).
 */
export async function storeMovePage(
  db: D1Database,
  site: Pick<Site, 'id' | 'stages'>,
  page: MovePage,
): Promise<number> {
  const ids = JSON.stringify(page.events.map((e) => e.row.id));
  const known = await db
    .prepare(`SELECT id FROM ${TABLE.events} WHERE site = ?1 AND id IN (SELECT value FROM json_each(?2))`)
    .bind(site.id, ids)
    .all<{ id: string }>();
  const stored = new Set(known.results.map((r) => r.id));
  const byReceived = new Map<number, EventRow[]>();
  for (const { row, received_at } of page.events)
    if (!stored.has(row.id)) byReceived.set(received_at, [...(byReceived.get(received_at) ?? []), row]);
  const erasures = await readErasures(db, site.id);
  const writes = [erasureGuard(db, site.id, erasures)];
  const fresh: EventRow[] = [];
  const erased = new Set<string>();
  for (const [receivedAt, rows] of [...byReceived].sort(([a], [b]) => a - b)) {
    const gone = await erasedSince(
      erasures,
      rows.map((r) => r.visitor),
      receivedAt,
    );
    for (const v of gone) erased.add(v);
    const kept = rows.filter((r) => !gone.has(r.visitor));
    if (!kept.length) continue;
    fresh.push(...kept);
    const part = storeStatements(db, site.id, {
      day: utcDay(receivedAt),
      receivedAt,
      rows: kept,
      counted: kept.map((r) => ({ id: r.id, visitor: r.visitor, bytes: utf8.encode(r.data).length })),
      sessions: [],
      dropped: 0,
    });
    writes.push(...part.counters, ...part.paths, ...part.inserts, ...part.afterInsert);
  }
  // An erased visitor's sessions and claims come only with events of theirs this shard keeps (sent after the erasure).
  const kept = new Set(
    page.events
      .filter(({ row }) => !erased.has(row.visitor) || stored.has(row.id) || fresh.includes(row))
      .map(({ row }) => sessionKey(row)),
  );
  const sessions = page.sessions.filter((s) => !erased.has(s.visitor) || kept.has(sessionKey(s)));
  const claims = page.claims.filter((c) => !erased.has(c.visitor));
  writes.push(...upsertSessionStatements(db, site.id, sessions));
  if (claims.length)
    writes.push(
      db
        .prepare(
          `INSERT INTO ${TABLE.cart_abandonments} (site, ${CLAIM_COLUMNS.join(', ')})
           SELECT ?1, ${CLAIM_COLUMNS.map((_, i) => `json_extract(c.value, '$[${i}]')`).join(', ')}
             FROM json_each(?2) AS c WHERE true
           ON CONFLICT (site, cart_id) DO UPDATE SET recovered_at = IFNULL(recovered_at, excluded.recovered_at)`,
        )
        .bind(site.id, JSON.stringify(claims.map((c) => CLAIM_COLUMNS.map((k) => c[k])))),
    );
  const results = await writeThenDerive(db, site, writes, fresh);
  if (!results) throw new Error('the write of a moved page failed');
  return fresh.length;
}
