// Test support for webhooks: register an endpoint, leave a cart, and play the delivery queue in simulated time
// against a receiver that verifies every signature with the Standard Webhooks reference library.
import { createExecutionContext, createMessageBatch, getQueueResult } from 'cloudflare:test';
import { env } from 'cloudflare:workers';
import { Webhook } from 'standardwebhooks';
import { expect, vi } from 'vitest';
import { claimUnsent } from '../src/db/webhooks.ts';
import { type DeliveryMessage, deliverBatch } from '../src/webhooks/deliver.ts';
import { ADMIN, call } from './helpers.ts';
import { recordingRetries } from './queue-support.ts';
import { send, wire } from './test-support.ts';
import { TABLE } from '../src/db/schema.ts';

/** A receiver URL that no resolver knows (`.test` is reserved): only the simulated receivers below answer it. */
const RECEIVER_URL = 'https://receiver.parcours.test/inbox';

/** Registers a webhook through the admin API; answers its id and secret. */
export async function registerWebhook(
  site: string,
  events: string[] = ['cart.abandoned', 'cart.recovered', 'alert.triggered', 'alert.resolved'],
  url = RECEIVER_URL,
): Promise<{ id: string; secret: string }> {
  const res = await call(`/v1/admin/sites/${site}/webhooks`, {
    method: 'POST',
    headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' },
    body: JSON.stringify({ url, events }),
  });
  if (res.status !== 201) throw new Error(`webhook: ${res.status} ${await res.text()}`);
  return res.json();
}

/**
 * A visitor who views the mug, adds two mugs (12.50 EUR each) with a customer reference, looks at the cart and
 * leaves, `at` ms ago or at the time given. Answers the visitor and the cart id (the add_to_cart event's id).
 */
export async function leaveCart(
  site: string,
  opts: { at: number; customer?: string; visitor?: string; session?: string },
): Promise<{ visitor: string; cartId: string; session: string }> {
  const visitor = opts.visitor ?? `v-${crypto.randomUUID().slice(0, 8)}`;
  const session = opts.session ?? `s-${crypto.randomUUID().slice(0, 8)}`;
  const t = opts.at;
  const add = wire({
    type: 'add_to_cart',
    ts: t + 1000,
    stage: 'decision',
    visitor,
    session,
    path: '/p/mug',
    items: [{ item_id: 'sku-42', item_name: 'Mug', price: 12.5, quantity: 2 }],
    value: 25,
    currency: 'EUR',
    ...(opts.customer ? { customer: opts.customer } : {}),
  });
  await send(site, [
    wire({ type: 'page_view', ts: t, stage: 'consideration', visitor, session, path: '/p/mug' }),
    add,
    wire({ type: 'page_view', ts: t + 2000, stage: 'decision', visitor, session, path: '/cart' }),
  ]);
  return { visitor, cartId: add.id, session };
}

/** The `data` of the `cart.abandoned` of a cart leaveCart left `at`, with the customer reference it gave, if any. */
export function leftCartData(cart: { visitor: string; cartId: string }, at: number, customer?: string) {
  return {
    cart_id: cart.cartId,
    visitor: cart.visitor,
    ...(customer ? { customer } : {}),
    items: [{ item_id: 'sku-42', item_name: 'Mug', price: 12.5, quantity: 2 }],
    value: [{ currency: 'EUR', value: 25 }],
    exit_page: '/cart',
    stage: 'decision',
    channel: 'direct',
    device: expect.any(String),
    started_at: new Date(at + 1000).toISOString(),
    last_activity_at: new Date(at + 1000).toISOString(),
  };
}

/** The visitor comes back at `at` and buys the mugs. */
export async function buy(site: string, visitor: string, at: number, transactionId = `T-${visitor}`): Promise<void> {
  const session = `s-${crypto.randomUUID().slice(0, 8)}`;
  await send(site, [
    wire({ type: 'page_view', ts: at, stage: 'decision', visitor, session, path: '/checkout' }),
    wire({
      type: 'purchase',
      ts: at + 1000,
      stage: 'decision',
      visitor,
      session,
      path: '/checkout',
      items: [{ item_id: 'sku-42', price: 12.5, quantity: 2 }],
      value: 25,
      currency: 'EUR',
      transaction_id: transactionId,
    }),
  ]);
}

/** One POST a receiver got, with whether the Standard Webhooks library verified it at the attempt's time. */
interface Received {
  id: string;
  timestamp: number;
  body: string;
  verified: boolean;
  answered: number | 'timeout';
}

/**
 * A receiver as a fetch function: `answer(nowMs)` says what it does at that (simulated) time: a status, or
 * 'timeout' (it never answers: the delivery's timeout fires). Every POST is checked with `standardwebhooks`.
 */
export function createReceiver(secret: string, clock: { now: number }, answer: (now: number) => number | 'timeout') {
  const received: Received[] = [];
  const verifier = new Webhook(secret);
  const fetcher = async (_url: RequestInfo | URL, init?: RequestInit): Promise<Response> => {
    const headers = Object.fromEntries(new Headers(init?.headers).entries());
    const body = String(init?.body);
    // The library checks the timestamp against its own clock (5 minutes either way): it runs at the simulated time.
    vi.useFakeTimers({ toFake: ['Date'], now: clock.now });
    let verified = false;
    try {
      verifier.verify(body, headers);
      verified = true;
    } catch {
      verified = false;
    } finally {
      vi.useRealTimers();
    }
    const what = answer(clock.now);
    received.push({
      id: headers['webhook-id']!,
      timestamp: Number(headers['webhook-timestamp']),
      body,
      verified,
      answered: what,
    });
    if (init?.redirect !== 'manual') throw new Error('deliveries must not follow redirects');
    if (what === 'timeout') throw new DOMException('The operation timed out.', 'TimeoutError');
    return new Response(null, {
      status: what,
      headers: what >= 300 && what < 400 ? { location: 'http://10.0.0.1/' } : {},
    });
  };
  return { received, fetch: fetcher as typeof fetch };
}

/** The unsent deliveries of one site, claimed as sendUnsent would (the schedule's jobs run for every site of the file). */
async function claimUnsentOf(site: string, now: number): Promise<string[]> {
  const { results } = await env.DB.prepare(
    `UPDATE ${TABLE.webhook_deliveries} SET enqueued_at = ? WHERE site = ? AND enqueued_at IS NULL RETURNING id`,
  )
    .bind(now, site)
    .all<{ id: string }>();
  return results.map((r) => r.id);
}

/** What the simulated queue did: attempts per message and the retries it was asked for. */
export interface QueueRun {
  attempts: Map<string, number>;
  delays: number[];
}

/**
 * Plays the delivery queue in simulated time, as Cloudflare Queues would: takes the deliveries waiting to be sent
 * (as the schedule's sendUnsent does; only `site`'s when given), hands them to the consumer in batches of the messages due, honours each
 * `retry({ delaySeconds })` and stops when every message is acked or `maxRetries` is spent (then the dead-letter queue).
 */
export async function playQueue(
  clock: { now: number },
  fetcher: typeof fetch,
  opts: { maxRetries?: number; ids?: string[]; site?: string } = {},
): Promise<QueueRun> {
  const ids =
    opts.ids ?? (opts.site ? await claimUnsentOf(opts.site, clock.now) : await claimUnsent(env.DB, clock.now));
  let due = ids.map((id) => ({ id, attempts: 1, at: clock.now }));
  const run: QueueRun = { attempts: new Map(), delays: [] };
  while (due.length) {
    const at = Math.min(...due.map((m) => m.at));
    clock.now = Math.max(clock.now, at);
    const now = due.filter((m) => m.at <= clock.now);
    const later = due.filter((m) => m.at > clock.now);
    const batch = createMessageBatch<DeliveryMessage>(
      'parcours-webhooks',
      now.map((m) => ({ id: m.id, timestamp: clock.now, attempts: m.attempts, body: { delivery: m.id } })),
    );
    const ctx = createExecutionContext();
    const { batch: seen, delays } = recordingRetries(batch);
    await deliverBatch(seen, env, { fetch: fetcher, now: () => clock.now, random: Math.random });
    const result = await getQueueResult(batch, ctx);
    for (const m of now) run.attempts.set(m.id, m.attempts);
    const retries = new Map(result.retryMessages.map((r) => [r.msgId, delays.get(r.msgId) ?? 0]));
    const again = now
      .filter((m) => retries.has(m.id) && m.attempts <= (opts.maxRetries ?? 40))
      .map((m) => {
        run.delays.push(retries.get(m.id)!);
        return { id: m.id, attempts: m.attempts + 1, at: clock.now + retries.get(m.id)! * 1000 };
      });
    due = [...later, ...again];
  }
  return run;
}
