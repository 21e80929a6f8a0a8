// Ingestion of this checkout's collector against another checkout's (`--base=DIR`, e.g. a `git worktree` of main),
// side by side: the same fresh batches posted to each in turn, runs interleaved and the order alternated, so the
// shared machine's load falls on both alike. Both run under `wrangler dev` with their own fresh local D1. Besides
// events/s, the CPU time the collector's processes (wrangler dev's node and workerd) spend per request, from /proc.
// `--host=miniflare` runs both under Miniflare alone instead (miniflare-collector.ts: each checkout's deploy bundle,
// wrangler.jsonc and migrations, no wrangler proxy): CPU per request is then the collector's own, not wrangler dev's.
// Usage: pnpm --filter @parcours/bench exec node ingest/compare-ingest.ts --base=DIR [--host=miniflare] [--runs=5] [--batch=50] [--clients=8] [--events=6000] [--write]
// With --write, its section of bench/RESULTS.md ("Ingestion against a base commit") is replaced by this run's figures.
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { loadavg, tmpdir } from 'node:os';
import { fileURLToPath, pathToFileURL } from 'node:url';
import * as ours from '../../scripts/collector-process.mjs';
import { INGEST_AGAINST_BASE } from '../lib/results-md.ts';
import { writeSection } from '../lib/results-section.ts';
import { median } from '../lib/stats.ts';
import { listenerGroup, withGroupCpu } from './collector-cpu.ts';
import { postAll } from './load-client.ts';
import { bundleCollector, startMiniflareCollector } from './miniflare-collector.ts';
import { makeBatches } from './traffic.ts';

type Process = typeof ours;

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const baseDir = args.get('base');
if (!baseDir) throw new Error('--base=DIR: the checkout to compare with');
const runs = Number(args.get('runs') ?? 5);
const batchSize = Number(args.get('batch') ?? 50);
const clients = Number(args.get('clients') ?? 8);
const events = Number(args.get('events') ?? 6000);
const SITE = 'bench';
const miniflare = args.get('host') === 'miniflare';
const host = miniflare ? 'Miniflare alone' : '`wrangler dev`';
const bundles = mkdtempSync(join(tmpdir(), 'parcours-compare-'));

const base = (await import(pathToFileURL(join(baseDir, 'scripts/collector-process.mjs')).href)) as Process;

/** Starts a checkout's collector (its assets are not served here: an empty `public/` will do) with the bench site. */
async function start(p: Process) {
  mkdirSync(join(p.COLLECTOR_DIR, 'public'), { recursive: true });
  const c = miniflare
    ? await startMiniflareCollector({
        bundle: bundleCollector(join(bundles, p === ours ? 'this' : 'base'), p.COLLECTOR_DIR),
        checkout: p,
      })
    : await p.startCollector({ build: false });
  // Bot filtering off: Node's fetch is not a browser, and every event must be stored.
  await p.registerSite(c.url, c.adminToken, { id: SITE, origins: ['*'], bot_filter: false, quota: p.UNLIMITED_QUOTA });
  return c;
}

const sides = [
  { name: 'base', c: await start(base), eps: [] as number[], cpu: [] as number[] },
  { name: 'this', c: await start(ours), eps: [] as number[], cpu: [] as number[] },
].map((s) => ({ ...s, group: listenerGroup(s.c.port) }));
try {
  // One warm-up round each, not counted.
  for (const s of sides) await postAll(s.c.url, makeBatches(SITE, batchSize * clients * 2, batchSize, 1), clients);
  for (let r = 0; r < runs; r++) {
    const batches = makeBatches(SITE, events, batchSize, 100 + r);
    for (const s of r % 2 ? [...sides].reverse() : sides) {
      const { result: res, cpuMs } = await withGroupCpu(s.group, () => postAll(s.c.url, batches, clients));
      if (res.accepted !== res.events) console.log(`  ${s.name}: stored ${res.accepted} of ${res.events}`);
      s.eps.push(res.eventsPerSecond);
      s.cpu.push(cpuMs / res.requests);
      console.log(
        `run ${r + 1} ${s.name}: ${res.eventsPerSecond.toFixed(0)} events/s, ${(cpuMs / res.requests).toFixed(1)} ms CPU per request`,
      );
    }
  }
  const [b, t] = sides.map((s) => median(s.eps)) as [number, number];
  const [bCpu, tCpu] = sides.map((s) => median(s.cpu)) as [number, number];
  console.log(
    `batch ${batchSize} x ${clients} clients, ${runs} runs of ${events} events: base ${b.toFixed(0)} events/s, ` +
      `this ${t.toFixed(0)} events/s, ratio ${(t / b).toFixed(2)}; collector CPU per request: base ${bCpu.toFixed(1)} ms, ` +
      `this ${tCpu.toFixed(1)} ms, ratio ${(tCpu / bCpu).toFixed(2)}`,
  );
  if (args.has('write')) {
    const commit = (dir: string) =>
      execFileSync('git', ['-C', dir, 'rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
    const row = (name: string, s: (typeof sides)[0]) =>
      `| ${name} | ${median(s.eps).toFixed(0)} | ${median(s.cpu).toFixed(1)} ms | ${s.cpu.map((c) => c.toFixed(1)).join(', ')} |`;
    const text = [
      INGEST_AGAINST_BASE,
      '',
      `Measured ${new Date().toISOString().slice(0, 16).replace('T', ' ')} UTC by \`bench/ingest/compare-ingest.ts --base=DIR\`; load average at the end ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' / ')}.`,
      '',
      `Two collectors under ${host}, each with its own fresh local D1: the base commit's and this checkout's. The same`,
      `fresh batches of ${batchSize} events (generated shop journeys) posted to each by ${clients} clients, ${runs} runs of ${events} events, runs`,
      "interleaved and the order alternated. CPU time of each collector's processes",
      `(${miniflare ? "Miniflare's node and its workerd" : "wrangler dev's node and workerd"}, from /proc) over the run, divided by its requests.`,
      '',
      '| collector | events/s: median | CPU per request: median | CPU per request, each run |',
      '| --- | ---: | ---: | --- |',
      row(`base (${commit(baseDir!)})`, sides[0]!),
      row(`this checkout (${commit(fileURLToPath(new URL('../..', import.meta.url)))})`, sides[1]!),
      '',
      `This checkout over the base: events/s ${(t / b).toFixed(2)}×, CPU per request ${(tCpu / bCpu).toFixed(2)}×.`,
    ].join('\n');
    const results = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
    writeSection(results, text, '## Report latency');
  }
} finally {
  for (const s of sides) await s.c.stop();
  rmSync(bundles, { recursive: true, force: true });
}
