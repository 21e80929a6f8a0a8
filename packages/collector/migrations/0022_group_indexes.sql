-- Group-ordered covering indexes: when a period covers most of a site's history, reports scan these in group order
-- (no temporary sort for GROUP BY and COUNT(DISTINCT visitor)) instead of the time-ordered ones; see src/reports/plan.ts.
CREATE INDEX page_views_site_path ON page_views (site, path, stage_index, visitor, time, is_exit);
CREATE INDEX page_views_site_stage ON page_views (site, stage_index, visitor, time, is_entry, is_bounce, visible_ms);
CREATE INDEX transitions_site_pair_visitor ON transitions (site, to_index, from_index, visitor, time, since_ms);
