// SQL of the derivation: load visitors' events, replace their derived rows, all under D1's 100-parameter limit.
import { CART_EVENTS } from '@parcours/protocol';
import { MAX_JSON_PER_STATEMENT } from '../db/insert-sql.ts';
import { DAY_MS, DERIVED, type DerivedColumn, type DerivedTable, HOUR_MS, INDEX, TABLE } from '../db/schema.ts';
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

/**
 * Every stored event of these visitors, grouped by visitor (one statement per 99 visitors), and the results of
 * `leading`: statements run first in the same batch (one transaction), whose writes the read sees.
 */
export async function loadEvents(
  db: D1Database,
  site: string,
  visitors: string[],
  leading: D1PreparedStatement[] = [],
): Promise<{ events: Map<string, StoredEvent[]>; leading: D1Result[] }> {
  const byVisitor = new Map<string, StoredEvent[]>(visitors.map((v) => [v, []]));
  const statements = chunk(visitors, MAX_PARAMS - 1).map((part) =>
    db
      .prepare(
        `SELECT visitor, seq, id, type, stage_index, session, time, path, duration_ms, value, currency,
                CASE WHEN type IN (${CART_TYPES}) THEN json_extract(data, '$.items') END AS items,
                CASE WHEN type = 'purchase' THEN json_extract(data, '$.transaction_id') END AS transaction_id
           FROM ${TABLE.events} WHERE site = ? AND visitor IN (${part.map(() => '?').join(',')})`,
      )
      .bind(site, ...part),
  );
  const all =
    statements.length === 1 && !leading.length
      ? [await statements[0]!.all<StoredEvent & { visitor: string }>()]
      : await db.batch<StoredEvent & { visitor: string }>([...leading, ...statements]);
  for (const r of all.slice(leading.length)) for (const row of r.results) byVisitor.get(row.visitor)?.push(row);
  return { events: byVisitor, leading: all.slice(0, leading.length) as D1Result[] };
}

/** Statements reading the highest `seq` stored for these visitors: tells whether events arrived while we derived. */
export function maxSeqStatements(db: D1Database, site: string, visitors: string[]): D1PreparedStatement[] {
  return chunk(visitors, MAX_PARAMS - 1).map((part) =>
    // INDEXED BY: without statistics SQLite answers MAX(seq) by walking the export index (site, seq) backwards until
    // one of these visitors shows up: fast for visitors who just posted, half the table for one not seen lately.
    db
      .prepare(
        `SELECT MAX(seq) AS m FROM ${TABLE.events} INDEXED BY ${INDEX.events_site_visitor_time} WHERE site = ? AND visitor IN (${part.map(() => '?').join(',')})`,
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

/**
 * Adds (`sign` 1) or subtracts (-1) these visitors' stored page views to page_view_hours, read through the primary key
 * (site, visitor, ...): without statistics SQLite would scan a site-wide index instead (300 ms a batch at 1M events). Run with -1 before their
 * page views are deleted and with 1 after the new ones are inserted, in the same batch: the rollup then always
 * equals the sum of page_views, whatever order batches arrive and re-derive in.
 */
function pageViewHours(db: D1Database, site: string, visitors: string[], sign: 1 | -1): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.page_view_hours} (site, stage_index, hour, views, entries, bounces, timed, first_stage_views, first_views)
       SELECT site, stage_index, CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * SUM(is_entry),
              ${sign} * SUM(is_entry AND is_bounce), ${sign} * COUNT(visible_ms), ${sign} * (COUNT(*) - COUNT(prev_stage_view)),
              ${sign} * (COUNT(*) - COUNT(prev_view))
         FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_key} WHERE site = ? AND visitor IN (${visitors.map(() => '?').join(',')}) GROUP BY 1, 2, 3
       ON CONFLICT (site, stage_index, hour) DO UPDATE SET views = views + excluded.views, entries = entries + excluded.entries,
          bounces = bounces + excluded.bounces, timed = timed + excluded.timed,
          first_stage_views = first_stage_views + excluded.first_stage_views, first_views = first_views + excluded.first_views`,
    )
    .bind(site, ...visitors);
}

/** Adds (1) or subtracts (-1) these visitors' first entries into each stage to entry_hours, as pageViewHours does. */
function entryHours(db: D1Database, site: string, visitors: string[], sign: 1 | -1): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.entry_hours} (site, to_index, hour, entered, nexts, onwards)
       SELECT site, to_index, CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * COUNT(next_ms), ${sign} * COUNT(onward_ms)
         FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_key}
        WHERE site = ? AND visitor IN (${visitors.map(() => '?').join(',')}) AND prev_entry IS NULL GROUP BY 1, 2, 3
       ON CONFLICT (site, to_index, hour) DO UPDATE SET entered = entered + excluded.entered, nexts = nexts + excluded.nexts,
          onwards = onwards + excluded.onwards`,
    )
    .bind(site, ...visitors);
}

/** Adds (1) or subtracts (-1) these visitors' moves to pair_hours (from NULL as -1), as pageViewHours does. */
function pairHours(db: D1Database, site: string, visitors: string[], sign: 1 | -1): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.pair_hours} (site, to_index, from_index, hour, moves, first_moves)
       SELECT site, to_index, IFNULL(from_index, -1), CAST(time / ${HOUR_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * (COUNT(*) - COUNT(prev_pair))
         FROM ${TABLE.transitions} INDEXED BY ${INDEX.transitions_key}
        WHERE site = ? AND visitor IN (${visitors.map(() => '?').join(',')}) GROUP BY 1, 2, 3, 4
       ON CONFLICT (site, to_index, from_index, hour) DO UPDATE SET moves = moves + excluded.moves, first_moves = first_moves + excluded.first_moves`,
    )
    .bind(site, ...visitors);
}

/** Adds (1) or subtracts (-1) these visitors' stored page views to page_days, as pageViewHours does. */
function pageDays(db: D1Database, site: string, visitors: string[], sign: 1 | -1): D1PreparedStatement {
  return db
    .prepare(
      `INSERT INTO ${TABLE.page_days} (site, path, stage_index, day, views, exits, first_views)
       SELECT site, path, stage_index, CAST(time / ${DAY_MS} AS INTEGER), ${sign} * COUNT(*), ${sign} * SUM(is_exit),
              ${sign} * (COUNT(*) - COUNT(prev_path_view))
         FROM ${TABLE.page_views} INDEXED BY ${INDEX.page_views_key} WHERE site = ? AND visitor IN (${visitors.map(() => '?').join(',')}) GROUP BY 1, 2, 3, 4
       ON CONFLICT (site, path, stage_index, day) DO UPDATE SET views = views + excluded.views, exits = exits + excluded.exits,
          first_views = first_views + excluded.first_views`,
    )
    .bind(site, ...visitors);
}

/** Statements that replace every derived row of these visitors with `derived` (run them in one batch). */
export function replaceStatements(
  db: D1Database,
  site: string,
  stages: readonly string[],
  derived: Map<string, VisitorDerived>,
): D1PreparedStatement[] {
  const visitors = [...derived.keys()];
  const parts = chunk(visitors, MAX_PARAMS - 1);
  const rollups = (part: string[], sign: 1 | -1) => [
    pageViewHours(db, site, part, sign),
    pageDays(db, site, part, sign),
    entryHours(db, site, part, sign),
    pairHours(db, site, part, sign),
  ];
  const out: D1PreparedStatement[] = parts.flatMap((part) => rollups(part, -1));
  for (const part of parts) {
    const marks = part.map(() => '?').join(',');
    for (const table of TABLES)
      out.push(db.prepare(`DELETE FROM ${TABLE[table]} WHERE site = ? AND visitor IN (${marks})`).bind(site, ...part));
  }
  const rows: Record<DerivedTable, unknown[][]> = { transitions: [], page_views: [], carts: [], purchases: [] };
  // Each row as the JSON array of its table's columns (schema.ts), site and visitor first. A row lacking a column of
  // its table does not compile.
  const add = <T extends DerivedTable>(table: T, visitor: string, row: Record<DerivedColumn<T>, unknown>) =>
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
    ...TABLES.flatMap((table) => inserts(db, TABLE[table], [...DERIVED[table]], rows[table])),
    ...parts.flatMap((part) => rollups(part, 1)),
  );
  return out;
}
