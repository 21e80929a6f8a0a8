// The reports API: `GET /v1/sites/:site/:report`, read-token protected; JSON reports and the NDJSON export.
import { Hono } from 'hono';
import { requireReadToken } from '../auth.ts';
import type { Site } from '../db/sites.ts';
import { fail } from '../errors.ts';
import { limitReports } from '../rate-limit.ts';
import { breakdown, DEFAULT_BREAKDOWN_ROWS, MAX_BREAKDOWN_ROWS } from '../reports/breakdown.ts';
import { carts } from '../reports/carts.ts';
import { CursorError, exportEvents } from '../reports/events.ts';
import { forms } from '../reports/forms.ts';
import { friction } from '../reports/friction.ts';
import { funnel } from '../reports/funnel.ts';
import { kpis } from '../reports/kpis.ts';
import {
  DEFAULT_EXPORT_LIMIT,
  DEFAULT_LIST_LIMIT,
  MAX_EXPORT_LIMIT,
  MAX_LIST_LIMIT,
  parseReportQuery,
  QueryError,
  type QuerySpec,
  type ReportQuery,
} from '../reports/query.ts';
import { satisfaction } from '../reports/satisfaction.ts';
import { timeseries } from '../reports/timeseries.ts';
import { transitions } from '../reports/transitions.ts';

export const reports = new Hono<{ Bindings: Env; Variables: { site: Site } }>();

/** A JSON report: the query parameters it reads (besides the period and the dimension filters every report takes), and how it runs. */
interface JsonReport {
  spec: QuerySpec;
  run: (db: D1Database, site: Site, q: ReportQuery) => Promise<unknown>;
}

/** The reports whose main list is cut at `limit` (the others are bounded by the site's stage list). */
const LIST: QuerySpec['limit'] = { fallback: DEFAULT_LIST_LIMIT, max: MAX_LIST_LIMIT };

const JSON_REPORTS: Record<string, JsonReport> = {
  funnel: { spec: {}, run: (db, site, q) => funnel(db, site, q.range) },
  transitions: { spec: {}, run: (db, site, q) => transitions(db, site, q.range) },
  friction: {
    spec: { abandonAfter: true, limit: LIST },
    run: (db, site, q) => friction(db, site, q.range, q.abandonAfter, q.limit),
  },
  forms: { spec: { limit: LIST }, run: (db, site, q) => forms(db, site, q.range, q.limit) },
  carts: {
    spec: { abandonAfter: true, limit: LIST },
    run: (db, site, q) => carts(db, site, q.range, q.abandonAfter, q.limit),
  },
  kpis: { spec: {}, run: (db, site, q) => kpis(db, site, q.range) },
  breakdown: {
    spec: { by: true, abandonAfter: true, limit: { fallback: DEFAULT_BREAKDOWN_ROWS, max: MAX_BREAKDOWN_ROWS } },
    run: (db, site, q) => breakdown(db, site, q.range, q.by!, q.limit, q.abandonAfter),
  },
  satisfaction: {
    spec: { limit: LIST, by: 'optional', interval: 'optional' },
    run: (db, site, q) => satisfaction(db, site, q.range, q.limit, q.by, q.interval),
  },
  timeseries: {
    spec: { interval: true, abandonAfter: true },
    run: (db, site, q) => timeseries(db, site, q.range, q.interval!, q.abandonAfter),
  },
};

const EXPORT_SPEC: QuerySpec = { limit: { fallback: DEFAULT_EXPORT_LIMIT, max: MAX_EXPORT_LIMIT }, cursor: true };

reports.use('/:site/*', limitReports, requireReadToken);

/** `400 invalid-query` for a query refused once read (a timeseries of too many points, a cursor this site did not give). */
function invalidQuery(e: unknown): never {
  if (e instanceof QueryError || e instanceof CursorError) fail(400, 'invalid-query');
  throw e;
}

/** The parsed query string (dimension filters in `range.filter`; the site's own `abandon_after` by default), or `400 invalid-query`. */
function query(url: string, spec: QuerySpec, site: Site): ReportQuery {
  try {
    return parseReportQuery(new URL(url).searchParams, spec, Date.now(), site.abandonAfter);
  } catch (e) {
    invalidQuery(e);
  }
}

reports.get('/:site/:report', async (c) => {
  const name = c.req.param('report');
  const report = Object.hasOwn(JSON_REPORTS, name) ? JSON_REPORTS[name] : undefined;
  if (report)
    return c.json(
      await report.run(c.env.DB, c.var.site, query(c.req.url, report.spec, c.var.site)).catch(invalidQuery),
    );
  if (name !== 'events') fail(404, 'not-found');

  const q = query(c.req.url, EXPORT_SPEC, c.var.site);
  const page = await exportEvents(c.env.DB, c.var.site, q.range, q.cursor, q.limit).catch(invalidQuery);
  const headers: Record<string, string> = {
    'content-type': 'application/x-ndjson; charset=utf-8',
    // A download, never a page: opened in a browser tab, stored texts must not be rendered.
    'content-disposition': `attachment; filename="${c.var.site.id}-events.ndjson"`,
  };
  if (page.next) headers['x-next-cursor'] = page.next;
  return c.body(page.lines.map((l) => `${l}\n`).join(''), 200, headers);
});
