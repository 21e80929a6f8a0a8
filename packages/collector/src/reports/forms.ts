// The forms report: per form and page, starts, submits, abandons, and the fields people stopped at.
import { pathTextSql } from '../db/insert-sql.ts';
import { TABLE } from '../db/schema.ts';
import { FORM_ABANDON, FORM_START, FORM_SUBMIT, type FormField, type FormsReport } from '@parcours/protocol';
import { sessionMatches } from './filter.ts';
import { DEFAULT_LIST_LIMIT, type Range } from './query.ts';
import { rate, type ReportSite } from './sql.ts';

/** Most last fields listed per form. */
export const MAX_LAST_FIELDS = 10;
/** Most fields listed per form in `fields`. */
export const MAX_FORM_FIELDS = 20;

/** A form's fields in `fields` order: most abandons first, then most errors, then longest hesitation, then name. */
export const byFieldRank = (a: FormField, b: FormField): number =>
  b.abandons - a.abandons ||
  b.errors - a.errors ||
  (b.hesitation_ms ?? -1) - (a.hesitation_ms ?? -1) ||
  (a.field < b.field ? -1 : 1);

/** The form events' types as an SQL list. */
const FORM_TYPES = [FORM_START, FORM_SUBMIT, FORM_ABANDON].map((t) => `'${t}'`).join(', ');

/** The median of `values` (sorted here), or null for none. */
export function median(values: number[]): number | null {
  if (!values.length) return null;
  values.sort((a, b) => a - b);
  const mid = values.length >> 1;
  return values.length % 2 ? values[mid]! : (values[mid - 1]! + values[mid]!) / 2;
}

/** A listed form: its name and page (the path's id and text), and its counts. */
type FormRow = { form: string; path_id: number; path: string; starts: number; submits: number; abandons: number };

/**
 * Form events in the period grouped by (form, path), most abandoned first, at most `limit` forms.
 * `abandon_rate` is abandons / (submits + abandons): of the forms that ended, the share left
 * unsubmitted. `last_fields`: for those forms only, the MAX_LAST_FIELDS fields abandoned most.
 * Both lists are cut in SQL: 10,000 forms once made a 12.9 MB answer. `fields`: per field of those forms
 * that the script described (forms with friction), the median hesitation, refocuses, errors and abandons at it.
 */
export async function forms(
  db: D1Database,
  site: ReportSite,
  range: Range,
  limit = DEFAULT_LIST_LIMIT,
): Promise<FormsReport> {
  const where = `site = ?1 AND time >= ?2 AND time < ?3 AND form IS NOT NULL${sessionMatches(site.id, range.filter, TABLE.events)}`;
  const top = `SELECT form, path_id, ${pathTextSql('path_id')} AS path, SUM(type = 'form_start') AS starts, SUM(type = 'form_submit') AS submits, SUM(type = 'form_abandon') AS abandons
                 FROM ${TABLE.events} WHERE type IN (${FORM_TYPES}) AND ${where}
                GROUP BY form, path_id ORDER BY abandons DESC, starts DESC, form, path LIMIT ?4`;
  // The listed forms first; their last fields and field entries then read for those (form, path) pairs only, so the
  // period's form events are grouped once, not once per statement.
  const counts = await db.prepare(top).bind(site.id, range.from, range.to, limit).all();
  const listed = JSON.stringify((counts.results as FormRow[]).map((f) => [f.form, f.path_id]));
  const inListed = (alias: string) =>
    `(${alias}form, ${alias}path_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?4))`;
  const [fields, perField] = counts.results.length
    ? await db.batch([
        db
          .prepare(
            `SELECT form, path_id, field, abandons FROM (
               SELECT *, ROW_NUMBER() OVER (PARTITION BY form, path_id ORDER BY abandons DESC, field) AS rn FROM (
                 SELECT form, path_id, last_field AS field, COUNT(*) AS abandons FROM ${TABLE.events}
                  WHERE type = 'form_abandon' AND ${where} AND last_field IS NOT NULL AND ${inListed('')}
                  GROUP BY form, path_id, last_field)
             ) WHERE rn <= ?5 ORDER BY form, path_id, rn`,
          )
          .bind(site.id, range.from, range.to, listed, MAX_LAST_FIELDS),
        // Each entry of the listed forms' events' `fields`, one row per entry. (json_each has its own `path` and `type`
        // columns: the event's are qualified.)
        db
          .prepare(
            `SELECT e.form, e.path_id, json_extract(f.value, '$.field') AS field, json_extract(f.value, '$.hesitation_ms') AS hesitation,
                    json_extract(f.value, '$.refocuses') AS refocuses, json_extract(f.value, '$.errors') AS errors
               FROM ${TABLE.events} AS e, json_each(e.data, '$.fields') AS f
              WHERE e.site = ?1 AND e.type IN ('form_submit', 'form_abandon') AND e.time >= ?2 AND e.time < ?3 AND e.form IS NOT NULL
                AND ${inListed('e.')}${sessionMatches(site.id, range.filter, 'e')}`,
          )
          .bind(site.id, range.from, range.to, listed),
      ])
    : [{ results: [] }, { results: [] }];
  type FieldRow = {
    form: string;
    path_id: number;
    field: string;
    hesitation: number | null;
    refocuses: number | null;
    errors: number | null;
  };
  const byField = new Map<string, Map<string, { hesitations: number[]; refocuses: number; errors: number }>>();
  for (const r of perField!.results as FieldRow[]) {
    const key = JSON.stringify([r.form, r.path_id]);
    const form = byField.get(key) ?? new Map();
    byField.set(key, form);
    const f = form.get(r.field) ?? { hesitations: [], refocuses: 0, errors: 0 };
    form.set(r.field, f);
    if (r.hesitation != null) f.hesitations.push(r.hesitation);
    f.refocuses += r.refocuses ?? 0;
    f.errors += r.errors ?? 0;
  }
  const lastFields = new Map<string, Array<{ field: string; abandons: number }>>();
  for (const f of fields!.results as Array<{ form: string; path_id: number; field: string; abandons: number }>) {
    const key = JSON.stringify([f.form, f.path_id]);
    const list = lastFields.get(key) ?? [];
    list.push({ field: f.field, abandons: f.abandons });
    lastFields.set(key, list);
  }
  /** A form's fields, most abandons first, then most errors, then longest hesitation, then name. */
  const formFields = (key: string): FormField[] => {
    const abandonsAt = new Map((lastFields.get(key) ?? []).map((l) => [l.field, l.abandons]));
    return [...(byField.get(key) ?? [])]
      .map(([field, f]) => ({
        field,
        hesitation_ms: median(f.hesitations),
        refocuses: f.refocuses,
        errors: f.errors,
        abandons: abandonsAt.get(field) ?? 0,
      }))
      .sort(byFieldRank)
      .slice(0, MAX_FORM_FIELDS);
  };
  return {
    forms: (counts.results as FormRow[]).map((f) => ({
      form: f.form,
      path: f.path,
      starts: f.starts,
      submits: f.submits,
      abandons: f.abandons,
      abandon_rate: rate(f.abandons, f.submits + f.abandons),
      last_fields: lastFields.get(JSON.stringify([f.form, f.path_id])) ?? [],
      fields: formFields(JSON.stringify([f.form, f.path_id])),
    })),
  };
}
