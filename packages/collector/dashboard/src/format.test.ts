// How figures and their changes read.
import { describe, expect, test } from 'vitest';
import { duration, money, percent, rateDelta, relativeDelta } from './format.ts';

describe('format', () => {
  test('rates print as percentages with one decimal at most', () => {
    expect(percent(0.625)).toBe('62.5%');
    expect(percent(1)).toBe('100%');
    expect(percent(0.33333)).toBe('33.3%');
    expect(percent(null)).toBe('–');
  });

  test('durations print in their two largest units', () => {
    expect(duration(420)).toBe('420 ms');
    expect(duration(4_200)).toBe('4.2 s');
    expect(duration(125_000)).toBe('2 min 5 s');
    expect(duration(3_900_000)).toBe('1 h 5 min');
    expect(duration(3 * 86_400_000 + 7_200_000)).toBe('3 d 2 h');
    expect(duration(null)).toBe('–');
  });

  test('money prints in its currency, and the unknown currency says so', () => {
    expect(money({ currency: 'EUR', value: 3444.5 })).toBe('€3,444.50');
    expect(money({ currency: 'XXX', value: 2 })).toBe('2.00 (no currency)');
  });

  test('a rate change is in percentage points, good or bad by the figure’s polarity', () => {
    expect(rateDelta(0.3, 0.25, 'up-bad')).toMatchObject({ text: '▲ 5 pts', tone: 'bad' });
    expect(rateDelta(0.2, 0.25, 'up-good')).toMatchObject({ text: '▼ 5 pts', tone: 'bad' });
    expect(rateDelta(0.2, 0.2, 'up-good')).toMatchObject({ text: '= same', tone: 'flat' });
    expect(rateDelta(0.2, null, 'up-good')).toBeNull();
  });

  test('an amount change is relative, and new when there was none before', () => {
    expect(relativeDelta(150, 100, 'up-good')).toMatchObject({ text: '▲ 50%', tone: 'good' });
    expect(relativeDelta(80, 100, 'up-bad')).toMatchObject({ text: '▼ 20%', tone: 'good' });
    expect(relativeDelta(5, 0, 'up-good')).toMatchObject({ text: 'new' });
  });
});
