// The metrics an alert watches, each read over a window of event time from the same tables as the reports.
import { TABLE } from '../db/schema.ts';
import { carts } from '../reports/carts.ts';
import { funnel } from '../reports/funnel.ts';
import { kpis } from '../reports/kpis.ts';
import type { Range } from '../reports/query.ts';
import { rate, type ReportSite } from '../reports/sql.ts';

/** Longest `exit_rate:<path>` path and `form_abandon_rate:<form>` form name an alert may name. */
const MAX_METRIC_ARGUMENT = 300;

/** A metric as the admin API names it, split: `entered:decision` is `{ name: 'entered', arg: 'decision' }`. */
interface Metric {
  name: 'conversion_rate' | 'abandonment_rate' | 'visitors' | 'entered' | 'exit_rate' | 'form_abandon_rate';
  arg?: string;
}

/** The metric named by `text` for a site with these stages, or null when it is none of those DESIGN lists. */
export function parseMetric(text: unknown, stages: readonly string[]): Metric | null {
  if (typeof text !== 'string') return null;
  if (text === 'conversion_rate' || text === 'abandonment_rate' || text === 'visitors') return { name: text };
  const i = text.indexOf(':');
  const [name, arg] = [text.slice(0, i), text.slice(i + 1)];
  if (i < 0 || !arg || arg.length > MAX_METRIC_ARGUMENT) return null;
  if (name === 'entered') return stages.includes(arg) ? { name, arg } : null;
  if (name === 'exit_rate') return arg.startsWith('/') ? { name, arg } : null;
  if (name === 'form_abandon_rate') return { name, arg };
  return null;
}

/** Whether a metric is a rate (a fraction in [0, 1]): its `text` shows it as a percentage. */
export const isRate = (m: Metric) => m.name !== 'visitors' && m.name !== 'entered';

/** The metric's value over `range`, as the reports would answer it for that period. */
export async function readMetric(db: D1Database, site: ReportSite, m: Metric, range: Range, abandonAfter: number) {
  const window = [site.id, range.from, range.to];
  switch (m.name) {
    case 'conversion_rate':
      return (await kpis(db, site, range)).decision.conversion_rate;
    case 'abandonment_rate':
      return (await carts(db, site, range, abandonAfter, 1)).carts.abandonment_rate;
    case 'entered':
      return (await funnel(db, site, range)).stages.find((s) => s.stage === m.arg)?.visitors ?? 0;
    case 'visitors': {
      const row = await db
        .prepare(
          `SELECT COUNT(DISTINCT visitor) AS n FROM ${TABLE.page_views} WHERE site = ? AND time >= ? AND time < ?`,
        )
        .bind(...window)
        .first<{ n: number }>();
      return row?.n ?? 0;
    }
    case 'exit_rate': {
      const row = await db
        .prepare(
          `SELECT COUNT(*) AS views, IFNULL(SUM(is_exit), 0) AS exits FROM ${TABLE.page_views} WHERE site = ? AND time >= ? AND time < ? AND path = ?`,
        )
        .bind(...window, m.arg)
        .first<{ views: number; exits: number }>();
      return rate(row?.exits ?? 0, row?.views ?? 0);
    }
    case 'form_abandon_rate': {
      // As the forms report: abandons over forms that ended (submitted or abandoned), on every page the form is on.
      const row = await db
        .prepare(
          `SELECT IFNULL(SUM(type = 'form_submit'), 0) AS submits, IFNULL(SUM(type = 'form_abandon'), 0) AS abandons
             FROM ${TABLE.events} WHERE site = ? AND time >= ? AND time < ? AND form = ?`,
        )
        .bind(...window, m.arg)
        .first<{ submits: number; abandons: number }>();
      return rate(row?.abandons ?? 0, (row?.submits ?? 0) + (row?.abandons ?? 0));
    }
  }
}
