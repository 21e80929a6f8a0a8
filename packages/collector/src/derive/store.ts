// SQL of the derivation: load visitors' events, replace their derived rows, all under D1's 100-parameter limit.
import { CART_EVENTS } from '@parcours/protocol';
import { MAX_JSON_PER_STATEMENT } from '../db/insert-sql.ts';
import { DERIVED, type DerivedTable } from '../db/schema.ts';
import type { StoredEvent, VisitorDerived } from './types.ts';

/** D1 allows 100 bound parameters per statement. */
const MAX_PARAMS = 100;

const CART_TYPES = CART_EVENTS.map((t) => `'${t}'`).join(',');

/** Splits a list into chunks of at most `size`. */
export function chunk<T>(list: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += size) out.push(list.slice(i, i + size));
  return out;
}

/** The site's retention horizon (NULL: retention never ran, or no such row, as in benches that derive straight into SQLite). */
const HORIZON_SQL = 'SELECT retained_from FROM sites WHERE id = ?1';
/** Earlier than any event time: the horizon of a site where retention never ran. */
const NO_HORIZON = -Number.MAX_SAFE_INTEGER;

/**
 * Every stored event of these visitors since the site's retention horizon, grouped by visitor (one statement per 99
 * visitors), with that horizon (null: no retention ran). The horizon is read in the same statement as the events, so the
 * events always match it, whenever the retention job moves it. Visitors with no such events are left out.
 */
export async function loadEvents(
  db: D1Database,
  site: string,
  visitors: string[],
): Promise<{ events: Map<string, StoredEvent[]>; horizon: number | null }> {
  const byVisitor = new Map<string, StoredEvent[]>();
  let horizon: number | null = null;
  const statements = chunk(visitors, MAX_PARAMS - 1).map((part) =>
    db
      .prepare(
        `SELECT visitor, seq, id, type, stage_index, session, time, path, duration_ms, value, currency,
                CASE WHEN type IN (${CART_TYPES}) THEN json_extract(data, '$.items') END AS items,
                CASE WHEN type = 'purchase' THEN json_extract(data, '$.transaction_id') END AS transaction_id,
                (${HORIZON_SQL}) AS horizon
           FROM events
          WHERE site = ?1 AND visitor IN (${part.map((_, i) => `?${i + 2}`).join(',')}) AND time >= IFNULL((${HORIZON_SQL}), ${NO_HORIZON})`,
      )
      .bind(site, ...part),
  );
  type Row = StoredEvent & { visitor: string; horizon: number | null };
  const results = statements.length === 1 ? [await statements[0]!.all<Row>()] : await db.batch<Row>(statements);
  for (const r of results)
    for (const { horizon: h, ...row } of r.results) {
      horizon = h;
      const list = byVisitor.get(row.visitor);
      if (list) list.push(row);
      else byVisitor.set(row.visitor, [row]);
    }
  return { events: byVisitor, horizon };
}

/** Statements reading the highest `seq` stored for these visitors: tells whether events arrived while we derived. */
export function maxSeqStatements(db: D1Database, site: string, visitors: string[]): D1PreparedStatement[] {
  return chunk(visitors, MAX_PARAMS - 1).map((part) =>
    // INDEXED BY: without statistics SQLite answers MAX(seq) by walking the export index (site, seq) backwards until
    // one of these visitors shows up: fast for visitors who just posted, half the table for one not seen lately.
    db
      .prepare(
        `SELECT MAX(seq) AS m FROM events INDEXED BY events_site_visitor_time WHERE site = ? AND visitor IN (${part.map(() => '?').join(',')})`,
      )
      .bind(site, ...part),
  );
}

/**
 * INSERTs of `rows`, many rows per statement: the rows travel as one bound JSON array unpacked
 * by json_each, so a statement binds one parameter whatever its row count (D1 allows 100).
 */
function inserts(db: D1Database, table: string, columns: string[], rows: unknown[][]): D1PreparedStatement[] {
  const sql = `INSERT INTO ${table} (${columns.join(',')}) SELECT ${columns.map((_, i) => `json_extract(r.value, '$[${i}]')`).join(',')} FROM json_each(?1) AS r`;
  const out: D1PreparedStatement[] = [];
  let part: string[] = [];
  let size = 0;
  const flush = () => {
    if (part.length) out.push(db.prepare(sql).bind(`[${part.join(',')}]`));
    part = [];
    size = 0;
  };
  for (const row of rows) {
    const json = JSON.stringify(row);
    if (size + json.length > MAX_JSON_PER_STATEMENT) flush();
    part.push(json);
    size += json.length + 1;
  }
  flush();
  return out;
}

const TABLES = Object.keys(DERIVED) as DerivedTable[];

/** Rollup hour of a page view: page_view_hours is keyed by it (migration 0031). */
export const HOUR_MS = 3_600_000;
/** Rollup day of a page view: page_days is keyed by it (migration 0032). */
export const DAY_MS = 86_400_000;

/**
 * Adds (`sign` 1) or subtracts (-1) these visitors' stored page views to page_view_hours. INDEXED BY the primary key
 * (site, visitor, ...): without statistics SQLite would scan a site-wide index instead (300 ms a batch at 1M events). Run with -1 before their
 * page views are deleted and with 1 after the new ones are inserted, in the same batch: the rollup then always
 * equals the sum of page_views, whatever order batches arrive and re-derive in.
 */
function pageViewHours(
  db: D1Database,
  site: string,
  visitors: string[],
  sign: 1 | -1,
  since: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO page_view_hours (site, stage_index, hour, views, entries, bounces, timed, first_stage_views, first_views)
       SELECT site, stage_index, CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * SUM(is_entry),
              ${sign} * SUM(is_entry AND is_bounce), ${sign} * COUNT(visible_ms), ${sign} * (COUNT(*) - COUNT(prev_stage_view)),
              ${sign} * (COUNT(*) - COUNT(prev_view))
         FROM page_views INDEXED BY sqlite_autoindex_page_views_1 WHERE site = ? AND visitor IN (${visitors.map(() => '?').join(',')})${since} GROUP BY 1, 2, 3
       ON CONFLICT (site, stage_index, hour) DO UPDATE SET views = views + excluded.views, entries = entries + excluded.entries,
          bounces = bounces + excluded.bounces, timed = timed + excluded.timed,
          first_stage_views = first_stage_views + excluded.first_stage_views, first_views = first_views + excluded.first_views`,
    )
    .bind(site, ...visitors);
}

/** Adds (1) or subtracts (-1) these visitors' first entries into each stage to entry_hours, as pageViewHours does. */
function entryHours(
  db: D1Database,
  site: string,
  visitors: string[],
  sign: 1 | -1,
  since: string,
): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO entry_hours (site, to_index, hour, entered, nexts, onwards)
       SELECT site, to_index, CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * COUNT(next_ms), ${sign} * COUNT(onward_ms)
         FROM transitions INDEXED BY sqlite_autoindex_transitions_1
        WHERE site = ? AND visitor IN (${visitors.map(() => '?').join(',')}) AND prev_entry IS NULL${since} GROUP BY 1, 2, 3
       ON CONFLICT (site, to_index, hour) DO UPDATE SET entered = entered + excluded.entered, nexts = nexts + excluded.nexts,
          onwards = onwards + excluded.onwards`,
    )
    .bind(site, ...visitors);
}

/** Adds (1) or subtracts (-1) these visitors' moves to pair_hours (from NULL as -1), as pageViewHours does. */
function pairHours(db: D1Database, site: string, visitors: string[], sign: 1 | -1, since: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO pair_hours (site, to_index, from_index, hour, moves, first_moves)
       SELECT site, to_index, IFNULL(from_index, -1), CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * (COUNT(*) - COUNT(prev_pair))
         FROM transitions INDEXED BY sqlite_autoindex_transitions_1
        WHERE site = ? AND visitor IN (${visitors.map(() => '?').join(',')})${since} GROUP BY 1, 2, 3, 4
       ON CONFLICT (site, to_index, from_index, hour) DO UPDATE SET moves = moves + excluded.moves, first_moves = first_moves + excluded.first_moves`,
    )
    .bind(site, ...visitors);
}

/** Adds (1) or subtracts (-1) these visitors' stored page views to page_days, as pageViewHours does. */
function pageDays(db: D1Database, site: string, visitors: string[], sign: 1 | -1, since: string): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO page_days (site, path, stage_index, day, views, exits, first_views)
       SELECT site, path, stage_index, CAST(time / ${DAY_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * SUM(is_exit),
              ${sign} * (COUNT(*) - COUNT(prev_path_view))
         FROM page_views INDEXED BY sqlite_autoindex_page_views_1 WHERE site = ? AND visitor IN (${visitors.map(() => '?').join(',')})${since} GROUP BY 1, 2, 3, 4
       ON CONFLICT (site, path, stage_index, day) DO UPDATE SET views = views + excluded.views, exits = exits + excluded.exits,
          first_views = first_views + excluded.first_views`,
    )
    .bind(site, ...visitors);
}

/**
 * Statements that replace every derived row of these visitors with `derived` (run them in one batch); with a
 * retention horizon, their rows from it on only (a cart by the time it opened), and the rollups of those rows.
 */
export function replaceStatements(
  db: D1Database,
  site: string,
  stages: readonly string[],
  derived: Map<string, VisitorDerived>,
  horizon: number | null = null,
): D1PreparedStatement[] {
  const visitors = [...derived.keys()];
  const parts = chunk(visitors, MAX_PARAMS - 1);
  // A whole number read from the database: written into the SQL, it costs none of D1's 100 parameters.
  const since = (column: string) => (horizon === null ? '' : ` AND ${column} >= ${Math.trunc(horizon)}`);
  const rollups = (part: string[], sign: 1 | -1) => [
    pageViewHours(db, site, part, sign, since('time')),
    pageDays(db, site, part, sign, since('time')),
    entryHours(db, site, part, sign, since('time')),
    pairHours(db, site, part, sign, since('time')),
  ];
  const out: D1PreparedStatement[] = parts.flatMap((part) => rollups(part, -1));
  for (const part of parts) {
    const marks = part.map(() => '?').join(',');
    for (const table of TABLES)
      out.push(
        db
          .prepare(
            `DELETE FROM ${table} WHERE site = ? AND visitor IN (${marks})${since(table === 'carts' ? 'started_at' : 'time')}`,
          )
          .bind(site, ...part),
      );
  }
  const rows: Record<DerivedTable, unknown[][]> = { transitions: [], page_views: [], carts: [], purchases: [] };
  // Each row as the JSON array of its table's columns (schema.ts), site and visitor first.
  const add = (table: DerivedTable, visitor: string, row: object) =>
    rows[table].push(
      DERIVED[table].map((c) =>
        c === 'site' ? site : c === 'visitor' ? visitor : ((row as Record<string, unknown>)[c] ?? null),
      ),
    );
  for (const [visitor, d] of derived) {
    for (const t of d.transitions) {
      const from_stage = t.from_index === null ? null : (stages[t.from_index] ?? String(t.from_index));
      add('transitions', visitor, { ...t, from_stage, to_stage: stages[t.to_index] ?? String(t.to_index) });
    }
    for (const p of d.pageViews) add('page_views', visitor, p);
    for (const c of d.carts) add('carts', visitor, c);
    for (const p of d.purchases) add('purchases', visitor, p);
  }
  out.push(
    ...TABLES.flatMap((table) => inserts(db, table, [...DERIVED[table]], rows[table])),
    ...parts.flatMap((part) => rollups(part, 1)),
  );
  return out;
}

/**
 * Statements erasing one visitor from a site (run them in one batch): the rollups lose their rows' counts, then every
 * derived row, session, daily count and stored event of theirs goes. The last statement deletes the events: its
 * `changes` is the number of events erased.
 */
export function eraseVisitorStatements(db: D1Database, site: string, visitor: string): D1PreparedStatement[] {
  const visitors = [visitor];
  const tables = [...TABLES, 'sessions', 'visitor_days', 'events'];
  return [
    pageViewHours(db, site, visitors, -1, ''),
    pageDays(db, site, visitors, -1, ''),
    entryHours(db, site, visitors, -1, ''),
    pairHours(db, site, visitors, -1, ''),
    ...tables.map((table) => db.prepare(`DELETE FROM ${table} WHERE site = ? AND visitor = ?`).bind(site, visitor)),
  ];
}
