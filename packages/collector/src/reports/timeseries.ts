// The timeseries report: per hour, day or week of the period (UTC), visitors, sessions, page views, stage entries, purchases and abandoned carts.
import { DAY_MS, HOUR_MS, INDEX, SESSION_FACTS, TABLE } from '../db/schema.ts';
import type { Interval, Money, TimeseriesPoint, TimeseriesReport } from '@parcours/protocol';
import { CART_SQL, cartBinds, NO_CURRENCY } from './carts.ts';
import { filterWhere, inKeyOrder, sessionMatches } from './filter.ts';
import { sessionsInKeyOrder } from './plan.ts';
import { QueryError, type Range } from './query.ts';
import { anyStage, cents, MAX_CURRENCIES, stageBits, stageCounts, stagePositions, type ReportSite } from './sql.ts';

/** Width of each interval, and where intervals start: ISO weeks start on Monday, and 1970-01-05 was one. */
const INTERVAL: Record<Interval, { width: number; origin: number }> = {
  hour: { width: HOUR_MS, origin: 0 },
  day: { width: DAY_MS, origin: 0 },
  week: { width: 7 * DAY_MS, origin: 4 * DAY_MS },
};

/** Most points one answer holds (a year by day, a quarter by hour): more is `400 invalid-query`. */
export const MAX_POINTS = 2_500;

/**
 * The intervals that overlap the period, numbered `first` to `last`; `bucket(column)` is the SQL of a time column's
 * interval number, `start(b)` the ISO start of interval `b`. Throws QueryError past MAX_POINTS intervals.
 */
export function intervalsOf(range: Range, interval: Interval) {
  const { width, origin } = INTERVAL[interval];
  const first = Math.floor((range.from - origin) / width);
  const last = Math.floor((range.to - 1 - origin) / width);
  if (last - first + 1 > MAX_POINTS)
    throw new QueryError(
      `${last - first + 1} ${interval}s in the period, at most ${MAX_POINTS}: a shorter period or a longer interval`,
    );
  return {
    first,
    last,
    bucket: (column: string) => `(${column} - ${origin}) / ${width}`,
    start: (b: number) => new Date(b * width + origin).toISOString(),
  };
}

/**
 * One point per interval that overlaps the period, from the one holding `from`, empty ones as
 * zeros; each counts only the period's rows (a filter applies first). `visitors`, `sessions` and
 * `page_views` from the page views in the interval; `entered`: per stage, the visitors who entered
 * it in the interval; `purchases` and `revenue` made in it (the MAX_CURRENCIES largest currencies);
 * `abandoned_carts`: carts opened in it that the carts report counts abandoned at the end of the period.
 * Throws QueryError when the period holds more than MAX_POINTS intervals.
 */
export async function timeseries(
  db: D1Database,
  site: ReportSite,
  range: Range,
  interval: Interval,
  abandonAfterMinutes: number,
): Promise<TimeseriesReport> {
  const { first, last, bucket, start } = intervalsOf(range, interval);
  const binds = [site.id, range.from, range.to];
  const b = bucket;
  // The period's kept sessions with their facts (SESSION_FACTS). One that lies in one interval and in the period counts
  // from its facts there; the few across an interval's or the period's end, from their page views and moves (primary-key
  // ranges of their visitor's rows), per interval. Then per interval and visitor (sessions OR-ed), then per interval.
  // By the time of their last row: a year-old site's one-day trend reads that day's sessions, not all of them; with a
  // filter over much of the history, in key order (sessionsInKeyOrder: the filter's columns are not in that index).
  const byKey = range.filter && (await sessionsInKeyOrder(db, site.id, range));
  const order = byKey ? ` INDEXED BY ${INDEX.sessions_key} ` : ` INDEXED BY ${INDEX.sessions_site_last_row} `;
  const sess = `SELECT visitor, session, ${SESSION_FACTS.join(', ')} FROM ${TABLE.sessions}${order}
                 WHERE site = ?1 AND last_row >= ?2 AND first_row < ?3${filterWhere(range.filter)}`;
  const inside = (a = '') =>
    `${a}first_row >= ?2 AND ${a}last_row < ?3 AND ${b(`${a}first_row`)} = ${b(`${a}last_row`)}`;
  const own = (alias: string) =>
    `${alias}.site = ?1 AND ${alias}.visitor = s.visitor AND ${alias}.session = s.session AND ${alias}.time >= ?2 AND ${alias}.time < ?3`;
  const [views, purchases, carts] = await db.batch([
    db
      .prepare(
        `WITH sess AS MATERIALIZED (${sess}),
         per_session AS (
           SELECT ${b('first_row')} AS b, visitor, views, entered & ${stageBits(site)} AS mask FROM sess WHERE ${inside()}
           UNION ALL
           SELECT b, visitor, SUM(v), SUM(DISTINCT m) FROM (
             SELECT ${b('p.time')} AS b, s.visitor, s.session, 1 AS v, 0 AS m
               FROM sess s CROSS JOIN ${TABLE.page_views} p INDEXED BY ${INDEX.page_views_key} ON ${own('p')} WHERE NOT (${inside('s.')})
             UNION ALL
             SELECT ${b('t.time')}, s.visitor, s.session, 0, 1 << t.to_index
               FROM sess s CROSS JOIN ${TABLE.transitions} t INDEXED BY ${INDEX.transitions_key} ON ${own('t')}
              WHERE NOT (${inside('s.')}) AND ${stagePositions('t.to_index', site)}
           ) GROUP BY b, visitor, session),
         per_visitor AS (
           SELECT b, SUM(views) AS page_views, MAX(views > 0) AS viewed, SUM(views > 0) AS sessions, ${anyStage('mask', site)} AS mask
             FROM per_session GROUP BY b, visitor)
         SELECT b, SUM(page_views) AS page_views, SUM(viewed) AS visitors, SUM(sessions) AS sessions, ${stageCounts('mask', site)} AS entered
           FROM per_visitor GROUP BY b`,
      )
      .bind(...binds),
    db
      .prepare(
        // Per interval, its purchases (`total`) and the MAX_CURRENCIES currencies of largest amount; a negative amount
        // stored before amounts were checked is no amount (as in kpis).
        `SELECT b, currency, amount, total FROM (
           SELECT b, currency, amount, SUM(n) OVER (PARTITION BY b) AS total,
                  ROW_NUMBER() OVER (PARTITION BY b ORDER BY amount IS NULL, amount DESC, currency) AS rc FROM (
             SELECT ${bucket('time')} AS b, IFNULL(currency, '${NO_CURRENCY}') AS currency, COUNT(*) AS n,
                    SUM(CASE WHEN value >= 0 THEN value END) AS amount FROM ${TABLE.purchases}${inKeyOrder(range.filter, 'purchases')}
              WHERE site = ?1 AND time >= ?2 AND time < ?3${sessionMatches(site.id, range.filter, TABLE.purchases)} GROUP BY 1, 2))
         WHERE rc <= ${MAX_CURRENCIES}`,
      )
      .bind(...binds),
    db
      .prepare(
        `SELECT ${bucket('started_at')} AS b, COUNT(*) AS n FROM ${TABLE.carts}${inKeyOrder(range.filter, 'carts')} WHERE ${CART_SQL.started} AND ${CART_SQL.abandoned}${sessionMatches(site.id, range.filter, TABLE.carts)} GROUP BY 1`,
      )
      .bind(...cartBinds(site, range, abandonAfterMinutes)),
  ]);

  const points: Array<TimeseriesPoint & { money: Money[] }> = [];
  for (let b = first; b <= last; b++) {
    points.push({
      t: start(b),
      visitors: 0,
      sessions: 0,
      page_views: 0,
      entered: Object.fromEntries(site.stages.map((s) => [s, 0])),
      purchases: 0,
      revenue: [],
      abandoned_carts: 0,
      money: [],
    });
  }
  const at = (b: number) => points[b - first];
  for (const v of views!.results as Array<{
    b: number;
    page_views: number;
    visitors: number;
    sessions: number;
    entered: string;
  }>) {
    const p = at(v.b);
    if (!p) continue;
    Object.assign(p, { page_views: v.page_views, visitors: v.visitors, sessions: v.sessions });
    (JSON.parse(v.entered) as number[]).forEach((n, k) => {
      p.entered[site.stages[k]!] = n;
    });
  }
  for (const u of purchases!.results as Array<{ b: number; currency: string; amount: number | null; total: number }>) {
    const p = at(u.b);
    if (!p) continue;
    p.purchases = u.total;
    if (u.amount !== null) p.money.push({ currency: u.currency, value: cents(u.amount) });
  }
  for (const c of carts!.results as Array<{ b: number; n: number }>) {
    const p = at(c.b);
    if (p) p.abandoned_carts = c.n;
  }
  return {
    interval,
    points: points.map(({ money, ...p }) => ({
      ...p,
      revenue: money.sort((a, b) => b.value - a.value || (a.currency < b.currency ? -1 : 1)),
    })),
  };
}
