-- Dimensions (docs/PROTOCOL.md, "Dimensions and filters"): one row per session with where it came from, on what, from which country, fixed
-- by its first page view and the request that carried it (src/db/schema.ts names these columns for the code). Never a
-- User-Agent or an address. Each derived row names its session, so a report filter keeps the rows of matching sessions.
CREATE TABLE sessions (
  site        TEXT NOT NULL,
  visitor     TEXT NOT NULL,
  session     TEXT NOT NULL,
  started_at  INTEGER NOT NULL,   -- event time of the event that fixed the dimensions
  first_event TEXT NOT NULL,      -- its id
  from_view   INTEGER NOT NULL,   -- 1 when that event is a page view (a page view always wins over other events)
  channel     TEXT NOT NULL,      -- direct, organic_search, paid_search, organic_social, paid_social, email, referral, display, affiliate, other
  source      TEXT NOT NULL,      -- utm_source, else the referrer's host without www., else (direct)
  medium      TEXT NOT NULL,      -- utm_medium, else (none)
  campaign    TEXT NOT NULL,      -- utm_campaign, else (none)
  referrer    TEXT NOT NULL,      -- the referrer's host, else (none)
  landing     TEXT NOT NULL,      -- path of the session's first page
  device      TEXT NOT NULL,      -- desktop, mobile, tablet, other (from the User-Agent, not stored)
  browser     TEXT NOT NULL,      -- family name, other when unknown
  os          TEXT NOT NULL,      -- family name, other when unknown
  country     TEXT NOT NULL,      -- ISO 3166-1 alpha-2 from the edge, XX when unknown
  PRIMARY KEY (site, visitor, session)
) WITHOUT ROWID;

ALTER TABLE transitions ADD COLUMN session TEXT;  -- session of the event that moved the visitor
ALTER TABLE carts ADD COLUMN session TEXT;        -- session of the event that opened the cart
ALTER TABLE purchases ADD COLUMN session TEXT;    -- session of the purchase event

UPDATE transitions SET session = (SELECT e.session FROM events e WHERE e.site = transitions.site AND e.id = transitions.event_id);
UPDATE carts SET session = (SELECT e.session FROM events e WHERE e.site = carts.site AND e.id = carts.event_id);
UPDATE purchases SET session = (SELECT e.session FROM events e WHERE e.site = purchases.site AND e.id = purchases.event_id);

-- Sessions stored before this migration: what SQL can tell without the User-Agent (never stored) or the referrer list:
-- device, browser and os `other`, country `XX`, medium and campaign `(none)`, channel `direct` without an outside
-- referrer and `referral` with one. New sessions get the full classification at ingestion.
INSERT INTO sessions (site, visitor, session, started_at, first_event, from_view, channel, source, medium, campaign, referrer, landing, device, browser, os, country)
SELECT site, visitor, session, time, id, type = 'page_view',
       CASE WHEN outside THEN 'referral' ELSE 'direct' END,
       CASE WHEN NOT outside THEN '(direct)' WHEN ref_host LIKE 'www.%' THEN substr(ref_host, 5) ELSE ref_host END,
       '(none)', '(none)', CASE WHEN outside THEN ref_host ELSE '(none)' END,
       path, 'other', 'other', 'other', 'XX'
  FROM (SELECT *, ref_host IS NOT NULL AND ref_host <> '' AND ref_host <> page_host AS outside
          FROM (SELECT site, visitor, session, time, id, type, path,
                       ROW_NUMBER() OVER (PARTITION BY site, visitor, session ORDER BY type = 'page_view' DESC, time, id) AS rn,
                       lower(substr(ref_rest, 1, instr(ref_rest || '/', '/') - 1)) AS ref_host,
                       lower(substr(url_rest, 1, instr(url_rest || '/', '/') - 1)) AS page_host
                  FROM (SELECT e.*,
                               CASE WHEN json_extract(e.data, '$.referrer') LIKE 'http%://%'
                                    THEN substr(json_extract(e.data, '$.referrer'), instr(json_extract(e.data, '$.referrer'), '://') + 3) END AS ref_rest,
                               substr(json_extract(e.data, '$.url'), instr(json_extract(e.data, '$.url'), '://') + 3) AS url_rest
                          FROM events e)))
 WHERE rn = 1;
