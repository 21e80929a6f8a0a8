// Delivery through the queue consumer: signed as Standard Webhooks say, retried with backoff, each delivered once.
import { createMessageBatch } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { ADMIN, call, registerSite } from '../../test/helpers.ts';
import { createReceiver, leaveCart, playQueue, registerWebhook } from '../../test/webhook-support.ts';
import { abandonedCarts } from '../schedule/carts.ts';
import { MAX_RETRIES, retryDelay } from './backoff.ts';
import { buryBatch, type DeliveryMessage, deliverBatch } from './deliver.ts';
import { TABLE } from '../db/schema.ts';

const HOUR = 3_600_000;
const admin = { authorization: `Bearer ${ADMIN}` };

/** A site with a webhook and `n` carts left two hours ago, decided by the schedule: n deliveries waiting. */
async function abandonedSite(n: number) {
  const site = await registerSite();
  const hook = await registerWebhook(site.id);
  const now = Date.now();
  for (let i = 0; i < n; i++) await leaveCart(site.id, { at: now - 2 * HOUR });
  await abandonedCarts(env, now);
  return { site, hook, now };
}

const delivered = (site: string) =>
  env.DB.prepare(
    `SELECT id, status, attempts, last_status, last_error FROM ${TABLE.webhook_deliveries} WHERE site = ? ORDER BY id`,
  )
    .bind(site)
    .all<{ id: string; status: string; attempts: number; last_status: number | null; last_error: string | null }>()
    .then((r) => r.results);

describe('webhook delivery', () => {
  it('a receiver down for an hour gets every delivery exactly once after it recovers, each attempt signed', async () => {
    const { site, hook, now } = await abandonedSite(3);
    const clock = { now };
    // Half an hour of 503, half an hour of silence (the delivery timeout fires), then 200.
    const receiver = createReceiver(hook.secret, clock, (t) =>
      t < now + HOUR / 2 ? 503 : t < now + HOUR ? 'timeout' : 200,
    );
    const run = await playQueue(clock, receiver.fetch, { site: site.id });

    const rows = await delivered(site.id);
    expect(rows).toHaveLength(3);
    const ok = receiver.received.filter((r) => r.answered === 200);
    // Each delivery answered 2xx exactly once, by webhook-id; none after.
    expect(ok.map((r) => r.id).sort()).toEqual(rows.map((r) => r.id));
    // Every attempt, the failed ones too, carried a signature the reference library accepts at its time.
    expect(receiver.received.every((r) => r.verified)).toBe(true);
    // The same webhook-id on every retry: each id's attempts are its retries, none under another id.
    for (const row of rows) {
      const attempts = receiver.received.filter((r) => r.id === row.id);
      expect(attempts.length).toBe(row.attempts);
      expect(attempts.length).toBeGreaterThan(5);
      expect(new Set(attempts.map((a) => a.body)).size).toBe(1);
      // webhook-timestamp is in whole seconds: the last attempt is in the second of the recovery or later.
      expect(attempts.at(-1)!.timestamp).toBeGreaterThanOrEqual(Math.floor((now + HOUR) / 1000));
      expect(row).toMatchObject({ status: 'delivered', last_status: null, last_error: null });
    }
    // Delivered within the hour after recovery: the backoff stays at most an hour apart.
    expect(clock.now - now).toBeLessThanOrEqual(2 * HOUR);
    expect(Math.max(...run.delays)).toBeLessThanOrEqual(3600);
  });

  it('a delivery answered after its message comes again is not posted again', async () => {
    const { site, hook, now } = await abandonedSite(1);
    const clock = { now };
    const receiver = createReceiver(hook.secret, clock, () => 204);
    await playQueue(clock, receiver.fetch, { site: site.id });
    const [row] = await delivered(site.id);
    // The queue delivers at least once: the same message again (a lost ack) is acked without a POST.
    await playQueue(clock, receiver.fetch, { ids: [row!.id] });
    expect(receiver.received.map((r) => r.id)).toEqual([row!.id]);
  });

  it('one receiver failing does not hold back another site in the same batch', async () => {
    const a = await abandonedSite(1);
    const b = await abandonedSite(1);
    const clock = { now: a.now };
    const failing = createReceiver(a.hook.secret, clock, () => 'timeout');
    const healthy = createReceiver(b.hook.secret, clock, () => 200);
    const [rowA] = await delivered(a.site.id);
    const fetcher: typeof fetch = (url, init) =>
      String(new Headers(init?.headers).get('webhook-id')) === rowA!.id
        ? failing.fetch(url, init)
        : healthy.fetch(url, init);
    await playQueue(clock, fetcher, { maxRetries: 3 });
    expect(healthy.received.filter((r) => r.answered === 200)).toHaveLength(1);
    expect(failing.received).toHaveLength(4);
    expect((await delivered(a.site.id))[0]).toMatchObject({ status: 'pending', attempts: 4, last_error: 'timeout' });
  });

  it('a receiver that never answers is given up on at the timeout and tried again later', async () => {
    const { site, now } = await abandonedSite(1);
    const [row] = await delivered(site.id);
    let aborted = 0;
    // Answers nothing, ever: only the delivery's own timeout signal ends the wait.
    const silent: typeof fetch = (_url, init) =>
      new Promise((_resolve, reject) =>
        init?.signal?.addEventListener('abort', () => {
          aborted++;
          reject(init.signal!.reason);
        }),
      );
    const batch = createMessageBatch<DeliveryMessage>('parcours-webhooks', [
      { id: row!.id, timestamp: now, attempts: 1, body: { delivery: row!.id } },
    ]);
    await deliverBatch(batch, env, { fetch: silent, now: () => now, random: () => 0, timeoutMs: 50 });
    expect(aborted).toBe(1);
    expect((await delivered(site.id))[0]).toMatchObject({ status: 'pending', attempts: 1, last_error: 'timeout' });
  });

  it('a redirect is a failure, never followed', async () => {
    const { site, hook, now } = await abandonedSite(1);
    const clock = { now };
    const receiver = createReceiver(hook.secret, clock, () => 302);
    await playQueue(clock, receiver.fetch, { maxRetries: 1, site: site.id });
    expect(receiver.received).toHaveLength(2);
    expect((await delivered(site.id))[0]).toMatchObject({
      status: 'pending',
      last_status: 302,
      last_error: 'redirect',
    });
  });

  it('a URL that became private is checked again at delivery and refused without a request', async () => {
    const { site, hook, now } = await abandonedSite(1);
    await env.DB.prepare(`UPDATE ${TABLE.webhooks} SET url = ? WHERE id = ?`)
      .bind('https://10.0.0.1/inbox', hook.id)
      .run();
    const clock = { now };
    const receiver = createReceiver(hook.secret, clock, () => 200);
    await playQueue(clock, receiver.fetch, { site: site.id });
    expect(receiver.received).toEqual([]);
    expect((await delivered(site.id))[0]).toMatchObject({ status: 'dead', last_error: 'url-refused' });
  });

  it('dead letters are listed by the admin API and replayed with the same webhook-id', async () => {
    const { site, hook, now } = await abandonedSite(1);
    const clock = { now };
    const down = createReceiver(hook.secret, clock, () => 500);
    await playQueue(clock, down.fetch, { maxRetries: 2, site: site.id });
    const [row] = await delivered(site.id);
    // The queue gave up: the message goes to the dead-letter queue, whose consumer marks the delivery dead.
    await buryBatch(
      createMessageBatch<DeliveryMessage>('parcours-webhooks-dead', [
        { id: row!.id, timestamp: clock.now, attempts: 1, body: { delivery: row!.id } },
      ]),
      env,
    );
    const list = await call(`/v1/admin/sites/${site.id}/webhooks/dead-letters`, { headers: admin });
    expect(await list.json()).toEqual({
      deliveries: [
        {
          id: row!.id,
          webhook: hook.id,
          type: 'cart.abandoned',
          created_at: expect.any(Number),
          attempts: 3,
          last_status: 500,
          last_error: null,
        },
      ],
    });
    const other = await registerSite();
    const wrongSite = await call(`/v1/admin/sites/${other.id}/webhooks/dead-letters/${row!.id}/replay`, {
      method: 'POST',
      headers: admin,
    });
    expect(wrongSite.status).toBe(404);
    const replay = await call(`/v1/admin/sites/${site.id}/webhooks/dead-letters/${row!.id}/replay`, {
      method: 'POST',
      headers: admin,
    });
    expect(replay.status).toBe(202);
    const up = createReceiver(hook.secret, clock, () => 200);
    await playQueue(clock, up.fetch, { ids: [row!.id] });
    expect(up.received.map((r) => [r.id, r.verified])).toEqual([[row!.id, true]]);
    expect((await delivered(site.id))[0]).toMatchObject({ status: 'delivered' });
  });
});

describe('retry backoff', () => {
  it('spans more than 24 hours before the dead-letter queue, even with the most jitter, an hour apart at most', () => {
    let total = 0;
    for (let attempt = 1; attempt <= MAX_RETRIES; attempt++) total += retryDelay(attempt, 0.999999);
    expect(total).toBeGreaterThan(24 * 3600);
    expect(retryDelay(1, 0)).toBe(30);
    expect(retryDelay(3, 0)).toBe(120);
    expect(retryDelay(30, 0)).toBe(3600);
    // Jitter spreads retries of receivers that failed together.
    const spread = new Set(Array.from({ length: 50 }, () => retryDelay(8)));
    expect(spread.size).toBeGreaterThan(10);
  });
});
