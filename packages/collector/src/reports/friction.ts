// The friction report: pages ranked by how many journeys end or stall on them (exits, form and cart abandons).
import type { FrictionPage, FrictionReport } from '@parcours/protocol';
import { CART_SQL, cartBinds } from './carts.ts';
import { sessionCondition } from './filter.ts';
import { pathViewDayBinds, pathViewRows } from './path-views.ts';
import { periodIsWide } from './plan.ts';
import { DEFAULT_LIST_LIMIT, type Range } from './query.ts';
import { rate, type ReportSite } from './sql.ts';

/**
 * The friction score of a page: losses × min(1, losses / views) × depth, where losses =
 * exits + form_abandons + cart_abandons and depth = (stage position + 1) / stage count.
 * Losses alone favour busy pages, the loss rate alone favours pages seen twice; their product
 * ranks by both. Depth weighs a loss near the purchase above one on a blog post, where
 * leaving is normal. The report computes it in SQL (FRICTION_SCORE_SQL) to rank and cut there;
 * this is the same arithmetic, in the same order, for tests and readers.
 */
export function frictionScore(p: Pick<FrictionPage, 'views' | 'exits' | 'form_abandons' | 'cart_abandons'>, stageIndex: number, stageCount: number): number {
  const losses = p.exits + p.form_abandons + p.cart_abandons;
  const depth = (stageIndex + 1) / Math.max(1, stageCount);
  return Math.round(losses * Math.min(1, losses / Math.max(1, p.views)) * depth * 1000) / 1000;
}

/** frictionScore over a row's sums; ?9 is the stage count. SQLite's ROUND of a positive number is Math.round. */
const LOSSES = '(exits + form_abandons + cart_abandons)';
const FRICTION_SCORE_SQL = `ROUND(${LOSSES} * MIN(1.0, ${LOSSES} * 1.0 / MAX(1, views)) * ((stage_index + 1) * 1.0 / MAX(1, ?9)) * 1000) / 1000.0`;

/**
 * Pages seen or abandoned in the period, highest friction score first (then views, then path), at most
 * `limit` of them. One statement: every page of the period is grouped and scored inside the database,
 * and only the `limit` best leave it (a site with 40,000 paths used to send them all to the Worker,
 * which sorted them and kept 100).
 */
export async function friction(db: D1Database, site: ReportSite, range: Range, abandonAfterMinutes: number, limit = DEFAULT_LIST_LIMIT): Promise<FrictionReport> {
  // A filter keeps the rows of the matching sessions: their page views, form abandons and the carts they opened.
  const filtered = sessionCondition(site.id, range.filter);
  const wide = !filtered && (await periodIsWide(db, site.id, range));
  const [, , , threshold] = cartBinds(site, range, abandonAfterMinutes);
  const { results } = await db
    .prepare(
      `SELECT path, stage_index, views, visitors, exits, form_abandons, cart_abandons, ${FRICTION_SCORE_SQL} AS score FROM (
         SELECT path, stage_index, SUM(views) AS views, SUM(visitors) AS visitors, SUM(exits) AS exits,
                SUM(form_abandons) AS form_abandons, SUM(cart_abandons) AS cart_abandons FROM (
           SELECT path, stage_index, views, visitors, exits, 0 AS form_abandons, 0 AS cart_abandons FROM (${pathViewRows(wide, filtered)})
           UNION ALL
           SELECT path, stage_index, 0, 0, 0, 1, 0 FROM events
            WHERE site = ?1 AND type = 'form_abandon' AND time >= ?2 AND time < ?3 AND form IS NOT NULL${filtered}
           UNION ALL
           SELECT exit_path, exit_stage, 0, 0, 0, 0, 1 FROM carts
            WHERE ${CART_SQL.started} AND ${CART_SQL.abandoned} AND exit_path IS NOT NULL${filtered}
         ) GROUP BY path, stage_index HAVING SUM(views) > 0 OR SUM(form_abandons) > 0 OR SUM(cart_abandons) > 0
       ) ORDER BY score DESC, views DESC, path, stage_index LIMIT ?10`,
    )
    .bind(site.id, range.from, range.to, threshold, ...pathViewDayBinds(range), site.stages.length, limit)
    .all<Omit<FrictionPage, 'stage' | 'exit_rate'> & { stage_index: number }>();
  return {
    pages: results.map(({ stage_index, ...p }) => ({
      path: p.path,
      stage: site.stages[stage_index] ?? String(stage_index),
      views: p.views,
      visitors: p.visitors,
      exits: p.exits,
      exit_rate: rate(p.exits, p.views),
      form_abandons: p.form_abandons,
      cart_abandons: p.cart_abandons,
      score: p.score,
    })),
  };
}
