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

/** The site a report reads: its id and ordered stage names. */
export interface ReportSite {
  id: string;
  stages: readonly string[];
}
