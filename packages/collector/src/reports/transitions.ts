// The transitions report: every (from, to) stage move in the period, with counts, visitors and time spent before it.
import { HOUR_MS, INDEX, TABLE, wholeBuckets } from '../db/schema.ts';
import type { TransitionsReport } from '@parcours/protocol';
import type { Range } from './query.ts';
import { sessionCondition } from './filter.ts';
import { periodIsWide } from './plan.ts';
import { fromPositions, groupMedians, mediansAtOffset, stagePositions, type ReportSite } from './sql.ts';

/**
 * Moves whose time lies in the period, grouped by (from, to), most frequent first; `from` is null
 * for a visitor's first stage, `median_ms` is the median time spent in `from` before the move
 * (null for first stages). Bounded by the site's stages: at most n × (n + 1) pairs for n stages (420 for
 * the most a site may declare, MAX_STAGES = 20), the LIMIT of both readings.
 */
export async function transitions(db: D1Database, site: ReportSite, range: Range): Promise<TransitionsReport> {
  const order = 'ORDER BY count DESC, visitors DESC, from_index IS NOT NULL, from_index, to_index';
  const pair = `site = ?1 AND ${stagePositions('to_index', site)} AND ${stagePositions('from_index', site)}`;
  // A visitor counts once per pair, on their first move of that pair in the period: the one whose previous move of
  // the pair (prev_pair) is NULL or before the period.
  const partial = `SELECT to_index, IFNULL(from_index, -1), 1, prev_pair IS NULL FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_time}
                    WHERE site = ?1 AND ${stagePositions('to_index', site)}`;
  // With a filter the previous-move columns (over all sessions) cannot count visitors: the period's matching moves are grouped.
  const filtered = sessionCondition(site.id, range.filter);
  const wide = !filtered && (await periodIsWide(db, site.id, range));
  const pairs = site.stages.length * (site.stages.length + 1);
  const sql = wide
    ? // Wide: pair_hours for the whole hours (moves, and first moves of their pair ever), the moves of the partial first
      // and last hours, and the moves whose previous one of the pair came before the period (a move from NULL, a
      // visitor's first stage, never has one).
      `SELECT to_index, NULLIF(f, -1) AS from_index, SUM(n) AS count, SUM(v) AS visitors FROM (
         SELECT to_index, from_index AS f, moves AS n, first_moves AS v FROM ${TABLE.pair_hours}
          WHERE site = ?1 AND ${stagePositions('to_index', site)} AND ${fromPositions('from_index', site)} AND hour >= ?4 AND hour < ?5
         UNION ALL ${partial} AND time >= ?2 AND time < MIN(?3, ?6)
         UNION ALL ${partial} AND time >= MAX(?2, ?7) AND time < ?3
         UNION ALL
         SELECT to_index, from_index, 0, 1 FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_pair_first}
          WHERE ${pair} AND prev_pair < ?2 AND time >= ?2 AND time < ?3
       ) GROUP BY to_index, f HAVING SUM(n) > 0 ORDER BY count DESC, visitors DESC, f <> -1, f, to_index LIMIT ${pairs}`
    : filtered
      ? // The matching moves read once, grouped per visitor and pair, then per pair (distinct visitors without
        // COUNT(DISTINCT)); each pair's median duration ranked among its moves (groupMedians).
        `WITH mv AS MATERIALIZED (
           SELECT visitor, to_index, from_index, since_ms FROM ${TABLE.transitions} WHERE site = ?1 AND time >= ?2 AND time < ?3${filtered}),
         pr AS MATERIALIZED (
           SELECT to_index, from_index, SUM(n) AS count, COUNT(*) AS visitors, SUM(timed) AS timed FROM (
             SELECT to_index, from_index, COUNT(*) AS n, COUNT(since_ms) AS timed FROM mv GROUP BY visitor, to_index, from_index)
            GROUP BY to_index, from_index),
         mid AS MATERIALIZED (${groupMedians('mv', ['to_index', 'from_index'], 'since_ms', 'pr', 'timed')})
         SELECT * FROM (
           SELECT pr.to_index, pr.from_index, count, visitors, median
             FROM pr LEFT JOIN mid ON mid.to_index = pr.to_index AND mid.from_index IS pr.from_index
         ) ${order} LIMIT ${pairs}`
      : `SELECT to_index, from_index, COUNT(*) AS count, COUNT(CASE WHEN prev_pair IS NULL OR prev_pair < ?2 THEN 1 END) AS visitors
         FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_time} WHERE site = ?1 AND time >= ?2 AND time < ?3 GROUP BY to_index, from_index ${order} LIMIT ${pairs}`;
  const { results } = await db
    .prepare(sql)
    .bind(site.id, range.from, range.to, ...(wide ? wholeBuckets(range, HOUR_MS) : []))
    .all<{ from_index: number | null; to_index: number; count: number; visitors: number; median?: number | null }>();
  const key = (r: { from_index: number | null; to_index: number }) => `${r.from_index}>${r.to_index}`;
  // A first stage has no duration (from_index NULL, since_ms NULL): only moves between stages are read.
  const medians = filtered
    ? new Map(results.filter((r) => r.median != null).map((r) => [key(r), Math.round(r.median!)]))
    : await mediansAtOffset(
        db,
        results
          .filter((r) => r.from_index !== null)
          .map((r) => ({
            key: key(r),
            // Every move from a stage has a duration (since_ms is NULL only on a visitor's first move, from NULL).
            n: r.count,
            // INDEXED BY: without statistics SQLite would take the time index and sort; this one is already in order.
            select: `SELECT since_ms AS d FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_pair}
                  WHERE site = ?1 AND to_index = ?4 AND from_index = ?5 AND since_ms IS NOT NULL AND time >= ?2 AND time < ?3 ORDER BY since_ms`,
            binds: [site.id, range.from, range.to, r.to_index, r.from_index],
          })),
      );
  const name = (i: number) => site.stages[i] ?? String(i);
  return {
    transitions: results.map((r) => ({
      from: r.from_index === null ? null : name(r.from_index),
      to: name(r.to_index),
      count: r.count,
      visitors: r.visitors,
      median_ms: medians.get(key(r)) ?? null,
    })),
  };
}
