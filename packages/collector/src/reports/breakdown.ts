// The breakdown report: one row per value of a session dimension, with visitors, stage entries, purchases (last and first touch) and abandoned carts.
import type { BreakdownReport, BreakdownRow, Dimension, Money } from '@parcours/protocol';
import { DIMENSION_COLUMNS, INDEX, SESSION_FACTS, TABLE } from '../db/schema.ts';
import { CART_SQL, cartBinds, NO_CURRENCY } from './carts.ts';
import { filterWhere } from './filter.ts';
import { sessionsInKeyOrder } from './plan.ts';
import type { Range } from './query.ts';
import {
  anyStage,
  cents,
  MAX_CURRENCIES,
  rate,
  stageBits,
  stageCounts,
  stagePositions,
  type ReportSite,
} from './sql.ts';

/** Rows listed when `limit` is not given. */
export const DEFAULT_BREAKDOWN_ROWS = 50;
/** Most rows `limit` may ask for. */
export const MAX_BREAKDOWN_ROWS = 1000;

/** One row of the statement: a part of the row of dimension value `value`, ranked `pos`. */
type Part = {
  pos: number;
  value: string;
  kind: 'views' | 'entered' | 'last' | 'last_money' | 'first' | 'first_money' | 'carts';
  /** The stage position (`entered`) or the currency (`*_money`). */
  k: number | string | null;
  n: number;
  /** `sessions` (`views`), buyers (`last`), an amount (`*_money`). */
  m: number | null;
};

/**
 * Per value of `by` among the sessions of the period (a filter applies first): `visitors` and
 * `sessions` with a page view in the period; `entered`, per stage, the visitors who entered it in
 * the period in a session of that value; `purchases` and `revenue` of the purchases made in such a
 * session (last touch), `first_touch_*` of the purchases whose visitor's first session has that
 * value; `conversion_rate` purchasing visitors over visitors; `abandoned_carts` as the carts report
 * counts them, for carts opened in a session of that value. Most visitors first (then purchases,
 * then value), at most `limit` rows; each money list holds the MAX_CURRENCIES largest currencies.
 *
 * One statement, cut in SQL: every part is grouped by value once (materialized), the values are ranked
 * and only the parts of the first `limit` leave the database (a `landing` or `campaign` breakdown can
 * have as many values as sessions). The session filter's values appear once, in `sess`, so the
 * statement stays within D1's size whatever the filter.
 */
export async function breakdown(
  db: D1Database,
  site: ReportSite,
  range: Range,
  by: Dimension,
  limit: number,
  abandonAfterMinutes: number,
): Promise<BreakdownReport> {
  // The period's kept sessions with their value of `by` and their facts (SESSION_FACTS); inlined into each join (a
  // primary-key lookup), never copied. For a period over much of the history, read in key order: left to choose,
  // SQLite reads them through the index by last row and looks each one up in the table for its value (at 1M events,
  // 160,797 sessions: most of the report's time).
  const byKey = (await sessionsInKeyOrder(db, site.id, range)) ? ` INDEXED BY ${INDEX.sessions_key}` : '';
  const sess = `sess AS NOT MATERIALIZED (SELECT visitor, session, ${DIMENSION_COLUMNS[by]} AS dim, ${SESSION_FACTS.join(', ')}
                 FROM ${TABLE.sessions}${byKey} WHERE site = ?1${filterWhere(range.filter)})`;
  const join = (alias: string) => `JOIN sess s ON s.visitor = ${alias}.visitor AND s.session = ${alias}.session`;
  const period = (alias: string) => `${alias}.site = ?1 AND ${alias}.time >= ?2 AND ${alias}.time < ?3`;
  // The MAX_CURRENCIES largest amounts of each value, from rows (dim, currency, n, amount).
  const money = (part: string) =>
    `SELECT dim, currency, amount FROM (
       SELECT dim, currency, amount, ROW_NUMBER() OVER (PARTITION BY dim ORDER BY amount DESC, currency) AS rc FROM ${part} WHERE amount IS NOT NULL
     ) WHERE rc <= ${MAX_CURRENCIES}`;
  // A session whose rows all lie in the period: its facts answer; one across an end of the period: its rows do.
  const inside = 's.first_row >= ?2 AND s.last_row < ?3';
  const sql = `WITH ${sess},
    -- One row per kept session with a page view or move in the period, read once in key order: whether it viewed a page
    -- in the period, and the stages it entered then (a bit each); from its facts, or for the few sessions across an
    -- end of the period, by a primary-key range of its visitor's rows.
    per_session AS MATERIALIZED (
      SELECT s.visitor, s.dim,
             CASE WHEN ${inside} THEN s.views > 0 ELSE EXISTS (SELECT 1 FROM ${TABLE.page_views} p INDEXED BY ${INDEX.page_views_key}
                      WHERE ${period('p')} AND p.visitor = s.visitor AND p.session = s.session) END AS viewed,
             CASE WHEN ${inside} THEN s.entered & ${stageBits(site)}
                  ELSE IFNULL((SELECT SUM(DISTINCT 1 << t.to_index) FROM ${TABLE.transitions} t INDEXED BY ${INDEX.transitions_key}
                      WHERE ${period('t')} AND t.visitor = s.visitor AND t.session = s.session AND ${stagePositions('t.to_index', site)}), 0) END AS mask
        FROM sess s WHERE s.first_row < ?3 AND s.last_row >= ?2),
    -- Per visitor and value: viewed in any of those sessions, how many did, and the stages entered in any (masks OR-ed).
    per_visitor AS MATERIALIZED (
      SELECT dim, MAX(viewed) AS viewed, SUM(viewed) AS sessions, ${anyStage('mask', site)} AS mask
        FROM per_session GROUP BY visitor, dim),
    -- Per value: visitors and sessions with a page view, and per stage (a JSON array) the visitors who entered it; one pass.
    per_value AS MATERIALIZED (
      SELECT dim, SUM(viewed) AS visitors, SUM(sessions) AS sessions, MAX(mask) > 0 AS entered,
             ${stageCounts('mask', site)} AS entries
        FROM per_visitor GROUP BY dim),
    -- The period's purchases in kept sessions, read once in key order (their sessions' rows then come in key order too):
    -- the value of the session they were made in (last touch) and of the buyer's first session (earliest start, then
    -- session id; whatever the filter), a primary-key range of the buyer's sessions.
    bought AS MATERIALIZED (
      SELECT u.visitor, IFNULL(u.currency, '${NO_CURRENCY}') AS currency, CASE WHEN u.value >= 0 THEN u.value END AS value, s.dim,
             (SELECT f.${DIMENSION_COLUMNS[by]} FROM ${TABLE.sessions} f WHERE f.site = ?1 AND f.visitor = u.visitor
               ORDER BY f.started_at, f.session LIMIT 1) AS first_dim
        FROM ${TABLE.purchases} u INDEXED BY ${INDEX.purchases_key} ${join('u')} WHERE ${period('u')}),
    last_touch AS MATERIALIZED (SELECT dim, currency, COUNT(*) AS n, SUM(value) AS amount FROM bought GROUP BY 1, 2),
    buyers AS (SELECT dim, COUNT(*) AS n, COUNT(DISTINCT visitor) AS visitors FROM bought GROUP BY 1),
    first_touch AS MATERIALIZED (SELECT first_dim AS dim, currency, COUNT(*) AS n, SUM(value) AS amount FROM bought GROUP BY 1, 2),
    -- Abandoned carts by the value of the session that opened them, read in key order as purchases are.
    carted AS MATERIALIZED (
      SELECT s.dim, COUNT(*) AS n
        FROM (SELECT visitor, session FROM ${TABLE.carts} INDEXED BY ${INDEX.carts_key} WHERE ${CART_SQL.started} AND ${CART_SQL.abandoned}) c
        ${join('c')} GROUP BY 1),
    top AS MATERIALIZED (
      SELECT dim, ROW_NUMBER() OVER (ORDER BY SUM(visitors) DESC, SUM(purchases) DESC, dim) AS pos FROM (
        SELECT dim, visitors, 0 AS purchases FROM per_value WHERE visitors > 0 OR entered
        UNION ALL SELECT dim, 0, n FROM last_touch
        UNION ALL SELECT dim, 0, 0 FROM first_touch
        UNION ALL SELECT dim, 0, 0 FROM carted
      ) GROUP BY dim ORDER BY pos LIMIT ?5)
    -- D1 allows five terms per compound SELECT; a subquery starts its own count.
    SELECT * FROM (
      SELECT t.pos, t.dim AS value, 'views' AS kind, NULL AS k, v.visitors AS n, v.sessions AS m FROM top t JOIN per_value v ON v.dim = t.dim
      UNION ALL SELECT t.pos, t.dim, 'entered', e.key, e.value, NULL FROM top t JOIN per_value v ON v.dim = t.dim, json_each(v.entries) e
      UNION ALL SELECT t.pos, t.dim, 'last', NULL, b.n, b.visitors FROM top t JOIN buyers b ON b.dim = t.dim
      UNION ALL SELECT t.pos, t.dim, 'carts', NULL, c.n, NULL FROM top t JOIN carted c ON c.dim = t.dim)
    UNION ALL SELECT * FROM (
      SELECT t.pos, t.dim, 'last_money', l.currency, 0, l.amount FROM top t JOIN (${money('last_touch')}) l ON l.dim = t.dim
      UNION ALL SELECT t.pos, t.dim, 'first', NULL, SUM(f.n), NULL FROM top t JOIN first_touch f ON f.dim = t.dim GROUP BY t.dim
      UNION ALL SELECT t.pos, t.dim, 'first_money', f.currency, 0, f.amount FROM top t JOIN (${money('first_touch')}) f ON f.dim = t.dim)
    ORDER BY 1`;
  const { results } = await db
    .prepare(sql)
    .bind(...cartBinds(site, range, abandonAfterMinutes), limit)
    .all<Part>();

  const rows = new Map<number, BreakdownRow & { buyers: number }>();
  for (const p of results) {
    let r = rows.get(p.pos);
    if (!r) {
      r = {
        value: p.value,
        visitors: 0,
        sessions: 0,
        entered: Object.fromEntries(site.stages.map((s) => [s, 0])),
        purchases: 0,
        revenue: [],
        first_touch_purchases: 0,
        first_touch_revenue: [],
        conversion_rate: 0,
        abandoned_carts: 0,
        buyers: 0,
      };
      rows.set(p.pos, r);
    }
    const money = (): Money => ({ currency: String(p.k), value: cents(p.m ?? 0) });
    if (p.kind === 'views') Object.assign(r, { visitors: p.n, sessions: p.m ?? 0 });
    else if (p.kind === 'entered') r.entered[site.stages[Number(p.k)]!] = p.n;
    else if (p.kind === 'last') Object.assign(r, { purchases: p.n, buyers: p.m ?? 0 });
    else if (p.kind === 'last_money') r.revenue.push(money());
    else if (p.kind === 'first') r.first_touch_purchases = p.n;
    else if (p.kind === 'first_money') r.first_touch_revenue.push(money());
    else r.abandoned_carts = p.n;
  }
  const byAmount = (a: Money, b: Money) => b.value - a.value || (a.currency < b.currency ? -1 : 1);
  return {
    by,
    rows: [...rows.entries()]
      .sort(([a], [b]) => a - b)
      .map(([, { buyers, ...r }]) => ({
        ...r,
        revenue: r.revenue.sort(byAmount),
        first_touch_revenue: r.first_touch_revenue.sort(byAmount),
        conversion_rate: rate(buyers, r.visitors),
      })),
  };
}
