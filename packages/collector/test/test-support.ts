// Test support for the derive and report tests: send events as the script does, read reports as a user does.
import type { WireEvent } from '@parcours/protocol';
import { pathTextSql } from '../src/db/insert-sql.ts';
import { DERIVED, type DerivedTable, isPathField, SESSION_FACTS, storedColumn, TABLE } from '../src/db/schema.ts';
import { call } from './helpers.ts';
import { siteDatabases, siteDb } from './site-rows.ts';

export const ORIGIN = 'https://shop.example';

/** An event as a test writes it: the common fields are filled in. */
export type TestEvent = Partial<WireEvent> &
  Pick<WireEvent, 'type' | 'ts' | 'stage' | 'visitor' | 'session'> & { path?: string };

let counter = 0;

/** A full wire event from a short description (`path` becomes the url on the test origin). */
export function wire(e: TestEvent): WireEvent {
  const { path, ...rest } = e;
  return {
    id: `ev-${(++counter).toString().padStart(6, '0')}-${crypto.randomUUID().slice(0, 8)}`,
    url: `${ORIGIN}${path ?? '/'}`,
    ...rest,
  };
}

/**
 * Midnight UTC of the Monday starting the ISO week holding `ms`, from calendar fields rather than the collector's
 * interval arithmetic: tests anchor their events to it, so a wrong week start in the collector shows on any weekday.
 */
export function mondayOf(ms: number): number {
  const d = new Date(ms);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate()) - ((d.getUTCDay() + 6) % 7) * 86_400_000;
}

/** Posts events to `POST /v1/events` in one batch, as the script would (from `userAgent`'s browser), and answers the reply. */
export async function send(
  site: string,
  events: WireEvent[],
  sentAt = Date.now(),
  userAgent?: string,
): Promise<{ accepted: number; duplicates: number; rejected: unknown[] }> {
  const res = await call('/v1/events', {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: ORIGIN, ...(userAgent ? { 'user-agent': userAgent } : {}) },
    body: JSON.stringify({ v: 1, site, sent_at: sentAt, events }),
  });
  if (res.status !== 200) throw new Error(`POST /v1/events: ${res.status} ${await res.text()}`);
  return res.json();
}

let reader = 0;

/**
 * GET a report with the site's read token; answers the response. Each call comes from its own client
 * address, so the reports rate limit (240 a minute per site and client) stays out of the way of tests
 * that read hundreds of reports; src/rate-limit.test.ts tests the limit.
 */
export function get(
  site: { id: string; token: string },
  report: string,
  query: Record<string, string | number> = {},
): Promise<Response> {
  const qs = new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();
  reader++;
  return call(`/v1/sites/${site.id}/${report}${qs ? `?${qs}` : ''}`, {
    headers: {
      authorization: `Bearer ${site.token}`,
      'cf-connecting-ip': `198.19.${(reader >> 8) & 255}.${reader & 255}`,
    },
  });
}

/** GET a JSON report, failing the test on any status but 200. */
export async function report<T = any>(
  site: { id: string; token: string },
  name: string,
  query: Record<string, string | number> = {},
): Promise<T> {
  const res = await get(site, name, query);
  if (res.status !== 200) throw new Error(`${name}: ${res.status} ${await res.text()}`);
  return res.json() as Promise<T>;
}

/** Every report, with a breakdown and a filter among them: what a test of "the reports stay the same" compares. */
const EVERY_REPORT: Array<[string, Record<string, string>]> = [
  ['funnel', {}],
  ['transitions', {}],
  ['friction', {}],
  ['forms', {}],
  ['carts', {}],
  ['kpis', {}],
  ['breakdown', { by: 'channel' }],
  ['breakdown', { by: 'landing' }],
  ['breakdown', { by: 'landing', device: 'other' }],
  ['timeseries', { interval: 'hour' }],
  ['timeseries', { interval: 'day' }],
  ['satisfaction', {}],
];

/**
 * Every report (EVERY_REPORT) over each period `[from, to]` (ms), keyed by report, query and period; read by `read`
 * (default: through the worker, as `report`).
 */
export async function everyReport(
  site: { id: string; token: string },
  periods: ReadonlyArray<readonly [number, number]>,
  read: (site: { id: string; token: string }, name: string, query: Record<string, string>) => Promise<unknown> = report,
): Promise<Record<string, unknown>> {
  const out: Record<string, unknown> = {};
  for (const [from, to] of periods)
    for (const [name, query] of EVERY_REPORT)
      out[`${name} ${JSON.stringify(query)} ${from}..${to}`] = await read(site, name, {
        ...query,
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
      });
  return out;
}

/** A body read as UTF-8 (workerd warns on `.text()` for NDJSON). */
export async function text(res: Response): Promise<string> {
  return new TextDecoder().decode(await res.arrayBuffer());
}

/** The transitions stored for a visitor, in event-time order, as (from, to, since_ms) rows. */
export async function storedTransitions(site: string, visitor: string) {
  const { results } = await siteDb(site)
    .prepare(
      `SELECT from_stage, to_stage, since_ms, event_id FROM ${TABLE.transitions} WHERE site = ? AND visitor = ? ORDER BY time, event_id`,
    )
    .bind(site, visitor)
    .all();
  return results;
}

/** Every derived row of a visitor, table by table, in key order (site and visitor apart). */
export async function derivedRows(site: string, visitor: string): Promise<Record<DerivedTable, unknown[][]>> {
  const out = {} as Record<DerivedTable, unknown[][]>;
  for (const table of Object.keys(DERIVED) as DerivedTable[]) {
    // A path field as its text, read back from the site's dictionary.
    const columns = DERIVED[table]
      .filter((c) => c !== 'site' && c !== 'visitor')
      .map((c) => (isPathField(c) ? pathTextSql(storedColumn(c)) : c));
    out[table] = await siteDb(site)
      .prepare(
        `SELECT ${columns.join(', ')} FROM ${table} WHERE site = ? AND visitor = ? ORDER BY ${table === 'carts' ? 'started_at' : 'time'}, event_id`,
      )
      .bind(site, visitor)
      .raw();
  }
  return out;
}

/**
 * Each session of a visitor (in key order) with its facts as derivation stored them (`stored`), and as a plain query
 * grouping the session's page views and moves computes them (`reference`).
 */
export async function sessionFacts(
  site: string,
  visitor: string,
): Promise<{ stored: unknown[][]; reference: unknown[][] }> {
  const db = siteDb(site);
  const stored = await db
    .prepare(
      `SELECT session, ${SESSION_FACTS.join(', ')} FROM ${TABLE.sessions} WHERE site = ? AND visitor = ? ORDER BY session`,
    )
    .bind(site, visitor)
    .raw();
  const reference = await db
    .prepare(
      `SELECT s.session, MIN(r.time), MAX(r.time), COUNT(r.view), IFNULL(SUM(DISTINCT r.bit), 0)
         FROM ${TABLE.sessions} s LEFT JOIN (
           SELECT session, time, 1 AS view, NULL AS bit FROM ${TABLE.page_views} WHERE site = ?1 AND visitor = ?2
           UNION ALL SELECT session, time, NULL, 1 << to_index FROM ${TABLE.transitions} WHERE site = ?1 AND visitor = ?2
         ) r ON r.session = s.session
        WHERE s.site = ?1 AND s.visitor = ?2 GROUP BY s.session ORDER BY s.session`,
    )
    .bind(site, visitor)
    .raw();
  return { stored, reference };
}

/** The site's rollups, zero rows left out (a subtraction may leave one). */
export async function rollups(site: string): Promise<unknown[][][]> {
  const out: unknown[][][] = [];
  for (const [table, nonZero] of [
    ['page_view_hours', 'views'],
    ['page_days', 'views'],
    ['entry_hours', 'entered'],
    ['pair_hours', 'moves'],
  ] as const) {
    out.push(
      // page_days by path text, not id: sites that stored the same events in another order agree.
      await siteDb(site)
        .prepare(
          `SELECT ${table === 'page_days' ? `site, ${pathTextSql('path_id')}, stage_index, day, views, exits, first_views` : '*'}
             FROM ${table} WHERE site = ? AND ${nonZero} <> 0 ORDER BY 1, 2, 3, 4`,
        )
        .bind(site)
        .raw(),
    );
  }
  return out;
}

/**
 * Rows of any table of the site's (every table but `sites` keyed by `site`, any without it whole) with a column equal to
 * `value`, in every database that holds some of the site (D1, and its shard in the sharded layout).
 */
export async function rowsNaming(site: string, value: string): Promise<Record<string, number>> {
  const found: Record<string, number> = {};
  for (const db of siteDatabases(site))
    for (const table of Object.values(TABLE)) {
      const { results } = await db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all<{ name: string }>();
      const columns = results.map((r) => r.name);
      const ofSite = table === TABLE.sites ? 'id = ?1 AND ' : columns.includes('site') ? 'site = ?1 AND ' : '';
      const row = await db
        .prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${ofSite}(${columns.map((c) => `${c} = ?2`).join(' OR ')})`)
        .bind(site, value)
        .first<{ n: number }>();
      if (row!.n) found[table] = (found[table] ?? 0) + row!.n;
    }
  return found;
}

const pathIds = new Map<string, number>();
/** A stable id per path text, as the site's `paths` gives one: for stored events built by hand (derive tests). */
export function pathIdOf(path: string): number {
  if (!pathIds.has(path)) pathIds.set(path, pathIds.size + 1);
  return pathIds.get(path)!;
}
