// Scheduled job: forgets old webhook history, so delivery rows and cart claims do not grow forever.
import { TABLE } from '../db/schema.ts';

const DAY = 86_400_000;
/** Delivered deliveries are kept a week (a receiver's support question about a recent one can still be answered). */
const KEEP_DELIVERED_MS = 7 * DAY;
/** Dead deliveries and cart claims are kept 30 days: long enough to replay, and to see a late purchase as a recovery. */
const KEEP_DEAD_MS = 30 * DAY;
/** Rows deleted per statement and run: the next minute's run takes the rest. */
const ROWS_PER_RUN = 1000;

/**
 * Deletes deliveries delivered over a week ago and dead ones over 30 days old, and claims of carts abandoned over 30
 * days ago (the carts job never looks at a cart that old again: see LOOKBACK_MS in carts.ts).
 */
export async function forgetWebhookHistory(env: Pick<Env, 'DB'>, now: number): Promise<void> {
  await env.DB.batch([
    env.DB.prepare(
      `DELETE FROM ${TABLE.webhook_deliveries} WHERE id IN (SELECT id FROM ${TABLE.webhook_deliveries}
         WHERE (status = 'delivered' AND delivered_at < ?1) OR (status = 'dead' AND created_at < ?2) LIMIT ?3)`,
    ).bind(now - KEEP_DELIVERED_MS, now - KEEP_DEAD_MS, ROWS_PER_RUN),
    env.DB.prepare(
      `DELETE FROM ${TABLE.cart_abandonments}
        WHERE (site, cart_id) IN (SELECT site, cart_id FROM ${TABLE.cart_abandonments} WHERE abandoned_at < ?1 LIMIT ?2)`,
    ).bind(now - KEEP_DEAD_MS, ROWS_PER_RUN),
  ]);
}
