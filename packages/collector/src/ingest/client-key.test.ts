import { describe, expect, it } from 'vitest';
import { rateLimitKey, rateLimitSubject } from './client-key.ts';

describe('rate limit subject', () => {
  it('counts an IPv6 client by its /64, an IPv4 client by its address', () => {
    expect(rateLimitSubject('2001:db8:aa:bb:1:2:3:4')).toBe('2001:db8:aa:bb::/64');
    expect(rateLimitSubject('2001:0DB8:00aa:00bb:ffff:ffff:ffff:ffff')).toBe('2001:db8:aa:bb::/64');
    expect(rateLimitSubject('2001:db8:aa:bb::1')).toBe('2001:db8:aa:bb::/64');
    expect(rateLimitSubject('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitSubject('::1')).toBe('0:0:0:0::/64');
    expect(rateLimitSubject('fe80::1%eth0')).toBe('fe80:0:0:0::/64');
    expect(rateLimitSubject('::ffff:198.51.100.7')).toBe('198.51.100.7');
    expect(rateLimitSubject('198.51.100.7')).toBe('198.51.100.7');
    expect(rateLimitSubject('')).toBe('');
    for (const odd of ['1:2:3', '1::2::3', 'gggg::1', '1:2:3:4:5:6:7:8:9', '::ffff:300.1.1.1'])
      expect(rateLimitSubject(odd)).toBe(odd);
  });

  it('gives two addresses of one /64 the same key, and another /64 or another site a different one', async () => {
    const a = await rateLimitKey('shop', '2001:db8:aa:bb::1');
    expect(await rateLimitKey('shop', '2001:db8:aa:bb:ffff::9')).toBe(a);
    expect(await rateLimitKey('shop', '2001:db8:aa:bc::1')).not.toBe(a);
    expect(await rateLimitKey('blog', '2001:db8:aa:bb::1')).not.toBe(a);
  });
});
