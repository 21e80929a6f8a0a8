// Small SQL helpers the reports share: medians computed inside SQLite, rates that are never NaN, money rounding.

/** A numerator over a denominator as a fraction in [0, 1]; 0 when the denominator is 0. */
export function rate(numerator: number, denominator: number): number {
  if (!(denominator > 0)) return 0;
  return Math.min(1, Math.max(0, numerator / denominator));
}

/** Money rounded to cents. */
export function cents(value: number): number {
  return Math.round(value * 100) / 100;
}

/**
 * Median of `d` per group `g` over the rows of `inner` (a SELECT yielding columns `g` and `d`),
 * computed in SQLite so only one row per group leaves the database. The median of an even
 * count is the mean of the two middle values, rounded to a whole number.
 */
export async function mediansBy(db: D1Database, inner: string, binds: unknown[]): Promise<Map<string, number>> {
  const { results } = await db
    .prepare(
      `SELECT g, AVG(d) AS m FROM (
         SELECT g, d, ROW_NUMBER() OVER (PARTITION BY g ORDER BY d) AS rn, COUNT(*) OVER (PARTITION BY g) AS n
           FROM (${inner}) WHERE d IS NOT NULL
       ) WHERE rn IN ((n + 1) / 2, (n + 2) / 2) GROUP BY g`,
    )
    .bind(...binds)
    .all<{ g: string | number; m: number }>();
  return new Map(results.map((r) => [String(r.g), Math.round(r.m)]));
}

/**
 * Select-list of a median over a window: `value`'s median within `partition`, for rows grouped by
 * the same columns. Rows whose value is NULL sort first (SQLite), so the middle of the non-null
 * values sits after them. Use with `ROW_NUMBER() OVER (PARTITION BY p ORDER BY value) AS rn`,
 * `COUNT(value) OVER (PARTITION BY p) AS n` and `COUNT(*) OVER (PARTITION BY p) AS total`.
 */
export const MEDIAN_OF_WINDOW = (value: string) =>
  `AVG(CASE WHEN ${value} IS NOT NULL AND rn - (total - n) IN ((n + 1) / 2, (n + 2) / 2) THEN ${value} END)`;

/** The window columns MEDIAN_OF_WINDOW reads, for `value` within `partition`. */
export const MEDIAN_WINDOW_COLUMNS = (partition: string, value: string) =>
  `ROW_NUMBER() OVER (PARTITION BY ${partition} ORDER BY ${value}) AS rn, COUNT(${value}) OVER (PARTITION BY ${partition}) AS n, COUNT(*) OVER (PARTITION BY ${partition}) AS total`;

/** One group's median to read from an index ordered by the value: `select` yields the value ordered ascending. */
export interface OffsetMedian {
  key: string;
  /** Non-null values of the group. */
  n: number;
  /** `SELECT value FROM ... WHERE <group, non-null value> ORDER BY value`, served by an index in that order. */
  select: string;
  binds: unknown[];
}

/**
 * Medians read straight from ordered indexes: the middle value (or two) of each group at an
 * offset, so nothing is sorted and nothing but one or two values per group leaves the database.
 */
export async function mediansAtOffset(db: D1Database, groups: OffsetMedian[]): Promise<Map<string, number>> {
  const wanted = groups.filter((g) => g.n > 0);
  if (!wanted.length) return new Map();
  const results = await db.batch<{ d: number }>(
    wanted.map((g) => db.prepare(`${g.select} LIMIT ${g.n % 2 ? 1 : 2} OFFSET ${Math.floor((g.n - 1) / 2)}`).bind(...g.binds)),
  );
  const out = new Map<string, number>();
  wanted.forEach((g, i) => {
    const values = results[i]!.results.map((r) => r.d);
    if (values.length) out.set(g.key, Math.round(values.reduce((a, b) => a + b, 0) / values.length));
  });
  return out;
}

/** The site a report reads: its id and ordered stage names. */
export interface ReportSite {
  id: string;
  stages: readonly string[];
}
