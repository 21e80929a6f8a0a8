// The visitors' first entries into each stage in a period, and how many of them reached further before it ended.
import { HOUR_MS, INDEX, TABLE, wholeBuckets } from '../db/schema.ts';
import { periodIsWide } from './plan.ts';
import { sessionCondition } from './filter.ts';
import type { Range } from './query.ts';
import { FIRST_ENTRY_IN_PERIOD, groupMedians, stagePositions, type ReportSite } from './sql.ts';

/** Moves after a period's end up to which the rollup reading stays cheap (their visitors' entries are checked one by one). */
const MAX_MOVES_AFTER = 1000;

/** Per stage: visitors who entered it in the period, and of them those who went on (see `firstEntries`). */
export interface StageEntries {
  entered: number;
  reached: number;
}

/**
 * Per stage k, the visitors who entered k in the period (each counted on their first entry in it)
 * and, of them, those whose `lookAhead` (next_ms: the next stage; onward_ms: any later stage)
 * came after that entry and before the period ended. Exact, by one of three readings:
 * - the period covers most of the history and few moves come after its end: first entries ever
 *   from entry_hours for the whole hours, from transitions for the partial first and last hours,
 *   plus the entries whose previous one came before the period, minus the first entries whose
 *   look-ahead landed after the period (only the visitors who moved then are read);
 * - the period covers most of the history: the first entries ever by index range, plus the same;
 * - otherwise: the period's moves in time order.
 */
export async function firstEntries(
  db: D1Database,
  site: ReportSite,
  range: Range,
  lookAhead: 'next_ms' | 'onward_ms',
  maxMovesAfter = MAX_MOVES_AFTER,
): Promise<Map<number, StageEntries>> {
  const inStages = stagePositions('to_index', site);
  const reached = `COUNT(CASE WHEN time + ${lookAhead} < ?3 THEN 1 END)`;
  const binds: unknown[] = [site.id, range.from, range.to];
  if (range.filter) return filteredFirstEntries(db, site, range, lookAhead, false);
  let sql: string;
  // How many moves come at or after the period's end (capped): look-aheads can only land there.
  const after = await db
    .prepare(
      `SELECT COUNT(*) AS n FROM (SELECT 1 FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_time} WHERE site = ?1 AND time >= ?2 LIMIT ${maxMovesAfter + 1})`,
    )
    .bind(site.id, range.to)
    .first<{ n: number }>();
  // Moves whose previous entry came before the period: the first of the period among the others (few when it starts early).
  const straddling = `SELECT to_index, COUNT(*), ${reached} FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_first}
                       WHERE site = ?1 AND ${inStages} AND prev_entry < ?2 AND time >= ?2 AND time < ?3 GROUP BY to_index`;
  if (!(await periodIsWide(db, site.id, range))) {
    sql = `SELECT to_index AS k, COUNT(*) AS entered, ${reached} AS reached FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_time}
            WHERE site = ?1 AND ${inStages} AND time >= ?2 AND time < ?3 AND ${FIRST_ENTRY_IN_PERIOD} GROUP BY to_index`;
  } else if ((after?.n ?? 0) <= maxMovesAfter) {
    // A look-ahead ends at a later move of the visitor: a first entry ever in the rollup's whole hours reached further
    // before the period's end when it has one, except when that move came at or after the end: those, of the few
    // visitors moving then, are taken off (the partial hours count their own).
    const rollup = lookAhead === 'next_ms' ? 'nexts' : 'onwards';
    const partial = `SELECT to_index, COUNT(*), ${reached} FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_time}
                      WHERE site = ?1 AND ${inStages} AND prev_entry IS NULL`;
    sql = `SELECT k, SUM(n) AS entered, SUM(r) AS reached FROM (
             SELECT to_index AS k, entered AS n, ${rollup} AS r FROM ${TABLE.entry_hours} WHERE site = ?1 AND ${inStages} AND hour >= ?4 AND hour < ?5
             UNION ALL ${partial} AND time >= ?2 AND time < MIN(?3, ?6) GROUP BY to_index
             UNION ALL ${partial} AND time >= MAX(?2, ?7) AND time < ?3 GROUP BY to_index
             UNION ALL ${straddling}
             UNION ALL
             SELECT to_index, 0, -COUNT(*) FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_key}
              WHERE site = ?1 AND visitor IN (SELECT visitor FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_time} WHERE site = ?1 AND time >= ?3)
                AND ${inStages} AND prev_entry IS NULL AND time >= ?6 AND time < ?7 AND time + ${lookAhead} >= ?3 GROUP BY to_index
           ) GROUP BY k`;
    binds.push(...wholeBuckets(range, HOUR_MS));
  } else {
    sql = `SELECT k, SUM(n) AS entered, SUM(r) AS reached FROM (
             SELECT to_index AS k, COUNT(*) AS n, ${reached} AS r FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_first}
              WHERE site = ?1 AND ${inStages} AND prev_entry IS NULL AND time >= ?2 AND time < ?3 GROUP BY to_index
             UNION ALL ${straddling}
           ) GROUP BY k`;
  }
  const { results } = await db
    .prepare(sql)
    .bind(...binds)
    .all<StageEntries & { k: number }>();
  return new Map(results.map((r) => [r.k, { entered: r.entered, reached: r.reached }]));
}

/**
 * SQL of the matching sessions' first entries into each stage in the period, one row per visitor and stage: `to_index`,
 * and `d`, the first entry's `lookAhead` when it landed before the period's end (else NULL). Grouped by (visitor,
 * stage) with no window over the moves: a later entry's look-ahead ends at a move that also follows the first entry,
 * so the first entry's ends at the earliest of the group's (`MIN(time + lookAhead)`, NULL only when none has one),
 * whichever of the visitor's moves tie on time. Binds: ?1 site, ?2 from, ?3 to.
 */
export function filteredFirstEntryRows(site: ReportSite, range: Range, lookAhead: 'next_ms' | 'onward_ms'): string {
  return `SELECT to_index, CASE WHEN reach < ?3 THEN reach - first END AS d FROM (
            SELECT to_index, MIN(time) AS first, MIN(time + ${lookAhead}) AS reach FROM ${TABLE.transitions}
             WHERE site = ?1 AND ${stagePositions('to_index', site)} AND time >= ?2 AND time < ?3${sessionCondition(site.id, range.filter)}
             GROUP BY visitor, to_index)`;
}

/**
 * First entries with a session filter: the previous-entry columns count over all of a visitor's sessions, so the
 * matching sessions' moves of the period are grouped by visitor instead (filteredFirstEntryRows). With `median` (the
 * funnel's time to the next stage), per stage the median look-ahead of the first entries that reached further before
 * the end, ranked in the same pass instead of read at an offset of an index; without it (kpis), no ranking at all.
 */
export async function filteredFirstEntries(
  db: D1Database,
  site: ReportSite,
  range: Range,
  lookAhead: 'next_ms' | 'onward_ms',
  median = true,
): Promise<Map<number, StageEntries & { median: number | null }>> {
  const rows = filteredFirstEntryRows(site, range, lookAhead);
  const sql = median
    ? `WITH fe AS MATERIALIZED (${rows}),
            st AS MATERIALIZED (SELECT to_index, COUNT(*) AS entered, COUNT(d) AS reached FROM fe GROUP BY to_index),
            mid AS MATERIALIZED (${groupMedians('fe', ['to_index'], 'd', 'st', 'reached')})
       SELECT st.to_index AS k, entered, reached, median FROM st LEFT JOIN mid ON mid.to_index = st.to_index`
    : `SELECT to_index AS k, COUNT(*) AS entered, COUNT(d) AS reached, NULL AS median FROM (${rows}) GROUP BY to_index`;
  const { results } = await db
    .prepare(sql)
    .bind(site.id, range.from, range.to)
    .all<StageEntries & { k: number; median: number | null }>();
  return new Map(
    results.map((r) => [
      r.k,
      { entered: r.entered, reached: r.reached, median: r.median === null ? null : Math.round(r.median) },
    ]),
  );
}
