-- Per-site options and daily quotas (admin PATCH), and what each site stored per UTC day, so a quota can be enforced.

-- Days raw events are kept (NULL: kept until erased); the carts/friction default of `abandon_after`, in minutes.
ALTER TABLE sites ADD COLUMN retention_days INTEGER;
ALTER TABLE sites ADD COLUMN abandon_after REAL NOT NULL DEFAULT 30;
-- A sender without Origin (a server) must present the site's ingest key, unless this is 0.
ALTER TABLE sites ADD COLUMN require_ingest_key INTEGER NOT NULL DEFAULT 1;
-- Daily quotas, per UTC day: events stored, bytes of those events (their stored JSON), events of one visitor.
ALTER TABLE sites ADD COLUMN quota_events_per_day INTEGER NOT NULL DEFAULT 50000;
ALTER TABLE sites ADD COLUMN quota_bytes_per_day INTEGER NOT NULL DEFAULT 25000000;
ALTER TABLE sites ADD COLUMN quota_events_per_visitor_per_day INTEGER NOT NULL DEFAULT 1000;

-- What the site stored that day, and what its quota refused (valid events, and the batches they came in).
ALTER TABLE site_stats ADD COLUMN events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_stats ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_stats ADD COLUMN quota_events INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_stats ADD COLUMN quota_batches INTEGER NOT NULL DEFAULT 0;

-- Events stored per visitor and UTC day, for the per-visitor quota. Only today's rows are needed: a site's earlier
-- days are deleted at its first batch of a new day.
CREATE TABLE visitor_days (
  site     TEXT NOT NULL,
  day      TEXT NOT NULL,
  visitor  TEXT NOT NULL,
  events   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site, day, visitor)
) WITHOUT ROWID;
