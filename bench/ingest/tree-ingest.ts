// A collector source tree's own ingestion, bundled and run over node:sqlite: the benches that store the same requests
// with a base commit's code and this checkout's (storage-bench.ts) share it.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DEFAULT_STAGES, type WireEvent } from '@parcours/protocol';
import type { createD1 } from '../reports/d1.mjs';
import { bundleModules } from './derive-bundle.ts';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
/** This checkout's collector. */
export const COLLECTOR = join(ROOT, 'packages/collector');
export const SITE = { id: 'bench', stages: [...DEFAULT_STAGES] };
/** The request's traits as the edge gives them: a desktop Chrome, one country. */
const REQUEST = {
  userAgent: 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36',
  country: 'DE',
};

export type Db = ReturnType<typeof createD1>;
type Row = { id: string; visitor: string; time: number; data: string } & Record<string, unknown>;

/** What a tree's ingestion is made of: the same calls storeBatch makes once quotas let a batch through. */
export interface TreeIngestion {
  toRow(event: WireEvent, stages: readonly string[], sentAt: number, receivedAt: number): Row | null;
  sessionCandidates(stored: Array<Row & { event: WireEvent }>, request: typeof REQUEST): unknown[];
  storeStatements(db: Db, site: string, part: Record<string, unknown>): Record<string, unknown[]>;
  writeThenDerive(db: Db, site: typeof SITE, writes: unknown[], rows: Row[]): Promise<unknown>;
}
const INGEST_MODULES = ['ingest/to-row.ts', 'db/sessions.ts', 'ingest/store-batch.ts', 'derive/index.ts'];

/** The commit this branch started from (main as it was), or `--base=REV` of the bench's arguments. */
export function baseCommit(args: Map<string, string>): string {
  return (
    args.get('base') ?? execFileSync('git', ['-C', ROOT, 'merge-base', 'HEAD', 'main'], { encoding: 'utf8' }).trim()
  );
}

/** Unpacks the collector's sources and migrations of commit `rev` into `dir`; answers the collector's directory there. */
export function unpackCollector(rev: string, dir: string): string {
  execFileSync('sh', [
    '-c',
    `git -C "${ROOT}" archive ${rev} packages/collector/src packages/collector/migrations | tar -x -C "${dir}"`,
  ]);
  return join(dir, 'packages/collector');
}

/** Bundles the modules (INGEST_MODULES and `more`) of the collector tree at `collector` into `out` and imports them. */
export function loadTree<T extends TreeIngestion>(collector: string, out: string, more: string[] = []): Promise<T> {
  return bundleModules<T>(join(collector, 'src'), [...INGEST_MODULES, ...more], out);
}

/** One request's events stored as the tree's storeBatch stores them (no quota: everything is stored). */
export async function ingest(c: TreeIngestion, db: Db, events: WireEvent[], now: number): Promise<void> {
  const stored = events.map((event) => ({ ...c.toRow(event, SITE.stages, now, now)!, event }));
  const rows = stored.map(({ event: _, ...row }) => row as Row);
  const parts = c.storeStatements(db, SITE.id, {
    day: new Date(now).toISOString().slice(0, 10),
    receivedAt: now,
    rows,
    counted: rows.map((r) => ({ id: r.id, visitor: r.visitor, bytes: r.data.length })),
    sessions: c.sessionCandidates(stored, REQUEST),
    dropped: 0,
  });
  // Its statements in the order the tree lists them (counters, [paths,] inserts, sessions), then derivation.
  await c.writeThenDerive(db, SITE, Object.values(parts).flat(), rows);
}
