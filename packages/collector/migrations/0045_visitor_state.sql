-- Incremental derivation (src/derive): a visitor's derivation state saved at a few points of their history, so a new
-- batch re-derives only from its earliest event onward instead of reloading every stored event of the visitor.
-- A row is the state after every event of the visitor with time < position (stage, last entries, sessions' last
-- page views, open cart...; JSON, see src/derive/state.ts). In each window of age behind the newest row (a minute,
-- five minutes, half an hour, two hours, ...) the oldest and newest rows are kept, so a late batch (another tab, a
-- device back online) still resumes close to its events. `version` is the
-- write that saved the row: a derivation writes only if the highest version is still the one it read, so two batches
-- of the same visitor deriving at once cannot leave a stale result.
CREATE TABLE visitor_state (
  site      TEXT NOT NULL,
  visitor   TEXT NOT NULL,
  position  INTEGER NOT NULL,
  version   INTEGER NOT NULL,
  state     TEXT NOT NULL,
  PRIMARY KEY (site, visitor, position)
) WITHOUT ROWID;
