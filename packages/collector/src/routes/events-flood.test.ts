import { describe, expect, it } from 'vitest';
import { postEvents, registerSite } from '../../test/helpers.ts';

describe('rate limiting of ingestion', () => {
  it('answers 429 rate-limited with Retry-After once one client sent 300 requests to one site in a 10 s window, readable by the page', async () => {
    const { id } = await registerSite();
    const other = await registerSite();
    const ip = '203.0.113.5';
    const empty = (site: string, address: string) =>
      postEvents({ v: 1, site, sent_at: Date.now(), events: [] }, { 'cf-connecting-ip': address });
    // The limiter counts in fixed 10 s windows: a flood crossing a window boundary gets up to 300 more before the first 429.
    let passed = 0;
    let limited: Response | undefined;
    while (passed <= 900) {
      const res = await empty(id, ip);
      if (res.status === 429) {
        limited = res;
        break;
      }
      expect(res.status).toBe(200);
      passed++;
    }
    expect(limited).toBeDefined();
    expect(passed).toBeGreaterThanOrEqual(300);
    expect(await limited!.json()).toEqual({ error: 'rate-limited' });
    expect(limited!.headers.get('retry-after')).toBe('10');
    expect(limited!.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(limited!.headers.get('access-control-expose-headers')).toContain('retry-after');
    // Another client, and the same client on another site, are not limited.
    expect((await empty(id, '203.0.113.6')).status).toBe(200);
    expect((await empty(other.id, ip)).status).toBe(200);
  });
});
