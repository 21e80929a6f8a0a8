// The KPI report: per-stage traffic and engagement, the decision (conversion, basket, time) and retention.
import { INDEX, TABLE } from '../db/schema.ts';
import type { KpisReport, Money } from '@parcours/protocol';
import { NO_CURRENCY } from './carts.ts';
import { firstEntries } from './first-entries.ts';
import { sessionCondition } from './filter.ts';
import { pageViewStats } from './page-view-stats.ts';
import type { Range } from './query.ts';
import { cents, MAX_CURRENCIES, mediansAtOffset, rate, type ReportSite } from './sql.ts';

/**
 * Per stage (of the pages viewed): views, visitors, bounce rate of sessions entering there,
 * median visible time; `to_next_stage`: of the visitors who entered the stage in the period, the
 * share who moved on to any later stage before the period ended.
 * Decision: purchasers / active visitors, mean basket per currency (the MAX_CURRENCIES most bought in), median decision time.
 * Retention: share of the period's buyers whose purchase was not their first.
 */
export async function kpis(db: D1Database, site: ReportSite, range: Range): Promise<KpisReport> {
  const filtered = sessionCondition(site.id, range.filter);
  const pv = `site = ?1 AND time >= ?2 AND time < ?3${filtered}`;
  const binds = [site.id, range.from, range.to];
  const [{ stages: perStage, viewers }, moved, [purchasesOnly, baskets, buyers]] = await Promise.all([
    pageViewStats(db, site, range),
    // The visitors' first entries into each stage in the period, and those followed by any later stage before its end.
    firstEntries(db, site, range, 'onward_ms'),
    db.batch([
      // Active visitors who bought in the period without a page view in it: a buyer viewed a page in the period exactly
      // when the last view at or before one of their purchases in it, or the first view after, lies in the period.
      db
        .prepare(
          filtered
            ? // The nearest page views may lie in other sessions: with a filter, the matching page views of the period are read.
              `SELECT COUNT(DISTINCT visitor) AS n FROM ${TABLE.purchases} WHERE ${pv}
                AND visitor NOT IN (SELECT visitor FROM ${TABLE.page_views} WHERE ${pv})`
            : `SELECT COUNT(DISTINCT visitor) AS n FROM ${TABLE.purchases} INDEXED BY ${INDEX.purchases_site_time}
            WHERE ${pv} AND (view_before IS NULL OR view_before < ?2) AND (view_after IS NULL OR view_after >= ?3)`,
        )
        .bind(...binds),
      db
        .prepare(
          `SELECT IFNULL(currency, '${NO_CURRENCY}') AS currency, AVG(value) AS value FROM ${TABLE.purchases}
            WHERE ${pv} AND value >= 0 GROUP BY 1 ORDER BY COUNT(*) DESC, currency LIMIT ?4`,
        )
        .bind(...binds, MAX_CURRENCIES),
      db
        .prepare(
          `SELECT COUNT(DISTINCT visitor) AS buyers, COUNT(DISTINCT CASE WHEN nth > 1 THEN visitor END) AS repeat_buyers,
                  COUNT(decision_ms) AS timed
             FROM ${TABLE.purchases} WHERE ${pv}`,
        )
        .bind(...binds),
    ]),
  ]);
  const b = (buyers!.results[0] ?? {}) as { buyers?: number; repeat_buyers?: number; timed?: number };
  // Medians read at an offset of indexes in value order: visible time per page stage, and decision time.
  const medians = await mediansAtOffset(db, [
    ...[...perStage].map(([k, r]) => ({
      key: String(k),
      n: r.timed,
      // INDEXED BY: without statistics SQLite would take the time index and sort; this one is already in order.
      select: `SELECT visible_ms AS d FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_visible}
                WHERE site = ?1 AND stage_index = ?4 AND visible_ms IS NOT NULL AND time >= ?2 AND time < ?3${filtered} ORDER BY visible_ms`,
      binds: [...binds, k],
    })),
    {
      key: 'decision',
      n: b.timed ?? 0,
      select: `SELECT decision_ms AS d FROM ${TABLE.purchases} INDEXED BY ${INDEX.purchases_site_decision}
                WHERE site = ?1 AND decision_ms IS NOT NULL AND time >= ?2 AND time < ?3${filtered} ORDER BY decision_ms`,
      binds,
    },
  ]);

  const activeVisitors = viewers + ((purchasesOnly!.results[0] as { n?: number } | undefined)?.n ?? 0);
  return {
    stages: site.stages.map((stage, k) => {
      const r = perStage.get(k);
      return {
        stage,
        views: r?.views ?? 0,
        visitors: r?.visitors ?? 0,
        bounce_rate: rate(r?.bounces ?? 0, r?.entries ?? 0),
        median_visible_ms: medians.get(String(k)) ?? null,
        to_next_stage: rate(moved.get(k)?.reached ?? 0, moved.get(k)?.entered ?? 0),
      };
    }),
    decision: {
      conversion_rate: rate(b.buyers ?? 0, activeVisitors),
      average_basket: (baskets!.results as unknown as Money[]).map((m) => ({
        currency: m.currency,
        value: cents(m.value),
      })),
      median_decision_ms: medians.get('decision') ?? null,
    },
    retention: { repurchase_rate: rate(b.repeat_buyers ?? 0, b.buyers ?? 0) },
  };
}
