// Straight into SQLite in this one process: the physical limit the collector is measured against, and the prefill of stored events.
import { DatabaseSync } from 'node:sqlite';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROW_COLUMNS, shopTraffic, toRow as generatedRow } from '../reports-data.mjs';
import type { BenchEvent, WireBatch } from './traffic.ts';

/** The collector's statement (packages/collector/src/db/events.ts, INSERT_SQL): rows as one JSON parameter unpacked by json_each. */
const INSERT_SQL = `INSERT INTO events (site, id, type, stage, stage_index, visitor, session, time, ts, sent_at, received_at,
  path, form, last_field, duration_ms, value, currency, data)
SELECT ?1, json_extract(r.value, '$[0]'), json_extract(r.value, '$[1]'), json_extract(r.value, '$[2]'),
  json_extract(r.value, '$[3]'), json_extract(r.value, '$[4]'), json_extract(r.value, '$[5]'), json_extract(r.value, '$[6]'),
  json_extract(r.value, '$[7]'), json_extract(r.value, '$[8]'), ?2, json_extract(r.value, '$[9]'), json_extract(r.value, '$[10]'),
  json_extract(r.value, '$[11]'), json_extract(r.value, '$[12]'), json_extract(r.value, '$[13]'), json_extract(r.value, '$[14]'),
  json_extract(r.value, '$[15]')
FROM json_each(?3) AS r WHERE true
ON CONFLICT (site, id) DO NOTHING`;
/** The collector's chunking: at most 100 rows and 90,000 characters of row JSON per statement. */
const MAX_ROWS = 100;
const MAX_JSON = 90_000;

export const DEFAULT_STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];

/** Opens a SQLite file as the collector's D1 leaves it (WAL), with the common durable setting synchronous=NORMAL. */
export function open(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  return db;
}

/** Applies the collector's migrations in order to a fresh SQLite file. */
export function migrate(db: DatabaseSync, migrationsDir: string): void {
  for (const f of readdirSync(migrationsDir).filter((f) => f.endsWith('.sql')).sort()) db.exec(readFileSync(join(migrationsDir, f), 'utf8'));
}

/** The packed row of a wire event, in the collector's column order (see packages/collector/src/ingest/to-row.ts). */
function pack(e: BenchEvent, sentAt: number, receivedAt: number): string {
  const time = Math.min(receivedAt, Math.max(receivedAt - 30 * 864e5, e.ts + (receivedAt - sentAt)));
  const num = (v: unknown) => (typeof v === 'number' ? v : null);
  const str = (v: unknown) => (typeof v === 'string' ? v : null);
  return JSON.stringify([
    e.id, e.type, e.stage, DEFAULT_STAGES.indexOf(e.stage), e.visitor, e.session, time, e.ts, sentAt, new URL(e.url).pathname,
    str(e.form), str(e.last_field), num(e.duration_ms), num(e.value), str(e.currency), JSON.stringify(e),
  ]);
}

/**
 * Inserts the batches' events the way the collector does (rows packed, chunked, one transaction per
 * batch, `ON CONFLICT DO NOTHING`), one batch after another, and returns events stored per second.
 * Rows go under `site`: the collector's own run can post the very same events under its site id.
 */
export function insertDirect(db: DatabaseSync, site: string, batches: WireBatch[]): { eventsPerSecond: number; inserted: number; seconds: number } {
  const stmt = db.prepare(INSERT_SQL);
  let inserted = 0;
  const start = performance.now();
  for (const b of batches) {
    const receivedAt = Date.now();
    const sentAt = (JSON.parse(b.body) as { sent_at: number }).sent_at;
    db.exec('BEGIN');
    let chunk: string[] = [];
    let size = 0;
    const flush = () => {
      if (!chunk.length) return;
      inserted += Number(stmt.run(site, receivedAt, `[${chunk.join(',')}]`).changes);
      chunk = [];
      size = 0;
    };
    for (const e of b.list) {
      const row = pack(e, sentAt, receivedAt);
      if (chunk.length >= MAX_ROWS || size + row.length > MAX_JSON) flush();
      chunk.push(row);
      size += row.length + 1;
    }
    flush();
    db.exec('COMMIT');
  }
  const seconds = (performance.now() - start) / 1000;
  return { eventsPerSecond: inserted / seconds, inserted, seconds };
}

/** Number of events stored (all sites). */
export function countEvents(db: DatabaseSync): number {
  return Number((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n);
}

/**
 * Adds generated shop events to `events` until `site` holds `target` of them (100 rows a statement,
 * one transaction): far faster than posting them. Derived tables are not filled (see RESULTS.md).
 */
export function prefill(db: DatabaseSync, site: string, target: number, seed: number, now = Date.now()): number {
  const have = Number((db.prepare('SELECT COUNT(*) AS n FROM events WHERE site = ?').get(site) as { n: number }).n);
  const need = target - have;
  if (need <= 0) return 0;
  const cols = ROW_COLUMNS.split(',').length + 1;
  const many = db.prepare(`INSERT OR IGNORE INTO events (site, ${ROW_COLUMNS}) VALUES ${Array.from({ length: 100 }, () => `(${Array(cols).fill('?').join(',')})`).join(',')}`);
  const one = db.prepare(`INSERT OR IGNORE INTO events (site, ${ROW_COLUMNS}) VALUES (${Array(cols).fill('?').join(',')})`);
  // Not measured: no need to wait for the disk.
  db.exec('PRAGMA synchronous = OFF');
  db.exec('BEGIN');
  let params: unknown[] = [];
  let n = 0;
  for (const ev of shopTraffic(need, now, seed) as Iterable<unknown>) {
    if (n++ >= need) break;
    params.push(site, ...(generatedRow(ev as Parameters<typeof generatedRow>[0]) as unknown[]));
    if (params.length === 100 * cols) {
      many.run(...(params as never[]));
      params = [];
    }
  }
  for (let i = 0; i < params.length; i += cols) one.run(...(params.slice(i, i + cols) as never[]));
  db.exec('COMMIT');
  db.exec('PRAGMA synchronous = NORMAL');
  return need;
}
