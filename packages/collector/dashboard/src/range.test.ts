// Date ranges: presets, whole UTC days, the previous period, the API query.
import { describe, expect, test } from 'vitest';
import { customRange, describeRange, presetRange, previousRange, rangeQuery } from './range.ts';

const DAY = 86_400_000;
const NOW = Date.parse('2026-11-23T09:30:00Z');

describe('ranges', () => {
  test('a preset is the last N days up to now, and its previous period is the N days before', () => {
    const r = presetRange(7, NOW);
    expect(r.to - r.from).toBe(7 * DAY);
    const p = previousRange(r);
    expect(p.to).toBe(r.from);
    expect(p.to - p.from).toBe(7 * DAY);
  });

  test('a custom range covers whole UTC days, the last day included', () => {
    const r = customRange('2026-11-01', '2026-11-15');
    expect(r).not.toBeNull();
    expect(new Date(r!.from).toISOString()).toBe('2026-11-01T00:00:00.000Z');
    expect(new Date(r!.to).toISOString()).toBe('2026-11-16T00:00:00.000Z');
    expect(describeRange(r!)).toBe('1 Nov 2026 – 15 Nov 2026 (15 days, UTC)');
    expect(rangeQuery(r!)).toBe('from=2026-11-01T00%3A00%3A00.000Z&to=2026-11-16T00%3A00%3A00.000Z');
  });

  test('a reversed or unreadable custom range is refused', () => {
    expect(customRange('2026-11-15', '2026-11-01')).toBeNull();
    expect(customRange('', '2026-11-01')).toBeNull();
  });
});
