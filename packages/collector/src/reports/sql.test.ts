// The bucketed median of groupMedians equals the plain median, on real D1, for any values (property test).
import fc from 'fast-check';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { groupMedians } from './sql.ts';

function median(values: number[]): number | null {
  const s = [...values].sort((a, b) => a - b);
  if (!s.length) return null;
  return Math.round(s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2);
}

describe('groupMedians', () => {
  it('gives each group its row count, value count and exact median, values sharing buckets included', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(
          fc.record({
            g: fc.integer({ min: 0, max: 3 }),
            // Many values in few buckets (15 000..15 999), some spread out, some missing.
            d: fc.option(fc.oneof(fc.integer({ min: 15_000, max: 15_999 }), fc.integer({ min: 0, max: 10_000_000 })), { nil: null }),
          }),
          { minLength: 1, maxLength: 60 },
        ),
        async (rows) => {
          const inner = `SELECT column1 AS g, column2 AS d FROM (VALUES ${rows.map((r) => `(${r.g}, ${r.d ?? 'NULL'})`).join(',')})`;
          const got = await groupMedians(env.DB, inner, []);
          for (const g of new Set(rows.map((r) => r.g))) {
            const mine = rows.filter((r) => r.g === g);
            const values = mine.map((r) => r.d).filter((d): d is number => d !== null);
            expect(got.get(g)).toEqual({ total: mine.length, n: values.length, median: median(values) });
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
