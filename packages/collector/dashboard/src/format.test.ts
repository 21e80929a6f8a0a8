// How figures and their changes read.
import { describe, expect, test } from 'vitest';
import { duration, money, percent, rateDelta, readablePath, relativeDelta } from './format.ts';

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

  test('a path reads decoded, unless decoding fails or shows an invisible character', () => {
    expect(readablePath('/produits/caf%C3%A9%20cr%C3%A8me')).toBe('/produits/café crème');
    expect(readablePath('/商品/%E8%8C%B6')).toBe('/商品/茶');
    // An encoded slash stays encoded: decoding it would show another path.
    expect(readablePath('/a%2Fb')).toBe('/a%2Fb');
    expect(readablePath('/bad%E0%A4%A')).toBe('/bad%E0%A4%A');
    // A right-to-left override or a newline would make the path read as something else.
    expect(readablePath('/x%E2%80%AEgpj.exe')).toBe('/x%E2%80%AEgpj.exe');
    expect(readablePath('/a%0Ab')).toBe('/a%0Ab');
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
