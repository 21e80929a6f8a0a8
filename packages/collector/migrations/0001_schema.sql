-- The collector's whole schema, in one file. src/db/schema.ts names these tables, their columns, the rollups' widths
-- and the indexes for the code, and is the only code that spells a table's name: change both together
-- (src/db/schema.test.ts checks they agree). Nothing has shipped: until the first release a change to the schema is
-- made in this file (a migration added meanwhile is folded in, scripts/compare-schemas.mjs showing the schema the same).
--
-- 1. Global tables       sites, daily_salts, webhooks, webhook_deliveries, alerts, cart_abandonments, surveys,
--                        shard_moves
-- 2. Base tables         events (each id once per site; what the export returns), form_fields (their entries), paths,
--                        sessions
-- 3. Derived tables      transitions, page_views, carts, purchases: rebuilt per visitor by deriveVisitors
-- 4. Rollups             page_view_hours, page_days, entry_hours, pair_hours: sums of the derived rows
-- 5. Derivation state    visitor_state, visitor_versions, dirty_visitors, site_erasures, erased_visitors
-- 6. Usage and guards    site_stats, visitor_days, guard_failures
--
-- No IP address and no User-Agent is stored anywhere. Times are ms since epoch (UTC). A page's path is stored once per
-- site in `paths`; every other table holds its id (`path_id`, `exit_path_id`; src/db/insert-sql.ts adds and reads them).
-- D1 keeps no planner statistics: the reports pick the index they read with INDEXED BY (src/reports/plan.ts).
-- In the sharded layout (docs/PROTOCOL.md, "Storage layouts") the global tables (1) stay in D1 and a site's shard holds
-- its rows of the others (2 to 6); each SQLite gets this whole file. A few columns come after the ones they belong with
-- (events.path_id, sites.retained_from, ...): the order the fourteen files this one was folded from left, so that
-- `SELECT *` answers as it did (scripts/compare-schemas.mjs found the two schemas equal).


-- 1. Global tables ---------------------------------------------------------------------------------------------------
-- A site's settings and what the schedule keeps for it: webhooks, alerts, surveys.

-- One row per registered site: who may send to it, its stages, its limits and its retention.
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
  ingest_key_hash                  TEXT,                        -- hex SHA-256 of the ingest key; NULL until one is issued
  -- Retention (src/schedule/retention.ts): the start of the UTC day `retention_days` before the scheduled job's run,
  -- set before it deletes older raw events. Derivation reads only events from here on and keeps the derived rows (and
  -- rollups) before it as they were, so reports of deleted days do not change (src/derive/horizon.ts). NULL: nothing
  -- deleted yet, everything derived.
  retained_from                    INTEGER,
  -- How many shards hold the site's rows when STORAGE is "shards" (src/shard/storage.ts): each visitor's events and
  -- derived rows live in the shard a hash of the visitor names. Changed only by a move (shard_moves).
  shards                           INTEGER NOT NULL DEFAULT 1,
  -- Which generation of shard names holds them: 0 names shard k `{site}/k`, generation g > 0 `{site}/g{g}/k`. A move
  -- to another count fills the next generation, then switches the site to it here, in one write with `shards`.
  shard_generation                 INTEGER NOT NULL DEFAULT 0
);

-- One random salt per UTC day for cookieless visitor ids; yesterday's salt is deleted when today's is made.
CREATE TABLE daily_salts (
  day   TEXT PRIMARY KEY,
  salt  TEXT NOT NULL
) WITHOUT ROWID;

-- A site's webhook endpoints.
CREATE TABLE webhooks (
  id          TEXT PRIMARY KEY,              -- 'wh_' + random
  site        TEXT NOT NULL,
  url         TEXT NOT NULL,
  events      TEXT NOT NULL,                 -- JSON array of event types it receives
  secret_enc  TEXT NOT NULL,                 -- the signing secret, AES-GCM under the WEBHOOK_KEY secret (never stored in clear)
  created_at  INTEGER NOT NULL
);
-- A site's endpoints, for the admin API and for each decision that notifies them.
CREATE INDEX webhooks_site ON webhooks (site);

-- One row per event and endpoint: its id is the `webhook-id`. A delivery is written before it is queued, in the same
-- transaction as the decision that makes it (a claimed cart, an alert state change), so a crash never loses one; its
-- id is made from the webhook and the decision, so an overlapping run taking the same decision makes no second one.
CREATE TABLE webhook_deliveries (
  id           TEXT PRIMARY KEY,             -- the `webhook-id` header, the same on every attempt
  site         TEXT NOT NULL,
  webhook      TEXT NOT NULL,                -- webhooks.id
  type         TEXT NOT NULL,
  body         TEXT NOT NULL,                -- the JSON body, signed anew (with the attempt's timestamp) on every attempt
  created_at   INTEGER NOT NULL,
  enqueued_at  INTEGER,                      -- NULL until sent to the queue: a later run sends what a crash left behind
  status       TEXT NOT NULL DEFAULT 'pending', -- 'pending', 'delivered', 'dead' (the dead-letter queue had it)
  attempts     INTEGER NOT NULL DEFAULT 0,
  last_status  INTEGER,                      -- HTTP status of the last attempt, NULL if none answered
  last_error   TEXT,                         -- 'timeout', 'network', 'redirect', 'url-refused', or NULL
  delivered_at INTEGER
);
-- The admin API's list of a site's deliveries by status, newest last.
CREATE INDEX webhook_deliveries_site_status ON webhook_deliveries (site, status, created_at);
-- The schedule's look for deliveries a crash left unsent: a seek to the few NULL rows.
CREATE INDEX webhook_deliveries_unsent ON webhook_deliveries (enqueued_at) WHERE enqueued_at IS NULL;

-- A site's move from its shards to another count (src/shard/move.ts, docs/PROTOCOL.md "Moving a site to another
-- count"), driven a bounded step at a time by the schedule: the row is where an interrupted move resumes. `history`
-- copies each old shard's visitors whole (events, derived rows, sessions, derivation states) into the next generation,
-- `copy` the events stored since, while ingestion still goes to the old shards; the switch (sites.shards and
-- shard_generation, then `drain`) happens in one D1 write; `drain` copies what the old shards still hold and empties
-- them; `done` keeps the figures until the next move.
CREATE TABLE shard_moves (
  site             TEXT PRIMARY KEY,
  from_shards      INTEGER NOT NULL,
  to_shards        INTEGER NOT NULL,
  from_generation  INTEGER NOT NULL,
  to_generation    INTEGER NOT NULL,
  phase            TEXT NOT NULL,      -- history, copy, drain, done
  cursors          TEXT NOT NULL,      -- JSON array, one per old shard: history, {after, seq, horizon, done} (move.ts);
                                       -- copy, the last events.seq copied; drain, 1 once emptied
  copied           INTEGER NOT NULL DEFAULT 0,   -- events the move stored in the new shards (each once)
  steps            INTEGER NOT NULL DEFAULT 0,   -- steps run (an interrupted one is not counted: it runs again)
  started_at       INTEGER NOT NULL,
  switched_at      INTEGER,
  finished_at      INTEGER
);

-- Alerts: a condition on a metric over a sliding window, checked by the schedule; state says whether it holds.
CREATE TABLE alerts (
  id              TEXT PRIMARY KEY,           -- 'al_' + random
  site            TEXT NOT NULL,
  metric          TEXT NOT NULL,              -- conversion_rate, abandonment_rate, visitors, entered:<stage>, exit_rate:<path>, form_abandon_rate:<form>
  op              TEXT NOT NULL,              -- above, below, drops_by, rises_by
  threshold       REAL NOT NULL,
  window_minutes  INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  state           TEXT NOT NULL DEFAULT 'ok', -- 'ok' or 'triggered'
  changes         INTEGER NOT NULL DEFAULT 0, -- state changes so far: names each alert.triggered / alert.resolved once
  changed_at      INTEGER,
  last_value      REAL                        -- the metric at the last check
);
-- A site's alerts, for the admin API and the schedule's check.
CREATE INDEX alerts_site ON alerts (site);

-- One row per cart the schedule found abandoned (cart.abandoned, cart.recovered webhooks): the primary key is the
-- claim, so overlapping runs (or a run retried) decide each cart once. Not a derived table: rebuilding a visitor's
-- carts keeps it.
CREATE TABLE cart_abandonments (
  site          TEXT NOT NULL,
  cart_id       TEXT NOT NULL,            -- carts.event_id: the event that opened the cart
  visitor       TEXT NOT NULL,
  abandoned_at  INTEGER NOT NULL,         -- last cart activity + the site's abandon_after
  customer      TEXT,                     -- the identify() reference of the cart's events, if any
  recovered_at  INTEGER,                  -- the purchase time once the visitor bought the cart
  PRIMARY KEY (site, cart_id)
) WITHOUT ROWID;
-- The open (not yet recovered) abandonments of a visitor, which a purchase marks recovered.
CREATE INDEX cart_abandonments_open ON cart_abandonments (site, visitor) WHERE recovered_at IS NULL;

-- Surveys run by Parcours (admin POST /v1/admin/sites/{site}/surveys): one question each, read by the tag from the
-- public GET /v1/sites/{site}/surveys. `question` and `trigger` are JSON objects, as the admin API takes them.
CREATE TABLE surveys (
  site           TEXT NOT NULL,
  id             TEXT NOT NULL,
  kind           TEXT NOT NULL,      -- nps, csat or ces
  question       TEXT NOT NULL,      -- JSON { "<lang>": "<question>" }
  trigger        TEXT NOT NULL,      -- JSON { stage?, path?, after?, delay_s? }
  sample_rate    REAL NOT NULL,      -- 0 < rate <= 1
  cooldown_days  INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (site, id)
) WITHOUT ROWID;


-- 2. Base tables -----------------------------------------------------------------------------------------------------
-- What ingestion stores; everything after is computed from it.

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
  form         TEXT,
  last_field   TEXT,
  duration_ms  INTEGER,
  value        REAL,
  currency     TEXT,
  data         TEXT NOT NULL,                -- the validated event as JSON, for the export
  path_id      INTEGER NOT NULL DEFAULT 0,   -- paths.id of the url's path, what reports group by; every insert sets it
  UNIQUE (site, id)
);
-- The events report and retention's delete: a site's events of a period.
CREATE INDEX events_site_time ON events (site, time);
-- Derivation loads a visitor's events, and reads the highest seq of the visitors it derived.
CREATE INDEX events_site_visitor_time ON events (site, visitor, time);
-- Reports that read one event type over a period (friction's quick backs and field errors, satisfaction's answers).
CREATE INDEX events_site_type_time ON events (site, type, time);
-- Form events only: the forms report and friction's form abandons, with each event's session for a report's filter.
CREATE INDEX events_site_forms ON events (site, type, time, form, path_id, last_field, visitor, session) WHERE form IS NOT NULL;
-- Friction's events only (form abandons and the signals): its per-page counts read this alone, never the table (a look-up
-- into it, about 8 microseconds an event, was most of a filtered friction report's cost besides its page views).
CREATE INDEX events_site_friction ON events (site, type, time, path_id, stage_index, visitor, session, form)
  WHERE type IN ('form_abandon', 'rage_click', 'dead_click', 'error_click', 'quick_back', 'field_error');
-- The export: a site's events in insertion order.
CREATE INDEX events_site_seq ON events (site, seq);

-- One row per entry of the per-field `fields` a stored `form_submit` or `form_abandon` carries (the script's measures of
-- each field: first focus to first input, refocuses, errors), so that the forms report groups these few columns instead
-- of parsing every form event's JSON (a million events: 29,000 such events, 145,000 entries). Written in the batch that
-- stores the events (src/db/insert-sql.ts, FORM_FIELDS_SQL: each entry once, a resent event adds none), erased with
-- the visitor's events; retention keeps form events (the forms report reads them), so it keeps these too.
CREATE TABLE form_fields (
  site          TEXT NOT NULL,
  time          INTEGER NOT NULL,   -- the event's corrected time
  seq           INTEGER NOT NULL,   -- the event's seq
  position      INTEGER NOT NULL,   -- the entry's position in the event's `fields`
  form          TEXT NOT NULL,
  path_id       INTEGER NOT NULL,
  field         TEXT,
  hesitation_ms INTEGER,
  refocuses     INTEGER,
  errors        INTEGER,
  visitor       TEXT NOT NULL,
  session       TEXT NOT NULL,      -- what a report's filter matches against `sessions`
  PRIMARY KEY (site, time, seq, position)
) WITHOUT ROWID;
-- forms: a period's entries grouped per (form, path, field) as they come (nothing sorted), each field's hesitations in
-- order (NULLs first), so their median is read at an offset.
CREATE INDEX form_fields_site_field ON form_fields (site, form, path_id, field, hesitation_ms, time, refocuses, errors);

-- Each distinct (site, path) once, so a path of 2,000 characters is not repeated in every row and index that names the
-- page (80 requests of 500 page views with their own long path once added 1.1 GB). Never pruned: a path holds no
-- visitor, and the daily byte quota (which counts each event's url) bounds how fast it grows.
CREATE TABLE paths (
  id    INTEGER PRIMARY KEY,   -- what events.path_id, page_views.path_id, transitions.path_id, carts.exit_path_id and page_days.path_id hold
  site  TEXT NOT NULL,
  path  TEXT NOT NULL,
  UNIQUE (site, path)
);

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
  -- The session's facts, set by derivation from its derived rows (src/derive/store.ts, sessionFacts) in the
  -- transaction that replaces them; they never depend on the dimensions, so a late first page view leaves them true.
  -- `breakdown` and `timeseries` count a session wholly inside the period from these alone (REPORTS.md).
  first_row   INTEGER,                    -- time of its first page view or move; NULL: none
  last_row    INTEGER,                    -- time of its last one
  views       INTEGER NOT NULL DEFAULT 0, -- its page views
  entered     INTEGER NOT NULL DEFAULT 0, -- SUM of 1 << to_index over the stages it moved into
  PRIMARY KEY (site, visitor, session)
) WITHOUT ROWID;
-- The sessions that overlap a period, found by the time of their last row: `timeseries` reads the period's sessions
-- and their facts from here, never the site's whole history.
CREATE INDEX sessions_site_last_row ON sessions (site, last_row, first_row, views, entered);


-- 3. Derived tables --------------------------------------------------------------------------------------------------
-- Rebuilt for a visitor from all their stored events whenever some arrive (src/derive), so they are the same whatever
-- order batches arrive in. Keyed by (site, visitor, ...) so a visitor's rows are replaced at once. The `prev_*` columns
-- hold the time of the same visitor's previous row of the same kind: within a period [from, to) a visitor's first row
-- is the only one whose previous row lies before `from` (or that has none), so counting those rows counts visitors
-- without grouping by visitor. Each row names its session, which report filters match against `sessions`.

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
  next_ms     INTEGER,            -- ms from this move to the visitor's next move into stage to_index + 1
  onward_ms   INTEGER,            -- ms from this move to the visitor's next move into any stage after to_index
  prev_entry  INTEGER,            -- time of the visitor's previous move into this to_index
  prev_pair   INTEGER,            -- time of the visitor's previous move from from_index to to_index
  session     TEXT,               -- session of the event that moved the visitor
  path_id     INTEGER NOT NULL DEFAULT 0,   -- paths.id of the page the move happened on
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
  stage_index     INTEGER NOT NULL,   -- the page's own stage
  journey_index   INTEGER NOT NULL,   -- the visitor's stage right after this view
  visible_ms      INTEGER,            -- duration_ms of the page_leave that closed this view
  is_entry        INTEGER NOT NULL,   -- first page view of its session
  is_bounce       INTEGER NOT NULL,   -- only page view of its session
  is_exit         INTEGER NOT NULL,   -- last of its session, no later stage reached after it
  prev_view       INTEGER,            -- time of the visitor's previous page view
  prev_stage_view INTEGER,            -- time of the visitor's previous page view of this stage_index
  prev_path_view  INTEGER,            -- time of the visitor's previous view of this (path, stage_index)
  path_id         INTEGER NOT NULL DEFAULT 0,   -- paths.id of the page viewed
  PRIMARY KEY (site, visitor, time, event_id)
) WITHOUT ROWID;
-- A period's views in time order, with what kpis and friction count (narrow periods, and the partial first and last
-- hour or day of wide ones), and each view's session (breakdown, timeseries: as transitions_site_time).
CREATE INDEX page_views_site_time ON page_views (site, time, stage_index, path_id, is_entry, is_bounce, is_exit, visible_ms, prev_path_view, prev_stage_view, prev_view, session);
-- kpis: visible time per page stage in order, for its median.
CREATE INDEX page_views_site_visible ON page_views (site, stage_index, visible_ms, time) WHERE visible_ms IS NOT NULL;
-- kpis, friction (wide periods): views whose previous view (of the stage; of any stage; of the page) came before the
-- period, the visitors' first of it. This one: of the stage.
CREATE INDEX page_views_site_first_stage ON page_views (site, stage_index, prev_stage_view, time);
-- As above, of any stage.
CREATE INDEX page_views_site_first ON page_views (site, prev_view, time);
-- As above, of the page.
CREATE INDEX page_views_site_first_path ON page_views (site, prev_path_view, time, path_id, stage_index);

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
  exit_stage    INTEGER,            -- the stage of the exit page (exit_path_id)
  session       TEXT,               -- session of the event that opened the cart
  max_idle_ms   INTEGER NOT NULL DEFAULT 0,   -- longest time it held items with no cart activity (the report's `recovered`)
  exit_path_id  INTEGER,            -- paths.id of the last page of the session of the last cart activity; NULL: no page view
  PRIMARY KEY (site, visitor, event_id)
) WITHOUT ROWID;
-- carts: a period's carts with everything the report counts, and the session that opened each.
CREATE INDEX carts_site_started ON carts (site, started_at, last_activity, checkout_at, purchased_at, quantity, value, currency, exit_path_id, exit_stage, session);

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


-- 4. Rollups ---------------------------------------------------------------------------------------------------------
-- Additive counts of the derived rows per hour (floor(time / 3,600,000)) or day (floor(time / 86,400,000)).
-- deriveVisitors keeps each equal to the table it sums: in the transaction that replaces a visitor's rows it subtracts
-- their old rows and adds the new ones. A wide period's counts are its whole hours or days from here plus the rows of
-- its partial first and last hour or day.

-- page_views per (site, stage_index, hour): kpis, timeseries.
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
  -- Views that were their visitor's first of their UTC hour, day, ISO week (prev_view NULL or before the interval's
  -- start): a timeseries' visitors of whole intervals (src/reports/timeseries.ts).
  hour_firsts       INTEGER NOT NULL,
  day_firsts        INTEGER NOT NULL,
  week_firsts       INTEGER NOT NULL,
  PRIMARY KEY (site, stage_index, hour)
) WITHOUT ROWID;

-- page_views per (site, path_id, stage_index, day): friction.
CREATE TABLE page_days (
  site        TEXT NOT NULL,
  path_id     INTEGER NOT NULL,
  stage_index INTEGER NOT NULL,
  day         INTEGER NOT NULL,
  views       INTEGER NOT NULL,
  exits       INTEGER NOT NULL,
  first_views INTEGER NOT NULL,   -- views that were their visitor's first of this page (prev_path_view NULL)
  PRIMARY KEY (site, path_id, stage_index, day)
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

-- transitions per (site, to_index, from_index, hour), with the visitors' first moves of each pair: transitions; and
-- their first moves into a stage of each interval: timeseries.
-- from_index is -1 for a visitor's first stage (NULL cannot be part of a WITHOUT ROWID primary key).
CREATE TABLE pair_hours (
  site        TEXT NOT NULL,
  to_index    INTEGER NOT NULL,
  from_index  INTEGER NOT NULL,  -- -1: from NULL
  hour        INTEGER NOT NULL,
  moves       INTEGER NOT NULL,
  first_moves INTEGER NOT NULL,  -- moves with prev_pair NULL
  -- Moves that were their visitor's first into to_index in their UTC hour, day, ISO week (prev_entry NULL or before the
  -- interval's start): a timeseries' stage entries of whole intervals.
  hour_firsts INTEGER NOT NULL,
  day_firsts  INTEGER NOT NULL,
  week_firsts INTEGER NOT NULL,
  PRIMARY KEY (site, to_index, from_index, hour)
) WITHOUT ROWID;


-- 5. Derivation state ------------------------------------------------------------------------------------------------
-- What lets derivation resume instead of starting over, never write over a newer result, catch up after a failure,
-- and lose the race against an erasure.

-- A visitor's derivation state saved at a few points of their history, so a new batch re-derives only from its
-- earliest event onward instead of reloading every stored event of the visitor. A row is the state after every event
-- of the visitor with time < position (stage, last entries, sessions' last page views, open cart...; JSON with pages
-- keyed by their paths.id, see src/derive/state.ts). In each window of age behind the newest row (a minute, five
-- minutes, half an hour, two hours, ...) the oldest and newest rows are kept, so a late batch (another tab, a device
-- back online) still resumes close to its events. `version` is the write that saved the row: a derivation writes only
-- if the highest version is still the one it read, so two batches of the same visitor deriving at once cannot leave a
-- stale result.
CREATE TABLE visitor_state (
  site      TEXT NOT NULL,
  visitor   TEXT NOT NULL,
  position  INTEGER NOT NULL,
  version   INTEGER NOT NULL,
  state     TEXT NOT NULL,
  PRIMARY KEY (site, visitor, position)
) WITHOUT ROWID;
-- Retention's purge of saved states before a site's horizon seeks by (site, position) instead of scanning the site.
CREATE INDEX visitor_state_site_position ON visitor_state (site, position);

-- Each visitor's derivation counter: every page a derivation writes adds 1, erasure deletes the row (site_erasures
-- then counts it), nothing lowers it, so a derivation that read it before another one (or an erasure) wrote can never
-- write over what came after. It holds no data of the visitor: their id and a number.
CREATE TABLE visitor_versions (
  site    TEXT NOT NULL,
  visitor TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (site, visitor)
) WITHOUT ROWID;

-- Visitors whose derivation is behind their stored events: a request stored their events and then derivation failed,
-- or stopped at its page budget (src/derive/index.ts). `since` is the earliest event time still to derive; `mark`
-- a random token of the latest marking, so the schedule (src/schedule/derive.ts) clears only a mark it finished.
CREATE TABLE dirty_visitors (
  site    TEXT NOT NULL,
  visitor TEXT NOT NULL,
  since   INTEGER NOT NULL,
  mark    INTEGER NOT NULL,
  PRIMARY KEY (site, visitor)
) WITHOUT ROWID;
-- The schedule reads dirty visitors in the order of their random marks (src/derive/dirty.ts `readMarks`): a seek of
-- MARKS_PER_RUN rows, not a scan and sort of every mark after a storage incident.
CREATE INDEX dirty_visitors_mark ON dirty_visitors (mark);

-- Each site's erasure counter: every erasure of one of its visitors adds 1, nothing lowers it. Erasure deletes the
-- visitor's row of visitor_versions (their id must not outlive it), so a visitor coming back starts again at version 0;
-- the guard of a derivation (src/derive/store.ts) also checks this counter, so one that read before an erasure fails
-- and derives again, even once the visitor's version has climbed back to the one it read. It holds no personal data.
CREATE TABLE site_erasures (
  site     TEXT NOT NULL PRIMARY KEY,
  erasures INTEGER NOT NULL,
  hash_key TEXT,                -- the site's random key of erased_visitors' hashes, made at its first erasure; no visitor's data
  inherited_keys TEXT           -- JSON list of the keys of the shards a move brought erasure records from (move.ts)
) WITHOUT ROWID;

-- Each erasure of a visitor with its time, so the ingestion queue's consumer drops the visitor's rows of any batch
-- received before it (src/queue-ingest/erasures.ts; a batch received after it holds new events, which are kept). The
-- visitor is named only by an HMAC-SHA256 of their id under `site_erasures.hash_key`: no row names them. A record is
-- deleted by the schedule once no queued batch can be older than it (4 days: Cloudflare Queues' message retention).
CREATE TABLE erased_visitors (
  site         TEXT NOT NULL,
  visitor_hash TEXT NOT NULL,
  erased_at    INTEGER NOT NULL,
  PRIMARY KEY (site, visitor_hash)
) WITHOUT ROWID;
-- The schedule's delete of records older than the queue's retention.
CREATE INDEX erased_visitors_erased_at ON erased_visitors (erased_at);


-- 6. Usage and guards ------------------------------------------------------------------------------------------------

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
  -- Queued ingestion (wrangler.jsonc INGEST = "queue"): batches whose retries ran out land in the dead-letter queue,
  -- whose consumer counts them here.
  dead_events     INTEGER NOT NULL DEFAULT 0,
  dead_batches    INTEGER NOT NULL DEFAULT 0,
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

-- Never holds a row: a guard statement (src/db/guards.ts) inserts into it only when its condition fails, and the CHECK
-- named after that condition then fails the whole D1 batch (its transaction) with an error naming it, told apart from
-- any other error.
CREATE TABLE guard_failures (
  visitor_state_changed INTEGER CONSTRAINT visitor_state_changed CHECK (visitor_state_changed IS NULL),  -- another derivation wrote first
  quota_race            INTEGER CONSTRAINT quota_race CHECK (quota_race IS NULL),                        -- a concurrent batch used the quota
  erased_since_read     INTEGER CONSTRAINT erased_since_read CHECK (erased_since_read IS NULL)           -- the queue consumer read erasures before a new one
);
