// The reports API surface: tokens, query validation, unknown reports, an empty site answering zeros.
import { describe, expect, it } from 'vitest';
import { call, registerSite } from '../../test/helpers.ts';
import { get, report, text } from '../reports/test-support.ts';

const REPORTS = ['funnel', 'transitions', 'friction', 'forms', 'carts', 'kpis'];

describe('reports API', () => {
  it('answers an empty site with zeros and empty lists, not errors', async () => {
    const site = await registerSite();
    const [funnel, transitions, friction, forms, carts, kpis] = await Promise.all(REPORTS.map((r) => report(site, r)));
    expect(funnel.stages).toEqual(
      ['awareness', 'consideration', 'decision', 'retention', 'advocacy'].map((stage, i) => ({
        stage,
        visitors: 0,
        rate_from_previous: i === 0 ? null : 0,
        median_ms_from_previous: null,
      })),
    );
    expect(transitions).toEqual({ transitions: [] });
    expect(friction).toEqual({ pages: [] });
    expect(forms).toEqual({ forms: [] });
    expect(carts).toEqual({
      carts: { started: 0, checked_out: 0, purchased: 0, open: 0, abandoned: 0, abandonment_rate: 0, abandoned_value: [] },
      pages: [],
    });
    expect(kpis.stages[0]).toEqual({ stage: 'awareness', views: 0, visitors: 0, bounce_rate: 0, median_visible_ms: null, to_next_stage: 0 });
    expect(kpis.decision).toEqual({ conversion_rate: 0, average_basket: [], median_decision_ms: null });
    expect(kpis.retention).toEqual({ repurchase_rate: 0 });
    const res = await get(site, 'events');
    expect(res.status).toBe(200);
    expect(await text(res)).toBe('');
  });

  it("orders the funnel by the site's own stage list", async () => {
    const site = await registerSite({ stages: ['discovery', 'reflection', 'decision'] });
    const r = await report(site, 'funnel');
    expect(r.stages.map((s: { stage: string }) => s.stage)).toEqual(['discovery', 'reflection', 'decision']);
  });

  it('refuses a missing or wrong token with 401 and another site with 404', async () => {
    const a = await registerSite();
    const b = await registerSite();
    expect((await call(`/v1/sites/${a.id}/funnel`)).status).toBe(401);
    expect((await get({ id: a.id, token: `${a.token}x` }, 'funnel')).status).toBe(401);
    const other = await get({ id: a.id, token: b.token }, 'funnel');
    expect(other.status).toBe(404);
    expect(await other.json()).toEqual({ error: 'not-found' });
  });

  it('answers 404 not-found for an unknown report', async () => {
    const site = await registerSite();
    for (const name of ['nope', 'constructor', '__proto__']) {
      const res = await get(site, name);
      expect(res.status).toBe(404);
      expect(await res.json()).toEqual({ error: 'not-found' });
    }
  });

  it('answers 400 invalid-query for bad dates, inverted ranges, bad abandon_after, limit or cursor', async () => {
    const site = await registerSite();
    const bad: Array<[string, Record<string, string>]> = [
      ['funnel', { from: 'yesterday' }],
      ['kpis', { to: '2026-13-45' }],
      ['transitions', { from: '2026-11-20', to: '2026-11-10' }],
      ['friction', { from: '1763899990000' }],
      ['carts', { abandon_after: '-5' }],
      ['carts', { abandon_after: 'soon' }],
      ['events', { limit: '0' }],
      ['events', { limit: '1000000' }],
      ['events', { cursor: 'abc' }],
    ];
    for (const [name, query] of bad) {
      const res = await get(site, name, query);
      expect(res.status, `${name} ${JSON.stringify(query)}`).toBe(400);
      expect(await res.json()).toEqual({ error: 'invalid-query' });
    }
  });

  it('accepts ISO dates, date-times and offsets', async () => {
    const site = await registerSite();
    const queries: Array<Record<string, string>> = [{ from: '2026-11-01', to: '2026-11-02' }, { from: '2026-11-01T10:00:00Z' }, { to: '2026-11-02T10:00:00.000+02:00' }];
    for (const query of queries) {
      expect((await get(site, 'kpis', query)).status).toBe(200);
    }
  });
});
