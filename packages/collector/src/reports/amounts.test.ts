// Amounts in reports: a negative value or price never enters (rejected one event at a time), and a refund is its own event.
import { describe, expect, it } from 'vitest';
import { registerSite } from '../../test/helpers.ts';
import { siteDb } from '../../test/site-rows.ts';
import { report, send, wire } from '../../test/test-support.ts';
import { TABLE } from '../db/schema.ts';

const visitor = () => `v-${crypto.randomUUID().slice(0, 8)}`;

describe('amounts', () => {
  it('rejects a negative purchase, keeps the rest of the batch, and averages the basket over what is left', async () => {
    const site = await registerSite();
    const t = Date.now() - 60_000;
    const a = visitor();
    const b = visitor();
    const reply = await send(site.id, [
      wire({ type: 'page_view', ts: t, stage: 'decision', visitor: a, session: `${a}-s`, path: '/checkout' }),
      wire({
        type: 'purchase',
        ts: t + 1000,
        stage: 'decision',
        visitor: a,
        session: `${a}-s`,
        path: '/done',
        value: -100,
        currency: 'EUR',
        transaction_id: 'neg',
      }),
      wire({ type: 'page_view', ts: t, stage: 'decision', visitor: b, session: `${b}-s`, path: '/checkout' }),
      wire({
        type: 'purchase',
        ts: t + 1000,
        stage: 'decision',
        visitor: b,
        session: `${b}-s`,
        path: '/done',
        value: 50,
        currency: 'EUR',
        transaction_id: 'ok',
      }),
      wire({
        type: 'add_to_cart',
        ts: t + 2000,
        stage: 'decision',
        visitor: b,
        session: `${b}-s`,
        path: '/p',
        items: [{ item_id: 'x', price: -5, quantity: 1 }],
      }),
      wire({
        type: 'add_to_cart',
        ts: t + 2000,
        stage: 'decision',
        visitor: b,
        session: `${b}-s`,
        path: '/p',
        items: [{ item_id: 'y', price: 5, quantity: 0.5 }],
      }),
    ]);
    expect(reply).toEqual({
      accepted: 3,
      duplicates: 0,
      rejected: [
        { index: 1, error: 'invalid-amount' },
        { index: 4, error: 'invalid-amount' },
        { index: 5, error: 'invalid-amount' },
      ],
    });
    const kpis = await report(site, 'kpis');
    expect(kpis.decision.average_basket).toEqual([{ currency: 'EUR', value: 50 }]);
    expect(kpis.decision.conversion_rate).toBe(0.5);
  });

  it('stores a refund with a positive value as its own event, which leaves the average basket alone', async () => {
    const site = await registerSite();
    const t = Date.now() - 60_000;
    const v = visitor();
    const common = {
      stage: 'decision',
      visitor: v,
      session: `${v}-s`,
      path: '/done',
      currency: 'EUR',
      transaction_id: 'T-9',
    } as const;
    const reply = await send(site.id, [
      wire({ type: 'purchase', ts: t, value: 80, ...common }),
      wire({ type: 'refund', ts: t + 1000, value: 30, ...common }),
      wire({ type: 'refund', ts: t + 2000, value: -30, ...common }),
      wire({ type: 'refund', ts: t + 3000, ...common }),
    ]);
    expect(reply).toEqual({
      accepted: 2,
      duplicates: 0,
      rejected: [
        { index: 2, error: 'invalid-amount' },
        { index: 3, error: 'invalid-amount' },
      ],
    });
    const row = await siteDb(site.id)
      .prepare(`SELECT value FROM ${TABLE.events} WHERE site = ? AND type = 'refund'`)
      .bind(site.id)
      .first<{ value: number }>();
    expect(row).toEqual({ value: 30 });
    expect((await report(site, 'kpis')).decision.average_basket).toEqual([{ currency: 'EUR', value: 80 }]);
  });

  it('never reports a negative basket or cart value from rows stored before amounts were checked', async () => {
    const site = await registerSite();
    const t = Date.now() - 3_600_000;
    const v = visitor();
    const s = `${v}-s`;
    const purchase = wire({
      type: 'purchase',
      ts: t,
      stage: 'decision',
      visitor: v,
      session: s,
      path: '/done',
      value: 10,
      currency: 'EUR',
      transaction_id: 'old',
    });
    const cart = wire({
      type: 'add_to_cart',
      ts: t + 1000,
      stage: 'decision',
      visitor: v,
      session: s,
      path: '/p',
      value: 10,
      currency: 'EUR',
    });
    await send(site.id, [purchase, cart]);
    // What an older collector could store: negative amounts.
    await siteDb(site.id)
      .prepare(
        `UPDATE ${TABLE.events} SET value = -100, data = json_set(data, '$.value', -100) WHERE site = ? AND id IN (?, ?)`,
      )
      .bind(site.id, purchase.id, cart.id)
      .run();
    // The visitor's next batch derives their journey again from every stored event, the old rows included.
    await send(site.id, [
      wire({ type: 'page_view', ts: t + 2000, stage: 'decision', visitor: v, session: s, path: '/p' }),
    ]);
    const kpis = await report(site, 'kpis');
    for (const m of kpis.decision.average_basket) expect(m.value).toBeGreaterThanOrEqual(0);
    const carts = await report(site, 'carts', { abandon_after: 1 });
    expect(carts.carts.abandoned).toBe(1);
    for (const m of carts.carts.abandoned_value) expect(m.value).toBeGreaterThanOrEqual(0);
  });
});
