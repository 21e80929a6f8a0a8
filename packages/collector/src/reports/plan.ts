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
  const history = await coverage(db, site, range);
  if (!history) return true;
  const { span, covered } = history;
  const before = Math.max(0, Math.min(range.from, span.last + 1) - span.first);
  return covered > 0 ? before <= covered * HISTORY_BEFORE_FACTOR : before === 0;
}

/**
 * Whether a filtered report should read the site's sessions in key order (true) rather than the period's through
 * `sessions_site_last_row`: that index holds no dimension, so each session it finds costs a look-up into the table to
 * check the filter, about 14 times a row read in key order (at 1M events, 115,712 matching sessions of the whole
 * history: 404 ms of CPU through the index, 28 ms in key order). True when the period covers at least 1/8 of the site's
 * page-view history (HISTORY_BEFORE_FACTOR), so that the key order reads at most 8 times the period's sessions.
 */
export async function sessionsInKeyOrder(
  db: D1Database,
  site: string,
  range: { from: number; to: number },
): Promise<boolean> {
  const history = await coverage(db, site, range);
  if (!history) return true;
  const { span, covered } = history;
  return covered * HISTORY_BEFORE_FACTOR >= span.last + 1 - span.first;
}

/** The site's page-view history (`span`) and how much of it the period covers, ms (`covered`); null when it has none. */
async function coverage(
  db: D1Database,
  site: string,
  range: { from: number; to: number },
): Promise<{ span: { first: number; last: number }; covered: number } | null> {
  const span = await pageViewSpan(db, site);
  return span && { span, covered: Math.min(range.to, span.last + 1) - Math.max(range.from, span.first) };
}

/** The times of the site's first and last page views; null when it has none. */
async function pageViewSpan(db: D1Database, site: string): Promise<{ first: number; last: number } | null> {
  const span = await db
    .prepare(
      `SELECT (SELECT MIN(time) FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time} WHERE site = ?1) AS first,
              (SELECT MAX(time) FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time} WHERE site = ?1) AS last`,
    )
    .bind(site)
    .first<{ first: number | null; last: number | null }>();
  return span?.first == null || span.last == null ? null : { first: span.first, last: span.last };
}
