-- transitions at a million events: moves rolled up per (from, to) pair and hour, with the visitors' first moves of each
-- pair (prev_pair NULL), kept equal to transitions by deriveVisitors like page_view_hours. from_index is -1 for a
-- visitor's first stage (NULL cannot be part of a WITHOUT ROWID primary key).
CREATE TABLE pair_hours (
  site        TEXT NOT NULL,
  to_index    INTEGER NOT NULL,
  from_index  INTEGER NOT NULL,  -- -1: from NULL
  hour        INTEGER NOT NULL,  -- floor(time / 3,600,000)
  moves       INTEGER NOT NULL,
  first_moves INTEGER NOT NULL,  -- moves with prev_pair NULL
  PRIMARY KEY (site, to_index, from_index, hour)
) WITHOUT ROWID;

INSERT INTO pair_hours (site, to_index, from_index, hour, moves, first_moves)
SELECT site, to_index, IFNULL(from_index, -1), CAST(time / 3600000 AS INTEGER), COUNT(*), COUNT(*) - COUNT(prev_pair)
  FROM transitions WHERE true GROUP BY 1, 2, 3, 4;
