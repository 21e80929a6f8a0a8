-- Fewer indexes to keep up at ingestion: the narrow-period paths of funnel, kpis and transitions read the period's rows
-- through the one time-ordered index of each table (and sort their few groups) instead of per-stage time indexes.
DROP INDEX transitions_site_entry;
DROP INDEX transitions_site_time;
CREATE INDEX transitions_site_time ON transitions (site, time, to_index, from_index, prev_pair, prev_entry, next_ms, onward_ms);
DROP INDEX page_views_site_stage;
DROP INDEX page_views_site_time;
CREATE INDEX page_views_site_time ON page_views (site, time, stage_index, path, is_entry, is_bounce, is_exit, visible_ms, prev_path_view, prev_stage_view, prev_view);
