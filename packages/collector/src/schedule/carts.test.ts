// The schedule's carts job: cart.abandoned once per cart whatever the runs do, cart.recovered when the visitor buys.
import { env } from 'cloudflare:workers';
import { describe, expect, it, vi } from 'vitest';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import { siteDb } from '../../test/site-rows.ts';
import { report, send, wire } from '../../test/test-support.ts';
import {
  buy,
  createReceiver,
  leaveCart,
  leftCartData,
  playQueue,
  registerWebhook,
} from '../../test/webhook-support.ts';
import { abandonedCarts } from './carts.ts';
import { runSchedule } from './index.ts';
import { TABLE } from '../db/schema.ts';

const MINUTE = 60_000;

/** The `n` a `SELECT count(*) AS n …` answers, from `db` (D1 unless told). */
const count = async (sql: string, params: string[], db = env.DB) =>
  (await db
    .prepare(sql)
    .bind(...params)
    .first<{ n: number }>())!.n;

const bodies = (received: Array<{ body: string; answered: number | 'timeout' }>) =>
  received
    .filter((r) => r.answered === 200)
    .map((r) => JSON.parse(r.body) as { type: string; data: Record<string, unknown> });

describe('cart.abandoned and cart.recovered', () => {
  it('overlapping scheduled runs send each abandoned cart once, with its items, value, page, stage, channel, device and customer', async () => {
    const site = await registerSite();
    const hook = await registerWebhook(site.id);
    const now = Date.now();
    const carts: Array<{ visitor: string; cartId: string }> = [];
    for (let i = 0; i < 4; i++)
      carts.push(await leaveCart(site.id, { at: now - (40 + i) * MINUTE, customer: i === 0 ? 'c_10042' : undefined }));
    // A cart left 10 minutes ago is still open (abandon_after: 30).
    await leaveCart(site.id, { at: now - 10 * MINUTE });

    // Three runs at once, then the next minute's run, then one more: every run sees the same four carts.
    await Promise.all([abandonedCarts(env, now), abandonedCarts(env, now), abandonedCarts(env, now + 500)]);
    await abandonedCarts(env, now + MINUTE);
    const clock = { now: now + MINUTE };
    const receiver = createReceiver(hook.secret, clock, () => 200);
    await playQueue(clock, receiver.fetch, { site: site.id });
    await abandonedCarts(env, now + 2 * MINUTE);
    await playQueue(clock, receiver.fetch, { site: site.id });

    const got = bodies(receiver.received);
    expect(got.map((b) => b.data.cart_id).sort()).toEqual(carts.map((c) => c.cartId).sort());
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(4);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    const first = got.find((b) => b.data.cart_id === carts[0]!.cartId)!;
    expect(first).toEqual({
      type: 'cart.abandoned',
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      data: leftCartData(carts[0]!, now - 40 * MINUTE, 'c_10042'),
    });
    // No customer reference given: none sent.
    expect(got.filter((b) => 'customer' in b.data)).toHaveLength(1);
  });

  it('a customer reference that looks like contact data never reaches the webhook', async () => {
    const site = await registerSite();
    const hook = await registerWebhook(site.id, ['cart.abandoned']);
    const now = Date.now();
    await leaveCart(site.id, { at: now - 60 * MINUTE, customer: 'jane@example.com' });
    await leaveCart(site.id, { at: now - 60 * MINUTE, customer: '+33 6 12 34 56 78' });
    await abandonedCarts(env, now);
    const clock = { now };
    const receiver = createReceiver(hook.secret, clock, () => 200);
    await playQueue(clock, receiver.fetch, { site: site.id });
    const got = bodies(receiver.received);
    expect(got).toHaveLength(2);
    expect(got.map((b) => b.data.customer)).toEqual([undefined, undefined]);
    expect(receiver.received.map((r) => r.body).join('')).not.toMatch(/jane|12 34/);
  });

  it('the visitor who buys later gets one cart.recovered, and the carts report counts the recovery', async () => {
    const site = await registerSite();
    const hook = await registerWebhook(site.id);
    const now = Date.now();
    const left = await leaveCart(site.id, { at: now - 3 * 60 * MINUTE, customer: 'c_7' });
    const stays = await leaveCart(site.id, { at: now - 3 * 60 * MINUTE });
    await abandonedCarts(env, now - 2 * 60 * MINUTE);
    await buy(site.id, left.visitor, now - 60 * MINUTE, 'T-1001');
    await abandonedCarts(env, now);
    await abandonedCarts(env, now + MINUTE);
    const clock = { now };
    const receiver = createReceiver(hook.secret, clock, () => 200);
    await playQueue(clock, receiver.fetch, { site: site.id });

    const got = bodies(receiver.received);
    expect(got.map((b) => b.type).sort()).toEqual(['cart.abandoned', 'cart.abandoned', 'cart.recovered']);
    const recovered = got.find((b) => b.type === 'cart.recovered')!;
    // Abandoned 30 minutes after its last activity (3 h ago), bought 1 h ago: recovered 1.5 h after.
    expect(recovered.data).toEqual({
      cart_id: left.cartId,
      visitor: left.visitor,
      customer: 'c_7',
      transaction_id: 'T-1001',
      value: [{ currency: 'EUR', value: 25 }],
      recovered_after_ms: 90 * MINUTE,
    });
    expect(got.filter((b) => b.data.cart_id === stays.cartId).map((b) => b.type)).toEqual(['cart.abandoned']);

    const r = await report(site, 'carts');
    expect(r.carts).toMatchObject({
      started: 2,
      purchased: 1,
      abandoned: 1,
      recovered: 1,
      recovered_value: [{ currency: 'EUR', value: 25 }],
      recovery_rate: 0.5,
    });
  });

  it('a scheduled run queues the deliveries it decides through the real delivery queue', async () => {
    const site = await registerSite();
    await registerWebhook(site.id, ['cart.abandoned']);
    const now = Date.now();
    await leaveCart(site.id, { at: now - 60 * MINUTE });
    await runSchedule(env, now);
    // The queue's own consumer takes the message and tries the receiver (whose name resolves nowhere): one attempt at
    // least, recorded, the delivery still pending for a retry.
    await vi.waitFor(
      async () => {
        const row = await env.DB.prepare(
          `SELECT enqueued_at, attempts, status FROM ${TABLE.webhook_deliveries} WHERE site = ?`,
        )
          .bind(site.id)
          .first<{ enqueued_at: number; attempts: number; status: string }>();
        expect(row).toMatchObject({ enqueued_at: now, status: 'pending' });
        expect(row!.attempts).toBeGreaterThanOrEqual(1);
      },
      { timeout: 15_000, interval: 200 },
    );
  });

  it('forgets deliveries delivered over a week ago, dead ones and cart claims over 30 days old, and keeps the rest', async () => {
    const site = await registerSite();
    const hook = await registerWebhook(site.id);
    const now = Date.now();
    const day = 86_400_000;
    const rows: Array<[string, string, number, number | null]> = [
      ['msg_old_delivered', 'delivered', now - 9 * day, now - 8 * day],
      ['msg_new_delivered', 'delivered', now - 2 * day, now - 2 * day],
      ['msg_old_dead', 'dead', now - 31 * day, null],
      ['msg_new_dead', 'dead', now - 10 * day, null],
      ['msg_old_pending', 'pending', now - 40 * day, null],
    ];
    for (const [id, status, created, deliveredAt] of rows)
      await env.DB.prepare(
        `INSERT INTO ${TABLE.webhook_deliveries} (id, site, webhook, type, body, created_at, status, delivered_at)
         VALUES (?, ?, ?, 'cart.abandoned', '{}', ?, ?, ?)`,
      )
        .bind(id, site.id, hook.id, created, status, deliveredAt)
        .run();
    // The claims are the site's rows: in its shard in the sharded layout.
    for (const [cart, at] of [
      ['old', now - 31 * day],
      ['new', now - day],
    ] as const)
      await siteDb(site.id)
        .prepare(`INSERT INTO ${TABLE.cart_abandonments} (site, cart_id, visitor, abandoned_at) VALUES (?, ?, ?, ?)`)
        .bind(site.id, cart, 'v', at)
        .run();
    await runSchedule(env, now);
    const left = await env.DB.prepare(`SELECT id FROM ${TABLE.webhook_deliveries} WHERE site = ? ORDER BY id`)
      .bind(site.id)
      .all();
    expect(left.results.map((r) => r.id)).toEqual(['msg_new_dead', 'msg_new_delivered', 'msg_old_pending']);
    const claims = await siteDb(site.id)
      .prepare(`SELECT cart_id FROM ${TABLE.cart_abandonments} WHERE site = ?`)
      .bind(site.id)
      .all();
    expect(claims.results.map((r) => r.cart_id)).toEqual(['new']);
  });

  it('the carts report counts as recovered only carts that sat idle with items, never an emptied one', async () => {
    const site = await registerSite();
    const now = Date.now();
    const mug = [{ item_id: 'sku-42', price: 12.5, quantity: 1 }];
    const cartEvent = (visitor: string, type: string, ts: number, extra: object = {}) =>
      wire({
        type,
        ts,
        stage: 'decision',
        visitor,
        session: `s-${visitor}`,
        path: '/cart',
        items: mug,
        ...extra,
      } as never);
    // Idle with the mug for two hours, then bought: recovered. Emptied for two hours, refilled and bought at once: not.
    await send(site.id, [
      cartEvent('idle', 'add_to_cart', now - 3 * 60 * MINUTE),
      cartEvent('idle', 'purchase', now - 60 * MINUTE, { value: 12.5, currency: 'EUR', transaction_id: 'T-idle' }),
      cartEvent('emptied', 'add_to_cart', now - 3 * 60 * MINUTE),
      cartEvent('emptied', 'remove_from_cart', now - 3 * 60 * MINUTE + 1000),
      cartEvent('emptied', 'add_to_cart', now - 60 * MINUTE),
      cartEvent('emptied', 'purchase', now - 60 * MINUTE + 1000, {
        value: 12.5,
        currency: 'EUR',
        transaction_id: 'T-e',
      }),
    ]);
    const r = await report(site, 'carts');
    expect(r.carts).toMatchObject({ started: 2, purchased: 2, abandoned: 0, recovered: 1, recovery_rate: 1 });
    expect(r.carts.recovered_value).toEqual([{ currency: 'EUR', value: 12.5 }]);
    // With abandon_after above the idle time, nothing was abandoned first.
    expect((await report(site, 'carts', { abandon_after: 150 })).carts).toMatchObject({
      recovered: 0,
      recovery_rate: 0,
    });
  });

  it("erasing a visitor takes their abandoned-cart claim and every delivery about them, and no other visitor's", async () => {
    const site = await registerSite();
    await registerWebhook(site.id);
    const now = Date.now();
    const erased = await leaveCart(site.id, { at: now - 40 * MINUTE, customer: 'c_erased' });
    const kept = await leaveCart(site.id, { at: now - 41 * MINUTE });
    await abandonedCarts(env, now);
    const claims = (visitor: string) =>
      count(
        `SELECT count(*) AS n FROM ${TABLE.cart_abandonments} WHERE site = ? AND visitor = ?`,
        [site.id, visitor],
        siteDb(site.id),
      );
    const deliveries = (visitor: string) =>
      count(
        `SELECT count(*) AS n FROM ${TABLE.webhook_deliveries} WHERE site = ? AND json_extract(body, '$.data.visitor') = ?`,
        [site.id, visitor],
      );
    expect([await claims(erased.visitor), await deliveries(erased.visitor)]).toEqual([1, 1]);

    const res = await call(`/v1/admin/sites/${site.id}/visitors/${erased.visitor}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(res.status).toBe(200);
    expect([await claims(erased.visitor), await deliveries(erased.visitor)]).toEqual([0, 0]);
    expect([await claims(kept.visitor), await deliveries(kept.visitor)]).toEqual([1, 1]);
  });
});
