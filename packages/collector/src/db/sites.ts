// Registered sites: lookup, creation, options, token rotation. Plain functions over D1, no HTTP.
import { DEFAULT_STAGES } from '@parcours/protocol';

/** Where a stored event's visitor id comes from: the script's own id, or a daily salted hash made by the collector. */
export type VisitorIds = 'client' | 'cookieless';

export interface Site {
  id: string;
  origins: string[];
  stages: string[];
  readTokenHash: string;
  /** Batches sent by bots and crawlers (by User-Agent) are counted, not stored. Default true. */
  botFilter: boolean;
  /** Default 'client'. */
  visitorIds: VisitorIds;
}

/** What the admin API may set on a site besides its id and token. */
export interface SiteOptions {
  origins?: string[];
  stages?: string[];
  botFilter?: boolean;
  visitorIds?: VisitorIds;
}

interface SiteRow {
  id: string;
  origins: string;
  stages: string;
  read_token_hash: string;
  bot_filter: number;
  visitor_ids: string;
}

const COLUMNS = 'id, origins, stages, read_token_hash, bot_filter, visitor_ids';

function toSite(row: SiteRow): Site {
  return {
    id: row.id,
    origins: JSON.parse(row.origins),
    stages: JSON.parse(row.stages),
    readTokenHash: row.read_token_hash,
    botFilter: row.bot_filter !== 0,
    visitorIds: row.visitor_ids === 'cookieless' ? 'cookieless' : 'client',
  };
}

/** The site with this id, or null. */
export async function getSite(db: D1Database, id: string): Promise<Site | null> {
  const row = await db.prepare(`SELECT ${COLUMNS} FROM sites WHERE id = ?`).bind(id).first<SiteRow>();
  return row && toSite(row);
}

/** Registers a site; false when the id is taken. */
export async function insertSite(db: D1Database, site: SiteOptions & { id: string; origins: string[]; readTokenHash: string }): Promise<boolean> {
  const r = await db
    .prepare(
      'INSERT INTO sites (id, origins, stages, read_token_hash, created_at, bot_filter, visitor_ids) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING',
    )
    .bind(
      site.id,
      JSON.stringify(site.origins),
      JSON.stringify(site.stages ?? DEFAULT_STAGES),
      site.readTokenHash,
      Date.now(),
      site.botFilter === false ? 0 : 1,
      site.visitorIds ?? 'client',
    )
    .run();
  return r.meta.changes === 1;
}

/** Changes the given options of a site (the stage list is fixed at registration); answers the site, or null when unknown. */
export async function updateSite(db: D1Database, id: string, opts: Omit<SiteOptions, 'stages'>): Promise<Site | null> {
  const row = await db
    .prepare(
      `UPDATE sites SET origins = coalesce(?, origins), bot_filter = coalesce(?, bot_filter), visitor_ids = coalesce(?, visitor_ids)
       WHERE id = ? RETURNING ${COLUMNS}`,
    )
    .bind(
      opts.origins ? JSON.stringify(opts.origins) : null,
      opts.botFilter === undefined ? null : opts.botFilter ? 1 : 0,
      opts.visitorIds ?? null,
      id,
    )
    .first<SiteRow>();
  return row && toSite(row);
}

/** Replaces a site's read token hash; false when the site does not exist. */
export async function setReadTokenHash(db: D1Database, id: string, hash: string): Promise<boolean> {
  const r = await db.prepare('UPDATE sites SET read_token_hash = ? WHERE id = ?').bind(hash, id).run();
  return r.meta.changes === 1;
}

/** Whether any registered site allows pages on this origin (or allows every origin). */
export async function anySiteAllowsOrigin(db: D1Database, origin: string): Promise<boolean> {
  const row = await db
    .prepare(`SELECT 1 FROM sites, json_each(sites.origins) AS o WHERE o.value IN (?, '*') LIMIT 1`)
    .bind(origin)
    .first();
  return row !== null;
}
