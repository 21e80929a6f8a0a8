-- What each session did, kept on its row by derivation (src/db/sessions.ts, sessionFactsStatement): the time of its first
-- and last derived row (page view or move), its page views and the stages it moved into (a bit per stage position).
-- `breakdown` then counts a session that lies wholly inside the period from its row alone, instead of looking up its
-- page views and moves (packages/collector/REPORTS.md, "breakdown"). The facts depend on the session's derived rows only,
-- never on its dimensions, so a late first page view that changes the dimensions leaves them true; every derivation that
-- replaces a session's rows sets them again in the same transaction.
ALTER TABLE sessions ADD COLUMN first_row INTEGER;                -- time of its first page view or move; NULL: none
ALTER TABLE sessions ADD COLUMN last_row INTEGER;                 -- time of its last one
ALTER TABLE sessions ADD COLUMN views INTEGER NOT NULL DEFAULT 0; -- its page views
ALTER TABLE sessions ADD COLUMN entered INTEGER NOT NULL DEFAULT 0; -- SUM of 1 << to_index over the stages it moved into

-- Every session stored so far, from its derived rows.
UPDATE sessions SET (first_row, last_row, views, entered) = (
  SELECT MIN(t), MAX(t), IFNULL(SUM(v), 0), IFNULL(SUM(DISTINCT m), 0) FROM (
    SELECT p.time AS t, 1 AS v, NULL AS m FROM page_views p
     WHERE p.site = sessions.site AND p.visitor = sessions.visitor AND p.session = sessions.session
    UNION ALL
    SELECT r.time, 0, 1 << r.to_index FROM transitions r
     WHERE r.site = sessions.site AND r.visitor = sessions.visitor AND r.session = sessions.session));
