// Report latency of this checkout against a base commit, side by side on the same data: the report bench's SQLite file
// as the base built it (`--base-db`) and a copy with this checkout's migrations applied (`--db`), each read by its own
// tree's report code (bundled), calls alternated, CPU time of this process after a warm call; the two answers must be
// equal. Cases: every report without a filter, every breakdown, and every report with a filter on one dimension (its
// most common value), as report-bench.mjs's matrix.
// Usage: pnpm --filter @parcours/bench exec node reports/compare-reports.ts --base-db=FILE --db=FILE [--base=REV]
//   [--runs=3] [--only=plain|breakdown|filters] [--reports=kpis,funnel] [--out=FILE]
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIMENSIONS } from '@parcours/protocol';
import { bundleModules } from '../ingest/derive-bundle.ts';
import { median } from '../lib/stats.ts';
import { createD1 } from './d1.mjs';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COLLECTOR = join(ROOT, 'packages/collector');
const SITE = { id: 'shop', stages: ['awareness', 'consideration', 'decision', 'retention', 'advocacy'] };
const REPORT_MODULES = [
  'reports/funnel.ts',
  'reports/transitions.ts',
  'reports/friction.ts',
  'reports/forms.ts',
  'reports/carts.ts',
  'reports/kpis.ts',
  'reports/events.ts',
  'reports/breakdown.ts',
  'reports/timeseries.ts',
];

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const git = (...a: string[]) => execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).trim();
const base = args.get('base') ?? git('merge-base', 'HEAD', 'main');
const runs = Number(args.get('runs') ?? 3);
const only = args.get('only');
/** The reports to compare (all of them when not given). */
const wanted = args.get('reports')?.split(',');
const baseDb = args.get('base-db');
const newDb = args.get('db');
if (!baseDb || !newDb) throw new Error('--base-db=FILE --db=FILE: report-bench files of the same data');

// biome-ignore lint/suspicious/noExplicitAny: the bundled report functions, called as report-bench.mjs calls them
type Reports = Record<string, (...a: any[]) => Promise<unknown>>;
type Db = ReturnType<typeof createD1>;

/** Applies the migrations of `dir` the file has not had yet (recorded as report-bench.mjs records them). */
function migrate(db: Db, dir: string): number {
  db.raw.exec('CREATE TABLE IF NOT EXISTS bench_migrations (name TEXT PRIMARY KEY)');
  const done = new Set(
    db.raw
      .prepare('SELECT name FROM bench_migrations')
      .all()
      .map((r) => r.name as string),
  );
  const todo = readdirSync(dir)
    .filter((f) => f.endsWith('.sql') && !done.has(f))
    .sort();
  for (const f of todo) {
    db.raw.exec(readFileSync(join(dir, f), 'utf8'));
    db.raw.prepare('INSERT INTO bench_migrations (name) VALUES (?)').run(f);
  }
  return todo.length;
}

const work = mkdtempSync(join(tmpdir(), 'compare-reports-'));
try {
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${base} packages/collector/src | tar -x -C "${work}"`]);
  const sides = [
    {
      name: 'base',
      reports: await bundleModules<Reports>(
        join(work, 'packages/collector/src'),
        REPORT_MODULES,
        join(work, 'base.mjs'),
      ),
      db: createD1(baseDb),
    },
    {
      name: 'this',
      reports: await bundleModules<Reports>(join(COLLECTOR, 'src'), REPORT_MODULES, join(work, 'this.mjs')),
      db: createD1(newDb),
    },
  ];
  const applied = migrate(sides[1]!.db, join(COLLECTOR, 'migrations'));
  if (applied) console.log(`${newDb}: ${applied} migrations applied`);
  const now = (sides[0]!.db.raw.prepare('SELECT now FROM bench_meta').get() as { now: number }).now;
  const range = { from: now - 30 * 86_400_000, to: now + 1, now };
  const calls = (r: Reports, db: Db, filtered: typeof range): Record<string, () => Promise<unknown>> => ({
    funnel: () => r.funnel!(db, SITE, filtered),
    transitions: () => r.transitions!(db, SITE, filtered),
    friction: () => r.friction!(db, SITE, filtered, 30),
    forms: () => r.forms!(db, SITE, filtered),
    carts: () => r.carts!(db, SITE, filtered, 30),
    kpis: () => r.kpis!(db, SITE, filtered),
    'events (1000 lines)': () => r.exportEvents!(db, SITE, filtered, 0, 1000),
    'timeseries (day)': () => r.timeseries!(db, SITE, filtered, 'day', 30),
  });
  const cases: Array<{ label: string; report: string; call: (r: Reports, db: Db) => Promise<unknown> }> = [];
  if (only === 'breakdown' || only === undefined)
    for (const by of DIMENSIONS)
      cases.push({
        label: `breakdown by ${by}`,
        report: 'breakdown',
        call: (r, db) => r.breakdown!(db, SITE, range, by, 50, 30),
      });
  if (only === 'plain' || only === undefined)
    for (const report of Object.keys(calls(sides[0]!.reports, sides[0]!.db, range)))
      cases.push({ label: report, report, call: (r, db) => calls(r, db, range)[report]!() });
  if (only === 'filters' || only === undefined)
    for (const dimension of DIMENSIONS) {
      const { value } = sides[0]!.db.raw
        .prepare(`SELECT ${dimension} AS value FROM sessions WHERE site = ? GROUP BY 1 ORDER BY COUNT(*) DESC LIMIT 1`)
        .get(SITE.id) as { value: string };
      const filtered = { ...range, filter: [{ dimension, values: [value] }] };
      for (const report of Object.keys(calls(sides[0]!.reports, sides[0]!.db, filtered)))
        cases.push({
          label: `${report} with ${dimension}=${value}`,
          report,
          call: (r, db) => calls(r, db, filtered)[report]!(),
        });
    }
  const rows: Array<{ label: string; report: string; base: number; this: number }> = [];
  for (const c of cases.filter((c) => !wanted || wanted.includes(c.report))) {
    const answers: string[] = [];
    const cpu: number[][] = [[], []];
    for (const [i, s] of sides.entries()) answers[i] = JSON.stringify(await c.call(s.reports, s.db)); // warm
    if (answers[0] !== answers[1]) throw new Error(`${c.label}: the two sides answer differently`);
    for (let r = 0; r < runs; r++)
      for (const i of r % 2 ? [1, 0] : [0, 1]) {
        const before = process.cpuUsage();
        await c.call(sides[i]!.reports, sides[i]!.db);
        const used = process.cpuUsage(before);
        cpu[i]!.push((used.user + used.system) / 1000);
      }
    const row = { label: c.label, report: c.report, base: median(cpu[0]!), this: median(cpu[1]!) };
    rows.push(row);
    console.log(
      `${row.label.padEnd(40)} base ${row.base.toFixed(0).padStart(6)} ms  this ${row.this.toFixed(0).padStart(6)} ms CPU  ${(row.base / row.this).toFixed(2)}×`,
    );
  }
  const out = args.get('out') ?? join(ROOT, 'bench/out/compare-reports.json');
  writeFileSync(out, JSON.stringify({ base, runs, load: loadavg(), rows }, null, 1));
  console.log(`same answers in all ${rows.length} cases; figures in ${out}`);
  for (const s of sides) s.db.close();
} finally {
  rmSync(work, { recursive: true, force: true });
}
