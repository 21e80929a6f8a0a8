-- kpis: whether a buyer viewed a page in a period, without a look-up per buyer. A buyer has a page view in a period
-- holding one of their purchases exactly when the last view at or before that purchase, or the first view after it,
-- lies in the period.
ALTER TABLE purchases ADD COLUMN view_before INTEGER;  -- time of the visitor's last page view at or before the purchase
ALTER TABLE purchases ADD COLUMN view_after INTEGER;   -- time of the visitor's first page view after the purchase

UPDATE purchases SET
  view_before = (SELECT MAX(v.time) FROM page_views v WHERE v.site = purchases.site AND v.visitor = purchases.visitor AND v.time <= purchases.time),
  view_after = (SELECT MIN(v.time) FROM page_views v WHERE v.site = purchases.site AND v.visitor = purchases.visitor AND v.time > purchases.time);

DROP INDEX purchases_site_time;
CREATE INDEX purchases_site_time ON purchases (site, time, visitor, nth, value, currency, decision_ms, view_before, view_after);
