// A site's surveys: list, add, remove. Plain functions over D1, no HTTP.
import { TABLE } from './schema.ts';
import type { Survey } from '@parcours/protocol';

/** Most surveys one site may hold. */
const MAX_SURVEYS = 20;

type SurveyRow = {
  id: string;
  kind: Survey['kind'];
  question: string;
  trigger: string;
  sample_rate: number;
  cooldown_days: number;
};

/** The site's surveys, oldest first. */
export async function listSurveys(db: D1Database, site: string): Promise<Survey[]> {
  const { results } = await db
    .prepare(
      `SELECT id, kind, question, trigger, sample_rate, cooldown_days FROM ${TABLE.surveys} WHERE site = ? ORDER BY created_at, id`,
    )
    .bind(site)
    .all<SurveyRow>();
  return results.map((r) => ({ ...r, question: JSON.parse(r.question), trigger: JSON.parse(r.trigger) }));
}

/**
 * Adds a survey; `'exists'` when the site has one of that id, `'full'` when it holds MAX_SURVEYS already. One
 * statement: the count and the insert cannot race.
 */
export async function insertSurvey(db: D1Database, site: string, s: Survey): Promise<'added' | 'exists' | 'full'> {
  const { meta } = await db
    .prepare(
      `INSERT OR IGNORE INTO ${TABLE.surveys} (site, id, kind, question, trigger, sample_rate, cooldown_days, created_at)
       SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8 WHERE (SELECT COUNT(*) FROM ${TABLE.surveys} WHERE site = ?1) < ?9`,
    )
    .bind(
      site,
      s.id,
      s.kind,
      JSON.stringify(s.question),
      JSON.stringify(s.trigger),
      s.sample_rate,
      s.cooldown_days,
      Date.now(),
      MAX_SURVEYS,
    )
    .run();
  if (meta.changes) return 'added';
  const existing = await db
    .prepare(`SELECT 1 FROM ${TABLE.surveys} WHERE site = ? AND id = ?`)
    .bind(site, s.id)
    .first();
  return existing ? 'exists' : 'full';
}

/** Removes a survey; false when the site has none of that id. */
export async function deleteSurvey(db: D1Database, site: string, id: string): Promise<boolean> {
  const { meta } = await db.prepare(`DELETE FROM ${TABLE.surveys} WHERE site = ? AND id = ?`).bind(site, id).run();
  return meta.changes > 0;
}
