// Ingestion traffic and the SQLite baseline, against a real SQLite file with the collector's migrations.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { pathTextSql } from '../../packages/collector/src/db/insert-sql.ts';
import { TABLE } from '../../packages/collector/src/db/schema.ts';
import { countEvents, insertDirect, migrate, open, prefill } from './sqlite-direct.ts';
import { makeBatches } from './traffic.ts';

const dir = mkdtempSync(join(tmpdir(), 'sqlite-direct-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const MIGRATIONS = fileURLToPath(new URL('../../packages/collector/migrations', import.meta.url));

describe('ingestion traffic and the SQLite baseline', () => {
  it('cuts journeys into batches of the asked size that together hold every event once', () => {
    const batches = makeBatches('shop', 1234, 50, 1);
    expect(batches.map((b) => b.events).reduce((a, b) => a + b)).toBe(1234);
    expect(batches.slice(0, -1).every((b) => b.events === 50)).toBe(true);
    const ids = batches.flatMap((b) => b.list.map((e) => e.id));
    expect(new Set(ids).size).toBe(1234);
    const body = JSON.parse(batches[0]!.body) as { v: number; site: string; events: unknown[] };
    expect(body.v).toBe(1);
    expect(body.site).toBe('shop');
    expect(body.events).toHaveLength(50);
  });

  it("stores each event once with the collector's statement, even when a batch is sent twice", () => {
    const db = open(join(dir, 'a.sqlite'));
    migrate(db, MIGRATIONS);
    const batches = makeBatches('shop', 450, 200, 2);
    expect(insertDirect(db, 'shop', batches).inserted).toBe(450);
    expect(insertDirect(db, 'shop', batches).inserted).toBe(0);
    const row = db
      .prepare(
        `SELECT ${pathTextSql('path_id')} AS path, stage_index, data FROM ${TABLE.events} WHERE site = 'shop' AND type = 'page_view' LIMIT 1`,
      )
      .get() as { path: string; stage_index: number; data: string };
    expect(row.path.startsWith('/')).toBe(true);
    expect(row.stage_index).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(row.data).type).toBe('page_view');
    db.close();
  });

  it('prefills a site up to the asked number of stored events and no further', () => {
    const db = open(join(dir, 'b.sqlite'));
    migrate(db, MIGRATIONS);
    expect(prefill(db, 'shop', 3000, 5)).toBe(3000);
    expect(prefill(db, 'shop', 5000, 6)).toBe(2000);
    expect(prefill(db, 'shop', 4000, 7)).toBe(0);
    expect(countEvents(db)).toBe(5000);
    db.close();
  });
});
