-- Faster reports at a million events: covering indexes (no table lookups per row), ordered indexes for medians
-- (read at an offset, no sort), and per-move look-ahead so the funnel reads one index range.
-- Rows derived before this migration get next_ms / onward_ms at their visitor's next batch (NULL reads as
-- "did not go on").
ALTER TABLE transitions ADD COLUMN next_ms INTEGER;    -- ms from this move to the visitor's next move into stage to_index + 1
ALTER TABLE transitions ADD COLUMN onward_ms INTEGER;  -- ms from this move to the visitor's next move into any stage after to_index

-- transitions: a period's moves without a lookup into the table (0001's index covered only site and time).
DROP INDEX transitions_site_time;
CREATE INDEX transitions_site_time ON transitions (site, time, to_index, from_index, visitor, since_ms, next_ms, onward_ms);
-- transitions report: durations of one (to, from) pair in order, for its median.
DROP INDEX transitions_site_pair;
CREATE INDEX transitions_site_pair ON transitions (site, to_index, from_index, since_ms, time);
-- funnel, kpis: per stage entered and visitor, in time order (first entry in a period, grouped without sorting).
CREATE INDEX transitions_site_entry ON transitions (site, to_index, visitor, time, next_ms, onward_ms);

-- page views: a period's views without a lookup into the table.
DROP INDEX page_views_site_path;
DROP INDEX page_views_site_stage;
CREATE INDEX page_views_site_time ON page_views (site, time, stage_index, path, visitor, is_entry, is_bounce, is_exit, visible_ms);
-- kpis: visible time per page stage in order, for its median.
CREATE INDEX page_views_site_visible ON page_views (site, stage_index, visible_ms, time) WHERE visible_ms IS NOT NULL;
