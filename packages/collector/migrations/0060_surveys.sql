-- Surveys run by Parcours (admin POST /v1/admin/sites/{site}/surveys): one question each, read by the tag from the
-- public GET /v1/sites/{site}/surveys. `question` and `trigger` are JSON objects, as the admin API takes them.
CREATE TABLE surveys (
  site           TEXT NOT NULL,
  id             TEXT NOT NULL,
  kind           TEXT NOT NULL,      -- nps, csat or ces
  question       TEXT NOT NULL,      -- JSON { "<lang>": "<question>" }
  trigger        TEXT NOT NULL,      -- JSON { stage?, path?, after?, delay_s? }
  sample_rate    REAL NOT NULL,      -- 0 < rate <= 1
  cooldown_days  INTEGER NOT NULL,
  created_at     INTEGER NOT NULL,
  PRIMARY KEY (site, id)
) WITHOUT ROWID;
