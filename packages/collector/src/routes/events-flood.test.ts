import { describe, expect, it } from 'vitest';
import { freshEvents, postEvents, registerSite } from '../../test/helpers.ts';

describe('rate limiting of ingestion', () => {
  it('answers 429 rate-limited with Retry-After after 300 requests in 10 s from one client to one site, readable by the page', async () => {
    const { id } = await registerSite();
    const other = await registerSite();
    const ip = '203.0.113.5';
    const statuses: number[] = [];
    for (let i = 0; i < 305; i++) {
      statuses.push((await postEvents({ v: 1, site: id, sent_at: Date.now(), events: [] }, { 'cf-connecting-ip': ip })).status);
    }
    expect(statuses.filter((s) => s === 200).length).toBe(300);
    const limited = await postEvents({ v: 1, site: id, sent_at: Date.now(), events: freshEvents(1) }, { 'cf-connecting-ip': ip });
    expect(limited.status).toBe(429);
    expect(await limited.json()).toEqual({ error: 'rate-limited' });
    expect(limited.headers.get('retry-after')).toBe('10');
    expect(limited.headers.get('access-control-allow-origin')).toBe('https://shop.example');
    expect(limited.headers.get('access-control-expose-headers')).toContain('retry-after');
    // Another client, and the same client on another site, are not limited.
    expect((await postEvents({ v: 1, site: id, sent_at: Date.now(), events: [] }, { 'cf-connecting-ip': '203.0.113.6' })).status).toBe(200);
    expect((await postEvents({ v: 1, site: other.id, sent_at: Date.now(), events: [] }, { 'cf-connecting-ip': ip })).status).toBe(200);
  });
});
