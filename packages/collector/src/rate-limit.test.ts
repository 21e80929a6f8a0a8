// Rate limits of the reports and admin APIs, through the real Workers Rate Limiting bindings of wrangler.jsonc.
import { describe, expect, it } from 'vitest';
import { ADMIN, call, registerSite } from '../test/helpers.ts';

/** Sends until a 429 (at most `max` requests); answers how many passed and the 429. Fixed windows: a flood may straddle two. */
async function flood(send: (i: number) => Promise<Response>, max: number, expected: number) {
  let passed = 0;
  while (passed < max) {
    const res = await send(passed);
    if (res.status === 429) return { passed, limited: res };
    expect(res.status).toBe(expected);
    await res.arrayBuffer();
    passed++;
  }
  return { passed, limited: undefined };
}

describe('rate limits of reports and admin', () => {
  it('answers 429 rate-limited with Retry-After: 60 once one client read 240 reports of one site in a minute', async () => {
    const site = await registerSite();
    const other = await registerSite();
    const read = (s: { id: string; token: string }, ip: string) =>
      call(`/v1/sites/${s.id}/funnel`, { headers: { authorization: `Bearer ${s.token}`, 'cf-connecting-ip': ip } });
    const { passed, limited } = await flood(() => read(site, '203.0.113.20'), 720, 200);
    expect(limited).toBeDefined();
    expect(passed).toBeGreaterThanOrEqual(240);
    expect(await limited!.json()).toEqual({ error: 'rate-limited' });
    expect(limited!.headers.get('retry-after')).toBe('60');
    // Bad tokens count too: the limit comes before the token check.
    expect(
      (
        await call(`/v1/sites/${site.id}/funnel`, {
          headers: { authorization: 'Bearer nope', 'cf-connecting-ip': '203.0.113.20' },
        })
      ).status,
    ).toBe(429);
    // Another client, and the same client on another site, are not limited.
    expect((await read(site, '203.0.113.21')).status).toBe(200);
    expect((await read(other, '203.0.113.20')).status).toBe(200);
  });

  it('counts admin calls per client, an IPv6 client by its /64: two addresses of one /64 share 100 calls per 10 s', async () => {
    const ask = (ip: string) =>
      call('/v1/admin/sites/nobody-here', { headers: { authorization: `Bearer ${ADMIN}`, 'cf-connecting-ip': ip } });
    const { passed, limited } = await flood((i) => ask(i % 2 ? '2001:db8:17:1::a' : '2001:db8:17:1:ffff::b'), 300, 404);
    expect(limited).toBeDefined();
    expect(passed).toBeGreaterThanOrEqual(100);
    expect(await limited!.json()).toEqual({ error: 'rate-limited' });
    expect(limited!.headers.get('retry-after')).toBe('10');
    expect((await ask('2001:db8:17:1::c')).status).toBe(429);
    expect((await ask('2001:db8:17:2::a')).status).toBe(404);
  });
});
