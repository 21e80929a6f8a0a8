-- Saved derivation states key a visitor's pages by the path's id in `paths` (0066), no longer by its text, which may be
-- 2,000 characters (src/derive/state.ts, pageKey): states saved before read with the wrong keys, so they go. A visitor
-- without a saved state is derived from their stored events at their next event (or from their derived rows at the
-- retention horizon), as a new visitor is: the rows come out the same.
DELETE FROM visitor_state;
