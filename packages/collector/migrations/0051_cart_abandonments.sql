-- Abandoned carts as the schedule decided them (cart.abandoned, cart.recovered webhooks), and the longest idle time
-- of each cart (the carts report's `recovered`).

-- Longest time a cart held items with no cart activity (derive/carts.ts). Carts derived before this migration read 0
-- (not recovered) until their visitor's next event derives them again.
ALTER TABLE carts ADD COLUMN max_idle_ms INTEGER NOT NULL DEFAULT 0;

-- One row per cart the schedule found abandoned: the primary key is the claim, so overlapping runs (or a run
-- retried) decide each cart once. Not a derived table: rebuilding a visitor's carts keeps it.
CREATE TABLE cart_abandonments (
  site          TEXT NOT NULL,
  cart_id       TEXT NOT NULL,            -- carts.event_id: the event that opened the cart
  visitor       TEXT NOT NULL,
  abandoned_at  INTEGER NOT NULL,         -- last cart activity + the site's abandon_after
  customer      TEXT,                     -- the identify() reference of the cart's events, if any
  recovered_at  INTEGER,                  -- the purchase time once the visitor bought the cart
  PRIMARY KEY (site, cart_id)
) WITHOUT ROWID;
CREATE INDEX cart_abandonments_open ON cart_abandonments (site, visitor) WHERE recovered_at IS NULL;
