// Ingestion throughput through the real collector under wrangler dev, against the same rows inserted straight into SQLite.
import { copyFileSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  migrate as migrateD1,
  registerSite,
  startCollector,
  UNLIMITED_QUOTA,
  type RunningCollector,
} from '../../scripts/collector-process.mjs';
import { median, quantile } from '../lib/stats.ts';
import { deriveDirect } from './derive-direct.ts';
import { postAll } from './load-client.ts';
import { requestFloor } from './request-floor.ts';
import { countEvents, insertDirect, migrate, open, prefill } from './sqlite-direct.ts';
import { makeBatches, type WireBatch } from './traffic.ts';
import { profileWorker, type WorkerProfile } from './worker-profile.ts';

const MIGRATIONS = fileURLToPath(new URL('../../packages/collector/migrations', import.meta.url));
const SITE = 'bench';

interface IngestConfig {
  batchSize: number;
  clients: number;
}

export interface IngestRow extends IngestConfig {
  /** Events stored before the runs of this row began. */
  stored: number;
  runs: number;
  eventsPerRun: number;
  collectorEps: number;
  sqliteEps: number;
  ratio: number;
  /** Median request latency (ms) and its p95, over all runs. */
  latencyMs: number;
  latencyP95Ms: number;
  /** Status codes seen (besides 200), e.g. 429. */
  other: Record<string, number>;
}

interface StageCost {
  batchSize: number;
  /**
   * Mean ms per request, one client: `GET /v1/health` (the runtime's HTTP path alone); a batch for an unknown site
   * (+ body, JSON, one D1 read, the rate limiter); a batch whose events are all rejected (+ validation and the
   * counters' D1 write); the whole request; then in this process: SQLite insert alone, derivation alone.
   */
  healthMs: number;
  unknownSiteMs: number;
  wholeMs: number;
  noStoreMs: number;
  insertMs: number;
  deriveMs: number;
  /**
   * The same, as CPU milliseconds per request: the collector's processes (workerd, wrangler dev) read from /proc
   * for the first four (NaN where unknown), this process for the last two. The machine's load moves these far less.
   */
  cpu?: {
    healthMs: number;
    unknownSiteMs: number;
    noStoreMs: number;
    wholeMs: number;
    insertMs: number;
    deriveMs: number;
  };
}

export interface IngestResults {
  sweep: IngestRow[];
  levels: IngestRow[];
  stages: StageCost[];
  /** The worker's CPU profile while one client posts batches of 50. */
  workerProfile?: WorkerProfile;
}

export interface IngestOptions {
  smoke: boolean;
  runs: number;
  /** Requests per run: each run posts `batchSize × requestsPerRun` fresh events (12,000 at most). */
  requestsPerRun: number;
  log(s: string): void;
  /** A collector already running (the browser bench's), for the sweep; else one is started. */
  collector?: RunningCollector;
}

/** The D1 SQLite file wrangler keeps under `--persist-to`. */
function d1File(persistDir: string): string {
  const dir = join(persistDir, 'v3', 'd1', 'miniflare-D1DatabaseObject');
  const f = readdirSync(dir).find((n) => n.endsWith('.sqlite') && n !== 'metadata.sqlite');
  if (!f) throw new Error(`no D1 file under ${dir}`);
  return join(dir, f);
}

async function register(c: RunningCollector, id: string): Promise<void> {
  // Bot filtering off: Node's fetch is not a browser, and every event must be stored.
  await registerSite(c.url, c.adminToken, { id, origins: ['*'], bot_filter: false, quota: UNLIMITED_QUOTA });
}

let seedCounter = 1000;

/** Events of one run: `requestsPerRun` batches, at most 12,000 events (large batches need fewer requests to measure). */
function eventsPerRun(cfg: IngestConfig, opts: IngestOptions): number {
  return Math.min(cfg.batchSize * opts.requestsPerRun, Math.max(12_000, cfg.batchSize * cfg.clients * 2));
}

/** Runs one configuration `runs` times: the SQLite baseline on `baselineDb`, the collector at `url`, the same events each. */
async function measure(
  cfg: IngestConfig,
  opts: IngestOptions,
  stored: number,
  baseline: (batches: WireBatch[]) => number,
  post: (batches: WireBatch[]) => ReturnType<typeof postAll>,
): Promise<IngestRow> {
  const col: number[] = [];
  const sql: number[] = [];
  const lat: number[] = [];
  const other: Record<string, number> = {};
  for (let r = 0; r < opts.runs; r++) {
    const batches = makeBatches(SITE, eventsPerRun(cfg, opts), cfg.batchSize, seedCounter++);
    sql.push(baseline(batches));
    const res = await post(batches);
    col.push(res.eventsPerSecond);
    lat.push(...res.latencies);
    for (const [k, v] of Object.entries(res.statuses)) if (k !== '200') other[k] = (other[k] ?? 0) + v;
    if (res.accepted !== res.events)
      opts.log(`  warning: collector stored ${res.accepted} of ${res.events} events (${JSON.stringify(res.statuses)})`);
  }
  const row: IngestRow = {
    ...cfg,
    stored,
    runs: opts.runs,
    eventsPerRun: eventsPerRun(cfg, opts),
    collectorEps: median(col),
    sqliteEps: median(sql),
    ratio: median(col) / median(sql),
    latencyMs: median(lat),
    latencyP95Ms: quantile(lat, 0.95),
    other,
  };
  opts.log(
    `ingest batch ${cfg.batchSize} x ${cfg.clients} clients, ${stored} stored: collector ${row.collectorEps.toFixed(0)} ev/s, ` +
      `SQLite ${row.sqliteEps.toFixed(0)} ev/s, ratio ${row.ratio.toFixed(2)}, latency ${row.latencyMs.toFixed(0)} ms` +
      (Object.keys(other).length ? `, other statuses ${JSON.stringify(other)}` : ''),
  );
  return row;
}

/**
 * Batch-size and client sweep (a fresh collector and a fresh SQLite file growing alike), then the
 * same load with 10k, 100k and 1M events already stored (the D1 file pre-filled directly while the
 * collector is stopped; the baseline runs on a copy of it), then the cost of each ingestion stage.
 */
export async function runIngestBench(opts: IngestOptions): Promise<IngestResults> {
  const work = mkdtempSync(join(tmpdir(), 'parcours-bench-ingest-'));
  const results: IngestResults = { sweep: [], levels: [], stages: [] };
  const sweepConfigs: IngestConfig[] = opts.smoke
    ? [{ batchSize: 50, clients: 4 }]
    : [
        { batchSize: 10, clients: 8 },
        { batchSize: 50, clients: 8 },
        { batchSize: 200, clients: 8 },
        { batchSize: 500, clients: 8 },
        { batchSize: 50, clients: 1 },
        { batchSize: 50, clients: 32 },
      ];
  const levels = opts.smoke ? [2_000] : [10_000, 100_000, 1_000_000];
  const levelConfig: IngestConfig = { batchSize: 50, clients: 8 };

  try {
    // 1. Sweep: both sides start empty and grow the same way.
    const ownCollector = !opts.collector;
    const c = opts.collector ?? (await startCollector({ build: false }));
    try {
      await register(c, SITE);
      const base = open(join(work, 'sweep.sqlite'));
      migrate(base, MIGRATIONS);
      for (const cfg of sweepConfigs) {
        results.sweep.push(
          await measure(
            cfg,
            opts,
            countEvents(base),
            (b) => insertDirect(base, SITE, b).eventsPerSecond,
            (b) => postAll(c.url, b, cfg.clients),
          ),
        );
      }
      // 2. What each stage costs, per batch of the sizes measured.
      for (const batchSize of opts.smoke ? [50] : [10, 50, 500])
        results.stages.push(await stageCosts(c, base, join(work, 'sweep.sqlite'), batchSize, opts));
      // 3. Where the worker's own time goes, from its CPU profile (DevTools inspector of wrangler dev).
      try {
        const batches = makeBatches(SITE, 50 * (opts.smoke ? 8 : 40), 50, seedCounter++);
        results.workerProfile = await profileWorker(c.inspectorPort, () => postAll(c.url, batches, 1));
        const p = results.workerProfile;
        opts.log(
          `ingest worker profile: busy ${(p.busyShare * 100).toFixed(0)} % of ${p.wallMs.toFixed(0)} ms; top ${p.top
            .slice(0, 3)
            .map((e) => `${e.name} ${e.selfMs.toFixed(0)} ms`)
            .join(', ')}`,
        );
      } catch (e) {
        opts.log(`ingest worker profile: not taken (${(e as Error).message})`);
      }
      base.close();
    } finally {
      if (ownCollector) await c.stop();
    }

    // 4. Stored levels: a fresh migrated D1 file, filled directly while no collector runs, then served by one.
    const persistDir = join(work, 'd1');
    migrateD1(persistDir);
    const file = d1File(persistDir);
    let registered = false;
    for (const level of levels) {
      const db = open(file);
      const t = performance.now();
      const added = prefill(db, SITE, level, 7 + level);
      const stored = countEvents(db);
      db.close();
      opts.log(
        `ingest prefill: +${added} events in ${((performance.now() - t) / 1000).toFixed(1)} s, ${stored} stored`,
      );
      const copy = join(work, 'level-copy.sqlite');
      copyFileSync(file, copy);
      for (const ext of ['-wal', '-shm']) if (existsSync(file + ext)) copyFileSync(file + ext, copy + ext);
      const base = open(copy);
      const collector = await startCollector({ build: false, persistDir });
      try {
        if (!registered) await register(collector, SITE);
        registered = true;
        results.levels.push(
          await measure(
            levelConfig,
            opts,
            stored,
            (b) => insertDirect(base, SITE, b).eventsPerSecond,
            (b) => postAll(collector.url, b, levelConfig.clients),
          ),
        );
      } finally {
        await collector.stop();
        base.close();
        for (const ext of ['', '-wal', '-shm']) rmSync(copy + ext, { force: true });
      }
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return results;
}

/** Per-batch cost of each stage, sequentially (one client): whole request, request without storage, insert alone, derive alone. */
async function stageCosts(
  c: RunningCollector,
  base: ReturnType<typeof open>,
  basePath: string,
  batchSize: number,
  opts: IngestOptions,
): Promise<StageCost> {
  const n = batchSize * (opts.smoke ? 4 : 20);
  const batches = makeBatches(SITE, n, batchSize, seedCounter++);
  const count = batches.length;
  const floor = await requestFloor(c, SITE, batches);
  const baseSite = `${SITE}-stages-${batchSize}`;
  const cpu = process.cpuUsage();
  const insert = insertDirect(base, baseSite, batches);
  const insertCpu = process.cpuUsage(cpu);
  const derive = await deriveDirect(basePath, baseSite, batches);
  const row: StageCost = {
    batchSize,
    healthMs: floor.health.wallMs,
    unknownSiteMs: floor.unknownSite.wallMs,
    wholeMs: floor.whole.wallMs,
    noStoreMs: floor.allRejected.wallMs,
    insertMs: (insert.seconds * 1000) / count,
    deriveMs: (derive.seconds * 1000) / count,
    cpu: {
      healthMs: floor.health.cpuMs,
      unknownSiteMs: floor.unknownSite.cpuMs,
      noStoreMs: floor.allRejected.cpuMs,
      wholeMs: floor.whole.cpuMs,
      insertMs: (insertCpu.user + insertCpu.system) / 1000 / count,
      deriveMs: derive.cpuMs / count,
    },
  };
  opts.log(
    `ingest stages, batch ${batchSize}: health ${row.healthMs.toFixed(1)} ms, unknown site ${row.unknownSiteMs.toFixed(1)} ms, ` +
      `whole ${row.wholeMs.toFixed(1)} ms, without storage ${row.noStoreMs.toFixed(1)} ms, ` +
      `insert ${row.insertMs.toFixed(1)} ms, derive ${row.deriveMs.toFixed(1)} ms per batch; ` +
      `CPU: health ${row.cpu!.healthMs.toFixed(1)}, unknown ${row.cpu!.unknownSiteMs.toFixed(1)}, without storage ${row.cpu!.noStoreMs.toFixed(1)}, ` +
      `whole ${row.cpu!.wholeMs.toFixed(1)}, insert ${row.cpu!.insertMs.toFixed(1)}, derive ${row.cpu!.deriveMs.toFixed(1)} ms`,
  );
  return row;
}
