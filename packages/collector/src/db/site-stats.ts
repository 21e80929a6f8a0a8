// Per-site daily counters: events and bytes stored (for the quotas), and events not stored: dropped by the outbox, sent by bots, refused by the database or a quota, dead in the queue.
import { TABLE } from './schema.ts';

export interface SiteCounts {
  /** Events stored that day, and the bytes of their stored JSON: what the daily quotas count. */
  events: number;
  bytes: number;
  dropped: number;
  bot_events: number;
  bot_batches: number;
  storage_failed: number;
  /** Valid events refused because the site or the visitor was over a daily quota, and the batches they came in. */
  quota_events: number;
  quota_batches: number;
  /** Events of queued batches that could never be stored (their retries ran out: the dead-letter queue), and those batches. */
  dead_events: number;
  dead_batches: number;
}

const NO_COUNTS: SiteCounts = {
  events: 0,
  bytes: 0,
  dropped: 0,
  bot_events: 0,
  bot_batches: 0,
  storage_failed: 0,
  quota_events: 0,
  quota_batches: 0,
  dead_events: 0,
  dead_batches: 0,
};

const COUNTERS = Object.keys(NO_COUNTS) as Array<keyof SiteCounts>;

/** A statement adding counts to a site's row of `day` (YYYY-MM-DD), or null when all are zero. */
export function siteCountsStatement(
  db: D1Database,
  site: string,
  day: string,
  counts: Partial<SiteCounts>,
): D1PreparedStatement | null {
  const c = { ...NO_COUNTS, ...counts };
  if (COUNTERS.every((k) => !c[k])) return null;
  return db
    .prepare(
      `INSERT INTO ${TABLE.site_stats} (site, day, ${COUNTERS.join(', ')}) VALUES (?, ?, ${COUNTERS.map(() => '?').join(', ')})
       ON CONFLICT (site, day) DO UPDATE SET ${COUNTERS.map((k) => `${k} = ${k} + excluded.${k}`).join(', ')}`,
    )
    .bind(site, day, ...COUNTERS.map((k) => c[k]));
}

/** Adds counts to a site's row of `day` (YYYY-MM-DD); does nothing when all are zero. */
export async function addSiteCounts(
  db: D1Database,
  site: string,
  day: string,
  counts: Partial<SiteCounts>,
): Promise<void> {
  await siteCountsStatement(db, site, day, counts)?.run();
}

/**
 * A statement adding `dropped` to a site's `day` row only if one of these event ids is not stored yet.
 * Run in the same batch right before the insert of those events (one transaction), it is true exactly
 * when that insert stores something: a batch's drops count once, never again when it is resent.
 */
export function addDroppedIfNewStatement(
  db: D1Database,
  site: string,
  day: string,
  dropped: number,
  ids: string[],
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.site_stats} (site, day, dropped) SELECT ?1, ?2, ?3
       WHERE EXISTS (SELECT 1 FROM json_each(?4) AS j WHERE NOT EXISTS (SELECT 1 FROM ${TABLE.events} AS e WHERE e.site = ?1 AND e.id = j.value))
       ON CONFLICT (site, day) DO UPDATE SET dropped = dropped + excluded.dropped`,
    )
    .bind(site, day, dropped, JSON.stringify(ids));
}

/** A site's counters per day (oldest first) and their totals. */
export async function getSiteCounts(
  db: D1Database,
  site: string,
): Promise<{ days: Array<SiteCounts & { day: string }>; totals: SiteCounts }> {
  const { results } = await db
    .prepare(`SELECT day, ${COUNTERS.join(', ')} FROM ${TABLE.site_stats} WHERE site = ? ORDER BY day`)
    .bind(site)
    .all<SiteCounts & { day: string }>();
  const totals = { ...NO_COUNTS };
  for (const d of results) for (const k of COUNTERS) totals[k] += d[k];
  return { days: results, totals };
}
