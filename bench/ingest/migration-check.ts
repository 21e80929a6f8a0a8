// The migrations this checkout adds, checked on stored data: a database filled and derived by the base commit's code
// (its own migrations), every report answered by that code; then this checkout's new migrations applied, and every
// report answered by this checkout's code: the answers must be equal. Exits 1 when one differs.
// Usage: pnpm --filter @parcours/bench exec node ingest/migration-check.ts [--base=REV] [--events=20000]
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { createD1 } from '../reports/d1.mjs';
import { migrate } from './sqlite-direct.ts';
import { makeBatches } from './traffic.ts';
import {
  baseCommit,
  COLLECTOR,
  type Db,
  ingest,
  loadTree,
  SITE,
  type TreeIngestion,
  unpackCollector,
} from './tree-ingest.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const base = baseCommit(args);
const events = Number(args.get('events') ?? 20_000);
const DAY = 86_400_000;

type Range = { from: number; to: number; now: number; filter?: Array<{ dimension: string; values: string[] }> };
type Report = (db: Db, site: typeof SITE, range: Range, ...rest: unknown[]) => Promise<unknown>;
interface Tree extends TreeIngestion {
  funnel: Report;
  transitions: Report;
  friction: Report;
  forms: Report;
  carts: Report;
  kpis: Report;
  exportEvents: Report;
  timeseries: Report;
  breakdown: Report;
}
const REPORT_MODULES = [
  'funnel',
  'transitions',
  'friction',
  'forms',
  'carts',
  'kpis',
  'events',
  'timeseries',
  'breakdown',
].map((r) => `reports/${r}.ts`);

/** Every report (the export's first 1,000 lines, a breakdown by landing page) over three periods, one filtered. */
async function everyReport(t: Tree, db: Db, now: number): Promise<Record<string, unknown>> {
  const periods: Record<string, Range> = {
    'last 30 days': { from: now - 30 * DAY, to: now + 1, now },
    'last 10 days': { from: now - 10 * DAY, to: now + 1, now },
    'mobile sessions': {
      from: now - 30 * DAY,
      to: now + 1,
      now,
      filter: [{ dimension: 'device', values: ['mobile'] }],
    },
  };
  const out: Record<string, unknown> = {};
  for (const [period, r] of Object.entries(periods)) {
    const reports: Record<string, () => Promise<unknown>> = {
      funnel: () => t.funnel(db, SITE, r),
      transitions: () => t.transitions(db, SITE, r),
      friction: () => t.friction(db, SITE, r, 30),
      forms: () => t.forms(db, SITE, r),
      carts: () => t.carts(db, SITE, r, 30),
      kpis: () => t.kpis(db, SITE, r),
      events: () => t.exportEvents(db, SITE, r, 0, 1000),
      timeseries: () => t.timeseries(db, SITE, r, 'day', 30),
      'breakdown by landing': () => t.breakdown(db, SITE, r, 'landing', 50, 30),
    };
    // Through JSON: what the API answers.
    for (const [name, run] of Object.entries(reports))
      out[`${period}: ${name}`] = JSON.parse(JSON.stringify(await run()));
  }
  return out;
}

const dir = mkdtempSync(join(tmpdir(), 'migration-check-'));
try {
  const baseRoot = unpackCollector(base, dir);
  const [before, after] = [
    await loadTree<Tree>(baseRoot, join(dir, 'base.mjs'), REPORT_MODULES),
    await loadTree<Tree>(COLLECTOR, join(dir, 'this.mjs'), REPORT_MODULES),
  ];
  const db = createD1(join(dir, 'check.sqlite'));
  migrate(db.raw, join(baseRoot, 'migrations'));
  const now = Date.now();
  for (const b of makeBatches(SITE.id, events, 50, 42, now)) await ingest(before, db, b.list, now);
  const answers = await everyReport(before, db, now);

  const had = new Set(readdirSync(join(baseRoot, 'migrations')));
  const added = readdirSync(join(COLLECTOR, 'migrations'))
    .filter((f) => f.endsWith('.sql') && !had.has(f))
    .sort();
  for (const f of added) {
    const start = performance.now();
    db.raw.exec(readFileSync(join(COLLECTOR, 'migrations', f), 'utf8'));
    console.log(
      `${f}: applied to ${events.toLocaleString('en-US')} events in ${(performance.now() - start).toFixed(0)} ms`,
    );
  }
  const integrity = (db.raw.prepare('PRAGMA integrity_check').get() as { integrity_check: string }).integrity_check;
  const now2 = await everyReport(after, db, now);
  const differ = Object.keys(answers).filter((k) => !isDeepStrictEqual(answers[k], now2[k]));
  console.log(
    `base ${base.slice(0, 7)}, migrations added: ${added.join(', ') || 'none'}; integrity ${integrity}; ` +
      `${Object.keys(answers).length - differ.length} of ${Object.keys(answers).length} answers equal${differ.length ? `; different: ${differ.join(', ')}` : ''}`,
  );
  db.close();
  if (differ.length || integrity !== 'ok') process.exitCode = 1;
} finally {
  rmSync(dir, { recursive: true, force: true });
}
