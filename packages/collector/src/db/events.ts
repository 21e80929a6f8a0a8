// Stores validated events: each id once per site, many rows per statement, one bad row never costs the others.

/** One event as stored in `events` (the site and receive time are per batch). */
export interface EventRow {
  id: string;
  type: string;
  stage: string;
  stage_index: number;
  visitor: string;
  session: string;
  time: number;
  ts: number;
  sent_at: number;
  path: string;
  form: string | null;
  last_field: string | null;
  duration_ms: number | null;
  value: number | null;
  currency: string | null;
  /** The validated event as JSON. */
  data: string;
}

export interface InsertResult {
  /** Rows newly stored. */
  inserted: number;
  /** Rows already stored under the same (site, id). */
  duplicates: number;
  /** Positions (in the given rows) the database refused even one by one. */
  failed: number[];
}

/** Most rows in one statement. */
export const MAX_ROWS_PER_STATEMENT = 100;
/** Most characters of row JSON in one statement: far below D1's 100 KB statement limit and 2 MB value limit. */
export const MAX_JSON_PER_STATEMENT = 90_000;

// The rows travel as ONE bound JSON parameter (plus site and receive time) and are unpacked by json_each,
// so a statement uses 3 bound parameters whatever the number of rows: D1's limit of 100 bound
// parameters per statement would otherwise allow only 5 rows of 18 columns. `WHERE true` is SQLite's
// required disambiguation between a SELECT's join and the upsert clause.
const INSERT_SQL = `INSERT INTO events (site, id, type, stage, stage_index, visitor, session, time, ts, sent_at, received_at,
  path, form, last_field, duration_ms, value, currency, data)
SELECT ?1, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), json_extract(r.value, '$[2]'),
  json_extract(r.value, '$[3]'), json_extract(r.value, '$[4]'), json_extract(r.value, '$[5]'), json_extract(r.value, '$[6]'),
  json_extract(r.value, '$[7]'), json_extract(r.value, '$[8]'), ?2, json_extract(r.value, '$[9]'), json_extract(r.value, '$[10]'),
  json_extract(r.value, '$[11]'), json_extract(r.value, '$[12]'), json_extract(r.value, '$[13]'), json_extract(r.value, '$[14]'),
  json_extract(r.value, '$[15]')
FROM json_each(?3) AS r WHERE true
ON CONFLICT (site, id) DO NOTHING`;

/** Single-row failures in a row, with nothing stored, that mean an outage rather than bad rows. */
const OUTAGE_AFTER = 5;

function pack(row: EventRow): unknown[] {
  return [
    row.id, row.type, row.stage, row.stage_index, row.visitor, row.session, row.time, row.ts, row.sent_at,
    row.path, row.form, row.last_field, row.duration_ms, row.value, row.currency, row.data,
  ];
}

/** Splits rows into statements' worth: at most MAX_ROWS_PER_STATEMENT rows and MAX_JSON_PER_STATEMENT characters each. */
export function chunkRows(rows: EventRow[]): Array<{ start: number; json: string[] }> {
  const chunks: Array<{ start: number; json: string[] }> = [];
  let current: { start: number; json: string[] } | undefined;
  let size = 0;
  rows.forEach((row, i) => {
    const json = JSON.stringify(pack(row));
    if (!current || current.json.length >= MAX_ROWS_PER_STATEMENT || (size + json.length > MAX_JSON_PER_STATEMENT && current.json.length > 0)) {
      current = { start: i, json: [] };
      chunks.push(current);
      size = 0;
    }
    current.json.push(json);
    size += json.length + 1;
  });
  return chunks;
}

function statement(db: D1Database, site: string, receivedAt: number, json: string[]): D1PreparedStatement {
  return db.prepare(INSERT_SQL).bind(site, receivedAt, `[${json.join(',')}]`);
}

/**
 * Inserts rows idempotently (`ON CONFLICT (site, id) DO NOTHING`). All chunks go in one `batch()`
 * (one transaction, one round trip). If that batch fails, nothing of it was stored, so each chunk is
 * retried alone, and a failing chunk row by row: only rows the database refuses on their own are lost,
 * and they are returned in `failed` for the caller to report. If the database refuses everything
 * (it is down), the error is thrown so the client keeps the events and retries.
 */
export async function insertEvents(db: D1Database, site: string, receivedAt: number, rows: EventRow[]): Promise<InsertResult> {
  if (rows.length === 0) return { inserted: 0, duplicates: 0, failed: [] };
  const chunks = chunkRows(rows);
  try {
    const results = await db.batch(chunks.map((c) => statement(db, site, receivedAt, c.json)));
    const inserted = results.reduce((n, r) => n + r.meta.changes, 0);
    return { inserted, duplicates: rows.length - inserted, failed: [] };
  } catch (batchError) {
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
          failed.push(chunk.start + k);
          // Nothing goes in at all: the database is down, not one row at fault. Stop hammering it.
          if (inserted === 0 && failed.length >= OUTAGE_AFTER) throw batchError;
        }
      }
    }
    if (failed.length === rows.length) throw batchError;
    return { inserted, duplicates: rows.length - inserted - failed.length, failed };
  }
}
