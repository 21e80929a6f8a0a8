// The trend's grid: whole counts, each on its own line.
import { describe, expect, test } from 'vitest';
import { gridValues } from './trend.ts';

describe('gridValues', () => {
  test('marks 0, the middle and the top, each a whole number once', () => {
    expect(gridValues(1)).toEqual([0, 1]);
    expect(gridValues(3)).toEqual([0, 2, 3]);
    expect(gridValues(120)).toEqual([0, 60, 120]);
  });
});
