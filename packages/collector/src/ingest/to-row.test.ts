// The stored path of an event: a url's percent-encoded path cut to a bound where a character ends.
import { describe, expect, it } from 'vitest';
import { cutEncoded, MAX_PATH_LENGTH, toRow } from './to-row.ts';

describe('cutEncoded', () => {
  it('never ends inside an escape nor between the escapes of one UTF-8 sequence', () => {
    const e = '%C3%A9'; // é
    const path = `/${e.repeat(100)}`;
    // 200 would end at `%C3%A`, 199 inside it, 198 at `%C3`: each cut goes back to the end of the last whole é.
    for (const max of [198, 199, 200, 201, 202]) {
      const cut = cutEncoded(path, max);
      expect(cut, String(max)).toBe(`/${e.repeat(Math.floor((max - 1) / 6))}`);
      expect(() => decodeURIComponent(cut)).not.toThrow();
    }
    // Sequences of 3 and 4 bytes (€, 😀) and plain characters between them.
    const mixed = `/a${'%E2%82%AC'}b${'%F0%9F%98%80'}c`;
    expect([...Array(mixed.length + 1).keys()].map((n) => cutEncoded(mixed, n))).toEqual(
      [...Array(mixed.length + 1).keys()].map((n) =>
        n < 1
          ? ''
          : n < 2
            ? '/'
            : n < 11
              ? '/a'
              : n < 12
                ? '/a%E2%82%AC'
                : n < 24
                  ? '/a%E2%82%ACb'
                  : n < 25
                    ? '/a%E2%82%ACb%F0%9F%98%80'
                    : mixed,
      ),
    );
  });

  it('keeps a short text as it is, and cuts a stray % or a broken sequence as characters of their own', () => {
    expect(cutEncoded('/café', 10)).toBe('/café');
    expect(cutEncoded('/100%-off', 5)).toBe('/100%');
    expect(cutEncoded('/%zz%41', 4)).toBe('/%zz');
    // A lead byte without its continuation is an escape alone; a lone continuation byte too.
    expect(cutEncoded('/%C3x%A9y', 5)).toBe('/%C3x');
    expect(cutEncoded('/%A9%A9', 6)).toBe('/%A9');
    // A surrogate pair is never split.
    expect(cutEncoded('/a😀', 3)).toBe('/a');
  });
});

describe('toRow', () => {
  it('stores a path of at most MAX_PATH_LENGTH characters, cut where a character ends', () => {
    // A url of 2,048 characters (as the validator cuts it) of é: its encoded path is over 12,000 characters.
    const url = `https://shop.example/${'é'.repeat(3_000)}`.slice(0, 2048);
    const row = toRow(
      { id: 'e1', type: 'page_view', stage: 'awareness', visitor: 'v', session: 's', ts: Date.now(), url },
      ['awareness'],
      Date.now(),
      Date.now(),
    )!;
    expect(new URL(url).pathname.length).toBeGreaterThan(12_000);
    expect(row.path.length).toBeLessThanOrEqual(MAX_PATH_LENGTH);
    expect(row.path.length).toBeGreaterThan(MAX_PATH_LENGTH - 6);
    expect(decodeURIComponent(row.path)).toBe(`/${'é'.repeat((row.path.length - 1) / 6)}`);
  });
});
