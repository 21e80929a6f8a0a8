// The reports API surface: tokens, query validation, unknown reports, an empty site answering zeros.
import { describe, expect, it } from 'vitest';
import { call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { get, report, text } from '../../test/test-support.ts';

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
      carts: {
        started: 0,
        checked_out: 0,
        purchased: 0,
        open: 0,
        abandoned: 0,
        abandonment_rate: 0,
        abandoned_value: [],
        recovered: 0,
        recovered_value: [],
        recovery_rate: 0,
      },
      pages: [],
    });
    expect(kpis.stages[0]).toEqual({
      stage: 'awareness',
      views: 0,
      visitors: 0,
      bounce_rate: 0,
      median_visible_ms: null,
      to_next_stage: 0,
    });
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
      // limit=0.5 used to floor to 0 and answer 500; every other malformed number is refused the same way.
      ['events', { limit: '0.5' }],
      ['events', { limit: '1.0' }],
      ['events', { limit: '1e3' }],
      ['events', { limit: '-1' }],
      ['events', { limit: ' 5' }],
      ['events', { limit: '0x10' }],
      ['events', { limit: '10001' }],
      ['events', { limit: '9'.repeat(400) }],
      ['carts', { abandon_after: '0' }],
      ['carts', { abandon_after: '1e3' }],
      ['carts', { abandon_after: 'Infinity' }],
      ['carts', { abandon_after: '525601' }],
      ['friction', { abandon_after: 'NaN' }],
      ['funnel', { from: '2026-02-30' }],
      ['funnel', { from: '2026-11-01T24:00' }],
      ['funnel', { to: '2026-11-01T10:00+25:00' }],
      ['funnel', { from: '+275760-09-13' }],
      ['kpis', { from: '2026-11-01T10:00:00ZZ' }],
      // A parameter the report does not read is a mistake to point out, not to ignore.
      ['funnel', { abandon_after: '30' }],
      ['kpis', { limit: '10' }],
      ['transitions', { cursor: '1' }],
      ['events', { abandon_after: '30' }],
      ['forms', { form: 'checkout' }],
    ];
    for (const [name, query] of bad) {
      const res = await get(site, name, query);
      expect(res.status, `${name} ${JSON.stringify(query)}`).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid-query', message: expect.any(String) });
    }
  });

  it('answers a fractional export limit with 400 invalid-query on a site with events (it floored to 0 and answered 500)', async () => {
    const site = await registerSite();
    expect((await postEvents({ v: 1, site: site.id, sent_at: Date.now(), events: freshEvents(2) })).status).toBe(200);
    const res = await get(site, 'events', { limit: '0.5' });
    expect(res.status).toBe(400);
    expect(await res.json()).toMatchObject({ error: 'invalid-query', message: expect.any(String) });
    expect((await text(await get(site, 'events', { limit: '1' }))).split('\n').filter(Boolean)).toHaveLength(1);
  });

  it('answers 400 invalid-query for a parameter given twice', async () => {
    const site = await registerSite();
    for (const qs of ['limit=1&limit=2', 'from=2026-11-01&from=2026-11-02', 'abandon_after=5&abandon_after=6']) {
      const name = qs.startsWith('abandon') ? 'carts' : 'events';
      const res = await call(`/v1/sites/${site.id}/${name}?${qs}`, {
        headers: { authorization: `Bearer ${site.token}` },
      });
      expect(res.status, qs).toBe(400);
      expect(await res.json()).toMatchObject({ error: 'invalid-query', message: expect.any(String) });
    }
    // interval and by say so too, even when both values are allowed (not "must be one of …").
    for (const [name, qs, message] of [
      ['timeseries', 'interval=day&interval=day', 'interval given 2 times'],
      ['breakdown', 'by=channel&by=device', 'by given 2 times'],
      ['satisfaction', 'by=channel&by=channel', 'by given 2 times'],
    ] as const) {
      const res = await call(`/v1/sites/${site.id}/${name}?${qs}`, {
        headers: { authorization: `Bearer ${site.token}` },
      });
      expect(res.status, qs).toBe(400);
      expect(await res.json(), qs).toEqual({ error: 'invalid-query', message });
    }
  });

  it('says in words what was wrong with a refused query, the code unchanged', async () => {
    const site = await registerSite();
    const said = async (name: string, query: Record<string, string>) => {
      const res = await get(site, name, query);
      expect(res.status, `${name} ${JSON.stringify(query)}`).toBe(400);
      const body = (await res.json()) as { error: string; message: string };
      expect(body.error).toBe('invalid-query');
      return body.message;
    };
    expect(await said('events', { limit: '10001' })).toBe('limit must be a whole number from 1 to 10000');
    expect(await said('breakdown', { by: 'channel', limit: '0' })).toMatch(/from 1 to \d+/);
    expect(await said('funnel', { from: 'yesterday' })).toMatch(/^not an ISO 8601 date .*: yesterday$/);
    expect(await said('kpis', { limit: '10' })).toBe(
      'unknown parameter limit: this report reads from, to, a dimension',
    );
    expect(await said('timeseries', { interval: 'hour', from: '2025-01-01', to: '2025-12-31' })).toBe(
      '8760 hours in the period, at most 2500: a shorter period or a longer interval',
    );
    expect(await said('funnel', { device: 'MOBILE' })).toBe('device is one of desktop, mobile, tablet, other');
    expect(await said('funnel', { country: 'fr' })).toMatch(/^country is two capital letters/);
    expect(await said('events', { cursor: 'abc' })).toBe('malformed cursor');
    // A 10 KB value or parameter name is named by its start, not sent back whole.
    const long = `2026-${'é'.repeat(10_000)}`;
    expect(await said('funnel', { from: long })).toBe(
      `not an ISO 8601 date or time (2026-11-23, 2026-11-23T14:00:00Z): ${long.slice(0, 64)}… (10005 characters)`,
    );
    expect(await said('kpis', { [`x${'y'.repeat(10_000)}`]: '1' })).toBe(
      `unknown parameter x${'y'.repeat(63)}… (10001 characters): this report reads from, to, a dimension`,
    );
  });

  it('accepts the documented forms: limit 1 to 10,000, abandon_after in fractions of a minute, dates with or without offsets', async () => {
    const site = await registerSite();
    const ok: Array<[string, Record<string, string>]> = [
      ['events', { limit: '1' }],
      ['events', { limit: '10000' }],
      ['carts', { abandon_after: '0.05' }],
      ['carts', { abandon_after: '525600' }],
      ['friction', { abandon_after: '1' }],
      ['funnel', { from: '2028-02-29', to: '2028-03-01' }],
      ['funnel', { from: '2026-11-01T10:00+0200' }],
      ['funnel', { from: '2026-11-01 10:00:00.5' }],
      ['funnel', { from: '', to: '' }],
    ];
    for (const [name, query] of ok)
      expect((await get(site, name, query)).status, `${name} ${JSON.stringify(query)}`).toBe(200);
  });

  it('accepts ISO dates, date-times and offsets', async () => {
    const site = await registerSite();
    const queries: Array<Record<string, string>> = [
      { from: '2026-11-01', to: '2026-11-02' },
      { from: '2026-11-01T10:00:00Z' },
      { to: '2026-11-02T10:00:00.000+02:00' },
    ];
    for (const query of queries) {
      expect((await get(site, 'kpis', query)).status).toBe(200);
    }
  });
});
