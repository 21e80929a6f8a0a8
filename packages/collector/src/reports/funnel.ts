// The funnel report: visitors who reached each stage in the period, and how many went on to the next one.
import type { Range } from './query.ts';
import { mediansBy, rate, type ReportSite } from './sql.ts';

export interface FunnelReport {
  stages: Array<{ stage: string; visitors: number; rate_from_previous: number | null; median_ms_from_previous: number | null }>;
}

/**
 * Stage k's `visitors` entered k in the period (a transition into k); `rate_from_previous` is
 * the share of stage k-1's visitors who entered k after first entering k-1 in the period,
 * `median_ms_from_previous` the median time that took. The first stage has no previous (null).
 */
export async function funnel(db: D1Database, site: ReportSite, range: Range): Promise<FunnelReport> {
  // Per visitor and stage: first entry in the period, then the first entry into the next stage after it.
  const steps = `
    WITH f AS (
      SELECT visitor, to_index AS k, MIN(time) AS t FROM transitions
       WHERE site = ?1 AND time >= ?2 AND time < ?3 GROUP BY visitor, to_index
    )
    SELECT f.k AS k, f.visitor AS visitor,
           (SELECT MIN(n.time) FROM transitions n
             WHERE n.site = ?1 AND n.visitor = f.visitor AND n.to_index = f.k + 1 AND n.time >= f.t AND n.time < ?3) - f.t AS d
      FROM f`;
  const binds = [site.id, range.from, range.to];
  const [counts, medians] = await Promise.all([
    db
      .prepare(`SELECT k, COUNT(*) AS visitors, COUNT(d) AS went_on FROM (${steps}) GROUP BY k`)
      .bind(...binds)
      .all<{ k: number; visitors: number; went_on: number }>(),
    mediansBy(db, `SELECT k AS g, d FROM (${steps})`, binds),
  ]);
  const byStage = new Map(counts.results.map((r) => [r.k, r]));
  return {
    stages: site.stages.map((stage, k) => {
      const prev = byStage.get(k - 1);
      return {
        stage,
        visitors: byStage.get(k)?.visitors ?? 0,
        rate_from_previous: k === 0 ? null : rate(prev?.went_on ?? 0, prev?.visitors ?? 0),
        median_ms_from_previous: k === 0 ? null : (medians.get(String(k - 1)) ?? null),
      };
    }),
  };
}
