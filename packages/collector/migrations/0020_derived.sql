-- Derived tables the reports read, rebuilt per visitor by deriveVisitors (src/derive), plus report indexes.
-- Every derived table is keyed by (site, visitor, ...) so a visitor's rows can be replaced at once.

-- One row per page view, with what the reports need to know about it.
CREATE TABLE page_views (
  site          TEXT NOT NULL,
  visitor       TEXT NOT NULL,
  session       TEXT NOT NULL,
  time          INTEGER NOT NULL,
  event_id      TEXT NOT NULL,
  path          TEXT NOT NULL,
  stage_index   INTEGER NOT NULL,   -- the page's own stage
  journey_index INTEGER NOT NULL,   -- the visitor's stage right after this view
  visible_ms    INTEGER,            -- duration_ms of the page_leave that closed this view
  is_entry      INTEGER NOT NULL,   -- first page view of its session
  is_bounce     INTEGER NOT NULL,   -- only page view of its session
  is_exit       INTEGER NOT NULL,   -- last of its session, no later stage reached after it
  PRIMARY KEY (site, visitor, time, event_id)
) WITHOUT ROWID;
-- Covering indexes: friction/kpis scan (site, time) ranges without touching the table.
CREATE INDEX page_views_site_path ON page_views (site, path, stage_index, visitor, time, is_exit);
CREATE INDEX page_views_site_stage ON page_views (site, stage_index, visitor, time, is_entry, is_bounce, visible_ms);

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
  PRIMARY KEY (site, visitor, event_id)
) WITHOUT ROWID;
CREATE INDEX carts_site_started ON carts (site, started_at, last_activity, checkout_at, purchased_at, quantity, value, currency, exit_path, exit_stage);

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
  PRIMARY KEY (site, visitor, time, event_id)
) WITHOUT ROWID;
CREATE INDEX purchases_site_time ON purchases (site, time, visitor, nth, value, currency, decision_ms);

-- Transitions: reports group them by (from, to) over a time range; funnel looks up a visitor's entries.
CREATE INDEX transitions_site_pair ON transitions (site, to_index, from_index, time, visitor, since_ms);

-- Form events only (partial index): the forms report and friction's form abandons.
CREATE INDEX events_site_forms ON events (site, type, time, form, path, last_field) WHERE form IS NOT NULL;
-- Export cursor: a site's events in insertion order.
CREATE INDEX events_site_seq ON events (site, seq);
