// Derivation's D1 statements and CPU per request, this checkout against a base commit, side by side: the same batches of
// generated shop journeys stored in two SQLite files, each derived by its own checkout's code, in turn first.
// Usage: pnpm --filter @parcours/bench exec node ingest/derive-statements.ts [--base=REV] [--batch=50] [--batches=120] [--no-write]
// Writes its section of bench/RESULTS.md unless --no-write.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STAGES } from '@parcours/protocol';
import { DERIVE_STATEMENTS } from '../lib/results-md.ts';
import { writeSection } from '../lib/results-section.ts';
import { median } from '../lib/stats.ts';
import { createD1 } from '../reports/d1.mjs';
import { bundleDerive } from './derive-bundle.ts';
import { migrate, storeEvents } from './sqlite-direct.ts';
import { makeBatches } from './traffic.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const COLLECTOR = join(ROOT, 'packages/collector');
const SITE = { id: 'bench', stages: [...DEFAULT_STAGES] };

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const write = !args.has('no-write');
const git = (...a: string[]) => execFileSync('git', ['-C', ROOT, ...a], { encoding: 'utf8' }).trim();
/** By default the commit this branch started from: main as it was, before this branch's changes. */
const base = args.get('base') ?? git('merge-base', 'HEAD', 'main');
const batchSize = Number(args.get('batch') ?? 50);
const batchCount = Number(args.get('batches') ?? 120);

type Db = ReturnType<typeof createD1>;
interface Derive {
  deriveVisitors(db: Db, site: typeof SITE, events: Array<{ visitor: string; time: number }>): Promise<void>;
}

/** A D1 over a fresh SQLite file that counts the statements it runs and its round trips (batch or single statement). */
function countingD1(path: string) {
  const db = createD1(path);
  migrate(db.raw, join(COLLECTOR, 'migrations'));
  const count = { statements: 0, trips: 0 };
  const prepare = db.prepare;
  const counted = {
    ...db,
    prepare(sql: string) {
      const s = prepare(sql);
      const bind = s.bind.bind(s);
      const single = (b: ReturnType<typeof s.bind>) => {
        for (const m of ['all', 'first', 'run'] as const) {
          const run = (b as Record<string, (...a: unknown[]) => unknown>)[m]!.bind(b);
          (b as Record<string, unknown>)[m] = (...a: unknown[]) => {
            count.statements++;
            count.trips++;
            return run(...a);
          };
        }
        return b;
      };
      return { ...s, bind: (...params: unknown[]) => single(bind(...params)) };
    },
    async batch(statements: unknown[]) {
      count.statements += statements.length;
      count.trips++;
      return db.batch(statements);
    },
  };
  return { db: counted as unknown as Db, raw: db.raw, count, close: db.close };
}

const dir = mkdtempSync(join(tmpdir(), 'derive-statements-'));
try {
  execFileSync('sh', ['-c', `git -C "${ROOT}" archive ${base} packages/collector/src | tar -x -C "${dir}"`]);
  const sides = [
    { name: 'base', derive: await bundleDerive<Derive>(join(dir, 'packages/collector/src'), join(dir, 'base.mjs')) },
    { name: 'this', derive: await bundleDerive<Derive>(join(COLLECTOR, 'src'), join(dir, 'this.mjs')) },
  ].map((s) => ({
    ...s,
    d1: countingD1(join(dir, `${s.name}.sqlite`)),
    statements: [] as number[],
    trips: [] as number[],
    cpu: [] as number[],
    visitors: [] as number[],
  }));
  const now = Date.now();
  const batches = makeBatches(SITE.id, batchSize * batchCount, batchSize, 7, now);
  for (const [i, batch] of batches.entries()) {
    const events = batch.list.map((e) => ({ visitor: e.visitor, time: e.ts }));
    for (const s of i % 2 ? [...sides].reverse() : sides) {
      storeEvents(s.d1.raw, SITE.id, batch.list, SITE.stages, now);
      const before = { ...s.d1.count };
      const cpu = process.cpuUsage();
      await s.derive.deriveVisitors(s.d1.db, SITE, events);
      const used = process.cpuUsage(cpu);
      s.statements.push(s.d1.count.statements - before.statements);
      s.trips.push(s.d1.count.trips - before.trips);
      s.cpu.push((used.user + used.system) / 1000);
      s.visitors.push(new Set(events.map((e) => e.visitor)).size);
    }
  }
  // Both derived the same rows.
  const dump = (raw: Db['raw']) =>
    ['transitions', 'page_views', 'carts', 'purchases', 'page_view_hours', 'page_days', 'entry_hours', 'pair_hours']
      .map((t) => JSON.stringify(raw.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3, 4, 5`).all()))
      .join('\n');
  if (dump(sides[0]!.d1.raw) !== dump(sides[1]!.d1.raw)) throw new Error('derive-statements: the two sides differ');
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const [b, t] = sides as [(typeof sides)[0], (typeof sides)[0]];
  const lines = [
    DERIVE_STATEMENTS,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/ingest/derive-statements.ts\` (base ${base.slice(0, 7)}); load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}.`,
    '',
    `The same ${batches.length} requests of ${batchSize} events (generated shop journeys cut as in "Ingestion throughput", ${mean(b.visitors).toFixed(1)}`,
    "visitors a request on average) stored in two SQLite files, each derived by one checkout's `deriveVisitors` (bundled",
    'from its `packages/collector/src/derive`) over node:sqlite through the D1-shaped adapter of the report bench, in turn',
    "first; both files' derived rows and rollups are checked equal. Statements are those derivation sends to D1 (the",
    "request's insert rides in front of its first read and is not counted: it is the same on both sides); CPU time of",
    'this process, node:sqlite included.',
    '',
    '| derivation | statements per request: mean | median | max | D1 round trips per request | CPU per request: median |',
    '| --- | ---: | ---: | ---: | ---: | ---: |',
    ...sides.map(
      (s) =>
        `| ${s.name === 'base' ? `base (${base.slice(0, 7)})` : 'this checkout'} | ${mean(s.statements).toFixed(1)} | ${median(s.statements)} | ${Math.max(...s.statements)} | ${mean(s.trips).toFixed(2)} | ${median(s.cpu).toFixed(2)} ms |`,
    ),
    '',
    `This checkout over the base: statements ${(mean(t.statements) / mean(b.statements)).toFixed(2)}×, CPU ${(median(t.cpu) / median(b.cpu)).toFixed(2)}×.`,
  ];
  console.log(lines.join('\n'));
  if (write) {
    const results = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
    writeSection(results, lines.join('\n'), '## Report latency');
  }
  for (const s of sides) s.d1.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}
