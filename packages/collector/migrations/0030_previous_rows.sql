-- Exact distinct-visitor counts in one pass, without grouping by visitor: each derived row records the time of the
-- same visitor's previous row of its kind. Within a period [from, to), a visitor's first row (in time, event id order)
-- is the only one whose previous row lies before `from` (or that has none), so counting those rows counts the visitors.
-- The funnel and kpis read this (REPORTS.md "Speed"); deriveVisitors fills the columns, this migration backfills them.

ALTER TABLE page_views ADD COLUMN prev_view INTEGER;        -- time of the visitor's previous page view (NULL: none)
ALTER TABLE page_views ADD COLUMN prev_stage_view INTEGER;  -- time of the visitor's previous page view of this stage_index
ALTER TABLE transitions ADD COLUMN prev_entry INTEGER;      -- time of the visitor's previous move into this to_index

UPDATE page_views SET prev_view = w.pv, prev_stage_view = w.psv
  FROM (SELECT site, visitor, time, event_id,
               LAG(time) OVER (PARTITION BY site, visitor ORDER BY time, event_id) AS pv,
               LAG(time) OVER (PARTITION BY site, visitor, stage_index ORDER BY time, event_id) AS psv
          FROM page_views) AS w
 WHERE page_views.site = w.site AND page_views.visitor = w.visitor AND page_views.time = w.time AND page_views.event_id = w.event_id;

UPDATE transitions SET prev_entry = w.pe
  FROM (SELECT site, visitor, time, event_id,
               LAG(time) OVER (PARTITION BY site, visitor, to_index ORDER BY time, event_id) AS pe
          FROM transitions) AS w
 WHERE transitions.site = w.site AND transitions.visitor = w.visitor AND transitions.time = w.time AND transitions.event_id = w.event_id;

-- kpis: a period's page views stage by stage (GROUP BY stage_index in index order, no sort), every column it counts.
DROP INDEX page_views_site_stage;
CREATE INDEX page_views_site_stage ON page_views (site, stage_index, time, prev_stage_view, prev_view, is_entry, is_bounce, visible_ms);
-- funnel, kpis: a period's moves stage entered by stage entered, with the look-ahead of each.
DROP INDEX transitions_site_entry;
CREATE INDEX transitions_site_entry ON transitions (site, to_index, time, prev_entry, next_ms, onward_ms);
-- funnel: time to the next stage in order, for its median read at an offset.
CREATE INDEX transitions_site_next ON transitions (site, to_index, next_ms, time, prev_entry) WHERE next_ms IS NOT NULL;
