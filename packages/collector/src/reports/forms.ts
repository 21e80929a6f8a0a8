// The forms report: per form and page, starts, submits, abandons, and the fields people stopped at.
import { pathTextSql } from '../db/insert-sql.ts';
import { INDEX, TABLE } from '../db/schema.ts';
import { FORM_ABANDON, FORM_START, FORM_SUBMIT, type FormField, type FormsReport } from '@parcours/protocol';
import { sessionMatches } from './filter.ts';
import { DEFAULT_LIST_LIMIT, type Range } from './query.ts';
import { medianPart, mediansAtOffset, rankedMedian, rate, type ReportSite } from './sql.ts';

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
  const { results: fields } = counts.results.length
    ? await db
        .prepare(
          `SELECT form, path_id, field, abandons FROM (
             SELECT *, ROW_NUMBER() OVER (PARTITION BY form, path_id ORDER BY abandons DESC, field) AS rn FROM (
               SELECT form, path_id, last_field AS field, COUNT(*) AS abandons FROM ${TABLE.events}
                WHERE type = 'form_abandon' AND ${where} AND last_field IS NOT NULL AND ${inListed('')}
                GROUP BY form, path_id, last_field)
           ) WHERE rn <= ?5 ORDER BY form, path_id, rn`,
        )
        .bind(site.id, range.from, range.to, listed, MAX_LAST_FIELDS)
        .all()
    : { results: [] };
  const lastFields = new Map<string, Array<{ field: string; abandons: number }>>();
  for (const f of fields as Array<{ form: string; path_id: number; field: string; abandons: number }>) {
    const key = JSON.stringify([f.form, f.path_id]);
    const list = lastFields.get(key) ?? [];
    list.push({ field: f.field, abandons: f.abandons });
    lastFields.set(key, list);
  }
  const byField = counts.results.length ? await fieldEntries(db, site, range, listed, lastFields) : new Map();
  /** A form's fields, most abandons first, then most errors, then longest hesitation, then name. */
  const formFields = (key: string): FormField[] => (byField.get(key) ?? []).sort(byFieldRank).slice(0, MAX_FORM_FIELDS);
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

/**
 * The FROM and WHERE of the period's form field entries (`f`; ?1 site, ?2 from, ?3 to), of the forms listed in the
 * JSON parameter `listed` (`[[form, path_id], ...]`) when given. With a filter, the period's form events are checked
 * (one session look-up per event, through the form events' index, which holds their sessions), then each kept event's
 * entries read by key.
 */
export function fieldEntriesFrom(siteId: string, filter: Range['filter'], listed?: string): string {
  const inListed = (alias: string) =>
    listed
      ? ` AND (${alias}.form, ${alias}.path_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(${listed}))`
      : '';
  return filter
    ? `${TABLE.events} AS e INDEXED BY ${INDEX.events_site_forms}
        CROSS JOIN ${TABLE.form_fields} AS f INDEXED BY ${INDEX.form_fields_key} ON f.site = ?1 AND f.time = e.time AND f.seq = e.seq
       WHERE e.site = ?1 AND e.type IN ('${FORM_SUBMIT}', '${FORM_ABANDON}') AND e.time >= ?2 AND e.time < ?3 AND e.form IS NOT NULL${inListed('e')}${sessionMatches(siteId, filter, 'e')}`
    : `${TABLE.form_fields} AS f INDEXED BY ${INDEX.form_fields_key} WHERE f.site = ?1 AND f.time >= ?2 AND f.time < ?3${inListed('f')}`;
}

/** Most fields whose median hesitation is read at an offset of form_fields_site_field, one statement each. */
const MAX_OFFSET_MEDIANS = 100;

/** One field of a listed form: its entries' sums in the period, and from a ranked pass its median hesitation. */
type FieldSums = {
  form: string;
  path_id: number;
  field: string;
  refocuses: number;
  errors: number;
  timed: number;
  median?: number | null;
};

/**
 * Per listed form (`listed`: the JSON `[[form, path_id], ...]`), its fields from the period's `form_fields` (a row per
 * entry of a form event's `fields`, kept with the events): refocuses and errors summed, the median hesitation, and the
 * abandons at each from `lastFields`. Without a filter the entries are grouped in the order of form_fields_site_field
 * (nothing sorted) and the medians read at an offset of it, for the fields that can be among a form's first
 * MAX_FORM_FIELDS (ranked by abandons and errors before hesitation), at most MAX_OFFSET_MEDIANS of them; with a
 * filter, or past that many, every median is ranked in the pass that groups.
 */
async function fieldEntries(
  db: D1Database,
  site: ReportSite,
  range: Range,
  listed: string,
  lastFields: Map<string, Array<{ field: string; abandons: number }>>,
): Promise<Map<string, FormField[]>> {
  const inListed = '(form, path_id) IN (SELECT value ->> 0, value ->> 1 FROM json_each(?4))';
  const period = 'site = ?1 AND time >= ?2 AND time < ?3';
  const sums =
    'IFNULL(SUM(refocuses), 0) AS refocuses, IFNULL(SUM(errors), 0) AS errors, COUNT(hesitation_ms) AS timed';
  const { rank, count } = rankedMedian('f.form, f.path_id, f.field', 'f.hesitation_ms');
  const entriesOf = fieldEntriesFrom(site.id, range.filter, '?4');
  const ranked = async () =>
    (
      await db
        .prepare(
          `SELECT form, path_id, field, ${sums}, AVG(${medianPart('rk', 'nr', 'hesitation_ms')}) AS median FROM (
             SELECT f.form, f.path_id, f.field, f.refocuses, f.errors, f.hesitation_ms, ${rank} AS rk, ${count} AS nr
               FROM ${entriesOf})
           GROUP BY form, path_id, field`,
        )
        .bind(site.id, range.from, range.to, listed)
        .all<FieldSums>()
    ).results;
  // Without a filter: every form's fields of the period grouped in index order, then those of the listed forms kept.
  const rows = range.filter
    ? await ranked()
    : (
        await db
          .prepare(
            `SELECT * FROM (SELECT form, path_id, field, ${sums} FROM ${TABLE.form_fields} INDEXED BY ${INDEX.form_fields_site_field}
                             WHERE ${period} GROUP BY form, path_id, field)
              WHERE ${inListed}`,
          )
          .bind(site.id, range.from, range.to, listed)
          .all<FieldSums>()
      ).results;
  const formKey = (r: { form: string; path_id: number }) => JSON.stringify([r.form, r.path_id]);
  const fieldKey = (r: { form: string; path_id: number }, field: string) => `${formKey(r)}\u0001${field}`;
  const out = new Map<string, FormField[]>();
  const entries = new Map<string, { form: string; path_id: number; timed: number; field: FormField }>();
  for (const r of rows) {
    const list = out.get(formKey(r)) ?? [];
    out.set(formKey(r), list);
    const abandons = lastFields.get(formKey(r))?.find((l) => l.field === r.field)?.abandons ?? 0;
    const field = {
      field: r.field,
      hesitation_ms: r.median ?? null,
      refocuses: r.refocuses,
      errors: r.errors,
      abandons,
    };
    list.push(field);
    entries.set(fieldKey(r, r.field), { form: r.form, path_id: r.path_id, timed: r.timed, field });
  }
  if (range.filter) return out;
  // The fields whose hesitation can place them among a form's first MAX_FORM_FIELDS: all of a short list, else those
  // ranked (by abandons, then errors) with or before its last listed one.
  const byCounts = (a: FormField, b: FormField) => b.abandons - a.abandons || b.errors - a.errors;
  // Each form's last listed field by those counts, sorted once per form (not once per field: a form of thousands of
  // field names would make that quadratic).
  const lastListed = new Map([...out].map(([key, list]) => [key, [...list].sort(byCounts)[MAX_FORM_FIELDS - 1]]));
  const wanted = [...entries.entries()].filter(([, e]) => {
    const last = lastListed.get(formKey(e));
    return e.timed > 0 && (!last || byCounts(e.field, last) <= 0);
  });
  const medians =
    wanted.length > MAX_OFFSET_MEDIANS
      ? // Too many to read one by one: every median ranked in one pass instead.
        new Map((await ranked()).map((r) => [fieldKey(r, r.field), r.median ?? null]))
      : await mediansAtOffset(
          db,
          wanted.map(([key, e]) => ({
            key,
            n: e.timed,
            select: `SELECT hesitation_ms AS d FROM ${TABLE.form_fields} INDEXED BY ${INDEX.form_fields_site_field}
                      WHERE site = ?1 AND form = ?4 AND path_id = ?5 AND field = ?6 AND hesitation_ms IS NOT NULL
                        AND time >= ?2 AND time < ?3 ORDER BY hesitation_ms`,
            binds: [site.id, range.from, range.to, e.form, e.path_id, e.field.field],
          })),
          false,
        );
  for (const [key, e] of entries) e.field.hesitation_ms = medians.get(key) ?? null;
  return out;
}
