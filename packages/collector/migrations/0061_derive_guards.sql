-- Derivation that never answers 5xx after a store, never trusts a lowered version, and a purge that seeks.
--
-- Visitors whose derivation is behind their stored events: a request stored their events and then derivation failed,
-- or stopped at its page budget (src/derive/index.ts). `since` is the earliest event time still to derive; `mark`
-- a random token of the latest marking, so the schedule (src/schedule/derive.ts) clears only a mark it finished.
CREATE TABLE dirty_visitors (
  site    TEXT NOT NULL,
  visitor TEXT NOT NULL,
  since   INTEGER NOT NULL,
  mark    INTEGER NOT NULL,
  PRIMARY KEY (site, visitor)
) WITHOUT ROWID;

-- Each visitor's derivation counter: every page a derivation writes adds 1, erasure adds 1, nothing lowers it, so a
-- derivation that read it before another one (or an erasure) wrote can never write over what came after.
-- It holds no data of the visitor: their id and a number.
CREATE TABLE visitor_versions (
  site    TEXT NOT NULL,
  visitor TEXT NOT NULL,
  version INTEGER NOT NULL,
  PRIMARY KEY (site, visitor)
) WITHOUT ROWID;

-- Never holds a row: a guard statement inserts into it only when its condition fails, and the CHECK named after that
-- condition then fails the whole D1 batch (its transaction) with an error naming it, told apart from any other error.
CREATE TABLE guard_failures (
  visitor_state_changed INTEGER CONSTRAINT visitor_state_changed CHECK (visitor_state_changed IS NULL),
  quota_race INTEGER CONSTRAINT quota_race CHECK (quota_race IS NULL)
);

-- Retention's purge of saved states before a site's horizon seeks by (site, position) instead of scanning the site.
CREATE INDEX visitor_state_site_position ON visitor_state (site, position);
