-- Retention (src/schedule/retention.ts): the time from which a site's raw events are still kept and derived. Set by the
-- scheduled job to the start of the UTC day `retention_days` before its run, before it deletes older raw events.
-- Derivation then reads only events from this time on and keeps the derived rows (and rollups) before it as they were,
-- so reports of deleted days do not change (src/derive/horizon.ts). NULL: nothing deleted yet, everything derived.
ALTER TABLE sites ADD COLUMN retained_from INTEGER;
