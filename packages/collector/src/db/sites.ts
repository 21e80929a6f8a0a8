// Registered sites: lookup, creation, options, token rotation. Plain functions over D1, no HTTP.
import { TABLE } from './schema.ts';
import { DEFAULT_STAGES } from '@parcours/protocol';

/** Where a stored event's visitor id comes from: the script's own id, or a daily salted hash made by the collector. */
type VisitorIds = 'client' | 'cookieless';

/** A site's daily quotas, per UTC day. */
export interface Quota {
  /** Events stored. */
  events_per_day: number;
  /** Bytes of the events stored (UTF-8 length of each event's stored JSON). */
  bytes_per_day: number;
  /** Events stored of any one visitor. */
  events_per_visitor_per_day: number;
}

/**
 * Quotas of a site that set none (migrations/0001_schema.sql holds the same numbers). A real site of
 * 5,000 visitors a day sending 10 events each stays far below; one stranger with the site id stores at most
 * this much a day (the path flood added 1.1 GB in 80 requests).
 */
export const DEFAULT_QUOTA: Quota = {
  events_per_day: 50_000,
  bytes_per_day: 25_000_000,
  events_per_visitor_per_day: 1_000,
};

/** Default minutes without cart activity before a cart counts as abandoned. */
const DEFAULT_ABANDON_AFTER = 30;

export interface Site {
  id: string;
  origins: string[];
  stages: string[];
  readTokenHash: string;
  /** Hex SHA-256 of the ingest key; null until one is issued (sites registered before ingest keys). */
  ingestKeyHash: string | null;
  /** Batches sent by bots and crawlers (by User-Agent) are counted, not stored. Default true. */
  botFilter: boolean;
  /** Default 'client'. */
  visitorIds: VisitorIds;
  /** Days raw events are kept; null: until erased (default). */
  retentionDays: number | null;
  /** The carts and friction reports' `abandon_after` when the query gives none, in minutes. Default 30. */
  abandonAfter: number;
  /** A request without Origin must carry the site's ingest key. Default true. */
  requireIngestKey: boolean;
  quota: Quota;
  /** Shards holding the site's rows in the sharded layout (a hash of the visitor picks one); changed by a move only. */
  shards: number;
  /** The generation of shard names holding them (src/shard/storage.ts shardName): a move fills the next one. */
  generation: number;
}

/** What the admin API may set on a site besides its id and token. */
export interface SiteOptions {
  origins?: string[];
  stages?: string[];
  botFilter?: boolean;
  visitorIds?: VisitorIds;
  /** null clears it (events kept until erased). */
  retentionDays?: number | null;
  abandonAfter?: number;
  requireIngestKey?: boolean;
  quota?: Partial<Quota>;
}

interface SiteRow {
  id: string;
  origins: string;
  stages: string;
  read_token_hash: string;
  ingest_key_hash: string | null;
  bot_filter: number;
  visitor_ids: string;
  retention_days: number | null;
  abandon_after: number;
  require_ingest_key: number;
  quota_events_per_day: number;
  quota_bytes_per_day: number;
  quota_events_per_visitor_per_day: number;
  shards: number;
  shard_generation: number;
}

const COLUMNS =
  'id, origins, stages, read_token_hash, ingest_key_hash, bot_filter, visitor_ids, retention_days, abandon_after, require_ingest_key, quota_events_per_day, quota_bytes_per_day, quota_events_per_visitor_per_day, shards, shard_generation';

function toSite(row: SiteRow): Site {
  return {
    id: row.id,
    origins: JSON.parse(row.origins),
    stages: JSON.parse(row.stages),
    readTokenHash: row.read_token_hash,
    ingestKeyHash: row.ingest_key_hash,
    botFilter: row.bot_filter !== 0,
    visitorIds: row.visitor_ids === 'cookieless' ? 'cookieless' : 'client',
    retentionDays: row.retention_days,
    abandonAfter: row.abandon_after,
    requireIngestKey: row.require_ingest_key !== 0,
    quota: {
      events_per_day: row.quota_events_per_day,
      bytes_per_day: row.quota_bytes_per_day,
      events_per_visitor_per_day: row.quota_events_per_visitor_per_day,
    },
    shards: row.shards,
    generation: row.shard_generation,
  };
}

/** The site with this id, or null. */
export async function getSite(db: D1Database, id: string): Promise<Site | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM ${TABLE.sites} WHERE id = ?`).bind(id).first<SiteRow>();
  return row && toSite(row);
}

/** Registers a site; false when the id is taken. */
export async function insertSite(
  db: D1Database,
  site: SiteOptions & { id: string; origins: string[]; readTokenHash: string; ingestKeyHash: string; shards?: number },
): Promise<boolean> {
  const quota = { ...DEFAULT_QUOTA, ...site.quota };
  const r = await db
    .prepare(
      `INSERT INTO ${TABLE.sites} (id, origins, stages, read_token_hash, ingest_key_hash, created_at, bot_filter, visitor_ids, retention_days,
                          abandon_after, require_ingest_key, quota_events_per_day, quota_bytes_per_day, quota_events_per_visitor_per_day, shards)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING`,
    )
    .bind(
      site.id,
      JSON.stringify(site.origins),
      JSON.stringify(site.stages ?? DEFAULT_STAGES),
      site.readTokenHash,
      site.ingestKeyHash,
      Date.now(),
      site.botFilter === false ? 0 : 1,
      site.visitorIds ?? 'client',
      site.retentionDays ?? null,
      site.abandonAfter ?? DEFAULT_ABANDON_AFTER,
      site.requireIngestKey === false ? 0 : 1,
      quota.events_per_day,
      quota.bytes_per_day,
      quota.events_per_visitor_per_day,
      site.shards ?? 1,
    )
    .run();
  return r.meta.changes === 1;
}

const bit = (b: boolean | undefined) => (b === undefined ? null : b ? 1 : 0);

/** Changes the given options of a site (the stage list is fixed at registration); answers the site, or null when unknown. */
export async function updateSite(db: D1Database, id: string, opts: Omit<SiteOptions, 'stages'>): Promise<Site | null> {
  const row = await db
    .prepare(
      `UPDATE ${TABLE.sites} SET origins = coalesce(?1, origins), bot_filter = coalesce(?2, bot_filter), visitor_ids = coalesce(?3, visitor_ids),
              retention_days = CASE WHEN ?4 THEN ?5 ELSE retention_days END, abandon_after = coalesce(?6, abandon_after),
              require_ingest_key = coalesce(?7, require_ingest_key), quota_events_per_day = coalesce(?8, quota_events_per_day),
              quota_bytes_per_day = coalesce(?9, quota_bytes_per_day),
              quota_events_per_visitor_per_day = coalesce(?10, quota_events_per_visitor_per_day)
       WHERE id = ?11 RETURNING ${COLUMNS}`,
    )
    .bind(
      opts.origins ? JSON.stringify(opts.origins) : null,
      bit(opts.botFilter),
      opts.visitorIds ?? null,
      opts.retentionDays === undefined ? 0 : 1,
      opts.retentionDays ?? null,
      opts.abandonAfter ?? null,
      bit(opts.requireIngestKey),
      opts.quota?.events_per_day ?? null,
      opts.quota?.bytes_per_day ?? null,
      opts.quota?.events_per_visitor_per_day ?? null,
      id,
    )
    .first<SiteRow>();
  return row && toSite(row);
}

/** Replaces a site's read token hash; false when the site does not exist. */
export async function setReadTokenHash(db: D1Database, id: string, hash: string): Promise<boolean> {
  const r = await db.prepare(`UPDATE ${TABLE.sites} SET read_token_hash = ? WHERE id = ?`).bind(hash, id).run();
  return r.meta.changes === 1;
}

/** Replaces a site's ingest key hash; false when the site does not exist. */
export async function setIngestKeyHash(db: D1Database, id: string, hash: string): Promise<boolean> {
  const r = await db.prepare(`UPDATE ${TABLE.sites} SET ingest_key_hash = ? WHERE id = ?`).bind(hash, id).run();
  return r.meta.changes === 1;
}

/** Whether any registered site allows pages on this origin (or allows every origin). */
export async function anySiteAllowsOrigin(db: D1Database, origin: string): Promise<boolean> {
  const row = await db
    .prepare(`SELECT 1 FROM ${TABLE.sites} AS s, json_each(s.origins) AS o WHERE o.value IN (?, '*') LIMIT 1`)
    .bind(origin)
    .first();
  return row !== null;
}
