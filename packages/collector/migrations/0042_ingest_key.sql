-- The site's ingest key, for senders without Origin (servers): hex SHA-256, like the read token. NULL for sites
-- registered before it existed: issue one with POST /v1/admin/sites/{id}/ingest-key.
ALTER TABLE sites ADD COLUMN ingest_key_hash TEXT;
