// Counts one scenario's figures (generated, stored, duplicates, lost, dropped, page errors) and writes the results file.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { ALL_ENGINES, type Engine } from '../harness/engines.ts';
import { exportEvents } from '../harness/collector.ts';
import type { SdkSite } from '../sdk/support.ts';
import { readRecords, type Visitor } from './visitor.ts';

export interface Figures {
  engine: Engine;
  scenario: string;
  /** Event ids the script announced (`parcours:event`), each made once. */
  generated: number;
  /** Distinct generated ids the collector stored. */
  stored: number;
  /** Ids the proxy received in more than one request (resends: allowed, the collector stores each once). */
  duplicatesReceived: number;
  /** Ids stored more than once (must be 0). */
  duplicatesStored: number;
  /** Stored rows whose id this visitor never generated (must be 0). */
  unexpectedStored: number;
  /** Generated ids never stored. */
  lost: number;
  /** Events the outbox cap dropped, as the script reported them in `dropped`. */
  dropped: number;
  /** Errors thrown into the page and promise rejections left unhandled, as the page's own listeners saw them. */
  pageErrors: number;
  /** Event requests the proxy received (faulted ones included). */
  requests: number;
  durationMs: number;
  errorSamples: string[];
  /** A few of the stored rows nobody generated: type and path. */
  unexpectedSamples?: string[];
  /** A few of the generated events never stored: type, path, and whether the proxy saw them sent and answered 200. */
  lostSamples?: string[];
  /** Set when the scenario failed part-way: its first line (the figures are what it saw until then). */
  failed?: string;
}

/** A scenario an engine cannot run, and why. */
export interface Skipped {
  engine: Engine;
  scenario: string;
  reason: string;
}

/**
 * Waits (up to `timeoutMs`) until every generated id is stored, then counts the figures: nothing here throws on a bad
 * figure, the test asserts them so a failing run still reports what it saw.
 */
export async function countFigures(
  engine: Engine,
  scenario: string,
  s: SdkSite,
  v: Visitor,
  startedAt: number,
  timeoutMs = 30_000,
): Promise<Figures> {
  const { ids, events, errors } = await readRecords(v, s.origin);
  const generated = new Set(ids);
  let rows: Array<Record<string, unknown>> = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    // Reports (the export too) are rate-limited per site: a refusal is waited out as a client would, not a figure.
    const page = await exportEvents(s.collector, s.site, s.token).catch((err: unknown) => {
      if (String(err).includes('429')) return undefined;
      throw err;
    });
    if (page) rows = page;
    const have = new Set(rows.map((r) => r.id as string));
    if ((page && [...generated].every((id) => have.has(id))) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, page ? 1_000 : 5_000));
  }
  const storedCount = new Map<string, number>();
  for (const r of rows) storedCount.set(r.id as string, (storedCount.get(r.id as string) ?? 0) + 1);
  const receivedCount = new Map<string, number>();
  for (const id of s.proxy.sentIds()) receivedCount.set(id, (receivedCount.get(id) ?? 0) + 1);
  return {
    engine,
    scenario,
    generated: generated.size + (ids.length - generated.size), // a repeated id would be a bug of its own: count every announcement
    stored: [...generated].filter((id) => storedCount.has(id)).length,
    duplicatesReceived: [...receivedCount.values()].filter((n) => n > 1).length,
    duplicatesStored: [...storedCount.values()].filter((n) => n > 1).length,
    unexpectedStored: [...storedCount.keys()].filter((id) => !generated.has(id)).length,
    lost: [...generated].filter((id) => !storedCount.has(id)).length,
    dropped: reportedDropped(s),
    pageErrors: errors.length,
    requests: s.proxy.requests.length,
    durationMs: Date.now() - startedAt,
    errorSamples: errors.slice(0, 5),
    unexpectedSamples: rows
      .filter((r) => !generated.has(r.id as string))
      .slice(0, 10)
      .map((r) => `${String(r.type)} ${String(r.path ?? r.url)}`),
    lostSamples: lostSamples(s, events, storedCount),
  };
}

/** Up to 10 generated events never stored, each with how far it got: never sent, sent, or answered 200. */
function lostSamples(s: SdkSite, events: Array<Record<string, unknown>>, stored: Map<string, number>): string[] {
  const sent = new Set(s.proxy.sentIds());
  const delivered = new Set(s.proxy.deliveredIds());
  return events
    .filter((e) => !stored.has(e.id as string))
    .slice(0, 10)
    .map((e) => {
      const id = e.id as string;
      const got = delivered.has(id) ? 'answered 200' : sent.has(id) ? 'sent, never answered 200' : 'never sent';
      return `${String(e.type)} ${String(e.url)}: ${got}`;
    });
}

/** The `dropped` counts of acknowledged batches, each counted with the first batch that delivered new ids (a resend repeats it). */
function reportedDropped(s: SdkSite): number {
  const seen = new Set<string>();
  let total = 0;
  for (const r of s.proxy.requests) {
    if (r.outcome !== 200) continue;
    let body: { dropped?: number; events?: Array<{ id: string }> };
    try {
      body = JSON.parse(r.body) as typeof body;
    } catch {
      continue;
    }
    const fresh = (body.events ?? []).filter((e) => !seen.has(e.id));
    for (const e of fresh) seen.add(e.id);
    if (fresh.length > 0 && typeof body.dropped === 'number') total += body.dropped;
  }
  return total;
}

/** One engine's full run, as kept in the results file so a run of another engine does not erase it. */
interface EngineRun {
  date: string;
  machine: string;
  note: string;
  rows: Figures[];
  skipped: Skipped[];
}

const DATA = /<!-- figures (\{[\s\S]*?\}) -->/;
const FINDINGS = '\n## Findings';

/**
 * Writes the "Reliability of the script" results file: a table of every scenario with a column per engine, each
 * engine's detailed figures and how it was run. The scenarios of this run replace their own figures; the others' stay
 * (kept as JSON in a comment at the end), and so does the hand-written "Findings" section.
 */
export function writeResults(path: string, rows: Figures[], skipped: Skipped[], sizes: string[], note: string): void {
  const old = existsSync(path) ? readFileSync(path, 'utf8') : '';
  let runs: Partial<Record<Engine, EngineRun>> = {};
  try {
    runs = JSON.parse(DATA.exec(old)?.[1] ?? '{}') as typeof runs;
  } catch {
    runs = {};
  }
  const machine = `${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, shared with other jobs`;
  for (const engine of new Set([...rows, ...skipped].map((r) => r.engine))) {
    // A run of some scenarios (vitest -t) replaces those, and keeps the engine's other scenarios from earlier runs.
    const ran = new Set([...rows, ...skipped].filter((r) => r.engine === engine).map((r) => r.scenario));
    const before = runs[engine];
    runs[engine] = {
      date: new Date().toISOString(),
      machine,
      note: before?.rows.some((f) => !ran.has(f.scenario))
        ? `${note} Scenarios not in this run: ${before.date}.`
        : note,
      rows: [
        ...(before?.rows.filter((f) => !ran.has(f.scenario)) ?? []),
        ...rows.filter((r) => r.engine === engine).map((f) => ({ ...f, errorSamples: [] })),
      ],
      skipped: [
        ...(before?.skipped.filter((k) => !ran.has(k.scenario)) ?? []),
        ...skipped.filter((r) => r.engine === engine),
      ],
    };
  }
  const engines = ALL_ENGINES.filter((e) => runs[e]);
  const scenarios = [
    ...new Set(engines.flatMap((e) => [...runs[e]!.rows, ...runs[e]!.skipped].map((r) => r.scenario))),
  ];
  const n = (x: number) => x.toLocaleString('en-US');
  const cell = (e: Engine, scenario: string) => {
    const f = runs[e]!.rows.find((r) => r.scenario === scenario);
    if (f)
      return `${n(f.generated)} / ${n(f.stored)} / ${n(f.lost)} ≤ ${n(f.dropped)} / ${f.duplicatesStored} / ${f.pageErrors}${f.failed ? ' (failed, see below)' : ''}`;
    const skip = runs[e]!.skipped.find((r) => r.scenario === scenario);
    return skip ? `skipped: ${skip.reason}` : 'not run';
  };
  const summary = [
    `| scenario | ${engines.join(' | ')} |`,
    `| --- |${engines.map(() => ' ---: |').join('')}`,
    ...scenarios.map((sc) => `| ${sc} | ${engines.map((e) => cell(e, sc)).join(' | ')} |`),
  ].join('\n');
  const detail = (e: Engine) => {
    const r = runs[e]!;
    const line = (f: Figures) =>
      `| ${f.scenario} | ${f.generated} | ${f.stored} | ${f.duplicatesReceived} | ${f.duplicatesStored} | ${f.lost} | ${f.dropped} | ${f.pageErrors} | ${f.requests} | ${(f.durationMs / 1000).toFixed(1)} s |`;
    return `### ${e}

| scenario | generated | stored | duplicates received | duplicates stored | lost | dropped (reported) | page errors | requests | duration |
| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |
${r.rows.map(line).join('\n')}
${r.rows
  .filter((f) => f.failed)
  .map((f) => `\nFailed: ${f.scenario}: ${f.failed!.replaceAll('|', '\\|')}`)
  .join('')}${r.skipped.map((k) => `\nSkipped: ${k.scenario}: ${k.reason}.`).join('')}
Run ${r.date} on ${r.machine}. ${r.note}`;
  };
  const findings = old.includes(FINDINGS)
    ? `${old
        .slice(old.indexOf(FINDINGS) + 1)
        .replace(DATA, '')
        .trimEnd()}\n`
    : '';
  const text = `# Reliability of the script

The built script (\`packages/sdk/dist/parcours.js\`) in real browsers, Chromium, Firefox ESR and WebKitGTK (Safari's
engine), each with its back/forward cache on, against the real collector under \`wrangler dev\` (local D1), through a
recording fault proxy. "Generated" is every id the script announced (\`parcours:event\`), "stored" the distinct ones
the collector's events export holds, "duplicates received" the ids the proxy saw in more than one request (resends
after a lost answer, beacons: allowed), "duplicates stored" ids stored twice, "lost" generated ids never stored,
"dropped" what the outbox cap reported in \`dropped\`, "page errors" every error thrown into a page and every promise
rejection left unhandled, as the page's own listeners saw them.

Run: \`pnpm --filter @parcours/e2e run reliability\` (the sizes below; \`RELIABILITY_FULL=1\`; \`PARCOURS_ENGINES=firefox\`
for one engine, whose figures then replace only its own). The CI slice of each scenario runs in \`npm test\` with the
same assertions.

## Figures

Each cell: generated / stored / lost ≤ dropped (reported) / stored twice / page errors.

${summary}

## Scenarios

${sizes.map((s) => `- ${s}`).join('\n')}

## Figures per engine

${engines.map(detail).join('\n\n')}
${findings ? `\n${findings}` : ''}
<!-- figures ${JSON.stringify(runs)} -->
`;
  writeFileSync(path, text);
}
