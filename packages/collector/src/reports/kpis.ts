// The KPI report: per-stage traffic and engagement, the decision (conversion, basket, time) and retention.
import type { KpisReport, Money } from '@parcours/protocol';
import { NO_CURRENCY } from './carts.ts';
import { periodIsWide } from './plan.ts';
import type { Range } from './query.ts';
import { cents, mediansAtOffset, mediansBy, rate, type ReportSite } from './sql.ts';

/**
 * Per stage (of the pages viewed): views, visitors, bounce rate of sessions entering there,
 * median visible time; `to_next_stage`: of the visitors who entered the stage in the period, the
 * share who moved on to any later stage before the period ended.
 * Decision: purchasers / active visitors, mean basket per currency, median decision time.
 * Retention: share of the period's buyers whose purchase was not their first.
 */
export async function kpis(db: D1Database, site: ReportSite, range: Range): Promise<KpisReport> {
  const pv = 'site = ?1 AND time >= ?2 AND time < ?3';
  const binds = [site.id, range.from, range.to];
  const wide = await periodIsWide(db, site.id, range);
  // Wide: per (stage, visitor) in index order, then per stage, no sort. Narrow: the period's rows in time order.
  const perStageSql = wide
    ? `SELECT stage_index, SUM(v) AS views, COUNT(*) AS visitors, SUM(e) AS entries, SUM(b) AS bounces, SUM(t) AS timed FROM (
         SELECT stage_index, visitor, COUNT(*) AS v, SUM(is_entry) AS e, SUM(is_entry AND is_bounce) AS b, COUNT(visible_ms) AS t
           FROM page_views INDEXED BY page_views_site_stage WHERE ${pv} GROUP BY stage_index, visitor
       ) GROUP BY stage_index`
    : `SELECT stage_index, COUNT(*) AS views, COUNT(DISTINCT visitor) AS visitors, SUM(is_entry) AS entries, SUM(is_entry AND is_bounce) AS bounces,
              COUNT(visible_ms) AS timed
         FROM page_views INDEXED BY page_views_site_time WHERE ${pv} GROUP BY stage_index`;
  const entryIndex = wide ? 'transitions_site_entry' : 'transitions_site_time';
  // Wide: the primary key (site, visitor, time) gives the visitors in order, counted without a temporary sort.
  const activeSql = wide
    ? `SELECT COUNT(*) FROM (SELECT visitor FROM page_views INDEXED BY sqlite_autoindex_page_views_1 WHERE ${pv} GROUP BY visitor)`
    : `SELECT COUNT(DISTINCT visitor) FROM page_views INDEXED BY page_views_site_time WHERE ${pv}`;
  const [stages, onward, active, baskets, buyers] = await db.batch([
    db.prepare(perStageSql).bind(...binds),
    db
      .prepare(
        `SELECT k AS stage_index, COUNT(*) AS entered, COUNT(CASE WHEN t + onward_ms < ?3 THEN 1 END) AS onward FROM (
           SELECT to_index AS k, MIN(time) AS t, onward_ms FROM transitions INDEXED BY ${entryIndex} WHERE ${pv} GROUP BY to_index, visitor
         ) GROUP BY k`,
      )
      .bind(...binds),
    db
      .prepare(
        `SELECT (${activeSql})
              + (SELECT COUNT(DISTINCT p.visitor) FROM purchases p WHERE p.site = ?1 AND p.time >= ?2 AND p.time < ?3
                  AND NOT EXISTS (SELECT 1 FROM page_views v WHERE v.site = ?1 AND v.visitor = p.visitor AND v.time >= ?2 AND v.time < ?3)) AS n`,
      )
      .bind(...binds),
    db
      .prepare(
        `SELECT IFNULL(currency, '${NO_CURRENCY}') AS currency, AVG(value) AS value FROM purchases
          WHERE ${pv} AND value IS NOT NULL GROUP BY 1 ORDER BY COUNT(*) DESC, currency`,
      )
      .bind(...binds),
    db
      .prepare(
        `SELECT COUNT(DISTINCT visitor) AS buyers, COUNT(DISTINCT CASE WHEN nth > 1 THEN visitor END) AS repeat_buyers
           FROM purchases WHERE ${pv}`,
      )
      .bind(...binds),
  ]);
  type StageRow = { stage_index: number; views: number; visitors: number; entries: number; bounces: number; timed: number };
  const perStage = new Map((stages!.results as StageRow[]).map((r) => [r.stage_index, r]));
  const [visible, decision] = await Promise.all([
    mediansAtOffset(
      db,
      [...perStage.values()].map((r) => ({
        key: String(r.stage_index),
        n: r.timed,
        // INDEXED BY: without statistics SQLite would take the time index and sort; this one is already in order.
        select: `SELECT visible_ms AS d FROM page_views INDEXED BY page_views_site_visible
                  WHERE site = ?1 AND stage_index = ?4 AND visible_ms IS NOT NULL AND time >= ?2 AND time < ?3 ORDER BY visible_ms`,
        binds: [...binds, r.stage_index],
      })),
    ),
    mediansBy(db, `SELECT 0 AS g, decision_ms AS d FROM purchases WHERE ${pv}`, binds),
  ]);

  const moved = new Map((onward!.results as Array<{ stage_index: number; entered: number; onward: number }>).map((r) => [r.stage_index, r]));
  const b = (buyers!.results[0] ?? {}) as { buyers?: number; repeat_buyers?: number };
  const activeVisitors = (active!.results[0] as { n?: number } | undefined)?.n ?? 0;
  return {
    stages: site.stages.map((stage, k) => {
      const r = perStage.get(k);
      return {
        stage,
        views: r?.views ?? 0,
        visitors: r?.visitors ?? 0,
        bounce_rate: rate(r?.bounces ?? 0, r?.entries ?? 0),
        median_visible_ms: visible.get(String(k)) ?? null,
        to_next_stage: rate(moved.get(k)?.onward ?? 0, moved.get(k)?.entered ?? 0),
      };
    }),
    decision: {
      conversion_rate: rate(b.buyers ?? 0, activeVisitors),
      average_basket: (baskets!.results as unknown as Money[]).map((m) => ({ currency: m.currency, value: cents(m.value) })),
      median_decision_ms: decision.get('0') ?? null,
    },
    retention: { repurchase_rate: rate(b.repeat_buyers ?? 0, b.buyers ?? 0) },
  };
}
