-- Paths stored once per site. Until now every table that keeps a page's path held its text: a page view's path was
-- written in events, page_views (and two of its indexes) and page_days, a stage move's in transitions, a cart's exit
-- page in carts (and its index). 80 requests of 500 page views, each with its own 1,700-character path, added 1.1 GB.
-- Now `paths` holds each distinct (site, path) once and those columns hold its id (src/db/paths.ts).
-- Never pruned: a path holds no visitor, and the daily byte quota (which counts each event's url) bounds how fast it grows.
CREATE TABLE paths (
  id    INTEGER PRIMARY KEY,   -- what events.path_id, page_views.path_id, transitions.path_id, carts.exit_path_id and page_days.path_id hold
  site  TEXT NOT NULL,
  path  TEXT NOT NULL,
  UNIQUE (site, path)
);

-- Every path stored so far (derived rows may outlive their events after retention).
INSERT OR IGNORE INTO paths (site, path) SELECT site, path FROM events ORDER BY seq;
INSERT OR IGNORE INTO paths (site, path) SELECT site, path FROM page_views;
INSERT OR IGNORE INTO paths (site, path) SELECT site, path FROM transitions;
INSERT OR IGNORE INTO paths (site, path) SELECT site, exit_path FROM carts WHERE exit_path IS NOT NULL;
INSERT OR IGNORE INTO paths (site, path) SELECT site, path FROM page_days;

-- events: path -> path_id (the forms' index named the path).
DROP INDEX events_site_forms;
ALTER TABLE events ADD COLUMN path_id INTEGER NOT NULL DEFAULT 0;   -- paths.id of the url's path; every insert sets it
UPDATE events SET path_id = (SELECT p.id FROM paths p WHERE p.site = events.site AND p.path = events.path);
ALTER TABLE events DROP COLUMN path;
CREATE INDEX events_site_forms ON events (site, type, time, form, path_id, last_field) WHERE form IS NOT NULL;

-- page_views: path -> path_id, in its two indexes too.
DROP INDEX page_views_site_time;
DROP INDEX page_views_site_first_path;
ALTER TABLE page_views ADD COLUMN path_id INTEGER NOT NULL DEFAULT 0;
UPDATE page_views SET path_id = (SELECT p.id FROM paths p WHERE p.site = page_views.site AND p.path = page_views.path);
ALTER TABLE page_views DROP COLUMN path;
CREATE INDEX page_views_site_time ON page_views (site, time, stage_index, path_id, is_entry, is_bounce, is_exit, visible_ms, prev_path_view, prev_stage_view, prev_view, session);
CREATE INDEX page_views_site_first_path ON page_views (site, prev_path_view, time, path_id, stage_index);

-- transitions: path -> path_id.
ALTER TABLE transitions ADD COLUMN path_id INTEGER NOT NULL DEFAULT 0;
UPDATE transitions SET path_id = (SELECT p.id FROM paths p WHERE p.site = transitions.site AND p.path = transitions.path);
ALTER TABLE transitions DROP COLUMN path;

-- carts: exit_path -> exit_path_id (NULL: no page view in the session), in its index too.
DROP INDEX carts_site_started;
ALTER TABLE carts ADD COLUMN exit_path_id INTEGER;
UPDATE carts SET exit_path_id = (SELECT p.id FROM paths p WHERE p.site = carts.site AND p.path = carts.exit_path);
ALTER TABLE carts DROP COLUMN exit_path;
CREATE INDEX carts_site_started ON carts (site, started_at, last_activity, checkout_at, purchased_at, quantity, value, currency, exit_path_id, exit_stage, session);

-- page_days: the path is part of its key, so the table is rebuilt.
CREATE TABLE page_days_by_id (
  site        TEXT NOT NULL,
  path_id     INTEGER NOT NULL,
  stage_index INTEGER NOT NULL,
  day         INTEGER NOT NULL,
  views       INTEGER NOT NULL,
  exits       INTEGER NOT NULL,
  first_views INTEGER NOT NULL,   -- views that were their visitor's first of this page (prev_path_view NULL)
  PRIMARY KEY (site, path_id, stage_index, day)
) WITHOUT ROWID;
INSERT INTO page_days_by_id (site, path_id, stage_index, day, views, exits, first_views)
  SELECT d.site, p.id, d.stage_index, d.day, d.views, d.exits, d.first_views
    FROM page_days d JOIN paths p ON p.site = d.site AND p.path = d.path;
DROP TABLE page_days;
ALTER TABLE page_days_by_id RENAME TO page_days;
