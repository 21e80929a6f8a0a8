// Derivation against a visitor's history: what one more event costs for a visitor with 100, 10k and 40k stored events
// (alternating between two stages, as in issue 17), the full derivation of before against the incremental one, side by side.
// Usage: pnpm --filter @parcours/bench exec node ingest/derive-history.ts [--smoke] [--no-write]
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STAGES, type WireEvent } from '@parcours/protocol';
import { TABLE } from '../../packages/collector/src/db/schema.ts';
import { writeSection } from '../lib/results-section.ts';
import { createD1 } from '../reports/d1.mjs';
import { bundleDerive, bundleModules } from './derive-bundle.ts';
import { migrate, storeEvents } from './sqlite-direct.ts';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(BENCH, '..');
const COLLECTOR = join(ROOT, 'packages/collector');
/** The last commit before incremental derivation: its derive code is the baseline, full derivation of every event. */
const BASELINE = '4be60d7d0f54b48a56fd200d6449630eada4a9cc';
const SITE = { id: 'shop', stages: [...DEFAULT_STAGES] };
const VISITOR = 'heavy';
const STEP_MS = 1_000;
const SECTION = "## Derivation against a visitor's history";

type Db = ReturnType<typeof createD1>;
interface Derive {
  deriveVisitors(db: Db, site: typeof SITE, arg: unknown): Promise<void>;
  rebuildVisitors?(db: Db, site: typeof SITE, visitors: string[]): Promise<void>;
}
/** The baseline's own storage: its schema has changed since (paths stored once, 0066), so it stores its own rows. */
interface BaselineStore {
  toRow(e: WireEvent, stages: readonly string[], sentAt: number, receivedAt: number): unknown;
  insertStatements(db: Db, site: string, receivedAt: number, rows: unknown[]): unknown[];
}

/** The visitor's page views: `count` of them a second apart from `start`, alternating awareness and decision. */
function views(from: number, count: number, start: number): WireEvent[] {
  return Array.from({ length: count }, (_, k) => {
    const i = from + k;
    const stage = i % 2 ? 'decision' : 'awareness';
    return {
      id: `e${String(i).padStart(7, '0')}`,
      type: 'page_view',
      ts: start + i * STEP_MS,
      stage,
      visitor: VISITOR,
      session: `s${Math.floor(i / 500)}`,
      url: `https://shop.example/${stage}`,
    } as WireEvent;
  });
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Wall and CPU ms of one call. */
async function timed(run: () => Promise<unknown>): Promise<{ wall: number; cpu: number }> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  await run();
  const wall = performance.now() - start;
  const used = process.cpuUsage(cpu);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

interface Row {
  stored: number;
  /** Medians over the rounds, ms: baseline and incremental, wall and CPU. */
  before: { wall: number; cpu: number };
  after: { wall: number; cpu: number };
  /** Incremental, one event 5 minutes and 2 hours older than the visitor's latest. */
  late5m: { wall: number; cpu: number };
  late2h: { wall: number; cpu: number };
  /** Largest saved state of the visitor (characters of JSON), what a new batch reads instead of the history. */
  stateChars: number;
}

async function measure(sizes: number[], rounds: number, dir: string): Promise<Row[]> {
  execFileSync('sh', [
    '-c',
    `git -C "${ROOT}" archive ${BASELINE} packages/collector/src packages/collector/migrations | tar -x -C "${dir}"`,
  ]);
  const baselineSrc = join(dir, 'packages/collector/src');
  const before = await bundleModules<Derive & BaselineStore>(
    baselineSrc,
    ['derive/index.ts', 'db/events.ts', 'ingest/to-row.ts'],
    join(dir, 'before.mjs'),
  );
  const after = await bundleDerive<Derive>(join(COLLECTOR, 'src'), join(dir, 'after.mjs'));
  const rows: Row[] = [];
  for (const stored of sizes) {
    // Events are stored as received now, sent then too: their times stay their `ts`, hours in the past.
    const now = Date.now();
    const start = now - 2 * 86_400_000;
    // Two SQLite files holding the visitor's events, each with its code's schema and rows, each derived by its code.
    const old = createD1(join(dir, `before-${stored}.sqlite`));
    migrate(old.raw, join(dir, 'packages/collector/migrations'));
    const incremental = createD1(join(dir, `after-${stored}.sqlite`));
    migrate(incremental.raw, join(COLLECTOR, 'migrations'));
    const add = async (db: Db, events: WireEvent[]) => {
      if (db === incremental) return void storeEvents(db.raw, SITE.id, events, SITE.stages, now);
      const rows = events.map((e) => before.toRow(e, SITE.stages, now, now));
      await db.batch(before.insertStatements(db, SITE.id, now, rows) as Parameters<Db['batch']>[0]);
    };
    await add(old, views(0, stored, start));
    await add(incremental, views(0, stored, start));
    await before.deriveVisitors(old, SITE, [VISITOR]);
    await after.rebuildVisitors!(incremental, SITE, [VISITOR]);

    type Sample = { wall: number; cpu: number };
    const samples = { before: [] as Sample[], after: [] as Sample[] };
    const late = { m5: [] as Sample[], h2: [] as Sample[] };
    let next = stored;
    for (let r = 0; r < rounds; r++) {
      // One more event for the visitor, stored in both copies; each derives it, in turn first.
      const event = views(next++, 1, start);
      await add(old, event);
      await add(incremental, event);
      const time = event[0]!.ts;
      const runBefore = () => timed(() => before.deriveVisitors(old, SITE, [VISITOR]));
      const runAfter = () => timed(() => after.deriveVisitors(incremental, SITE, [{ visitor: VISITOR, time }]));
      if (r % 2) {
        samples.after.push(await runAfter());
        samples.before.push(await runBefore());
      } else {
        samples.before.push(await runBefore());
        samples.after.push(await runAfter());
      }
      // Late events (another tab, a phone back online): the incremental derivation resumes from a state before them.
      for (const [list, back] of [
        [late.m5, 5 * 60_000],
        [late.h2, 2 * 3_600_000],
      ] as const) {
        const old = views(next++, 1, start)[0]!;
        const lateEvent = { ...old, ts: time - back + 1 };
        await add(incremental, [lateEvent]);
        list.push(
          await timed(() => after.deriveVisitors(incremental, SITE, [{ visitor: VISITOR, time: lateEvent.ts }])),
        );
      }
    }
    // The incremental copy, late events and all, is what a full rebuild of its events gives.
    const dump = () =>
      [
        'transitions',
        'page_views',
        'carts',
        'purchases',
        'page_view_hours',
        'page_days',
        'entry_hours',
        'pair_hours',
      ].map((t) => JSON.stringify(incremental.raw.prepare(`SELECT * FROM ${t} ORDER BY 1, 2, 3, 4, 5`).all()));
    const derived = dump();
    const { chars } = incremental.raw
      .prepare(`SELECT MAX(length(state)) AS chars FROM ${TABLE.visitor_state}`)
      .get() as {
      chars: number;
    };
    await after.rebuildVisitors!(incremental, SITE, [VISITOR]);
    if (JSON.stringify(dump()) !== JSON.stringify(derived))
      throw new Error(`derive-history: incremental rows differ from a rebuild at ${stored} stored events`);
    old.close();
    incremental.close();
    const med = (xs: Sample[]) => ({
      wall: median(xs.map((x) => x.wall)),
      cpu: median(xs.map((x) => x.cpu)),
    });
    const row = {
      stored,
      before: med(samples.before),
      after: med(samples.after),
      late5m: med(late.m5),
      late2h: med(late.h2),
      stateChars: chars,
    };
    console.log(
      `[derive-history] ${stored} stored: before ${row.before.cpu.toFixed(1)} ms CPU, incremental ${row.after.cpu.toFixed(1)} ms, late 5 min ${row.late5m.cpu.toFixed(1)} ms, late 2 h ${row.late2h.cpu.toFixed(1)} ms`,
    );
    rows.push(row);
  }
  return rows;
}

const fmt = (n: number) => n.toLocaleString('en-US');
const ms = (n: number) => `${n < 10 ? n.toFixed(2) : n.toFixed(1)} ms`;

function render(rows: Row[], rounds: number): string {
  const first = rows[0]!;
  const last = rows[rows.length - 1]!;
  return [
    SECTION,
    '',
    `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/ingest/derive-history.ts\` (\`pnpm --filter @parcours/bench exec node ingest/derive-history.ts\`): ${cpus().length} × ${cpus()[0]?.model ?? 'CPU'}, Node ${process.version}; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}.`,
    '',
    "What one more event costs the collector's derivation for a visitor who already has 100, 10,000 or 40,000 stored events,",
    'page views a second apart alternating between awareness and decision (the heavy visitor of issue 17). Both run the',
    "collector's own code (bundled from `packages/collector/src/derive`) over `node:sqlite` through the D1-shaped adapter of",
    `the report bench, on two copies of one SQLite file: **before** is the derivation as of commit ${BASELINE.slice(0, 7)} (reload every`,
    'stored event of the visitor, derive them all, replace all their rows); **incremental** re-derives from the new event on,',
    `from the state saved before it (\`visitor_state\`). Medians of ${rounds} rounds, each storing one event in both copies and deriving`,
    'it in each, in turn first; then, in the incremental copy only, one event 5 minutes and one 2 hours older than the latest',
    '(late delivery: the state saved before them is older, more events are derived again). CPU time of this process.',
    '',
    '| stored events | before: wall | before: CPU | incremental: wall | incremental: CPU | before ÷ incremental (CPU) | late by 5 min: CPU | late by 2 h: CPU | saved state |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
    ...rows.map(
      (r) =>
        `| ${fmt(r.stored)} | ${ms(r.before.wall)} | ${ms(r.before.cpu)} | ${ms(r.after.wall)} | ${ms(r.after.cpu)} | ${(r.before.cpu / r.after.cpu).toFixed(0)}× | ${ms(r.late5m.cpu)} | ${ms(r.late2h.cpu)} | ${fmt(r.stateChars)} B |`,
    ),
    '',
    `From ${fmt(first.stored)} to ${fmt(last.stored)} stored events the cost of one more event grows ${(last.before.cpu / first.before.cpu).toFixed(0)}× before and ${(last.after.cpu / first.after.cpu).toFixed(1)}× incremental (CPU).`,
    'Before, each batch read every stored event of the visitor; incremental, it reads the saved state (largest JSON of the',
    "visitor's saved states in the last column: it grows with sessions, distinct pages and transaction ids, not with events) and",
    'the events from its own earliest one on. Wall times include waiting for the shared machine (see the load average).',
    'A late event costs what re-deriving from the saved state before it costs: in each window of age behind the newest state (a',
    'minute, five minutes, half an hour, two hours, ...) the oldest and newest states are kept, so that figure follows the events',
    "between that state and today's, paged 250 at a time. After the rounds the incremental copy is rebuilt from scratch and its derived tables compared:",
    'they were identical (the bench fails otherwise).',
    '',
  ].join('\n');
}

async function main() {
  const args = new Set(process.argv.slice(2));
  const smoke = args.has('--smoke');
  const sizes = smoke ? [100, 2_000] : [100, 10_000, 40_000];
  const rounds = smoke ? 1 : 5;
  const dir = mkdtempSync(join(tmpdir(), 'parcours-derive-history-'));
  try {
    const rows = await measure(sizes, rounds, dir);
    mkdirSync(join(BENCH, 'out'), { recursive: true });
    writeFileSync(join(BENCH, 'out', 'derive-history.json'), JSON.stringify(rows, null, 2));
    if (rows.some((r) => !(r.before.cpu > 0 && r.after.cpu > 0))) throw new Error('derive-history measured nothing');
    if (!smoke && !args.has('--no-write')) {
      const results = join(BENCH, 'RESULTS.md');
      writeSection(results, render(rows, rounds), '## Report latency');
      console.log(`[derive-history] wrote its section of ${results}`);
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
