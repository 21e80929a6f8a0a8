// The JSON reports by name, each with the query parameters it reads and how it runs over a database: the same code
// whichever storage layout holds the site (the one D1, or the site's shard, src/shard).
import { failWithMessage } from '../errors.ts';
import { breakdown, DEFAULT_BREAKDOWN_ROWS, MAX_BREAKDOWN_ROWS } from './breakdown.ts';
import { carts } from './carts.ts';
import { CursorError } from './events.ts';
import { forms } from './forms.ts';
import { friction } from './friction.ts';
import { funnel } from './funnel.ts';
import { kpis } from './kpis.ts';
import { DEFAULT_LIST_LIMIT, MAX_LIST_LIMIT, QueryError, type QuerySpec, type ReportQuery } from './query.ts';
import { satisfaction } from './satisfaction.ts';
import type { ReportSite } from './sql.ts';
import { timeseries } from './timeseries.ts';
import { transitions } from './transitions.ts';

/** A JSON report: the query parameters it reads (besides the period and the dimension filters every report takes), and how it runs. */
interface JsonReport {
  spec: QuerySpec;
  run: (db: D1Database, site: ReportSite, q: ReportQuery) => Promise<unknown>;
}

/** The reports whose main list is cut at `limit` (the others are bounded by the site's stage list). */
const LIST: QuerySpec['limit'] = { fallback: DEFAULT_LIST_LIMIT, max: MAX_LIST_LIMIT };

export const JSON_REPORTS: Record<string, JsonReport> = {
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

/**
 * `400 invalid-query` saying what was wrong, for a query refused (a malformed parameter, a timeseries of too many
 * points, a cursor this site did not give); anything else is thrown on.
 */
export function invalidQuery(e: unknown): never {
  if (e instanceof QueryError || e instanceof CursorError) failWithMessage(400, 'invalid-query', e.message);
  throw e;
}

/** Runs the JSON report `name` (one of JSON_REPORTS) over `db`; a query refused once read is `400 invalid-query`. */
export function runReport(db: D1Database, name: string, site: ReportSite, q: ReportQuery): Promise<unknown> {
  return JSON_REPORTS[name]!.run(db, site, q).catch(invalidQuery);
}
