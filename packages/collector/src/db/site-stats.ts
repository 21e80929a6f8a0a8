// Per-site daily counters of events that are not stored: dropped by the outbox, sent by bots, refused by the database.

export interface SiteCounts {
  dropped: number;
  bot_events: number;
  bot_batches: number;
  storage_failed: number;
}

export const NO_COUNTS: SiteCounts = { dropped: 0, bot_events: 0, bot_batches: 0, storage_failed: 0 };

/** Adds counts to a site's row of `day` (YYYY-MM-DD); does nothing when all are zero. */
export async function addSiteCounts(db: D1Database, site: string, day: string, counts: Partial<SiteCounts>): Promise<void> {
  const c = { ...NO_COUNTS, ...counts };
  if (!c.dropped && !c.bot_events && !c.bot_batches && !c.storage_failed) return;
  await db
    .prepare(
      `INSERT INTO site_stats (site, day, dropped, bot_events, bot_batches, storage_failed) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (site, day) DO UPDATE SET dropped = dropped + excluded.dropped, bot_events = bot_events + excluded.bot_events,
         bot_batches = bot_batches + excluded.bot_batches, storage_failed = storage_failed + excluded.storage_failed`,
    )
    .bind(site, day, c.dropped, c.bot_events, c.bot_batches, c.storage_failed)
    .run();
}

/**
 * A statement adding `dropped` to a site's `day` row only if one of these event ids is not stored yet.
 * Run in the same batch right before the insert of those events (one transaction), it is true exactly
 * when that insert stores something: a batch's drops count once, never again when it is resent.
 */
export function addDroppedIfNewStatement(db: D1Database, site: string, day: string, dropped: number, ids: string[]): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO site_stats (site, day, dropped) SELECT ?1, ?2, ?3
       WHERE EXISTS (SELECT 1 FROM json_each(?4) AS j WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.site = ?1 AND e.id = j.value))
       ON CONFLICT (site, day) DO UPDATE SET dropped = dropped + excluded.dropped`,
    )
    .bind(site, day, dropped, JSON.stringify(ids));
}

/** A site's counters per day (oldest first) and their totals. */
export async function getSiteCounts(db: D1Database, site: string): Promise<{ days: Array<SiteCounts & { day: string }>; totals: SiteCounts }> {
  const { results } = await db
    .prepare('SELECT day, dropped, bot_events, bot_batches, storage_failed FROM site_stats WHERE site = ? ORDER BY day')
    .bind(site)
    .all<SiteCounts & { day: string }>();
  const totals = { ...NO_COUNTS };
  for (const d of results) for (const k of Object.keys(totals) as Array<keyof SiteCounts>) totals[k] += d[k];
  return { days: results, totals };
}
