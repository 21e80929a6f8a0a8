// Report latency of a site in 1 shard and in several (a hash of the visitor picks each visitor's shard), the same events
// in both, the collector's own report, partial and merge code on local SQLite. Each shard is its own SQLite file, as each
// Durable Object is; the shards of a request run at once in production, one after the other here, so the figures are
// each shard's time, the Worker's merge, and `waits` = the slowest shard's first answer + the merge + the slowest
// shard's slices of the medians' second round (src/reports/medians.ts), what a request waits for, and `costs` = every
// shard's work + the merge. Every merged answer is also checked equal to the one-shard answer. Times are CPU time of this
// process (the machine is shared).
// Either generated traffic stored and derived by the collector's code (--events), or --from=FILE: a report bench file
// (reports/report-bench.mjs --db=DIR, one derived site), read only, split by visitor hash into --shards files kept in
// --dir (every per-visitor table's rows by their visitor's shard, the rollups summed again from each shard's rows).
// Usage: pnpm --filter @parcours/bench exec node reports/shard-bench.mjs [--events=100000 | --from=FILE --dir=DIR
//   [--complete] [--split-only] [--no-copy]] [--shards=4] [--runs=5] [--matrix] [--only=REGEX] [--no-write]
import { build } from 'esbuild';
import { isDeepStrictEqual } from 'node:util';
import { cpus, loadavg, tmpdir } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { DatabaseSync } from 'node:sqlite';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createD1 } from './d1.mjs';
import { storeEvents } from '../ingest/sqlite-direct.ts';
import { SHARD_REPORTS } from '../lib/results-md.ts';
import { sectionBounds, writeSection } from '../lib/results-section.ts';
import { shopJourneys } from '../lib/shop-traffic.ts';
import { median } from '../lib/stats.ts';

const here = fileURLToPath(new URL('..', import.meta.url));
const collector = join(here, '../packages/collector');
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const from = args.get('from');
const total = Number(args.get('events') ?? 100_000);
const shardCount = Number(args.get('shards') ?? 4);
const runs = Number(args.get('runs') ?? 5);
const SITE = { id: 'shop', stages: ['awareness', 'consideration', 'decision', 'retention', 'advocacy'] };

const work = mkdtempSync(join(tmpdir(), 'parcours-shards-'));
const entry = [
  'src/derive/index.ts',
  'src/reports/run.ts',
  'src/reports/partials.ts',
  'src/reports/merge.ts',
  'src/reports/medians.ts',
]
  .map((f) => `export * from ${JSON.stringify(join(collector, f))};`)
  .concat(
    `export { sessionCandidates, upsertSessionStatements } from ${JSON.stringify(join(collector, 'src/db/sessions.ts'))};`,
    `export { toRow } from ${JSON.stringify(join(collector, 'src/ingest/to-row.ts'))};`,
    `export { shardIndex } from ${JSON.stringify(join(collector, 'src/shard/storage.ts'))};`,
    `export { TABLE, INDEX, INTERVALS, DIMENSION_COLUMNS, intervalFirsts } from ${JSON.stringify(join(collector, 'src/db/schema.ts'))};`,
    `export { FORM_FIELDS_SQL } from ${JSON.stringify(join(collector, 'src/db/insert-sql.ts'))};`,
    `export { exportEvents, EXPORT_PAGE_BYTES } from ${JSON.stringify(join(collector, 'src/reports/events.ts'))};`,
    `export { exportAcross } from ${JSON.stringify(join(collector, 'src/shard/export-pages.ts'))};`,
  )
  .join('\n');
await build({
  stdin: { contents: entry, resolveDir: collector, loader: 'ts' },
  bundle: true,
  format: 'esm',
  platform: 'neutral',
  external: ['cloudflare:workers'],
  outfile: join(work, 'collector.mjs'),
  logLevel: 'error',
});
const c = await import(pathToFileURL(join(work, 'collector.mjs')).href);
const T = c.TABLE;

/** Runs the collector's migrations on a raw SQLite connection. */
function migrate(raw) {
  const dir = join(collector, 'migrations');
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort())
    raw.exec(readFileSync(join(dir, f), 'utf8'));
}

/** A new SQLite file with the collector's migrations and the site's row. */
function database(name) {
  const db = createD1(join(work, `${name}.sqlite`));
  migrate(db.raw);
  db.raw
    .prepare(`INSERT INTO ${T.sites} (id, origins, stages, read_token_hash, created_at) VALUES (?, ?, ?, ?, ?)`)
    .run(SITE.id, '["*"]', JSON.stringify(SITE.stages), 'x', Date.now());
  return db;
}

/** The columns of an interval's first rows in page_view_hours and pair_hours, in intervalFirsts' order. */
const FIRSTS = Object.values(c.INTERVALS).map((i) => i.firsts);
/**
 * The rollups summed from a shard's own derived rows (as rollups.test.ts checks deriveVisitors keeps them): per
 * rollup, its key, its other columns and the SELECT of both from the derived table, grouped by the key.
 */
const ROLLUPS = [
  {
    table: T.page_view_hours,
    keys: ['site', 'stage_index', 'hour'],
    columns: ['views', 'entries', 'bounces', 'timed', 'first_stage_views', 'first_views', ...FIRSTS],
    select: `SELECT site, stage_index, CAST(time / 3600000 AS INTEGER), COUNT(*), SUM(is_entry), SUM(is_entry AND is_bounce),
                    COUNT(visible_ms), COUNT(*) - COUNT(prev_stage_view), COUNT(*) - COUNT(prev_view),
                    ${c.intervalFirsts('prev_view', 'time', 1)}
               FROM ${T.page_views} GROUP BY 1, 2, 3`,
  },
  {
    table: T.page_days,
    keys: ['site', 'path_id', 'stage_index', 'day'],
    columns: ['views', 'exits', 'first_views'],
    select: `SELECT site, path_id, stage_index, CAST(time / 86400000 AS INTEGER), COUNT(*), SUM(is_exit), COUNT(*) - COUNT(prev_path_view)
               FROM ${T.page_views} GROUP BY 1, 2, 3, 4`,
  },
  {
    table: T.entry_hours,
    keys: ['site', 'to_index', 'hour'],
    columns: ['entered', 'nexts', 'onwards'],
    select: `SELECT site, to_index, CAST(time / 3600000 AS INTEGER), COUNT(*), COUNT(next_ms), COUNT(onward_ms)
               FROM ${T.transitions} WHERE prev_entry IS NULL GROUP BY 1, 2, 3`,
  },
  {
    table: T.pair_hours,
    keys: ['site', 'to_index', 'from_index', 'hour'],
    columns: ['moves', 'first_moves', ...FIRSTS],
    select: `SELECT site, to_index, IFNULL(from_index, -1), CAST(time / 3600000 AS INTEGER), COUNT(*), COUNT(*) - COUNT(prev_pair),
                    ${c.intervalFirsts('prev_entry', 'time', 1)}
               FROM ${T.transitions} GROUP BY 1, 2, 3, 4`,
  },
];
const ROLLUP_TABLES = new Set(ROLLUPS.map((r) => r.table));
/** A rollup's SELECT named by its columns (a CTE `f`), to insert or update from. */
const rollupRows = (r) => `WITH f (${[...r.keys, ...r.columns].join(', ')}) AS (${r.select})`;

/** Every column of every table of `db`: table `t`, column `col`, its declared `type`, `notnull` and default `dflt`. */
const columnsOf = (db) =>
  db
    .prepare(
      'SELECT m.name AS t, c.name AS col, c.type, c."notnull", c.dflt_value AS dflt FROM sqlite_master m, pragma_table_info(m.name) c WHERE m.type = \'table\'',
    )
    .all();

/**
 * --complete: adds to the report bench file `path` (in place: a copy of it) what the migration has that the file was
 * built without. Missing tables and indexes (form_fields and its index, events_site_friction): form_fields filled from
 * the form events with the collector's own statement (FORM_FIELDS_SQL, given every form event's id), as ingestion
 * would have. Missing columns (pragma_table_info against a fresh migration), added by ALTER TABLE: one with a default
 * or NULL allowed (sites.shards, site_erasures.inherited_keys) as the migration declares it; a rollup's (the interval firsts of page_view_hours and pair_hours)
 * filled from the derived rows grouped by its key, as derivation sums them (ROLLUPS); any other is an error, the bench
 * cannot know its values.
 */
function complete(path) {
  const db = new DatabaseSync(path);
  const fresh = new DatabaseSync(':memory:');
  migrate(fresh);
  const has = new Set(
    db
      .prepare('SELECT name FROM sqlite_master')
      .all()
      .map((r) => r.name),
  );
  // Tables first, then the indexes (some on the new tables).
  const missing = fresh
    .prepare("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY type = 'index'")
    .all()
    .filter((r) => !has.has(r.name));
  const before = new Set(columnsOf(db).map((r) => `${r.t}.${r.col}`));
  const newColumns = columnsOf(fresh).filter((r) => has.has(r.t) && !before.has(`${r.t}.${r.col}`));
  fresh.close();
  if (!missing.length && !newColumns.length) return db.close();
  const t = performance.now();
  const done = [];
  db.exec('BEGIN');
  for (const { sql } of missing) db.exec(sql);
  if (missing.some((r) => r.name === T.form_fields)) {
    const ids = db
      .prepare(
        `SELECT id FROM ${T.events} WHERE site = ? AND form IS NOT NULL AND type IN ('form_submit', 'form_abandon')`,
      )
      .all(SITE.id)
      .map((r) => r.id);
    const added = db.prepare(c.FORM_FIELDS_SQL).run(SITE.id, JSON.stringify(ids)).changes;
    done.push(`${added} form_fields rows from ${ids.length} form events`);
  }
  const defaulted = newColumns.filter((n) => n.dflt !== null || !n.notnull);
  for (const { t, col, type, notnull, dflt } of defaulted)
    db.exec(
      `ALTER TABLE ${t} ADD COLUMN ${col} ${type}${notnull ? ' NOT NULL' : ''} ${dflt === null ? '' : ` DEFAULT ${dflt}`}`,
    );
  if (defaulted.length) done.push(defaulted.map((n) => `${n.t}.${n.col} (default ${n.dflt})`).join(', '));
  const derived = newColumns.filter((n) => !defaulted.includes(n));
  for (const table of new Set(derived.map((n) => n.t))) {
    const columns = derived.filter((n) => n.t === table);
    const rollup = ROLLUPS.find((r) => r.table === table);
    const unknown = columns.filter(({ col }) => !rollup?.columns.includes(col));
    if (unknown.length)
      throw new Error(`--complete: no way to fill ${table}.${unknown.map((u) => u.col).join(', ')} of ${path}`);
    // Added without NOT NULL (ALTER TABLE wants a default for it), then every row filled and checked.
    for (const { col, type } of columns) db.exec(`ALTER TABLE ${table} ADD COLUMN ${col} ${type}`);
    const names = columns.map((n) => n.col);
    const filled = db
      .prepare(
        `${rollupRows(rollup)}
         UPDATE ${table} AS h SET (${names.join(', ')}) = (${names.map((n) => `f.${n}`).join(', ')})
           FROM f WHERE ${rollup.keys.map((k) => `h.${k} = f.${k}`).join(' AND ')}`,
      )
      .run().changes;
    const left = db.prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE ${names[0]} IS NULL`).get().n;
    if (left) throw new Error(`--complete: ${left} rows of ${table} match no group of its derived rows`);
    done.push(`${table}.${names.join(', ')} on ${filled} rows`);
  }
  db.exec('COMMIT');
  db.close();
  console.log(
    `${path}: added ${[...missing.map((r) => r.name), ...done].join('; ')} in ${((performance.now() - t) / 1000).toFixed(0)} s`,
  );
}
if (from && args.has('complete')) complete(from);

/** Shard `k` of `count` of the one-site file `source` (read only), written to `path`. */
function splitOne(source, path, k, count) {
  const part = `${path}.part`;
  rmSync(part, { force: true });
  const db = new DatabaseSync(part);
  db.exec('PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -200000;');
  migrate(db);
  db.exec(`ATTACH 'file:${source}?mode=ro&immutable=1' AS src`);
  db.function('shard_of', { deterministic: true }, (visitor) => c.shardIndex(visitor, count));
  const columns = (schema, table) =>
    db
      .prepare(`PRAGMA ${schema}.table_info(${table})`)
      .all()
      .map((r) => r.name);
  db.exec('BEGIN');
  for (const { name } of db.prepare("SELECT name FROM main.sqlite_master WHERE type = 'table'").all()) {
    if (ROLLUP_TABLES.has(name)) continue;
    const inSource = new Set(columns('src', name));
    const list = columns('main', name)
      .filter((col) => inSource.has(col))
      .join(', ');
    if (!list) continue;
    // Rows of a visitor go to the visitor's shard; the others (the site, paths, salts...) to every shard.
    const where = inSource.has('visitor') ? ` WHERE shard_of(visitor) = ${k}` : '';
    db.exec(`INSERT INTO main.${name} (${list}) SELECT ${list} FROM src.${name}${where}`);
  }
  for (const r of ROLLUPS)
    db.exec(`${rollupRows(r)} INSERT INTO ${r.table} (${[...r.keys, ...r.columns].join(', ')}) SELECT * FROM f`);
  db.exec('COMMIT');
  db.close();
  renameSync(part, path);
}

/** Per derived table and rollup, its rows (or summed count) in `db`: the shards' add up to the one file's. */
function tally(raw) {
  const n = (sql) => raw.prepare(sql).get().n;
  return {
    events: n(`SELECT COUNT(*) AS n FROM ${T.events}`),
    sessions: n(`SELECT COUNT(*) AS n FROM ${T.sessions}`),
    transitions: n(`SELECT COUNT(*) AS n FROM ${T.transitions}`),
    page_views: n(`SELECT COUNT(*) AS n FROM ${T.page_views}`),
    form_fields: n(`SELECT COUNT(*) AS n FROM ${T.form_fields}`),
    carts: n(`SELECT COUNT(*) AS n FROM ${T.carts}`),
    purchases: n(`SELECT COUNT(*) AS n FROM ${T.purchases}`),
    page_view_hours: n(`SELECT SUM(views) AS n FROM ${T.page_view_hours}`),
    page_days: n(`SELECT SUM(views) AS n FROM ${T.page_days}`),
    entry_hours: n(`SELECT SUM(entered) AS n FROM ${T.entry_hours}`),
    pair_hours: n(`SELECT SUM(moves) AS n FROM ${T.pair_hours}`),
    // A visitor's rows are in one shard: its first rows of each interval too.
    view_firsts: n(`SELECT SUM(${FIRSTS.join(' + ')}) AS n FROM ${T.page_view_hours}`),
    move_firsts: n(`SELECT SUM(${FIRSTS.join(' + ')}) AS n FROM ${T.pair_hours}`),
  };
}

/**
 * The one shard and the shards of `source`, split once into `dir` and reused after. The one shard is written the same
 * way as the shards (a fresh file, rows in the same order), so that neither side reads a file grown over a long build;
 * `source` itself (read only) is kept to check the one shard answers as it does.
 */
function splitFile(source, dir) {
  mkdirSync(dir, { recursive: true });
  const split = (k, count) => {
    const path = join(dir, `${basename(source, '.sqlite')}-shard-${k}-of-${count}.sqlite`);
    if (!existsSync(path)) splitOne(source, path, k, count);
    return createD1(path);
  };
  const t = performance.now();
  const original = createD1(source, { readOnly: true });
  // --no-copy: the source itself as the one shard (its copy costs as long as the split at 10M).
  const one = args.has('no-copy') ? original : split(0, 1);
  const shards = Array.from({ length: shardCount }, (_, k) => split(k, shardCount));
  const whole = tally(original.raw);
  const [copy, ...parts] = [one, ...shards].map((db) => tally(db.raw));
  for (const [key, n] of Object.entries(whole)) {
    const added = parts.reduce((sum, p) => sum + p[key], 0);
    if (added !== n || copy[key] !== n)
      throw new Error(`split of ${source}: ${key} ${added} in the shards, ${copy[key]} in one, ${n} in the source`);
  }
  console.log(
    `split (or reused) in ${((performance.now() - t) / 1000).toFixed(0)} s:`,
    whole,
    'events per shard:',
    parts.map((p) => p.events),
  );
  return {
    original,
    one,
    shards,
    now: original.raw.prepare('SELECT now FROM bench_meta').get().now,
    stored: whole.events,
  };
}

/** Generated traffic stored in one file and in its visitors' shards, sessions as ingestion makes them; each derived. */
async function generated() {
  const now = Date.now();
  const one = database('one');
  const shards = Array.from({ length: shardCount }, (_, k) => database(`shard-${k}`));
  const pending = new Map([one, ...shards].map((db) => [db, { events: [], sessions: [], visitors: new Set() }]));
  const flush = async (db) => {
    const p = pending.get(db);
    storeEvents(db.raw, SITE.id, p.events, SITE.stages, now);
    await db.batch(c.upsertSessionStatements(db, SITE.id, p.sessions));
    pending.set(db, { events: [], sessions: [], visitors: p.visitors });
  };
  const t = performance.now();
  for (const j of shopJourneys(total, 42, now)) {
    const sessions = c.sessionCandidates(
      j.events.map((event) => ({ ...c.toRow(event, SITE.stages, now, now), event })),
      { userAgent: j.userAgent, country: 'FR' },
    );
    for (const db of [one, shards[c.shardIndex(j.visitor, shardCount)]]) {
      const p = pending.get(db);
      p.events.push(...j.events);
      p.sessions.push(...sessions);
      p.visitors.add(j.visitor);
      if (p.events.length >= 20_000) await flush(db);
    }
  }
  for (const [db, p] of pending) {
    await flush(db);
    const visitors = [...p.visitors];
    for (let i = 0; i < visitors.length; i += 200) await c.rebuildVisitors(db, SITE, visitors.slice(i, i + 200));
  }
  const stored = tally(one.raw).events;
  console.log(
    `${stored} events stored and derived in ${((performance.now() - t) / 1000).toFixed(0)} s; per shard:`,
    shards.map((db) => tally(db.raw).events),
  );
  return { one, shards, now, stored };
}

const { original, one, shards, now, stored } = from
  ? splitFile(from, args.get('dir') ?? join(work, 'split'))
  : await generated();
if (args.has('split-only')) {
  rmSync(work, { recursive: true, force: true }); // the bundled collector
  process.exit(0);
}

/** `fn`'s result, and the CPU time (user + system) this process spent on it, in ms. */
async function timed(fn) {
  const t = process.cpuUsage();
  const value = await fn();
  const used = process.cpuUsage(t);
  return { ms: (used.user + used.system) / 1000, value };
}

/** How many numbers a shard's partial carries for the medians: its samples (and slices), or every value. */
const numbers = (lists) =>
  Object.values(lists).reduce((n, l) => n + (Array.isArray(l) ? l : (l.inside ?? l.at)).length, 0);

const range = { from: now - 30 * 86_400_000, to: now + 1, now };
const query = (q) => ({ range, abandonAfter: 30, limit: 100, cursor: null, by: null, interval: null, ...q });
/** `q` with the one filter `dimension=value`. */
const filtered = (q, dimension, value) => ({ ...q, range: { ...q.range, filter: [{ dimension, values: [value] }] } });
const PLAIN = [
  ['funnel', query()],
  ['transitions', query()],
  ['friction', query()],
  ['forms', query()],
  ['carts', query()],
  ['kpis', query()],
  ['timeseries by day', query({ interval: 'day' }), 'timeseries'],
  ['satisfaction', query()],
];
/** The export's first page (1,000 lines, as the report bench reads it): not a JSON report, timed on its own path. */
const EXPORT = 'export page';
const DIMENSIONS = Object.keys(c.DIMENSION_COLUMNS);
/** Of one dimension, the value of the most sessions (`DESC`) or of the fewest (`ASC`), in the one shard. */
const valueBySessions = (dimension, order) =>
  one.raw
    .prepare(
      `SELECT ${c.DIMENSION_COLUMNS[dimension]} AS v FROM ${T.sessions} WHERE site = ? GROUP BY 1 ORDER BY COUNT(*) ${order}, 1 LIMIT 1`,
    )
    .get(SITE.id).v;
/**
 * --matrix: every report plain, with one filter on each dimension (its most common value; for the dimension of the
 * most distinct values, also its rarest), and the breakdown by each dimension.
 */
function matrix() {
  const every = [
    ...PLAIN.filter(([label]) => !label.startsWith('timeseries')),
    ...['hour', 'day', 'week'].map((i) => [`timeseries by ${i}`, query({ interval: i }), 'timeseries']),
    ['breakdown by channel', query({ by: 'channel', limit: 50 }), 'breakdown'],
    [EXPORT, query({ limit: 1000 })],
  ];
  const distinct = (d) =>
    one.raw.prepare(`SELECT COUNT(DISTINCT ${c.DIMENSION_COLUMNS[d]}) AS n FROM ${T.sessions}`).get().n;
  const widest = DIMENSIONS.reduce((a, b) => (distinct(b) > distinct(a) ? b : a));
  const filters = [...DIMENSIONS.map((d) => [d, valueBySessions(d, 'DESC')]), [widest, valueBySessions(widest, 'ASC')]];
  return {
    widest,
    reports: [
      ...every,
      ...filters.flatMap(([d, v]) =>
        every.map(([label, q, name = label]) => [`${label}, ${d}=${v}`, filtered(q, d, v), name]),
      ),
      ...DIMENSIONS.filter((d) => d !== 'channel').map((d) => [
        `breakdown by ${d}`,
        query({ by: d, limit: 50 }),
        'breakdown',
      ]),
    ],
  };
}
const MATRIX = args.has('matrix') ? matrix() : null;
// --only=REGEX: the cases whose label matches, of the list asked for.
const only = args.has('only') ? new RegExp(args.get('only')) : null;
const REPORTS = (
  MATRIX
    ? MATRIX.reports
    : [
        ...PLAIN,
        ['breakdown by channel', query({ by: 'channel', limit: 50 }), 'breakdown'],
        ...PLAIN.map(([label, q, name = label]) => [
          `${label}, device=desktop`,
          filtered(q, 'device', 'desktop'),
          name,
        ]),
      ]
).filter(([label]) => !only || only.test(label));

/** The first export page of one shard, and of the shards: each shard's share of the page, then the Worker's interleaving. */
async function exportPages(q) {
  const a = await timed(() => c.exportEvents(one, SITE, q.range, null, q.limit));
  const first = [];
  for (const db of shards)
    first.push(
      await timed(() => c.exportEvents(db, SITE, q.range, null, q.limit, Math.ceil(c.EXPORT_PAGE_BYTES / shardCount))),
    );
  const merged = await timed(() =>
    c.exportAcross(shardCount, null, q.limit, async (k) => structuredClone(first[k].value)),
  );
  return { a, first, second: shards.map(() => 0), merged };
}

/**
 * Whether two first pages of the export hold the same events: as many lines, and the same ones before the earlier of
 * their last `received_at` (one shard pages in insertion order, the shards by `received_at` then shard, so the events
 * of the page's last instant may differ).
 */
function samePage(merged, single) {
  if (merged.lines.length !== single.lines.length || (merged.next === null) !== (single.next === null)) return false;
  const at = (line) => JSON.parse(line).received_at;
  const last = (page) => (page.lines.length ? at(page.lines[page.lines.length - 1]) : 0);
  const bound = Math.min(last(merged), last(single));
  const before = (page) =>
    page.lines
      .filter((l) => at(l) < bound)
      .sort()
      .join('\n');
  return before(merged) === before(single);
}

/** Report `name` of `db` as a site of one shard answers it (the export: its first page). */
const answerOf = (db, name, q) =>
  name === EXPORT ? c.exportEvents(db, SITE, q.range, null, q.limit) : c.runReport(db, name, SITE, q);

/** Report `name` of one shard, and of the shards: each shard's first round, the merge and each shard's second round. */
async function reportAnswers(name, q) {
  const a = await timed(() => c.runReport(one, name, SITE, q));
  const asked = { ...q, limit: c.PART_LIMIT };
  // Round 1: each shard's report and partial, its value lists sampled and kept for round 2.
  const first = [];
  for (const db of shards)
    first.push(
      await timed(async () => {
        const report = await c.reportForMerge(name, () => c.runReport(db, name, SITE, asked));
        const { partial, values } = await c.sampledPartial(db, name, SITE, asked);
        return { answer: { report, partial }, values };
      }),
    );
  // The merge, with round 2 (each shard's slices) inside it: timed apart, as the shards' work.
  const second = shards.map(() => 0);
  const merged = await timed(() =>
    c.mergeReports(
      name,
      SITE,
      q,
      first.map((p) => structuredClone(p.value.answer)),
      async (k, windows) => {
        // Timed without an await inside: the merge asks every shard at once, and overlapping spans would count twice.
        const t = process.cpuUsage();
        const slices = structuredClone(c.sliceValues(first[k].value.values, windows));
        const used = process.cpuUsage(t);
        second[k] = (used.user + used.system) / 1000;
        return slices;
      },
    ),
  );
  return { a, first, second, merged };
}

one.raw.exec('PRAGMA cache_size = -2000');
const rows = [];
for (const [label, q, name = label] of REPORTS) {
  const single = [];
  const slowest = [];
  const sums = [];
  const merges = [];
  const wholes = [];
  let sent = 0;
  let values = 0;
  for (let run = 0; run <= runs; run++) {
    const { a, first, second, merged } = name === EXPORT ? await exportPages(q) : await reportAnswers(name, q);
    if (!(name === EXPORT ? samePage(merged.value, a.value) : isDeepStrictEqual(merged.value, a.value)))
      throw new Error(`${label}: the merged answer differs from one shard's`);
    if (run === 0 && original && original !== one && !isDeepStrictEqual(await answerOf(original, name, q), a.value))
      throw new Error(`${label}: the one shard answers otherwise than the file it was copied from`);
    if (run === 0 && name === EXPORT) continue;
    if (run === 0) {
      // What the medians cost in numbers sent: samples and slices, against every value of every list.
      values = first.reduce((n, p) => n + numbers(p.value.values), 0);
      sent = first.reduce((n, p) => n + numbers(p.value.answer.partial.samples), 0);
      await c.mergeReports(
        name,
        SITE,
        q,
        first.map((p) => p.value.answer),
        async (k, windows) => {
          const slices = c.sliceValues(first[k].value.values, windows);
          sent += numbers(slices);
          return slices;
        },
      );
      continue; // warm-up: statements prepared, pages cached
    }
    // Side by side, what the merge spent on medians before the two rounds: every value list copied over (the call) and
    // each key's lists put together and sorted (merge.ts took the median of the concatenated lists).
    const whole = await timed(async () => {
      if (name === EXPORT) return;
      const lists = first.map((p) => structuredClone(p.value.values));
      for (const key of new Set(lists.flatMap((l) => Object.keys(l)))) {
        const all = [];
        for (const l of lists) for (const v of l[key] ?? []) all.push(v);
        all.sort((a, b) => a - b);
      }
    });
    wholes.push(whole.ms);
    const mergeOnly = merged.ms - second.reduce((n, ms) => n + ms, 0);
    single.push(a.ms);
    slowest.push(Math.max(...first.map((p) => p.ms)) + Math.max(...second));
    sums.push(first.reduce((n, p) => n + p.ms, 0) + second.reduce((n, ms) => n + ms, 0));
    merges.push(mergeOnly);
  }
  const row = {
    label,
    one: median(single),
    slowest: median(slowest),
    merge: median(merges),
    waits: median(slowest.map((s, i) => s + merges[i])),
    costs: median(sums.map((s, i) => s + merges[i])),
    sent,
    values,
    whole: median(wholes),
  };
  rows.push(row);
  console.log(
    `${label.padEnd(30)} 1 shard ${row.one.toFixed(1).padStart(7)} ms | ${shardCount} shards: slowest ${row.slowest.toFixed(1)} + merge ${row.merge.toFixed(1)} = ${row.waits.toFixed(1)} ms (${(row.waits / row.one).toFixed(2)}×), costs ${row.costs.toFixed(1)} ms; median values sent ${sent} of ${values} (all of them: ${row.whole.toFixed(1)} ms to copy and sort)`,
  );
}
for (const db of new Set([one, ...shards, ...(original ? [original] : [])])) db.close();
rmSync(work, { recursive: true, force: true });

if (!args.has('no-write')) {
  const f = (n) => n.toFixed(1);
  const how = from
    ? `the report bench's file of ${stored.toLocaleString('en')} events (\`${basename(from)}\`) ${args.has('no-copy') ? 'read as it is for one shard, and' : 'copied into one file and'} split by visitor hash into ${shardCount} files${args.has('no-copy') ? '' : ', both the same way'} (each per-visitor table's rows in their visitor's shard, the rollups summed again from each file's rows; every table's rows checked to add up${args.has('no-copy') ? '' : ", and each answer of the one copy checked equal to the original file's"})`
    : `${stored.toLocaleString('en')} generated events (seed 42), stored once in one SQLite file and once split by visitor hash into ${shardCount} files, each derived by the collector's code`;
  const under = (key) => rows.filter((r) => r[key] < 250).length;
  const filters = MATRIX
    ? ` Filters: one dimension each, its value of the most sessions (for \`${MATRIX.widest}\`, the dimension of the most values, also its value of the fewest); \`export page\`: the export's first page of 1,000 lines (the shards' pages interleaved by the Worker, checked to hold the same events). Under 250 ms: ${under('waits')} of ${rows.length} cases waited in ${shardCount} shards, ${under('one')} of ${rows.length} in one shard.`
    : '';
  const heading = `### ${stored.toLocaleString('en')} events, ${shardCount} shards${args.has('matrix') ? ': every report, filter and breakdown' : ''}`;
  const sub = `${heading}

\`node reports/shard-bench.mjs ${from ? `--from=${basename(from)}${args.has('no-copy') ? ' --no-copy' : ''}` : `--events=${total}`} --shards=${shardCount} --runs=${runs}${args.has('matrix') ? ' --matrix' : ''}\` (${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}): ${how}.${filters}

| report | 1 shard | ${shardCount} shards: slowest (2 rounds) | merge | waits | waits / 1 shard | costs | costs / 1 shard | median values sent | all values: copy and sort |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${rows.map((r) => `| ${r.label} | ${f(r.one)} ms | ${f(r.slowest)} ms | ${f(r.merge)} ms | ${f(r.waits)} ms | ${(r.waits / r.one).toFixed(2)} | ${f(r.costs)} ms | ${(r.costs / r.one).toFixed(2)} | ${r.values ? `${r.sent.toLocaleString('en')} of ${r.values.toLocaleString('en')}` : '–'} | ${r.values ? `${f(r.whole)} ms` : '–'} |`).join('\n')}
`;
  // This run's subsection in place of the one of the same size and shard count; the others kept.
  const path = join(here, 'RESULTS.md');
  const md = readFileSync(path, 'utf8');
  const at = sectionBounds(md, SHARD_REPORTS);
  const old = at ? md.slice(at.start, at.end) : '';
  const subsections = old
    .split(/^(?=### )/m)
    .slice(1)
    .filter((s) => !s.startsWith(`${heading}\n`));
  const intro = `${SHARD_REPORTS}

A site's reports in one shard and in several, the collector's report, partial, median and merge code on local SQLite
(\`bench/reports/shard-bench.mjs\`), each shard its own SQLite file as each Durable Object is. Per report, the median
of the runs after a warm-up, both layouts one run after the other, CPU time of the bench process (the machine is
shared; the ratios within a row come from the same minutes): the one shard's report; each shard's report and partial
(asked for up to 10,000 groups per list, each median's values sampled), the Worker's merge, and each shard's slices of
the medians' second round. Shards run at once in production, one after the other here: *waits* is the slowest shard's
first answer plus the merge plus the slowest shard's slices, what a request waits for; *costs* every shard's work plus
the merge. *Median values sent*: the numbers the shards send for the medians (samples and slices), of all the values
the medians are taken over (what the shards sent before the two rounds); *all values: copy and sort*, measured in the
same runs, what the Worker spent on the medians when every value was sent (copying every list, as the call did, and
sorting each key's lists put together), in place of the two rounds. Every merged answer was checked equal to the
one-shard answer.
`;
  writeSection(path, [intro, ...subsections.map((s) => s.trimEnd()), sub].join('\n'));
}
