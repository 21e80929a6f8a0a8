-- The collector's whole schema. src/db/schema.ts names these tables, their columns, the rollups' widths and the
-- indexes for the code: change both together (test: src/db/schema.test.ts checks they agree).
--
-- 1. Sites and their limits        sites, site_stats, visitor_days, daily_salts
-- 2. Stored events                 events (each id once per site; what the export returns)
-- 3. Sessions                      sessions (each session's dimensions, fixed at ingestion)
-- 4. Derived rows                  transitions, page_views, carts, purchases: rebuilt per visitor by deriveVisitors
-- 5. Rollups                       page_view_hours, page_days, entry_hours, pair_hours: sums of the derived rows
--
-- No IP address and no User-Agent is stored anywhere. Times are ms since epoch (UTC).
-- D1 keeps no planner statistics: the reports pick the index they read with INDEXED BY (src/reports/plan.ts).


-- 1. Sites and their limits ------------------------------------------------------------------------------------------

CREATE TABLE sites (
  id                               TEXT PRIMARY KEY,
  origins                          TEXT NOT NULL,               -- JSON array of allowed origins ("*" allows any)
  stages                           TEXT NOT NULL,               -- JSON array: the site's ordered stage list
  read_token_hash                  TEXT NOT NULL,               -- hex SHA-256 of the read token
  created_at                       INTEGER NOT NULL,
  bot_filter                       INTEGER NOT NULL DEFAULT 1,  -- bot batches counted, not stored (1) or stored (0)
  visitor_ids                      TEXT NOT NULL DEFAULT 'client',  -- 'client' (the script's id) or 'cookieless' (daily salted hash)
  retention_days                   INTEGER,                     -- days raw events are kept; NULL: until erased
  abandon_after                    REAL NOT NULL DEFAULT 30,    -- default `abandon_after` of carts and friction, minutes
  require_ingest_key               INTEGER NOT NULL DEFAULT 1,  -- a sender without Origin (a server) must present the ingest key
  -- Daily quotas (UTC day): events stored, bytes of those events (their stored JSON), events of one visitor.
  -- src/db/sites.ts holds the same numbers for a site that set none.
  quota_events_per_day             INTEGER NOT NULL DEFAULT 50000,
  quota_bytes_per_day              INTEGER NOT NULL DEFAULT 25000000,
  quota_events_per_visitor_per_day INTEGER NOT NULL DEFAULT 1000,
  ingest_key_hash                  TEXT                         -- hex SHA-256 of the ingest key; NULL until one is issued
);

-- Counters per site and UTC day (YYYY-MM-DD): what was stored, and what was lost or refused (those events are not in `events`).
CREATE TABLE site_stats (
  site            TEXT NOT NULL,
  day             TEXT NOT NULL,
  dropped         INTEGER NOT NULL DEFAULT 0,  -- events the script's outbox reported dropping (over its cap)
  bot_events      INTEGER NOT NULL DEFAULT 0,  -- valid events of batches sent by bots and crawlers, not stored
  bot_batches     INTEGER NOT NULL DEFAULT 0,
  storage_failed  INTEGER NOT NULL DEFAULT 0,  -- valid events the database refused (listed as rejected 'storage-failed')
  events          INTEGER NOT NULL DEFAULT 0,  -- events stored
  bytes           INTEGER NOT NULL DEFAULT 0,  -- their stored JSON
  quota_events    INTEGER NOT NULL DEFAULT 0,  -- valid events a quota refused
  quota_batches   INTEGER NOT NULL DEFAULT 0,  -- batches they came in
  PRIMARY KEY (site, day)
) WITHOUT ROWID;

-- Events stored per visitor and UTC day, for the per-visitor quota. Only today's rows are needed: a site's earlier
-- days are deleted at its first batch of a new day.
CREATE TABLE visitor_days (
  site     TEXT NOT NULL,
  day      TEXT NOT NULL,
  visitor  TEXT NOT NULL,
  events   INTEGER NOT NULL DEFAULT 0,
  PRIMARY KEY (site, day, visitor)
) WITHOUT ROWID;

-- One random salt per UTC day for cookieless visitor ids; yesterday's salt is deleted when today's is made.
CREATE TABLE daily_salts (
  day   TEXT PRIMARY KEY,
  salt  TEXT NOT NULL
) WITHOUT ROWID;


-- 2. Stored events ---------------------------------------------------------------------------------------------------

-- One row per stored event. `time` is the event time corrected for client clock skew; `ts` and `sent_at` are the
-- raw client values, `received_at` the collector's clock.
CREATE TABLE events (
  seq          INTEGER PRIMARY KEY,          -- insertion order: the export's cursor
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
  path         TEXT NOT NULL,                -- the url's path, what reports group by
  form         TEXT,
  last_field   TEXT,
  duration_ms  INTEGER,
  value        REAL,
  currency     TEXT,
  data         TEXT NOT NULL,                -- the validated event as JSON, for the export
  UNIQUE (site, id)
);
CREATE INDEX events_site_time ON events (site, time);
-- Derivation loads a visitor's events, and reads the highest seq of the visitors it derived.
CREATE INDEX events_site_visitor_time ON events (site, visitor, time);
CREATE INDEX events_site_type_time ON events (site, type, time);
-- Form events only: the forms report and friction's form abandons.
CREATE INDEX events_site_forms ON events (site, type, time, form, path, last_field) WHERE form IS NOT NULL;
-- The export: a site's events in insertion order.
CREATE INDEX events_site_seq ON events (site, seq);


-- 3. Sessions --------------------------------------------------------------------------------------------------------

-- One row per session with where it came from, on what, from which country (docs/PROTOCOL.md, "Dimensions and
-- filters"), fixed by its first page view (else its first event) and the request that carried it: upserted in the
-- transaction that stores its events, the candidate ranking first kept whatever order batches arrive in. Each derived
-- row names its session, so a report filter keeps the rows of matching sessions.
CREATE TABLE sessions (
  site        TEXT NOT NULL,
  visitor     TEXT NOT NULL,
  session     TEXT NOT NULL,
  started_at  INTEGER NOT NULL,   -- event time of the event that fixed the dimensions
  first_event TEXT NOT NULL,      -- its id
  from_view   INTEGER NOT NULL,   -- 1 when that event is a page view (a page view always wins over other events)
  channel     TEXT NOT NULL,      -- direct, organic_search, paid_search, organic_social, paid_social, email, referral, display, affiliate, other
  source      TEXT NOT NULL,      -- utm_source, else the referrer's host without www., else (direct)
  medium      TEXT NOT NULL,      -- utm_medium, else (none)
  campaign    TEXT NOT NULL,      -- utm_campaign, else (none)
  referrer    TEXT NOT NULL,      -- the referrer's host, else (none)
  landing     TEXT NOT NULL,      -- path of the session's first page
  device      TEXT NOT NULL,      -- desktop, mobile, tablet, other (from the User-Agent, not stored)
  browser     TEXT NOT NULL,      -- family name, other when unknown
  os          TEXT NOT NULL,      -- family name, other when unknown
  country     TEXT NOT NULL,      -- ISO 3166-1 alpha-2 from the edge, XX when unknown
  PRIMARY KEY (site, visitor, session)
) WITHOUT ROWID;


-- 4. Derived rows ----------------------------------------------------------------------------------------------------
-- Rebuilt for a visitor from all their stored events whenever some arrive (src/derive), so they are the same whatever
-- order batches arrive in. Keyed by (site, visitor, ...) so a visitor's rows are replaced at once. The `prev_*` columns
-- hold the time of the same visitor's previous row of the same kind: within a period [from, to) a visitor's first row
-- is the only one whose previous row lies before `from` (or that has none), so counting those rows counts visitors
-- without grouping by visitor.

-- A visitor's stage changes in event-time order.
CREATE TABLE transitions (
  site        TEXT NOT NULL,
  visitor     TEXT NOT NULL,
  time        INTEGER NOT NULL,   -- event time of the move
  event_id    TEXT NOT NULL,      -- the event that moved the visitor
  from_stage  TEXT,               -- NULL for the visitor's first stage
  to_stage    TEXT NOT NULL,
  from_index  INTEGER,
  to_index    INTEGER NOT NULL,
  since_ms    INTEGER,            -- time since the previous move (NULL for the first)
  path        TEXT NOT NULL,
  next_ms     INTEGER,            -- ms from this move to the visitor's next move into stage to_index + 1
  onward_ms   INTEGER,            -- ms from this move to the visitor's next move into any stage after to_index
  prev_entry  INTEGER,            -- time of the visitor's previous move into this to_index
  prev_pair   INTEGER,            -- time of the visitor's previous move from from_index to to_index
  session     TEXT,               -- session of the event that moved the visitor
  PRIMARY KEY (site, visitor, time, event_id)
) WITHOUT ROWID;
-- A period's moves in time order, with what funnel, kpis and transitions count (narrow periods), and each move's
-- session: breakdown and timeseries join or count sessions without a look-up into the table (visitor is in every
-- index of a WITHOUT ROWID table: its primary key).
CREATE INDEX transitions_site_time ON transitions (site, time, to_index, from_index, prev_pair, prev_entry, next_ms, onward_ms, session);
-- transitions: durations of one (to, from) pair in order, for its median read at an offset.
CREATE INDEX transitions_site_pair ON transitions (site, to_index, from_index, since_ms, time);
-- transitions (wide periods): per pair, the visitors' first moves by time, the others by previous move.
CREATE INDEX transitions_site_pair_first ON transitions (site, to_index, from_index, prev_pair, time);
-- funnel, kpis (wide periods): first entries into each stage (prev_entry NULL), and entries after one before the period.
CREATE INDEX transitions_site_first ON transitions (site, to_index, prev_entry, time, next_ms, onward_ms);
-- funnel: time to the next stage in order, for its median read at an offset.
CREATE INDEX transitions_site_next ON transitions (site, to_index, next_ms, time, prev_entry) WHERE next_ms IS NOT NULL;

-- One row per page view, with what the reports need to know about it.
CREATE TABLE page_views (
  site            TEXT NOT NULL,
  visitor         TEXT NOT NULL,
  session         TEXT NOT NULL,
  time            INTEGER NOT NULL,
  event_id        TEXT NOT NULL,
  path            TEXT NOT NULL,
  stage_index     INTEGER NOT NULL,   -- the page's own stage
  journey_index   INTEGER NOT NULL,   -- the visitor's stage right after this view
  visible_ms      INTEGER,            -- duration_ms of the page_leave that closed this view
  is_entry        INTEGER NOT NULL,   -- first page view of its session
  is_bounce       INTEGER NOT NULL,   -- only page view of its session
  is_exit         INTEGER NOT NULL,   -- last of its session, no later stage reached after it
  prev_view       INTEGER,            -- time of the visitor's previous page view
  prev_stage_view INTEGER,            -- time of the visitor's previous page view of this stage_index
  prev_path_view  INTEGER,            -- time of the visitor's previous view of this (path, stage_index)
  PRIMARY KEY (site, visitor, time, event_id)
) WITHOUT ROWID;
-- A period's views in time order, with what kpis and friction count (narrow periods, and the partial first and last
-- hour or day of wide ones), and each view's session (breakdown, timeseries: as transitions_site_time).
CREATE INDEX page_views_site_time ON page_views (site, time, stage_index, path, is_entry, is_bounce, is_exit, visible_ms, prev_path_view, prev_stage_view, prev_view, session);
-- kpis: visible time per page stage in order, for its median.
CREATE INDEX page_views_site_visible ON page_views (site, stage_index, visible_ms, time) WHERE visible_ms IS NOT NULL;
-- kpis, friction (wide periods): views whose previous view (of the stage; of any stage; of the page) came before the
-- period, the visitors' first of it.
CREATE INDEX page_views_site_first_stage ON page_views (site, stage_index, prev_stage_view, time);
CREATE INDEX page_views_site_first ON page_views (site, prev_view, time);
CREATE INDEX page_views_site_first_path ON page_views (site, prev_path_view, time, path, stage_index);

-- One row per cart: a visitor's items since their previous purchase.
CREATE TABLE carts (
  site          TEXT NOT NULL,
  visitor       TEXT NOT NULL,
  event_id      TEXT NOT NULL,      -- the event that opened the cart
  started_at    INTEGER NOT NULL,
  last_activity INTEGER NOT NULL,   -- last add/remove/view_cart/checkout/payment event
  checkout_at   INTEGER,
  purchased_at  INTEGER,
  quantity      INTEGER NOT NULL,   -- units still held
  value         REAL NOT NULL,      -- sum price x quantity of what it holds
  currency      TEXT,
  exit_path     TEXT,               -- last page of the session of the last cart activity
  exit_stage    INTEGER,            -- that page's stage
  session       TEXT,               -- session of the event that opened the cart
  PRIMARY KEY (site, visitor, event_id)
) WITHOUT ROWID;
-- carts: a period's carts with everything the report counts, and the session that opened each.
CREATE INDEX carts_site_started ON carts (site, started_at, last_activity, checkout_at, purchased_at, quantity, value, currency, exit_path, exit_stage, session);

-- One row per purchase (a transaction id counted once per visitor).
CREATE TABLE purchases (
  site        TEXT NOT NULL,
  visitor     TEXT NOT NULL,
  time        INTEGER NOT NULL,
  event_id    TEXT NOT NULL,
  value       REAL,
  currency    TEXT,
  nth         INTEGER NOT NULL,     -- 1 for the visitor's first purchase
  decision_ms INTEGER,              -- time since the visitor first entered the purchase's stage since the previous purchase
  view_before INTEGER,              -- time of the visitor's last page view at or before the purchase (NULL: none)
  view_after  INTEGER,              -- time of the visitor's first page view after the purchase (NULL: none)
  session     TEXT,                 -- session of the purchase event
  PRIMARY KEY (site, visitor, time, event_id)
) WITHOUT ROWID;
-- kpis: a period's purchases with what it counts (a buyer viewed a page in a period exactly when view_before or
-- view_after of one of their purchases in it lies in the period).
CREATE INDEX purchases_site_time ON purchases (site, time, visitor, nth, value, currency, decision_ms, view_before, view_after, session);
-- kpis: decision times in order, for their median read at an offset.
CREATE INDEX purchases_site_decision ON purchases (site, decision_ms, time) WHERE decision_ms IS NOT NULL;


-- 5. Rollups ---------------------------------------------------------------------------------------------------------
-- Additive counts of the derived rows per hour (floor(time / 3,600,000)) or day (floor(time / 86,400,000)).
-- deriveVisitors keeps each equal to the table it sums: in the transaction that replaces a visitor's rows it subtracts
-- their old rows and adds the new ones. A wide period's counts are its whole hours or days from here plus the rows of
-- its partial first and last hour or day.

-- page_views per (site, stage_index, hour): kpis.
CREATE TABLE page_view_hours (
  site              TEXT NOT NULL,
  stage_index       INTEGER NOT NULL,
  hour              INTEGER NOT NULL,
  views             INTEGER NOT NULL,
  entries           INTEGER NOT NULL,             -- page views that were their session's entry
  bounces           INTEGER NOT NULL,             -- entries that were their session's only page view
  timed             INTEGER NOT NULL,             -- page views with a visible time
  first_stage_views INTEGER NOT NULL DEFAULT 0,   -- views with prev_stage_view NULL
  first_views       INTEGER NOT NULL DEFAULT 0,   -- views with prev_view NULL
  PRIMARY KEY (site, stage_index, hour)
) WITHOUT ROWID;

-- page_views per (site, path, stage_index, day): friction.
CREATE TABLE page_days (
  site        TEXT NOT NULL,
  path        TEXT NOT NULL,
  stage_index INTEGER NOT NULL,
  day         INTEGER NOT NULL,
  views       INTEGER NOT NULL,
  exits       INTEGER NOT NULL,
  first_views INTEGER NOT NULL,   -- views that were their visitor's first of this page (prev_path_view NULL)
  PRIMARY KEY (site, path, stage_index, day)
) WITHOUT ROWID;

-- The visitors' first entries into each stage ever (transitions with prev_entry NULL) per (site, to_index, hour), with
-- how many of them have a next stage (next_ms) and a later stage (onward_ms) at all: funnel and kpis.
CREATE TABLE entry_hours (
  site     TEXT NOT NULL,
  to_index INTEGER NOT NULL,
  hour     INTEGER NOT NULL,
  entered  INTEGER NOT NULL,   -- moves into to_index with prev_entry NULL
  nexts    INTEGER NOT NULL,   -- of them, with next_ms
  onwards  INTEGER NOT NULL,   -- of them, with onward_ms
  PRIMARY KEY (site, to_index, hour)
) WITHOUT ROWID;

-- transitions per (site, to_index, from_index, hour), with the visitors' first moves of each pair: transitions.
-- from_index is -1 for a visitor's first stage (NULL cannot be part of a WITHOUT ROWID primary key).
CREATE TABLE pair_hours (
  site        TEXT NOT NULL,
  to_index    INTEGER NOT NULL,
  from_index  INTEGER NOT NULL,  -- -1: from NULL
  hour        INTEGER NOT NULL,
  moves       INTEGER NOT NULL,
  first_moves INTEGER NOT NULL,  -- moves with prev_pair NULL
  PRIMARY KEY (site, to_index, from_index, hour)
) WITHOUT ROWID;
