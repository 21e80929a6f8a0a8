// Queued against direct ingestion, side by side in one run: the same fresh batches posted to a collector with
// INGEST "direct" and one with INGEST "queue" (each under `wrangler dev` with its own local D1), runs interleaved and the
// order alternated, and the same events inserted straight into SQLite as the physical limit. Measured from the
// sender's side: events per second until the dashboard's report counts every page view, and the time from a batch's
// send until the report counts it. Nothing lost, nothing stored twice: the site's stored count is checked at the end.
// `--compare=storage` compares the storage layouts the same way instead: STORAGE "d1" (every site in the one D1)
// against "shards" (each site in its SQLite Durable Object), both ingesting directly, and then the latency of reports
// read from each (section "Storage layouts"). `--compare=host` runs the same worker under `wrangler dev` and under
// Miniflare alone (miniflare-collector.ts: no proxy worker in a second workerd), each direct and queued, and first
// measures each one's per-request CPU floor stage by stage (section "Ingestion without wrangler dev").
// Usage: pnpm --filter @parcours/bench exec node ingest/queue-bench.ts [--compare=ingest|storage|host] [--runs=3]
//   [--events=6000] [--batch=50] [--clients=8] [--reads=40] [--write] (--write puts its section in bench/RESULTS.md)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  type RunningCollector,
  registerSite,
  startCollector,
  UNLIMITED_QUOTA,
} from '../../scripts/collector-process.mjs';
import { writeSection } from '../lib/results-section.ts';
import { fmt, median, quantile } from '../lib/stats.ts';
import { listenerGroup, withGroupCpu } from './collector-cpu.ts';
import { deriveDirect } from './derive-direct.ts';
import { postAll } from './load-client.ts';
import { bundleCollector, startMiniflareCollector } from './miniflare-collector.ts';
import { type RequestFloor, requestFloor } from './request-floor.ts';
import { profileWorker, type WorkerProfile } from './worker-profile.ts';
import { insertDirect, migrate, open } from './sqlite-direct.ts';
import { makeBatches, type WireBatch } from './traffic.ts';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
const MIGRATIONS = join(BENCH, '..', 'packages', 'collector', 'migrations');
const QUEUE_SECTION = '## Queued ingestion';
const STORAGE_SECTION = '## Storage layouts';
const HOST_SECTION = '## Ingestion without wrangler dev';
/** The inspector target of Miniflare's local D1 simulator, as the profiles' table names it. */
const D1_TARGET = 'local D1 (d1:db)';
const SITE = 'bench';
const DAY = 86_400_000;
/** Longest wait for a run's events to become visible before the bench fails. */
const VISIBLE_TIMEOUT_MS = 180_000;
/** Pause between two reads of the report (each read takes its own time on top). */
const POLL_PAUSE_MS = 25;

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const runs = Number(args.get('runs') ?? 3);
const events = Number(args.get('events') ?? 6000);
const batchSize = Number(args.get('batch') ?? 50);
const clients = Number(args.get('clients') ?? 8);
/** Reads of each report per side after the runs (`--compare=storage`). */
const reads = Number(args.get('reads') ?? 40);
const compare = (['storage', 'host'] as const).find((c) => c === args.get('compare')) ?? 'ingest';
/** Rounds of the per-request floor (`--compare=host`), each of `floorRequests` requests per stage and side. */
const floorRounds = Number(args.get('floor-rounds') ?? 3);
const floorRequests = Number(args.get('floor-requests') ?? 20);

/** A collector of the comparison: its name in the table, its INGEST, its other vars and what runs it. */
interface Config {
  mode: string;
  ingest: 'direct' | 'queue';
  vars?: Record<string, string>;
  /** `wrangler dev` (default) or Miniflare alone (miniflare-collector.ts). */
  host?: 'wrangler' | 'miniflare';
}

const CONFIGS: Config[] =
  compare === 'storage'
    ? [
        { mode: 'one D1', ingest: 'direct', vars: { STORAGE: 'd1' } },
        { mode: 'shards', ingest: 'direct', vars: { STORAGE: 'shards' } },
      ]
    : compare === 'host'
      ? [
          { mode: 'wrangler dev, direct', ingest: 'direct' },
          { mode: 'Miniflare, direct', ingest: 'direct', host: 'miniflare' },
          { mode: 'wrangler dev, queue', ingest: 'queue' },
          { mode: 'Miniflare, queue', ingest: 'queue', host: 'miniflare' },
        ]
      : [
          { mode: 'direct', ingest: 'direct' },
          { mode: 'queue', ingest: 'queue' },
        ];

/**
 * Reports whose answers differed between the sides (`--compare=storage`). The batches carry the time they were made as
 * `sent_at`, so one sent more than 10 s later has its events' times corrected by its own delay (src/ingest/clock.ts):
 * a visitor whose events span two batches can get other durations on each side.
 */
const differing: string[] = [];

/** The reports read after the runs (`--compare=storage`), with their query besides the period. */
const TIMED_REPORTS: Array<[string, Record<string, string>]> = [
  ['kpis', {}],
  ['funnel', {}],
  ['breakdown', { by: 'channel' }],
];

interface Side {
  mode: string;
  ingest: Config['ingest'];
  url: string;
  port: number;
  inspectorPort: number;
  group: number | undefined;
  adminToken: string;
  token: string;
  stop(): Promise<void>;
  eps: number[];
  requestMs: number[];
  visibleMs: number[];
  pollMs: number[];
  sent: number;
  /** Ms of each read of each TIMED_REPORTS report, by name. */
  reportMs: Map<string, number[]>;
  /** CPU ms of the collector's processes per request over each run, report reads included (`--compare=host`). */
  runCpuMs: number[];
  /** Each round of the per-request floor (`--compare=host`). */
  floors: RequestFloor[];
  /** CPU profiles while one client posts batches (`--compare=host`, direct sides), by inspector target. */
  profiles: Array<{ target: string; profile: WorkerProfile }>;
}

/** The bundle Miniflare runs, made once per bench run when a side needs it. */
let bundle: string | undefined;

async function start({ mode, ingest, vars, host }: Config): Promise<Side> {
  let c: RunningCollector;
  if (host === 'miniflare') {
    bundle ??= bundleCollector(join(work, 'bundle'));
    c = await startMiniflareCollector({ bundle, ingest, vars });
  } else c = await startCollector({ build: false, ingest, vars });
  // Bot filtering off: Node's fetch is not a browser, and every event must be stored.
  const token = await registerSite(c.url, c.adminToken, {
    id: SITE,
    origins: ['*'],
    bot_filter: false,
    quota: UNLIMITED_QUOTA,
  });
  if (!token) throw new Error(`${mode}: site ${SITE} exists already`);
  return {
    mode,
    ingest,
    ...c,
    group: listenerGroup(c.port),
    token,
    eps: [],
    requestMs: [],
    visibleMs: [],
    pollMs: [],
    sent: 0,
    reportMs: new Map(),
    runCpuMs: [],
    floors: [],
    profiles: [],
  };
}

let pollClient = 0;

/** GET a report of the bench site over the last 40 days; answers its JSON. */
async function readReport(
  side: Side,
  name: string,
  query: Record<string, string> = {},
  now = Date.now(),
): Promise<unknown> {
  const q = new URLSearchParams({
    from: new Date(now - 40 * DAY).toISOString(),
    to: new Date(now + DAY).toISOString(),
    ...query,
  });
  const res = await fetch(`${side.url}/v1/sites/${SITE}/${name}?${q}`, {
    // Each read from another documentation-range client: the reports' rate limit is per client.
    headers: { authorization: `Bearer ${side.token}`, 'cf-connecting-ip': `198.51.100.${(pollClient++ % 250) + 1}` },
  });
  if (res.status !== 200) throw new Error(`${side.mode}: ${name} ${res.status} ${await res.text()}`);
  return res.json();
}

/** Page views the site's `timeseries` report counts (weekly points, summed): what the dashboard's trend shows once stored. */
async function visibleViews(side: Side): Promise<number> {
  const { points } = (await readReport(side, 'timeseries', { interval: 'week' })) as {
    points: Array<{ page_views: number }>;
  };
  return points.reduce((n, p) => n + p.page_views, 0);
}

/**
 * Each TIMED_REPORTS report read `reads` times from every side, the sides in turn (the order alternating) so machine
 * noise falls on both alike; their first answers are compared (`differing`).
 */
async function timeReports(sides: Side[]): Promise<void> {
  // Visitors whose derivation lost a race with a concurrent batch of theirs too often are left to the schedule (a
  // minute in production, none under `wrangler dev`): run it, so both sides answer for every event derived.
  for (const s of sides) {
    const res = await fetch(`${s.url}/__scheduled`);
    if (!res.ok) throw new Error(`${s.mode}: /__scheduled ${res.status}`);
    await res.arrayBuffer();
  }
  for (const [name, query] of TIMED_REPORTS) {
    // One period for both: the answers compared are of the same events over the same window.
    const now = Date.now();
    const answers = await Promise.all(sides.map((s) => readReport(s, name, query, now)));
    const [first, ...others] = answers.map((a) => JSON.stringify(a));
    if (others.some((a) => a !== first)) differing.push(name);
    for (let r = 0; r < reads; r++)
      for (const s of r % 2 ? [...sides].reverse() : sides) {
        const at = performance.now();
        await readReport(s, name, query);
        s.reportMs.set(name, [...(s.reportMs.get(name) ?? []), performance.now() - at]);
      }
  }
}

/** CPU ms by process name, largest first: "workerd answering the port 1.2, workerd 3.4". */
const byProcess = (byName: Record<string, number>) =>
  Object.entries(byName)
    .filter(([, ms]) => ms > 0)
    .sort((a, b) => b[1] - a[1])
    .map(([name, ms]) => `${name} ${fmt(ms, 1)}`)
    .join(', ');

/** The median over the floor's rounds of one stage's figure. */
function floorMedian(side: Side, pick: (f: RequestFloor) => number): number {
  return median(side.floors.map(pick));
}

/** Median CPU ms by process name over the floor's rounds of one stage. */
function floorByName(side: Side, stage: keyof RequestFloor): Record<string, number> {
  const names = new Set(side.floors.flatMap((f) => Object.keys(f[stage].byName)));
  return Object.fromEntries([...names].map((n) => [n, floorMedian(side, (f) => f[stage].byName[n] ?? 0)]));
}

/** What the floor says about 0.5 of the SQLite rate, from this run's figures (`--compare=host`). */
function verdict(all: Side[], budget: number): string[] {
  const direct = (host: string) => all.find((s) => s.mode.startsWith(host) && s.ingest === 'direct');
  const [wrangler, alone] = [direct('wrangler'), direct('Miniflare')];
  if (!wrangler || !alone) return [];
  const refused = (s: Side) => floorMedian(s, (f) => f.allRejected.cpuMs);
  const whole = (s: Side) => floorMedian(s, (f) => f.whole.cpuMs);
  const insert = median(sqliteCpuMs);
  const derive = median(deriveCpuMs);
  const cpuBudget = 2 * insert;
  return [
    '',
    `A batch refused before storing costs ${fmt(refused(wrangler), 1)} ms under \`wrangler dev\` and ${fmt(refused(alone), 1)} ms under Miniflare alone, ` +
      `${refused(alone) <= budget ? 'under' : 'over'} the ${fmt(budget, 1)} ms that 0.5 allows: ` +
      (refused(alone) <= budget
        ? "the floor that ruled 0.5 out is `wrangler dev`'s (its proxy worker's workerd and hop, its dev middleware), not workerd's."
        : 'even without `wrangler dev` the floor rules 0.5 out.'),
    `The whole request costs ${fmt(whole(alone), 1)} ms under Miniflare alone, ${fmt(whole(alone) / budget, 1)}× what 0.5 allows: storing and deriving take ` +
      `${fmt(whole(alone) - refused(alone), 1)} ms of it in workerd (the collector's isolate, the D1 client, Miniflare's D1 simulator and the ` +
      `calls between them), against ${fmt(insert + derive, 1)} ms for the same insert and derivation on node:sqlite in this process.`,
    `Counted in CPU rather than in a loaded machine's wall time, 0.5 of the raw insert rate allows twice SQLite's own ${fmt(insert, 2)} ms: ` +
      `${fmt(cpuBudget, 1)} ms per request of ${batchSize} for everything (HTTP, JSON, validation, insert, derivation). The collector's ` +
      `derivation alone, its own code on node:sqlite with no runtime around it, takes ${fmt(derive, 1)} ms, ${fmt(derive / insert, 1)}× the insert it ` +
      (derive >= cpuBudget
        ? "follows: no collector that derives in the path (in the request or in the queue's consumer) reaches 0.5 on this machine, whatever runs it."
        : `follows, leaving ${fmt(cpuBudget - derive, 1)} ms for the rest.`),
  ];
}

/** RESULTS.md lines of the per-request floor of each side (`--compare=host`). */
function floorPart(all: Side[], sqliteRate: number): string[] {
  const budget = (2 * batchSize * 1000) / sqliteRate;
  return [
    '',
    `Before the runs, each collector's CPU per request, one client, stage by stage (${floorRounds} rounds of ${floorRequests} requests of`,
    `${batchSize} events per stage, the collectors in turn; medians of the rounds): \`GET /v1/health\`; a batch for an unknown site`,
    '(body, JSON, one D1 read, the rate limiter: 403); a batch whose events are all rejected (plus validation; nothing',
    "stored); the whole request. CPU of every process of each collector's process group, from /proc (10 ms ticks, summed",
    'over the round), split by process: under `wrangler dev`, "workerd answering the port" is its proxy worker\'s, the',
    'other workerd runs the collector and local D1; under Miniflare the one workerd does both. With the queue the whole',
    "request only enqueues: the consumer's work is in the runs' CPU per request above (which also counts the report reads).",
    '',
    '| collector | health | unknown site | all rejected | whole request | whole request: wall | health, by process | whole request, by process |',
    '| --- | ---: | ---: | ---: | ---: | ---: | --- | --- |',
    ...all.map(
      (s) =>
        `| ${s.mode} | ${fmt(
          floorMedian(s, (f) => f.health.cpuMs),
          1,
        )} ms | ${fmt(
          floorMedian(s, (f) => f.unknownSite.cpuMs),
          1,
        )} ms | ${fmt(
          floorMedian(s, (f) => f.allRejected.cpuMs),
          1,
        )} ms | ${fmt(
          floorMedian(s, (f) => f.whole.cpuMs),
          1,
        )} ms | ${fmt(
          floorMedian(s, (f) => f.whole.wallMs),
          1,
        )} ms | ${byProcess(floorByName(s, 'health'))} | ${byProcess(floorByName(s, 'whole'))} |`,
    ),
    '',
    `The same requests inserted straight into SQLite by this process: ${fmt(median(sqliteCpuMs), 2)} ms of CPU per request of ${batchSize};`,
    `the collector's own derivation of them over node:sqlite (its code bundled from \`src/derive\`, D1's API over node:sqlite):`,
    `${fmt(median(deriveCpuMs), 2)} ms. Half the SQLite rate of the runs (${fmt(sqliteRate)} events/s) leaves ${fmt(budget, 1)} ms per request of ${batchSize}.`,
    ...verdict(all, budget),
    '',
    `CPU profiles (DevTools inspector, 100 µs sampling) while one client posts ${floorRequests} fresh batches of ${batchSize} to each direct`,
    "side: the isolate's busy share of the wall time, its busy time by kind, and the top functions by self time (share of",
    'the busy time). Under Miniflare alone the inspector reaches every worker of its workerd, the local D1 simulator (`d1:db`,',
    "Miniflare's SQLite Durable Object behind the D1 binding) too.",
    '',
    '| collector | isolate | busy | by kind | top self time |',
    '| --- | --- | ---: | --- | --- |',
    ...all.flatMap((s) =>
      s.profiles.map(({ target, profile: p }) => {
        // The D1 simulator's own code is Miniflare's, not the collector's.
        const own = (name: string) =>
          target === D1_TARGET ? name.replace(/^collector code$|^worker$/, 'Miniflare') : name;
        return `| ${s.mode} | ${target} | ${fmt(p.busyShare * 100)} % | ${Object.entries(p.kinds)
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${own(k)} ${fmt(v * 100)} %`)
          .join(', ')} | ${p.top
          .slice(0, 5)
          .map((e) => `${e.name} (${own(e.where)}) ${fmt(e.share * 100)} %`)
          .join(', ')} |`;
      }),
    ),
  ];
}

const pageViews = (b: WireBatch) => b.list.filter((e) => e.type === 'page_view').length;

/**
 * Posts the batches and reads the report until it counts all their page views. A batch is visible when the report
 * counts the page views of every batch sent up to it (in send order): with batches stored out of order this errs late.
 */
async function measure(side: Side, batches: WireBatch[]) {
  const { cpuMs } = await withGroupCpu(side.group, () => sendUntilVisible(side, batches));
  side.runCpuMs.push(cpuMs / batches.length);
}

async function sendUntilVisible(side: Side, batches: WireBatch[]) {
  const before = await visibleViews(side);
  const total = batches.reduce((n, b) => n + pageViews(b), 0);
  const sends: Array<{ at: number; views: number }> = [];
  const reads: Array<{ at: number; views: number }> = [];
  let sentViews = 0;
  const started = performance.now();
  const load = postAll(side.url, batches, clients, (b, at) => {
    sentViews += pageViews(b);
    sends.push({ at, views: sentViews });
  });
  for (;;) {
    const asked = performance.now();
    const views = (await visibleViews(side)) - before;
    reads.push({ at: performance.now(), views });
    side.pollMs.push(performance.now() - asked);
    if (views >= total && sends.length === batches.length) break;
    if (performance.now() - started > VISIBLE_TIMEOUT_MS)
      throw new Error(`${side.mode}: ${views} of ${total} page views visible after ${VISIBLE_TIMEOUT_MS} ms`);
    await new Promise((resolve) => setTimeout(resolve, POLL_PAUSE_MS));
  }
  const res = await load;
  if (res.statuses['200'] !== batches.length) throw new Error(`${side.mode}: answers ${JSON.stringify(res.statuses)}`);
  const allVisible = reads.at(-1)!.at;
  side.eps.push(res.events / ((allVisible - started) / 1000));
  side.requestMs.push(...res.latencies);
  for (const s of sends) side.visibleMs.push(reads.find((r) => r.views >= s.views)!.at - s.at);
  side.sent += res.events;
}

/** Events the site stored, as its counters say (each id counted once when stored). */
async function storedCount(side: Side): Promise<number> {
  const res = await fetch(`${side.url}/v1/admin/sites/${SITE}`, {
    headers: { authorization: `Bearer ${side.adminToken}` },
  });
  return ((await res.json()) as { ingestion: { totals: { events: number } } }).ingestion.totals.events;
}

const work = mkdtempSync(join(tmpdir(), 'parcours-queue-bench-'));
const sides: Side[] = [];
const sqliteEps: number[] = [];
/** CPU ms per request of the same batches inserted straight into SQLite by this process (`--compare=host`). */
const sqliteCpuMs: number[] = [];
/** CPU ms per request of the collector's derivation of those batches over node:sqlite in this process (`--compare=host`). */
const deriveCpuMs: number[] = [];
try {
  for (const config of CONFIGS) sides.push(await start(config));
  const baselinePath = join(work, 'baseline.sqlite');
  const base = open(baselinePath);
  migrate(base, MIGRATIONS);
  // One warm-up round each, not counted.
  for (const s of sides) await postAll(s.url, makeBatches(SITE, batchSize * clients * 2, batchSize, 1), clients);
  for (const s of sides) s.sent = batchSize * clients * 2;
  if (compare === 'host')
    for (let r = 0; r < floorRounds; r++) {
      const batches = makeBatches(SITE, batchSize * floorRequests, batchSize, 500 + r);
      const cpu = process.cpuUsage();
      insertDirect(base, `${SITE}-floor-${r}`, batches);
      const used = process.cpuUsage(cpu);
      sqliteCpuMs.push((used.user + used.system) / 1000 / batches.length);
      deriveCpuMs.push((await deriveDirect(baselinePath, `${SITE}-floor-${r}`, batches)).cpuMs / batches.length);
      for (const s of r % 2 ? [...sides].reverse() : sides) {
        s.floors.push(await requestFloor(s, SITE, batches));
        s.sent += batchSize * floorRequests;
        const f = s.floors.at(-1)!;
        console.log(
          `floor ${r + 1} ${s.mode}: CPU per request health ${f.health.cpuMs.toFixed(1)}, unknown site ${f.unknownSite.cpuMs.toFixed(1)}, ` +
            `all rejected ${f.allRejected.cpuMs.toFixed(1)}, whole ${f.whole.cpuMs.toFixed(1)} ms ${JSON.stringify(f.whole.byName)}`,
        );
      }
    }
  if (compare === 'host') {
    // Where each direct side's isolates spend the time: the collector's, and under Miniflare the local D1 simulator's.
    const batches = makeBatches(SITE, batchSize * floorRequests, batchSize, 700);
    for (const s of sides.filter((side) => side.ingest === 'direct')) {
      const load = () => postAll(s.url, batches, 1);
      if (s.mode.startsWith('Miniflare')) {
        let d1: WorkerProfile | undefined;
        const worker = await profileWorker(s.inspectorPort, async () => {
          d1 = await profileWorker(s.inspectorPort, load, 10, 'd1:db');
        });
        s.profiles.push({ target: 'the collector', profile: worker }, { target: D1_TARGET, profile: d1! });
      } else s.profiles.push({ target: 'the collector', profile: await profileWorker(s.inspectorPort, load) });
      s.sent += batchSize * floorRequests;
      for (const p of s.profiles) console.log(`profile ${s.mode}, ${p.target}: ${JSON.stringify(p.profile)}`);
    }
  }
  for (let r = 0; r < runs; r++) {
    const batches = makeBatches(SITE, events, batchSize, 200 + r);
    sqliteEps.push(insertDirect(base, SITE, batches).eventsPerSecond);
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      await measure(s, batches);
      console.log(
        `run ${r + 1} ${s.mode}: ${s.eps.at(-1)!.toFixed(0)} events/s to visible, SQLite ${sqliteEps.at(-1)!.toFixed(0)}`,
      );
    }
  }
  base.close();
  for (const s of sides) {
    const stored = await storedCount(s);
    if (stored !== s.sent) throw new Error(`${s.mode}: ${stored} events stored of ${s.sent} sent`);
  }
  if (compare === 'storage') await timeReports(sides);
  const rows = sides.map((s) => ({
    mode: s.mode,
    eps: median(s.eps),
    ratio: median(s.eps) / median(sqliteEps),
    request: median(s.requestMs),
    requestP99: quantile(s.requestMs, 0.99),
    visible: median(s.visibleMs),
    visibleP99: quantile(s.visibleMs, 0.99),
    poll: median(s.pollMs),
    sent: s.sent,
    cpu: median(s.runCpuMs),
  }));
  for (const r of rows) console.log(JSON.stringify(r));
  const reportRows = TIMED_REPORTS.map(([name, query]) => {
    const label = `${name}${Object.keys(query).length ? `?${new URLSearchParams(query)}` : ''}`;
    const [a, b] = sides.map((s) => s.reportMs.get(name) ?? []);
    return { label, a: median(a!), aP95: quantile(a!, 0.95), b: median(b!), bP95: quantile(b!, 0.95) };
  });
  for (const r of reportRows) console.log(JSON.stringify(r));
  if (compare === 'storage') console.log(`answers that differed between the sides: ${differing.join(', ') || 'none'}`);
  if (args.has('write')) {
    const path = join(BENCH, 'RESULTS.md');
    const title = { storage: STORAGE_SECTION, host: HOST_SECTION, ingest: QUEUE_SECTION }[compare];
    const command = `pnpm --filter @parcours/bench exec node ingest/queue-bench.ts${compare === 'ingest' ? '' : ` --compare=${compare}`} --write`;
    const host = compare === 'host';
    const [a, b] = sides;
    const what = host
      ? [
          'to four collectors: the same worker under `wrangler dev` (its proxy worker in a second workerd in front of the',
          "user worker's, its dev middleware, `scripts/collector-process.mjs`) and under Miniflare alone (the bundle",
          '`wrangler deploy --dry-run` makes, the bindings of wrangler.jsonc, one workerd, `ingest/miniflare-collector.ts`),',
          'each storing in the request (`INGEST` "direct") and through the Queue ("queue": consumer batches of up to 100,',
          '`max_batch_timeout` 1 s, as configured),',
        ]
      : compare === 'storage'
        ? [
            `to two collectors under \`wrangler dev\`, both storing in the request, one with every site in the one D1 (\`STORAGE\``,
            `"d1") and one with each site in its SQLite Durable Object ("shards", docs/PROTOCOL.md "Storage layouts"),`,
          ]
        : [
            `to two collectors under \`wrangler dev\`, one storing in the request (\`INGEST\` "direct") and one through the Queue`,
            `("queue": the request enqueues, the consumer stores up to 100 batches at a time per site, \`max_batch_timeout\` 1 s),`,
          ];
    const reportsPart =
      compare === 'storage'
        ? [
            '',
            `Then, with the same ${fmt(a!.sent)} events stored on each side, each report read ${reads} times from each side in turn`,
            '(the order alternating), over the last 40 days; ratio: shards over one D1. Answers of both sides: ' +
              (differing.length
                ? `${differing.join(', ')} differed (the batches carry the time they were made as \`sent_at\`, so one sent over 10 s later has its event times corrected by its own delay, src/ingest/clock.ts: a visitor spanning two batches can get other durations on each side), the others were equal; src/shard/shard.test.ts finds every report equal in both layouts for one history sent at once.`
                : 'equal for every report.'),
            '',
            `| report | one D1: median | p95 | shards: median | p95 | ratio (median) |`,
            '| --- | ---: | ---: | ---: | ---: | ---: |',
            ...reportRows.map(
              (r) =>
                `| ${r.label} | ${fmt(r.a, 1)} ms | ${fmt(r.aP95, 1)} ms | ${fmt(r.b, 1)} ms | ${fmt(r.bP95, 1)} ms | ${fmt(r.b / r.a, 2)} |`,
            ),
            '',
            `Events per second to visible, shards over one D1: ${fmt(median(b!.eps) / median(a!.eps), 2)}.`,
          ]
        : [];
    const text = [
      title,
      '',
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/ingest/queue-bench.ts\` (\`${command}\`): ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}; load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')}.`,
      '',
      `The same fresh batches of ${batchSize} (generated shop journeys, as in "Ingestion throughput") posted by ${clients} clients`,
      ...what,
      `runs interleaved, ${runs} runs of ${fmt(events)} events each, and the same events inserted straight into SQLite. A run`,
      `ends when the \`timeseries\` report (weekly points) counts every page view it sent: events per second are counted to that moment, and a batch's`,
      `time to visible runs from its send until the report counts the page views of every batch sent up to it (read every`,
      `${POLL_PAUSE_MS} ms plus the report's own time: its median is under the table). Afterwards each site's stored count equals what was sent:`,
      'nothing lost, nothing stored twice.',
      '',
      `| ${{ storage: 'storage', host: 'collector', ingest: 'ingestion' }[compare]} | events/s to visible | SQLite events/s | ratio | request median | request p99 | send to visible: median | p99 | stored (with warm-up) |${host ? ' CPU per request |' : ''}`,
      `| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |${host ? ' ---: |' : ''}`,
      ...rows.map(
        (r) =>
          `| ${r.mode} | ${fmt(r.eps)} | ${fmt(median(sqliteEps))} | ${fmt(r.ratio, 2)} | ${fmt(r.request)} ms | ${fmt(r.requestP99)} ms | ${fmt(r.visible)} ms | ${fmt(r.visibleP99)} ms | ${fmt(r.sent)} |${host ? ` ${fmt(r.cpu, 1)} ms |` : ''}`,
      ),
      '',
      `One read of the report took ${rows.map((r) => `${fmt(r.poll)} ms (${r.mode})`).join(' and ')} at the median.`,
      ...reportsPart,
      ...(host ? floorPart(sides, median(sqliteEps)) : []),
      '',
    ].join('\n');
    writeSection(path, text, '## Derivation against a visitor');
    console.log(`[queue-bench] wrote its section of ${path}`);
  }
} finally {
  for (const s of sides) await s.stop();
  rmSync(work, { recursive: true, force: true });
}
