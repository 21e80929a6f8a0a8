import { describe, expect, it } from 'vitest';
import { CLICK_ID_PARAMS } from '@parcours/protocol';
import { CLICK_ID, cleanUrl, clickId } from './url-clean.ts';

describe('cleanUrl', () => {
  it('drops the query string and fragment', () => {
    expect(cleanUrl('https://shop.example/search?q=my+email%40x.com&token=abc#results', [])).toBe(
      'https://shop.example/search',
    );
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

describe('clickId', () => {
  it('knows exactly the click-id parameters of the protocol', () => {
    expect(CLICK_ID.source.match(/\((.*)\)/)![1]!.split('|')).toEqual(CLICK_ID_PARAMS);
  });

  it('names the first ad click id of the query string, never its value', () => {
    expect(clickId('?utm_source=google&gclid=Cj0KCQ-secret')).toBe('gclid');
    expect(clickId('?fbclid=IwAR-secret&ttclid=x')).toBe('fbclid');
    expect(clickId('?ttclid=x&fbclid=IwAR-secret')).toBe('ttclid');
    expect(clickId('?li_fat_id=abc')).toBe('li_fat_id');
  });
  it('is undefined without one, or when the name only appears in a value', () => {
    expect(clickId('')).toBeUndefined();
    expect(clickId('?q=gclid&ref=fbclid')).toBeUndefined();
  });
});
