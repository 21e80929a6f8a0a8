// RESULTS.md rendering: kept sections, per-event scaling, goal verdicts.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { BrowserRun } from '../browser/main-thread-bench.ts';
import { keptReportSection, renderResults, summarizeBrowser, type AllResults } from './results-md.ts';
import { placeSection, writeSection } from './results-section.ts';

const run = (
  tracker: BrowserRun['tracker'],
  callMedianMs: number,
  delivered: number,
  requestBytes: number,
): BrowserRun => ({
  tracker,
  run: 1,
  events: 1000,
  callMedianMs,
  callP95Ms: callMedianMs * 2,
  callMaxMs: 1,
  timerResolutionUs: 5,
  loadLongTasks: 0,
  loadTbtMs: 0,
  runLongTasks: 0,
  runTbtMs: 0,
  scriptLongFrames: 0,
  scriptLongestMs: 3,
  scriptLongestInvoker: '',
  requests: 10,
  bodyBytes: requestBytes / 2,
  requestBytes,
  responseBytes: 100,
  eventsDelivered: delivered,
  deliveredMs: 100,
  errors: [],
});

const results = (browser: BrowserRun[]): AllResults => ({
  machine: {
    cpu: 'Test CPU',
    cores: 2,
    memoryGiB: 24,
    os: 'linux',
    node: 'v24',
    chromium: 'Chromium 1',
    date: '2026-11-23T10:00:00.000Z',
    load: 1,
  },
  smoke: false,
  minutes: 1,
  browserRuns: 1,
  ingestRuns: 1,
  profile: [],
  browser,
  sizes: [
    {
      id: 'parcours-core',
      name: 'Parcours core',
      source: 'x',
      minified: 6000,
      gzip: 2800,
      brotli: 2500,
      features: { offline: 'yes', forms: 'no', carts: 'no', stages: 'yes' },
    },
    {
      id: 'parcours',
      name: 'Parcours',
      source: 'x',
      minified: 8000,
      gzip: 4000,
      brotli: 3600,
      features: { offline: 'yes', forms: 'yes', carts: 'yes', stages: 'yes' },
    },
    {
      id: 'plausible',
      name: 'Plausible',
      source: 'y',
      minified: 6434,
      gzip: 2670,
      brotli: 2355,
      features: { offline: 'no', forms: 'no', carts: 'no', stages: 'no' },
    },
  ],
});

describe('RESULTS.md', () => {
  it('keeps the report-latency section another script wrote, and only that section', () => {
    const existing =
      '# Benchmark results\n\n## Script size\nold\n\n## Report latency\n\n| report | 1M |\n| funnel | 12 ms |\n\n## Later\nx\n';
    expect(keptReportSection(existing)).toBe('## Report latency\n\n| report | 1M |\n| funnel | 12 ms |\n');
    expect(keptReportSection(undefined)).toContain('Not measured yet');
  });

  it("replaces a benchmark's own section, or adds it before the given one", () => {
    const md = '# R\n\n## Ingestion\na\n\n## Report latency\nb\n';
    const added = placeSection(md, '## Derive\nfirst', '## Report latency');
    expect(added).toBe('# R\n\n## Ingestion\na\n\n## Derive\nfirst\n\n## Report latency\nb\n');
    expect(placeSection(added, '## Derive\nsecond', '## Report latency')).toBe(
      '# R\n\n## Ingestion\na\n\n## Derive\nsecond\n\n## Report latency\nb\n',
    );
  });

  it('scales wire figures per 1,000 delivered events, so a tracker that loses events does not look cheaper', () => {
    const [s] = summarizeBrowser([run('plausible', 0.5, 250, 175_000)]);
    expect(s!.requestBytes).toBe(700_000);
    expect(s!.delivered).toBe(0.25);
  });

  it('states each goal as met or missed with the measured figures', () => {
    const dir = mkdtempSync(join(tmpdir(), 'results-md-'));
    const path = join(dir, 'RESULTS.md');
    writeFileSync(path, '## Report latency\n\nkept\n');
    const md = renderResults(
      results([run('none', 0, 0, 0), run('parcours', 0.25, 1000, 300_000), run('plausible', 0.5, 1000, 700_000)]),
      path,
    );
    expect(md).toContain(
      "| the core variant smaller than Plausible's full tracker (gzip) while doing more | **missed**: 2,800 B against 2,670 B gzip",
    );
    expect(md).toContain('| the full tag (every feature) at most 4,096 B gzip | **met**: 4,000 B gzip (96 B under) |');
    expect(md).toContain('**missed**: median 0.250 ms (2.5× the goal)');
    expect(md).toContain('2 × Test CPU, 24 GiB');
    expect(md.trimEnd().endsWith('## Report latency\n\nkept')).toBe(true);
  });

  it('shows what each part of the core costs, and where the core stands once every guarantee of ours is out', () => {
    const dir = mkdtempSync(join(tmpdir(), 'results-md-'));
    const path = join(dir, 'RESULTS.md');
    const r = results([run('parcours', 0.25, 1000, 300_000)]);
    r.costs = [
      { part: null, core: 3000, full: 6000 },
      { part: 'the lock', kind: 'guarantee', core: 2900, full: 5920 },
      { part: 'the copy', kind: 'mission', core: 2600, full: 5700 },
    ];
    const md = renderResults(r, path);
    expect(md).toContain('| nothing: the tag as built | | 3,000 B | | +12 % | 6,000 B |');
    expect(md).toContain('| the lock | ours, beyond the contract | 2,900 B | 100 B | +9 % | 5,920 B |');
    expect(md).toContain(
      '| the copy | the mission: nothing lost when a tab closes, true in every engine | 2,600 B | 300 B | -3 % |',
    );
    expect(md).toContain(
      "parts in 2,900 B, 230 B over Plausible's full tracker; the full tag keeps its features in 5,920 B.",
    );
  });

  it('keeps the sections other benches write: derivation history, Report latency and Noisy neighbour, each once', () => {
    const dir = mkdtempSync(join(tmpdir(), 'results-md-'));
    const path = join(dir, 'RESULTS.md');
    const history = "## Derivation against a visitor's history\n\nhistory\n\n";
    writeFileSync(path, `# old\n\n${history}## Report latency\n\nreports\n\n## Noisy neighbour\n\nneighbour\n`);
    const md = renderResults(results([run('none', 0, 0, 0), run('parcours', 0.25, 1000, 300_000)]), path);
    expect(md.trimEnd().endsWith(`${history}## Report latency\n\nreports\n\n## Noisy neighbour\n\nneighbour`)).toBe(
      true,
    );
    for (const heading of ["## Derivation against a visitor's history", '## Report latency', '## Noisy neighbour'])
      expect(md.split(heading).length, heading).toBe(2);
    // The neighbour bench then replaces its own section only.
    writeFileSync(path, md);
    writeSection(path, '## Noisy neighbour\n\nnew figures\n');
    const after = readFileSync(path, 'utf8');
    expect(after.trimEnd().endsWith('## Report latency\n\nreports\n\n## Noisy neighbour\n\nnew figures')).toBe(true);
    expect(after.startsWith(md.slice(0, md.indexOf('## Report latency')))).toBe(true);
  });
});
