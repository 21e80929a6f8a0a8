// Headers every API reply carries, whatever the route and whether it succeeds or refuses.
import { describe, expect, it } from 'vitest';
import { ADMIN, call, freshEvents, postEvents, registerSite } from '../test/helpers.ts';
import { get } from '../test/test-support.ts';

describe('API reply headers', () => {
  it('marks every reply nosniff and no-store: ingestion, reports, export, admin, health, refusals', async () => {
    const site = await registerSite();
    const replies: Array<[string, Response]> = [
      ['ingestion 200', await postEvents({ v: 1, site: site.id, sent_at: Date.now(), events: freshEvents(1) })],
      ['ingestion 400', await postEvents('{')],
      ['ingestion 403', await postEvents({ v: 1, site: 'nobody-here', sent_at: Date.now(), events: [] })],
      ['preflight', await call('/v1/events', { method: 'OPTIONS', headers: { origin: 'https://shop.example' } })],
      ['report 200', await get(site, 'kpis')],
      ['report 400', await get(site, 'kpis', { from: 'soon' })],
      ['report 401', await get({ id: site.id, token: 'nope' }, 'kpis')],
      ['export 200', await get(site, 'events')],
      ['admin 200', await call(`/v1/admin/sites/${site.id}`, { headers: { authorization: `Bearer ${ADMIN}` } })],
      ['admin 401', await call(`/v1/admin/sites/${site.id}`)],
      ['health', await call('/v1/health')],
      ['unknown route', await call('/v1/nothing-here')],
    ];
    for (const [what, res] of replies) {
      expect(res.headers.get('x-content-type-options'), what).toBe('nosniff');
      expect(res.headers.get('cache-control'), what).toBe('no-store');
    }
  });

  it('serves the NDJSON export as an attachment named after the site', async () => {
    const site = await registerSite();
    const res = await get(site, 'events');
    expect(res.headers.get('content-type')).toBe('application/x-ndjson; charset=utf-8');
    expect(res.headers.get('content-disposition')).toBe(`attachment; filename="${site.id}-events.ndjson"`);
    await res.arrayBuffer();
  });
});
