// Straight into SQLite in this one process: the physical limit the collector is measured against, and the prefill of stored events.
import { DatabaseSync, type StatementSync } from 'node:sqlite';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_STAGES, type WireEvent } from '@parcours/protocol';
import {
  ADD_PATHS_SQL,
  chunkParam,
  chunkRows,
  FORM_FIELDS_SQL,
  hasFormFields,
  INSERT_SQL,
  pathsParam,
} from '../../packages/collector/src/db/insert-sql.ts';
import { TABLE } from '../../packages/collector/src/db/schema.ts';
import { toRow } from '../../packages/collector/src/ingest/to-row.ts';
import { shopEvents } from '../lib/shop-traffic.ts';
import type { WireBatch } from './traffic.ts';

/** Opens a SQLite file as the collector's D1 leaves it (WAL), with the common durable setting synchronous=NORMAL. */
export function open(path: string): DatabaseSync {
  const db = new DatabaseSync(path);
  db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  return db;
}

/** Applies the collector's migrations in order to a fresh SQLite file. */
export function migrate(db: DatabaseSync, migrationsDir: string): void {
  for (const f of readdirSync(migrationsDir)
    .filter((f) => f.endsWith('.sql'))
    .sort())
    db.exec(readFileSync(join(migrationsDir, f), 'utf8'));
}

/**
 * Inserts the batches' events the way the collector does (its own row building, packing, chunking and
 * statement; one transaction per batch, `ON CONFLICT DO NOTHING`), one batch after another, and
 * returns events stored per second.
 * Rows go under `site`: the collector's own run can post the very same events under its site id.
 */
export function insertDirect(
  db: DatabaseSync,
  site: string,
  batches: WireBatch[],
): { eventsPerSecond: number; inserted: number; seconds: number } {
  const stmt = prepareInsert(db);
  let inserted = 0;
  const start = performance.now();
  for (const b of batches) {
    const receivedAt = Date.now();
    const sentAt = (JSON.parse(b.body) as { sent_at: number }).sent_at;
    db.exec('BEGIN');
    inserted += insertRows(stmt, site, b.list, DEFAULT_STAGES, sentAt, receivedAt);
    db.exec('COMMIT');
  }
  const seconds = (performance.now() - start) / 1000;
  return { eventsPerSecond: inserted / seconds, inserted, seconds };
}

/** The collector's own row building and chunking, then its statement; its events are valid as generated, so none is dropped. */
/** The collector's statements of an insert: the chunk's paths into the dictionary, its rows, their form field entries. */
interface InsertStatements {
  paths: StatementSync;
  events: StatementSync;
  formFields: StatementSync;
}

function prepareInsert(db: DatabaseSync): InsertStatements {
  return { paths: db.prepare(ADD_PATHS_SQL), events: db.prepare(INSERT_SQL), formFields: db.prepare(FORM_FIELDS_SQL) };
}

function insertRows(
  stmt: InsertStatements,
  site: string,
  events: WireEvent[],
  stages: readonly string[],
  sentAt: number,
  receivedAt: number,
): number {
  const rows = events.map((e) => toRow(e, stages, sentAt, receivedAt)!);
  let inserted = 0;
  for (const chunk of chunkRows(rows)) {
    stmt.paths.run(site, pathsParam(chunk));
    inserted += Number(stmt.events.run(site, receivedAt, chunkParam(chunk.json)).changes);
    const forms = rows.slice(chunk.start, chunk.start + chunk.json.length).filter(hasFormFields);
    if (forms.length) stmt.formFields.run(site, JSON.stringify(forms.map((r) => r.id)));
  }
  return inserted;
}

/**
 * Stores events under `site` as the collector would have received them at `now` (sent then too: their times stay
 * their `ts`), with its own rows and statement, in one transaction; answers how many were new.
 */
export function storeEvents(
  db: DatabaseSync,
  site: string,
  events: Iterable<WireEvent>,
  stages: readonly string[],
  now: number,
): number {
  const stmt = prepareInsert(db);
  let inserted = 0;
  let slice: WireEvent[] = [];
  db.exec('BEGIN');
  for (const e of events) {
    slice.push(e);
    if (slice.length === 1000) {
      inserted += insertRows(stmt, site, slice, stages, now, now);
      slice = [];
    }
  }
  inserted += insertRows(stmt, site, slice, stages, now, now);
  db.exec('COMMIT');
  return inserted;
}

/** Number of events stored (all sites). */
export function countEvents(db: DatabaseSync): number {
  return Number((db.prepare(`SELECT COUNT(*) AS n FROM ${TABLE.events}`).get() as { n: number }).n);
}

/**
 * Adds generated shop events to `events` until `site` holds `target` of them (`storeEvents`: one
 * transaction): far faster than posting them. Derived tables are not filled (see RESULTS.md).
 */
export function prefill(db: DatabaseSync, site: string, target: number, seed: number, now = Date.now()): number {
  const have = Number(
    (db.prepare(`SELECT COUNT(*) AS n FROM ${TABLE.events} WHERE site = ?`).get(site) as { n: number }).n,
  );
  const need = target - have;
  if (need <= 0) return 0;
  // Not measured: no need to wait for the disk.
  db.exec('PRAGMA synchronous = OFF');
  storeEvents(db, site, shopEvents(need, seed, now), DEFAULT_STAGES, now);
  db.exec('PRAGMA synchronous = NORMAL');
  return need;
}
