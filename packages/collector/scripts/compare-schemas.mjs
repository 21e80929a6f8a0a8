// Compares the schemas two migration folders produce: `node scripts/compare-schemas.mjs A B`, each a folder of .sql
// files or `<git ref>:<folder>` (read with git, e.g. `HEAD~1:packages/collector/migrations`). Each is applied in name
// order to an empty SQLite, and the two are compared table by table: columns (name, type, NOT NULL, default, key
// position), rowid or not, indexes (their columns in order with direction and collation, unique, partial) and each
// statement's text without comments and layout (which holds CHECK constraints and partial indexes' WHERE). Prints what
// differs and exits 1, or prints what matched. For folding migrations into migrations/0001_schema.sql: the folder
// before and after must produce the same schema.
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';

/** The migrations of a folder or a git tree, as [name, sql] in name order. */
function migrations(source) {
  const inGit = /^([^:]+):(.+)$/.exec(source);
  if (!inGit) {
    return readdirSync(source)
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((f) => [f, readFileSync(`${source}/${f}`, 'utf8')]);
  }
  const git = (...args) => execFileSync('git', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  return git('ls-tree', '--full-tree', '--name-only', source)
    .split('\n')
    .filter((f) => f.endsWith('.sql'))
    .sort()
    .map((f) => [f, git('show', `${source}/${f}`)]);
}

/** A statement's text without comments, line breaks and the spaces layout adds, lower-cased; quotes around names dropped. */
function normalized(sql) {
  return (sql ?? '')
    .replace(/--[^\n]*/g, ' ')
    .replace(/\/\*[\s\S]*?\*\//g, ' ')
    .replace(/"(\w+)"/g, '$1')
    .replace(/\s+/g, ' ')
    .replace(/\s*([(),])\s*/g, '$1')
    .trim()
    .toLowerCase();
}

/** Everything SQLite says about the schema, one line per fact, keyed so two databases can be diffed line by line. */
function describe(source) {
  const files = migrations(source);
  const db = new DatabaseSync(':memory:');
  for (const [, sql] of files) db.exec(sql);
  const all = (sql) => db.prepare(sql).all();
  const facts = new Map();
  const tables = all(`SELECT name, sql FROM sqlite_master WHERE type = 'table' ORDER BY name`);
  for (const { name, sql } of tables) {
    facts.set(`table ${name}`, normalized(sql));
    const [kind] = all(`SELECT type, ncol, wr, strict FROM pragma_table_list WHERE name = '${name}'`);
    facts.set(`table ${name} kind`, JSON.stringify(kind));
    for (const c of all(`SELECT * FROM pragma_table_info('${name}')`))
      facts.set(`table ${name} column ${c.cid}`, JSON.stringify(c));
    for (const fk of all(`SELECT * FROM pragma_foreign_key_list('${name}')`))
      facts.set(`table ${name} foreign key ${fk.id}.${fk.seq}`, JSON.stringify(fk));
    for (const i of all(`SELECT * FROM pragma_index_list('${name}')`)) {
      const { seq: _, ...index } = i;
      facts.set(`index ${i.name} on ${name}`, JSON.stringify(index));
      for (const col of all(`SELECT * FROM pragma_index_xinfo('${i.name}')`))
        facts.set(`index ${i.name} column ${col.seqno}`, JSON.stringify(col));
    }
  }
  for (const { name, sql } of all(`SELECT name, sql FROM sqlite_master WHERE type IN ('index', 'trigger', 'view')`))
    facts.set(`statement of ${name}`, normalized(sql));
  const indexes = [...facts.keys()].filter((k) => /^index \S+ on /.test(k)).length;
  return { files: files.length, tables: tables.length, indexes, facts };
}

const [a, b] = process.argv.slice(2);
if (!a || !b) {
  console.error('usage: node scripts/compare-schemas.mjs <folder | ref:folder> <folder | ref:folder>');
  process.exit(2);
}
const left = describe(a);
const right = describe(b);
const differences = [];
for (const key of new Set([...left.facts.keys(), ...right.facts.keys()])) {
  const [x, y] = [left.facts.get(key), right.facts.get(key)];
  if (x !== y) differences.push(`${key}\n  ${a}: ${x ?? '(none)'}\n  ${b}: ${y ?? '(none)'}`);
}
const summary = (s, side) =>
  `${side}: ${s.files} files, ${s.tables} tables, ${s.indexes} indexes, ${s.facts.size} facts`;
console.log(summary(left, a));
console.log(summary(right, b));
if (differences.length) {
  const shown = differences.slice(0, 40);
  console.log(`${differences.length} differences${shown.length < differences.length ? ', the first 40' : ''}:`);
  console.log(shown.join('\n'));
  process.exit(1);
}
console.log('same schema');
