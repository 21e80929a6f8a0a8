-- kpis at a million events: page-view counts rolled up per site, page stage and hour, and indexes that find each
-- visitor's first page view (overall, and per stage) in a period without reading the period's other views.

-- Additive counts of page_views per (site, stage_index, hour = floor(time / 3,600,000)). deriveVisitors keeps it equal
-- to the table it sums: in the transaction that replaces a visitor's page views, it subtracts their old rows and adds
-- the new ones. A period's counts are its whole hours from here plus the page views of its partial first and last hour.
CREATE TABLE page_view_hours (
  site        TEXT NOT NULL,
  stage_index INTEGER NOT NULL,
  hour        INTEGER NOT NULL,
  views       INTEGER NOT NULL,
  entries     INTEGER NOT NULL,   -- page views that were their session's entry
  bounces     INTEGER NOT NULL,   -- entries that were their session's only page view
  timed       INTEGER NOT NULL,   -- page views with a visible time
  PRIMARY KEY (site, stage_index, hour)
) WITHOUT ROWID;

INSERT INTO page_view_hours (site, stage_index, hour, views, entries, bounces, timed)
SELECT site, stage_index, CAST(time / 3600000 AS INTEGER), COUNT(*), SUM(is_entry), SUM(is_entry AND is_bounce), COUNT(visible_ms)
  FROM page_views WHERE true GROUP BY 1, 2, 3;

-- A visitor's first page view of a stage in [from, to) is a view in the period whose previous view of that stage is
-- NULL or before `from`: when the period starts near the beginning of the site's history, these index ranges hold
-- little more than those first views (see src/reports/page-view-stats.ts).
CREATE INDEX page_views_site_first_stage ON page_views (site, stage_index, prev_stage_view, time);
CREATE INDEX page_views_site_first ON page_views (site, prev_view, time);
