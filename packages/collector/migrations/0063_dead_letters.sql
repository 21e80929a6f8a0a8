-- Queued ingestion (wrangler.jsonc INGEST = "queue"): batches whose retries ran out land in the dead-letter queue,
-- whose consumer counts them here per site and UTC day. Those events are not in `events`.
ALTER TABLE site_stats ADD COLUMN dead_events  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE site_stats ADD COLUMN dead_batches INTEGER NOT NULL DEFAULT 0;
