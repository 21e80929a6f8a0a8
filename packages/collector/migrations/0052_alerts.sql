-- Alerts: a condition on a metric over a sliding window, checked by the schedule; state says whether it holds.
CREATE TABLE alerts (
  id              TEXT PRIMARY KEY,           -- 'al_' + random
  site            TEXT NOT NULL,
  metric          TEXT NOT NULL,              -- conversion_rate, abandonment_rate, visitors, entered:<stage>, exit_rate:<path>, form_abandon_rate:<form>
  op              TEXT NOT NULL,              -- above, below, drops_by, rises_by
  threshold       REAL NOT NULL,
  window_minutes  INTEGER NOT NULL,
  created_at      INTEGER NOT NULL,
  state           TEXT NOT NULL DEFAULT 'ok', -- 'ok' or 'triggered'
  changes         INTEGER NOT NULL DEFAULT 0, -- state changes so far: names each alert.triggered / alert.resolved once
  changed_at      INTEGER,
  last_value      REAL                        -- the metric at the last check
);
CREATE INDEX alerts_site ON alerts (site);
