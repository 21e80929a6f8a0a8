-- Sites, stored events (each id once per site), and each visitor's derived stage transitions.

CREATE TABLE sites (
  id              TEXT PRIMARY KEY,
  origins         TEXT NOT NULL,            -- JSON array of allowed origins ("*" allows any)
  stages          TEXT NOT NULL,            -- JSON array: the site's ordered stage list
  read_token_hash TEXT NOT NULL,            -- hex SHA-256 of the read token
  created_at      INTEGER NOT NULL
);

-- One row per stored event. `time` is the event time corrected for client clock skew;
-- `ts` and `sent_at` are the raw client values, `received_at` the collector's clock. No IP address.
CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,          -- insertion order: export cursor
  site         TEXT NOT NULL,
  id           TEXT NOT NULL,
  type         TEXT NOT NULL,
  stage        TEXT NOT NULL,
  stage_index  INTEGER NOT NULL,             -- position of `stage` in the site's list
  visitor      TEXT NOT NULL,
  session      TEXT NOT NULL,
  time         INTEGER NOT NULL,
  ts           INTEGER NOT NULL,
  sent_at      INTEGER NOT NULL,
  received_at  INTEGER NOT NULL,
  path         TEXT NOT NULL,                -- url path, what reports group by
  form         TEXT,
  last_field   TEXT,
  duration_ms  INTEGER,
  value        REAL,
  currency     TEXT,
  data         TEXT NOT NULL,                -- the validated event as JSON, for export
  UNIQUE (site, id)
);
CREATE INDEX events_site_time ON events (site, time);
CREATE INDEX events_site_visitor_time ON events (site, visitor, time);
CREATE INDEX events_site_type_time ON events (site, type, time);

-- A visitor's stage changes in event-time order; rebuilt for a visitor whenever their events arrive.
CREATE TABLE transitions (
  site        TEXT NOT NULL,
  visitor     TEXT NOT NULL,
  time        INTEGER NOT NULL,              -- event time of the move
  event_id    TEXT NOT NULL,                 -- the event that moved the visitor
  from_stage  TEXT,                          -- NULL for the visitor's first stage
  to_stage    TEXT NOT NULL,
  from_index  INTEGER,
  to_index    INTEGER NOT NULL,
  since_ms    INTEGER,                       -- time since the previous move (NULL for the first)
  path        TEXT NOT NULL,
  PRIMARY KEY (site, visitor, time, event_id)
) WITHOUT ROWID;
CREATE INDEX transitions_site_time ON transitions (site, time);
