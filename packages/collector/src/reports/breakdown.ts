// The breakdown report: one row per value of a session dimension, with visitors, stage entries, purchases (last and first touch) and abandoned carts.
import type { BreakdownReport, BreakdownRow, Dimension, Money } from '@parcours/protocol';
import { DIMENSION_COLUMNS, SESSIONS } from '../db/schema.ts';
import { CART_SQL, cartBinds, NO_CURRENCY } from './carts.ts';
import { sessionCondition } from './filter.ts';
import type { Range } from './query.ts';
import { cents, rate, stagePositions, type ReportSite } from './sql.ts';

/** Rows listed when `limit` is not given. */
export const DEFAULT_BREAKDOWN_ROWS = 50;

type Counted = { value: string; n: number };
type Amounts = { value: string; currency: string; n: number; amount: number | null };

/** Rows grouped by dimension value. */
function byValue(list: Amounts[]): Map<string, Amounts[]> {
  const out = new Map<string, Amounts[]>();
  for (const r of list) out.set(r.value, [...(out.get(r.value) ?? []), r]);
  return out;
}

/** Money per currency, largest first, from rows of one dimension value. */
function money(rows: Amounts[]): Money[] {
  return rows
    .filter((r) => r.amount !== null)
    .map((r) => ({ currency: r.currency, value: cents(r.amount!) }))
    .sort((a, b) => b.value - a.value || (a.currency < b.currency ? -1 : 1));
}

/**
 * Per value of `by` among the sessions of the period (a filter applies first): `visitors` and
 * `sessions` with a page view in the period; `entered`, per stage, the visitors who entered it in
 * the period in a session of that value; `purchases` and `revenue` of the purchases made in such a
 * session (last touch), `first_touch_*` of the purchases whose visitor's first session has that
 * value; `conversion_rate` purchasing visitors over visitors; `abandoned_carts` as the carts report
 * counts them, for carts opened in a session of that value. Most visitors first, at most `limit` rows.
 */
export async function breakdown(
  db: D1Database,
  site: ReportSite,
  range: Range,
  by: Dimension,
  limit: number,
  abandonAfterMinutes: number,
): Promise<BreakdownReport> {
  const col = `s.${DIMENSION_COLUMNS[by]}`;
  const join = (alias: string) =>
    `JOIN ${SESSIONS.table} s ON s.site = ${alias}.site AND s.visitor = ${alias}.visitor AND s.session = ${alias}.session`;
  const period = (alias: string) =>
    `${alias}.site = ?1 AND ${alias}.time >= ?2 AND ${alias}.time < ?3${sessionCondition(site.id, range.filter, `${alias}.`)}`;
  const binds = [site.id, range.from, range.to];
  const [views, entries, lastTouch, firstTouch, buyers, carts] = await db.batch([
    db
      .prepare(
        `SELECT ${col} AS value, COUNT(DISTINCT p.visitor) AS visitors, COUNT(DISTINCT p.visitor || ' ' || p.session) AS sessions
           FROM page_views p ${join('p')} WHERE ${period('p')} GROUP BY 1`,
      )
      .bind(...binds),
    db
      .prepare(
        `SELECT ${col} AS value, t.to_index AS k, COUNT(DISTINCT t.visitor) AS n
           FROM transitions t ${join('t')} WHERE ${period('t')} AND ${stagePositions('t.to_index', site)} GROUP BY 1, 2`,
      )
      .bind(...binds),
    db
      .prepare(
        `SELECT ${col} AS value, IFNULL(u.currency, '${NO_CURRENCY}') AS currency, COUNT(*) AS n, SUM(u.value) AS amount
           FROM purchases u ${join('u')} WHERE ${period('u')} GROUP BY 1, 2`,
      )
      .bind(...binds),
    // First touch: the dimension of each buyer's first session (earliest start, then session id).
    db
      .prepare(
        `WITH firsts AS (
           SELECT visitor, value FROM (
             SELECT visitor, ${DIMENSION_COLUMNS[by]} AS value, ROW_NUMBER() OVER (PARTITION BY visitor ORDER BY started_at, session) AS rn
               FROM ${SESSIONS.table} WHERE site = ?1 AND visitor IN (SELECT u.visitor FROM purchases u WHERE ${period('u')})
           ) WHERE rn = 1)
         SELECT f.value AS value, IFNULL(u.currency, '${NO_CURRENCY}') AS currency, COUNT(*) AS n, SUM(u.value) AS amount
           FROM purchases u JOIN firsts f ON f.visitor = u.visitor WHERE ${period('u')} GROUP BY 1, 2`,
      )
      .bind(...binds),
    db
      .prepare(
        `SELECT ${col} AS value, COUNT(DISTINCT u.visitor) AS n FROM purchases u ${join('u')} WHERE ${period('u')} GROUP BY 1`,
      )
      .bind(...binds),
    db
      .prepare(
        `SELECT ${col} AS value, COUNT(*) AS n
           FROM (SELECT site, visitor, session FROM carts WHERE ${CART_SQL.started} AND ${CART_SQL.abandoned}${sessionCondition(site.id, range.filter)}) c
           ${join('c')} GROUP BY 1`,
      )
      .bind(...cartBinds(site, range, abandonAfterMinutes)),
  ]);

  const rows = new Map<string, BreakdownRow & { buyers: number }>();
  const row = (value: string) => {
    let r = rows.get(value);
    if (!r) {
      r = {
        value,
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
      rows.set(value, r);
    }
    return r;
  };
  for (const v of views!.results as Array<{ value: string; visitors: number; sessions: number }>)
    Object.assign(row(v.value), { visitors: v.visitors, sessions: v.sessions });
  for (const e of entries!.results as Array<{ value: string; k: number; n: number }>)
    row(e.value).entered[site.stages[e.k]!] = e.n;
  for (const [value, list] of byValue(lastTouch!.results as Amounts[]))
    Object.assign(row(value), { purchases: list.reduce((a, r) => a + r.n, 0), revenue: money(list) });
  for (const [value, list] of byValue(firstTouch!.results as Amounts[]))
    Object.assign(row(value), {
      first_touch_purchases: list.reduce((a, r) => a + r.n, 0),
      first_touch_revenue: money(list),
    });
  for (const b of buyers!.results as Counted[]) row(b.value).buyers = b.n;
  for (const c of carts!.results as Counted[]) row(c.value).abandoned_carts = c.n;

  const out = [...rows.values()]
    .map(({ buyers: b, ...r }) => ({ ...r, conversion_rate: rate(b, r.visitors) }))
    .sort(
      (a, b) =>
        b.visitors - a.visitors || b.purchases - a.purchases || (a.value < b.value ? -1 : a.value > b.value ? 1 : 0),
    );
  return { by, rows: out.slice(0, limit) };
}
