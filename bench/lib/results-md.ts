// Renders RESULTS.md from one run's figures, keeping the sections their own benches write
// ("Queued ingestion", "Storage layouts", "Load run", "Derivation against a visitor's history", "Report latency", "Noisy neighbour").
import { existsSync, readFileSync } from 'node:fs';
import type { BrowserRun } from '../browser/main-thread-bench.ts';
import type { ProfileEntry } from '../browser/profile.ts';
import type { IngestResults, IngestRow } from '../ingest/ingest-bench.ts';
import type { CostRow } from '../size/guarantees.ts';
import type { SizeRow } from '../size/size-bench.ts';
import type { Machine } from './machine.ts';
import { fmt, median, ratio } from './stats.ts';
import { sectionBounds } from './results-section.ts';

export interface AllResults {
  machine: Machine;
  smoke: boolean;
  minutes: number;
  sizes: SizeRow[];
  /** The core and full tag with their parts taken out one after another (size/guarantees.ts); absent in older runs. */
  costs?: CostRow[];
  browser: BrowserRun[];
  browserRuns: number;
  profile: ProfileEntry[];
  ingest?: IngestResults;
  ingestRuns: number;
}

/** Goals: track() time and ingestion (issue 6), the variants' sizes (issue 13: the full tag at most 4 KiB gzip). */
const GOALS = { trackMedianMs: 0.1, ingestRatio: 0.5, fullGzip: 4096 };

const NAMES: Record<string, string> = {
  none: 'no tracker (control)',
  parcours: 'Parcours',
  'parcours-baseline': 'Parcours, baseline',
  plausible: 'Plausible',
  posthog: 'PostHog (array.js)',
};

export interface BrowserSummary {
  tracker: string;
  runs: number;
  callMedianMs: number;
  callP95Ms: number;
  callMaxMs: number;
  loadLongTasks: number;
  loadTbtMs: number;
  runLongTasks: number;
  runTbtMs: number;
  scriptLongFrames: number;
  scriptLongestMs: number;
  /** Per 1,000 events delivered. */
  requests: number;
  bodyBytes: number;
  requestBytes: number;
  responseBytes: number;
  delivered: number;
  deliveredMs: number;
}

/** Medians over runs for each tracker; wire figures scaled to 1,000 events. */
export function summarizeBrowser(runs: BrowserRun[]): BrowserSummary[] {
  const ids = [...new Set(runs.map((r) => r.tracker))];
  return ids.map((tracker) => {
    const rs = runs.filter((r) => r.tracker === tracker);
    const m = (f: (r: BrowserRun) => number) => median(rs.map(f));
    // Per event that arrived: a tracker that loses events must not look cheaper for it.
    const per1000 = (f: (r: BrowserRun) => number) =>
      m((r) => (r.eventsDelivered ? (f(r) * 1000) / r.eventsDelivered : NaN));
    return {
      tracker,
      runs: rs.length,
      callMedianMs: m((r) => r.callMedianMs),
      callP95Ms: m((r) => r.callP95Ms),
      callMaxMs: m((r) => r.callMaxMs),
      loadLongTasks: m((r) => r.loadLongTasks),
      loadTbtMs: m((r) => r.loadTbtMs),
      runLongTasks: m((r) => r.runLongTasks),
      runTbtMs: m((r) => r.runTbtMs),
      scriptLongFrames: m((r) => r.scriptLongFrames),
      scriptLongestMs: m((r) => r.scriptLongestMs),
      requests: per1000((r) => r.requests),
      bodyBytes: per1000((r) => r.bodyBytes),
      requestBytes: per1000((r) => r.requestBytes),
      responseBytes: per1000((r) => r.responseBytes),
      delivered: m((r) => r.eventsDelivered / r.events),
      deliveredMs: m((r) => r.deliveredMs),
    };
  });
}

const kb = (n: number) => (Number.isFinite(n) ? `${fmt(n)} B` : 'n/a');
const ms = (n: number, d = 3) => (Number.isFinite(n) ? `${fmt(n, d)} ms` : 'n/a');
const times = (n: number) => (Number.isFinite(n) ? `${fmt(n, n >= 10 ? 0 : n >= 1 ? 1 : 2)}×` : 'n/a');

function sizeSection(r: AllResults): string[] {
  const ours = r.sizes.find((s) => s.id === 'parcours');
  const lines = [
    '## Script size',
    '',
    'Each script as a site serves it (already minified by its publisher; Snowplow bundled and minified by esbuild from its npm',
    'packages, as a site using npm would), then gzip level 9 and brotli quality 11. "× ours" is the peer\'s gzip size over ours.',
    '',
    '| script | source | minified | gzip | brotli | gzip × ours | offline buffer | forms | carts | stages |',
    '| --- | --- | ---: | ---: | ---: | ---: | --- | --- | --- | --- |',
  ];
  for (const s of r.sizes) {
    lines.push(
      `| ${s.name} | ${s.source} | ${kb(s.minified)} | ${kb(s.gzip)} | ${kb(s.brotli)} | ${s.id === 'parcours' ? '1×' : times(ratio(s.gzip, ours?.gzip ?? NaN))} | ${s.features.offline} | ${s.features.forms} | ${s.features.carts} | ${s.features.stages} |`,
    );
  }
  lines.push(
    '',
    'PostHog and Segment load more code at run time (extensions, destinations): their first script is the floor of their cost.',
    '',
    ...costSection(r.costs ?? [], r.sizes.find((s) => s.id === 'plausible')?.gzip ?? NaN),
  );
  return lines;
}

const KINDS = {
  guarantee: 'ours, beyond the contract',
  mission: 'the mission: nothing lost when a tab closes, true in every engine',
  contract: 'a feature the contract names',
};

/** What the core's bytes buy: the core and full tag rebuilt with their parts taken out one after another. */
function costSection(costs: CostRow[], plausible: number): string[] {
  if (!costs.length) return [];
  const [built, ...rows] = costs;
  const against = (n: number) => `${n > plausible ? '+' : ''}${fmt(((n - plausible) / plausible) * 100, 0)} %`;
  const lines = [
    "### What the core's bytes buy",
    '',
    "The core and the full tag rebuilt from a copy of the SDK's source with one part after another taken out (each row",
    'without its part and every part above it; `bench/size/guarantees.ts`), by the same build, gzip -9. "Its bytes" is what',
    `the row's part costs the core. Plausible's full tracker: ${kb(plausible)}.`,
    '',
    '| taken out (with every row above) | what it is | core | its bytes | core against Plausible | full tag |',
    '| --- | --- | ---: | ---: | ---: | ---: |',
    `| nothing: the tag as built | | ${kb(built!.core)} | | ${against(built!.core)} | ${kb(built!.full)} |`,
  ];
  let before = built!.core;
  for (const c of rows) {
    lines.push(
      `| ${c.part} | ${KINDS[c.kind!]} | ${kb(c.core)} | ${kb(before - c.core)} | ${against(c.core)} | ${kb(c.full)} |`,
    );
    before = c.core;
  }
  const lastGuarantee = rows.filter((c) => c.kind === 'guarantee').at(-1);
  lines.push(
    '',
    lastGuarantee
      ? `Without every guarantee of ours, the core keeps the mission's and the contract's parts in ${kb(lastGuarantee.core)}, ${kb(Math.abs(lastGuarantee.core - plausible))} ${lastGuarantee.core > plausible ? 'over' : 'under'} Plausible's full tracker; the full tag keeps its features in ${kb(lastGuarantee.full)}.`
      : '',
    '',
  );
  return lines;
}

function browserSections(r: AllResults): string[] {
  const sum = summarizeBrowser(r.browser);
  const ours = sum.find((s) => s.tracker === 'parcours');
  const lines = [
    '## Main-thread cost',
    '',
    `1,000 \`track()\` calls of one custom event with four properties, each call in a task of its own (as clicks are), timed with`,
    '`performance.now()` around the call in a cross-origin-isolated page (5 µs clock). Each tracker is loaded by a script tag on the same',
    'page, in a fresh Chromium profile, in turn within each round, pointed at a local endpoint: the real collector (through the wire',
    'meter) for Parcours, a sink answering 200 at once for the peers. Long tasks (> 50 ms, `PerformanceObserver` `longtask`) are',
    'counted from the first call until every event reached the endpoint; total blocking time (TBT) is the sum of their part over 50 ms.',
    'The control page has no tracker: what the harness and the machine cause alone. "Caused by the script" counts long animation',
    "frames (`long-animation-frame` entries, which name the scripts that ran in them) in which the tracker's own file ran more than",
    '50 ms, from page start to delivery: its loading, timers, storage and network callbacks (the calls themselves are timed apart).',
    'All durations are wall-clock: on a loaded machine a task or frame also counts time the OS gave to other processes, which the',
    `control page's own long tasks show. Medians of ${r.browserRuns} rounds.`,
    ...(sum.some((s) => s.tracker === 'parcours-baseline')
      ? [
          '"Parcours, baseline" is an earlier build of the same tag (`PARCOURS_BASELINE`, the file the run was given), taken in',
          'each round right after the current one, the same way: what a change did, side by side.',
        ]
      : []),
    '',
    '| tracker | track() median | track() p95 | slowest call | long tasks (calls → delivered) | TBT | long tasks while loading | TBT while loading | long frames caused by the script | its longest stretch | × ours (median call) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const s of sum) {
    lines.push(
      `| ${NAMES[s.tracker] ?? s.tracker} | ${ms(s.callMedianMs)} | ${ms(s.callP95Ms)} | ${ms(s.callMaxMs, 1)} | ${fmt(s.runLongTasks)} | ${ms(s.runTbtMs, 0)} | ${fmt(s.loadLongTasks)} | ${ms(s.loadTbtMs, 0)} | ${s.tracker === 'none' ? '' : fmt(s.scriptLongFrames)} | ${s.tracker === 'none' ? '' : ms(s.scriptLongestMs, 0)} | ${s.tracker === 'none' || s.tracker === 'parcours' ? '' : times(ratio(s.callMedianMs, ours?.callMedianMs ?? NaN))} |`,
    );
  }
  if (r.profile.length) {
    lines.push(
      '',
      'Where the time of a Parcours `track()` call goes (Chromium CPU profile of the calls alone, 50 µs sampling, self time, top entries):',
      '',
      '| function | where | self time | share |',
      '| --- | --- | ---: | ---: |',
      ...r.profile.map((p) => `| ${p.name} | ${p.where} | ${ms(p.selfMs, 1)} | ${fmt(p.share * 100, 0)} % |`),
    );
  }
  lines.push(
    '',
    '## Delivery cost',
    '',
    'Every request the page sent from the first call until the last event arrived (or 20 s passed), counted at the local endpoint,',
    'per 1,000 events that arrived: bodies as sent, and whole requests (HTTP/1.1 request line and headers included: HTTP/2 would',
    'compress the headers) and answers. "Delivered" is the share of the 1,000 calls whose event reached the endpoint. Plausible',
    'sends one keepalive `fetch` per event; in a burst Chromium refuses those past its in-flight keepalive budget',
    '(`net::ERR_INSUFFICIENT_RESOURCES`) and Plausible keeps no queue to retry them: the events are lost.',
    '',
    '| tracker | requests | body bytes up | request bytes up | answer bytes down | delivered | time to deliver | × ours (bytes up) |',
    '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  );
  for (const s of sum.filter((x) => x.tracker !== 'none')) {
    lines.push(
      `| ${NAMES[s.tracker] ?? s.tracker} | ${fmt(s.requests)} | ${kb(s.bodyBytes)} | ${kb(s.requestBytes)} | ${kb(s.responseBytes)} | ${fmt(s.delivered * 100, 1)} % | ${ms(s.deliveredMs, 0)} | ${s.tracker === 'parcours' ? '' : times(ratio(s.requestBytes, ours?.requestBytes ?? NaN))} |`,
    );
  }
  const ph = sum.find((x) => x.tracker === 'posthog');
  if (ours && ph && ph.bodyBytes < ours.bodyBytes) {
    lines.push(
      '',
      `Parcours sends its batches as plain JSON, ${fmt(ours.bodyBytes / 1000)} B of body per event; PostHog gzips its batches in the browser, ` +
        `${fmt(ph.bodyBytes / 1000)} B per event (${times(ours.bodyBytes / ph.bodyBytes)} less). Compressing batches, ` +
        'or not repeating visitor, session and url in every event of a batch, would close most of the gap.',
    );
  }
  lines.push('');
  return lines;
}

function ingestRow(x: IngestRow): string {
  const other = Object.entries(x.other)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ');
  return `| ${fmt(x.batchSize)} | ${fmt(x.clients)} | ${fmt(x.stored)} | ${fmt(x.collectorEps)} | ${fmt(x.sqliteEps)} | ${fmt(x.ratio, 2)} | ${ms(x.latencyMs, 0)} | ${ms(x.latencyP95Ms, 0)} | ${other || '–'} |`;
}

function ingestSection(r: AllResults): string[] {
  const i = r.ingest;
  if (!i) return ['## Ingestion throughput', '', 'Not measured in this run.', ''];
  const head = [
    '| batch | clients | events stored before | collector events/s | SQLite events/s | ratio | request median | request p95 | other answers |',
    '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |',
  ];
  const lines = [
    '## Ingestion throughput',
    '',
    '`POST /v1/events` through the whole collector under `wrangler dev` (HTTP, JSON, site lookup, rate limiter, validation,',
    'idempotent multi-row insert, counters, per-visitor derivation of transitions, page views, carts) with concurrent clients, each',
    "sending its next batch when the previous one is answered. Batches are cut from generated shop journeys (the report bench's",
    "seeded generator: blog, products, carts, checkout forms, purchases), a visitor's events together as the script's outbox sends",
    "them, and a visitor's batches one after another, never two at once, as its browser sends them (one batch in flight); other",
    "visitors' batches go side by side. Each batch comes from its own documentation-range client address (only hashed by the collector), so the per-client rate",
    'limit of 300 requests / 10 s is never the bottleneck; bot filtering is off for the bench site (Node is no browser).',
    '',
    'The physical limit: the very same events, rows built the same way, inserted by one process straight into SQLite (`node:sqlite`,',
    "the collector's schema from its migrations, its `json_each` multi-row statement of up to 100 rows, one transaction per batch, WAL,",
    "`synchronous=NORMAL`), batch after batch, into a file holding as many events as the collector's database. No derivation there.",
    `Medians of ${r.ingestRuns} runs of fresh events each.`,
    '',
    '### By batch size and clients',
    '',
    ...head,
    ...i.sweep.map(ingestRow),
    '',
    '### With events already stored',
    '',
    "The collector's D1 SQLite file (under `--persist-to`) is filled directly with generated events while the collector is stopped;",
    "the derived tables hold only the bench's own visitors. Batch 50 (the script's batch size), 8 clients.",
    '',
    ...head,
    ...i.levels.map(ingestRow),
    '',
  ];
  if (i.stages.length) {
    lines.push(
      '### Where the time goes',
      '',
      "One client, mean milliseconds per request: the runtime's HTTP path alone (`GET /v1/health`); a batch for an unknown site",
      '(body, JSON, one D1 read, the rate limiter: refused with 403); a batch whose events are all rejected (plus validation, nothing',
      "stored); the whole request; and, in this process over `node:sqlite`, the insert alone and the collector's own derivation code",
      "alone (bundled from `packages/collector/src/derive`). Wall time first, then CPU time: the collector's processes (`wrangler dev`'s",
      "node and workerd, read from /proc) for the requests, this process for SQLite. CPU time is what the shared machine's load moves least.",
      '',
      '| batch | health | unknown site | all rejected | whole request | SQLite insert alone | derivation alone | runtime overhead (whole − insert − derive) |',
      '| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
      ...i.stages.map(
        (s) =>
          `| ${s.batchSize} | ${ms(s.healthMs, 1)} | ${ms(s.unknownSiteMs, 1)} | ${ms(s.noStoreMs, 1)} | ${ms(s.wholeMs, 1)} | ${ms(s.insertMs, 1)} | ${ms(s.deriveMs, 1)} | ${ms(s.wholeMs - s.insertMs - s.deriveMs, 1)} |`,
      ),
      ...i.stages
        .filter((s) => s.cpu)
        .map(
          (s) =>
            `| ${s.batchSize}, CPU | ${ms(s.cpu!.healthMs, 1)} | ${ms(s.cpu!.unknownSiteMs, 1)} | ${ms(s.cpu!.noStoreMs, 1)} | ${ms(s.cpu!.wholeMs, 1)} | ${ms(s.cpu!.insertMs, 1)} | ${ms(s.cpu!.deriveMs, 1)} | ${ms(s.cpu!.wholeMs - s.cpu!.insertMs - s.cpu!.deriveMs, 1)} |`,
        ),
      '',
    );
  }
  const wp = i.workerProfile;
  if (wp) {
    lines.push(
      "### The worker's CPU profile",
      '',
      `One client posting batches of 50 for ${ms(wp.wallMs, 0)}, the worker profiled through \`wrangler dev\`'s DevTools inspector`,
      `(100 µs sampling). Its isolate was busy ${fmt(wp.busyShare * 100, 0)} % of the time; of that busy time: ` +
        `${Object.entries(wp.kinds ?? {})
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${fmt(v * 100, 0)} %`)
          .join(', ')}.`,
      'Top self time, as a share of the busy time ("worker" is the collector\'s own bundle; "runtime" workerd\'s built-in modules, e.g.',
      'the D1 client; "native" the engine and host calls):',
      '',
      '| function | where | self time | share |',
      '| --- | --- | ---: | ---: |',
      ...wp.top.map((e) => `| ${e.name} | ${e.where} | ${ms(e.selfMs, 1)} | ${fmt(e.share * 100, 0)} % |`),
      '',
    );
  }
  return lines;
}

function verdict(ok: boolean | undefined, text: string): string {
  if (ok === undefined) return `not measured (${text})`;
  return ok ? `**met**: ${text}` : `**missed**: ${text}`;
}

function goalsSection(r: AllResults): string[] {
  const core = r.sizes.find((s) => s.id === 'parcours-core');
  const full = r.sizes.find((s) => s.id === 'parcours');
  const pl = r.sizes.find((s) => s.id === 'plausible');
  const sum = summarizeBrowser(r.browser);
  const b = sum.find((s) => s.tracker === 'parcours');
  const ctl = sum.find((s) => s.tracker === 'none');
  const sdkRow = r.ingest?.sweep.find((x) => x.batchSize === 50 && x.clients === 8);
  const best = r.ingest?.sweep.reduce<IngestRow | undefined>((a, x) => (!a || x.ratio > a.ratio ? x : a), undefined);
  const sizeOk = core && pl && Number.isFinite(core.gzip) ? core.gzip < pl.gzip : undefined;
  const fullOk = full && Number.isFinite(full.gzip) ? full.gzip <= GOALS.fullGzip : undefined;
  const callOk = b ? b.callMedianMs <= GOALS.trackMedianMs : undefined;
  const ltOk = b ? b.scriptLongFrames === 0 : undefined;
  const ingOk = sdkRow ? sdkRow.ratio >= GOALS.ingestRatio : undefined;
  return [
    '## Goals',
    '',
    '| goal | result |',
    '| --- | --- |',
    `| the core variant smaller than Plausible's full tracker (gzip) while doing more | ${verdict(
      sizeOk,
      core && pl
        ? `${fmt(core.gzip)} B against ${fmt(pl.gzip)} B gzip (${fmt(((core.gzip - pl.gzip) / pl.gzip) * 100, 0)} %), with an offline outbox and stages that Plausible lacks`
        : 'script not built',
    )} |`,
    `| the full tag (every feature) at most ${fmt(GOALS.fullGzip)} B gzip | ${verdict(
      fullOk,
      full
        ? `${fmt(full.gzip)} B gzip (${fmt(Math.abs(full.gzip - GOALS.fullGzip))} B ${fullOk ? 'under' : 'over'})`
        : 'script not built',
    )} |`,
    `| no \`track()\` call longer than ${GOALS.trackMedianMs} ms median | ${verdict(
      callOk,
      b
        ? `median ${ms(b.callMedianMs)} (${b.callMedianMs > GOALS.trackMedianMs ? `${times(b.callMedianMs / GOALS.trackMedianMs)} the goal` : 'under it'}), p95 ${ms(b.callP95Ms)}`
        : 'Parcours not run in the browser',
    )} |`,
    `| no long task caused by the script | ${verdict(
      ltOk,
      b && ctl
        ? `${fmt(b.scriptLongFrames)} long frames in which the script ran over 50 ms (its longest stretch ${ms(b.scriptLongestMs, 0)}); long tasks on the page: ${fmt(b.loadLongTasks)} while loading, ${fmt(b.runLongTasks)} from the first call to delivery (control page: ${fmt(ctl.loadLongTasks)} and ${fmt(ctl.runLongTasks)})`
        : 'not run',
    )} |`,
    `| ingestion at least half the raw SQLite insert rate | ${verdict(
      ingOk,
      sdkRow
        ? `${fmt(sdkRow.ratio, 2)} at the script's batch of 50 (${fmt(sdkRow.collectorEps)} against ${fmt(sdkRow.sqliteEps)} events/s, ${times(GOALS.ingestRatio / sdkRow.ratio)} short)${best ? `; best ${fmt(best.ratio, 2)} at batch ${best.batchSize} × ${best.clients} clients` : ''}`
        : 'not run',
    )} |`,
    '| every report under 250 ms at 1M events | see "Report latency" below |',
    '',
    ...goalNotes(r),
  ];
}

/** The built tag's code at a profile location `parcours.js:1:N` (its names are minified), as a short quote; else nothing. */
function codeAt(where: string): string {
  const at = /parcours\.js:1:(\d+)/.exec(where);
  const file = new URL('../../packages/sdk/dist/parcours.js', import.meta.url);
  if (!at || !existsSync(file)) return '';
  return `: \`${readFileSync(file, 'utf8')
    .slice(+at[1]!, +at[1]! + 48)
    .replace(/`/g, "'")}…\``;
}

/** What holds each missed goal back, from this run's own figures (profile, stage costs). */
function goalNotes(r: AllResults): string[] {
  const notes: string[] = [];
  const core = r.sizes.find((s) => s.id === 'parcours-core');
  const pl = r.sizes.find((s) => s.id === 'plausible');
  if (core && pl && core.gzip >= pl.gzip) {
    notes.push(
      `- **Size**: the core variant is ${fmt(core.gzip - pl.gzip)} B gzip over Plausible's full tracker (${fmt(core.gzip)} against ${fmt(pl.gzip)} B). ` +
        `It carries what Plausible does not: an IndexedDB outbox with retries and beacons that survives reloads and closed tabs, ` +
        `stages with URL rules, consent; what each part costs is in packages/sdk/README.md ("What it costs").`,
    );
  }
  const b = summarizeBrowser(r.browser).find((s) => s.tracker === 'parcours');
  if (b && b.callMedianMs > GOALS.trackMedianMs) {
    const top = r.profile
      .slice(0, 4)
      .map((p) => `${p.name} (${p.where}${codeAt(p.where)}, ${fmt(p.share * 100, 0)} %)`)
      .join(', ');
    notes.push(
      `- **track() time**: median ${ms(b.callMedianMs)}, ${fmt(b.callMedianMs - GOALS.trackMedianMs, 3)} ms over the goal. ` +
        (top ? `Inside the calls the CPU profile finds most self time in ${top}. ` : '') +
        'Web Storage (localStorage) calls count in the self time of the function that makes them: they and ' +
        '`getRandomValues` (the ids) are synchronous on the main thread, once or more per call.',
    );
  }
  if (b && b.scriptLongFrames > 0) {
    notes.push(
      `- **Long tasks**: in ${fmt(b.scriptLongFrames)} long frame(s) (median of rounds) the script's own callbacks ran over 50 ms ` +
        `(longest ${ms(b.scriptLongestMs, 0)}), on a machine whose load was ${fmt(r.machine.load, 1)} on ${r.machine.cores} cores. ` +
        `Started by: ${[...new Set(r.browser.filter((x) => x.tracker === 'parcours' && x.scriptLongFrames > 0).map((x) => x.scriptLongestInvoker || 'unnamed'))].join('; ') || 'unnamed'}.`,
    );
  }
  const st = r.ingest?.stages.find((x) => x.batchSize === 50) ?? r.ingest?.stages[0];
  const row = r.ingest?.sweep.find((x) => x.batchSize === 50 && x.clients === 8);
  if (st && row && row.ratio < GOALS.ingestRatio) {
    const kinds = r.ingest?.workerProfile
      ? Object.entries(r.ingest.workerProfile.kinds ?? {})
          .sort((a, b) => b[1] - a[1])
          .map(([k, v]) => `${k} ${fmt(v * 100, 0)} %`)
          .join(', ')
      : '';
    const c = st.cpu && Number.isFinite(st.cpu.wholeMs) && Number.isFinite(st.cpu.noStoreMs) ? st.cpu : undefined;
    notes.push(
      `- **Ingestion**: ${fmt(row.ratio, 2)} of the raw SQLite rate at batch 50, ${times(GOALS.ingestRatio / row.ratio)} short of 0.5. ` +
        (c
          ? `Per request of ${st.batchSize} events (one client) the collector's processes spend ${ms(c.wholeMs, 1)} of CPU. ` +
            `${ms(c.noStoreMs, 1)} of it goes before anything is stored (a batch whose events are all rejected: HTTP through \`wrangler dev\`'s proxy, ` +
            `body, JSON, rate limiter, validation; a bare \`GET /v1/health\` alone costs ${ms(c.healthMs, 1)}), ${times(c.noStoreMs / c.insertMs)} what ` +
            `SQLite needs to store the same ${st.batchSize} events (${ms(c.insertMs, 1)}): at this batch size even a collector that stored nothing ` +
            `could not reach half the SQLite rate under \`wrangler dev\`; only larger batches amortise that floor (see the batch-size table). ` +
            `Most of that floor is \`wrangler dev\`'s, not workerd's: "Ingestion without wrangler dev" runs the same worker under Miniflare alone. ` +
            `Storing takes the other ${ms(c.wholeMs - c.noStoreMs, 1)}: the insert and the derivation in 2 D1 calls (the site row is cached in the ` +
            `isolate, the day's usage is read only when the write's quota guard refuses it, the insert rides in front of derivation's first ` +
            `read, derivation's write and check are the second call), against ` +
            `${ms(c.insertMs + c.deriveMs, 1)} for the same insert (${ms(c.insertMs, 1)}) and derivation (${ms(c.deriveMs, 1)}) straight on SQLite. `
          : `Per request of ${st.batchSize} events (one client): ${ms(st.wholeMs, 1)} in all, ${ms(st.noStoreMs, 1)} for a batch whose events are all ` +
            `rejected (nothing stored), against ${ms(st.insertMs, 1)} for the insert and ${ms(st.deriveMs, 1)} for the derivation straight on SQLite. `) +
        (kinds
          ? `The worker's CPU profile shows its isolate busy ${fmt(r.ingest!.workerProfile!.busyShare * 100, 0)} % of the time with one client (${kinds}). `
          : '') +
        `workerd and the D1 simulator share the ${r.machine.cores} cores with the clients, so more clients queue instead of adding throughput.`,
    );
  }
  const refused = [...(r.ingest?.sweep ?? []), ...(r.ingest?.levels ?? [])].filter((x) => Object.keys(x.other).length);
  if (refused.length) {
    notes.push(
      `- **Refused batches**: ${refused
        .map(
          (x) =>
            `${Object.entries(x.other)
              .map(([k, v]) => `${v} × ${k}`)
              .join(', ')} at batch ${x.batchSize}, ${fmt(x.stored)} stored`,
        )
        .join('; ')} ` +
        '(503 is `storage-unavailable`: D1 refused the insert, the script keeps those events and sends them again). They count as not stored in events/s.',
    );
  }
  return notes.length ? ['What holds the missed goals back:', '', ...notes, ''] : [];
}

/** The section titled `title` (its `## ` heading line) of a RESULTS.md, up to the next `## ` heading; undefined if absent. */
function section(md: string | undefined, title: string): string | undefined {
  const at = md ? sectionBounds(md, title) : undefined;
  return md && at ? `${md.slice(at.start, at.end).trimEnd()}\n` : undefined;
}

/** The "## Report latency" section of an existing RESULTS.md (written by bench/reports/report-bench.mjs), or a placeholder. */
export function keptReportSection(existing: string | undefined): string {
  return (
    section(existing, '## Report latency') ??
    '## Report latency\n\nNot measured yet: `pnpm bench` runs `bench/reports/report-bench.mjs`, which writes this section.\n'
  );
}

const DERIVE_HISTORY = "## Derivation against a visitor's history";
/** Written by bench/ingest/derive-statements.ts and bench/ingest/compare-ingest.ts (`--write`): kept as they are. */
export const DERIVE_STATEMENTS = "## Derivation's statements per request";
export const INGEST_AGAINST_BASE = '## Ingestion against a base commit';
/** Written by bench/reports/shard-bench.mjs: a site's reports in one shard and in several. */
export const SHARD_REPORTS = '## Report latency: one shard and several';
/** Written by bench/ingest/storage-bench.ts: kept as it is. */
export const STORAGE_PER_EVENT = '## Bytes stored per event';

/** The section bench/ingest/queue-bench.ts writes: queued against direct ingestion. */
const QUEUED_INGESTION = '## Queued ingestion';

/** The section bench/ingest/queue-bench.ts --compare=host writes: `wrangler dev` against Miniflare alone. */
const WITHOUT_WRANGLER_DEV = '## Ingestion without wrangler dev';

/** The section bench/ingest/queue-bench.ts --compare=storage writes: the one D1 against the site shards. */
const STORAGE_LAYOUTS = '## Storage layouts';

/** The section bench/load/load-run.ts writes: simulated browsers, direct and queued, with faults injected. */
const LOAD_RUN = '## Load run';

/** The section `title` of an existing RESULTS.md as its own bench wrote it, kept as it is; none when absent. */
function kept(existing: string | undefined, title: string): string[] {
  const text = section(existing, title);
  return text ? [text] : [];
}

/** The whole RESULTS.md: machine, goals, each benchmark's table, and the kept "Report latency" section. */
export function renderResults(r: AllResults, existingPath: string): string {
  const existing = existsSync(existingPath) ? readFileSync(existingPath, 'utf8') : undefined;
  const m = r.machine;
  return [
    '# Benchmark results',
    '',
    `Written by \`pnpm bench\` (bench/run.mjs) on ${m.date.slice(0, 16).replace('T', ' ')} UTC; size, browser and ingestion benchmarks took ${fmt(r.minutes, 1)} minutes,`,
    'the report bench (`bench/reports/report-bench.mjs`) runs after them and writes its own section. Every figure comes from this one run, ours and',
    'the peers side by side; CI runs only a smoke of each benchmark (`pnpm --filter @parcours/bench run smoke`).',
    '',
    `Machine: ${m.cores} × ${m.cpu}, ${m.memoryGiB} GiB, ${m.os}; Node ${m.node}; ${m.chromium}. Load average when the run`,
    `started: ${fmt(m.load, 1)} (the machine is shared: other work inflates the times of every contender alike, the ratios less).`,
    '',
    ...goalsSection(r),
    ...sizeSection(r),
    ...browserSections(r),
    ...ingestSection(r),
    // Written by bench/ingest/queue-bench.ts, kept as it is.
    ...kept(existing, QUEUED_INGESTION),
    // Written by bench/ingest/queue-bench.ts --compare=host, kept as it is.
    ...kept(existing, WITHOUT_WRANGLER_DEV),
    // Written by bench/ingest/queue-bench.ts --compare=storage, kept as it is.
    ...kept(existing, STORAGE_LAYOUTS),
    // Written by bench/load/load-run.ts, kept as it is.
    ...kept(existing, LOAD_RUN),
    // Written by bench/ingest/derive-history.ts, kept as it is.
    ...kept(existing, DERIVE_HISTORY),
    ...[DERIVE_STATEMENTS, INGEST_AGAINST_BASE, STORAGE_PER_EVENT].flatMap((title) => kept(existing, title)),
    keptReportSection(existing),
    // Written by bench/reports/shard-bench.mjs, kept as it is.
    ...kept(existing, SHARD_REPORTS),
    ...kept(existing, '## Noisy neighbour'),
  ].join('\n');
}
