// The storage module and the migrated database agree: every table, column and index the code names exists, and every
// `INDEXED BY` in the code names an index through the module.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { DERIVED, EVENT_COLUMNS, INDEX, SESSION_FACTS, SESSIONS, storedColumn, TABLE } from './schema.ts';

const db = env.DB;

/** Vite's import.meta.glob, which the test runner resolves when it bundles this file. */
type Glob = (patterns: string[], options: { query: '?raw'; import: 'default'; eager: true }) => Record<string, string>;

/** The collector's source files (tests apart), as text. */
const SOURCES = Object.entries(
  (import.meta as ImportMeta & { glob: Glob }).glob(['../**/*.ts', '!../**/*.test.ts', '!../**/*.gen.ts'], {
    query: '?raw',
    import: 'default',
    eager: true,
  }),
);

/** Not one of SQLite's, D1's or the migrations' own tables. */
const isOurs = (table: string) => !/^(sqlite_|_cf_|d1_)/.test(table);

async function names(type: 'table' | 'index'): Promise<Set<string>> {
  const { results } = await db
    .prepare('SELECT name FROM sqlite_master WHERE type = ?')
    .bind(type)
    .all<{ name: string }>();
  return new Set(results.map((r) => r.name));
}

/** Every index of the database: sqlite_master's, and the primary keys' `sqlite_autoindex_*` that D1 leaves out of it. */
async function indexNames(): Promise<Set<string>> {
  const keys = await db.batch<{ name: string }>(
    [...(await names('table'))].filter(isOurs).map((t) => db.prepare(`SELECT name FROM pragma_index_list('${t}')`)),
  );
  return new Set([...(await names('index')), ...keys.flatMap((r) => r.results.map((i) => i.name))]);
}

async function columns(table: string): Promise<string[]> {
  const { results } = await db.prepare(`SELECT name FROM pragma_table_info('${table}')`).all<{ name: string }>();
  return results.map((r) => r.name);
}

describe('the schema module', () => {
  it('names every table of the migrated database, and only those', async () => {
    const tables = [...(await names('table'))].filter(isOurs);
    expect(tables.sort()).toEqual(Object.values(TABLE).sort());
  });

  it('names indexes that exist', async () => {
    const indexes = await indexNames();
    expect(Object.values(INDEX).filter((i) => !indexes.has(i))).toEqual([]);
  });

  it('lists columns that exist in their tables', async () => {
    const missing = async (table: string, list: readonly string[]) => {
      const have = await columns(table);
      return list
        .map(storedColumn)
        .filter((c) => !have.includes(c))
        .map((c) => `${table}.${c}`);
    };
    const all = [
      await missing(TABLE.events, EVENT_COLUMNS),
      await missing(TABLE.sessions, SESSIONS.columns),
      await missing(TABLE.sessions, SESSION_FACTS),
      ...(await Promise.all(Object.entries(DERIVED).map(([t, list]) => missing(t, list)))),
    ];
    expect(all.flat()).toEqual([]);
  });

  it('is what every INDEXED BY in the code goes through, and each names an index that exists', async () => {
    const indexes = await indexNames();
    expect(SOURCES.length).toBeGreaterThan(20);
    const uses = SOURCES.flatMap(([file, text]) =>
      [...text.matchAll(/INDEXED BY\s+(\S+)/g)].map((m) => ({ file, named: m[1]! })),
    );
    expect(uses.length).toBeGreaterThan(20);
    const bad = uses.filter(({ named }) => {
      const key = /^\$\{INDEX\.(\w+)\}$/.exec(named)?.[1];
      return !key || !(key in INDEX) || !indexes.has(INDEX[key as keyof typeof INDEX]);
    });
    expect(bad).toEqual([]);
  });
});
