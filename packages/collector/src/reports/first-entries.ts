// The visitors' first entries into each stage in a period, and how many of them reached further before it ended.
import { HOUR_MS } from '../derive/store.ts';
import { periodIsWide } from './plan.ts';
import type { Range } from './query.ts';
import { FIRST_ENTRY_IN_PERIOD, stagePositions, type ReportSite } from './sql.ts';

/** Per stage: visitors who entered it in the period, and of them those who went on (see `firstEntries`). */
export interface StageEntries {
  entered: number;
  reached: number;
}

/**
 * Per stage k, the visitors who entered k in the period (each counted on their first entry in it)
 * and, of them, those whose `lookAhead` (next_ms: the next stage; onward_ms: any later stage)
 * came after that entry and before the period ended. Exact, by one of three readings:
 * - the period covers most of the history and ends after the site's last move (no look-ahead can
 *   fall after it): first entries ever from entry_hours for the whole hours, from transitions for
 *   the partial first and last hours, plus the entries whose previous one came before the period;
 * - the period covers most of the history: the first entries ever by index range, plus the same;
 * - otherwise: the period's moves in time order.
 */
export async function firstEntries(db: D1Database, site: ReportSite, range: Range, lookAhead: 'next_ms' | 'onward_ms'): Promise<Map<number, StageEntries>> {
  const inStages = stagePositions('to_index', site);
  const reached = `COUNT(CASE WHEN time + ${lookAhead} < ?3 THEN 1 END)`;
  const binds: unknown[] = [site.id, range.from, range.to];
  let sql: string;
  const last = await db
    .prepare('SELECT MAX(time) AS t FROM transitions INDEXED BY transitions_site_time WHERE site = ?1')
    .bind(site.id)
    .first<{ t: number | null }>();
  // Moves whose previous entry came before the period: the first of the period among the others (few when it starts early).
  const straddling = `SELECT to_index, COUNT(*), ${reached} FROM transitions INDEXED BY transitions_site_first
                       WHERE site = ?1 AND ${inStages} AND prev_entry < ?2 AND time >= ?2 AND time < ?3 GROUP BY to_index`;
  if (!(await periodIsWide(db, site.id, range))) {
    sql = `SELECT to_index AS k, COUNT(*) AS entered, ${reached} AS reached FROM transitions INDEXED BY transitions_site_time
            WHERE site = ?1 AND ${inStages} AND time >= ?2 AND time < ?3 AND ${FIRST_ENTRY_IN_PERIOD} GROUP BY to_index`;
  } else if (last?.t != null && range.to > last.t) {
    // Every look-ahead ends at a later move, so before the period's end: a first entry ever reached further when it has one.
    const firstHour = Math.ceil(range.from / HOUR_MS);
    const endHour = Math.max(firstHour, Math.floor(range.to / HOUR_MS));
    const rollup = lookAhead === 'next_ms' ? 'nexts' : 'onwards';
    const partial = `SELECT to_index, COUNT(*), ${reached} FROM transitions INDEXED BY transitions_site_time
                      WHERE site = ?1 AND ${inStages} AND prev_entry IS NULL`;
    sql = `SELECT k, SUM(n) AS entered, SUM(r) AS reached FROM (
             SELECT to_index AS k, entered AS n, ${rollup} AS r FROM entry_hours WHERE site = ?1 AND ${inStages} AND hour >= ?4 AND hour < ?5
             UNION ALL ${partial} AND time >= ?2 AND time < MIN(?3, ?6) GROUP BY to_index
             UNION ALL ${partial} AND time >= MAX(?2, ?7) AND time < ?3 GROUP BY to_index
             UNION ALL ${straddling}
           ) GROUP BY k`;
    binds.push(firstHour, endHour, firstHour * HOUR_MS, endHour * HOUR_MS);
  } else {
    sql = `SELECT k, SUM(n) AS entered, SUM(r) AS reached FROM (
             SELECT to_index AS k, COUNT(*) AS n, ${reached} AS r FROM transitions INDEXED BY transitions_site_first
              WHERE site = ?1 AND ${inStages} AND prev_entry IS NULL AND time >= ?2 AND time < ?3 GROUP BY to_index
             UNION ALL ${straddling}
           ) GROUP BY k`;
  }
  const { results } = await db.prepare(sql).bind(...binds).all<StageEntries & { k: number }>();
  return new Map(results.map((r) => [r.k, { entered: r.entered, reached: r.reached }]));
}
