// Retention: raw events older than a site's `retention_days` are deleted, a bounded number per run, while the reports of
// those days stay as they were: their derived rows and rollups are kept, and derivation stops reading before the horizon.
import { FORM_ABANDON, FORM_START, FORM_SUBMIT, FRICTION_EVENTS } from '@parcours/protocol';
import { DAY_MS, INDEX, TABLE } from '../db/schema.ts';

/** Events deleted per statement, and statements per run over all sites: one run deletes at most 20,000 events. */
const ROWS_PER_DELETE = 1000;
const DELETES_PER_RUN = 20;

/**
 * Raw events the forms and friction reports count themselves (no derived table holds them): kept, or those reports
 * would change for deleted days. They hold no field value, as every event.
 */
const REPORTED_RAW = [FORM_START, FORM_SUBMIT, FORM_ABANDON, ...FRICTION_EVENTS].map((t) => `'${t}'`).join(',');

/** The horizon of a site at `now`: the start of the UTC day `days` before. */
export function retentionHorizon(now: number, days: number): number {
  return Math.floor(now / DAY_MS) * DAY_MS - days * DAY_MS;
}

/**
 * One run of the retention job at `now`: moves each site's horizon (`retained_from`) up to its retention, then deletes
 * raw events before the horizon, oldest sites' backlog first, until the run's budget is spent (the next run goes on).
 * Answers the events deleted. The horizon moves before any deletion: derivation reads it with the events, so it never
 * derives from a history that deletion has begun to thin out.
 */
export async function applyRetention(db: D1Database, now: number): Promise<number> {
  const { results: sites } = await db
    .prepare(
      `SELECT id, retention_days AS days, retained_from AS horizon FROM ${TABLE.sites} WHERE retention_days IS NOT NULL`,
    )
    .all<{ id: string; days: number; horizon: number | null }>();
  let budget = DELETES_PER_RUN;
  let deleted = 0;
  for (const site of sites) {
    const horizon = Math.max(site.horizon ?? -Infinity, retentionHorizon(now, site.days));
    if (horizon !== site.horizon)
      await db
        .prepare(`UPDATE ${TABLE.sites} SET retained_from = MAX(IFNULL(retained_from, ?2), ?2) WHERE id = ?1`)
        .bind(site.id, horizon)
        .run();
    while (budget > 0) {
      budget--;
      const r = await db
        .prepare(
          `DELETE FROM ${TABLE.events} WHERE seq IN (SELECT seq FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_time}
             WHERE site = ?1 AND time < ?2 AND type NOT IN (${REPORTED_RAW}) LIMIT ?3)`,
        )
        .bind(site.id, horizon, ROWS_PER_DELETE)
        .run();
      deleted += r.meta.changes;
      if (r.meta.changes < ROWS_PER_DELETE) break;
    }
    // Saved derivation states from before the horizon: derivation never resumes from them again (it would need the
    // events deleted here), so they go too, a bounded number a run, from the budget's last statement if any is left.
    if (budget > 0) {
      budget--;
      await db
        .prepare(
          `DELETE FROM ${TABLE.visitor_state} WHERE (site, visitor, position) IN (SELECT site, visitor, position
             FROM ${TABLE.visitor_state} WHERE site = ?1 AND position < ?2 LIMIT ?3)`,
        )
        .bind(site.id, horizon, ROWS_PER_DELETE)
        .run();
    }
    if (budget === 0) break;
  }
  return deleted;
}
