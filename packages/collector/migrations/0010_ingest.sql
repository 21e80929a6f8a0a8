-- Ingestion: per-site options, per-site daily counters of what was reported lost or filtered, daily salts of the cookieless mode.

-- Bot filtering on (1) or off (0); `visitor_ids`: 'client' (the script's id) or 'cookieless' (daily salted hash made here).
ALTER TABLE sites ADD COLUMN bot_filter INTEGER NOT NULL DEFAULT 1;
ALTER TABLE sites ADD COLUMN visitor_ids TEXT NOT NULL DEFAULT 'client';

-- Counters per site and UTC day (YYYY-MM-DD). Events counted here are not in `events`.
CREATE TABLE site_stats (
  site            TEXT NOT NULL,
  day             TEXT NOT NULL,
  dropped         INTEGER NOT NULL DEFAULT 0,  -- events the script's outbox reported dropping (over its cap)
  bot_events      INTEGER NOT NULL DEFAULT 0,  -- valid events of batches sent by bots and crawlers, not stored
  bot_batches     INTEGER NOT NULL DEFAULT 0,
  storage_failed  INTEGER NOT NULL DEFAULT 0,  -- valid events the database refused (listed as rejected 'storage-failed')
  PRIMARY KEY (site, day)
) WITHOUT ROWID;

-- One random salt per UTC day for cookieless visitor ids; yesterday's salt is deleted when today's is made.
CREATE TABLE daily_salts (
  day   TEXT PRIMARY KEY,
  salt  TEXT NOT NULL
) WITHOUT ROWID;
