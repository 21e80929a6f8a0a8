// Derivation that falls behind (a failure after the events were stored, a request's budget spent) answers 2xx and is
// finished by the schedule; a derivation that read before an erasure never writes the erased rows back.
import { describe, expect, it } from 'vitest';
import { DEFAULT_STAGES, type WireEvent } from '@parcours/protocol';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import { runScheduleFor, siteDb, siteKnownToShard, storedEvents, withSiteDb } from '../../test/site-rows.ts';
import { derivedRows, report, rollups, send, wire } from '../../test/test-support.ts';
import { insertStatements } from '../db/events.ts';
import { guardStatement } from '../db/guards.ts';
import { toRow } from '../ingest/to-row.ts';
import { markStatements } from './dirty.ts';
import { deriveVisitors, rebuildVisitors } from './index.ts';
import { isStale } from './store.ts';
import { TABLE } from '../db/schema.ts';

const STAGES = [...DEFAULT_STAGES];

/** `n` page views of one visitor a second apart from `start`, alternating two stages (each one a move). */
function pageViews(visitor: string, n: number, start: number, session = 's1'): WireEvent[] {
  return Array.from({ length: n }, (_, i) =>
    wire({
      type: 'page_view',
      ts: start + i * 1000,
      stage: i % 2 ? 'decision' : 'awareness',
      visitor,
      session,
      path: i % 2 ? '/checkout' : `/blog/${i % 7}`,
    }),
  );
}

/** Stores events as ingestion does, without deriving them, where the site's rows are (its shard knowing the site). */
async function storeOnly(site: string, events: WireEvent[]): Promise<void> {
  await siteKnownToShard(site);
  const now = Date.now();
  const rows = events.map((e) => toRow(e, STAGES, now, now)!);
  await withSiteDb(site, (db) => {
    const { paths, inserts } = insertStatements(db, site, now, rows);
    return db.batch([...paths, ...inserts]);
  });
}

async function marks(site: string, db = siteDb(site)): Promise<Array<{ visitor: string; since: number }>> {
  const { results } = await db
    .prepare(`SELECT visitor, since FROM ${TABLE.dirty_visitors} WHERE site = ? ORDER BY visitor`)
    .bind(site)
    .all<{ visitor: string; since: number }>();
  return results;
}

/** The visitor's derived rows and the site's rollups now, and again after a full rebuild: they must be equal. */
async function againstRebuild(site: string, visitor: string) {
  const now = { rows: await derivedRows(site, visitor), rollups: await rollups(site) };
  await withSiteDb(site, (db) => rebuildVisitors(db, { id: site, stages: STAGES }, [visitor]));
  return { now, rebuilt: { rows: await derivedRows(site, visitor), rollups: await rollups(site) } };
}

describe('a derivation that fails after its events are stored', () => {
  it('answers 200 with the events accepted, marks the visitor, and the schedule makes the reports right', async () => {
    // The same history on two sites; on the first, derivation fails once the events are stored (the test binding
    // PARCOURS_TEST_DERIVATION_FAILS, vitest.config.ts, matches the visitor id).
    const failing = await registerSite();
    const control = await registerSite();
    const start = Date.now() - 3_600_000;
    const res = await send(failing.id, pageViews('derivation-fails-1', 12, start));
    expect(res).toEqual({ accepted: 12, duplicates: 0, rejected: [] });
    await send(control.id, pageViews('control-1', 12, start));

    // Stored once, not derived yet, and marked from the batch's earliest event.
    expect(await storedEvents(failing.id)).toBe(12);
    expect((await derivedRows(failing.id, 'derivation-fails-1')).page_views).toEqual([]);
    expect(await marks(failing.id)).toEqual([{ visitor: 'derivation-fails-1', since: start }]);
    const funnel = (site: { id: string; token: string }) => report(site, 'funnel');
    expect(await funnel(failing)).not.toEqual(await funnel(control));

    // The schedule derives the visitor and clears the mark: the reports are those of the site where nothing failed.
    await runScheduleFor([failing.id]);
    expect(await marks(failing.id)).toEqual([]);
    expect(await funnel(failing)).toEqual(await funnel(control));
    expect(await report(failing, 'kpis')).toEqual(await report(control, 'kpis'));
    const { now, rebuilt } = await againstRebuild(failing.id, 'derivation-fails-1');
    expect(now.rows.page_views).toHaveLength(12);
    expect(now).toEqual(rebuilt);
  });
});

describe("a derivation past the request's budget", () => {
  it('stops there, marks the visitor from where it stopped, and scheduled runs finish it as a full rebuild would', async () => {
    const { id } = await registerSite();
    const visitor = 'long-tail';
    const start = Date.now() - 86_400_000;
    await storeOnly(id, pageViews(visitor, 600, start));
    // A late event at the very start: the whole tail is re-derived, 100 events a request at most.
    await withSiteDb(id, (db) =>
      deriveVisitors(db, { id, stages: STAGES }, [{ visitor, time: start }], 50, { eventBudget: 100 }),
    );
    expect((await derivedRows(id, visitor)).page_views).toHaveLength(100);
    const [mark] = await marks(id);
    expect(mark!.visitor).toBe(visitor);
    expect(mark!.since).toBe(start + 100 * 1000);

    await runScheduleFor([id]);
    expect(await marks(id)).toEqual([]);
    const { now, rebuilt } = await againstRebuild(id, visitor);
    expect(now.rows.page_views).toHaveLength(600);
    expect(now).toEqual(rebuilt);
  });

  it('reads at most 2,500 events of one visitor in one millisecond, and derives those', async () => {
    const { id } = await registerSite();
    const visitor = 'same-ms';
    const at = Date.now() - 3_600_000;
    const events = Array.from({ length: 2_600 }, (_, i) =>
      wire({ type: 'page_view', ts: at, stage: 'awareness', visitor, session: 's', path: `/p/${i}` }),
    );
    await storeOnly(id, events);
    await withSiteDb(id, (db) =>
      deriveVisitors(db, { id, stages: STAGES }, [{ visitor, time: at }], 250, { eventBudget: 1_000_000 }),
    );
    expect((await derivedRows(id, visitor)).page_views).toHaveLength(2_500);
  });
});

describe('the derivation counter', () => {
  it('never lets a derivation that read before an erasure write the erased rows back (no ABA)', async () => {
    const site = await registerSite();
    const ref = { id: site.id, stages: STAGES };
    const visitor = 'erased-meanwhile';
    const start = Date.now() - 7_200_000;
    await send(site.id, pageViews(visitor, 4, start));

    // A late batch (a second session) is stored, and its derivation reads the visitor's state, then waits before writing.
    const late = pageViews(visitor, 4, start + 60_000, 's2');
    await storeOnly(site.id, late);
    let reached!: () => void;
    let release!: () => void;
    const atWrite = new Promise<void>((r) => (reached = r));
    const resume = new Promise<void>((r) => (release = r));
    let paused = false;
    const slow = withSiteDb(site.id, (db) =>
      deriveVisitors(db, ref, [{ visitor, time: late[0]!.ts }], 250, {
        beforeWrite: async () => {
          if (paused) return;
          paused = true;
          reached();
          await resume;
        },
      }),
    );
    await atWrite;

    // Meanwhile the visitor is erased, comes back with one page view, and that is derived (as many writes as before).
    const erased = await call(`/v1/admin/sites/${site.id}/visitors/${visitor}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(erased.status).toBe(200);
    await send(site.id, pageViews(visitor, 1, start + 3_600_000, 's3'));
    release();
    await slow;

    // What is derived is what a full rebuild of what is stored now gives: the one page view after the erasure.
    const { now, rebuilt } = await againstRebuild(site.id, visitor);
    expect(now.rows.page_views.map((r) => r[3])).toEqual(['/blog/0']);
    expect(now).toEqual(rebuilt);
  });
});

describe('a guard', () => {
  it('fails its whole batch with an error naming it, told apart from any other error (a malformed JSON one)', async () => {
    const { id } = await registerSite();
    await withSiteDb(id, async (db) => {
      const failure = (statements: D1PreparedStatement[]) =>
        db.batch(statements).then(
          () => null,
          (e: unknown) => e,
        );
      const insert = db
        .prepare(`INSERT INTO ${TABLE.dirty_visitors} (site, visitor, since, mark) VALUES (?, 'guarded', 0, 1)`)
        .bind(id);
      const stale = await failure([insert, guardStatement(db, 'visitor_state_changed', '1', [])]);
      expect(isStale(stale)).toBe(true);
      // The batch is one transaction: the insert before the failed guard is not kept.
      expect(await marks(id, db)).toEqual([]);
      expect(isStale(await failure([db.prepare("SELECT json('not json')")]))).toBe(false);
      expect(isStale(await failure([guardStatement(db, 'quota_race', '1', [])]))).toBe(false);
      expect(await failure([insert, guardStatement(db, 'visitor_state_changed', '0', [])])).toBeNull();
    });
  });
});

describe('a site whose marked visitors keep failing', () => {
  it('does not hold back other sites: its marks are drawn anew, and another site is derived within a few runs', async () => {
    const { id: stuck } = await registerSite();
    const { id: other } = await registerSite();
    const start = Date.now() - 3_600_000;
    // More failing marks than a run reads (200), with the lowest tokens: each visitor's saved state is unreadable.
    const failing = Array.from({ length: 201 }, (_, i) => `stuck-${i}`);
    for (const visitors of [failing.slice(0, 100), failing.slice(100)]) {
      await storeOnly(
        stuck,
        visitors.flatMap((v) => pageViews(v, 1, start)),
      );
      await withSiteDb(stuck, (db) =>
        db.batch(
          visitors.flatMap((v) => [
            db
              .prepare(
                `INSERT INTO ${TABLE.visitor_state} (site, visitor, position, version, state) VALUES (?, ?, 0, 0, ?)`,
              )
              .bind(stuck, v, 'not json'),
            db
              .prepare(`INSERT INTO ${TABLE.dirty_visitors} (site, visitor, since, mark) VALUES (?, ?, ?, ?)`)
              .bind(stuck, v, start, failing.indexOf(v)),
          ]),
        ),
      );
    }
    await storeOnly(other, pageViews('other-1', 4, start));
    await siteDb(other)
      .prepare(`INSERT INTO ${TABLE.dirty_visitors} (site, visitor, since, mark) VALUES (?, ?, ?, ?)`)
      // A token in the middle of the range, as a random one is; the stuck site's 201 hold the lowest.
      .bind(other, 'other-1', start, Math.floor(Number.MAX_SAFE_INTEGER / 2))
      .run();

    // In the sharded layout each site's marks are its shard's own: the stuck site cannot hold the other back there.
    for (let run = 0; run < 5 && (await marks(other)).length; run++) await runScheduleFor([stuck, other]);
    expect(await marks(other), 'the other site derived').toEqual([]);
    expect((await derivedRows(other, 'other-1')).page_views).toHaveLength(4);
    // The stuck site's visitors are still marked, for a later run.
    expect(await marks(stuck)).toHaveLength(201);
  });
});

describe('a mark for the schedule', () => {
  it('is not written for a visitor erased meanwhile: no row names them after the erasure', async () => {
    // A derivation that fails while its visitor is being erased marks them after the erasure's transaction.
    const site = await registerSite();
    const start = Date.now() - 60_000;
    await storeOnly(site.id, [...pageViews('kept', 2, start), ...pageViews('erased', 2, start)]);
    const erased = await call(`/v1/admin/sites/${site.id}/visitors/erased`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(erased.status).toBe(200);
    await withSiteDb(site.id, (db) =>
      db.batch(
        markStatements(db, site.id, [
          { visitor: 'kept', since: start },
          { visitor: 'erased', since: start },
        ]),
      ),
    );
    expect(await marks(site.id)).toEqual([{ visitor: 'kept', since: start }]);
  });
});
