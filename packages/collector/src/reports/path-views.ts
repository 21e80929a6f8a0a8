// Page views of a period per page (path and stage) as SQL rows to sum: views, first views (visitors), exits, for the friction report.
import { DAY_MS, INDEX, TABLE, wholeBuckets } from '../db/schema.ts';

/**
 * The bound parameters the rows of `pathViewRows` read besides ?1 site, ?2 from, ?3 to: ?5 and ?6 the
 * period's first and end whole day, ?7 and ?8 the same in ms (the partial first and last day). ?4 is
 * left to the caller.
 */
export function pathViewDayBinds(range: { from: number; to: number }): number[] {
  return wholeBuckets(range, DAY_MS);
}

/**
 * SELECTs (joined by UNION ALL) of rows `(path_id, stage_index, views, visitors, exits)` whose sums per
 * (path_id, stage_index) are the period's page views, distinct visitors and exits. Exact. A visitor is
 * counted on their first view of the page in the period: the view whose previous view of that page
 * (`prev_path_view`) is NULL or before `from`. When the period covers most of the site's history
 * (`wide`), page_days gives its whole days, page_views its partial first and last day, plus the views
 * whose previous view of the page came before `from` (an index range of the views before the
 * period); otherwise, the period's page views in time order. Binds: see pathViewDayBinds.
 *
 * With a session filter (`filtered`, a sessionCondition), the previous-view columns and page_days (which
 * count over all of a visitor's sessions) cannot tell a visitor's first kept view: the period's matching
 * views are grouped per page instead, one row each, visitors counted distinct (`wide` is then ignored).
 */
export function pathViewRows(wide: boolean, filtered = ''): string {
  if (filtered)
    return `SELECT path_id, stage_index, COUNT(*) AS views, COUNT(DISTINCT visitor) AS visitors, SUM(is_exit) AS exits
              FROM ${TABLE.page_views} WHERE site = ?1 AND time >= ?2 AND time < ?3${filtered} GROUP BY path_id, stage_index`;
  if (!wide)
    return `SELECT path_id, stage_index, 1 AS views, (prev_path_view IS NULL OR prev_path_view < ?2) AS visitors, is_exit AS exits
              FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time} WHERE site = ?1 AND time >= ?2 AND time < ?3`;
  return `SELECT path_id, stage_index, views, first_views AS visitors, exits FROM ${TABLE.page_days} WHERE site = ?1 AND day >= ?5 AND day < ?6
          UNION ALL
          SELECT path_id, stage_index, 1, prev_path_view IS NULL, is_exit FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time}
           WHERE site = ?1 AND time >= ?2 AND time < MIN(?3, ?7)
          UNION ALL
          SELECT path_id, stage_index, 1, prev_path_view IS NULL, is_exit FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time}
           WHERE site = ?1 AND time >= MAX(?2, ?8) AND time < ?3
          UNION ALL
          SELECT path_id, stage_index, 0, 1, 0 FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_first_path}
           WHERE site = ?1 AND prev_path_view < ?2 AND time >= ?2 AND time < ?3`;
}
