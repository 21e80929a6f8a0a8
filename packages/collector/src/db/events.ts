// Stores validated events: each id once per site, many rows per statement, one bad row never costs the others.

import {
  ADD_PATHS_SQL,
  chunkParam,
  chunkRows,
  FORM_FIELDS_SQL,
  hasFormFields,
  timeOrder,
  INSERT_SQL,
  type EventRow,
  pathsParam,
  type RowChunk,
} from './insert-sql.ts';

export type { EventRow } from './insert-sql.ts';

export interface InsertResult {
  /** Rows newly stored. */
  inserted: number;
  /** Rows already stored under the same (site, id). */
  duplicates: number;
  /** Positions (in the given rows) the database refused even one by one. */
  failed: number[];
}

/** Single-row failures in a row, with nothing stored, that mean an outage rather than bad rows. */
const OUTAGE_AFTER = 5;

function statement(db: D1Database, site: string, receivedAt: number, json: string[]): D1PreparedStatement {
  return db.prepare(INSERT_SQL).bind(site, receivedAt, chunkParam(json));
}

function addPaths(db: D1Database, site: string, chunk: RowChunk): D1PreparedStatement {
  return db.prepare(ADD_PATHS_SQL).bind(site, pathsParam(chunk));
}

/**
 * The statements storing these rows, for the caller to run in one `batch()` with others, `paths` before `inserts`:
 * one transaction, so if it fails nothing of it is stored and `insertEvents` can take over. `paths` add the rows'
 * paths to the site's dictionary (one statement per chunk); the `meta.changes` of `inserts` (one per chunk) add up to
 * the rows newly stored.
 */
export function insertStatements(
  db: D1Database,
  site: string,
  receivedAt: number,
  rows: EventRow[],
): { paths: D1PreparedStatement[]; inserts: D1PreparedStatement[] } {
  const chunks = chunkRows(timeOrder(rows).map((i) => rows[i]!));
  return {
    paths: chunks.map((c) => addPaths(db, site, c)),
    inserts: chunks.map((c) => statement(db, site, receivedAt, c.json)),
  };
}

/** Most event ids one FORM_FIELDS_SQL statement reads. */
const FORM_EVENTS_PER_STATEMENT = 200;

/**
 * The statements adding the `fields` entries of these rows' form events to `form_fields` (FORM_FIELDS_SQL), none when
 * no row carries any: to run after the rows' insert, in its transaction or after it.
 */
export function formFieldsStatements(db: D1Database, site: string, rows: EventRow[]): D1PreparedStatement[] {
  const ids = rows.filter(hasFormFields).map((r) => r.id);
  const out: D1PreparedStatement[] = [];
  for (let i = 0; i < ids.length; i += FORM_EVENTS_PER_STATEMENT)
    out.push(db.prepare(FORM_FIELDS_SQL).bind(site, JSON.stringify(ids.slice(i, i + FORM_EVENTS_PER_STATEMENT))));
  return out;
}

/**
 * Inserts rows idempotently (`ON CONFLICT (site, id) DO NOTHING`). All chunks go in one `batch()`
 * (one transaction, one round trip). If that batch fails, nothing of it was stored, so each chunk is
 * retried alone, and a failing chunk row by row: only rows the database refuses on their own are lost,
 * and they are returned in `failed` for the caller to report. If the database refuses everything
 * (it is down), the error is thrown so the client keeps the events and retries.
 */
export async function insertEvents(
  db: D1Database,
  site: string,
  receivedAt: number,
  rows: EventRow[],
): Promise<InsertResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0, failed: [] };
  const order = timeOrder(rows);
  const chunks = chunkRows(order.map((i) => rows[i]!));
  try {
    const paths = chunks.map((c) => addPaths(db, site, c));
    const results = await db.batch([...paths, ...chunks.map((c) => statement(db, site, receivedAt, c.json))]);
    const inserted = results.slice(paths.length).reduce((n, r) => n + r.meta.changes, 0);
    return { inserted, duplicates: rows.length - inserted, failed: [] };
  } catch (batchError) {
    // Each chunk's paths go in on their own: a row whose path could not is refused (its path id is NULL).
    await Promise.allSettled(chunks.map((c) => addPaths(db, site, c).run()));
    let inserted = 0;
    const failed: number[] = [];
    for (const chunk of chunks) {
      try {
        inserted += (await statement(db, site, receivedAt, chunk.json).run()).meta.changes;
        continue;
      } catch {
        // Find the row(s) at fault: the others of this chunk still go in.
      }
      for (const [k, json] of chunk.json.entries()) {
        try {
          inserted += (await statement(db, site, receivedAt, [json]).run()).meta.changes;
        } catch {
          failed.push(order[chunk.start + k]!);
          // Nothing goes in at all: the database is down, not one row at fault. Stop hammering it.
          if (inserted === 0 && failed.length >= OUTAGE_AFTER) throw batchError;
        }
      }
    }
    if (failed.length === rows.length) throw batchError;
    return { inserted, duplicates: rows.length - inserted - failed.length, failed };
  }
}
