// The reports API: `GET /v1/sites/:site/:report`, read-token protected; JSON reports and the NDJSON export.
import { Hono } from 'hono';
import { requireReadToken } from '../auth.ts';
import type { Site } from '../db/sites.ts';
import { fail } from '../errors.ts';
import { limitReports } from '../rate-limit.ts';
import {
  DEFAULT_EXPORT_LIMIT,
  MAX_EXPORT_LIMIT,
  parseReportQuery,
  type QuerySpec,
  type ReportQuery,
} from '../reports/query.ts';
import { invalidQuery, JSON_REPORTS } from '../reports/run.ts';
import { siteStorage } from '../shard/storage.ts';

export const reports = new Hono<{ Bindings: Env; Variables: { site: Site } }>();

const EXPORT_SPEC: QuerySpec = { limit: { fallback: DEFAULT_EXPORT_LIMIT, max: MAX_EXPORT_LIMIT }, cursor: true };

reports.use('/:site/*', limitReports, requireReadToken);

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
  const storage = siteStorage(c.env, c.var.site);
  if (report) return c.json(await storage.report(name, c.var.site, query(c.req.url, report.spec, c.var.site)));
  if (name !== 'events') fail(404, 'not-found');

  const q = query(c.req.url, EXPORT_SPEC, c.var.site);
  const page = await storage.exportEvents(c.var.site, q.range, q.cursor, q.limit);
  const headers: Record<string, string> = {
    'content-type': 'application/x-ndjson; charset=utf-8',
    // A download, never a page: opened in a browser tab, stored texts must not be rendered.
    'content-disposition': `attachment; filename="${c.var.site.id}-events.ndjson"`,
  };
  if (page.next) headers['x-next-cursor'] = page.next;
  return c.body(page.lines.map((l) => `${l}\n`).join(''), 200, headers);
});
