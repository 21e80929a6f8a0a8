-- funnel and kpis: the visitors' first entries into each stage ever (prev_entry NULL) counted per stage and hour, with
-- how many of them have a next stage (next_ms) and a later stage (onward_ms) at all. Kept equal to transitions by
-- deriveVisitors, like page_view_hours. A period that covers the site's history up to its last move reads these.
CREATE TABLE entry_hours (
  site     TEXT NOT NULL,
  to_index INTEGER NOT NULL,
  hour     INTEGER NOT NULL,   -- floor(time / 3,600,000)
  entered  INTEGER NOT NULL,   -- moves into to_index with prev_entry NULL
  nexts    INTEGER NOT NULL,   -- of them, with next_ms
  onwards  INTEGER NOT NULL,   -- of them, with onward_ms
  PRIMARY KEY (site, to_index, hour)
) WITHOUT ROWID;

INSERT INTO entry_hours (site, to_index, hour, entered, nexts, onwards)
SELECT site, to_index, CAST(time / 3600000 AS INTEGER), COUNT(*), COUNT(next_ms), COUNT(onward_ms)
  FROM transitions WHERE prev_entry IS NULL GROUP BY 1, 2, 3;
