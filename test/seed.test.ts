// The seeded history (`@parcours/traffic`, as `scripts/seed.mjs` and `pnpm dev` post it): deterministic, realistic,
// all of it stored through the real ingestion endpoint, and counted right.
import { createCatalogue, generateJourneys, journeys, seedSite } from '@parcours/traffic';
import { describe, expect, test } from 'vitest';
import { exportEvents, registerSite, report, sharedCollector, uniqueSiteId } from './harness/collector.ts';

const ORIGIN = 'http://shop.example.test';
const DAY = 86_400_000;

describe('the seed generator', () => {
  test('the same seed gives the same history, another seed another one', () => {
    const now = Date.UTC(2026, 10, 20);
    const a = generateJourneys({ origin: ORIGIN, visitors: 50, seed: 7, now });
    expect(generateJourneys({ origin: ORIGIN, visitors: 50, seed: 7, now })).toEqual(a);
    expect(generateJourneys({ origin: ORIGIN, visitors: 50, seed: 8, now })).not.toEqual(a);
  });

  test('journeys spread over the last 30 days, follow the stages, and abandon forms and carts at realistic rates', () => {
    const now = Date.now();
    const events = generateJourneys({ origin: ORIGIN, visitors: 2000, seed: 42, now }).flatMap((j) => j.events);
    const ts = events.map((e) => e.ts);
    expect(Math.min(...ts)).toBeGreaterThan(now - 30 * DAY);
    expect(Math.max(...ts)).toBeLessThan(now);
    expect(new Set(ts.map((t) => Math.floor((now - t) / DAY))).size).toBeGreaterThanOrEqual(28);
    for (const stage of ['awareness', 'consideration', 'decision', 'retention', 'advocacy'])
      expect(events.some((e) => e.stage === stage)).toBe(true);
    const count = (type: string, form?: string) =>
      events.filter((e) => e.type === type && (!form || e.form === form)).length;
    // Checkout forms: between a fifth and two thirds abandoned; carts: most abandoned, as in real shops (about 70 %).
    const checkoutAbandon = count('form_abandon', 'checkout') / count('form_start', 'checkout');
    expect(checkoutAbandon).toBeGreaterThan(0.2);
    expect(checkoutAbandon).toBeLessThan(0.66);
    const buyers = new Set(events.filter((e) => e.type === 'purchase').map((e) => e.visitor)).size;
    const carters = new Set(events.filter((e) => e.type === 'add_to_cart').map((e) => e.visitor)).size;
    expect(1 - buyers / carters).toBeGreaterThan(0.55);
    expect(1 - buyers / carters).toBeLessThan(0.85);
    // Some customers come back and buy again.
    const purchasesPerVisitor = new Map<string, number>();
    for (const e of events)
      if (e.type === 'purchase') purchasesPerVisitor.set(e.visitor, (purchasesPerVisitor.get(e.visitor) ?? 0) + 1);
    expect([...purchasesPerVisitor.values()].some((n) => n > 1)).toBe(true);
    // The shop's surveys: a CSAT after purchases (decision), an NPS on the account page (retention), some dismissed.
    const feedback = events.filter((e) => e.type === 'feedback');
    expect(new Set(feedback.map((e) => `${e.kind}:${e.stage}`))).toEqual(new Set(['csat:decision', 'nps:retention']));
    expect(feedback.every((e) => Number.isInteger(e.score) && e.score! >= (e.kind === 'nps' ? 0 : 1))).toBe(true);
    expect(count('survey_dismissed')).toBeGreaterThan(0);
    expect(count('survey_shown')).toBe(feedback.length + count('survey_dismissed'));
  });

  test('a time window, an event total and a large catalogue shape the same model', () => {
    const now = Date.UTC(2026, 10, 20);
    const week = generateJourneys({ origin: ORIGIN, visitors: 300, seed: 5, now, fromDaysAgo: 13, toDaysAgo: 8 });
    const firsts = week.filter((j) => j.events.length).map((j) => j.events[0]!.ts);
    expect(Math.min(...firsts)).toBeGreaterThanOrEqual(now - 13 * DAY);
    expect(Math.max(...firsts)).toBeLessThan(now - 8 * DAY + 60_000);
    expect(week.flatMap((j) => j.events).every((e) => e.url.startsWith(`${ORIGIN}/`) && e.ts < now)).toBe(true);

    const catalogue = createCatalogue({ products: 300, posts: 80 });
    const events = [...journeys({ events: 20_000, seed: 9, now, catalogue })].flatMap((j) => j.events);
    expect(events).toHaveLength(20_000);
    expect(new Set(events.map((e) => e.id)).size).toBe(20_000);
    const paths = new Set(events.filter((e) => e.type === 'page_view').map((e) => new URL(e.url).pathname));
    expect([...paths].filter((p) => p.startsWith('/products/p-')).length).toBeGreaterThan(250);
    expect([...paths].filter((p) => p.startsWith('/blog/post-')).length).toBeGreaterThan(60);
  });

  test('seeding posts every event through POST /v1/events once; seeding again stores nothing twice', async () => {
    const { url, adminToken } = sharedCollector();
    const site = uniqueSiteId('seed');
    const token = await registerSite(url, adminToken, { id: site, origins: [ORIGIN] });
    const now = Date.now();
    const generated = generateJourneys({ origin: ORIGIN, visitors: 200, seed: 3, now }).flatMap((j) => j.events);

    const first = await seedSite({ url, site, origin: ORIGIN, visitors: 200, seed: 3, now });
    expect(first).toMatchObject({
      visitors: 200,
      events: generated.length,
      accepted: generated.length,
      duplicates: 0,
      rejected: 0,
      filtered: 0,
    });
    const again = await seedSite({ url, site, origin: ORIGIN, visitors: 200, seed: 3, now });
    expect(again).toMatchObject({ accepted: 0, duplicates: generated.length, rejected: 0 });

    const stored = await exportEvents(url, site, token);
    expect(stored.map((e) => e.id).sort()).toEqual(generated.map((e) => e.id).sort());

    // The reports count what was generated: purchases, and checkout abandons by last field.
    const carts = await report<{ carts: { purchased: number } }>(url, site, token, 'carts');
    expect(carts.carts.purchased).toBe(generated.filter((e) => e.type === 'purchase').length);
    const forms = await report<{
      forms: Array<{ form: string; starts: number; last_fields: Array<{ field: string; abandons: number }> }>;
    }>(url, site, token, 'forms');
    const checkout = forms.forms.find((f) => f.form === 'checkout');
    expect(checkout?.starts).toBe(generated.filter((e) => e.type === 'form_start' && e.form === 'checkout').length);
    const byField = new Map<string, number>();
    for (const e of generated)
      if (e.type === 'form_abandon' && e.form === 'checkout')
        byField.set(String(e.last_field), (byField.get(String(e.last_field)) ?? 0) + 1);
    expect(Object.fromEntries((checkout?.last_fields ?? []).map((f) => [f.field, f.abandons]))).toEqual(
      Object.fromEntries(byField),
    );

    // A newcomer sees where visitors come from, on what, and from where: each session as its first page view says.
    const values = async (by: string) =>
      (await report<{ rows: Array<{ value: string; sessions: number }> }>(url, site, token, 'breakdown', { by })).rows;
    const sessions = (rows: Array<{ sessions: number }>) => rows.reduce((n, r) => n + r.sessions, 0);
    const firstViews = new Map<string, (typeof generated)[number]>();
    for (const e of generated) if (e.type === 'page_view' && !firstViews.has(e.session)) firstViews.set(e.session, e);
    const channels = await values('channel');
    expect(sessions(channels)).toBe(firstViews.size);
    expect(channels.map((r) => r.value)).toEqual(expect.arrayContaining(['direct', 'organic_search', 'paid_search']));
    expect(channels.map((r) => r.value)).toEqual(expect.arrayContaining(['paid_social', 'email', 'referral']));
    const campaigns = (await values('campaign')).map((r) => r.value);
    expect(campaigns).toEqual(expect.arrayContaining(['black_friday', 'grinder_launch', '(none)']));
    expect((await values('device')).map((r) => r.value).sort()).toEqual(['desktop', 'mobile', 'tablet']);
    // Countries come from the edge; the seed sets them through the local runtime's `cf` header.
    const countries = (await values('country')).map((r) => r.value);
    expect(countries.length).toBeGreaterThanOrEqual(10);
    expect(countries).toEqual(expect.arrayContaining(['FR', 'DE', 'XX']));
  });
});
