// The reports API: `GET /v1/sites/:site/:report`, read-token protected; JSON reports and the NDJSON export.
import { Hono } from 'hono';
import { requireReadToken } from '../auth.ts';
import type { Site } from '../db/sites.ts';
import { fail } from '../errors.ts';
import { DIMENSIONS, INTERVALS, type Dimension, type Interval } from '@parcours/protocol';
import { breakdown, DEFAULT_BREAKDOWN_ROWS } from '../reports/breakdown.ts';
import { carts } from '../reports/carts.ts';
import { exportEvents } from '../reports/events.ts';
import { parseFilter } from '../reports/filter.ts';
import { forms } from '../reports/forms.ts';
import { friction } from '../reports/friction.ts';
import { funnel } from '../reports/funnel.ts';
import { kpis } from '../reports/kpis.ts';
import {
  DEFAULT_ABANDON_MINUTES,
  DEFAULT_EXPORT_LIMIT,
  MAX_EXPORT_LIMIT,
  parsePositive,
  parseRange,
  QueryError,
  type Range,
} from '../reports/query.ts';
import { timeseries } from '../reports/timeseries.ts';
import { transitions } from '../reports/transitions.ts';

export const reports = new Hono<{ Bindings: Env; Variables: { site: Site } }>();

/** At most a year of inactivity before a cart counts as abandoned. */
const MAX_ABANDON_MINUTES = 525_600;

type JsonReport = (db: D1Database, site: Site, range: Range, params: URLSearchParams) => Promise<unknown>;

const abandonAfter = (params: URLSearchParams) => parsePositive(params, 'abandon_after', DEFAULT_ABANDON_MINUTES, MAX_ABANDON_MINUTES);

/** Most rows `breakdown` lists. */
const MAX_BREAKDOWN_ROWS = 1000;

/** A required parameter whose value is one of `allowed`. */
function oneOf<T extends string>(params: URLSearchParams, name: string, allowed: readonly T[]): T {
  const all = params.getAll(name);
  if (all.length !== 1 || !(allowed as readonly string[]).includes(all[0]!)) throw new QueryError(`${name} must be one of ${allowed.join(', ')}`);
  return all[0] as T;
}

const JSON_REPORTS: Record<string, JsonReport> = {
  funnel: (db, site, range) => funnel(db, site, range),
  transitions: (db, site, range) => transitions(db, site, range),
  friction: (db, site, range, params) => friction(db, site, range, abandonAfter(params)),
  forms: (db, site, range) => forms(db, site, range),
  carts: (db, site, range, params) => carts(db, site, range, abandonAfter(params)),
  kpis: (db, site, range) => kpis(db, site, range),
  breakdown: (db, site, range, params) =>
    breakdown(db, site, range, oneOf<Dimension>(params, 'by', DIMENSIONS), Math.floor(parsePositive(params, 'limit', DEFAULT_BREAKDOWN_ROWS, MAX_BREAKDOWN_ROWS)), abandonAfter(params)),
  timeseries: (db, site, range, params) => timeseries(db, site, range, oneOf<Interval>(params, 'interval', INTERVALS), abandonAfter(params)),
};

reports.use('/:site/*', requireReadToken);

reports.get('/:site/:report', async (c) => {
  const name = c.req.param('report');
  const params = new URL(c.req.url).searchParams;
  const report = Object.hasOwn(JSON_REPORTS, name) ? JSON_REPORTS[name] : undefined;
  if (!report && name !== 'events') fail(404, 'not-found');
  try {
    // Dimension filters (`?channel=email&device=mobile`) keep the rows of the matching sessions, in every report.
    const range: Range = { ...parseRange(params), filter: parseFilter(params) };
    if (report) return c.json(await report(c.env.DB, c.var.site, range, params));

    const cursorParam = params.get('cursor') ?? '0';
    if (!/^\d{1,15}$/.test(cursorParam)) throw new QueryError('bad cursor');
    const limit = Math.floor(parsePositive(params, 'limit', DEFAULT_EXPORT_LIMIT, MAX_EXPORT_LIMIT));
    const page = await exportEvents(c.env.DB, c.var.site, range, Number(cursorParam), limit);
    const headers: Record<string, string> = { 'content-type': 'application/x-ndjson; charset=utf-8' };
    if (page.next) headers['x-next-cursor'] = page.next;
    return c.body(page.lines.map((l) => `${l}\n`).join(''), 200, headers);
  } catch (e) {
    if (e instanceof QueryError) fail(400, 'invalid-query');
    throw e;
  }
});
