// The transitions report: every (from, to) stage move in the period, with counts, visitors and time spent before it.
import type { TransitionsReport } from '@parcours/protocol';
import type { Range } from './query.ts';
import { periodIsWide } from './plan.ts';
import { mediansAtOffset, type ReportSite } from './sql.ts';

/**
 * Moves whose time lies in the period, grouped by (from, to), most frequent first; `from` is null
 * for a visitor's first stage, `median_ms` is the median time spent in `from` before the move
 * (null for first stages).
 */
export async function transitions(db: D1Database, site: ReportSite, range: Range): Promise<TransitionsReport> {
  const index = (await periodIsWide(db, site.id, range)) ? 'transitions_site_pair_visitor' : 'transitions_site_time';
  const { results } = await db
    .prepare(
      `SELECT from_index, to_index, COUNT(*) AS count, COUNT(DISTINCT visitor) AS visitors, COUNT(since_ms) AS timed
         FROM transitions INDEXED BY ${index} WHERE site = ?1 AND time >= ?2 AND time < ?3 GROUP BY to_index, from_index
        ORDER BY count DESC, visitors DESC, from_index IS NOT NULL, from_index, to_index`,
    )
    .bind(site.id, range.from, range.to)
    .all<{ from_index: number | null; to_index: number; count: number; visitors: number; timed: number }>();
  const key = (r: { from_index: number | null; to_index: number }) => `${r.from_index}>${r.to_index}`;
  // A first stage has no duration (from_index NULL, since_ms NULL): only moves between stages are read.
  const medians = await mediansAtOffset(
    db,
    results
      .filter((r) => r.from_index !== null)
      .map((r) => ({
        key: key(r),
        n: r.timed,
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
