import { describe, expect, it } from 'vitest';
import { cleanUrl } from './url-clean.ts';

describe('cleanUrl', () => {
  it('drops the query string and fragment', () => {
    expect(cleanUrl('https://shop.example/search?q=my+email%40x.com&token=abc#results', [])).toBe('https://shop.example/search');
  });

  it('keeps utm_* parameters and those the site lists, in their order', () => {
    expect(cleanUrl('https://shop.example/p?utm_source=news&email=a%40b.c&ref=x&utm_medium=mail', ['ref'])).toBe(
      'https://shop.example/p?utm_source=news&ref=x&utm_medium=mail',
    );
  });

  it('does not keep a parameter whose name only starts like a kept one', () => {
    expect(cleanUrl('https://a.example/?reference=secret&ref=1', ['ref'])).toBe('https://a.example/?ref=1');
  });
});
