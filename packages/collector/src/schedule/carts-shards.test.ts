// The carts job in both layouts (vitest.config.ts, PARCOURS_STORAGE): in shards, each shard claims its own carts and keeps
// what it owes until D1 holds it, so a cart of a site of one shard or several is sent once, even when a run stops
// between the two stores.
import { runInDurableObject } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import {
  buy,
  createReceiver,
  leaveCart,
  leftCartData,
  playQueue,
  registerWebhook,
} from '../../test/webhook-support.ts';
import { TABLE } from '../db/schema.ts';
import { shardDatabase } from '../shard/sql-d1.ts';
import { shardIndex, shardOf, sharded } from '../shard/storage.ts';
import { abandonedCarts, type SiteToCheck, writeOwed } from './carts.ts';

const MINUTE = 60_000;

/** Visitor ids such that each of a site's `shards` holds one of them (the shard a hash of the id picks). */
function oneVisitorPerShard(shards: number): string[] {
  const byShard = new Map<number, string>();
  for (let i = 0; byShard.size < shards; i++) {
    const visitor = `v-${i}-${crypto.randomUUID().slice(0, 8)}`;
    if (!byShard.has(shardIndex(visitor, shards))) byShard.set(shardIndex(visitor, shards), visitor);
  }
  return [...byShard.values()];
}

/** The site's deliveries in D1 (what the delivery queue sends): id, type and body. */
async function deliveries(site: string) {
  const { results } = await env.DB.prepare(
    `SELECT id, type, body FROM ${TABLE.webhook_deliveries} WHERE site = ? ORDER BY id`,
  )
    .bind(site)
    .all<{ id: string; type: string; body: string }>();
  return results.map((r) => ({ ...r, data: JSON.parse(r.body).data as Record<string, unknown> }));
}

/** Rows of `table` of the site held by its shards (none in the one-D1 layout). */
async function inShards(site: string, shards: number, table: string): Promise<number> {
  if (!sharded(env)) return 0;
  let n = 0;
  for (let k = 0; k < shards; k++)
    n += await runInDurableObject(shardOf(env, site, k), async (_shard, state) =>
      Number(
        (await shardDatabase(state.storage)
          .prepare(`SELECT COUNT(*) AS n FROM ${table} WHERE site = ?`)
          .bind(site)
          .first<number>('n')) ?? 0,
      ),
    );
  return n;
}

describe.each([1, 4])('cart webhooks of a site of %i shard(s)', (shards) => {
  it('sends one cart.abandoned per cart with its body, then one cart.recovered when the visitor buys', async () => {
    const site = await registerSite({ shards });
    const hook = await registerWebhook(site.id, ['cart.abandoned', 'cart.recovered']);
    const now = Date.now();
    const visitors = oneVisitorPerShard(shards);
    const carts: Array<Awaited<ReturnType<typeof leaveCart>>> = [];
    for (const [i, visitor] of visitors.entries())
      carts.push(await leaveCart(site.id, { at: now - 3 * 60 * MINUTE, visitor, customer: `c_${i}` }));
    // Left 10 minutes ago: still open (abandon_after 30).
    await leaveCart(site.id, { at: now - 10 * MINUTE });

    await abandonedCarts(env, now - 2 * 60 * MINUTE);
    await abandonedCarts(env, now - 2 * 60 * MINUTE + MINUTE);
    const abandoned = await deliveries(site.id);
    expect(abandoned.map((d) => d.type)).toEqual(carts.map(() => 'cart.abandoned'));
    expect(abandoned.map((d) => d.data.cart_id).sort()).toEqual(carts.map((c) => c.cartId).sort());
    const first = abandoned.find((d) => d.data.cart_id === carts[0]!.cartId)!;
    expect(first.data).toEqual(leftCartData(carts[0]!, now - 3 * 60 * MINUTE, 'c_0'));

    const last = carts[carts.length - 1]!;
    await buy(site.id, last.visitor, now - 60 * MINUTE, 'T-77');
    await abandonedCarts(env, now);
    await abandonedCarts(env, now + MINUTE);
    const recovered = (await deliveries(site.id)).filter((d) => d.type === 'cart.recovered');
    expect(recovered.map((d) => d.data)).toEqual([
      {
        cart_id: last.cartId,
        visitor: last.visitor,
        customer: `c_${carts.length - 1}`,
        transaction_id: 'T-77',
        value: [{ currency: 'EUR', value: 25 }],
        recovered_after_ms: 90 * MINUTE,
      },
    ]);
    // Nothing left owed in the shards; the claims are there (sharded) or in D1.
    expect(await inShards(site.id, shards, `${TABLE.webhook_deliveries}`)).toBe(0);
    const claimsInD1 = await env.DB.prepare(`SELECT COUNT(*) AS n FROM ${TABLE.cart_abandonments} WHERE site = ?`)
      .bind(site.id)
      .first<number>('n');
    expect(sharded(env) ? await inShards(site.id, shards, TABLE.cart_abandonments) : claimsInD1).toBe(carts.length);

    // Through the delivery queue: each signed and received once.
    const clock = { now };
    const receiver = createReceiver(hook.secret, clock, () => 200);
    await playQueue(clock, receiver.fetch, { site: site.id });
    expect(receiver.received).toHaveLength(carts.length + 1);
    expect(new Set(receiver.received.map((r) => r.id)).size).toBe(carts.length + 1);
    expect(receiver.received.every((r) => r.verified)).toBe(true);
  });
});

describe('a carts run stopped between the shard and D1', () => {
  it.runIf(sharded(env))('still makes exactly one delivery per cart once a later run completes', async () => {
    const shards = 4;
    const site = await registerSite({ shards });
    await registerWebhook(site.id, ['cart.abandoned']);
    const now = Date.now();
    const carts: Array<Awaited<ReturnType<typeof leaveCart>>> = [];
    for (const visitor of oneVisitorPerShard(shards))
      carts.push(await leaveCart(site.id, { at: now - 60 * MINUTE, visitor }));
    const row = (await env.DB.prepare(`SELECT id, stages, abandon_after, shards FROM ${TABLE.sites} WHERE id = ?`)
      .bind(site.id)
      .first<SiteToCheck>())!;

    // Shards 0 and 1 claim their carts and the run stops before D1 has them; shards 2 and 3 too, but the run stops
    // after writing them to D1, before acknowledging them.
    for (let k = 0; k < shards; k++) {
      const owed = await runInDurableObject(shardOf(env, site.id, k), (shard) => shard.decideCarts(row, now));
      expect(owed).toHaveLength(1);
      if (k >= 2) await writeOwed(env.DB, site.id, owed);
    }
    expect(await deliveries(site.id)).toHaveLength(2);
    expect(await inShards(site.id, shards, TABLE.webhook_deliveries)).toBe(4);
    // The visitor of shard 0 is erased meanwhile: their claim and the delivery still owed about them go too.
    const erased = await call(`/v1/admin/sites/${site.id}/visitors/${carts[0]!.visitor}`, {
      method: 'DELETE',
      headers: { authorization: `Bearer ${ADMIN}` },
    });
    expect(erased.status).toBe(200);

    await abandonedCarts(env, now + MINUTE);
    await abandonedCarts(env, now + 2 * MINUTE);
    const sent = await deliveries(site.id);
    expect(sent.map((d) => d.data.cart_id).sort()).toEqual(
      carts
        .slice(1)
        .map((c) => c.cartId)
        .sort(),
    );
    expect(await inShards(site.id, shards, TABLE.webhook_deliveries)).toBe(0);
    expect(await inShards(site.id, shards, TABLE.cart_abandonments)).toBe(3);
  });
});

describe('cart claims in shards', () => {
  it.runIf(sharded(env))(
    'are forgotten 30 days after the abandonment, as in D1, and the cart is not sent again',
    async () => {
      const site = await registerSite({ shards: 2 });
      await registerWebhook(site.id, ['cart.abandoned']);
      const now = Date.now();
      const cart = await leaveCart(site.id, { at: now - 60 * MINUTE });
      await abandonedCarts(env, now);
      expect(await inShards(site.id, 2, TABLE.cart_abandonments)).toBe(1);
      await abandonedCarts(env, now + 31 * 24 * 60 * MINUTE);
      expect(await inShards(site.id, 2, TABLE.cart_abandonments)).toBe(0);
      expect((await deliveries(site.id)).map((d) => d.data.cart_id)).toEqual([cart.cartId]);
    },
  );
});
