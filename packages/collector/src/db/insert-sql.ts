// The events insert as plain data (statement, row packing, chunk bounds), free of Workers types: the collector and the bench's SQLite baseline share it.
import { FORM_ABANDON, FORM_SUBMIT } from '@parcours/protocol';
import { EVENT_COLUMNS, INDEX, isPathField, storedColumn, TABLE } from './schema.ts';

/** One event as stored in `events` (the site and receive time are per batch): a field per EVENT_COLUMNS entry. */
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

/** Most rows in one statement. */
export const MAX_ROWS_PER_STATEMENT = 100;
/** Most characters of row JSON in one statement: far below D1's 100 KB statement limit and 2 MB value limit. */
export const MAX_JSON_PER_STATEMENT = 90_000;

/**
 * SQL of the id in `paths` of the path text `text` of site `site` (both SQL): NULL when the site has no such path yet,
 * which a NOT NULL column refuses.
 */
export function pathIdSql(site: string, text: string): string {
  return `(SELECT known.id FROM ${TABLE.paths} AS known WHERE known.site = ${site} AND known.path = ${text})`;
}

/** SQL of the text of the path whose id (in `paths`) is `id` (SQL). */
export function pathTextSql(id: string): string {
  return `(SELECT known.path FROM ${TABLE.paths} AS known WHERE known.id = ${id})`;
}

/**
 * Adds the paths of the JSON array `?2` to site `?1`'s dictionary, each (site, path) once: it runs before the insert
 * of the rows that name them (ADD_PATHS_SQL then INSERT_SQL, chunk by chunk), in the same transaction.
 */
export const ADD_PATHS_SQL = `INSERT INTO ${TABLE.paths} (site, path) SELECT ?1, value FROM json_each(?2) WHERE true
ON CONFLICT (site, path) DO NOTHING`;

/**
 * Inserts the rows packed in `?3` under site `?1` and receive time `?2`, each (site, id) once; a row's path becomes
 * its id in `paths` (ADD_PATHS_SQL put it there). The rows travel as ONE bound JSON parameter unpacked by json_each,
 * so a statement uses 3 bound parameters whatever the number of rows: D1's limit of 100 bound parameters per
 * statement would otherwise allow only 5 rows of 18 columns. `WHERE true` is SQLite's required disambiguation
 * between a SELECT's join and the upsert clause.
 */
export const INSERT_SQL = `INSERT INTO ${TABLE.events} (site, received_at, ${EVENT_COLUMNS.map(storedColumn).join(', ')})
SELECT ?1, ?2, ${EVENT_COLUMNS.map((c, i) => {
  const value = `json_extract(r.value, '$[${i}]')`;
  return isPathField(c) ? pathIdSql('?1', value) : value;
}).join(', ')}
FROM json_each(?3) AS r WHERE true
ON CONFLICT (site, id) DO NOTHING`;

/** A row as the JSON array INSERT_SQL unpacks (EVENT_COLUMNS in order). */
function packRow(row: EventRow): string {
  return JSON.stringify(EVENT_COLUMNS.map((c) => row[c]));
}

/** Rows of one statement: where they start in the given rows, each packed, and their distinct paths. */
export interface RowChunk {
  start: number;
  json: string[];
  paths: Set<string>;
}

/**
 * The positions of `rows` in event-time order (ties keep their order). A batch is stored as its events happened, so
 * the export, which lists events as stored, shows them oldest first even when the tag sent them newest first (its
 * beacon on a page's hide does, so that a cut batch keeps the newest).
 */
export const timeOrder = (rows: readonly EventRow[]): number[] =>
  rows.map((_, i) => i).sort((a, b) => rows[a]!.time - rows[b]!.time);

/** Splits rows into statements' worth: at most MAX_ROWS_PER_STATEMENT rows and MAX_JSON_PER_STATEMENT characters each. */
export function chunkRows(rows: EventRow[]): RowChunk[] {
  const chunks: RowChunk[] = [];
  let current: RowChunk | undefined;
  let size = 0;
  rows.forEach((row, i) => {
    const json = packRow(row);
    if (
      !current ||
      current.json.length >= MAX_ROWS_PER_STATEMENT ||
      (size + json.length > MAX_JSON_PER_STATEMENT && current.json.length > 0)
    ) {
      current = { start: i, json: [], paths: new Set() };
      chunks.push(current);
      size = 0;
    }
    current.json.push(json);
    current.paths.add(row.path);
    size += json.length + 1;
  });
  return chunks;
}

/** The `?2` parameter of ADD_PATHS_SQL for a chunk's paths: no longer than its rows' `chunkParam`. */
export function pathsParam(chunk: RowChunk): string {
  return JSON.stringify([...chunk.paths]);
}

/** The `?3` parameter of INSERT_SQL for a chunk's packed rows. */
export function chunkParam(json: string[]): string {
  return `[${json.join(',')}]`;
}

/** The form events whose per-field `fields` entries go to `form_fields` as well. */
const FORM_END_TYPES: ReadonlySet<string> = new Set([FORM_SUBMIT, FORM_ABANDON]);

/** Whether a row's event carries per-field entries for `form_fields` (FORM_FIELDS_SQL). */
export function hasFormFields(row: EventRow): boolean {
  return row.form !== null && FORM_END_TYPES.has(row.type) && row.data.includes('"fields":');
}

/**
 * Adds to `form_fields` the `fields` entries of the stored events of site `?1` whose ids the JSON array `?2` lists,
 * each entry once (`OR IGNORE` on its key: a resent event, stored before, adds none). Run after INSERT_SQL in the same
 * transaction; the events are found by their (site, id) key, the ids first (CROSS JOIN keeps that order).
 */
export const FORM_FIELDS_SQL = `INSERT OR IGNORE INTO ${TABLE.form_fields}
  (site, time, seq, position, form, path_id, field, hesitation_ms, refocuses, errors, visitor, session)
SELECT e.site, e.time, e.seq, f.key, e.form, e.path_id, json_extract(f.value, '$.field'), json_extract(f.value, '$.hesitation_ms'),
       json_extract(f.value, '$.refocuses'), json_extract(f.value, '$.errors'), e.visitor, e.session
  FROM json_each(?2) AS j CROSS JOIN ${TABLE.events} AS e INDEXED BY ${INDEX.events_site_id} ON e.site = ?1 AND e.id = j.value
  CROSS JOIN json_each(e.data, '$.fields') AS f
 WHERE e.form IS NOT NULL AND e.type IN ('${FORM_SUBMIT}', '${FORM_ABANDON}')`;
