// The friction report: pages ranked by how many journeys end or stall on them (exits, form and cart abandons) and by
// the friction signals the script captures on them (rage, dead and error clicks, quick backs, field errors).
import { pathTextSql } from '../db/insert-sql.ts';
import { INDEX, TABLE } from '../db/schema.ts';
import { FRICTION_EVENTS, type FrictionPage, type FrictionReport, type FrictionTarget } from '@parcours/protocol';
import { CART_SQL, cartBinds } from './carts.ts';
import { inKeyOrder, sessionCondition, sessionMatches } from './filter.ts';
import { pathViewDayBinds, pathViewRows } from './path-views.ts';
import { periodIsWide } from './plan.ts';
import { DEFAULT_LIST_LIMIT, type Range } from './query.ts';
import { rate, type ReportSite } from './sql.ts';

/** Most targets listed per page. */
export const MAX_FRICTION_TARGETS = 10;

const SIGNAL_TYPES = FRICTION_EVENTS.map((t) => `'${t}'`).join(',');
/**
 * The condition of the partial index `events_site_friction`, as its WHERE spells it: a statement reads that index only
 * with this term among its own (SQLite matches a partial index's condition by expression).
 */
export const FRICTION_TYPES = `type IN ('form_abandon', ${FRICTION_EVENTS.map((t) => `'${t}'`).join(', ')})`;

type Counts = Pick<FrictionPage, 'views' | 'exits' | 'form_abandons' | 'cart_abandons'> &
  Partial<Pick<FrictionPage, 'rage_clicks' | 'dead_clicks' | 'error_clicks' | 'quick_backs' | 'field_errors'>>;

/**
 * The friction score of a page: losses × min(1, losses / views) × depth, where losses =
 * exits + form_abandons + cart_abandons + quick_backs + (rage_clicks + dead_clicks + error_clicks + field_errors) / 2
 * and depth = (stage position + 1) / stage count. A quick back leaves the page, like an exit; a click or field that
 * fails hurts without ending the visit: half a loss. Losses alone favour busy pages, the loss rate alone favours pages
 * seen twice; their product ranks by both. Depth weighs a loss near the purchase above one on a blog post, where
 * leaving is normal. The report computes it in SQL (FRICTION_SCORE_SQL) to rank and cut there; this is the same
 * arithmetic, in the same order, for tests and readers.
 */
export function frictionScore(p: Counts, stageIndex: number, stageCount: number): number {
  const hurts = (p.rage_clicks ?? 0) + (p.dead_clicks ?? 0) + (p.error_clicks ?? 0) + (p.field_errors ?? 0);
  const losses = p.exits + p.form_abandons + p.cart_abandons + (p.quick_backs ?? 0) + hurts / 2;
  const depth = (stageIndex + 1) / Math.max(1, stageCount);
  return Math.round(losses * Math.min(1, losses / Math.max(1, p.views)) * depth * 1000) / 1000;
}

/** frictionScore over a row's sums; ?9 is the stage count. SQLite's ROUND of a positive number is Math.round. */
const LOSSES =
  '(exits + form_abandons + cart_abandons + quick_backs + (rage_clicks + dead_clicks + error_clicks + field_errors) / 2.0)';
const FRICTION_SCORE_SQL = `ROUND(${LOSSES} * MIN(1.0, ${LOSSES} * 1.0 / MAX(1, views)) * ((stage_index + 1) * 1.0 / MAX(1, ?9)) * 1000) / 1000.0`;

type PageRow = Omit<FrictionPage, 'stage' | 'exit_rate' | 'targets'> & { stage_index: number; path_id: number };
type TargetRow = { path_id: number; stage_index: number; kind: FrictionTarget['kind']; target: string; count: number };

/**
 * Pages seen, abandoned or stalled on in the period, highest friction score first (then views, then path), at most
 * `limit` of them, each with its MAX_FRICTION_TARGETS most frequent targets. Every page of the period is grouped and
 * scored inside the database and only the `limit` best leave it (a site with 40,000 paths used to send them all to the
 * Worker); the targets are then read for those pages only.
 */
export async function friction(
  db: D1Database,
  site: ReportSite,
  range: Range,
  abandonAfterMinutes: number,
  limit = DEFAULT_LIST_LIMIT,
): Promise<FrictionReport> {
  // A filter keeps the rows of the matching sessions: their page views, form abandons, signals and the carts they opened.
  const filtered = sessionCondition(site.id, range.filter);
  // Events and carts of the period are checked row by row (a primary-key look-up each): reading every matching
  // session's events first would read all of their visitors' events.
  const eventMatches = sessionMatches(site.id, range.filter, TABLE.events);
  const wide = !filtered && (await periodIsWide(db, site.id, range));
  const [, , , threshold] = cartBinds(site, range, abandonAfterMinutes);
  const { results: pages } = await db
    .prepare(
      `SELECT path_id, ${pathTextSql('path_id')} AS path, stage_index, views, visitors, exits, form_abandons, cart_abandons, rage_clicks, dead_clicks, error_clicks,
              quick_backs, field_errors, ${FRICTION_SCORE_SQL} AS score FROM (
         SELECT path_id, stage_index, SUM(views) AS views, SUM(visitors) AS visitors, SUM(exits) AS exits,
                SUM(form_abandons) AS form_abandons, SUM(cart_abandons) AS cart_abandons, SUM(rage_clicks) AS rage_clicks,
                SUM(dead_clicks) AS dead_clicks, SUM(error_clicks) AS error_clicks, SUM(quick_backs) AS quick_backs,
                SUM(field_errors) AS field_errors FROM (
           SELECT path_id, stage_index, views, visitors, exits, 0 AS form_abandons, 0 AS cart_abandons, 0 AS rage_clicks,
                  0 AS dead_clicks, 0 AS error_clicks, 0 AS quick_backs, 0 AS field_errors FROM (${pathViewRows(wide, filtered)})
           UNION ALL
           SELECT path_id, stage_index, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0 FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_friction}
            WHERE site = ?1 AND type = 'form_abandon' AND time >= ?2 AND time < ?3 AND form IS NOT NULL AND ${FRICTION_TYPES}${eventMatches}
           UNION ALL
           SELECT exit_path_id, exit_stage, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0 FROM ${TABLE.carts}${inKeyOrder(range.filter, 'carts')}
            WHERE ${CART_SQL.started} AND ${CART_SQL.abandoned} AND exit_path_id IS NOT NULL${sessionMatches(site.id, range.filter, TABLE.carts)}
           UNION ALL
           SELECT path_id, stage_index, 0, 0, 0, 0, 0, type = 'rage_click', type = 'dead_click', type = 'error_click',
                  type = 'quick_back', type = 'field_error' FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_friction}
            WHERE site = ?1 AND type IN (${SIGNAL_TYPES}) AND time >= ?2 AND time < ?3 AND ${FRICTION_TYPES}${eventMatches}
         ) GROUP BY path_id, stage_index
           HAVING SUM(views) > 0 OR SUM(form_abandons) > 0 OR SUM(cart_abandons) > 0 OR SUM(rage_clicks) > 0
               OR SUM(dead_clicks) > 0 OR SUM(error_clicks) > 0 OR SUM(quick_backs) > 0 OR SUM(field_errors) > 0
       ) ORDER BY score DESC, views DESC, path, stage_index LIMIT ?10`,
    )
    .bind(site.id, range.from, range.to, threshold, ...pathViewDayBinds(range), site.stages.length, limit)
    .all<PageRow>();

  // The listed pages' top targets (a field error's target is its field; a quick back has none), ranked in SQL.
  const listed = JSON.stringify(pages.map((p) => [p.path_id, p.stage_index]));
  const { results: targets } = pages.length
    ? await db
        .prepare(
          `SELECT path_id, stage_index, kind, target, count FROM (
             SELECT path_id, stage_index, kind, target, count,
                    ROW_NUMBER() OVER (PARTITION BY path_id, stage_index ORDER BY count DESC, kind, target) AS rn FROM (
               SELECT path_id, stage_index, type AS kind,
                      COALESCE(json_extract(data, '$.target'), json_extract(data, '$.field')) AS target, COUNT(*) AS count
                 FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_friction}
                WHERE site = ?1 AND type IN (${SIGNAL_TYPES}) AND type != 'quick_back' AND time >= ?2 AND time < ?3 AND ${FRICTION_TYPES}${eventMatches}
                  AND path_id IN (SELECT value ->> 0 FROM json_each(?4))
                GROUP BY path_id, stage_index, kind, target HAVING target IS NOT NULL))
            WHERE rn <= ?5 AND (path_id, stage_index) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?4))`,
        )
        .bind(site.id, range.from, range.to, listed, MAX_FRICTION_TARGETS)
        .all<TargetRow>()
    : { results: [] as TargetRow[] };
  const targetsOf = new Map<string, FrictionTarget[]>();
  for (const t of targets) {
    const key = JSON.stringify([t.path_id, t.stage_index]);
    const list = targetsOf.get(key) ?? [];
    list.push({ kind: t.kind, target: t.target, count: t.count });
    targetsOf.set(key, list);
  }

  return {
    pages: pages.map(({ stage_index, ...p }) => ({
      path: p.path,
      stage: site.stages[stage_index] ?? String(stage_index),
      views: p.views,
      visitors: p.visitors,
      exits: p.exits,
      exit_rate: rate(p.exits, p.views),
      form_abandons: p.form_abandons,
      cart_abandons: p.cart_abandons,
      rage_clicks: p.rage_clicks,
      dead_clicks: p.dead_clicks,
      error_clicks: p.error_clicks,
      quick_backs: p.quick_backs,
      field_errors: p.field_errors,
      score: p.score,
      // In the SQL's order: most frequent first, then by kind and target.
      targets: (targetsOf.get(JSON.stringify([p.path_id, stage_index])) ?? []).sort(
        (a, b) =>
          b.count - a.count || a.kind.localeCompare(b.kind) || (a.target < b.target ? -1 : a.target > b.target ? 1 : 0),
      ),
    })),
  };
}
