-- An erasure wins over batches still in the ingestion queue (src/queue-ingest/erasures.ts).
--
-- Each erasure of a visitor is recorded here with its time, so the queue's consumer drops the visitor's rows of any
-- batch received before it (a batch received after it holds new events, which are kept). The visitor is named only by
-- an HMAC-SHA256 of their id under a random key of the site (`site_erasures.hash_key`): no row names them. A record is
-- deleted by the schedule once no queued batch can be older than it (4 days: Cloudflare Queues' message retention).
CREATE TABLE erased_visitors (
  site         TEXT NOT NULL,
  visitor_hash TEXT NOT NULL,
  erased_at    INTEGER NOT NULL,
  PRIMARY KEY (site, visitor_hash)
) WITHOUT ROWID;

CREATE INDEX erased_visitors_erased_at ON erased_visitors (erased_at);

-- The site's key of those hashes, made at its first erasure since this migration. It is no data of any visitor.
ALTER TABLE site_erasures ADD COLUMN hash_key TEXT;

-- A guard (src/db/guards.ts): the consumer's write fails when the site's erasure counter moved since it read the
-- records above, so it reads them again rather than store a visitor erased in between.
ALTER TABLE guard_failures ADD COLUMN erased_since_read INTEGER CONSTRAINT erased_since_read CHECK (erased_since_read IS NULL);
