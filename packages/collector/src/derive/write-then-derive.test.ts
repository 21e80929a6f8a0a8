// writeThenDerive: a batch's writes ride in front of derivation's first read, in one transaction, and derivation sees them.
import { describe, expect, it } from 'vitest';
import { registerSite } from '../../test/helpers.ts';
import { withSiteDb } from '../../test/site-rows.ts';
import { wire } from '../../test/test-support.ts';
import { type EventRow, insertStatements } from '../db/events.ts';
import { pathTextSql } from '../db/insert-sql.ts';
import { toRow } from '../ingest/to-row.ts';
import { writeThenDerive } from './index.ts';
import { TABLE } from '../db/schema.ts';

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];

/** Stored rows of a visitor's page views, as the reports read them. */
async function pageViews(db: D1Database, site: string, visitor: string): Promise<string[]> {
  const { results } = await db
    .prepare(
      `SELECT ${pathTextSql('path_id')} AS path FROM ${TABLE.page_views} WHERE site = ? AND visitor = ? ORDER BY time`,
    )
    .bind(site, visitor)
    .all<{ path: string }>();
  return results.map((r) => r.path);
}

async function storedEvents(db: D1Database, site: string, visitor: string): Promise<number> {
  return (
    (await db
      .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.events} WHERE site = ? AND visitor = ?`)
      .bind(site, visitor)
      .first<number>('n')) ?? 0
  );
}

/** A visitor's two page views as stored rows, a minute ago. */
function rows(visitor: string) {
  const now = Date.now();
  return [
    wire({ type: 'page_view', ts: now - 60_000, stage: 'awareness', visitor, session: 's', path: '/blog/a' }),
    wire({ type: 'page_view', ts: now - 50_000, stage: 'consideration', visitor, session: 's', path: '/products/b' }),
  ].map((e) => toRow(e, STAGES, now, now)!);
}

/** The statements storing these rows: their paths, then the rows. */
function writes(db: D1Database, site: string, stored: EventRow[]): D1PreparedStatement[] {
  const { paths, inserts } = insertStatements(db, site, Date.now(), stored);
  return [...paths, ...inserts];
}

// Each test runs writeThenDerive over the database holding its site's rows: D1, or inside the site's shard.
describe('writeThenDerive', () => {
  it('runs the writes first and derives from what they stored, answering their results in order', async () => {
    const { id } = await registerSite({ stages: STAGES });
    await withSiteDb(id, async (db) => {
      const visitor = `v-${crypto.randomUUID()}`;
      const stored = rows(visitor);
      const { paths, inserts } = insertStatements(db, id, Date.now(), stored);
      const results = await writeThenDerive(db, { id, stages: STAGES }, [...paths, ...inserts], stored);
      expect(results?.slice(paths.length).map((r) => r.meta.changes)).toEqual([2]);
      expect(await pageViews(db, id, visitor)).toEqual(['/blog/a', '/products/b']);

      // The same writes again: nothing new stored, the derived rows unchanged.
      const again = await writeThenDerive(db, { id, stages: STAGES }, [...paths, ...inserts], stored);
      expect(again?.slice(paths.length).map((r) => r.meta.changes)).toEqual([0]);
      expect(await pageViews(db, id, visitor)).toEqual(['/blog/a', '/products/b']);
    });
  });

  it('derives every visitor of a batch of many in the request, nothing left for the schedule', async () => {
    // Reads and writes are grouped across a round's visitors (D1 bounds a compound SELECT to five terms): twelve visitors.
    const { id } = await registerSite({ stages: STAGES });
    await withSiteDb(id, async (db) => {
      const visitors = Array.from({ length: 12 }, (_, i) => `many-${i}-${crypto.randomUUID()}`);
      const stored = visitors.flatMap(rows);
      await writeThenDerive(db, { id, stages: STAGES }, writes(db, id, stored), stored);
      for (const visitor of visitors) expect(await pageViews(db, id, visitor)).toEqual(['/blog/a', '/products/b']);
      const marked = await db
        .prepare(`SELECT COUNT(*) AS n FROM ${TABLE.dirty_visitors} WHERE site = ?`)
        .bind(id)
        .first<number>('n');
      expect(marked).toBe(0);
    });
  });

  it('answers null and keeps nothing of the writes when their batch fails', async () => {
    const { id } = await registerSite({ stages: STAGES });
    await withSiteDb(id, async (db) => {
      const visitor = `v-${crypto.randomUUID()}`;
      const failing = db.prepare(`INSERT INTO ${TABLE.events} (site) VALUES (?)`).bind(id); // NOT NULL columns missing
      const stored = rows(visitor);
      const results = await writeThenDerive(db, { id, stages: STAGES }, [...writes(db, id, stored), failing], stored);
      expect(results).toBeNull();
      expect(await storedEvents(db, id, visitor)).toBe(0);
      expect(await pageViews(db, id, visitor)).toEqual([]);
    });
  });
});
