// Summary statistics used by every benchmark table.
import { describe, expect, it } from 'vitest';
import { fmt, median, quantile, ratio } from './stats.ts';

describe('stats', () => {
  it('takes the median of an odd and an even number of samples', () => {
    expect(median([5, 1, 3])).toBe(3);
    expect(median([4, 1, 3, 2])).toBe(2.5);
  });

  it('interpolates the 95th percentile between the nearest ranks', () => {
    const xs = Array.from({ length: 101 }, (_, i) => i);
    expect(quantile(xs, 0.95)).toBe(95);
    expect(quantile([0, 10], 0.95)).toBeCloseTo(9.5);
  });

  it('reports a missing figure as n/a rather than a misleading number', () => {
    expect(median([])).toBeNaN();
    expect(ratio(1, 0)).toBeNaN();
    expect(fmt(Number.NaN)).toBe('n/a');
    expect(fmt(12345.678, 1)).toBe('12,345.7');
  });
});
