// The forms report: per form and page, starts, submits, abandons, and the fields people stopped at.
import type { FormsReport } from '@parcours/protocol';
import { sessionCondition } from './filter.ts';
import type { Range } from './query.ts';
import { rate, type ReportSite } from './sql.ts';

/** Most last fields listed per form. */
export const MAX_LAST_FIELDS = 10;

/**
 * Form events in the period grouped by (form, path), most abandoned first. `abandon_rate` is
 * abandons / (submits + abandons): of the forms that ended, the share left unsubmitted.
 */
export async function forms(db: D1Database, site: ReportSite, range: Range): Promise<FormsReport> {
  const where = `site = ?1 AND time >= ?2 AND time < ?3 AND form IS NOT NULL${sessionCondition(site.id, range.filter)}`;
  const [counts, fields] = await db.batch([
    db
      .prepare(
        `SELECT form, path, SUM(type = 'form_start') AS starts, SUM(type = 'form_submit') AS submits, SUM(type = 'form_abandon') AS abandons
           FROM events WHERE type IN ('form_start', 'form_submit', 'form_abandon') AND ${where}
          GROUP BY form, path ORDER BY abandons DESC, starts DESC, form, path`,
      )
      .bind(site.id, range.from, range.to),
    db
      .prepare(
        `SELECT form, path, last_field AS field, COUNT(*) AS abandons
           FROM events WHERE type = 'form_abandon' AND ${where} AND last_field IS NOT NULL
          GROUP BY form, path, last_field ORDER BY abandons DESC, field`,
      )
      .bind(site.id, range.from, range.to),
  ]);
  const lastFields = new Map<string, Array<{ field: string; abandons: number }>>();
  for (const f of fields!.results as Array<{ form: string; path: string; field: string; abandons: number }>) {
    const key = JSON.stringify([f.form, f.path]);
    const list = lastFields.get(key) ?? [];
    if (list.length < MAX_LAST_FIELDS) list.push({ field: f.field, abandons: f.abandons });
    lastFields.set(key, list);
  }
  return {
    forms: (counts!.results as Array<{ form: string; path: string; starts: number; submits: number; abandons: number }>).map((f) => ({
      form: f.form,
      path: f.path,
      starts: f.starts,
      submits: f.submits,
      abandons: f.abandons,
      abandon_rate: rate(f.abandons, f.submits + f.abandons),
      last_fields: lastFields.get(JSON.stringify([f.form, f.path])) ?? [],
    })),
  };
}
