import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { cachedSite, SITE_CACHE_TTL_MS } from './site-cache.ts';
import { TABLE } from '../db/schema.ts';

const batch = (site: string) => ({ v: 1, site, sent_at: Date.now(), events: freshEvents(1) });
const setOrigins = (site: string, origins: string[]) =>
  env.DB.prepare(`UPDATE ${TABLE.sites} SET origins = ? WHERE id = ?`).bind(JSON.stringify(origins), site).run();
const admin = (path: string, method: string, body?: unknown) =>
  call(`/v1/admin/sites/${path}`, {
    method,
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('the ingestion site cache', () => {
  it('reuses a site row for SITE_CACHE_TTL_MS, then reads the current one', async () => {
    const { id } = await registerSite({ origins: ['https://a.example'] });
    const t = Date.now();
    expect((await cachedSite(env.DB, id, t))!.origins).toEqual(['https://a.example']);
    // Changed by another isolate (here: straight in the database, no admin route to forget it).
    await setOrigins(id, ['https://b.example']);
    expect((await cachedSite(env.DB, id, t + SITE_CACHE_TTL_MS - 1))!.origins).toEqual(['https://a.example']);
    expect((await cachedSite(env.DB, id, t + SITE_CACHE_TTL_MS))!.origins).toEqual(['https://b.example']);
  });

  it('never holds a read-token hash', async () => {
    const { id } = await registerSite();
    const site = await cachedSite(env.DB, id);
    expect(site).not.toBeNull();
    expect(Object.keys(site!)).not.toContain('readTokenHash');
    // The one hash it holds is the ingest key's, which ingestion checks.
    const { ingestKeyHash, ...rest } = site!;
    expect(ingestKeyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(rest)).not.toMatch(/[0-9a-f]{64}/);
  });

  it('keeps no unknown site: a site registered right after a refused batch takes its next batch', async () => {
    const id = `late-${crypto.randomUUID().slice(0, 8)}`;
    expect((await postEvents(batch(id))).status).toBe(403);
    await registerSite({ id });
    expect(await (await postEvents(batch(id))).json()).toMatchObject({ accepted: 1 });
  });

  it('accepts a page on an origin added elsewhere at once: a refusal re-reads the site instead of trusting the cache', async () => {
    const { id } = await registerSite({ origins: ['https://shop.example'] });
    expect((await postEvents(batch(id))).status).toBe(200);
    await setOrigins(id, ['https://shop.example', 'https://new.example']);
    const res = await postEvents(batch(id), { origin: 'https://new.example' });
    expect(await res.json()).toMatchObject({ accepted: 1 });
  });

  it('stores a headless page at once once bot filtering was switched off elsewhere: filtering re-reads the site', async () => {
    const { id } = await registerSite();
    expect((await postEvents(batch(id))).status).toBe(200);
    await env.DB.prepare(`UPDATE ${TABLE.sites} SET bot_filter = 0 WHERE id = ?`).bind(id).run();
    const res = await postEvents(batch(id), {
      'user-agent': 'Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/140.0.0.0 Safari/537.36',
    });
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  });

  it('refuses an origin removed through the admin API at the very next batch', async () => {
    const { id } = await registerSite({ origins: ['https://shop.example', 'https://old.example'] });
    expect((await postEvents(batch(id), { origin: 'https://old.example' })).status).toBe(200);
    expect((await admin(id, 'PATCH', { origins: ['https://shop.example'] })).status).toBe(200);
    const res = await postEvents(batch(id), { origin: 'https://old.example' });
    expect(res.status).toBe(403);
    expect(await res.json()).toEqual({ error: 'forbidden' });
  });

  it('lets no rotated token read, even right after ingestion has cached the site', async () => {
    const { id, token } = await registerSite();
    expect((await postEvents(batch(id))).status).toBe(200);
    const rotated = (await (await admin(`${id}/token`, 'POST')).json()) as { read_token: string };
    const read = (t: string) => call(`/v1/sites/${id}/funnel`, { headers: { authorization: `Bearer ${t}` } });
    expect((await read(token)).status).toBe(401);
    expect((await read(rotated.read_token)).status).toBe(200);
    // Ingestion goes on with the cached row, and the old token still cannot read.
    expect((await postEvents(batch(id))).status).toBe(200);
    expect((await read(token)).status).toBe(401);
  });
});
