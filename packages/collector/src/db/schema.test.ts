// The storage module and the migrated database agree (the one D1, or a shard in the sharded layout): every table, column
// and index the code names exists, and every `INDEXED BY` in the code names an index through the module.
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import {
  DERIVED,
  EVENT_COLUMNS,
  INDEX,
  SESSION_FACTS,
  SESSIONS,
  SHARD_MIGRATIONS,
  storedColumn,
  TABLE,
} from './schema.ts';
import { siteDb } from '../../test/site-rows.ts';
import { FRICTION_TYPES } from '../reports/friction.ts';
import { sharded } from '../shard/storage.ts';

// The database a site's rows are in: the one D1, or in the sharded layout a shard (any site's: all are migrated alike).
const db = siteDb('schema-check');
/** Tables of that database the module names apart from TABLE: a shard's record of the migrations it applied. */
const ALSO = sharded(env) ? [SHARD_MIGRATIONS] : [];

/** Vite's import.meta.glob, which the test runner resolves when it bundles this file. */
type Glob = (patterns: string[], options: { query: '?raw'; import: 'default'; eager: true }) => Record<string, string>;

/** The collector's TypeScript, tests and test support included (the generated migrations apart), as text. */
const ALL_SOURCES = Object.entries(
  (import.meta as ImportMeta & { glob: Glob }).glob(['../**/*.ts', '../../test/**/*.ts', '!../**/*.gen.ts'], {
    query: '?raw',
    import: 'default',
    eager: true,
  }),
);
/** The collector's source files (tests apart), as text. */
const SOURCES = ALL_SOURCES.filter(([file]) => !file.endsWith('.test.ts') && !file.startsWith('../../test/'));

/** A path the glob answered (relative to this file) from the collector's folder. */
const fromCollector = (file: string) =>
  file
    .replace(/^\.\.\/\.\.\//, '')
    .replace(/^\.\.\//, 'src/')
    .replace(/^\.\//, 'src/db/');

/**
 * SQL that spells a table's name: after a keyword that takes one (`FROM x`, `INSERT INTO x`, `CREATE INDEX ... ON x`),
 * or as a pragma function's argument (`pragma_table_info('x')`). Built from the module's names, so this file has none.
 */
function literalTableNames(text: string): Array<{ line: number; sql: string }> {
  const names = [...Object.values(TABLE), SHARD_MIGRATIONS].join('|');
  const sql = new RegExp(
    `\\b(?:FROM|JOIN|INTO|UPDATE|TABLE|ON)\\s+["\`]?(?:${names})\\b|pragma_\\w+\\(\\s*'(?:${names})'`,
    'g',
  );
  return [...text.matchAll(sql)].map((m) => ({
    line: text.slice(0, m.index).split('\n').length,
    sql: m[0].replace(/\s+/g, ' '),
  }));
}

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
    expect(tables.sort()).toEqual([...Object.values(TABLE), ...ALSO].sort());
  });

  it('names indexes that exist', async () => {
    const indexes = await indexNames();
    expect(Object.values(INDEX).filter((i) => !indexes.has(i))).toEqual([]);
  });

  it("spells the friction index's condition as the friction report does (else SQLite cannot read it: INDEXED BY fails)", async () => {
    const row = await db
      .prepare(`SELECT sql FROM sqlite_master WHERE type = 'index' AND name = ?`)
      .bind(INDEX.events_site_friction)
      .first<{ sql: string }>();
    expect(row!.sql.replace(/\s+/g, ' ')).toContain(`WHERE ${FRICTION_TYPES}`);
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
      [...text.matchAll(/INDEXED BY\s+([^\s`]+)/g)].map((m) => ({ file, named: m[1]! })),
    );
    expect(uses.length).toBeGreaterThan(20);
    const bad = uses.filter(({ named }) => {
      const key = /^\$\{INDEX\.(\w+)\}$/.exec(named)?.[1];
      return !key || !(key in INDEX) || !indexes.has(INDEX[key as keyof typeof INDEX]);
    });
    expect(bad).toEqual([]);
  });

  it('is the only code that spells a table name: no other source file, test or test support has one in its SQL', () => {
    expect(ALL_SOURCES.length).toBeGreaterThan(SOURCES.length);
    // The check finds what it looks for (or this test could never fail).
    const example = ['SELECT 1', 'FROM', TABLE.events].join(' ');
    expect(literalTableNames(example)).toEqual([{ line: 1, sql: `FROM ${TABLE.events}` }]);
    const found = ALL_SOURCES.filter(([file]) => !file.endsWith('/db/schema.ts')).flatMap(([file, text]) =>
      literalTableNames(text).map(({ line, sql }) => `${fromCollector(file)}:${line}: ${sql}`),
    );
    expect(found).toEqual([]);
  });
});
