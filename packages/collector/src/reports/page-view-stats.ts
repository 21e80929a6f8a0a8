// Page views of a period per page stage (views, visitors, entries, bounces, visible times) and the distinct viewers.
import { HOUR_MS } from '../derive/store.ts';
import { periodIsWide } from './plan.ts';
import type { Range } from './query.ts';
import { stagePositions, type ReportSite } from './sql.ts';

/** One page stage's page views in the period. */
export interface StageViews {
  views: number;
  /** Distinct visitors among those views. */
  visitors: number;
  /** Views that were their session's entry, and of those the session's only view. */
  entries: number;
  bounces: number;
  /** Views with a visible time. */
  timed: number;
}

/**
 * Per page stage, the period's page views, and the number of distinct visitors with any page
 * view in it. Exact: the additive counts come from page_view_hours for the period's whole hours
 * and from page_views for its partial first and last hours; a visitor is counted on their first
 * view in the period, the one whose previous view (of that stage, or of any stage) is NULL or
 * before `from`, so no grouping by visitor is needed.
 */
export async function pageViewStats(db: D1Database, site: ReportSite, range: Range): Promise<{ stages: Map<number, StageViews>; viewers: number }> {
  // Whole hours [firstHour, endHour) of the period come from the rollup; the rest from page_views.
  const firstHour = Math.ceil(range.from / HOUR_MS);
  const endHour = Math.max(firstHour, Math.floor(range.to / HOUR_MS));
  const inStages = stagePositions('stage_index', site);
  const wide = await periodIsWide(db, site.id, range);
  // Wide period (it starts early in the site's history): index ranges holding the first views (previous NULL) and
  // the views whose previous one came before `from` (few, then). Narrow: the period's views in time order.
  const firstViews = wide
    ? `SELECT k, SUM(n) AS visitors, 0 AS viewers FROM (
         SELECT stage_index AS k, COUNT(*) AS n FROM page_views INDEXED BY page_views_site_first_stage
          WHERE site = ?1 AND ${inStages} AND prev_stage_view IS NULL AND time >= ?2 AND time < ?3 GROUP BY stage_index
         UNION ALL
         SELECT stage_index, COUNT(*) FROM page_views INDEXED BY page_views_site_first_stage
          WHERE site = ?1 AND ${inStages} AND prev_stage_view < ?2 AND time >= ?2 AND time < ?3 GROUP BY stage_index
       ) GROUP BY k
       UNION ALL
       SELECT -1, 0, (SELECT COUNT(*) FROM page_views INDEXED BY page_views_site_first WHERE site = ?1 AND prev_view IS NULL AND time >= ?2 AND time < ?3)
                   + (SELECT COUNT(*) FROM page_views INDEXED BY page_views_site_first WHERE site = ?1 AND prev_view < ?2 AND time >= ?2 AND time < ?3)`
    : `SELECT stage_index AS k, COUNT(CASE WHEN prev_stage_view IS NULL OR prev_stage_view < ?2 THEN 1 END) AS visitors,
              COUNT(CASE WHEN prev_view IS NULL OR prev_view < ?2 THEN 1 END) AS viewers
         FROM page_views INDEXED BY page_views_site_time WHERE site = ?1 AND ${inStages} AND time >= ?2 AND time < ?3 GROUP BY stage_index`;
  const binds = [site.id, range.from, range.to, firstHour, endHour, firstHour * HOUR_MS, endHour * HOUR_MS];
  const [counts, first] = await db.batch([
    db
      .prepare(
        `SELECT k, SUM(views) AS views, SUM(entries) AS entries, SUM(bounces) AS bounces, SUM(timed) AS timed FROM (
           SELECT stage_index AS k, views, entries, bounces, timed FROM page_view_hours
            WHERE site = ?1 AND ${inStages} AND hour >= ?4 AND hour < ?5
           UNION ALL
           SELECT stage_index, 1, is_entry, is_entry AND is_bounce, visible_ms IS NOT NULL FROM page_views INDEXED BY page_views_site_time
            WHERE site = ?1 AND ${inStages} AND time >= ?2 AND time < MIN(?3, ?6)
           UNION ALL
           SELECT stage_index, 1, is_entry, is_entry AND is_bounce, visible_ms IS NOT NULL FROM page_views INDEXED BY page_views_site_time
            WHERE site = ?1 AND ${inStages} AND time >= MAX(?2, ?7) AND time < ?3
         ) GROUP BY k`,
      )
      .bind(...binds),
    db.prepare(firstViews).bind(...binds.slice(0, 3)),
  ]);
  type Count = { k: number; views: number; entries: number; bounces: number; timed: number };
  type First = { k: number; visitors: number; viewers: number };
  const stages = new Map<number, StageViews>();
  for (const r of counts!.results as Count[]) stages.set(r.k, { views: r.views, visitors: 0, entries: r.entries, bounces: r.bounces, timed: r.timed });
  let viewers = 0;
  for (const r of first!.results as First[]) {
    viewers += r.viewers;
    const s = stages.get(r.k);
    if (s) s.visitors = r.visitors;
  }
  return { stages, viewers };
}
