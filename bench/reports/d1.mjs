// A D1Database over node:sqlite: the collector's own derive and report code runs unchanged against a local SQLite file.
import { DatabaseSync } from 'node:sqlite';

/** Binds and runs one statement; results shaped as D1's `all()` / `first()` / `run()`. */
function createStatement(cache, db, sql, params = []) {
  const prepared = () => {
    let s = cache.get(sql);
    if (!s) cache.set(sql, (s = db.prepare(sql)));
    return s;
  };
  const stmt = {
    bind: (...args) => createStatement(cache, db, sql, args),
    async all() {
      return { results: prepared().all(...params), success: true, meta: {} };
    },
    async first(column) {
      const row = prepared().get(...params) ?? null;
      return column && row ? row[column] : row;
    },
    async run() {
      const r = prepared().run(...params);
      return {
        results: [],
        success: true,
        meta: { changes: Number(r.changes), last_row_id: Number(r.lastInsertRowid) },
      };
    },
    /** Synchronous run, used by batch() inside one transaction. */
    exec() {
      const s = prepared();
      return s.columns().length
        ? { results: s.all(...params), success: true, meta: {} }
        : (s.run(...params), { results: [], success: true, meta: {} });
    },
  };
  return stmt;
}

/**
 * Opens (or creates) a SQLite file as a D1Database: prepare/bind/all/first/run and batch(), which,
 * like D1's, runs its statements in one transaction. `readOnly`: a file this process must not change.
 */
export function createD1(path, { readOnly = false } = {}) {
  const db = new DatabaseSync(path, { readOnly });
  // SQLite's default page cache, as D1 runs it: no tuning that the collector would not get.
  if (!readOnly) db.exec('PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;');
  const cache = new Map();
  return {
    raw: db,
    prepare: (sql) => createStatement(cache, db, sql),
    async batch(statements) {
      db.exec('BEGIN');
      try {
        const out = statements.map((s) => s.exec());
        db.exec('COMMIT');
        return out;
      } catch (e) {
        db.exec('ROLLBACK');
        throw e;
      }
    },
    async exec(sql) {
      db.exec(sql);
      return { count: 0, duration: 0 };
    },
    close: () => db.close(),
  };
}
