-- kpis: the visitors' first page views (overall and per stage) counted per hour too, so that a wide period reads them
-- from page_view_hours instead of an index range of every first view.
ALTER TABLE page_view_hours ADD COLUMN first_stage_views INTEGER NOT NULL DEFAULT 0;  -- views with prev_stage_view NULL
ALTER TABLE page_view_hours ADD COLUMN first_views INTEGER NOT NULL DEFAULT 0;        -- views with prev_view NULL

UPDATE page_view_hours SET first_stage_views = w.fs, first_views = w.f
  FROM (SELECT site, stage_index, CAST(time / 3600000 AS INTEGER) AS hour,
               COUNT(*) - COUNT(prev_stage_view) AS fs, COUNT(*) - COUNT(prev_view) AS f
          FROM page_views GROUP BY 1, 2, 3) AS w
 WHERE page_view_hours.site = w.site AND page_view_hours.stage_index = w.stage_index AND page_view_hours.hour = w.hour;
