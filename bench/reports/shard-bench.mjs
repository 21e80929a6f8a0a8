// Report latency of a site in 1 shard and in 4 (a hash of the visitor picks each visitor's shard), the same events in
// both, the collector's own report, partial and merge code on local SQLite. Each shard is its own SQLite file, as each
// Durable Object is; the shards of a request run at once in production, one after the other here, so the figures are
// each shard's time, the merge's, and `parallel` = the slowest shard + the merge (what a request waits for) and `cpu
// total` = all shards + the merge (what it costs). Every merged answer is also checked equal to the one-shard answer.
// Usage: pnpm --filter @parcours/bench exec node reports/shard-bench.mjs [--events=100000] [--shards=4] [--runs=5] [--no-write]
import { build } from 'esbuild';
import { isDeepStrictEqual } from 'node:util';
import { cpus, loadavg, tmpdir } from 'node:os';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createD1 } from './d1.mjs';
import { storeEvents } from '../ingest/sqlite-direct.ts';
import { SHARD_REPORTS } from '../lib/results-md.ts';
import { writeSection } from '../lib/results-section.ts';
import { shopJourneys } from '../lib/shop-traffic.ts';
import { median } from '../lib/stats.ts';

const here = fileURLToPath(new URL('..', import.meta.url));
const collector = join(here, '../packages/collector');
const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=')));
const total = Number(args.get('events') ?? 100_000);
const shardCount = Number(args.get('shards') ?? 4);
const runs = Number(args.get('runs') ?? 5);
const SITE = { id: 'shop', stages: ['awareness', 'consideration', 'decision', 'retention', 'advocacy'] };

const work = mkdtempSync(join(tmpdir(), 'parcours-shards-'));
const entry = ['src/derive/index.ts', 'src/reports/run.ts', 'src/reports/partials.ts', 'src/reports/merge.ts']
  .map((f) => `export * from ${JSON.stringify(join(collector, f))};`)
  .concat(
    `export { sessionCandidates, upsertSessionStatements } from ${JSON.stringify(join(collector, 'src/db/sessions.ts'))};`,
    `export { toRow } from ${JSON.stringify(join(collector, 'src/ingest/to-row.ts'))};`,
    `export { shardIndex } from ${JSON.stringify(join(collector, 'src/shard/storage.ts'))};`,
    `export { TABLE } from ${JSON.stringify(join(collector, 'src/db/schema.ts'))};`,
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

/** A new SQLite file with the collector's migrations and the site's row. */
function database(name) {
  const db = createD1(join(work, `${name}.sqlite`));
  const dir = join(collector, 'migrations');
  for (const f of readdirSync(dir)
    .filter((f) => f.endsWith('.sql'))
    .sort())
    db.raw.exec(readFileSync(join(dir, f), 'utf8'));
  db.raw
    .prepare(`INSERT INTO ${c.TABLE.sites} (id, origins, stages, read_token_hash, created_at) VALUES (?, ?, ?, ?, ?)`)
    .run(SITE.id, '["*"]', JSON.stringify(SITE.stages), 'x', Date.now());
  return db;
}

const now = Date.now();
const one = database('one');
const shards = Array.from({ length: shardCount }, (_, k) => database(`shard-${k}`));
/** Stores every journey in `one` and in its visitor's shard, sessions as ingestion makes them; then derives each. */
async function fill() {
  const pending = new Map([one, ...shards].map((db) => [db, { events: [], sessions: [], visitors: new Set() }]));
  const flush = async (db) => {
    const p = pending.get(db);
    storeEvents(db.raw, SITE.id, p.events, SITE.stages, now);
    await db.batch(c.upsertSessionStatements(db, SITE.id, p.sessions));
    pending.set(db, { events: [], sessions: [], visitors: p.visitors });
  };
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
}
const t0 = performance.now();
await fill();
const events = (db) => db.raw.prepare(`SELECT COUNT(*) AS n FROM ${c.TABLE.events}`).get().n;
console.log(
  `${events(one)} events stored and derived in ${((performance.now() - t0) / 1000).toFixed(0)} s; per shard:`,
  shards.map(events),
);

async function timed(fn) {
  const t = performance.now();
  const value = await fn();
  return { ms: performance.now() - t, value };
}

const range = { from: now - 30 * 86_400_000, to: now + 1, now };
const query = (q) => ({ range, abandonAfter: 30, limit: 100, cursor: null, by: null, interval: null, ...q });
const REPORTS = [
  ['funnel', query()],
  ['transitions', query()],
  ['friction', query()],
  ['forms', query()],
  ['carts', query()],
  ['kpis', query()],
  ['breakdown by channel', query({ by: 'channel', limit: 50 }), 'breakdown'],
  ['timeseries by day', query({ interval: 'day' }), 'timeseries'],
  ['satisfaction', query()],
  [
    'kpis, device=desktop',
    query({ range: { ...range, filter: [{ dimension: 'device', values: ['desktop'] }] } }),
    'kpis',
  ],
];
one.raw.exec('PRAGMA cache_size = -2000');
const rows = [];
for (const [label, q, name = label] of REPORTS) {
  const single = [];
  const slowest = [];
  const sums = [];
  const merges = [];
  for (let run = 0; run <= runs; run++) {
    const a = await timed(() => c.runReport(one, name, SITE, q));
    const parts = [];
    for (const db of shards)
      parts.push(
        await timed(async () => ({
          report: await c.runReport(db, name, SITE, { ...q, limit: c.PART_LIMIT }),
          partial: await c.reportPartial(db, name, SITE, { ...q, limit: c.PART_LIMIT }),
        })),
      );
    const merged = await timed(() =>
      c.mergeReports(
        name,
        SITE,
        q,
        parts.map((p) => structuredClone(p.value)),
      ),
    );
    if (!isDeepStrictEqual(merged.value, a.value))
      throw new Error(`${label}: the merged answer differs from one shard's`);
    if (run === 0) continue; // warm-up: statements prepared, pages cached
    single.push(a.ms);
    slowest.push(Math.max(...parts.map((p) => p.ms)));
    sums.push(parts.reduce((n, p) => n + p.ms, 0));
    merges.push(merged.ms);
  }
  const row = {
    label,
    one: median(single),
    slowest: median(slowest),
    merge: median(merges),
    parallel: median(slowest.map((s, i) => s + merges[i])),
    total: median(sums.map((s, i) => s + merges[i])),
  };
  rows.push(row);
  console.log(
    `${label.padEnd(22)} 1 shard ${row.one.toFixed(1).padStart(7)} ms | ${shardCount} shards: slowest ${row.slowest.toFixed(1)} + merge ${row.merge.toFixed(1)} = ${row.parallel.toFixed(1)} ms (${(row.parallel / row.one).toFixed(2)}×), all shards ${row.total.toFixed(1)} ms`,
  );
}
one.close();
for (const db of shards) db.close();
rmSync(work, { recursive: true, force: true });

if (!args.has('no-write')) {
  const f = (n) => n.toFixed(1);
  const section = `${SHARD_REPORTS}

\`node reports/shard-bench.mjs --events=${total} --shards=${shardCount} --runs=${runs}\` (${new Date(now).toISOString().slice(0, 10)}, ${cpus().length} cores, load ${loadavg()[0].toFixed(1)}):
${total.toLocaleString('en')} generated events (seed 42), stored once in one SQLite file and once split by visitor hash
into ${shardCount} files, each derived by the collector's code. Per report, the median of ${runs} runs after a warm-up,
one run of each layout after the other: the one shard's report; each of the ${shardCount} shards' report and partial (asked for up to
10,000 groups per list) and the Worker's merge. Shards run at once in production, one after the other here: *waits*
is the slowest shard plus the merge, what a request waits for; *costs* all shards plus the merge. Every merged answer
was checked equal to the one-shard answer. Reports that read many rows (breakdowns, timeseries, satisfaction, filtered
reports) wait for a quarter of the rows read at once; those a single database answers from rollups and index offsets
(funnel, transitions, kpis) wait longer in shards, whose partials send every value a median is taken over (times of
moves, visible times) where one database reads the middle one at an offset of an ordered index. The machine is shared:
figures of one run move by up to 2× between runs; the ratios within a row come from the same minutes.

| report | 1 shard | ${shardCount} shards: slowest | merge | waits | waits / 1 shard | costs |
| --- | --- | --- | --- | --- | --- | --- |
${rows.map((r) => `| ${r.label} | ${f(r.one)} ms | ${f(r.slowest)} ms | ${f(r.merge)} ms | ${f(r.parallel)} ms | ${(r.parallel / r.one).toFixed(2)} | ${f(r.total)} ms |`).join('\n')}
`;
  writeSection(join(here, 'RESULTS.md'), section);
}
