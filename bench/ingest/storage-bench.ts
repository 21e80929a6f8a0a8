// Bytes stored per event, this checkout against a base commit, side by side: the same batches ingested by each tree's
// own code (rows, a request's statements, derivation) into a fresh SQLite file built by that tree's migrations.
// Usage: pnpm --filter @parcours/bench exec node ingest/storage-bench.ts [--base=REV] [--flood=20] [--shop=20000] [--no-write]
// Writes its section of bench/RESULTS.md unless --no-write.
import { mkdtempSync, rmSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { WireEvent } from '@parcours/protocol';
import { STORAGE_PER_EVENT } from '../lib/results-md.ts';
import { writeSection } from '../lib/results-section.ts';
import { median, ratio } from '../lib/stats.ts';
import { createD1 } from '../reports/d1.mjs';
import { migrate } from './sqlite-direct.ts';
import { makeBatches } from './traffic.ts';
import { baseCommit, COLLECTOR, ingest, loadTree, SITE, unpackCollector } from './tree-ingest.ts';

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const write = !args.has('no-write');
const base = baseCommit(args);
const floodBatches = Number(args.get('flood') ?? 20);
const shopEvents = Number(args.get('shop') ?? 20_000);

/** 400 page views of a new visitor, each with its own 1,700-character path: the issue's path flood. */
function floodBatch(n: number, now: number): WireEvent[] {
  return Array.from({ length: 400 }, (_, i) => ({
    id: `flood-${n}-${i}`,
    type: 'page_view',
    ts: now - 60_000 + i,
    stage: 'awareness',
    visitor: `flood-${n}`,
    session: `flood-${n}`,
    url: `https://shop.example/${`${n}-${i}-`.padEnd(1700, 'p')}`,
  })) as WireEvent[];
}

/** Bytes of the database's pages once its WAL is folded in, in all and per table (its indexes with it), from dbstat. */
function storedBytes(raw: DatabaseSync): { total: number; parts: Record<string, number> } {
  raw.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  const parts = raw
    .prepare(
      'SELECT m.tbl_name AS tbl, SUM(d.pgsize) AS bytes FROM dbstat d JOIN sqlite_master m ON m.name = d.name GROUP BY 1',
    )
    .all() as Array<{ tbl: string; bytes: number }>;
  return {
    total: parts.reduce((s, p) => s + p.bytes, 0),
    parts: Object.fromEntries(parts.map((p) => [p.tbl, p.bytes])),
  };
}

interface Measured {
  events: number;
  bytes: { total: number; parts: Record<string, number> };
  /** Per request: wall ms and CPU ms per event. */
  wallPerEvent: number[];
  cpuPerEvent: number[];
}

const dir = mkdtempSync(join(tmpdir(), 'storage-bench-'));
try {
  const trees = [
    { name: 'base', root: unpackCollector(base, dir) },
    { name: 'this', root: COLLECTOR },
  ];
  const sides = await Promise.all(
    trees.map(async (t) => ({ ...t, c: await loadTree(t.root, join(dir, `${t.name}.mjs`)) })),
  );
  const now = Date.now();
  const workloads = [
    {
      name: `path flood (${floodBatches} requests of 400 page views, each its own 1,700-character path)`,
      short: 'path flood',
      requests: Array.from({ length: floodBatches }, (_, n) => floodBatch(n, now)),
    },
    {
      name: `shop traffic (${shopEvents.toLocaleString('en-US')} events of generated journeys, requests of 50)`,
      short: 'shop traffic',
      requests: makeBatches(SITE.id, shopEvents, 50, 42, now).map((b) => b.list),
    },
  ];
  const results: Array<{ workload: (typeof workloads)[number]; measured: Record<string, Measured> }> = [];
  for (const workload of workloads) {
    const dbs = sides.map((s) => {
      const db = createD1(join(dir, `${s.name}-${workload.short.replace(' ', '-')}.sqlite`));
      migrate(db.raw, join(s.root, 'migrations'));
      return db;
    });
    const measured: Record<string, Measured> = {};
    for (const s of sides)
      measured[s.name] = { events: 0, bytes: { total: 0, parts: {} }, wallPerEvent: [], cpuPerEvent: [] };
    for (const [i, events] of workload.requests.entries()) {
      // In turn first: whatever warms up (caches, the JIT) favours neither side.
      const order = i % 2 ? [1, 0] : [0, 1];
      for (const k of order) {
        const m = measured[sides[k]!.name]!;
        const start = performance.now();
        const cpu = process.cpuUsage();
        await ingest(sides[k]!.c, dbs[k]!, events, now);
        const used = process.cpuUsage(cpu);
        m.wallPerEvent.push((performance.now() - start) / events.length);
        m.cpuPerEvent.push((used.user + used.system) / 1000 / events.length);
        m.events += events.length;
      }
    }
    sides.forEach((s, k) => {
      measured[s.name]!.bytes = storedBytes(dbs[k]!.raw);
      dbs[k]!.close();
    });
    results.push({ workload, measured });
  }

  const kb = (bytes: number, events: number) => (bytes / events / 1024).toFixed(2);
  const us = (ms: number) => `${(ms * 1000).toFixed(0)} µs`;
  const lines = [
    STORAGE_PER_EVENT,
    '',
    `Written by \`bench/ingest/storage-bench.ts\` (${new Date().toISOString().slice(0, 10)}): the same requests ingested by the base`,
    `commit's collector code (${base.slice(0, 7)}) and this checkout's, each into a fresh SQLite file built by its own migrations`,
    "(node:sqlite, D1's API over it: `bench/reports/d1.mjs`), each request as `storeBatch` stores it once quotas let it",
    'through (rows, counters, the insert, sessions, derivation in the same batch), the two sides in turn first.',
    "Bytes: the file's pages once its WAL is folded in (SQLite's `dbstat`), per event stored; a table's indexes count with it.",
    'Time: wall and CPU per event of each request, medians over the requests, in this process (no HTTP, no workerd);',
    `load average when written ${loadavg()
      .map((l) => l.toFixed(1))
      .join(' / ')} (the machine is shared).`,
    "Where a flooded path's bytes still go: `paths` holds it in its row and again in its `UNIQUE (site, path)` index,",
    "whose entries spill past about 1 KB into a 4 KB overflow page each; `events` keeps the url as received in each event's",
    'JSON, which the export answers.',
    '',
    '| workload | code | KB stored per event | events | page_views | paths | transitions | page_days | ingest wall per event | CPU per event |',
    '| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |',
  ];
  for (const { workload, measured } of results)
    for (const s of sides) {
      const m = measured[s.name]!;
      const part = (t: string) => kb(m.bytes.parts[t] ?? 0, m.events);
      lines.push(
        `| ${workload.name} | ${s.name === 'base' ? `base (${base.slice(0, 7)})` : 'this checkout'} | ${kb(m.bytes.total, m.events)} | ${part('events')} | ${part('page_views')} | ${part('paths')} | ${part('transitions')} | ${part('page_days')} | ${us(median(m.wallPerEvent))} | ${us(median(m.cpuPerEvent))} |`,
      );
    }
  lines.push('');
  for (const { workload, measured } of results) {
    const [b, t] = [measured.base!, measured.this!];
    lines.push(
      `- ${workload.short}: this checkout stores ${ratio(t.bytes.total, b.bytes.total).toFixed(2)}× the base's bytes per event` +
        ` (${(b.bytes.total / t.bytes.total).toFixed(2)}× fewer); ingestion per event ${ratio(median(t.wallPerEvent), median(b.wallPerEvent)).toFixed(2)}× the base's wall time,` +
        ` ${ratio(median(t.cpuPerEvent), median(b.cpuPerEvent)).toFixed(2)}× its CPU.`,
    );
  }
  console.log(lines.join('\n'));
  if (write) {
    const path = fileURLToPath(new URL('../RESULTS.md', import.meta.url));
    writeSection(path, lines.join('\n'), '## Report latency');
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
