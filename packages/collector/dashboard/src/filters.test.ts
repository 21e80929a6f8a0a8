// The view in the URL fragment: period, filters and interval read back as written; filters added and removed.
import { describe, expect, test } from 'vitest';
import { filterQuery, parseView, valueLabel, viewHash, withFilter, withoutFilter } from './filters.ts';
import { customRange, presetRange } from './range.ts';

const FALLBACK = presetRange(30);

describe('the view in the URL', () => {
  test('a custom period, two filters and an interval come back as written', () => {
    const view = {
      range: customRange('2026-11-01', '2026-11-14')!,
      filters: [
        { dimension: 'channel' as const, values: ['email', 'paid_search'] },
        { dimension: 'landing' as const, values: ['/a b&c=d'] },
      ],
      interval: 'week' as const,
    };
    const hash = viewHash(view);
    expect(hash).toContain('period=custom');
    expect(parseView(hash, FALLBACK)).toEqual(view);
  });

  test('what the fragment lacks or gets wrong falls back: period, unknown dimensions, interval', () => {
    const v = parseView('#period=12&colour=red&device=&country=FR,FR&interval=minute', FALLBACK);
    expect(v.range).toBe(FALLBACK);
    expect(v.filters).toEqual([{ dimension: 'country', values: ['FR'] }]);
    expect(v.interval).toBe('day');
    expect(parseView('', FALLBACK)).toEqual({ range: FALLBACK, filters: [], interval: 'day' });
    expect(parseView('#period=7', FALLBACK).range.preset).toBe('7');
  });

  test('a value added twice counts once; removing the last value of a dimension drops its filter', () => {
    let f = withFilter([], 'device', 'mobile');
    f = withFilter(f, 'device', 'tablet');
    f = withFilter(f, 'device', 'mobile');
    f = withFilter(f, 'country', 'DE');
    expect(f).toEqual([
      { dimension: 'device', values: ['mobile', 'tablet'] },
      { dimension: 'country', values: ['DE'] },
    ]);
    expect(filterQuery(f)).toBe('&device=mobile%2Ctablet&country=DE');
    f = withoutFilter(withoutFilter(f, 'device', 'mobile'), 'device', 'tablet');
    expect(f).toEqual([{ dimension: 'country', values: ['DE'] }]);
  });

  test('values read as words: countries by name, channels without underscores', () => {
    expect(valueLabel('country', 'FR')).toBe('France (FR)');
    expect(valueLabel('country', 'XX')).toBe('Unknown (XX)');
    expect(valueLabel('channel', 'organic_search')).toBe('Organic search');
    expect(valueLabel('source', 'news.ycombinator.com')).toBe('news.ycombinator.com');
    expect(valueLabel('landing', '/produits/caf%C3%A9')).toBe('/produits/café');
  });
});
