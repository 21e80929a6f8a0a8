// When a failed webhook delivery is tried again: exponential backoff with jitter, capped at an hour.

/** First retry after 30 s, doubling to at most an hour. */
const FIRST_DELAY_S = 30;
const MAX_DELAY_S = 3600;
/** Each delay is drawn in [delay × (1 − JITTER), delay]: receivers that come back are not hit by every sender at once. */
const JITTER = 0.2;

/**
 * Seconds to wait before attempt `attempt + 1`, after `attempt` failed (1-based, Cloudflare's `message.attempts`).
 * `random` is in [0, 1). With wrangler.jsonc's `max_retries: 40` the attempts span at least
 * sum(retryDelay(1..40, 0)) seconds: about 28 hours (backoff.test.ts checks it is over 24).
 */
export function retryDelay(attempt: number, random = Math.random()): number {
  const full = Math.min(MAX_DELAY_S, FIRST_DELAY_S * 2 ** Math.max(0, attempt - 1));
  return Math.round(full * (1 - JITTER * random));
}

/** Retries a queue consumer grants before the dead-letter queue: wrangler.jsonc's `max_retries`. */
export const MAX_RETRIES = 40;
