// Noisy neighbour: while one site is attacked (a heavy visitor alternating two stages, a flood of long unique paths, fat
// carts), another site's ingestion and reports are timed; the same quiet load without the attack runs in turn, in the
// same run, on the same collector under `wrangler dev`. The figures go to the "Noisy neighbour" section of RESULTS.md.
// `--base=DIR` (a checkout of another commit, dependencies installed) runs the same rounds on its collector too, the two
// in turn, so the ratios of both are measured in one window of the shared machine.
// Usage (from bench/): pnpm exec node neighbour/neighbour-bench.ts [--smoke] [--rounds=N] [--requests=N] [--base=DIR] [--no-write]
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import * as thisCollector from '../../scripts/collector-process.mjs';
import { registerSite, UNLIMITED_QUOTA } from '../../scripts/collector-process.mjs';
import { cpuBetween, listenerGroup, readGroupCpu } from '../ingest/collector-cpu.ts';
import { makeBatches, type WireBatch } from '../ingest/traffic.ts';
import { describeMachine } from '../lib/machine.ts';
import { writeSection } from '../lib/results-section.ts';
import { fmt, median, quantile, ratio } from '../lib/stats.ts';
import { ATTACKED, type AttackOrder, type AttackReport, post } from './attacker.ts';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
const QUIET = 'quiet';
/** The reference: the other site's figures within 2× of the same run without the attack. */
const GOAL_RATIO = 2;

interface Options {
  smoke: boolean;
  /** Rounds of (quiet alone, under attack, under the control flood), taken in turn so the machine's noise spreads over all. */
  rounds: number;
  /** Ingestion requests of the quiet site per phase (one batch of 10 events each, one after another). */
  requests: number;
  /** A checkout whose collector runs the same rounds, in turn with this one's. */
  base?: string;
  write: boolean;
}

/** Which collector a phase ran on: this checkout's, or the `--base` checkout's. */
type Side = 'this' | 'base';

/**
 * What runs beside the quiet load: nothing; the attack on the attacked site; or the control flood, the very same
 * requests sent to a site id nobody registered, refused from the body's first kilobyte: what merely receiving
 * the attack's bodies costs the one workerd process of `wrangler dev`.
 */
type Mode = 'alone' | 'attack' | 'control';
const MODES: Mode[] = ['alone', 'attack', 'control'];
const UNKNOWN_SITE = 'nobody-registered';

interface PhaseResult {
  side: Side;
  mode: Mode;
  ingestMs: number[];
  kpisMs: number[];
  funnelMs: number[];
  /** The attackers' answers by status, and the events they sent. */
  attackStatuses: Record<string, number>;
  attackEvents: number;
  /** Wall time of the timed part, and the CPU the collector's processes (workerd, wrangler) used in it (NaN: unknown). */
  wallMs: number;
  collectorCpuMs: number;
}

let address = 0;
/** A new documentation-range client address per request: the per-client rate limits stay out of the quiet load's way. */
const nextAddress = () => `198.51.${(++address >> 8) & 255}.${address & 255}`;

async function getReport(url: string, site: string, token: string, report: string): Promise<number> {
  const t = performance.now();
  const res = await fetch(`${url}/v1/sites/${site}/${report}`, {
    headers: { authorization: `Bearer ${token}`, 'cf-connecting-ip': nextAddress() },
  });
  await res.arrayBuffer();
  if (res.status !== 200) throw new Error(`${report}: ${res.status}`);
  return performance.now() - t;
}

/** Starts the attack in its own thread (attacker.ts); `stop()` ends it and answers what it sent. */
function startAttack(order: AttackOrder): { stop(): Promise<AttackReport> } {
  const worker = new Worker(new URL('./attacker.ts', import.meta.url), { workerData: { attack: order } });
  const report = new Promise<AttackReport>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  return {
    async stop() {
      worker.postMessage('stop');
      const r = await report;
      await worker.terminate();
      return r;
    },
  };
}

/** Attack phases started so far: each one's bodies carry fresh ids. */
let attackPhases = 0;

/**
 * One phase: the quiet site's ingestion (one client, one batch after another) and its reports (kpis, funnel in turn),
 * with the collector's CPU meanwhile (`group`: its process group).
 */
async function phase({ side, url, token, group }: Running, batches: WireBatch[], mode: Mode): Promise<PhaseResult> {
  const withAttack = mode !== 'alone';
  const result: PhaseResult = {
    side,
    mode,
    ingestMs: [],
    kpisMs: [],
    funnelMs: [],
    attackStatuses: {},
    attackEvents: 0,
    wallMs: 0,
    collectorCpuMs: Number.NaN,
  };
  let finished = false;
  const target = mode === 'attack' ? ATTACKED : UNKNOWN_SITE;
  const attacker = withAttack ? startAttack({ url, site: target, phase: ++attackPhases }) : null;
  // The attack gets going before the first timed request.
  if (withAttack) await new Promise((r) => setTimeout(r, 1000));
  const cpuBefore = group === undefined ? null : readGroupCpu(group);
  const start = performance.now();
  const ingest = (async () => {
    for (const b of batches) {
      const { status, ms } = await post(url, b.body, nextAddress());
      if (status !== 200) throw new Error(`quiet site ingestion answered ${status}`);
      result.ingestMs.push(ms);
    }
    finished = true;
  })();
  const reports = (async () => {
    while (!finished) {
      result.kpisMs.push(await getReport(url, QUIET, token, 'kpis'));
      result.funnelMs.push(await getReport(url, QUIET, token, 'funnel'));
    }
  })();
  await Promise.all([ingest, reports]);
  result.wallMs = performance.now() - start;
  if (cpuBefore) result.collectorCpuMs = cpuBetween(cpuBefore, readGroupCpu(group!));
  if (attacker) {
    const report = await attacker.stop();
    result.attackStatuses = report.statuses;
    result.attackEvents = report.events;
  }
  return result;
}

interface Summary {
  mode: Mode;
  /** The senders' answers by status (none alone), and how many a second of the timed part. */
  statuses: Record<string, number>;
  answersPerSecond: number;
  ingestP50: number;
  ingestP99: number;
  kpisP50: number;
  kpisP99: number;
  funnelP50: number;
  funnelP99: number;
  ingestRequests: number;
  reportReads: number;
  /** The collector's CPU over the phases' wall time: how many of the cores it kept busy. */
  collectorCores: number;
}

function summarize(phases: PhaseResult[], side: Side, mode: Mode): Summary {
  const of = phases.filter((p) => p.side === side && p.mode === mode);
  const all = (k: 'ingestMs' | 'kpisMs' | 'funnelMs') => of.flatMap((p) => p[k]);
  const statuses = of.reduce<Record<string, number>>((acc, p) => {
    for (const [k, v] of Object.entries(p.attackStatuses)) acc[k] = (acc[k] ?? 0) + v;
    return acc;
  }, {});
  const answers = Object.values(statuses).reduce((a, b) => a + b, 0);
  const wallMs = of.reduce((sum, p) => sum + p.wallMs, 0);
  return {
    mode,
    statuses,
    answersPerSecond: answers / (wallMs / 1000),
    ingestP50: median(all('ingestMs')),
    ingestP99: quantile(all('ingestMs'), 0.99),
    kpisP50: median(all('kpisMs')),
    kpisP99: quantile(all('kpisMs'), 0.99),
    funnelP50: median(all('funnelMs')),
    funnelP99: quantile(all('funnelMs'), 0.99),
    ingestRequests: all('ingestMs').length,
    reportReads: all('kpisMs').length + all('funnelMs').length,
    collectorCores: of.reduce((s, p) => s + p.collectorCpuMs, 0) / of.reduce((s, p) => s + p.wallMs, 0),
  };
}

async function adminSite(url: string, adminToken: string, id: string) {
  const res = await fetch(`${url}/v1/admin/sites/${id}`, { headers: { authorization: `Bearer ${adminToken}` } });
  return (await res.json()) as {
    quota: { events_per_day: number; bytes_per_day: number; events_per_visitor_per_day: number };
    ingestion: { totals: { events: number; bytes: number; quota_events: number; quota_batches: number } };
  };
}

/** What starts a checkout's collector: its own scripts/collector-process.mjs. */
type CollectorProcess = typeof thisCollector;

/** A collector up and ready: its quiet site registered and seeded. */
interface Running {
  side: Side;
  url: string;
  adminToken: string;
  token: string;
  group: number | undefined;
  stop(): Promise<void>;
}

/** Starts a checkout's collector (building its assets when missing), registers both sites and seeds the quiet one. */
async function startSide(side: Side, root: string, collector: CollectorProcess, opts: Options): Promise<Running> {
  if (!existsSync(join(root, 'packages/collector/public/parcours.js'))) collector.buildAssets();
  const c = await collector.startCollector({ build: false });
  try {
    const token = await registerSite(c.url, c.adminToken, {
      id: QUIET,
      origins: ['*'],
      bot_filter: false,
      quota: UNLIMITED_QUOTA,
    });
    // The attacked site keeps the default quotas: what a stranger with its public id meets.
    await registerSite(c.url, c.adminToken, { id: ATTACKED, origins: ['*'], bot_filter: false });
    // The quiet site's history, so its reports have work: seeded shop journeys, 50 events a batch.
    const history = makeBatches(QUIET, opts.smoke ? 1000 : 5000, 50, 42);
    for (const b of history) await post(c.url, b.body, b.address);
    return { side, url: c.url, adminToken: c.adminToken, token: token!, group: listenerGroup(c.port), stop: c.stop };
  } catch (error) {
    await c.stop();
    throw error;
  }
}

/** The commit a checkout is at (short); "base" when git does not say (never its path: RESULTS.md names no machine path). */
function commitOf(dir: string): string {
  try {
    return execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return 'base';
  }
}

/** One side's figures: per mode, the attack's events and answers, and what the attacked site stored. */
async function sideResults(phases: PhaseResult[], running: Running) {
  const attacked = await adminSite(running.url, running.adminToken, ATTACKED);
  const side = running.side;
  return {
    alone: summarize(phases, side, 'alone'),
    attacked: summarize(phases, side, 'attack'),
    control: summarize(phases, side, 'control'),
    attackEvents: phases.reduce((s, p) => s + (p.side === side && p.mode === 'attack' ? p.attackEvents : 0), 0),
    attackedSite: { quota: attacked.quota, stored: attacked.ingestion.totals },
  };
}

async function runNeighbourBench(opts: Options) {
  const machine = describeMachine();
  const sides: Running[] = [];
  try {
    sides.push(await startSide('this', join(BENCH, '..'), thisCollector, opts));
    if (opts.base) {
      const base = (await import(
        pathToFileURL(join(opts.base, 'scripts/collector-process.mjs')).href
      )) as CollectorProcess;
      sides.push(await startSide('base', opts.base, base, opts));
    }
    const phases: PhaseResult[] = [];
    let seed = 100;
    for (let r = 0; r < opts.rounds; r++) {
      // The sides in turn, the first one alternating: neither always runs on a machine just warmed by the other.
      const order = r % 2 ? [...sides].reverse() : sides;
      for (const running of order)
        for (const mode of MODES) {
          const batches = makeBatches(QUIET, opts.requests * 10, 10, seed++).slice(0, opts.requests);
          const p = await phase(running, batches, mode);
          phases.push(p);
          console.log(
            `neighbour round ${r + 1} ${running.side} ${mode.padEnd(7)}: ingest p50 ${fmt(median(p.ingestMs))} ms p99 ${fmt(quantile(p.ingestMs, 0.99))} ms, ` +
              `kpis p50 ${fmt(median(p.kpisMs))} ms, funnel p50 ${fmt(median(p.funnelMs))} ms` +
              (mode !== 'alone'
                ? `; ${mode} ${p.attackEvents} events sent, answers ${JSON.stringify(p.attackStatuses)}`
                : ''),
          );
        }
    }
    const base = sides[1];
    return {
      machine,
      opts,
      ...(await sideResults(phases, sides[0]!)),
      base: base ? { commit: commitOf(opts.base!), ...(await sideResults(phases, base)) } : undefined,
    };
  } finally {
    for (const running of sides) await running.stop();
  }
}

type Results = Awaited<ReturnType<typeof runNeighbourBench>>;

/** Answers by status, as `n × status` (none: "none"). */
const answers = (statuses: Record<string, number>) =>
  Object.entries(statuses)
    .map(([k, v]) => `${fmt(v)} × ${k}`)
    .join(', ') || 'none';

/** The ratios to alone of one side's phases under attack and under the control flood: two rows of the before/after table. */
function ratioRows(name: string, side: Omit<Results, 'machine' | 'opts' | 'base'>): string[] {
  const picks: Array<(s: Summary) => number> = [
    (s) => s.ingestP50,
    (s) => s.ingestP99,
    (s) => s.kpisP50,
    (s) => s.kpisP99,
    (s) => s.funnelP50,
    (s) => s.funnelP99,
  ];
  const row = (label: string, s: Summary) =>
    `| ${name}, ${label} | ${picks.map((pick) => fmt(ratio(pick(s), pick(side.alone)), 2)).join(' | ')} | ${fmt(s.answersPerSecond, 1)} |`;
  return [row('under attack', side.attacked), row('control flood', side.control)];
}

/** The "## Noisy neighbour" section of RESULTS.md. */
function section(r: Results): string {
  const a = r.alone;
  const b = r.attacked;
  const k = r.control;
  const row = (name: string, pick: (s: Summary) => number) => {
    const [x, y, z] = [pick(a), pick(b), pick(k)];
    return `| ${name} | ${fmt(x, 1)} | ${fmt(y, 1)} | ${fmt(ratio(y, x), 2)} | ${ratio(y, x) <= GOAL_RATIO ? 'yes' : '**no**'} | ${fmt(z, 1)} | ${fmt(ratio(z, x), 2)} | ${fmt(ratio(y, z), 2)} |`;
  };
  const stored = r.attackedSite.stored;
  const quota = r.attackedSite.quota;
  const withinQuota = (s: typeof stored) =>
    s.bytes <= quota.bytes_per_day && s.events <= quota.events_per_day ? 'within it' : '**over it**';
  const lines = [
    '## Noisy neighbour',
    '',
    `Written by \`bench/neighbour/neighbour-bench.ts\` on ${r.machine.date.slice(0, 16).replace('T', ' ')} UTC, load average ${fmt(r.machine.load, 1)} at the start;`,
    `${r.opts.rounds} round(s), each the quiet load alone, under attack, then under the control flood, on one collector under \`wrangler dev\` (fresh local D1)` +
      (r.base ? `; the same rounds on the collector of \`${r.base.commit}\` (\`--base\`), the two in turn.` : '.'),
    '',
    `Quiet site: one client posting ${r.opts.requests} batches of 10 shop events per phase, one after another, while another reads its`,
    '`kpis` and `funnel` in turn (last 30 days, over a seeded shop history). Attack on another site with the default quotas,',
    'two senders of each kind posting again as soon as answered (ignoring Retry-After): a heavy visitor (500 page views a batch',
    'alternating awareness and decision), a path flood (400 page views a batch, each its own 1,700-character path, a new visitor',
    'per batch, addresses of one IPv6 /64), fat carts (8 `add_to_cart` a batch, each of 100 items with 300-character texts).',
    '',
    `| quiet site (ms) | alone | under attack | ratio | within ${GOAL_RATIO}× | control flood | ratio | attack / control |`,
    '| --- | ---: | ---: | ---: | --- | ---: | ---: | ---: |',
    row('ingest p50', (s) => s.ingestP50),
    row('ingest p99', (s) => s.ingestP99),
    row('kpis p50', (s) => s.kpisP50),
    row('kpis p99', (s) => s.kpisP99),
    row('funnel p50', (s) => s.funnelP50),
    row('funnel p99', (s) => s.funnelP99),
    '',
    `The collector's processes (workerd and \`wrangler dev\`'s node, CPU read from /proc) kept ${fmt(a.collectorCores, 2)}, ${fmt(b.collectorCores, 2)} and ${fmt(k.collectorCores, 2)} of the`,
    'cores busy during the timed part of the phases (alone, under attack, under the control flood). The attack runs in a',
    "thread of the bench's own (`neighbour/attacker.ts`): building and posting its bodies shares the cores, never the",
    "event loop that times the quiet site's requests.",
    '',
    `Samples: ${a.ingestRequests}, ${b.ingestRequests} and ${k.ingestRequests} ingestion requests, ${a.reportReads}, ${b.reportReads} and ${k.reportReads} report reads (alone, under attack, under the control flood).`,
    `The control flood sends the attack's very requests to a site id nobody registered (\`${UNKNOWN_SITE}\`): refused \`403\` from`,
    "each body's first kilobyte, the rest read and dropped; it shows what merely receiving those bodies costs the 2 shared cores;",
    '"attack / control" is then what the attacked site\'s storage work adds for its neighbour.',
    `The attack sent ${fmt(r.attackEvents)} events; answers ${answers(b.statuses)} (${fmt(b.answersPerSecond, 1)} a second); the control flood's answers`,
    `${answers(k.statuses)} (${fmt(k.answersPerSecond, 1)} a second). The attacked site stored ${fmt(stored.events)} events, ${fmt(stored.bytes)} bytes, against its quota of`,
    `${fmt(quota.events_per_day)} events and ${fmt(quota.bytes_per_day)} bytes a day (${withinQuota(stored)}); ${fmt(stored.quota_events)} events refused by quota.`,
    '',
  ];
  if (r.base) {
    const base = r.base;
    lines.push(
      `Before and after, in the same run: ratios to the quiet load alone on the same collector; the senders' answers a second`,
      `(all kinds together) during the timed part of the phases.`,
      '',
      '| ratio to alone | ingest p50 | ingest p99 | kpis p50 | kpis p99 | funnel p50 | funnel p99 | answers / s |',
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...ratioRows(`before (\`${base.commit}\`)`, base),
      ...ratioRows('after (this checkout)', r),
      '',
      `Before: the attack's answers ${answers(base.attacked.statuses)}, the control flood's ${answers(base.control.statuses)}; the attacked site stored`,
      `${fmt(base.attackedSite.stored.events)} events, ${fmt(base.attackedSite.stored.bytes)} bytes (${withinQuota(base.attackedSite.stored)}).`,
      '',
    );
  }
  return lines.join('\n');
}

if (import.meta.main) {
  const args = new Map(
    process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string | undefined]),
  );
  const smoke = args.has('smoke');
  const opts: Options = {
    smoke,
    rounds: Number(args.get('rounds') ?? (smoke ? 1 : 3)),
    requests: Number(args.get('requests') ?? (smoke ? 8 : 60)),
    base: args.get('base'),
    write: !smoke && !args.has('no-write'),
  };
  const r = await runNeighbourBench(opts);
  mkdirSync(join(BENCH, 'out'), { recursive: true });
  writeFileSync(join(BENCH, 'out', smoke ? 'neighbour-smoke.json' : 'neighbour.json'), JSON.stringify(r, null, 2));
  const text = section(r);
  console.log(text);
  if (opts.write) writeSection(join(BENCH, 'RESULTS.md'), text);
  const ok = [r.alone, r.attacked, r.control, ...(r.base ? [r.base.alone, r.base.attacked, r.base.control] : [])].every(
    (s) => Number.isFinite(s.ingestP99) && Number.isFinite(s.kpisP50),
  );
  if (!ok) {
    console.error('neighbour bench: figures missing');
    process.exitCode = 1;
  }
}
