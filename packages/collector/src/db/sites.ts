// Registered sites: lookup, creation, token rotation. Plain functions over D1, no HTTP.
import { DEFAULT_STAGES } from '@parcours/protocol';

export interface Site {
  id: string;
  origins: string[];
  stages: string[];
  readTokenHash: string;
}

interface SiteRow {
  id: string;
  origins: string;
  stages: string;
  read_token_hash: string;
}

/** The site with this id, or null. */
export async function getSite(db: D1Database, id: string): Promise<Site | null> {
  const row = await db.prepare('SELECT id, origins, stages, read_token_hash FROM sites WHERE id = ?').bind(id).first<SiteRow>();
  return row && { id: row.id, origins: JSON.parse(row.origins), stages: JSON.parse(row.stages), readTokenHash: row.read_token_hash };
}

/** Registers a site; false when the id is taken. */
export async function insertSite(
  db: D1Database,
  site: { id: string; origins: string[]; stages?: string[]; readTokenHash: string },
): Promise<boolean> {
  const r = await db
    .prepare('INSERT INTO sites (id, origins, stages, read_token_hash, created_at) VALUES (?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING')
    .bind(site.id, JSON.stringify(site.origins), JSON.stringify(site.stages ?? DEFAULT_STAGES), site.readTokenHash, Date.now())
    .run();
  return r.meta.changes === 1;
}

/** Replaces a site's read token hash; false when the site does not exist. */
export async function setReadTokenHash(db: D1Database, id: string, hash: string): Promise<boolean> {
  const r = await db.prepare('UPDATE sites SET read_token_hash = ? WHERE id = ?').bind(hash, id).run();
  return r.meta.changes === 1;
}
