// Queued against direct ingestion, side by side in one run: the same fresh batches posted to a collector with
// INGEST "direct" and one with INGEST "queue" (each under `wrangler dev` with its own local D1), runs interleaved and the
// order alternated, and the same events inserted straight into SQLite as the physical limit. Measured from the
// sender's side: events per second until the dashboard's report counts every page view, and the time from a batch's
// send until the report counts it. Nothing lost, nothing stored twice: the site's stored count is checked at the end.
// `--compare=storage` compares the storage layouts the same way instead: STORAGE "d1" (every site in the one D1)
// against "shards" (each site in its SQLite Durable Object), both ingesting directly, and then the latency of reports
// read from each (section "Storage layouts").
// Usage: pnpm --filter @parcours/bench exec node ingest/queue-bench.ts [--compare=ingest|storage] [--runs=3]
//   [--events=6000] [--batch=50] [--clients=8] [--reads=40] [--write] (--write puts its section in bench/RESULTS.md)
import { mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerSite, startCollector, UNLIMITED_QUOTA } from '../../scripts/collector-process.mjs';
import { writeSection } from '../lib/results-section.ts';
import { fmt, median, quantile } from '../lib/stats.ts';
import { postAll } from './load-client.ts';
import { insertDirect, migrate, open } from './sqlite-direct.ts';
import { makeBatches, type WireBatch } from './traffic.ts';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
const MIGRATIONS = join(BENCH, '..', 'packages', 'collector', 'migrations');
const QUEUE_SECTION = '## Queued ingestion';
const STORAGE_SECTION = '## Storage layouts';
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
const compare = args.get('compare') === 'storage' ? 'storage' : 'ingest';

/** A collector of the comparison: its name in the table, its INGEST and its other vars. */
interface Config {
  mode: string;
  ingest: 'direct' | 'queue';
  vars?: Record<string, string>;
}

const CONFIGS: Config[] =
  compare === 'storage'
    ? [
        { mode: 'one D1', ingest: 'direct', vars: { STORAGE: 'd1' } },
        { mode: 'shards', ingest: 'direct', vars: { STORAGE: 'shards' } },
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
  url: string;
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
}

async function start({ mode, ingest, vars }: Config): Promise<Side> {
  const c = await startCollector({ build: false, ingest, vars });
  // Bot filtering off: Node's fetch is not a browser, and every event must be stored.
  const token = await registerSite(c.url, c.adminToken, {
    id: SITE,
    origins: ['*'],
    bot_filter: false,
    quota: UNLIMITED_QUOTA,
  });
  if (!token) throw new Error(`${mode}: site ${SITE} exists already`);
  return { mode, ...c, token, eps: [], requestMs: [], visibleMs: [], pollMs: [], sent: 0, reportMs: new Map() };
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

const pageViews = (b: WireBatch) => b.list.filter((e) => e.type === 'page_view').length;

/**
 * Posts the batches and reads the report until it counts all their page views. A batch is visible when the report
 * counts the page views of every batch sent up to it (in send order): with batches stored out of order this errs late.
 */
async function measure(side: Side, batches: WireBatch[]) {
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
try {
  for (const config of CONFIGS) sides.push(await start(config));
  const base = open(join(work, 'baseline.sqlite'));
  migrate(base, MIGRATIONS);
  // One warm-up round each, not counted.
  for (const s of sides) await postAll(s.url, makeBatches(SITE, batchSize * clients * 2, batchSize, 1), clients);
  for (const s of sides) s.sent = batchSize * clients * 2;
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
    const title = compare === 'storage' ? STORAGE_SECTION : QUEUE_SECTION;
    const command = `pnpm --filter @parcours/bench exec node ingest/queue-bench.ts${compare === 'storage' ? ' --compare=storage' : ''} --write`;
    const [a, b] = sides;
    const what =
      compare === 'storage'
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
      `| ${compare === 'storage' ? 'storage' : 'ingestion'} | events/s to visible | SQLite events/s | ratio | request median | request p99 | send to visible: median | p99 | stored (with warm-up) |`,
      '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...rows.map(
        (r) =>
          `| ${r.mode} | ${fmt(r.eps)} | ${fmt(median(sqliteEps))} | ${fmt(r.ratio, 2)} | ${fmt(r.request)} ms | ${fmt(r.requestP99)} ms | ${fmt(r.visible)} ms | ${fmt(r.visibleP99)} ms | ${fmt(r.sent)} |`,
      ),
      '',
      `One read of the report took ${rows.map((r) => `${fmt(r.poll)} ms (${r.mode})`).join(' and ')} at the median.`,
      ...reportsPart,
      '',
    ].join('\n');
    writeSection(path, text, '## Derivation against a visitor');
    console.log(`[queue-bench] wrote its section of ${path}`);
  }
} finally {
  for (const s of sides) await s.stop();
  rmSync(work, { recursive: true, force: true });
}
