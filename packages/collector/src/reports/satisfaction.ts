// The satisfaction report: NPS, CSAT and effort scores of the period's `feedback` answers, overall, per stage, per page
// seen by the sessions that answered, with and without friction, and per value of a session dimension.
import {
  type Dimension,
  FEEDBACK,
  type Interval,
  FEEDBACK_SCALES,
  FRICTION_EVENTS,
  type SatisfactionPage,
  type SatisfactionReport,
  type SatisfactionScores,
  SURVEY_SHOWN,
} from '@parcours/protocol';
import { pathTextSql } from '../db/insert-sql.ts';
import { DIMENSION_COLUMNS, INDEX, SESSIONS, TABLE } from '../db/schema.ts';
import { sessionCondition } from './filter.ts';
import type { Range } from './query.ts';
import type { ReportSite } from './sql.ts';
import { intervalsOf } from './timeseries.ts';

/** The sums a group of answers' scores are computed from (see `scores`). */
interface ScoreSums {
  nps_n: number;
  promoters: number;
  detractors: number;
  csat_n: number;
  satisfied: number;
  ces_n: number;
  ces_sum: number;
  responses: number;
}

/** NPS promoters give 9 or 10, detractors 0 to 6; CSAT counts 4 and 5 as satisfied. */
const PROMOTER = 9;
const DETRACTOR = 6;
const SATISFIED = 4;

const round = (x: number, decimals: number) => Math.round(x * 10 ** decimals) / 10 ** decimals;

/**
 * The scores of a group of answers from its sums: NPS in points (promoters − detractors, % of NPS answers, one decimal),
 * CSAT the share of 4–5 in % (one decimal), CES the mean (two decimals); null without an answer of the kind.
 */
function scores(s: ScoreSums): SatisfactionScores {
  return {
    nps: s.nps_n ? round(((s.promoters - s.detractors) / s.nps_n) * 100, 1) : null,
    csat: s.csat_n ? round((s.satisfied / s.csat_n) * 100, 1) : null,
    ces: s.ces_n ? round(s.ces_sum / s.ces_n, 2) : null,
    responses: s.responses,
  };
}

/** The ScoreSums columns over rows with `kind` and `score`. */
const SUMS = `SUM(kind = 'nps') AS nps_n, SUM(kind = 'nps' AND score >= ${PROMOTER}) AS promoters,
  SUM(kind = 'nps' AND score <= ${DETRACTOR}) AS detractors, SUM(kind = 'csat') AS csat_n,
  SUM(kind = 'csat' AND score >= ${SATISFIED}) AS satisfied, SUM(kind = 'ces') AS ces_n,
  TOTAL(CASE WHEN kind = 'ces' THEN score END) AS ces_sum, COUNT(*) AS responses`;

/** Each answer put on 0 to 1 of its scale, averaged: how pages are ranked (worst first). */
const SATISFACTION = `(CASE kind ${Object.entries(FEEDBACK_SCALES)
  .map(([kind, [min, max]]) => `WHEN '${kind}' THEN (score - ${min}) * 1.0 / ${max - min}`)
  .join(' ')} END)`;

const SIGNAL_TYPES = FRICTION_EVENTS.map((t) => `'${t}'`).join(',');

export type Sums = ScoreSums & { k: number | string | null };

/** The `feedback` answers of the period in the sessions the filter keeps; binds ?1 site, ?2 from, ?3 to. */
const answersOf = (site: ReportSite, range: Range) =>
  `SELECT id, time, visitor, session, stage_index, data ->> '$.kind' AS kind, data ->> '$.score' AS score
    FROM ${TABLE.events} WHERE site = ?1 AND type = '${FEEDBACK}' AND time >= ?2 AND time < ?3${sessionCondition(site.id, range.filter)}`;

const noScores = (): SatisfactionScores => ({ nps: null, csat: null, ces: null, responses: 0 });

/** The report's `overall` scores without `response_rate`: what an alert on `nps`, `csat` or `ces` watches. */
export async function overallScores(db: D1Database, site: ReportSite, range: Range): Promise<SatisfactionScores> {
  const sums = await db
    .prepare(`SELECT ${SUMS} FROM (${answersOf(site, range)})`)
    .bind(site.id, range.from, range.to)
    .first<ScoreSums>();
  return sums ? scores(sums) : noScores();
}

/**
 * The report over the `feedback` events of the period (event time) in the sessions the filter keeps:
 * - `overall`, and `response_rate`: of the (session, survey) pairs with a `survey_shown` in the period, the share whose
 *   session also sent a `feedback` for that survey (null when no survey was shown);
 * - `stages`: every stage of the site in order, from the answers tagged with it;
 * - `pages`: each path viewed (any `page_view`) in a session that answered, with the answers of those sessions (an
 *   answer counts once per distinct path of its session), lowest `satisfaction` first, then most responses, then path,
 *   at most `limit`;
 * - `friction`: answers of sessions with any friction event (FRICTION_EVENTS), and the others;
 * - with `by`, `rows`: per value of the answer's session's dimension, most responses first, at most `limit`;
 * - with `interval`, `trend`: the scores of the answers given in each hour, day or week of the period (UTC, as the
 *   timeseries report cuts it), empty intervals with no score. Throws QueryError past MAX_POINTS intervals.
 */
export async function satisfaction(
  db: D1Database,
  site: ReportSite,
  range: Range,
  limit: number,
  by: Dimension | null = null,
  interval: Interval | null = null,
): Promise<SatisfactionReport> {
  return satisfactionAnswer(site, range, await satisfactionSums(db, site, range, limit, by, interval), by, interval);
}

/**
 * The sums of each group of answers the report shows (`pages` and `values` ranked and cut at `limit`, with each page's
 * satisfaction summed besides its mean): what a site of several shards adds across shards (merge.ts).
 */
export interface SatisfactionSums {
  overall: Sums[];
  stages: Sums[];
  friction: Sums[];
  pages: Array<Sums & { satisfaction: number; satisfaction_sum: number }>;
  shown: { shown: number; answered: number };
  values: Sums[];
  trend: Sums[];
}

/** The satisfaction report's sums per group (see satisfaction). */
export async function satisfactionSums(
  db: D1Database,
  site: ReportSite,
  range: Range,
  limit: number,
  by: Dimension | null,
  interval: Interval | null,
): Promise<SatisfactionSums> {
  const intervals = interval ? intervalsOf(range, interval) : null;
  const filtered = sessionCondition(site.id, range.filter);
  const answers = answersOf(site, range);
  // D1 refuses a bound parameter the statement does not use: ?4 (`limit`) only where it is read.
  const statement = (sql: string) =>
    db.prepare(sql).bind(site.id, range.from, range.to, ...(sql.includes('?4') ? [limit] : []));
  const statements = [
    statement(`SELECT NULL AS k, ${SUMS} FROM (${answers})`),
    statement(`SELECT stage_index AS k, ${SUMS} FROM (${answers}) GROUP BY stage_index`),
    statement(
      // By the answer's visitor: left to itself SQLite reads every friction event of the site for each answer
      // (by type), quadratic: over 9 minutes at 1M events.
      `SELECT EXISTS (SELECT 1 FROM ${TABLE.events} x INDEXED BY ${INDEX.events_site_visitor_time}
                       WHERE x.site = ?1 AND x.visitor = f.visitor AND x.session = f.session
                        AND x.type IN (${SIGNAL_TYPES})) AS k, ${SUMS}
         FROM (${answers}) f GROUP BY k`,
    ),
    // Per answer, the distinct paths its session viewed: a lookup of the session's derived page views by visitor (kept
    // when retention deletes raw events), not a scan of every page view of the site.
    statement(
      `SELECT ${pathTextSql('path_id')} AS k, ${SUMS}, AVG(${SATISFACTION}) AS satisfaction, TOTAL(${SATISFACTION}) AS satisfaction_sum FROM (
         SELECT DISTINCT f.id, p.path_id, f.kind, f.score FROM (${answers}) f
           JOIN ${TABLE.page_views} p ON p.site = ?1 AND p.visitor = f.visitor AND p.session = f.session)
        GROUP BY path_id ORDER BY satisfaction, responses DESC, k LIMIT ?4`,
    ),
    statement(
      // By the shown survey's visitor, as above (by type it read every answer of the site for each survey shown).
      `SELECT COUNT(*) AS shown, TOTAL(EXISTS (
           SELECT 1 FROM ${TABLE.events} f INDEXED BY ${INDEX.events_site_visitor_time}
            WHERE f.site = ?1 AND f.visitor = s.visitor AND f.session = s.session
              AND f.type = '${FEEDBACK}' AND f.data ->> '$.survey' = s.survey)) AS answered
         FROM (SELECT DISTINCT visitor, session, data ->> '$.survey' AS survey FROM ${TABLE.events}
                WHERE site = ?1 AND type = '${SURVEY_SHOWN}' AND time >= ?2 AND time < ?3${filtered}) s`,
    ),
  ];
  if (by)
    statements.push(
      statement(
        `SELECT COALESCE(d.${DIMENSION_COLUMNS[by]}, '(none)') AS k, ${SUMS} FROM (${answers}) f
           LEFT JOIN ${SESSIONS.table} d ON d.site = ?1 AND d.visitor = f.visitor AND d.session = f.session
          GROUP BY k ORDER BY responses DESC, k LIMIT ?4`,
      ),
    );
  // The trend's statement comes last, after the optional `by` one.
  if (intervals)
    statements.push(statement(`SELECT ${intervals.bucket('time')} AS k, ${SUMS} FROM (${answers}) GROUP BY k`));
  const results = (await db.batch(statements)).map((r) => r.results);
  const [overall, stages, friction, pages, shown] = results;
  return {
    overall: overall as Sums[],
    stages: stages as Sums[],
    friction: friction as Sums[],
    pages: pages as SatisfactionSums['pages'],
    shown: (shown as Array<SatisfactionSums['shown']>)[0]!,
    values: (by ? results[5] : []) as Sums[],
    trend: (intervals ? results.at(-1)! : []) as Sums[],
  };
}

/** The report from its sums. */
export function satisfactionAnswer(
  site: ReportSite,
  range: Range,
  sums: SatisfactionSums,
  by: Dimension | null,
  interval: Interval | null,
): SatisfactionReport {
  const [all] = sums.overall;
  const { shown: shownCount, answered } = sums.shown;
  const byStage = new Map(sums.stages.map((r) => [r.k, r]));
  const bySignal = new Map(sums.friction.map((r) => [r.k, r]));
  const of = (r: Sums | undefined) => (r ? scores(r) : noScores());
  const report: SatisfactionReport = {
    overall: { ...of(all), response_rate: shownCount ? round(answered / shownCount, 4) : null },
    stages: site.stages.map((stage, k) => ({ stage, ...of(byStage.get(k)) })),
    pages: sums.pages.map(
      (r): SatisfactionPage => ({ path: String(r.k), ...scores(r), satisfaction: round(r.satisfaction, 4) }),
    ),
    friction: { with: of(bySignal.get(1)), without: of(bySignal.get(0)) },
  };
  if (by) {
    report.by = by;
    report.rows = sums.values.map((r) => ({ value: String(r.k), ...scores(r) }));
  }
  if (interval) {
    const intervals = intervalsOf(range, interval);
    const byInterval = new Map(sums.trend.map((r) => [r.k, r]));
    report.interval = interval;
    report.trend = [];
    for (let b = intervals.first; b <= intervals.last; b++)
      report.trend.push({ t: intervals.start(b), ...of(byInterval.get(b)) });
  }
  return report;
}
