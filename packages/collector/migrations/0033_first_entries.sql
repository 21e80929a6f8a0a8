-- funnel and kpis at a million events: the visitors' first entries into each stage by index range. A move with no
-- previous entry into its stage (prev_entry NULL) is a first entry in any period that holds it; the others are first
-- in a period only when their previous entry came before it (few rows, for a period that starts early in the history).
CREATE INDEX transitions_site_first ON transitions (site, to_index, prev_entry, time, next_ms, onward_ms);
-- kpis: decision times in order, for their median read at an offset (no window sort).
CREATE INDEX purchases_site_decision ON purchases (site, decision_ms, time) WHERE decision_ms IS NOT NULL;
