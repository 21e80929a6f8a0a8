-- How many shards hold a site's rows when STORAGE is "shards" (src/shard/storage.ts): each visitor's events and derived
-- rows live in the shard a hash of the visitor names. Set when the site is registered; 1 (one shard, `<site>/0`) for
-- every site before.
ALTER TABLE sites ADD COLUMN shards INTEGER NOT NULL DEFAULT 1;
