// What a site and its visitors stored today, for the daily quotas: read before a batch, added in the batch's own transaction.
import { guardStatement } from './guards.ts';
import { TABLE } from './schema.ts';
import type { Quota } from './sites.ts';

/** A site's usage of the day: events and bytes stored, events of each visitor asked about, and ids stored already. */
export interface Usage {
  events: number;
  bytes: number;
  visitors: Map<string, number>;
  /** The ids asked about that the site has stored already: they take nothing from a quota. */
  stored: Set<string>;
}

/** One stored row as the usage counts it. */
export interface CountedRow {
  id: string;
  visitor: string;
  /** UTF-8 length of the event's stored JSON. */
  bytes: number;
}

/** Entries per usage statement: [id, bytes, visitor] of up to 64 + 64 characters each, well under D1's 100 KB. */
const ENTRIES_PER_STATEMENT = 200;

/** The usage of a day nothing was stored yet: a batch fitted to it fits as if nothing were used. */
export const noUsage = (): Usage => ({ events: 0, bytes: 0, visitors: new Map(), stored: new Set() });

/**
 * The site's usage of `day` (YYYY-MM-DD), that of these rows' visitors and which of their ids the site has stored
 * already, in one round trip.
 */
export async function readUsage(
  db: D1Database,
  site: string,
  day: string,
  rows: Array<Pick<CountedRow, 'id' | 'visitor'>>,
): Promise<Usage> {
  const [totals, perVisitor, stored] = await db.batch<Record<string, unknown>>([
    db.prepare(`SELECT events, bytes FROM ${TABLE.site_stats} WHERE site = ?1 AND day = ?2`).bind(site, day),
    db
      .prepare(
        `SELECT visitor, events FROM ${TABLE.visitor_days} WHERE site = ?1 AND day = ?2 AND visitor IN (SELECT value FROM json_each(?3))`,
      )
      .bind(site, day, JSON.stringify([...new Set(rows.map((r) => r.visitor))])),
    db
      .prepare(`SELECT id FROM ${TABLE.events} WHERE site = ?1 AND id IN (SELECT value FROM json_each(?2))`)
      .bind(site, JSON.stringify(rows.map((r) => r.id))),
  ]);
  const t = (totals!.results[0] ?? {}) as { events?: number; bytes?: number };
  const map = new Map<string, number>();
  for (const r of perVisitor!.results as Array<{ visitor: string; events: number }>) map.set(r.visitor, r.events);
  const ids = new Set((stored!.results as Array<{ id: string }>).map((r) => r.id));
  return { events: t.events ?? 0, bytes: t.bytes ?? 0, visitors: map, stored: ids };
}

/**
 * The statements adding these rows to the usage of `day`, counting only rows whose id the site has not
 * stored yet: run in the same batch right before their insert (one transaction), they add exactly what it
 * stores, so a resent batch is not counted twice. The first deletes the site's per-visitor counts of
 * earlier days (only today's are read): a seek that finds nothing but on a site's first batch of a day.
 * With `sign` -1 they take back out rows counted but then not stored (the database refused them).
 */
export function addUsageStatements(
  db: D1Database,
  site: string,
  day: string,
  rows: CountedRow[],
  sign: 1 | -1 = 1,
): D1PreparedStatement[] {
  const out = [db.prepare(`DELETE FROM ${TABLE.visitor_days} WHERE site = ?1 AND day < ?2`).bind(site, day)];
  const isNew = `NOT EXISTS (SELECT 1 FROM ${TABLE.events} AS e WHERE e.site = ?1 AND e.id = json_extract(j.value, '$[0]'))`;
  for (let i = 0; i < rows.length; i += ENTRIES_PER_STATEMENT) {
    const json = JSON.stringify(rows.slice(i, i + ENTRIES_PER_STATEMENT).map((r) => [r.id, r.bytes, r.visitor]));
    out.push(
      db
        .prepare(
          `INSERT INTO ${TABLE.site_stats} (site, day, events, bytes)
           SELECT ?1, ?2, ?4 * COUNT(*), ?4 * IFNULL(SUM(json_extract(j.value, '$[1]')), 0) FROM json_each(?3) AS j WHERE ${isNew}
           ON CONFLICT (site, day) DO UPDATE SET events = events + excluded.events, bytes = bytes + excluded.bytes`,
        )
        .bind(site, day, json, sign),
      db
        .prepare(
          `INSERT INTO ${TABLE.visitor_days} (site, day, visitor, events)
           SELECT ?1, ?2, json_extract(j.value, '$[2]') AS visitor, ?4 * COUNT(*) FROM json_each(?3) AS j WHERE ${isNew} GROUP BY visitor
           ON CONFLICT (site, day, visitor) DO UPDATE SET events = events + excluded.events`,
        )
        .bind(site, day, json, sign),
    );
  }
  return out;
}

/**
 * Fails its batch (the `quota_race` guard) when, after the batch's usage statements, the day's usage of the site or of
 * one of the visitors of its new rows is past the quota: another batch stored in between the usage read and this one.
 * Run right after addUsageStatements and before the insert, in one transaction: batches in flight never pass a quota
 * together. Rows whose id is stored already took nothing, so a batch of those alone passes even a full quota (a
 * resend is answered as duplicates), and they never fail a batch by their visitor's usage.
 */
export function quotaGuardStatement(
  db: D1Database,
  site: string,
  day: string,
  rows: Array<Pick<CountedRow, 'id' | 'visitor'>>,
  quota: Quota,
): D1PreparedStatement {
  // A row of the batch not stored yet (the insert comes after this guard), of visitor `who` (SQL) or of anyone.
  const fresh = (who: string) => `EXISTS (SELECT 1 FROM json_each(?5) AS j
    WHERE ${who} NOT EXISTS (SELECT 1 FROM ${TABLE.events} AS e WHERE e.site = ?1 AND e.id = json_extract(j.value, '$[0]')))`;
  // Each new-row check runs only once a site or visitor is past its quota: nearly never, so the common path pays none.
  return guardStatement(
    db,
    'quota_race',
    `(EXISTS (SELECT 1 FROM ${TABLE.site_stats} WHERE site = ?1 AND day = ?2 AND (events > ?3 OR bytes > ?4))
        AND ${fresh('')})
      OR EXISTS (SELECT 1 FROM ${TABLE.visitor_days} AS v WHERE v.site = ?1 AND v.day = ?2
                  AND v.visitor IN (SELECT json_extract(value, '$[1]') FROM json_each(?5)) AND v.events > ?6
                  AND ${fresh("json_extract(j.value, '$[1]') = v.visitor AND")})`,
    [
      site,
      day,
      quota.events_per_day,
      quota.bytes_per_day,
      JSON.stringify(rows.map((r) => [r.id, r.visitor])),
      quota.events_per_visitor_per_day,
    ],
  );
}
