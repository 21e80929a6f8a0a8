// The producer: sends deliveries written to D1 (and not yet sent) to the delivery queue.
import { claimUnsent, unclaim } from '../db/webhooks.ts';
import type { DeliveryMessage } from './deliver.ts';

/** Messages per `sendBatch` (Cloudflare Queues take at most 100). */
const SEND_BATCH = 100;

/**
 * Sends every delivery not yet queued: those this run made, and those a crashed run left behind. Rows are claimed
 * first, so overlapping runs never queue one twice; a refused send puts them back for the next run.
 */
export async function sendUnsent(env: Pick<Env, 'DB' | 'WEBHOOK_QUEUE'>, now: number): Promise<number> {
  const ids = await claimUnsent(env.DB, now);
  for (let i = 0; i < ids.length; i += SEND_BATCH) {
    const part = ids.slice(i, i + SEND_BATCH);
    try {
      await env.WEBHOOK_QUEUE.sendBatch(part.map((delivery) => ({ body: { delivery } satisfies DeliveryMessage })));
    } catch (err) {
      console.error('webhook queue send', err);
      await unclaim(env.DB, ids.slice(i));
      return i;
    }
  }
  return ids.length;
}
