// The transitions report: every (from, to) stage move in the period, with counts, visitors and time spent before it.
import type { Range } from './query.ts';
import { mediansBy, type ReportSite } from './sql.ts';

export interface TransitionsReport {
  transitions: Array<{ from: string | null; to: string; count: number; visitors: number; median_ms: number | null }>;
}

/**
 * Moves whose time lies in the period, grouped by (from, to), most frequent first; `from` is null
 * for a visitor's first stage, `median_ms` is the median time spent in `from` before the move
 * (null for first stages).
 */
export async function transitions(db: D1Database, site: ReportSite, range: Range): Promise<TransitionsReport> {
  const where = 'site = ?1 AND time >= ?2 AND time < ?3';
  const binds = [site.id, range.from, range.to];
  const [rows, medians] = await Promise.all([
    db
      .prepare(
        `SELECT from_index, to_index, COUNT(*) AS count, COUNT(DISTINCT visitor) AS visitors
           FROM transitions WHERE ${where} GROUP BY from_index, to_index
          ORDER BY count DESC, visitors DESC, from_index IS NOT NULL, from_index, to_index`,
      )
      .bind(...binds)
      .all<{ from_index: number | null; to_index: number; count: number; visitors: number }>(),
    mediansBy(db, `SELECT IFNULL(from_index, -1) || '>' || to_index AS g, since_ms AS d FROM transitions WHERE ${where}`, binds),
  ]);
  const name = (i: number) => site.stages[i] ?? String(i);
  return {
    transitions: rows.results.map((r) => ({
      from: r.from_index === null ? null : name(r.from_index),
      to: name(r.to_index),
      count: r.count,
      visitors: r.visitors,
      median_ms: medians.get(`${r.from_index ?? -1}>${r.to_index}`) ?? null,
    })),
  };
}
