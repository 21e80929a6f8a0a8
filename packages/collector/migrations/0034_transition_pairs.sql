-- transitions at a million events: each move records the time of the same visitor's previous move between the same
-- two stages, so visitors per (from, to) are counted without grouping by visitor (as 0030 does for entries).
ALTER TABLE transitions ADD COLUMN prev_pair INTEGER;  -- time of the visitor's previous move from from_index to to_index

UPDATE transitions SET prev_pair = w.p
  FROM (SELECT site, visitor, time, event_id,
               LAG(time) OVER (PARTITION BY site, visitor, from_index, to_index ORDER BY time, event_id) AS p
          FROM transitions) AS w
 WHERE transitions.site = w.site AND transitions.visitor = w.visitor AND transitions.time = w.time AND transitions.event_id = w.event_id;

-- Wide periods: per pair, the visitors' first moves (prev_pair NULL) by time range, the others by previous move.
DROP INDEX transitions_site_pair_visitor;
CREATE INDEX transitions_site_pair_first ON transitions (site, to_index, from_index, prev_pair, time);
-- Narrow periods: the period's moves in time order, with what the report counts.
DROP INDEX transitions_site_time;
CREATE INDEX transitions_site_time ON transitions (site, time, to_index, from_index, prev_pair);
