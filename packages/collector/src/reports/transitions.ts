// The transitions report: every (from, to) stage move in the period, with counts, visitors and time spent before it.
import type { TransitionsReport } from '@parcours/protocol';
import type { Range } from './query.ts';
import { periodIsWide } from './plan.ts';
import { mediansAtOffset, stagePositions, type ReportSite } from './sql.ts';

/**
 * Moves whose time lies in the period, grouped by (from, to), most frequent first; `from` is null
 * for a visitor's first stage, `median_ms` is the median time spent in `from` before the move
 * (null for first stages).
 */
export async function transitions(db: D1Database, site: ReportSite, range: Range): Promise<TransitionsReport> {
  const order = 'ORDER BY count DESC, visitors DESC, from_index IS NOT NULL, from_index, to_index';
  const pair = `site = ?1 AND ${stagePositions('to_index', site)} AND ${stagePositions('from_index', site)}`;
  // A visitor counts once per pair, on their first move of that pair in the period: the one whose previous move of
  // the pair (prev_pair) is NULL or before the period.
  const sql = (await periodIsWide(db, site.id, range))
    ? // Wide: the first moves of each pair ever (prev_pair NULL) by time range per pair; the others, few, read whole.
      // A move from NULL (a visitor's first stage) is always its pair's first.
      `SELECT to_index, from_index, SUM(n) AS count, SUM(v) AS visitors FROM (
         SELECT to_index, from_index, COUNT(*) AS n, COUNT(*) AS v FROM transitions INDEXED BY transitions_site_pair_first
          WHERE ${pair} AND prev_pair IS NULL AND time >= ?2 AND time < ?3 GROUP BY to_index, from_index
         UNION ALL
         SELECT to_index, NULL, COUNT(*), COUNT(*) FROM transitions INDEXED BY transitions_site_pair_first
          WHERE site = ?1 AND ${stagePositions('to_index', site)} AND from_index IS NULL AND prev_pair IS NULL AND time >= ?2 AND time < ?3
          GROUP BY to_index
         UNION ALL
         SELECT to_index, from_index, COUNT(*), COUNT(CASE WHEN prev_pair < ?2 THEN 1 END) FROM transitions INDEXED BY transitions_site_pair_first
          WHERE ${pair} AND prev_pair IS NOT NULL AND time >= ?2 AND time < ?3 GROUP BY to_index, from_index
       ) GROUP BY to_index, from_index ${order}`
    : `SELECT to_index, from_index, COUNT(*) AS count, COUNT(CASE WHEN prev_pair IS NULL OR prev_pair < ?2 THEN 1 END) AS visitors
         FROM transitions INDEXED BY transitions_site_time WHERE site = ?1 AND time >= ?2 AND time < ?3 GROUP BY to_index, from_index ${order}`;
  const { results } = await db
    .prepare(sql)
    .bind(site.id, range.from, range.to)
    .all<{ from_index: number | null; to_index: number; count: number; visitors: number }>();
  const key = (r: { from_index: number | null; to_index: number }) => `${r.from_index}>${r.to_index}`;
  // A first stage has no duration (from_index NULL, since_ms NULL): only moves between stages are read.
  const medians = await mediansAtOffset(
    db,
    results
      .filter((r) => r.from_index !== null)
      .map((r) => ({
        key: key(r),
        // Every move from a stage has a duration (since_ms is NULL only on a visitor's first move, from NULL).
        n: r.count,
        // INDEXED BY: without statistics SQLite would take the time index and sort; this one is already in order.
        select: `SELECT since_ms AS d FROM transitions INDEXED BY transitions_site_pair
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
