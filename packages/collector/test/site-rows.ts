// Test support: a site's rows read (or written) wherever this run's layout keeps them, the one D1 or the site's shard
// (wrangler.jsonc STORAGE; `PARCOURS_STORAGE=shards` in vitest.config.ts), so one test checks both layouts.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { TABLE } from '../src/db/schema.ts';
import { runSchedule } from '../src/schedule/index.ts';
import { shardDatabase } from '../src/shard/sql-d1.ts';
import { shardOf, sharded } from '../src/shard/storage.ts';

type Run = <T>(work: (db: D1Database) => Promise<T>) => Promise<T>;

/** A statement that runs, when awaited, inside the site's shard. */
class InShard {
  constructor(
    private readonly within: Run,
    readonly sql: string,
    readonly values: unknown[] = [],
  ) {}
  bind(...values: unknown[]) {
    return new InShard(this.within, this.sql, values);
  }
  private on(db: D1Database) {
    return db.prepare(this.sql).bind(...this.values);
  }
  first<T>(column?: string) {
    return this.within((db) => (column === undefined ? this.on(db).first<T>() : this.on(db).first<T>(column)));
  }
  all<T>() {
    return this.within((db) => this.on(db).all<T>());
  }
  run<T>() {
    return this.within((db) => this.on(db).run<T>());
  }
  raw<T extends unknown[]>() {
    return this.within((db) => this.on(db).raw<T>());
  }
}

/** Runs `work` over the SQLite of `site`'s shard, inside it (whatever this run's layout). */
function withShardDb<T>(site: string, work: (db: D1Database) => Promise<T>): Promise<T> {
  return runInDurableObject(shardOf(env, site), (_shard, state) => work(shardDatabase(state.storage)));
}

/** Runs `work` over the database holding `site`'s rows, inside its shard in the sharded layout. */
export function withSiteDb<T>(site: string, work: (db: D1Database) => Promise<T>): Promise<T> {
  return sharded(env) ? withShardDb(site, work) : work(env.DB);
}

/** The SQLite of `site`'s shard (whatever this run's layout), each statement run inside the shard. */
export function shardDb(site: string): D1Database {
  const run: Run = (work) => withShardDb(site, work);
  return {
    prepare: (sql: string) => new InShard(run, sql),
    batch: (statements: InShard[]) => run((db) => db.batch(statements.map((s) => db.prepare(s.sql).bind(...s.values)))),
  } as unknown as D1Database;
}

/** The database holding `site`'s events, sessions, derived rows, rollups and usage in this run's layout. */
export function siteDb(site: string): D1Database {
  return sharded(env) ? shardDb(site) : env.DB;
}

/** Every database a site's rows may be in: D1, and its shard in the sharded layout. */
export function siteDatabases(site: string): D1Database[] {
  return sharded(env) ? [env.DB, siteDb(site)] : [env.DB];
}

/** How many events of `site` are stored, wherever this run's layout keeps them. */
export async function storedEvents(site: string): Promise<number> {
  const row = await siteDb(site)
    .prepare(`SELECT count(*) AS n FROM ${TABLE.events} WHERE site = ?`)
    .bind(site)
    .first<{ n: number }>();
  return row!.n;
}

/**
 * A run of the schedule as each layout has it: the Worker's Cron (D1), then, in the sharded layout, the alarm of each
 * of `sites`' shard run now (a shard catches up its own derivation there; the Cron reaches D1 only).
 */
export async function runScheduleFor(sites: string[], now = Date.now()): Promise<void> {
  await runSchedule(env, now);
  if (sharded(env)) for (const site of sites) await runInDurableObject(shardOf(env, site), (shard) => shard.alarm());
}

/**
 * In the sharded layout, writes `site`'s settings into its shard as the shard's first batch does, for tests that
 * store rows below the shard's API (derivation reads the site's stages there). Never the token hashes, as the shard.
 */
export async function siteKnownToShard(site: string): Promise<void> {
  if (!sharded(env)) return;
  const row = await env.DB.prepare(`SELECT * FROM ${TABLE.sites} WHERE id = ?`)
    .bind(site)
    .first<Record<string, unknown>>();
  const settings = { ...row!, read_token_hash: '', ingest_key_hash: null };
  const columns = Object.keys(settings);
  await withShardDb(site, (db) =>
    db
      .prepare(
        `INSERT OR REPLACE INTO ${TABLE.sites} (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`,
      )
      .bind(...Object.values(settings))
      .run(),
  );
}

/** Each visitor's stored events per shard of a site of `count` shards in shard generation `generation`: `[shard, visitor, events]`. */
export async function eventsByShard(
  site: string,
  count: number,
  generation = 0,
): Promise<Array<[number, string, number]>> {
  const out: Array<[number, string, number]> = [];
  for (let k = 0; k < count; k++) {
    const rows = await runInDurableObject(shardOf(env, site, k, generation), (_shard, state) =>
      shardDatabase(state.storage)
        .prepare(`SELECT visitor, COUNT(*) AS n FROM ${TABLE.events} WHERE site = ? GROUP BY visitor`)
        .bind(site)
        .all<{ visitor: string; n: number }>(),
    );
    for (const r of rows.results) out.push([k, r.visitor, r.n]);
  }
  return out;
}
