// The funnel report: visitors who reached each stage in the period, and how many went on to the next one.
import type { FunnelReport } from '@parcours/protocol';
import { periodIsWide } from './plan.ts';
import type { Range } from './query.ts';
import { groupMedians, rate, type ReportSite } from './sql.ts';

/**
 * Stage k's `visitors` entered k in the period (a transition into k); `rate_from_previous` is
 * the share of stage k-1's visitors who entered k after first entering k-1 in the period (and
 * before its end), `median_ms_from_previous` the median time that took. The first stage has no
 * previous (null).
 */
export async function funnel(db: D1Database, site: ReportSite, range: Range): Promise<FunnelReport> {
  const index = (await periodIsWide(db, site.id, range)) ? 'transitions_site_entry' : 'transitions_site_time';
  // Per stage and visitor, the first entry in the period (the bare next_ms comes from that row: SQLite's
  // MIN() rule), and the time to the next stage when that came before the period ended.
  const perStage = await groupMedians(
    db,
    `SELECT to_index AS g, CASE WHEN MIN(time) + next_ms < ?3 THEN next_ms END AS d FROM transitions INDEXED BY ${index}
      WHERE site = ?1 AND time >= ?2 AND time < ?3 GROUP BY to_index, visitor`,
    [site.id, range.from, range.to],
  );
  return {
    stages: site.stages.map((stage, k) => {
      const prev = perStage.get(k - 1);
      return {
        stage,
        visitors: perStage.get(k)?.total ?? 0,
        rate_from_previous: k === 0 ? null : rate(prev?.n ?? 0, prev?.total ?? 0),
        median_ms_from_previous: k === 0 ? null : (prev?.median ?? null),
      };
    }),
  };
}
