// Page views of a period per page (path and stage): views, distinct visitors, exits, for the friction report.
import { DAY_MS } from '../derive/store.ts';
import { sessionCondition } from './filter.ts';
import { periodIsWide } from './plan.ts';
import type { Range } from './query.ts';

/** One page's views in the period. */
export interface PathViews {
  path: string;
  stage_index: number;
  views: number;
  /** Distinct visitors among those views. */
  visitors: number;
  exits: number;
}

/**
 * Per (path, stage), the period's page views, distinct visitors and exits. Exact. A visitor is
 * counted on their first view of the page in the period: the view whose previous view of that page
 * (`prev_path_view`) is NULL or before `from`. When the period covers most of the site's history,
 * the counts come from page_days for its whole days, from page_views for its partial first and
 * last day, plus the views whose previous view of the page came before `from` (an index range
 * of the views before the period); otherwise, from the period's page views in time order.
 */
export async function pathViews(db: D1Database, site: string, range: Range): Promise<PathViews[]> {
  const binds = [site, range.from, range.to];
  const filtered = sessionCondition(site, range.filter);
  if (filtered) {
    // The previous-view columns count over all of a visitor's sessions: with a filter, distinct visitors are counted.
    const { results } = await db
      .prepare(
        `SELECT path, stage_index, COUNT(*) AS views, COUNT(DISTINCT visitor) AS visitors, SUM(is_exit) AS exits
           FROM page_views WHERE site = ?1 AND time >= ?2 AND time < ?3${filtered} GROUP BY path, stage_index`,
      )
      .bind(...binds)
      .all<PathViews>();
    return results;
  }
  if (!(await periodIsWide(db, site, range))) {
    const { results } = await db
      .prepare(
        `SELECT path, stage_index, COUNT(*) AS views, COUNT(CASE WHEN prev_path_view IS NULL OR prev_path_view < ?2 THEN 1 END) AS visitors,
                SUM(is_exit) AS exits
           FROM page_views INDEXED BY page_views_site_time WHERE site = ?1 AND time >= ?2 AND time < ?3 GROUP BY path, stage_index`,
      )
      .bind(...binds)
      .all<PathViews>();
    return results;
  }
  const firstDay = Math.ceil(range.from / DAY_MS);
  const endDay = Math.max(firstDay, Math.floor(range.to / DAY_MS));
  const { results } = await db
    .prepare(
      `SELECT path, stage_index, SUM(views) AS views, SUM(visitors) AS visitors, SUM(exits) AS exits FROM (
         SELECT path, stage_index, views, first_views AS visitors, exits FROM page_days WHERE site = ?1 AND day >= ?4 AND day < ?5
         UNION ALL
         SELECT path, stage_index, 1, prev_path_view IS NULL, is_exit FROM page_views INDEXED BY page_views_site_time
          WHERE site = ?1 AND time >= ?2 AND time < MIN(?3, ?6)
         UNION ALL
         SELECT path, stage_index, 1, prev_path_view IS NULL, is_exit FROM page_views INDEXED BY page_views_site_time
          WHERE site = ?1 AND time >= MAX(?2, ?7) AND time < ?3
         UNION ALL
         SELECT path, stage_index, 0, 1, 0 FROM page_views INDEXED BY page_views_site_first_path
          WHERE site = ?1 AND prev_path_view < ?2 AND time >= ?2 AND time < ?3
       ) GROUP BY path, stage_index HAVING SUM(views) > 0`,
    )
    .bind(...binds, firstDay, endDay, firstDay * DAY_MS, endDay * DAY_MS)
    .all<PathViews>();
  return results;
}
