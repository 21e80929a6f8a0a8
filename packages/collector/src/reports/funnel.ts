// The funnel report: visitors who reached each stage in the period, and how many went on to the next one.
import type { Range } from './query.ts';
import { periodIsWide } from './plan.ts';
import { MEDIAN_OF_WINDOW, MEDIAN_WINDOW_COLUMNS, rate, type ReportSite } from './sql.ts';

export interface FunnelReport {
  stages: Array<{ stage: string; visitors: number; rate_from_previous: number | null; median_ms_from_previous: number | null }>;
}

/**
 * Stage k's `visitors` entered k in the period (a transition into k); `rate_from_previous` is
 * the share of stage k-1's visitors who entered k after first entering k-1 in the period (and
 * before its end), `median_ms_from_previous` the median time that took. The first stage has no
 * previous (null).
 */
export async function funnel(db: D1Database, site: ReportSite, range: Range): Promise<FunnelReport> {
  // Per stage and visitor, the first entry in the period (the bare next_ms comes from that row: SQLite's
  // MIN() rule), whether they went on to the next stage before the period ended, and how long that took.
  const index = (await periodIsWide(db, site.id, range)) ? 'transitions_site_entry' : 'transitions_site_time';
  const { results } = await db
    .prepare(
      `SELECT k, MAX(total) AS visitors, MAX(n) AS went_on, ${MEDIAN_OF_WINDOW('d')} AS median FROM (
         SELECT k, d, ${MEDIAN_WINDOW_COLUMNS('k', 'd')} FROM (
           SELECT to_index AS k, CASE WHEN MIN(time) + next_ms < ?3 THEN next_ms END AS d FROM transitions INDEXED BY ${index}
            WHERE site = ?1 AND time >= ?2 AND time < ?3 GROUP BY to_index, visitor
         )
       ) GROUP BY k`,
    )
    .bind(site.id, range.from, range.to)
    .all<{ k: number; visitors: number; went_on: number; median: number | null }>();
  const byStage = new Map(results.map((r) => [r.k, r]));
  return {
    stages: site.stages.map((stage, k) => {
      const prev = byStage.get(k - 1);
      return {
        stage,
        visitors: byStage.get(k)?.visitors ?? 0,
        rate_from_previous: k === 0 ? null : rate(prev?.went_on ?? 0, prev?.visitors ?? 0),
        median_ms_from_previous: k === 0 || prev?.median == null ? null : Math.round(prev.median),
      };
    }),
  };
}
