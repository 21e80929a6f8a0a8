// Straight into SQLite in this one process: the physical limit the collector is measured against, and the prefill of stored events.
import { DatabaseSync } from 'node:sqlite';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_STAGES, type WireEvent } from '@parcours/protocol';
import { chunkParam, chunkRows, INSERT_SQL } from '../../packages/collector/src/db/insert-sql.ts';
import { toRow } from '../../packages/collector/src/ingest/to-row.ts';
import { ROW_COLUMNS, shopTraffic, toRow as generatedRow } from '../reports-data.mjs';
import type { WireBatch } from './traffic.ts';

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

/**
 * Inserts the batches' events the way the collector does (its own row building, packing, chunking and
 * statement; one transaction per batch, `ON CONFLICT DO NOTHING`), one batch after another, and
 * returns events stored per second.
 * Rows go under `site`: the collector's own run can post the very same events under its site id.
 */
export function insertDirect(db: DatabaseSync, site: string, batches: WireBatch[]): { eventsPerSecond: number; inserted: number; seconds: number } {
  const stmt = db.prepare(INSERT_SQL);
  let inserted = 0;
  const start = performance.now();
  for (const b of batches) {
    const receivedAt = Date.now();
    const sentAt = (JSON.parse(b.body) as { sent_at: number }).sent_at;
    // The collector's own row building and chunking; its events are valid as generated, so none is dropped.
    const rows = b.list.map((e) => toRow(e as unknown as WireEvent, DEFAULT_STAGES, sentAt, receivedAt)!);
    db.exec('BEGIN');
    for (const chunk of chunkRows(rows)) inserted += Number(stmt.run(site, receivedAt, chunkParam(chunk.json)).changes);
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
