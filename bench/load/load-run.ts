// The load run: simulated browsers (bench/load/browsers.ts) against one site and against 100 sites at once, each
// against a collector storing in the request (INGEST "direct") and one storing through the Queue ("queue") in the
// same run, every phase bounded in time, on a fresh collector under `wrangler dev`. The queue phases crash their
// consumer a few times mid-run (FAULT_CONSUMER_CRASHES, docs/PROTOCOL.md); one queue phase stores into SQLite Durable
// Object shards (STORAGE "shards") and also resets its shard a few times mid-run (FAULT_SHARD_RESTARTS); a last phase restarts the whole
// `wrangler dev` of a queue collector mid-run. Everything sent is read back through the export: lost and stored
// twice must be 0 (the restart phase reports what the local queue kept instead of failing).
// Usage: pnpm --filter @parcours/bench exec node load/load-run.ts [--seconds=25] [--browsers=16] [--crashes=3]
//   [--crash-after=5] [--sites=1,100] [--no-restart] [--smoke] [--write] (--write puts its section in bench/RESULTS.md)
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  buildAssets,
  COLLECTOR_DIR,
  freePort,
  type RunningCollector,
  type StartOptions,
  startCollector,
} from '../../scripts/collector-process.mjs';
import { postBody } from '../ingest/load-client.ts';
import { makeBatches } from '../ingest/traffic.ts';
import { shopJourneys } from '../lib/shop-traffic.ts';
import { writeSection } from '../lib/results-section.ts';
import { fmt, median, quantile } from '../lib/stats.ts';
import { type BrowsersResult, runBrowsers, TAG_BATCH, type Visit } from './browsers.ts';
import { countedEvents, createExportTail, exportedIds, registerLoadSite } from './read-back.ts';

const BENCH = fileURLToPath(new URL('..', import.meta.url));
/** Its section of RESULTS.md (kept by lib/results-md.ts when `pnpm bench` rewrites the rest). */
const LOAD_SECTION = '## Load run';
/** Sites whose export is followed during a phase, for the time from send to visible. */
const TAILED_SITES = 4;
/** After the browsers stop, the longest wait for every offered event to be stored. */
const STORED_TIMEOUT_MS = 180_000;
/** In the restart phase, stop waiting once the stored count has not moved for this long (lost events never come). */
const SETTLED_MS = 15_000;

type Mode = 'direct' | 'queue';

interface Phase {
  sites: number;
  mode: Mode;
  /** Restart `wrangler dev` half-way through the sending time. */
  restart: boolean;
  /** Each site in its SQLite Durable Object (STORAGE "shards"), with shard restarts injected (FAULT_SHARD_RESTARTS). */
  shards?: boolean;
}

interface PhaseResult extends Phase {
  browsers: number;
  seconds: number;
  offered: number;
  stored: number;
  lost: number;
  storedTwice: number;
  /** Events the ingestion counters count beyond the distinct events stored (counted twice). */
  countedTwice: number;
  eventsPerSecond: number;
  visibleMedianMs: number;
  visibleP99Ms: number;
  visibleSamples: number;
  resends: Record<string, number>;
  refused: number;
  unsent: number;
  /** The machine's 1-minute load average when the phase ended (the machine is shared). */
  machineLoad: number;
  /** Queue messages the consumer was given more than once (after a crash). */
  redelivered: number;
  /** Seconds into the phase at which the consumer crashed on purpose. */
  crashesAt: number[];
  /** Seconds into the phase at which a shard was reset on purpose. */
  shardRestartsAt: number[];
  /** The restart: when it began and how long until the collector answered again (s); events acknowledged before. */
  restartAt?: number;
  restartSeconds?: number;
  /** How long stopping took (SIGTERM until the port was free). */
  restartStopMs?: number;
  acknowledgedBeforeRestart?: number;
}

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string | undefined]));
const smoke = args.has('smoke');
const seconds = Number(args.get('seconds') ?? (smoke ? 3 : 25));
const browsers = Number(args.get('browsers') ?? (smoke ? 4 : 16));
const crashes = Number(args.get('crashes') ?? (smoke ? 1 : 3));
/** Deliveries the consumer takes before the injected crashes: mid-run at the default load. */
const crashAfter = Number(args.get('crash-after') ?? (smoke ? 0 : 5));
const withRestart = !smoke && !args.has('no-restart');
/**
 * Shard writes before the injected restarts. The smoke's 3 s of 4 browsers make only a few consumer writes on a loaded
 * machine (one smoke saw 2), so it restarts after the first; a full run after a few, clear of the consumer's crashes.
 */
const shardRestartAfter = smoke ? 1 : crashAfter + 2;
/** The phases' numbers of sites: one site, and many at once (the smoke takes one site only, in both modes). */
const siteCounts = (args.get('sites') ?? (smoke ? '1' : '1,100')).split(',').map(Number);

const ANSI_COLOUR = new RegExp(`${String.fromCharCode(27)}\\[[0-9;]*m`, 'g');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const siteId = (sites: number, i: number) => `load-${sites}-${i}`;

/** Endless seeded shop visitors, spread over the sites in turn. */
function* visitsOf(sites: number, seed: number): Generator<Visit> {
  let n = 0;
  for (const journey of shopJourneys(Number.MAX_SAFE_INTEGER, seed, Date.now()))
    yield { site: siteId(sites, n++ % sites), journey };
}

async function runPhase(phase: Phase, seed: number, log: (s: string) => void): Promise<PhaseResult> {
  /** Each injected crash (by its number) and when wrangler first logged it, seconds from the first send. */
  const crashTimes = new Map<string, number>();
  const shardRestartTimes = new Map<string, number>();
  /** Messages the local queue delivered to the consumer, first deliveries and redeliveries. */
  let delivered = 0;
  let t0 = performance.now();
  const options = await restartableOptions(phase.mode, {
    vars: {
      ...(phase.mode === 'queue' && !phase.restart && crashes > 0
        ? { FAULT_CONSUMER_CRASHES: String(crashes), FAULT_CONSUMER_CRASH_AFTER: String(crashAfter) }
        : {}),
      ...(phase.shards
        ? {
            STORAGE: 'shards',
            FAULT_SHARD_RESTARTS: String(crashes),
            FAULT_SHARD_RESTART_AFTER: String(shardRestartAfter),
          }
        : {}),
    },
    log: (line: string) => {
      const crash = /injected consumer crash (\d+)/.exec(line)?.[1];
      if (crash && !crashTimes.has(crash)) crashTimes.set(crash, (performance.now() - t0) / 1000);
      const shardRestart = /injected shard restart (\d+)/.exec(line)?.[1];
      if (shardRestart && !shardRestartTimes.has(shardRestart))
        shardRestartTimes.set(shardRestart, (performance.now() - t0) / 1000);
      // Miniflare logs each delivery as `QUEUE parcours-events acked/delivered (ms)`.
      const delivery = /QUEUE parcours-events (\d+)\/(\d+)/.exec(line.replace(ANSI_COLOUR, ''));
      if (delivery) delivered += Number(delivery[2]);
    },
  });
  let collector: RunningCollector = await startCollector(options);
  try {
    const { url, adminToken } = collector;
    const sites = Array.from({ length: phase.sites }, (_, i) => siteId(phase.sites, i));
    const tokens = new Map<string, string>();
    for (const site of sites) tokens.set(site, await registerLoadSite(url, adminToken, site));
    const tails = sites.slice(0, TAILED_SITES).map((s) => createExportTail(url, s, tokens.get(s)!));
    let tailing = true;
    const tailLoop = (async () => {
      while (tailing) {
        // A restarting collector does not answer for a few seconds: the tail reads again afterwards.
        for (const tail of tails) await tail.poll().catch(() => undefined);
        await sleep(100);
      }
    })();

    t0 = performance.now();
    let restart: Promise<void> = Promise.resolve();
    let restartAt: number | undefined;
    let restartSeconds: number | undefined;
    let restartStopMs: number | undefined;
    const sending = runBrowsers({ url, browsers, seconds, visits: visitsOf(phase.sites, seed) });
    let acknowledgedBeforeRestart: number | undefined;
    if (phase.restart) {
      restart = sleep((seconds * 1000) / 2).then(async () => {
        restartAt = (performance.now() - t0) / 1000;
        log(`${label(phase)}: restarting wrangler dev at ${fmt(restartAt, 1)} s`);
        await collector.stop();
        restartStopMs = performance.now() - t0 - restartAt * 1000;
        collector = await startCollector(options);
        restartSeconds = (performance.now() - t0) / 1000 - restartAt;
      });
    }
    const sent: BrowsersResult = await sending;
    await restart;
    if (phase.restart && restartAt !== undefined)
      acknowledgedBeforeRestart = sent.batches
        .filter((b) => b.answeredAt - t0 < restartAt! * 1000)
        .reduce((n, b) => n + b.ids.length, 0);

    // Stored: every site's counters reach what it was offered (the restart phase: until they stop moving).
    const offeredBySite = new Map<string, number>();
    for (const b of sent.batches) offeredBySite.set(b.site, (offeredBySite.get(b.site) ?? 0) + b.ids.length);
    const waiting = new Set(offeredBySite.keys());
    let storedAt = performance.now();
    let lastCount = -1;
    let movedAt = performance.now();
    while (waiting.size) {
      let count = 0;
      for (const site of [...waiting]) {
        const counted = await countedEvents(url, adminToken, site);
        count += counted;
        if (counted >= offeredBySite.get(site)!) {
          waiting.delete(site);
          storedAt = performance.now();
        }
      }
      if (count !== lastCount) [lastCount, movedAt] = [count, performance.now()];
      if (phase.restart && performance.now() - movedAt > SETTLED_MS) break;
      if (performance.now() - t0 > seconds * 1000 + STORED_TIMEOUT_MS)
        throw new Error(`${label(phase)}: ${waiting.size} sites still short of their events`);
      if (waiting.size) await sleep(200);
    }
    tailing = false;
    await tailLoop;
    for (const tail of tails) await tail.poll();

    // Read back: every site's export, against what was offered.
    const offered = new Set(sent.batches.flatMap((b) => b.ids));
    let lines = 0;
    let stored = 0;
    let counted = 0;
    const distinct = new Set<string>();
    for (const site of sites) {
      const ids = await exportedIds(url, site, tokens.get(site)!);
      lines += ids.length;
      for (const id of ids) distinct.add(id);
      counted += await countedEvents(url, adminToken, site);
    }
    for (const id of distinct) if (offered.has(id)) stored++;
    const tailedSites = new Set(sites.slice(0, TAILED_SITES));
    const visible: number[] = [];
    for (const b of sent.batches) {
      if (!tailedSites.has(b.site)) continue;
      const seen = b.ids.map((id) => tails.find((t) => t.firstSeen.has(id))?.firstSeen.get(id));
      if (seen.every((at) => at !== undefined)) visible.push(Math.max(...(seen as number[])) - b.firstSentAt);
    }
    return {
      ...phase,
      browsers,
      seconds,
      offered: offered.size,
      stored,
      lost: offered.size - stored,
      storedTwice: lines - distinct.size,
      countedTwice: Math.max(0, counted - distinct.size),
      eventsPerSecond: stored / ((storedAt - t0) / 1000),
      visibleMedianMs: median(visible),
      visibleP99Ms: quantile(visible, 0.99),
      visibleSamples: visible.length,
      resends: sent.resends,
      refused: Object.values(sent.refused).reduce((a, b) => a + b, 0),
      unsent: sent.unsent,
      machineLoad: loadavg()[0]!,
      crashesAt: [...crashTimes.values()],
      shardRestartsAt: [...shardRestartTimes.values()],
      // Every accepted batch is one message (none of 50 events is over a message's size).
      redelivered: phase.mode === 'queue' && !phase.restart ? delivered - sent.batches.length : 0,
      restartAt,
      restartSeconds,
      restartStopMs,
      acknowledgedBeforeRestart,
    };
  } finally {
    await collector.stop();
    rmSync(options.persistDir, { recursive: true, force: true });
  }
}

/** A collector's start options that a restart can reuse: its own D1 directory (kept by stop()), port and admin token. */
async function restartableOptions(mode: Mode, more: Pick<StartOptions, 'vars' | 'log'> = {}) {
  return {
    ...more,
    build: false,
    ingest: mode,
    persistDir: mkdtempSync(join(tmpdir(), 'parcours-load-')),
    port: await freePort(),
    adminToken: `admin-load-${Math.random().toString(36).slice(2)}`,
  };
}

/**
 * What the local queue keeps across a restart, checked: a burst of 1,000 events is queued (each batch answered 200),
 * `wrangler dev` is stopped at once (SIGTERM, as Ctrl-C does; the consumer waits up to 1 s to fill a delivery) and
 * started again on the same D1 directory, and the site's counters are read 8 s later.
 */
async function restartCheck(): Promise<RestartCheck> {
  const options = await restartableOptions('queue');
  let collector = await startCollector(options);
  try {
    const site = 'restart-check';
    await registerLoadSite(collector.url, collector.adminToken, site);
    let acknowledged = 0;
    await Promise.all(
      makeBatches(site, 1000, TAG_BATCH, 900).map(async (b) => {
        const res = await postBody(collector.url, b.body, b.address);
        if (res.status !== 200) return;
        // Read before adding: `acknowledged += await …` would add to a value read before the wait.
        const { accepted } = (await res.json()) as { accepted: number };
        acknowledged += accepted;
      }),
    );
    const stoppedAt = performance.now();
    await collector.stop();
    const stopMs = performance.now() - stoppedAt;
    collector = await startCollector(options);
    await sleep(8000);
    return { acknowledged, stopMs, storedAfter: await countedEvents(collector.url, collector.adminToken, site) };
  } finally {
    await collector.stop();
    rmSync(options.persistDir, { recursive: true, force: true });
  }
}

interface RestartCheck {
  acknowledged: number;
  /** How long stopping took (SIGTERM until the port was free). */
  stopMs: number;
  /** Events stored 8 s after the restart. */
  storedAfter: number;
}

const label = (p: Phase) =>
  `${p.sites === 1 ? 'one site' : `${p.sites} sites`}, ${p.mode}${p.shards ? ' into shards' : ''}${p.restart ? ', wrangler dev restarted' : ''}`;

const list = (r: Record<string, number>) =>
  Object.entries(r)
    .map(([k, v]) => `${v} × ${k}`)
    .join(', ') || 'none';

function render(results: PhaseResult[], check: RestartCheck | undefined): string {
  const direct = (sites: number) => results.find((r) => r.sites === sites && r.mode === 'direct' && !r.restart);
  const rows = results.map((r) => {
    const base = direct(r.sites);
    const vsDirect = r.mode === 'queue' && !r.restart && base ? fmt(r.eventsPerSecond / base.eventsPerSecond, 2) : '';
    const fault = r.restart
      ? `restart at ${fmt(r.restartAt, 1)} s, down ${fmt(r.restartSeconds, 1)} s`
      : [
          r.crashesAt.length
            ? `${r.crashesAt.length} consumer crashes at ${r.crashesAt.map((s) => `${fmt(s, 1)} s`).join(', ')}`
            : '',
          r.shardRestartsAt.length
            ? `${r.shardRestartsAt.length} shard restarts at ${r.shardRestartsAt.map((s) => `${fmt(s, 1)} s`).join(', ')}`
            : '',
        ]
          .filter(Boolean)
          .join('; ');
    return `| ${label(r)} | ${fmt(r.offered)} | ${fmt(r.stored)} | **${fmt(r.lost)}** | **${fmt(r.storedTwice)}** | ${fmt(r.countedTwice)} | ${fmt(r.eventsPerSecond)} | ${vsDirect} | ${fmt(r.visibleMedianMs)} ms | ${fmt(r.visibleP99Ms)} ms | ${list(r.resends)} | ${fault} | ${r.mode === 'queue' && !r.restart ? fmt(r.redelivered) : ''} | ${fmt(r.machineLoad, 1)} |`;
  });
  const restarted = results.find((r) => r.restart);
  const measured = new Date().toISOString().slice(0, 16).replace('T', ' ');
  return [
    LOAD_SECTION,
    '',
    `Measured ${measured} UTC by \`bench/load/load-run.ts\` (\`pnpm --filter @parcours/bench exec node load/load-run.ts --write\`, also run by`,
    `\`pnpm bench\`): ${cpus().length} × ${cpus()[0]?.model.trim()}, Node ${process.version}; load average at the end ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')}.`,
    '',
    `${browsers} simulated browsers at a time, each a visitor of the seeded shop traffic (\`lib/shop-traffic.ts\`) sending its`,
    `journey in batches of up to ${TAG_BATCH} as the tag's outbox does: one batch in flight, the same batch (same event ids) sent again`,
    'after a timeout (10 s), a network error, a 5xx or a 429, with backoff; the next visitor starts when one is done. Each phase',
    `sends for ${seconds} s against a fresh collector under \`wrangler dev\` (its own local D1), the sites registered first; the`,
    `phases of ${siteCounts.map((n) => (n === 1 ? 'one site' : `${n} sites at once`)).join(' and of ')} each run direct ingestion and queued`,
    'ingestion side by side in this run, taken in turn.',
    '',
    "- **offered**: distinct events of the batches the collector answered 200; **stored**: those of them the sites' NDJSON",
    '  exports hold, read back page by page at the end; **lost** = offered − stored; **stored twice**: export lines beyond',
    '  the distinct offered events; **counted twice**: the ingestion counters (`GET /v1/admin/sites/{site}`) beyond the',
    '  distinct events stored.',
    '- **events/s stored**: stored events over the time from the first send until the counters of every site reached what',
    '  it was offered (polled every 200 ms); "× direct" compares with the direct phase of the same sites in this run.',
    `- **send to visible**: from a batch's first send until its last event appears in the export of its site, followed`,
    `  every 100 ms for ${TAILED_SITES === 1 ? 'one site' : `the first ${TAILED_SITES} sites`} (every batch with one site; with 100 sites, theirs only).`,
    `- **consumer crashes**: the queue phases set \`FAULT_CONSUMER_CRASHES=${crashes}\`, \`FAULT_CONSUMER_CRASH_AFTER=${crashAfter}\``,
    '  (docs/PROTOCOL.md): those deliveries store their messages and then throw before acknowledging any, so the queue',
    "  delivers every message of them again; times are when wrangler logged each crash, from the phase's first send.",
    '  **Delivered again**: messages the local queue gave the consumer beyond one per accepted batch (its `QUEUE` log',
    '  lines), i.e. the redeliveries whose events had to be skipped as stored already.',
    '- **queue into shards**: each site in its SQLite Durable Object (`STORAGE="shards"`), with the same consumer crashes',
    `  and \`FAULT_SHARD_RESTARTS=${crashes}\`, \`FAULT_SHARD_RESTART_AFTER=${shardRestartAfter}\`: those writes of the shard are stored, then the`,
    '  shard is reset (`ctx.abort()`) before it answers; the consumer retries those messages (the first retry waits about',
    '  30 s, hence the p99), and nothing may be stored twice.',
    "- **load average**: the machine's 1-minute load when the phase ended. The machine is shared (2 cores, other work",
    '  running) and the phases run one after another: compare the modes in rows of similar load.',
    '',
    '| phase | offered | stored | lost | stored twice | counted twice | events/s stored | × direct | send → visible median | p99 | resends | fault injected | delivered again | load average |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: | ---: |',
    ...rows,
    '',
    ...(restarted && check
      ? [
          `**Restart of \`wrangler dev\`** (last row): half-way through its sending time the whole collector process was stopped`,
          `(SIGTERM, and waited for until its port was free) and started again on the same port and \`--persist-to\` directory;`,
          `${fmt(restarted.acknowledgedBeforeRestart)} events had been acknowledged before, and ${fmt(restarted.lost)} of all the events acknowledged`,
          `200 were never stored. The same run then checked what the local queue keeps across a restart: ${fmt(check.acknowledged)} events`,
          `queued (every batch answered 200), the process stopped at once (stopping took ${fmt(check.stopMs)} ms) and started again:`,
          `${fmt(check.storedAfter)} of them were stored 8 s later. ${
            check.storedAfter < check.acknowledged
              ? "The local queue (Miniflare's queue broker) keeps its messages in the process's memory, not on disk: what is queued and not yet delivered when `wrangler dev` stops is gone, and the browsers, answered 200, never send it again. Local D1 is on disk and keeps what was stored."
              : 'Everything queued survived the restart.'
          } Whether a restart under load loses events depends on what sits in the queue at that instant (a delivery waits at most 1 s to fill, and stopping took ${fmt(restarted.restartStopMs)} ms in the row above): there, ${fmt(restarted.lost)} were lost.`,
          `Cloudflare's Queues keep messages durably (they are not in a process's memory); only the consumer crash above exercises the retry path locally.`,
          '',
        ]
      : []),
  ].join('\n');
}

const log = (s: string) => console.log(`[load ${new Date().toISOString().slice(11, 19)}] ${s}`);
// Direct and queued ingestion of the same sites side by side, the order alternated so the machine's drift falls on both.
const phases: Phase[] = siteCounts.flatMap((sites, i) =>
  (i % 2 ? (['queue', 'direct'] as const) : (['direct', 'queue'] as const)).map((mode) => ({
    sites,
    mode,
    restart: false,
  })),
);
// Queued ingestion into shards, with consumer crashes and shard restarts injected.
phases.push({ sites: 1, mode: 'queue', restart: false, shards: true });
if (withRestart) phases.push({ sites: 1, mode: 'queue', restart: true });
// The collector serves its built dashboard and tag: build them once if this checkout has not.
if (!existsSync(join(COLLECTOR_DIR, 'public'))) buildAssets();
const results: PhaseResult[] = [];
let check: RestartCheck | undefined;
for (const [i, phase] of phases.entries()) {
  log(`${label(phase)}: ${browsers} browsers for ${seconds} s`);
  const r = await runPhase(phase, 500 + i, log);
  results.push(r);
  log(
    `${label(r)}: offered ${r.offered}, stored ${r.stored}, lost ${r.lost}, twice ${r.storedTwice}, counted twice ${r.countedTwice}, ` +
      `${r.eventsPerSecond.toFixed(0)} events/s, visible median ${r.visibleMedianMs.toFixed(0)} ms p99 ${r.visibleP99Ms.toFixed(0)} ms ` +
      `(${r.visibleSamples} batches), resends ${list(r.resends)}, delivered again ${r.redelivered}, crashes at ${r.crashesAt.map((s) => s.toFixed(1)).join(' ')}, shard restarts at ${r.shardRestartsAt.map((s) => s.toFixed(1)).join(' ')}`,
  );
}
if (withRestart) {
  check = await restartCheck();
  log(`restart check: ${check.acknowledged} events queued, ${check.storedAfter} stored 8 s after a restart`);
}
const failures = results
  .filter((r) => !r.restart)
  .flatMap((r) => [
    ...(r.stored > 0 ? [] : [`${label(r)}: nothing stored`]),
    ...(r.lost ? [`${label(r)}: ${r.lost} lost`] : []),
    ...(r.storedTwice || r.countedTwice ? [`${label(r)}: stored or counted twice`] : []),
    ...(r.unsent || r.refused ? [`${label(r)}: ${r.unsent} batches unsent, ${r.refused} refused`] : []),
    ...(r.mode === 'queue' && crashes > 0 && r.crashesAt.length < crashes ? [`${label(r)}: crashes not seen`] : []),
    ...(r.shards && crashes > 0 && r.shardRestartsAt.length < crashes ? [`${label(r)}: shard restarts not seen`] : []),
  ]);
if (args.has('write')) {
  writeSection(join(BENCH, 'RESULTS.md'), render(results, check));
  log('wrote its section of bench/RESULTS.md');
}
if (failures.length) log(`FAILED: ${failures.join('; ')}`);
process.exitCode = failures.length ? 1 : 0;
