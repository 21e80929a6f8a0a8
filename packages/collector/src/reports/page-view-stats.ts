// Page views of a period per page stage (views, visitors, entries, bounces, visible times) and the distinct viewers.
import { HOUR_MS, INDEX, TABLE, wholeBuckets } from '../db/schema.ts';
import { sessionCondition } from './filter.ts';
import { periodIsWide } from './plan.ts';
import type { Range } from './query.ts';
import { groupMedians, stagePositions, type ReportSite } from './sql.ts';

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
  /** With a filter only: the median visible time of those views (without, kpis reads it at an offset of an index). */
  median?: number | null;
}

type Row = StageViews & { k: number; viewers: number };

/**
 * Per page stage, the period's page views, and the number of distinct visitors with any page
 * view in it. Exact. A visitor is counted on their first view in the period: the one whose
 * previous view (of that stage, or of any stage) is NULL or before `from`, so no grouping by
 * visitor is needed. When the period covers most of the site's history, the counts (first
 * views ever included) come from page_view_hours for the period's whole hours and from
 * page_views for its partial first and last hours, plus the views whose previous view came
 * before `from` (index ranges of the views before the period); otherwise, from the period's
 * page views in time order. With a filter, `withMedian` also ranks each stage's median visible time (kpis; a shard's
 * partial sends the values themselves instead).
 */
export async function pageViewStats(
  db: D1Database,
  site: ReportSite,
  range: Range,
  withMedian = true,
): Promise<{ stages: Map<number, StageViews>; viewers: number }> {
  const inStages = stagePositions('stage_index', site);
  const binds = [site.id, range.from, range.to];
  let rows: Row[];
  const filtered = sessionCondition(site.id, range.filter);
  if (filtered) {
    // The previous-view columns count over all of a visitor's sessions: with a filter, the matching views are read once
    // and grouped per visitor and stage, then per stage (distinct visitors without COUNT(DISTINCT) over every view).
    // Each stage's median visible time is ranked among the timed views (groupMedians).
    rows = (
      await db
        .prepare(
          `WITH pv AS MATERIALIZED (
             SELECT visitor, stage_index, is_entry, is_bounce, visible_ms
               FROM ${TABLE.page_views} WHERE site = ?1 AND ${inStages} AND time >= ?2 AND time < ?3${filtered}),
           per AS MATERIALIZED (
             SELECT visitor, stage_index, COUNT(*) AS views, SUM(is_entry) AS entries, SUM(is_entry AND is_bounce) AS bounces,
                    COUNT(visible_ms) AS timed FROM pv GROUP BY visitor, stage_index),
           st AS MATERIALIZED (
             SELECT stage_index, SUM(views) AS views, SUM(entries) AS entries, SUM(bounces) AS bounces,
                    SUM(timed) AS timed, COUNT(*) AS visitors FROM per GROUP BY stage_index),
           mid AS MATERIALIZED (${withMedian ? groupMedians('pv', ['stage_index'], 'visible_ms', 'st', 'timed') : 'SELECT NULL AS stage_index, NULL AS median'})
           SELECT st.stage_index AS k, views, entries, bounces, timed, visitors, 0 AS viewers, median
             FROM st LEFT JOIN mid ON mid.stage_index = st.stage_index
           UNION ALL SELECT -1, 0, 0, 0, 0, 0, COUNT(DISTINCT visitor), NULL FROM per`,
        )
        .bind(...binds)
        .all<Row>()
    ).results;
  } else if (!(await periodIsWide(db, site.id, range))) {
    rows = (
      await db
        .prepare(
          `SELECT stage_index AS k, COUNT(*) AS views, SUM(is_entry) AS entries, SUM(is_entry AND is_bounce) AS bounces,
                  COUNT(visible_ms) AS timed, COUNT(CASE WHEN prev_stage_view IS NULL OR prev_stage_view < ?2 THEN 1 END) AS visitors,
                  COUNT(CASE WHEN prev_view IS NULL OR prev_view < ?2 THEN 1 END) AS viewers
             FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time} WHERE site = ?1 AND ${inStages} AND time >= ?2 AND time < ?3 GROUP BY stage_index`,
        )
        .bind(...binds)
        .all<Row>()
    ).results;
  } else {
    // Whole hours of the period come from the rollup; the rest from page_views.
    const partial = `SELECT stage_index, 1, is_entry, is_entry AND is_bounce, visible_ms IS NOT NULL, prev_stage_view IS NULL, prev_view IS NULL
                       FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time} WHERE site = ?1 AND ${inStages}`;
    rows = (
      await db
        .prepare(
          `SELECT k, SUM(views) AS views, SUM(entries) AS entries, SUM(bounces) AS bounces, SUM(timed) AS timed,
                  SUM(visitors) AS visitors, SUM(viewers) AS viewers FROM (
             SELECT stage_index AS k, views, entries, bounces, timed, first_stage_views AS visitors, first_views AS viewers
               FROM ${TABLE.page_view_hours} WHERE site = ?1 AND ${inStages} AND hour >= ?4 AND hour < ?5
             UNION ALL ${partial} AND time >= ?2 AND time < MIN(?3, ?6)
             UNION ALL ${partial} AND time >= MAX(?2, ?7) AND time < ?3
             -- Views in the period whose previous view (of the stage; of any stage) came before it: few when it starts early.
             UNION ALL
             SELECT stage_index, 0, 0, 0, 0, 1, 0 FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_first_stage}
              WHERE site = ?1 AND ${inStages} AND prev_stage_view < ?2 AND time >= ?2 AND time < ?3
             UNION ALL
             SELECT -1, 0, 0, 0, 0, 0, 1 FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_first}
              WHERE site = ?1 AND prev_view < ?2 AND time >= ?2 AND time < ?3
           ) GROUP BY k`,
        )
        .bind(...binds, ...wholeBuckets(range, HOUR_MS))
        .all<Row>()
    ).results;
  }
  const stages = new Map<number, StageViews>();
  let viewers = 0;
  for (const { k, viewers: v, ...r } of rows) {
    viewers += v;
    // k -1 carries only viewers (counted over every stage).
    if (k >= 0) stages.set(k, { ...r, ...(r.median != null ? { median: Math.round(r.median) } : {}) });
  }
  return { stages, viewers };
}
