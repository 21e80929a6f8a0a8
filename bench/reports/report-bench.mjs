// Report latency: each report of the collector over 100k and 1M stored events, the collector's own code on local SQLite.
// Usage: pnpm --filter @parcours/bench exec node reports/report-bench.mjs [--smoke] [--sizes=100000,1000000] [--runs=7] [--keep] [--db=DIR [--rederive]] [--no-write]
// --db=DIR keeps the built SQLite files in DIR and reuses them on the next run (building 1M takes minutes): migrations added
// since are applied (as in production, they backfill what they add); --rederive re-derives every visitor with the current code.
// --no-write prints the figures without touching RESULTS.md.
import { build } from 'esbuild';
import { cpus, loadavg, totalmem, tmpdir } from 'node:os';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createD1 } from './d1.mjs';
import { storeEvents } from '../ingest/sqlite-direct.ts';
import { shopEvents } from '../lib/shop-traffic.ts';

const here = fileURLToPath(new URL('..', import.meta.url));
const collector = join(here, '../packages/collector');
const args = Object.fromEntries(
  process.argv
    .slice(2)
    .map((a) => a.replace(/^--/, '').split('='))
    .map(([k, v]) => [k, v ?? true]),
);
const smoke = Boolean(args.smoke);
const sizes = args.sizes ? String(args.sizes).split(',').map(Number) : smoke ? [5_000] : [100_000, 1_000_000];
const runs = Number(args.runs ?? (smoke ? 1 : 7));
const GOAL_MS = 250;
const SITE = { id: 'shop', stages: ['awareness', 'consideration', 'decision', 'retention', 'advocacy'] };

/** The collector's derive and report modules, bundled (the protocol package uses TypeScript that Node cannot strip). */
async function loadCollector(dir) {
  const entry = `
    export { rebuildVisitors } from ${JSON.stringify(join(collector, 'src/derive/index.ts'))};
    export { funnel } from ${JSON.stringify(join(collector, 'src/reports/funnel.ts'))};
    export { transitions } from ${JSON.stringify(join(collector, 'src/reports/transitions.ts'))};
    export { friction } from ${JSON.stringify(join(collector, 'src/reports/friction.ts'))};
    export { forms } from ${JSON.stringify(join(collector, 'src/reports/forms.ts'))};
    export { carts } from ${JSON.stringify(join(collector, 'src/reports/carts.ts'))};
    export { kpis } from ${JSON.stringify(join(collector, 'src/reports/kpis.ts'))};
    export { exportEvents } from ${JSON.stringify(join(collector, 'src/reports/events.ts'))};`;
  const out = join(dir, 'collector.mjs');
  await build({
    stdin: { contents: entry, resolveDir: collector, loader: 'ts' },
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    outfile: out,
    logLevel: 'error',
  });
  return import(pathToFileURL(out).href);
}

/** Applies the collector's migrations not applied yet, in order, as wrangler would; answers how many it applied. */
function migrate(db) {
  const dir = join(collector, 'migrations');
  db.raw.exec('CREATE TABLE IF NOT EXISTS bench_migrations (name TEXT PRIMARY KEY)');
  const done = new Set(
    db.raw
      .prepare('SELECT name FROM bench_migrations')
      .all()
      .map((r) => r.name),
  );
  let applied = 0;
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort()) {
    if (done.has(f)) continue;
    db.raw.exec(readFileSync(join(dir, f), 'utf8'));
    db.raw.prepare('INSERT INTO bench_migrations (name) VALUES (?)').run(f);
    applied++;
  }
  return applied;
}

/** Stores `total` generated events (seed 42) straight into `events`, with the collector's own rows and statement. */
function fill(db, total, now) {
  storeEvents(db.raw, SITE.id, shopEvents(total, 42, now), SITE.stages, now);
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

async function time(fn) {
  const t = performance.now();
  await fn();
  return performance.now() - t;
}

const work = mkdtempSync(join(tmpdir(), 'parcours-reports-'));
const keepDir = args.db ? String(args.db) : null;
if (keepDir) mkdirSync(keepDir, { recursive: true });
try {
  const c = await loadCollector(work);
  const table = [];
  for (const size of sizes) {
    const db = createD1(join(keepDir ?? work, `reports-${size}.sqlite`));
    const reused = db.raw.prepare("SELECT 1 FROM sqlite_master WHERE name = 'bench_meta'").get();
    const migrateMs = await time(() => migrate(db));
    if (reused && migrateMs > 100)
      console.log(`${size} events: new migrations applied in ${(migrateMs / 1000).toFixed(1)} s`);
    if (!reused) {
      db.raw.exec('CREATE TABLE bench_meta (now INTEGER, fill_ms REAL, derive_ms REAL)');
      db.raw
        .prepare('INSERT INTO sites (id, origins, stages, read_token_hash, created_at) VALUES (?, ?, ?, ?, ?)')
        .run(SITE.id, '["*"]', JSON.stringify(SITE.stages), 'x', Date.now());
    }
    // Building is not what is measured: a large page cache while filling and deriving, SQLite's default while timing.
    db.raw.exec('PRAGMA cache_size = -1000000');
    const meta = reused
      ? db.raw.prepare('SELECT now, fill_ms AS fillMs, derive_ms AS deriveMs FROM bench_meta').get()
      : null;
    if (reused && !meta) throw new Error(`${keepDir}: reports-${size}.sqlite was left half built; delete it`);
    const now = meta?.now ?? Date.now();
    const fillMs = meta ? meta.fillMs : await time(() => fill(db, size, now));
    const visitors = db.raw
      .prepare('SELECT DISTINCT visitor FROM events WHERE site = ?')
      .all(SITE.id)
      .map((r) => r.visitor);
    // Every visitor derived from their first event, a round of visitors at a time.
    const deriveMs =
      meta && !args.rederive
        ? meta.deriveMs
        : await time(async () => {
            for (let i = 0; i < visitors.length; i += 200)
              await c.rebuildVisitors(db, SITE, visitors.slice(i, i + 200));
          });
    db.raw.exec('DELETE FROM bench_meta');
    db.raw.prepare('INSERT INTO bench_meta (now, fill_ms, derive_ms) VALUES (?, ?, ?)').run(now, fillMs, deriveMs);
    const count = (t) => db.raw.prepare(`SELECT COUNT(*) AS n FROM ${t}`).get().n;
    const shape = {
      events: count('events'),
      visitors: visitors.length,
      page_views: count('page_views'),
      transitions: count('transitions'),
      carts: count('carts'),
      purchases: count('purchases'),
    };
    console.log(
      `${size} events: stored in ${(fillMs / 1000).toFixed(1)} s, derived in ${(deriveMs / 1000).toFixed(1)} s`,
      shape,
    );

    db.raw.exec('PRAGMA cache_size = -2000');
    // The default period (the last 30 days: the whole generated history) at every size; at the largest, also the last
    // 10 days, a period that covers only part of the history (the reports then read the period's rows in time order).
    const periods = size === sizes[sizes.length - 1] && !smoke ? [30, 10] : [30];
    for (const days of periods) {
      const range = { from: now - days * 86_400_000, to: now + 1, now };
      const reports = {
        funnel: () => c.funnel(db, SITE, range),
        transitions: () => c.transitions(db, SITE, range),
        friction: () => c.friction(db, SITE, range, 30),
        forms: () => c.forms(db, SITE, range),
        carts: () => c.carts(db, SITE, range, 30),
        kpis: () => c.kpis(db, SITE, range),
        'events (1000 lines)': () => c.exportEvents(db, SITE, range, 0, 1000),
      };
      if (days !== 30) console.log(`  last ${days} days:`);
      for (const [name, fn] of Object.entries(reports)) {
        await fn(); // warm: statements prepared, pages cached, as on a collector that has served before
        const times = [];
        for (let i = 0; i < runs; i++) times.push(await time(fn));
        const row = { size, days, name, median: median(times), min: Math.min(...times), max: Math.max(...times) };
        table.push(row);
        console.log(
          `  ${name.padEnd(20)} median ${row.median.toFixed(1).padStart(7)} ms  (min ${row.min.toFixed(1)}, max ${row.max.toFixed(1)}, ${runs} runs)`,
        );
      }
    }
    table.push({ size, shape, fillMs, deriveMs });
    db.close();
  }
  if (!smoke && !args['no-write']) writeSection(table);
} finally {
  // --keep leaves the SQLite files for a look at query plans (sqlite3 <file> 'EXPLAIN QUERY PLAN ...').
  if (args.keep) console.log(`kept ${work}`);
  else rmSync(work, { recursive: true, force: true });
}

/** Names the reports that miss the goal at 1M (default period) and by how much; the why is profiled by hand into RESULTS.md. */
function missNote(table) {
  if (!table.some((r) => r.name && r.size >= 1_000_000)) return [];
  const missed = table.filter((r) => r.name && r.days === 30 && r.size >= 1_000_000 && r.median >= GOAL_MS);
  if (!missed.length) return ['Every report meets the goal at 1M events (default period).', ''];
  return [`Missed at 1M: ${missed.map((r) => `${r.name} by ${(r.median - GOAL_MS).toFixed(0)} ms`).join(', ')}.`, ''];
}

/** Writes the "Report latency" section of RESULTS.md, leaving every other section as it is. */
function writeSection(table) {
  const results = join(here, 'RESULTS.md');
  const fmt = (n) => n.toLocaleString('en-US');
  const names = [...new Set(table.filter((r) => r.name).map((r) => r.name))];
  const largest = sizes[sizes.length - 1];
  const extra = [...new Set(table.filter((r) => r.name && r.days !== 30).map((r) => r.days))];
  const header = `| report | ${sizes.map((s) => `${fmt(s)} events`).join(' | ')} | goal (< ${GOAL_MS} ms at 1M) |${extra.map((d) => ` ${fmt(largest)} events, last ${d} days |`).join('')}`;
  const lines = names.map((name) => {
    const cells = sizes.map((s) => table.find((r) => r.size === s && r.days === 30 && r.name === name));
    const big = cells[cells.length - 1];
    const verdict =
      largest < 1_000_000
        ? 'not measured at 1M'
        : big.median < GOAL_MS
          ? `met (${(GOAL_MS / big.median).toFixed(1)}x under)`
          : `missed by ${(big.median - GOAL_MS).toFixed(0)} ms (${(big.median / GOAL_MS).toFixed(2)}x)`;
    const more = extra
      .map((d) => ` ${table.find((r) => r.size === largest && r.days === d && r.name === name).median.toFixed(1)} ms |`)
      .join('');
    return `| ${name} | ${cells.map((c) => `${c.median.toFixed(1)} ms`).join(' | ')} | ${verdict} |${more}`;
  });
  const shapes = table
    .filter((r) => r.shape)
    .map(
      (r) =>
        `- ${fmt(r.size)} events: ${Object.entries(r.shape)
          .map(([k, v]) => `${fmt(v)} ${k.replace('_', ' ')}`)
          .join(
            ', ',
          )}; stored in ${(r.fillMs / 1000).toFixed(1)} s, derived (rebuildVisitors, 200 visitors a round, 1 GB page cache while building) in ${(r.deriveMs / 1000).toFixed(1)} s.`,
    );
  const section = [
    '## Report latency',
    '',
    `Measured ${new Date().toISOString().slice(0, 10)} by \`bench/reports/report-bench.mjs\` (\`pnpm --filter @parcours/bench exec node reports/report-bench.mjs\`): ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, ${Math.round(totalmem() / 2 ** 30)} GB, Node ${process.version}, SQLite ${createD1(':memory:').raw.prepare('SELECT sqlite_version() AS v').get().v}; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (the machine is shared: a load above the core count slows every figure).`,
    '',
    "The collector's own derive and report code (bundled from `packages/collector/src`) runs against a local SQLite file built",
    "from the collector's migrations, through a D1-shaped adapter over `node:sqlite` (the engine D1 local runs; the workerd",
    'RPC hop of `wrangler dev`, well under a millisecond a query, is not included). Generated shop traffic (`bench/lib/shop-traffic.ts`,',
    'seeded, 300 products): visitors over 30 days in 1-4 sessions walking blog → products → cart → checkout, forms, carts, purchases,',
    `returning customers. Each report asks for the default period (the last 30 days: every event) and, at ${fmt(largest)} events, also for the last 10`,
    "days (the last third of the history: many visitors' first rows of the period are not their first ever, read by index range of the",
    'rows whose previous one came before the period; a period preceded by more than 8 times its length of history is read row by row),',
    `with SQLite's default page cache. Median of ${runs} runs after one warm-up run.`,
    '',
    'What the reports read (REPORTS.md "Speed"): every number stays exact. Distinct visitors are counted on each visitor\'s first',
    'row of the period, the one whose previous row of its kind (`prev_view`, `prev_stage_view`, `prev_path_view`, `prev_entry`,',
    '`prev_pair`, kept by deriveVisitors) lies before the period, so nothing is grouped by visitor; for a period starting early in the history',
    'those rows are index ranges (no previous row, or one before the period). Additive counts come from rollups kept by deriveVisitors',
    'in the same transaction as the rows (`page_view_hours`, `entry_hours`, `pair_hours` per hour, `page_days` per page and day) plus',
    "the period's partial first and last hour or day; medians are read at an offset of indexes in value order. What is left is mostly",
    "that offset walk (half of each group's values in the period), and `friction`'s form abandons, read from the events' form index",
    "with a look-up into `events` for each one's page stage.",
    '',
    header,
    `| --- | ${sizes.map(() => '---:').join(' | ')} | --- |${extra.map(() => ' ---: |').join('')}`,
    ...lines,
    '',
    ...shapes,
    '',
    ...missNote(table),
  ].join('\n');
  const before = existsSync(results) ? readFileSync(results, 'utf8') : '# Benchmark results\n\n';
  const start = before.indexOf('## Report latency');
  let next;
  if (start >= 0) {
    const rest = before.slice(start + 1).search(/^## /m);
    next = rest >= 0 ? start + 1 + rest : before.length;
  }
  const after =
    start >= 0
      ? before.slice(0, start) + section + (next < before.length ? `\n${before.slice(next)}` : '')
      : `${before.trimEnd()}\n\n${section}`;
  writeFileSync(results, withGoalRow(after, table));
  console.log(`wrote the Report latency section of ${results}`);
}

/** The goals table's reports row (written as "see below" by the full run) with this run's verdict at 1M. */
function withGoalRow(md, table) {
  const big = table.filter((r) => r.name && r.days === 30 && r.size >= 1_000_000);
  if (!big.length) return md;
  const slowest = big.reduce((a, b) => (b.median > a.median ? b : a));
  const missed = big.filter((r) => r.median >= GOAL_MS);
  const verdict = missed.length
    ? `**missed**: ${missed.map((r) => `${r.name} ${r.median.toFixed(0)} ms`).join(', ')} at 1M (see "Report latency" below)`
    : `**met**: slowest ${slowest.name} at ${slowest.median.toFixed(0)} ms at 1M, every report exact (see "Report latency" below)`;
  return md.replace(
    /^\| every report under 250 ms at 1M events \|.*$/m,
    `| every report under ${GOAL_MS} ms at 1M events | ${verdict} |`,
  );
}
