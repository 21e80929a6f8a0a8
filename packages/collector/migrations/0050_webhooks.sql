-- Webhooks: endpoints per site, and every delivery (one row per event and endpoint: its id is the `webhook-id`).

CREATE TABLE webhooks (
  id          TEXT PRIMARY KEY,              -- 'wh_' + random
  site        TEXT NOT NULL,
  url         TEXT NOT NULL,
  events      TEXT NOT NULL,                 -- JSON array of event types it receives
  secret_enc  TEXT NOT NULL,                 -- the signing secret, AES-GCM under the WEBHOOK_KEY secret (never stored in clear)
  created_at  INTEGER NOT NULL
);
CREATE INDEX webhooks_site ON webhooks (site);

-- A delivery is written before it is queued, in the same transaction as the decision that makes it (a claimed cart,
-- an alert state change), so a crash never loses one; its id is made from the webhook and the decision, so an
-- overlapping run taking the same decision makes no second one.
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
CREATE INDEX webhook_deliveries_site_status ON webhook_deliveries (site, status, created_at);
CREATE INDEX webhook_deliveries_unsent ON webhook_deliveries (enqueued_at) WHERE enqueued_at IS NULL;
