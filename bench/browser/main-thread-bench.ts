// Main-thread cost and delivery cost of 1,000 track() calls in real Chromium, ours and the peers on the same page in the same run.
import { launch } from '../lib/chromium.ts';
import { startSite, startWireMeter, type StaticFile, type WireMeter } from '../lib/servers.ts';
import { max, median, quantile } from '../lib/stats.ts';
import { COLLECTOR_HOST, SITE_HOST, TRACKER_FILE, pageFiles, type BrowserTrackerId } from './pages.ts';
import { profileBelow, type ProfileEntry } from './profile.ts';
import { countEvents } from './wire-decode.ts';

/** The custom event every tracker sends, with the same properties. */
const EVENT_NAME = 'bench_click';

export interface BrowserRun {
  tracker: BrowserTrackerId;
  run: number;
  events: number;
  /** Time of each track() call, as the page's own clock measured it (5 µs resolution, cross-origin isolated). */
  callMedianMs: number;
  callP95Ms: number;
  callMaxMs: number;
  timerResolutionUs: number;
  /** Long tasks (> 50 ms) from page start until the script was ready, and their blocking time (sum of the part over 50 ms). */
  loadLongTasks: number;
  loadTbtMs: number;
  /** Long tasks and blocking time from the first call until every event was delivered. */
  runLongTasks: number;
  runTbtMs: number;
  /**
   * Long animation frames (> 50 ms) from page start to delivery in which the tracker's own file ran more than 50 ms:
   * long tasks the script itself caused, whatever else the machine was doing. And the longest such stretch (ms).
   */
  scriptLongFrames: number;
  scriptLongestMs: number;
  /** What started the script's longest stretch (the frame's invoker: a callback, a timer, the script's evaluation). */
  scriptLongestInvoker: string;
  /** What crossed the wire from the first call until every event was delivered. */
  requests: number;
  bodyBytes: number;
  requestBytes: number;
  responseBytes: number;
  /** Events found in those request bodies (should equal `events`). */
  eventsDelivered: number;
  /** From the first call until the last event reached the endpoint. */
  deliveredMs: number;
  errors: string[];
}

export interface BrowserBenchOptions {
  trackers: BrowserTrackerId[];
  events: number;
  runs: number;
  /** The real collector (for Parcours): its URL and a registered site allowing the bench site's origin. */
  collector?: { url: string; register(origin: string): Promise<string> };
  /** After the rounds, profile this many Parcours calls in one more page (0: no profile). */
  profileCalls?: number;
  log(s: string): void;
}

export interface BrowserResults {
  runs: BrowserRun[];
  profile: ProfileEntry[];
}

/** Ends a profiling visit early: its figures are not a run. */
class Done extends Error {}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Runs in the page: `n` calls in a row, each inside a function named `trackFrame`, for the profiler. */
async function profiledLoop(args: { n: number; name: string }): Promise<void> {
  const w = window as unknown as { __bench: { track(n: string, p: Record<string, unknown>): void } };
  const channel = new MessageChannel();
  const nextTask = () =>
    new Promise<void>((resolve) => {
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(0);
    });
  function trackFrame(i: number) {
    w.__bench.track(args.name, { plan: 'team', seats: 12, button: 'add-seat', i });
  }
  for (let i = 0; i < args.n; i++) {
    await nextTask();
    trackFrame(i);
  }
}

/** Runs in the page: `n` calls, each in a task of its own (as real clicks are), timed one by one. */
async function callLoop(args: {
  n: number;
  name: string;
}): Promise<{ times: number[]; start: number; resolutionUs: number }> {
  const w = window as unknown as { __bench: { track(n: string, p: Record<string, unknown>): void } };
  const channel = new MessageChannel();
  const nextTask = () =>
    new Promise<void>((resolve) => {
      channel.port1.onmessage = () => resolve();
      channel.port2.postMessage(0);
    });
  // The clock's step: the smallest non-zero difference between two readings.
  let step = Infinity;
  for (let i = 0; i < 2000; i++) {
    const a = performance.now();
    let b = performance.now();
    while (b === a) b = performance.now();
    step = Math.min(step, b - a);
  }
  const times: number[] = [];
  const start = performance.now();
  for (let i = 0; i < args.n; i++) {
    await nextTask();
    const props = { plan: 'team', seats: 12, button: 'add-seat', i };
    const t = performance.now();
    w.__bench.track(args.name, props);
    times.push(performance.now() - t);
  }
  return { times, start, resolutionUs: step * 1000 };
}

function tbt(tasks: Array<{ duration: number }>): number {
  return tasks.reduce((s, t) => s + Math.max(0, t.duration - 50), 0);
}

async function oneRun(
  tracker: BrowserTrackerId,
  run: number,
  opts: BrowserBenchOptions & { profile?: (page: import('playwright-core').Page) => Promise<void> },
  files: Map<string, StaticFile>,
  siteUrl: string,
  sink: WireMeter,
  proxy: WireMeter | undefined,
  siteId: string,
): Promise<BrowserRun> {
  // Ours (and its baseline) send to the real collector, through the meter; the peers to the sink.
  const meter = tracker.startsWith('parcours') ? proxy! : sink;
  const endpoint = `http://${COLLECTOR_HOST}:${meter.port}`;
  files.clear();
  for (const [k, v] of await pageFiles(tracker, endpoint, siteId)) files.set(k, v);
  meter.records.length = 0;
  const sitePort = new URL(siteUrl).port;
  const pageOrigin = `http://${SITE_HOST}:${sitePort}`;
  // Both origins count as secure, as over HTTPS in production: else the page's requests would be mixed content.
  const browser = await launch([SITE_HOST, COLLECTOR_HOST], [pageOrigin, endpoint]);
  const errors: string[] = [];
  try {
    const page = await browser.context.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${pageOrigin}/`, { waitUntil: 'load' });
    await page.waitForFunction(
      () => (window as unknown as { __bench?: { ready(): boolean } }).__bench?.ready() === true,
      undefined,
      { timeout: 15_000 },
    );
    await sleep(300);
    if (opts.profile) {
      await opts.profile(page);
      throw new Done();
    }
    const before = meter.records.length;
    const t0 = Date.now();
    const loop = await page.evaluate(callLoop, { n: opts.events, name: EVENT_NAME });
    await page.evaluate(async () => {
      const b = (window as unknown as { __bench: { drain?: () => Promise<unknown> } }).__bench;
      if (b.drain) await Promise.race([b.drain(), new Promise((r) => setTimeout(r, 10_000))]);
    });
    // Wait until every event reached the endpoint (PostHog flushes on a timer), 20 s at most, or until nothing
    // more arrived for 5 s (events a tracker lost never come).
    let delivered = countEvents(meter.records.slice(before), EVENT_NAME);
    let deliveredAt = Date.now();
    let seen = meter.records.length;
    let quietSince = Date.now();
    for (const deadline = Date.now() + (tracker === 'none' ? 0 : 20_000); Date.now() < deadline; ) {
      if (meter.records.length !== seen) {
        seen = meter.records.length;
        quietSince = Date.now();
        delivered = countEvents(meter.records.slice(before), EVENT_NAME);
        deliveredAt = Date.now();
      }
      if (delivered >= opts.events || Date.now() - quietSince > 5_000) break;
      await sleep(100);
    }
    await sleep(1000);
    const longtasks = await page.evaluate(
      () => (window as unknown as { __longtasks: Array<{ start: number; duration: number }> }).__longtasks,
    );
    type Frame = {
      start: number;
      duration: number;
      scripts: Array<{ url: string; duration: number; invoker: string }>;
    };
    const frames = await page.evaluate(() => (window as unknown as { __frames: Frame[] }).__frames);
    const ownScripts = frames.map((f) => f.scripts.filter((s) => s.url.endsWith(TRACKER_FILE[tracker])));
    const own = ownScripts.map((ss) => ss.reduce((a, s) => a + s.duration, 0));
    const longest = own.indexOf(Math.max(0, ...own));
    const invoker =
      longest >= 0 ? ([...ownScripts[longest]!].sort((a, b) => b.duration - a.duration)[0]?.invoker ?? '') : '';
    const records = meter.records.slice(before);
    const load = longtasks.filter((t) => t.start < loop.start);
    const during = longtasks.filter((t) => t.start >= loop.start);
    return {
      tracker,
      run,
      events: opts.events,
      callMedianMs: median(loop.times),
      callP95Ms: quantile(loop.times, 0.95),
      callMaxMs: max(loop.times),
      timerResolutionUs: loop.resolutionUs,
      loadLongTasks: load.length,
      loadTbtMs: tbt(load),
      runLongTasks: during.length,
      runTbtMs: tbt(during),
      scriptLongFrames: own.filter((d) => d > 50).length,
      scriptLongestMs: own.length ? Math.max(...own) : 0,
      scriptLongestInvoker: invoker,
      requests: records.length,
      bodyBytes: records.reduce((s, r) => s + r.bodyBytes, 0),
      requestBytes: records.reduce((s, r) => s + r.requestBytes, 0),
      responseBytes: records.reduce((s, r) => s + r.responseBytes, 0),
      eventsDelivered: countEvents(records, EVENT_NAME),
      deliveredMs: deliveredAt - t0,
      errors,
    };
  } finally {
    await browser.close();
  }
}

/**
 * Runs `runs` rounds; each round loads every tracker once, in turn, in a fresh browser profile, so that
 * machine noise spreads evenly over the trackers.
 */
export async function runBrowserBench(opts: BrowserBenchOptions): Promise<BrowserResults> {
  const files = new Map<string, StaticFile>();
  const site = await startSite(files);
  const sink = await startWireMeter();
  const proxy = opts.collector ? await startWireMeter(opts.collector.url) : undefined;
  const results: BrowserRun[] = [];
  let profile: ProfileEntry[] = [];
  try {
    const siteId = opts.collector ? await opts.collector.register(`http://${SITE_HOST}:${site.port}`) : 'none';
    const trackers = opts.trackers.filter((t) => !t.startsWith('parcours') || opts.collector);
    for (let run = 1; run <= opts.runs; run++) {
      for (const tracker of trackers) {
        try {
          const r = await oneRun(tracker, run, opts, files, site.url, sink, proxy, siteId);
          results.push(r);
          opts.log(
            `browser ${tracker} run ${run}: track() median ${r.callMedianMs.toFixed(4)} ms p95 ${r.callP95Ms.toFixed(4)} ms; ` +
              `long tasks load ${r.loadLongTasks} run ${r.runLongTasks} (TBT ${r.runTbtMs.toFixed(0)} ms), ` +
              `by the script ${r.scriptLongFrames} (longest ${r.scriptLongestMs.toFixed(0)} ms${r.scriptLongestInvoker ? `: ${r.scriptLongestInvoker}` : ''}); ` +
              `${r.requests} requests, ${r.requestBytes} B up, ${r.eventsDelivered}/${r.events} events in ${r.deliveredMs} ms` +
              (r.errors.length ? `; page errors: ${r.errors.slice(0, 3).join(' | ')}` : ''),
          );
        } catch (e) {
          opts.log(`browser ${tracker} run ${run}: failed (${(e as Error).message.split('\n')[0]})`);
        }
      }
    }
    if (opts.profileCalls && trackers.includes('parcours')) {
      const n = opts.profileCalls;
      const profiling = {
        ...opts,
        profile: async (page: import('playwright-core').Page) => {
          profile = await profileBelow(page, 'trackFrame', () => page.evaluate(profiledLoop, { n, name: EVENT_NAME }));
        },
      };
      await oneRun('parcours', 0, profiling, files, site.url, sink, proxy, siteId).catch((e: unknown) => {
        if (!(e instanceof Done)) opts.log(`browser profile failed (${(e as Error).message.split('\n')[0]})`);
      });
    }
  } finally {
    await site.close();
    await sink.close();
    await proxy?.close();
  }
  return { runs: results, profile };
}
