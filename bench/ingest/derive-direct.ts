// The collector's own derivation (src/derive) run in this process over node:sqlite: how long the transitions step takes alone.
import { mkdtempSync, rmSync } from 'node:fs';
import type { DatabaseSync } from 'node:sqlite';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STAGES } from '@parcours/protocol';
import { TABLE } from '../../packages/collector/src/db/schema.ts';
import { createD1 } from '../reports/d1.mjs';
import { bundleDerive } from './derive-bundle.ts';
import type { WireBatch } from './traffic.ts';

const collector = fileURLToPath(new URL('../../packages/collector', import.meta.url));

type Derive = (
  db: unknown,
  site: { id: string; stages: readonly string[] },
  events: Array<{ visitor: string; time: number }>,
) => Promise<unknown>;

/** Bundles the collector's deriveVisitors (as the report bench does): its D1 types stay out of the bench's own type check. */
async function loadDerive(): Promise<{ derive: Derive; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), 'parcours-bench-derive-'));
  const mod = await bundleDerive<{ deriveVisitors: Derive }>(join(collector, 'src'), join(dir, 'derive.mjs'));
  return { derive: mod.deriveVisitors, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Derives, batch by batch, the visitors of `batches` whose events are already stored under `site`
 * in the SQLite file at `path`, and returns the events per second this step alone sustains.
 */
export async function deriveDirect(
  path: string,
  site: string,
  batches: WireBatch[],
): Promise<{ eventsPerSecond: number; seconds: number; cpuMs: number }> {
  const { derive, cleanup } = await loadDerive();
  const db = createD1(path) as { raw: DatabaseSync; close(): void };
  try {
    // Each batch's events as stored (their clock-corrected times), as ingestion hands them to derivation: read first, untimed.
    const find = db.raw.prepare(`SELECT visitor, time FROM ${TABLE.events} WHERE site = ? AND id = ?`);
    const stored = batches.map((b) =>
      b.list
        .map((e) => find.get(site, e.id) as { visitor: string; time: number } | undefined)
        .filter((r) => r !== undefined),
    );
    const start = performance.now();
    const cpu = process.cpuUsage();
    for (const events of stored) await derive(db, { id: site, stages: DEFAULT_STAGES }, events);
    const seconds = (performance.now() - start) / 1000;
    const used = process.cpuUsage(cpu);
    return {
      eventsPerSecond: batches.reduce((s, b) => s + b.events, 0) / seconds,
      seconds,
      cpuMs: (used.user + used.system) / 1000,
    };
  } finally {
    db.close();
    cleanup();
  }
}
