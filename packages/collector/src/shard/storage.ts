// Where a site's rows live: the one D1 (STORAGE "d1", the default) or the site's shard, a SQLite Durable Object
// (STORAGE "shards"). Routes and the schedule reach a site's rows through siteStorage only; the global tables (sites,
// tokens, webhooks, alerts, surveys, salts) stay in D1 in both layouts.
import type { BatchReply, ParsedBatch } from '@parcours/protocol';
import { fail, failWithMessage, type ErrorCode } from '../errors.ts';
import type { IngestSite } from '../ingest/site-cache.ts';
import { type BatchContext, utcDay } from '../ingest/store-batch.ts';
import { dailySalt } from '../db/salts.ts';
import { eraseVisitorStatements } from '../derive/store.ts';
import { cookielessVisitor } from '../ingest/client-key.ts';
import type { EventsPage } from '../reports/events.ts';
import type { Range, ReportQuery } from '../reports/query.ts';
import type { ReportSite } from '../reports/sql.ts';
import type { DeleteBefore } from '../schedule/retention.ts';
import { TABLE } from '../db/schema.ts';
import { type SiteOperations, siteOperations } from './operations.ts';
import { severalShards } from './several.ts';
import type { Outcome } from './site-shard.ts';

/** What the Worker does with one site's rows, whichever layout holds them. */
export interface SiteStorage {
  ingest(site: IngestSite, batch: ParsedBatch, ctx: BatchContext): Promise<BatchReply>;
  prepare: SiteOperations['prepare'];
  storeMessages: SiteOperations['storeMessages'];
  storeMessage: SiteOperations['storeMessage'];
  addCounts: SiteOperations['addCounts'];
  report(name: string, site: ReportSite, q: ReportQuery): Promise<unknown>;
  exportEvents(site: ReportSite, range: Range, cursor: string | null, limit: number): Promise<EventsPage>;
  counts: SiteOperations['counts'];
  metric: SiteOperations['metric'];
  /** Erases a visitor's rows and runs `d1` (D1 statements about them): in one transaction when both are in D1. */
  erase(site: string, visitor: string, d1: D1PreparedStatement[]): Promise<number>;
  deleteBefore: DeleteBefore;
}

/** Whether this deployment keeps each site's rows in a shard of its own. */
export const sharded = (env: Pick<Env, 'STORAGE'>): boolean => env.STORAGE === 'shards';

/** Most shards a site may have (admin `shards`). */
export const MAX_SHARDS = 64;

/**
 * The Durable Object name of a site's shard `k` in shard generation `generation`: generation 0 (every site until its
 * first move) names it `<site>/<k>`, a later one `<site>/g<generation>/<k>`, so a move's new shards never share a
 * name with the old ones (a site id holds no `/`).
 */
const shardName = (site: string, k: number, generation: number): string =>
  generation ? `${site}/g${generation}/${k}` : `${site}/${k}`;

/** Shard `k` (default 0, the only one of a site of one shard) of a site, in its shard generation `generation`. */
export function shardOf(env: Pick<Env, 'SHARDS'>, site: string, k = 0, generation = 0) {
  return env.SHARDS.get(env.SHARDS.idFromName(shardName(site, k, generation)));
}

/** A site's shard stub. */
export type Shard = ReturnType<typeof shardOf>;

/**
 * Which of a site's `shards` holds a visitor: FNV-1a (32 bits) of the id's UTF-8 bytes, modulo the count. Stable
 * forever: rows stay in the shard it picked, so changing it would split journeys.
 */
export function shardIndex(visitor: string, shards: number): number {
  if (shards <= 1) return 0;
  let hash = 0x811c9dc5;
  for (const byte of new TextEncoder().encode(visitor)) hash = Math.imul(hash ^ byte, 0x01000193) >>> 0;
  return hash % shards;
}

/** A shard's answer, or its refusal answered by this request. */
export function unwrap<T>(answer: Outcome<T>): T {
  if ('refused' in answer) {
    const { status, code, retryAfter, message } = answer.refused;
    if (message) failWithMessage(status, code as ErrorCode, message);
    fail(status, code as ErrorCode, retryAfter === null ? undefined : { 'retry-after': retryAfter });
  }
  return answer.ok;
}

/**
 * A batch as its shard gets it. Cookieless visitor ids are made here, from D1's one daily salt (salts stay global,
 * deleted after their day): a visitor's id must be known before their shard is chosen once a site has several. The
 * shard then sees a site whose batch carries ids, and never the client's address (only the ids needed it).
 */
export async function forShard(
  db: D1Database,
  site: IngestSite,
  batch: ParsedBatch,
  ctx: BatchContext,
): Promise<[IngestSite, ParsedBatch, BatchContext]> {
  const withoutAddress = { ...ctx, address: '' };
  if (site.visitorIds !== 'cookieless' || !batch.events.length || (ctx.bot && site.botFilter))
    return [site, batch, withoutAddress];
  const visitor = await cookielessVisitor(
    await dailySalt(db, utcDay(ctx.receivedAt)),
    site.id,
    ctx.address,
    ctx.userAgent,
  );
  for (const { event } of batch.events) event.visitor = visitor;
  return [{ ...site, visitorIds: 'client' }, batch, withoutAddress];
}

/** What a report reads of its site, and nothing more (never a token's hash) sent to the shard. */
export const reportSite = ({ id, stages }: ReportSite): ReportSite => ({ id, stages });

/** What the storage needs to know of a site: its id, how many shards hold it and their generation (D1's `sites`). */
export interface StoredSite {
  id: string;
  shards: number;
  generation: number;
}

/** The storage of one site's rows in this deployment's layout: the one D1, the site's shard, or its several shards. */
export function siteStorage(env: Pick<Env, 'DB' | 'SHARDS' | 'STORAGE'>, site: StoredSite): SiteStorage {
  if (!sharded(env)) return siteOperations(env.DB);
  return site.shards > 1
    ? severalShards(env, site.id, site.shards, site.generation)
    : oneShard(env, shardOf(env, site.id, 0, site.generation));
}

/** Where a site's rows are as D1 says now (the schedule, the dead-letter queue, a move): one of siteStorage's. */
async function storedSite(db: D1Database, id: string): Promise<StoredSite> {
  const row = await db
    .prepare(`SELECT shards, shard_generation AS generation FROM ${TABLE.sites} WHERE id = ?`)
    .bind(id)
    .first<{ shards: number; generation: number }>();
  return { id, shards: row?.shards ?? 1, generation: row?.generation ?? 0 };
}

/** The storage of a site known by its id only (the schedule, the dead-letter queue): its shards read from D1. */
export async function siteStorageById(env: Pick<Env, 'DB' | 'SHARDS' | 'STORAGE'>, id: string): Promise<SiteStorage> {
  return siteStorage(env, sharded(env) ? await storedSite(env.DB, id) : { id, shards: 1, generation: 0 });
}

/** The storage of a site's rows in one shard (every site of one shard; a site of several uses it per shard too). */
export function oneShard(env: Pick<Env, 'DB'>, shard: Shard): SiteStorage {
  return {
    prepare: async (s, batch, ctx) => unwrap(await shard.prepare(...(await forShard(env.DB, s, batch, ctx)))),
    storeMessages: (s, messages) => shard.storeMessages(s, messages),
    storeMessage: (s, message, attempts) => shard.storeMessage(s, message, attempts),
    addCounts: (s, day, counts) => shard.addCounts(s, day, counts),
    ingest: async (s, batch, ctx) => unwrap(await shard.ingest(...(await forShard(env.DB, s, batch, ctx)))),
    report: async (name, s, q) => unwrap(await shard.report(name, reportSite(s), q)),
    exportEvents: async (s, range, cursor, limit) =>
      unwrap(await shard.exportEvents(reportSite(s), range, cursor, limit)),
    counts: (s) => shard.counts(s),
    metric: (s, m, range, abandonAfter) => shard.metric(reportSite(s), m, range, abandonAfter),
    // The shard first: the visitor's events and derived rows. A failure after it leaves only D1's rows about them,
    // which the admin's retry (the same request) erases.
    erase: async (s, visitor, d1) => {
      const erased = await shard.erase(s, visitor);
      // Rows stored in D1 before the site moved to shards (switching starts the shards empty) are the visitor's too.
      const results = await env.DB.batch([...d1, ...eraseVisitorStatements(env.DB, s, visitor)]);
      // The last statement deletes the events there.
      return erased + results[results.length - 1]!.meta.changes;
    },
    deleteBefore: (s, horizon, budget) => shard.deleteBefore(s, horizon, budget),
  };
}
