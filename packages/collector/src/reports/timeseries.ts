// The timeseries report: per hour, day or week of the period (UTC), visitors, sessions, page views, stage entries, purchases and abandoned carts.
import { HOUR_MS, INDEX, INTERVALS, intervalStart, SESSION_FACTS, TABLE } from '../db/schema.ts';
import type { Interval, Money, TimeseriesPoint, TimeseriesReport } from '@parcours/protocol';
import { CART_SQL, cartBinds, NO_CURRENCY } from './carts.ts';
import { filterWhere, inKeyOrder, sessionMatches } from './filter.ts';
import { sessionsInKeyOrder } from './plan.ts';
import { QueryError, type Range } from './query.ts';
import {
  anyStage,
  cents,
  fromPositions,
  MAX_CURRENCIES,
  stageBits,
  stageCounts,
  stagePositions,
  type ReportSite,
} from './sql.ts';

/** Most points one answer holds (a year by day, a quarter by hour): more is `400 invalid-query`. */
export const MAX_POINTS = 2_500;

/**
 * The intervals that overlap the period, numbered `first` to `last`; `bucket(column)` is the SQL of a time column's
 * interval number, `start(b)` the ISO start of interval `b`. Throws QueryError past MAX_POINTS intervals.
 */
export function intervalsOf(range: Range, interval: Interval) {
  const { width, origin } = INTERVALS[interval];
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

/** Per interval: page views, visitors and sessions with a page view, and per stage position the visitors who entered it. */
type Counts = { b: number; page_views: number; visitors: number; sessions: number; entered: number[] };

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
  const counts = range.filter ? await fromSessions(db, site, range, interval) : fromRollups(db, site, range, interval);
  const [purchases, carts, ...countRows] = await db.batch([
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
    ...counts.statements,
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
  for (const c of counts.read(countRows)) {
    const p = at(c.b);
    if (!p) continue;
    Object.assign(p, { page_views: c.page_views, visitors: c.visitors, sessions: c.sessions });
    c.entered.forEach((n, k) => {
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

/** The statements counting each interval's page views, visitors, sessions and entries, and how to read their results. */
interface CountStatements {
  statements: D1PreparedStatement[];
  read: (results: D1Result[]) => Counts[];
}

/**
 * With a filter: the period's matching sessions with their facts (SESSION_FACTS). One that lies in one interval and in
 * the period counts from its facts there; the few across an interval's or the period's end, from their page views and
 * moves (primary-key ranges of their visitor's rows), per interval. Then per interval and visitor (sessions OR-ed),
 * then per interval. By the time of their last row: a year-old site's one-day trend reads that day's sessions, not all
 * of them; with a filter over much of the history, in key order (sessionsInKeyOrder: the filter's columns are not in
 * that index).
 */
async function fromSessions(
  db: D1Database,
  site: ReportSite,
  range: Range,
  interval: Interval,
): Promise<CountStatements> {
  const b = intervalsOf(range, interval).bucket;
  const byKey = range.filter && (await sessionsInKeyOrder(db, site.id, range));
  const order = byKey ? ` INDEXED BY ${INDEX.sessions_key} ` : ` INDEXED BY ${INDEX.sessions_site_last_row} `;
  const sess = `SELECT visitor, session, ${SESSION_FACTS.join(', ')} FROM ${TABLE.sessions}${order}
                 WHERE site = ?1 AND last_row >= ?2 AND first_row < ?3${filterWhere(range.filter)}`;
  const statement = db
    .prepare(
      `WITH sess AS MATERIALIZED (${sess}),
       per_session AS (
         SELECT ${b('first_row')} AS b, visitor, views, entered & ${stageBits(site)} AS mask FROM sess WHERE ${inside(b)}
         UNION ALL
         SELECT b, visitor, SUM(v), SUM(DISTINCT m) FROM (
           SELECT ${b('p.time')} AS b, s.visitor, s.session, 1 AS v, 0 AS m
             FROM sess s CROSS JOIN ${TABLE.page_views} p INDEXED BY ${INDEX.page_views_key} ON ${own('p')} WHERE NOT (${inside(b, 's.')})
           UNION ALL
           SELECT ${b('t.time')}, s.visitor, s.session, 0, 1 << t.to_index
             FROM sess s CROSS JOIN ${TABLE.transitions} t INDEXED BY ${INDEX.transitions_key} ON ${own('t')}
            WHERE NOT (${inside(b, 's.')}) AND ${stagePositions('t.to_index', site)}
         ) GROUP BY b, visitor, session),
       per_visitor AS (
         SELECT b, SUM(views) AS page_views, MAX(views > 0) AS viewed, SUM(views > 0) AS sessions, ${anyStage('mask', site)} AS mask
           FROM per_session GROUP BY b, visitor)
       SELECT b, SUM(page_views) AS page_views, SUM(viewed) AS visitors, SUM(sessions) AS sessions, ${stageCounts('mask', site)} AS entered
         FROM per_visitor GROUP BY b`,
    )
    .bind(site.id, range.from, range.to);
  return {
    statements: [statement],
    read: ([rows]) =>
      (rows!.results as Array<Omit<Counts, 'entered'> & { entered: string }>).map((r) => ({
        ...r,
        entered: JSON.parse(r.entered) as number[],
      })),
  };
}

/** SQL: the session (columns prefixed `a`) lies in the period and in one interval. */
const inside = (b: (column: string) => string, a = '') =>
  `${a}first_row >= ?2 AND ${a}last_row < ?3 AND ${b(`${a}first_row`)} = ${b(`${a}last_row`)}`;
/** SQL joining a session `s` of `sess` to its rows (aliased `alias`) in the period. */
const own = (alias: string) =>
  `${alias}.site = ?1 AND ${alias}.visitor = s.visitor AND ${alias}.session = s.session AND ${alias}.time >= ?2 AND ${alias}.time < ?3`;

/**
 * Without a filter, from the rollups: a whole interval's page views, visitors and stage entries are sums of
 * page_view_hours and pair_hours (views and moves that were their visitor's first of the interval, `*_firsts`), which
 * derivation keeps equal to the rows. Only the period's partial first and last interval read rows (the one time-ordered
 * index of each table): there a row is its visitor's first of the part when its previous row of the kind came before
 * the part's start (the period's start or the interval's). Sessions from the sessions' facts: one lying in one
 * interval and in the period counts there; the few across an end read their page views.
 */
function fromRollups(db: D1Database, site: ReportSite, range: Range, interval: Interval): CountStatements {
  const { width, origin, firsts } = INTERVALS[interval];
  const { first, last, bucket: b } = intervalsOf(range, interval);
  // The whole intervals [wholeFrom, wholeTo): rows before lowEnd and from highStart on are the partial ones.
  const wholeFrom = Math.ceil((range.from - origin) / width) * width + origin;
  const wholeTo = Math.max(wholeFrom, Math.floor((range.to - origin) / width) * width + origin);
  const lowEnd = Math.min(range.to, wholeFrom);
  const highStart = Math.max(range.from, wholeTo);
  const binds = [site.id, range.from, range.to, lowEnd, highStart, wholeFrom / HOUR_MS, wholeTo / HOUR_MS];
  const hourly = b(`hour * ${HOUR_MS}`);
  const firstOfPart = (previous: string) =>
    `SUM(${previous} IS NULL OR ${previous} < MAX(?2, ${intervalStart('time', interval)}))`;
  // The partial intervals' rows of a time-ordered index: [from, lowEnd) and [highStart, to), disjoint.
  const parts = (select: string, from: string, where: string, groupBy: string) =>
    ['time >= ?2 AND time < ?4', 'time >= ?5 AND time < ?3']
      .map((part) => `SELECT ${select} FROM ${from} WHERE site = ?1 AND ${part}${where} GROUP BY ${groupBy}`)
      .join(' UNION ALL ');
  const views = db
    .prepare(
      `SELECT b, SUM(page_views) AS page_views, SUM(visitors) AS visitors FROM (
         SELECT ${hourly} AS b, SUM(views) AS page_views, SUM(${firsts}) AS visitors
           FROM ${TABLE.page_view_hours}
          WHERE site = ?1 AND ${stagePositions('stage_index', site)} AND hour >= ?6 AND hour < ?7 GROUP BY 1
         UNION ALL ${parts(`${b('time')}, COUNT(*), ${firstOfPart('prev_view')}`, `${TABLE.page_views} INDEXED BY ${INDEX.page_views_site_time}`, '', '1')}
       ) GROUP BY b`,
    )
    .bind(...binds);
  const entries = db
    .prepare(
      `SELECT b, k, SUM(n) AS n FROM (
         SELECT ${hourly} AS b, to_index AS k, SUM(${firsts}) AS n FROM ${TABLE.pair_hours}
          WHERE site = ?1 AND ${stagePositions('to_index', site)} AND ${fromPositions('from_index', site)} AND hour >= ?6 AND hour < ?7 GROUP BY 1, 2
         UNION ALL ${parts(`${b('time')}, to_index, ${firstOfPart('prev_entry')}`, `${TABLE.transitions} INDEXED BY ${INDEX.transitions_site_time}`, ` AND ${stagePositions('to_index', site)}`, '1, 2')}
       ) GROUP BY b, k`,
    )
    .bind(...binds);
  // Per interval (`part`: its share of the period, [lo, hi)), seeks of the index by last row: the sessions ending in
  // it that started in it count from their facts (no sort of the period's sessions to group them); those that started
  // before it, and those ending after the period, are the few across an end: their page views count, per interval.
  const sess = `${TABLE.sessions} s INDEXED BY ${INDEX.sessions_site_last_row}`;
  const sessions = db
    .prepare(
      `WITH RECURSIVE k(b) AS (SELECT ?4 UNION ALL SELECT b + 1 FROM k WHERE b < ?5),
       part AS (SELECT b, MAX(?2, b * ${width} + ${origin}) AS lo, MIN(?3, (b + 1) * ${width} + ${origin}) AS hi FROM k),
       across AS (
         SELECT s.visitor, s.session FROM part CROSS JOIN ${sess}
             ON s.site = ?1 AND s.last_row >= part.lo AND s.last_row < part.hi AND s.first_row < part.lo
         UNION ALL
         SELECT s.visitor, s.session FROM ${sess} WHERE s.site = ?1 AND s.last_row >= ?3 AND s.first_row < ?3)
       SELECT b, (SELECT COUNT(*) FROM ${sess} WHERE s.site = ?1 AND s.last_row >= part.lo AND s.last_row < part.hi
                     AND s.first_row >= part.lo AND s.views > 0) AS sessions FROM part
       UNION ALL
       SELECT b, COUNT(*) FROM (
         SELECT DISTINCT ${b('p.time')} AS b, s.visitor, s.session
           FROM across s CROSS JOIN ${TABLE.page_views} p INDEXED BY ${INDEX.page_views_key} ON ${own('p')})
        GROUP BY 1`,
    )
    .bind(site.id, range.from, range.to, first, last);
  return {
    statements: [views, entries, sessions],
    read: ([viewRows, entryRows, sessionRows]) => {
      const byInterval = new Map<number, Counts>();
      const of = (b: number) => {
        let c = byInterval.get(b);
        if (!c) {
          c = { b, page_views: 0, visitors: 0, sessions: 0, entered: site.stages.map(() => 0) };
          byInterval.set(b, c);
        }
        return c;
      };
      for (const v of viewRows!.results as Array<{ b: number; page_views: number; visitors: number }>)
        Object.assign(of(v.b), { page_views: v.page_views, visitors: v.visitors });
      for (const s of sessionRows!.results as Array<{ b: number; sessions: number }>) of(s.b).sessions += s.sessions;
      for (const e of entryRows!.results as Array<{ b: number; k: number; n: number }>) of(e.b).entered[e.k] = e.n;
      return [...byInterval.values()];
    },
  };
}
