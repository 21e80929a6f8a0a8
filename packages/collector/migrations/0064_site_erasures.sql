-- Erasure leaves no row naming the visitor, and the derivation guard still never goes back.
--
-- Each site's erasure counter: every erasure of one of its visitors adds 1, nothing lowers it. Erasure deletes the
-- visitor's row of visitor_versions (their id must not outlive it), so a visitor coming back starts again at version 0;
-- the guard of a derivation (src/derive/store.ts) also checks this counter, so one that read before an erasure fails
-- and derives again, even once the visitor's version has climbed back to the one it read. It holds no personal data.
CREATE TABLE site_erasures (
  site     TEXT NOT NULL PRIMARY KEY,
  erasures INTEGER NOT NULL
) WITHOUT ROWID;

-- Counters left behind by erasures before this migration: visitors with no stored event. Their sites count one erasure
-- (a derivation in flight across the migration derives again), then the rows go.
INSERT INTO site_erasures (site, erasures)
  SELECT DISTINCT site, 1 FROM visitor_versions AS v
   WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.site = v.site AND e.visitor = v.visitor);
DELETE FROM visitor_versions
 WHERE NOT EXISTS (SELECT 1 FROM events AS e WHERE e.site = visitor_versions.site AND e.visitor = visitor_versions.visitor);
