-- The schedule reads dirty visitors in the order of their random marks (src/derive/dirty.ts `readMarks`): an index on
-- the mark makes that a seek of MARKS_PER_RUN rows, not a scan and sort of every mark after a storage incident.
CREATE INDEX dirty_visitors_mark ON dirty_visitors (mark);
