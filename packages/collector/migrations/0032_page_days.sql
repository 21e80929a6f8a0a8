-- friction at a million events: page views rolled up per site, page and day, and each view's previous view of the
-- same page by the same visitor, so that distinct visitors per page need no grouping by visitor (as 0030 does per stage).

ALTER TABLE page_views ADD COLUMN prev_path_view INTEGER;  -- time of the visitor's previous view of this (path, stage_index)

UPDATE page_views SET prev_path_view = w.p
  FROM (SELECT site, visitor, time, event_id,
               LAG(time) OVER (PARTITION BY site, visitor, path, stage_index ORDER BY time, event_id) AS p
          FROM page_views) AS w
 WHERE page_views.site = w.site AND page_views.visitor = w.visitor AND page_views.time = w.time AND page_views.event_id = w.event_id;

-- Additive counts of page_views per (site, path, stage_index, day = floor(time / 86,400,000)), kept equal to page_views
-- by deriveVisitors like page_view_hours. A period's counts are its whole days from here plus the page views of its
-- partial first and last day.
CREATE TABLE page_days (
  site        TEXT NOT NULL,
  path        TEXT NOT NULL,
  stage_index INTEGER NOT NULL,
  day         INTEGER NOT NULL,
  views       INTEGER NOT NULL,
  exits       INTEGER NOT NULL,
  first_views INTEGER NOT NULL,   -- views that were their visitor's first of this page (prev_path_view NULL)
  PRIMARY KEY (site, path, stage_index, day)
) WITHOUT ROWID;

INSERT INTO page_days (site, path, stage_index, day, views, exits, first_views)
SELECT site, path, stage_index, CAST(time / 86400000 AS INTEGER), COUNT(*), SUM(is_exit), COUNT(*) - COUNT(prev_path_view)
  FROM page_views WHERE true GROUP BY 1, 2, 3, 4;

-- Views whose previous view of the same page came before a period (the visitor's first of that page in it, when the
-- view is in the period), for a period that starts early in the site's history.
CREATE INDEX page_views_site_first_path ON page_views (site, prev_path_view, time, path, stage_index);
-- A period's partial first and last day, in time order, with what friction counts.
DROP INDEX page_views_site_time;
CREATE INDEX page_views_site_time ON page_views (site, time, stage_index, path, visitor, is_entry, is_bounce, is_exit, visible_ms, prev_path_view);
-- friction no longer scans page views in page order.
DROP INDEX page_views_site_path;
