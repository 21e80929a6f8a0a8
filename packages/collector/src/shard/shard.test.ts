// Storage layouts (wrangler.jsonc STORAGE): a site's rows live where the layout says, the shard's migrations follow the
// migrations folder and run once, the D1-shaped adapter keeps D1's transaction and counts, and visitors a request left
// behind are derived later in either layout. Runs in both layouts (vitest.config.ts, PARCOURS_STORAGE).
import {
  createExecutionContext,
  createScheduledController,
  runDurableObjectAlarm,
  runInDurableObject,
  waitOnExecutionContext,
} from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { registerSite } from '../../test/helpers.ts';
import { DAY, shopJourneys } from '../../test/journeys.fixture.ts';
import { shardDb, siteDb, withSiteDb } from '../../test/site-rows.ts';
import { derivedRows, everyReport, ORIGIN, report, send, wire } from '../../test/test-support.ts';
import { app } from '../app.ts';
import worker from '../index.ts';
import { MIGRATIONS } from './migrations.gen.ts';
import { migrate } from './site-shard.ts';
import { shardOf, sharded } from './storage.ts';
import { TABLE } from '../db/schema.ts';

const count = async (db: D1Database, site: string) =>
  (await db.prepare(`SELECT COUNT(*) AS n FROM ${TABLE.events} WHERE site = ?`).bind(site).first<{ n: number }>())!.n;

describe('storage layouts', () => {
  it('bundles every migration of the folder, in order (`pnpm run shard-migrations` after adding one)', () => {
    const folder = (env as unknown as { TEST_MIGRATIONS: Array<{ name: string }> }).TEST_MIGRATIONS.map((m) => m.name);
    expect(MIGRATIONS.map(([name]) => name)).toEqual(folder);
  });

  it("keeps a site's events in its shard when sharded, in D1 otherwise; the site's row in D1 always", async () => {
    const site = await registerSite();
    const events = [1, 2, 3].map((i) =>
      wire({ type: 'page_view', ts: Date.now() - i * 1000, stage: 'awareness', visitor: 'v1', session: 's1' }),
    );
    expect(await send(site.id, events)).toMatchObject({ accepted: 3, duplicates: 0 });
    expect(await send(site.id, events)).toMatchObject({ accepted: 0, duplicates: 3 });
    expect(await count(siteDb(site.id), site.id)).toBe(3);
    expect(await count(env.DB, site.id)).toBe(sharded(env) ? 0 : 3);
    const row = await env.DB.prepare(`SELECT read_token_hash FROM ${TABLE.sites} WHERE id = ?`).bind(site.id).first();
    expect(row).not.toBeNull();
    if (sharded(env)) {
      // The shard's copy of the site holds what derivation reads, never a token's hash.
      const copy = await siteDb(site.id)
        .prepare(`SELECT stages, read_token_hash, ingest_key_hash FROM ${TABLE.sites} WHERE id = ?`)
        .bind(site.id)
        .first();
      expect(copy).toMatchObject({ read_token_hash: '', ingest_key_hash: null });
    }
  });

  it('applies each migration to a shard once: a restarted shard applies none and keeps its rows', async () => {
    if (!sharded(env)) return;
    const site = await registerSite();
    await send(site.id, [wire({ type: 'page_view', ts: Date.now(), stage: 'awareness', visitor: 'v', session: 's' })]);
    const again = await runInDurableObject(shardOf(env, site.id), (_shard, state) => migrate(state.storage));
    expect(again).toEqual([]);
    expect(await count(siteDb(site.id), site.id)).toBe(1);
  });

  it('runs a batch as one transaction and counts the rows each statement changed, as D1 does', async () => {
    const site = await registerSite();
    const insert = (db: D1Database, id: string) =>
      db
        .prepare(
          `INSERT INTO ${TABLE.visitor_versions} (site, visitor, version) VALUES (?, ?, 1) ON CONFLICT DO NOTHING`,
        )
        .bind(site.id, id);
    const changes = await withSiteDb(site.id, async (db) =>
      (await db.batch([insert(db, 'a'), insert(db, 'b'), insert(db, 'a')])).map((r) => r.meta.changes),
    );
    expect(changes).toEqual([1, 1, 0]);
    // A failing statement (a NOT NULL column left NULL) undoes the statements before it.
    const failed = await withSiteDb(site.id, (db) =>
      db
        .batch([
          insert(db, 'c'),
          db
            .prepare(`INSERT INTO ${TABLE.visitor_versions} (site, visitor, version) VALUES (?, ?, NULL)`)
            .bind(site.id, 'd'),
        ])
        .then(
          () => 'stored',
          () => 'refused',
        ),
    );
    expect(failed).toBe('refused');
    const visitors = await siteDb(site.id)
      .prepare(`SELECT visitor FROM ${TABLE.visitor_versions} WHERE site = ? ORDER BY visitor`)
      .bind(site.id)
      .raw();
    expect(visitors).toEqual([['a'], ['b']]);
  });

  it('answers every report alike in both layouts for the same history', async () => {
    // Both layouts in one run: the app called with STORAGE set either way (sites, tokens and salts are D1's in both).
    const inLayout = (storage: string) => ({ ...env, STORAGE: storage }) as Env;
    const fetchIn = (storage: string, path: string, init?: RequestInit) =>
      app.fetch(new Request(`http://collector.test${path}`, init), inLayout(storage), createExecutionContext());
    const now = Date.now();
    const answers: Record<string, unknown>[] = [];
    for (const storage of ['d1', 'shards']) {
      const site = await registerSite();
      const res = await fetchIn(storage, '/v1/events', {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin: ORIGIN },
        body: JSON.stringify({ v: 1, site: site.id, sent_at: Date.now(), events: shopJourneys(now) }),
      });
      expect(((await res.json()) as { rejected: unknown[] }).rejected).toEqual([]);
      expect(await count(storage === 'shards' ? shardDb(site.id) : env.DB, site.id)).toBeGreaterThan(10);
      const read = async (s: { id: string; token: string }, name: string, query: Record<string, string>) => {
        const r = await fetchIn(storage, `/v1/sites/${s.id}/${name}?${new URLSearchParams(query)}`, {
          headers: { authorization: `Bearer ${s.token}`, 'cf-connecting-ip': '198.18.0.1' },
        });
        if (r.status !== 200) throw new Error(`${name}: ${r.status}`);
        return r.json();
      };
      answers.push(await everyReport(site, [[now - 20 * DAY, now + DAY]], read));
    }
    expect(JSON.stringify(answers[0])).toContain('"purchases":');
    expect(answers[1]).toEqual(answers[0]);
  });

  it('derives later the visitors whose derivation failed once their events were stored', async () => {
    const site = await registerSite();
    const visitor = `derivation-fails-${crypto.randomUUID().slice(0, 8)}`;
    const start = Date.now() - 60_000;
    const events = [0, 1, 2].map((i) =>
      wire({ type: 'page_view', ts: start + i * 1000, stage: i ? 'decision' : 'awareness', visitor, session: 's' }),
    );
    expect(await send(site.id, events)).toMatchObject({ accepted: 3 });
    expect((await derivedRows(site.id, visitor)).page_views).toEqual([]);
    // The shard's own alarm catches up (set by the request that left the visitor behind); the one D1's schedule does.
    if (sharded(env)) expect(await runDurableObjectAlarm(shardOf(env, site.id))).toBe(true);
    else {
      const ctx = createExecutionContext();
      await worker.scheduled(createScheduledController({ scheduledTime: Date.now(), cron: '* * * * *' }), env, ctx);
      await waitOnExecutionContext(ctx);
    }
    expect((await derivedRows(site.id, visitor)).page_views).toHaveLength(3);
    const funnel = await report(site, 'funnel', { from: new Date(start - 1000).toISOString() });
    expect(JSON.stringify(funnel)).toContain('"visitors":1');
  });
});
