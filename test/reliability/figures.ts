// Counts one scenario's figures (generated, stored, duplicates, lost, dropped, page errors) and writes the results table.
import { writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { exportEvents } from '../harness/collector.ts';
import type { SdkSite } from '../sdk/support.ts';
import type { RelVisitor } from './visitor.ts';

export interface Figures {
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
  /** Errors thrown into the page: Playwright's `pageerror` plus the page's own `error`/`unhandledrejection` listeners. */
  pageErrors: number;
  /** Event requests the proxy received (faulted ones included). */
  requests: number;
  durationMs: number;
  errorSamples: string[];
}

/**
 * Waits (up to `timeoutMs`) until every generated id is stored, then counts the figures: nothing here throws on a bad
 * figure, the test asserts them so a failing run still reports what it saw.
 */
export async function countFigures(
  scenario: string,
  s: SdkSite,
  v: RelVisitor,
  startedAt: number,
  timeoutMs = 30_000,
): Promise<Figures> {
  const { ids, inPageErrors } = await v.read(s.origin);
  const generated = new Set(ids);
  let rows: Array<Record<string, unknown>> = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    rows = await exportEvents(s.collector, s.site, s.token);
    const have = new Set(rows.map((r) => r.id as string));
    if ([...generated].every((id) => have.has(id)) || Date.now() > deadline) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  const storedCount = new Map<string, number>();
  for (const r of rows) storedCount.set(r.id as string, (storedCount.get(r.id as string) ?? 0) + 1);
  const receivedCount = new Map<string, number>();
  for (const id of s.proxy.sentIds()) receivedCount.set(id, (receivedCount.get(id) ?? 0) + 1);
  const errors = [...v.pageErrors, ...inPageErrors];
  return {
    scenario,
    generated: generated.size + (ids.length - generated.size), // a repeated id would be a bug of its own: count every announcement
    stored: [...generated].filter((id) => storedCount.has(id)).length,
    duplicatesReceived: [...receivedCount.values()].filter((n) => n > 1).length,
    duplicatesStored: [...storedCount.values()].filter((n) => n > 1).length,
    unexpectedStored: [...storedCount.keys()].filter((id) => !generated.has(id)).length,
    lost: [...generated].filter((id) => !storedCount.has(id)).length,
    dropped: reportedDropped(s),
    pageErrors: Math.max(v.pageErrors.length, inPageErrors.length),
    requests: s.proxy.requests.length,
    durationMs: Date.now() - startedAt,
    errorSamples: errors.slice(0, 5),
  };
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
    fresh.forEach((e) => seen.add(e.id));
    if (fresh.length > 0 && typeof body.dropped === 'number') total += body.dropped;
  }
  return total;
}

/** Writes the "Reliability of the script" results file: the table of every scenario plus how it was run. */
export function writeResults(path: string, rows: Figures[], sizes: string[], note: string): void {
  const head = '| scenario | generated | stored | duplicates received | duplicates stored | lost | dropped (reported) | page errors | requests | duration |';
  const rule = '| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |';
  const line = (f: Figures) =>
    `| ${f.scenario} | ${f.generated} | ${f.stored} | ${f.duplicatesReceived} | ${f.duplicatesStored} | ${f.lost} | ${f.dropped} | ${f.pageErrors} | ${f.requests} | ${(f.durationMs / 1000).toFixed(1)} s |`;
  const text = `# Reliability of the script

The built script (\`packages/sdk/dist/parcours.js\`) in real headless Chromium, against the real collector under
\`wrangler dev\` (local D1), through a recording fault proxy. "Generated" is every id the script announced
(\`parcours:event\`), "stored" the distinct ones the collector's events export holds, "duplicates received" the ids the
proxy saw in more than one request (resends after a lost answer, beacons: allowed), "duplicates stored" ids stored
twice, "lost" generated ids never stored, "dropped" what the outbox cap reported in \`dropped\`, "page errors"
Playwright's \`pageerror\` plus the page's own \`error\` / \`unhandledrejection\` listeners.

Run: \`pnpm --filter @parcours/e2e run reliability\` (the sizes below; \`RELIABILITY_FULL=1\`). The CI slice of each
scenario runs in \`npm test\` with the same assertions.

## Figures

${head}
${rule}
${rows.map(line).join('\n')}

## Scenarios

${sizes.map((s) => `- ${s}`).join('\n')}

## Run

- Date: ${new Date().toISOString()}
- Machine: ${cpus().length} × ${cpus()[0]?.model ?? 'unknown CPU'}, ${(totalmem() / 2 ** 30).toFixed(1)} GiB, shared with other jobs
- ${note}
`;
  writeFileSync(path, text);
}
