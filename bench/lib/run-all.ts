// `pnpm bench`: every benchmark in one run, side by side, into RESULTS.md; `--smoke`: a quick pass of each for CI.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { registerSite, startCollector, buildAssets, UNLIMITED_QUOTA } from '../../scripts/collector-process.mjs';
import { runBrowserBench, type BrowserRun } from '../browser/main-thread-bench.ts';
import { BASELINE_BUNDLE, type BrowserTrackerId } from '../browser/pages.ts';
import type { ProfileEntry } from '../browser/profile.ts';
import { runIngestBench, type IngestResults } from '../ingest/ingest-bench.ts';
import { SDK_BUNDLE } from '../size/peers.ts';
import { PARTS, runCostBench, type CostRow } from '../size/guarantees.ts';
import { runSizeBench } from '../size/size-bench.ts';
import { describeMachine } from './machine.ts';
import { renderResults, summarizeBrowser, type AllResults } from './results-md.ts';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
const ROOT = join(BENCH, '..');

interface RunOptions {
  smoke: boolean;
  /** Benchmarks to run: size, browser, ingest, derive, load, reports (default all). */
  only: Set<string>;
  browserRuns: number;
  ingestRuns: number;
  events: number;
}

/** Reads `--smoke`, `--only=a,b`, `--runs=N` (browser and ingestion rounds), `--events=N` (track() calls per round). */
function parseArgs(argv: string[]): RunOptions {
  const args = new Map(argv.map((a) => a.replace(/^--/, '').split('=') as [string, string | undefined]));
  const smoke = args.has('smoke');
  const runs = args.get('runs') ? Number(args.get('runs')) : undefined;
  return {
    smoke,
    only: new Set((args.get('only') ?? 'size,browser,ingest,derive,load,reports').split(',')),
    browserRuns: runs ?? (smoke ? 1 : 3),
    ingestRuns: runs ?? (smoke ? 1 : 3),
    events: Number(args.get('events') ?? (smoke ? 100 : 1000)),
  };
}

function log(s: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${s}`);
}

function pnpm(args: string[], cwd = ROOT): number {
  const r = spawnSync('pnpm', args, {
    cwd,
    stdio: 'inherit',
    env: { ...process.env, WRANGLER_SEND_METRICS: 'false', CLOUDFLARE_CF_FETCH_ENABLED: 'false' },
  });
  return r.status ?? 1;
}

/** Runs the benchmarks; in smoke mode, checks each produced figures and returns the failures. */
export async function main(argv: string[]): Promise<number> {
  const opts = parseArgs(argv);
  const started = Date.now();
  const failures: string[] = [];
  const machine = describeMachine();
  log(
    `${opts.smoke ? 'smoke' : 'full run'}: ${machine.cores} × ${machine.cpu}, load ${machine.load.toFixed(1)}, Node ${machine.node}, ${machine.chromium}`,
  );

  // The script as it is now (CI has just built it; a full run rebuilds it so the figures are of the current source).
  if (!opts.smoke || !existsSync(SDK_BUNDLE)) {
    // The SDK's build also checks its size budget: over budget still leaves the script to measure here.
    if (pnpm(['--filter', '@parcours/sdk', 'run', 'build']) !== 0)
      log('the sdk build reported a failure (see above); measuring dist/parcours.js as it is');
    if (!existsSync(SDK_BUNDLE)) failures.push('sdk build failed: no dist/parcours.js');
  }

  const sizes = opts.only.has('size') ? await runSizeBench(log) : [];
  if (opts.only.has('size') && !sizes.every((s) => Number.isFinite(s.gzip)))
    failures.push('size: a script could not be measured');
  let costs: CostRow[] = [];
  if (opts.only.has('size')) {
    try {
      costs = await runCostBench(log);
      if (costs.length !== PARTS.length + 1 || !costs.every((c) => c.core > 0 && c.full > c.core))
        failures.push("size: the cost of the core's parts was not measured");
    } catch (e) {
      failures.push(`size: ${(e as Error).message}`);
    }
  }

  let browser: BrowserRun[] = [];
  let profile: ProfileEntry[] = [];
  let ingest: IngestResults | undefined;
  if (opts.only.has('browser') || opts.only.has('ingest')) {
    if (!existsSync(join(ROOT, 'packages', 'collector', 'public'))) buildAssets();
    const collector = await startCollector({ build: false });
    try {
      if (opts.only.has('browser')) {
        let n = 0;
        const trackers: BrowserTrackerId[] = ['none', 'parcours', 'plausible', 'posthog'];
        // Our tag as it was (PARCOURS_BASELINE), right after the current one in each round: a change's effect, side by side.
        if (BASELINE_BUNDLE) trackers.splice(2, 0, 'parcours-baseline');
        const r = await runBrowserBench({
          trackers,
          events: opts.events,
          runs: opts.browserRuns,
          profileCalls: opts.smoke ? 0 : 300,
          log,
          collector: {
            url: collector.url,
            register: async (origin) => {
              const id = `bench-browser-${++n}`;
              await registerSite(collector.url, collector.adminToken, {
                id,
                origins: [origin],
                bot_filter: false,
                quota: UNLIMITED_QUOTA,
              });
              return id;
            },
          },
        });
        browser = r.runs;
        profile = r.profile;
        for (const t of trackers) {
          const runs = browser.filter((b) => b.tracker === t);
          if (!runs.length) failures.push(`browser: ${t} did not run`);
          else if (t !== 'none' && runs.some((b) => b.eventsDelivered === 0))
            failures.push(`browser: ${t} delivered no event`);
        }
        const ours = browser.filter((b) => b.tracker === 'parcours');
        if (ours.some((b) => b.eventsDelivered < b.events)) failures.push('browser: Parcours lost events');
      }
      if (opts.only.has('ingest')) {
        ingest = await runIngestBench({
          smoke: opts.smoke,
          runs: opts.ingestRuns,
          requestsPerRun: opts.smoke ? 16 : 48,
          log,
          collector,
        });
        for (const row of [...ingest.sweep, ...ingest.levels]) {
          if (!(row.collectorEps > 0 && row.sqliteEps > 0))
            failures.push(`ingest: batch ${row.batchSize} measured nothing`);
        }
      }
    } catch (e) {
      failures.push(`browser/ingest: ${(e as Error).message}`);
    } finally {
      await collector.stop();
    }
  }

  const all: AllResults = {
    machine,
    smoke: opts.smoke,
    minutes: (Date.now() - started) / 60_000,
    sizes,
    costs,
    browser,
    browserRuns: opts.browserRuns,
    profile,
    ingest,
    ingestRuns: opts.ingestRuns,
  };
  mkdirSync(join(BENCH, 'out'), { recursive: true });
  writeFileSync(join(BENCH, 'out', opts.smoke ? 'smoke.json' : 'latest.json'), JSON.stringify(all, null, 2));
  if (!opts.smoke && ['size', 'browser', 'ingest'].every((b) => opts.only.has(b))) {
    writeFileSync(join(BENCH, 'RESULTS.md'), renderResults(all, join(BENCH, 'RESULTS.md')));
    log('wrote bench/RESULTS.md');
  }
  if (opts.only.has('derive')) {
    // Derivation against one visitor's history, before and after incremental derivation: its own section of RESULTS.md.
    log('derive: bench/ingest/derive-history.ts');
    if (pnpm(['exec', 'node', 'ingest/derive-history.ts', ...(opts.smoke ? ['--smoke'] : [])], BENCH) !== 0)
      failures.push('derive-history bench failed');
  }
  if (opts.only.has('load')) {
    // Simulated browsers, direct and queued, with a consumer crash and a restart: its own section of RESULTS.md.
    log('load: bench/load/load-run.ts');
    if (pnpm(['exec', 'node', 'load/load-run.ts', opts.smoke ? '--smoke' : '--write'], BENCH) !== 0)
      failures.push('load run failed');
  }
  if (opts.only.has('reports')) {
    // The report-latency bench is its own script (bench/reports/report-bench.mjs), run last: a full run lets it replace its own
    // section of the RESULTS.md just written (the other sections stay).
    log('reports: bench/reports/report-bench.mjs');
    if (pnpm(['exec', 'node', 'reports/report-bench.mjs', ...(opts.smoke ? ['--smoke'] : [])], BENCH) !== 0)
      failures.push('reports bench failed');
  }

  for (const s of summarizeBrowser(browser).filter((x) => x.tracker !== 'none')) {
    log(
      `summary ${s.tracker}: track() median ${s.callMedianMs.toFixed(4)} ms, ${s.requests.toFixed(0)} requests / 1,000 events, ${s.requestBytes.toFixed(0)} B up`,
    );
  }
  log(
    `done in ${((Date.now() - started) / 1000).toFixed(0)} s${failures.length ? `; FAILED: ${failures.join('; ')}` : ''}`,
  );
  return failures.length ? 1 : 0;
}
