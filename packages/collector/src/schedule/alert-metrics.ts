// The metrics an alert watches, each read over a window of event time from the same tables as the reports.
import type { CartsReport, FunnelReport, KpisReport, SatisfactionReport } from '@parcours/protocol';
import { pathIdSql } from '../db/insert-sql.ts';
import { TABLE } from '../db/schema.ts';
import { storedPath } from '../ingest/to-row.ts';
import { carts } from '../reports/carts.ts';
import { funnel } from '../reports/funnel.ts';
import { kpis } from '../reports/kpis.ts';
import type { Range } from '../reports/query.ts';
import { overallScores } from '../reports/satisfaction.ts';
import { rate, type ReportSite } from '../reports/sql.ts';

/** Longest `exit_rate:<path>` path and `form_abandon_rate:<form>` form name an alert may name. */
const MAX_METRIC_ARGUMENT = 300;

/** A metric as the admin API names it, split: `entered:decision` is `{ name: 'entered', arg: 'decision' }`. */
export interface Metric {
  name: 'conversion_rate' | 'abandonment_rate' | 'visitors' | 'entered' | 'exit_rate' | 'form_abandon_rate' | Score;
  arg?: string;
}

/** The satisfaction scores an alert can watch, as the satisfaction report's `overall` gives them. */
const SCORES = ['nps', 'csat', 'ces'] as const;
type Score = (typeof SCORES)[number];
const isScore = (text: string): text is Score => (SCORES as readonly string[]).includes(text);

/** The metric's name as the admin API stores and lists it (its path in stored form). */
export const metricText = (m: Metric): string => (m.arg === undefined ? m.name : `${m.name}:${m.arg}`);

/**
 * The metric named by `text` for a site with these stages, or null when it is none of those docs/PROTOCOL.md lists or
 * its argument is longer than MAX_METRIC_ARGUMENT (a path as stored: percent-encoding makes a character up to 9).
 */
export function parseMetric(text: unknown, stages: readonly string[]): Metric | null {
  if (typeof text !== 'string') return null;
  if (text === 'conversion_rate' || text === 'abandonment_rate' || text === 'visitors' || isScore(text))
    return { name: text };
  const i = text.indexOf(':');
  const [name, arg] = [text.slice(0, i), text.slice(i + 1)];
  if (i < 0 || !arg || arg.length > MAX_METRIC_ARGUMENT) return null;
  if (name === 'entered') return stages.includes(arg) ? { name, arg } : null;
  if (name === 'exit_rate') {
    const path = arg.startsWith('/') && !/[?#]/.test(arg) ? storedPath(arg) : '';
    return path && path.length <= MAX_METRIC_ARGUMENT ? { name, arg: path } : null;
  }
  if (name === 'form_abandon_rate') return { name, arg };
  return null;
}

/**
 * How a metric's value reads: a rate is a fraction in [0, 1] shown as a percentage; `csat` is a percentage already;
 * counts, NPS points and the CES mean are plain numbers.
 */
export function metricUnit(m: Metric): 'rate' | 'percent' | 'number' {
  if (m.name === 'csat') return 'percent';
  return m.name === 'visitors' || m.name === 'entered' || m.name === 'nps' || m.name === 'ces' ? 'number' : 'rate';
}

/** The lowest threshold of a metric: NPS runs from −100 to 100 points, everything else from 0. */
export const lowestThreshold = (m: Metric) => (m.name === 'nps' ? -100 : 0);

/**
 * The metric's value over `range`, as the reports would answer it for that period; null for a score the period has no
 * answer of that kind for.
 */
export async function readMetric(
  db: D1Database,
  site: ReportSite,
  m: Metric,
  range: Range,
  abandonAfter: number,
): Promise<number | null> {
  switch (m.name) {
    case 'nps':
    case 'csat':
    case 'ces':
      return (await overallScores(db, site, range))[m.name];
    case 'conversion_rate':
      return (await kpis(db, site, range)).decision.conversion_rate;
    case 'abandonment_rate':
      return (await carts(db, site, range, abandonAfter, 1)).carts.abandonment_rate;
    case 'entered':
      return (await funnel(db, site, range)).stages.find((s) => s.stage === m.arg)?.visitors ?? 0;
    case 'visitors':
      return (await metricCounts(db, site, m, range)).count;
    case 'exit_rate':
    case 'form_abandon_rate': {
      const { count, of } = await metricCounts(db, site, m, range);
      return rate(count, of);
    }
  }
}

/** The metrics read from counts of rows, which add across a site's shards: a count, or a rate's numerator (`count`) and denominator (`of`). */
export const COUNTED_METRICS: ReadonlyArray<Metric['name']> = ['visitors', 'exit_rate', 'form_abandon_rate'];

/**
 * A COUNTED_METRICS metric's counts over `range`: `visitors` distinct visitors with a page view; `exit_rate` exits of
 * the page over its views; `form_abandon_rate` (as the forms report) abandons over forms that ended, on every page.
 */
export async function metricCounts(
  db: D1Database,
  site: ReportSite,
  m: Metric,
  range: Range,
): Promise<{ count: number; of: number }> {
  const window = [site.id, range.from, range.to];
  if (m.name === 'visitors') {
    const row = await db
      .prepare(`SELECT COUNT(DISTINCT visitor) AS n FROM ${TABLE.page_views} WHERE site = ? AND time >= ? AND time < ?`)
      .bind(...window)
      .first<{ n: number }>();
    return { count: row?.n ?? 0, of: 1 };
  }
  if (m.name === 'exit_rate') {
    const row = await db
      .prepare(
        `SELECT COUNT(*) AS views, IFNULL(SUM(is_exit), 0) AS exits FROM ${TABLE.page_views} WHERE site = ?1 AND time >= ?2 AND time < ?3
          AND path_id = ${pathIdSql('?1', '?4')}`,
      )
      .bind(...window, m.arg)
      .first<{ views: number; exits: number }>();
    return { count: row?.exits ?? 0, of: row?.views ?? 0 };
  }
  const row = await db
    .prepare(
      `SELECT IFNULL(SUM(type = 'form_submit'), 0) AS submits, IFNULL(SUM(type = 'form_abandon'), 0) AS abandons
         FROM ${TABLE.events} WHERE site = ? AND time >= ? AND time < ? AND form = ?`,
    )
    .bind(...window, m.arg)
    .first<{ submits: number; abandons: number }>();
  return { count: row?.abandons ?? 0, of: (row?.submits ?? 0) + (row?.abandons ?? 0) };
}

/**
 * A metric read from the reports (a site of several shards: its merged reports), as readMetric reads it from one
 * database; `read(name)` answers report `name` over the alert's window.
 */
export async function metricFromReports(m: Metric, read: (name: string) => Promise<unknown>): Promise<number | null> {
  switch (m.name) {
    case 'nps':
    case 'csat':
    case 'ces':
      return ((await read('satisfaction')) as SatisfactionReport).overall[m.name];
    case 'conversion_rate':
      return ((await read('kpis')) as KpisReport).decision.conversion_rate;
    case 'abandonment_rate':
      return ((await read('carts')) as CartsReport).carts.abandonment_rate;
    default:
      return ((await read('funnel')) as FunnelReport).stages.find((s) => s.stage === m.arg)?.visitors ?? 0;
  }
}
