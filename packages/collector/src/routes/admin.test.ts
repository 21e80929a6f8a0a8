import { describe, expect, it } from 'vitest';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';

describe('admin API', () => {
  it('registers a site once and answers 409 for the same id again', async () => {
    const { id, token } = await registerSite();
    expect(token.length).toBeGreaterThanOrEqual(40);
    const again = await call('/v1/admin/sites', {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN}` },
      body: JSON.stringify({ id, origins: [] }),
    });
    expect(again.status).toBe(409);
    expect(await again.json()).toEqual({ error: 'site-exists' });
  });

  it('refuses a wrong or missing admin token with 401', async () => {
    for (const authorization of ['Bearer nope', '', `Bearer ${ADMIN}x`]) {
      const res = await call('/v1/admin/sites', { method: 'POST', headers: { authorization }, body: '{"id":"x","origins":[]}' });
      expect(res.status).toBe(401);
    }
  });

  it('refuses a bad stage list or origin with 400 invalid-site-config', async () => {
    for (const body of [{ id: 'a1', origins: ['not a url'] }, { id: 'a2', origins: [], stages: ['x', 'x'] }, { id: '../x', origins: [] }]) {
      const res = await call('/v1/admin/sites', { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid-site-config' });
    }
  });

  it('rotates the read token: the old one stops working, the new one reads', async () => {
    const { id, token } = await registerSite();
    const rotated = await call(`/v1/admin/sites/${id}/token`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}` } });
    const { read_token } = (await rotated.json()) as { read_token: string };
    expect(read_token).not.toBe(token);
    const read = (t: string) => call(`/v1/sites/${id}/funnel`, { headers: { authorization: `Bearer ${t}` } });
    expect((await read(token)).status).toBe(401);
    expect((await read(read_token)).status).not.toBe(401);
  });

  it('answers health', async () => {
    const res = await call('/v1/health');
    expect(await res.json()).toEqual({ ok: true });
  });

  it('shows a site with its options and ingestion counters, never its token hash', async () => {
    const { id } = await registerSite({ stages: ['discovery', 'reflection', 'decision'], visitor_ids: 'cookieless' });
    const res = await call(`/v1/admin/sites/${id}`, { headers: { authorization: `Bearer ${ADMIN}` } });
    const body = (await res.json()) as Record<string, unknown>;
    expect(body).toEqual({
      id,
      origins: ['https://shop.example'],
      stages: ['discovery', 'reflection', 'decision'],
      bot_filter: true,
      visitor_ids: 'cookieless',
      ingestion: { days: [], totals: { dropped: 0, bot_events: 0, bot_batches: 0, storage_failed: 0 } },
    });
    expect((await call('/v1/admin/sites/nope-nope', { headers: { authorization: `Bearer ${ADMIN}` } })).status).toBe(404);
  });

  it('changes origins, bot filtering and visitor ids with PATCH, refuses stage changes and bad values', async () => {
    const { id } = await registerSite();
    const patch = (body: unknown, site = id) =>
      call(`/v1/admin/sites/${site}`, { method: 'PATCH', headers: { authorization: `Bearer ${ADMIN}` }, body: JSON.stringify(body) });
    const ok = await patch({ origins: ['https://new.example', '*'], visitor_ids: 'cookieless', bot_filter: false });
    expect(await ok.json()).toMatchObject({ origins: ['https://new.example', '*'], visitor_ids: 'cookieless', bot_filter: false });
    for (const bad of [{ stages: ['a', 'b'] }, { visitor_ids: 'ip' }, { bot_filter: 'no' }, { origins: 'https://x.example' }, []]) {
      const res = await patch(bad);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid-site-config' });
    }
    expect((await patch({ bot_filter: true }, 'nope-nope')).status).toBe(404);
    expect((await call(`/v1/admin/sites/${id}`, { method: 'PATCH', body: '{}' })).status).toBe(401);
  });
});
