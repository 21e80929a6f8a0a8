// The queue consumer: posts each webhook delivery, signed as Standard Webhooks say; retries what failed, with backoff.
import { getDeliveryToPost, markDead, recordAttempt } from '../db/webhooks.ts';
import { retryDelay } from './backoff.ts';
import { decryptSecret, signDelivery, webhookKey } from './secret.ts';
import { checkWebhookUrl } from './url-check.ts';

/** Longest wait for a receiver's answer: a slow one holds its own message this long, nobody else's. */
const DELIVERY_TIMEOUT_MS = 10_000;

/** A queue message: the id of the delivery row to post (the body lives in D1, not in the queue). */
export interface DeliveryMessage {
  delivery: string;
}

/** What delivery needs from outside: the fetch to post with and the clock (tests pass a receiver and simulated time). */
export interface DeliverDeps {
  fetch: typeof fetch;
  now: () => number;
  random: () => number;
  /** Longest wait for an answer; default DELIVERY_TIMEOUT_MS. */
  timeoutMs?: number;
}

const DEFAULT_DEPS: DeliverDeps = { fetch: (input, init) => fetch(input, init), now: Date.now, random: Math.random };

type Outcome = { delivered: true } | { delivered: false; status: number | null; error: string | null };

/** One attempt: the POST with the attempt's timestamp and signature, no redirect followed, bounded in time. */
async function post(d: { id: string; url: string; body: string }, secret: string, deps: DeliverDeps): Promise<Outcome> {
  const timestamp = Math.floor(deps.now() / 1000);
  try {
    const res = await deps.fetch(d.url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Parcours-Webhooks/1',
        'webhook-id': d.id,
        'webhook-timestamp': String(timestamp),
        'webhook-signature': await signDelivery(secret, d.id, timestamp, d.body),
      },
      body: d.body,
      // A redirect could lead to an address the URL check would refuse: it counts as a failure.
      redirect: 'manual',
      signal: AbortSignal.timeout(deps.timeoutMs ?? DELIVERY_TIMEOUT_MS),
    });
    await res.body?.cancel();
    if (res.status >= 200 && res.status < 300) return { delivered: true };
    return { delivered: false, status: res.status, error: res.status >= 300 && res.status < 400 ? 'redirect' : null };
  } catch (err) {
    const timeout = err instanceof Error && (err.name === 'TimeoutError' || err.name === 'AbortError');
    return { delivered: false, status: null, error: timeout ? 'timeout' : 'network' };
  }
}

/** Handles one message: acked when delivered, already delivered or gone; retried with backoff otherwise. */
async function deliverOne(message: Message<DeliveryMessage>, env: Env, deps: DeliverDeps): Promise<void> {
  const d = await getDeliveryToPost(env.DB, message.body.delivery);
  // Gone (webhook deleted), delivered by an earlier attempt whose ack was lost, or dead: nothing to post.
  if (d?.status !== 'pending') return message.ack();
  const key = webhookKey(env);
  const checked = checkWebhookUrl(d.url, env.PARCOURS_LOCAL_DEV === 'true');
  if (!key || 'refused' in checked) {
    await markDead(env.DB, d.id, key ? 'url-refused' : 'webhooks-disabled');
    return message.ack();
  }
  const secret = await decryptSecret(key, d.webhook, d.secretEnc);
  const outcome = await post({ id: d.id, url: checked.url, body: d.body }, secret, deps);
  await recordAttempt(env.DB, d.id, {
    delivered: outcome.delivered,
    status: outcome.delivered ? null : outcome.status,
    error: outcome.delivered ? null : outcome.error,
    now: deps.now(),
  });
  if (outcome.delivered) message.ack();
  else message.retry({ delaySeconds: retryDelay(message.attempts, deps.random()) });
}

/** The consumer of the delivery queue: every message of the batch at once, so one slow receiver delays no other. */
export async function deliverBatch(
  batch: MessageBatch<DeliveryMessage>,
  env: Env,
  deps: DeliverDeps = DEFAULT_DEPS,
): Promise<void> {
  await Promise.all(
    batch.messages.map((m) =>
      deliverOne(m, env, deps).catch((err) => {
        console.error('webhook delivery', err);
        m.retry({ delaySeconds: retryDelay(m.attempts, deps.random()) });
      }),
    ),
  );
}

/** The consumer of the dead-letter queue: deliveries that exhausted their retries are marked dead for the admin API. */
export async function buryBatch(batch: MessageBatch<DeliveryMessage>, env: Env): Promise<void> {
  for (const m of batch.messages) {
    await markDead(env.DB, m.body.delivery);
    m.ack();
  }
}
