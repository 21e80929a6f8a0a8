// The funnel report: visitors who reached each stage in the period, and how many went on to the next one.
import { INDEX, TABLE } from '../db/schema.ts';
import type { FunnelReport } from '@parcours/protocol';
import type { Range } from './query.ts';
import { filteredFirstEntries, firstEntries, type StageEntries } from './first-entries.ts';
import { FIRST_ENTRY_IN_PERIOD, mediansAtOffset, rate, type ReportSite } from './sql.ts';

/**
 * Stage k's `visitors` entered k in the period (a transition into k); `rate_from_previous` is
 * the share of stage k-1's visitors who entered k after first entering k-1 in the period (and
 * before its end), `median_ms_from_previous` the median time that took. The first stage has no
 * previous (null).
 */
export async function funnel(db: D1Database, site: ReportSite, range: Range): Promise<FunnelReport> {
  const binds = [site.id, range.from, range.to];
  // First entries into each stage in the period, and those whose next stage followed before the period ended
  // (next_ms: the time from that move to the visitor's next entry into k+1). With a filter, the medians come in the same pass.
  if (range.filter) {
    const perStage = await filteredFirstEntries(db, site, range, 'next_ms');
    return answer(site, perStage, (k) => perStage.get(k)?.median ?? null);
  }
  const perStage = await firstEntries(db, site, range, 'next_ms');
  // The median of next_ms over those who went on, read at an offset of an index in next_ms order (nothing sorted).
  const medians = await mediansAtOffset(
    db,
    [...perStage].map(([k, r]) => ({
      key: String(k),
      n: r.reached,
      select: `SELECT next_ms AS d FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_next}
                WHERE site = ?1 AND to_index = ?4 AND next_ms IS NOT NULL AND time >= ?2 AND time < ?3 AND ${FIRST_ENTRY_IN_PERIOD}
                  AND time + next_ms < ?3 ORDER BY next_ms`,
      binds: [...binds, k],
    })),
  );
  return answer(site, perStage, (k) => medians.get(String(k)) ?? null);
}

/** The funnel of per-stage first entries and the median time from each stage to the next. */
function answer(
  site: ReportSite,
  perStage: Map<number, StageEntries>,
  medianFrom: (k: number) => number | null,
): FunnelReport {
  return {
    stages: site.stages.map((stage, k) => {
      const prev = perStage.get(k - 1);
      return {
        stage,
        visitors: perStage.get(k)?.entered ?? 0,
        rate_from_previous: k === 0 ? null : rate(prev?.reached ?? 0, prev?.entered ?? 0),
        median_ms_from_previous: k === 0 ? null : medianFrom(k - 1),
      };
    }),
  };
}
