// The visitors' first entries into each stage in a period, and how many of them reached further before it ended.
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
 * came after that entry and before the period ended. Wide period: two index ranges per stage,
 * the moves that are a first entry ever and those whose previous entry came before the period;
 * narrow: the period's moves in time order.
 */
export async function firstEntries(db: D1Database, site: ReportSite, range: Range, lookAhead: 'next_ms' | 'onward_ms'): Promise<Map<number, StageEntries>> {
  const inStages = stagePositions('to_index', site);
  const reached = `COUNT(CASE WHEN time + ${lookAhead} < ?3 THEN 1 END)`;
  const sql = (await periodIsWide(db, site.id, range))
    ? `SELECT k, SUM(entered) AS entered, SUM(reached) AS reached FROM (
         SELECT to_index AS k, COUNT(*) AS entered, ${reached} AS reached FROM transitions INDEXED BY transitions_site_first
          WHERE site = ?1 AND ${inStages} AND prev_entry IS NULL AND time >= ?2 AND time < ?3 GROUP BY to_index
         UNION ALL
         SELECT to_index, COUNT(*), ${reached} FROM transitions INDEXED BY transitions_site_first
          WHERE site = ?1 AND ${inStages} AND prev_entry < ?2 AND time >= ?2 AND time < ?3 GROUP BY to_index
       ) GROUP BY k`
    : `SELECT to_index AS k, COUNT(*) AS entered, ${reached} AS reached FROM transitions INDEXED BY transitions_site_time
        WHERE site = ?1 AND ${inStages} AND time >= ?2 AND time < ?3 AND ${FIRST_ENTRY_IN_PERIOD} GROUP BY to_index`;
  const { results } = await db.prepare(sql).bind(site.id, range.from, range.to).all<StageEntries & { k: number }>();
  return new Map(results.map((r) => [r.k, { entered: r.entered, reached: r.reached }]));
}
