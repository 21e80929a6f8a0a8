// The KPI report: per-stage traffic and engagement, the decision (conversion, basket, time) and retention.
import { INDEX, TABLE } from '../db/schema.ts';
import type { KpisReport, Money } from '@parcours/protocol';
import { NO_CURRENCY } from './carts.ts';
import { firstEntries, type StageEntries } from './first-entries.ts';
import { inKeyOrder, sessionMatches } from './filter.ts';
import { pageViewStats, type StageViews } from './page-view-stats.ts';
import type { Range } from './query.ts';
import { cents, MAX_CURRENCIES, medianPart, mediansAtOffset, rankedMedian, rate, type ReportSite } from './sql.ts';

/**
 * Per stage (of the pages viewed): views, visitors, bounce rate of sessions entering there,
 * median visible time; `to_next_stage`: of the visitors who entered the stage in the period, the
 * share who moved on to any later stage before the period ended.
 * Decision: purchasers / active visitors, mean basket per currency (the MAX_CURRENCIES most bought in), median decision time.
 * Retention: share of the period's buyers whose purchase was not their first.
 */
export async function kpis(db: D1Database, site: ReportSite, range: Range): Promise<KpisReport> {
  if (range.filter) return filteredKpis(db, site, range);
  const pv = 'site = ?1 AND time >= ?2 AND time < ?3';
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
          `SELECT COUNT(DISTINCT visitor) AS n FROM ${TABLE.purchases} INDEXED BY ${INDEX.purchases_site_time}
            WHERE ${pv} AND (view_before IS NULL OR view_before < ?2) AND (view_after IS NULL OR view_after >= ?3)`,
        )
        .bind(...binds),
      basketsStatement(db, binds, ''),
      buyersStatement(db, binds, ''),
    ]),
  ]);
  const b = (buyers!.results[0] ?? {}) as Buyers;
  // Medians read at an offset of indexes in value order: visible time per page stage, and decision time.
  const medians = await mediansAtOffset(db, [
    ...[...perStage].map(([k, r]) => ({
      key: String(k),
      n: r.timed,
      // INDEXED BY: without statistics SQLite would take the time index and sort; this one is already in order.
      select: `SELECT visible_ms AS d FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_visible}
                WHERE site = ?1 AND stage_index = ?4 AND visible_ms IS NOT NULL AND time >= ?2 AND time < ?3 ORDER BY visible_ms`,
      binds: [...binds, k],
    })),
    {
      key: 'decision',
      n: b.timed ?? 0,
      select: `SELECT decision_ms AS d FROM ${TABLE.purchases} INDEXED BY ${INDEX.purchases_site_decision}
                WHERE site = ?1 AND decision_ms IS NOT NULL AND time >= ?2 AND time < ?3 ORDER BY decision_ms`,
      binds,
    },
  ]);
  return answer(site, perStage, viewers, moved, purchasesOnly!, baskets!, b, (k) => medians.get(k) ?? null);
}

type Buyers = { buyers?: number; repeat_buyers?: number; timed?: number; median?: number | null };

/** The period's mean basket per currency, the MAX_CURRENCIES most bought in; `matches` keeps the filtered sessions' rows. */
function basketsStatement(db: D1Database, binds: unknown[], matches: string, keyOrder = ''): D1PreparedStatement {
  return db
    .prepare(
      `SELECT IFNULL(currency, '${NO_CURRENCY}') AS currency, AVG(value) AS value FROM ${TABLE.purchases} u${keyOrder}
        WHERE site = ?1 AND time >= ?2 AND time < ?3${matches} AND value >= 0 GROUP BY 1 ORDER BY COUNT(*) DESC, currency LIMIT ?4`,
    )
    .bind(...binds, MAX_CURRENCIES);
}

/** The period's buyers, repeat buyers and timed decisions, and with a filter their median decision time ranked among them. */
function buyersStatement(db: D1Database, binds: unknown[], matches: string, keyOrder = ''): D1PreparedStatement {
  const counts = `COUNT(DISTINCT visitor) AS buyers, COUNT(DISTINCT CASE WHEN nth > 1 THEN visitor END) AS repeat_buyers,
                  COUNT(decision_ms) AS timed`;
  const where = `site = ?1 AND time >= ?2 AND time < ?3${matches}`;
  if (!matches) return db.prepare(`SELECT ${counts} FROM ${TABLE.purchases} WHERE ${where}`).bind(...binds);
  const { rank, count } = rankedMedian('site', 'decision_ms');
  return db
    .prepare(
      `SELECT ${counts}, AVG(${medianPart('rk', 'nr', 'decision_ms')}) AS median FROM (
         SELECT visitor, nth, decision_ms, ${rank} AS rk, ${count} AS nr FROM ${TABLE.purchases} u${keyOrder} WHERE ${where})`,
    )
    .bind(...binds);
}

/**
 * kpis with a session filter: the previous-row columns count over all of a visitor's sessions, so the matching rows
 * are grouped instead, each table read once, the medians ranked in the same passes. Purchases are few: their sessions
 * are checked row by row (sessionMatches), as is a buyer's page view in the period.
 */
async function filteredKpis(db: D1Database, site: ReportSite, range: Range): Promise<KpisReport> {
  const binds = [site.id, range.from, range.to];
  const matches = sessionMatches(site.id, range.filter, 'u');
  const keyOrder = inKeyOrder(range.filter, 'purchases');
  const [{ stages: perStage, viewers }, moved, [purchasesOnly, baskets, buyers]] = await Promise.all([
    pageViewStats(db, site, range),
    firstEntries(db, site, range, 'onward_ms'),
    db.batch([
      // Active visitors who bought in the period without a matching page view in it.
      db
        .prepare(
          `SELECT COUNT(DISTINCT visitor) AS n FROM ${TABLE.purchases} u${keyOrder} WHERE site = ?1 AND time >= ?2 AND time < ?3${matches}
              AND NOT EXISTS (SELECT 1 FROM ${TABLE.page_views} p WHERE p.site = ?1 AND p.visitor = u.visitor AND p.time >= ?2 AND p.time < ?3${sessionMatches(site.id, range.filter, 'p')})`,
        )
        .bind(...binds),
      basketsStatement(db, binds, matches, keyOrder),
      buyersStatement(db, binds, matches, keyOrder),
    ]),
  ]);
  const b = (buyers!.results[0] ?? {}) as Buyers;
  return answer(site, perStage, viewers, moved, purchasesOnly!, baskets!, b, (k) =>
    k === 'decision' ? (b.median == null ? null : Math.round(b.median)) : (perStage.get(Number(k))?.median ?? null),
  );
}

/** The report from its parts; `median` answers a stage position's median visible time, or 'decision'. */
function answer(
  site: ReportSite,
  perStage: Map<number, StageViews>,
  viewers: number,
  moved: Map<number, StageEntries>,
  purchasesOnly: D1Result,
  baskets: D1Result,
  b: Buyers,
  median: (k: string) => number | null,
): KpisReport {
  const activeVisitors = viewers + ((purchasesOnly.results[0] as { n?: number } | undefined)?.n ?? 0);
  return {
    stages: site.stages.map((stage, k) => {
      const r = perStage.get(k);
      return {
        stage,
        views: r?.views ?? 0,
        visitors: r?.visitors ?? 0,
        bounce_rate: rate(r?.bounces ?? 0, r?.entries ?? 0),
        median_visible_ms: median(String(k)),
        to_next_stage: rate(moved.get(k)?.reached ?? 0, moved.get(k)?.entered ?? 0),
      };
    }),
    decision: {
      conversion_rate: rate(b.buyers ?? 0, activeVisitors),
      average_basket: (baskets.results as unknown as Money[]).map((m) => ({
        currency: m.currency,
        value: cents(m.value),
      })),
      median_decision_ms: median('decision'),
    },
    retention: { repurchase_rate: rate(b.repeat_buyers ?? 0, b.buyers ?? 0) },
  };
}
