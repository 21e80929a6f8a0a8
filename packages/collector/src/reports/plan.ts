// How a report reads a period: from rollups and first-row index ranges, or the period's rows in time order.
import { INDEX, TABLE } from '../db/schema.ts';

/** How much longer than the period the history before it may be for the rollup reading. */
const HISTORY_BEFORE_FACTOR = 8;

/**
 * Whether a report should read the period from the rollups and first-row index ranges (true) or
 * the period's rows in time order (false). The rollup reading costs index ranges of the rows whose
 * previous row came before the period, a few hundredths of a microsecond a row, so it wins unless
 * the site's page-view history before the period is far longer than the period itself: more than
 * 8 times (reading a period's rows and grouping them costs about a microsecond a row). D1 keeps no
 * planner statistics, so the reports choose with `INDEXED BY` from this answer.
 */
export async function periodIsWide(
  db: D1Database,
  site: string,
  range: { from: number; to: number },
): Promise<boolean> {
  const span = await db
    .prepare(
      `SELECT (SELECT MIN(time) FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time} WHERE site = ?1) AS first,
              (SELECT MAX(time) FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time} WHERE site = ?1) AS last`,
    )
    .bind(site)
    .first<{ first: number | null; last: number | null }>();
  if (span?.first == null || span.last == null) return true;
  const covered = Math.min(range.to, span.last + 1) - Math.max(range.from, span.first);
  const before = Math.max(0, Math.min(range.from, span.last + 1) - span.first);
  return covered > 0 ? before <= covered * HISTORY_BEFORE_FACTOR : before === 0;
}
