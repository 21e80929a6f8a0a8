// What to do after a send: keep the events and retry, or let them go; and how long to wait before the next try.
import type { Reply } from './transport.ts';

/** First retry delay, ms; doubles at each failure. */
const BACKOFF_BASE = 1000;
/** Longest retry delay, ms (5 minutes). */
export const BACKOFF_CAP = 300_000;

/**
 * Whether a reply status means "keep the events and try again": a network error (status 0), 408,
 * 429, 5xx. Everything else lets them go: 2xx acknowledged them, and any other 4xx will never take
 * this batch, so retrying it forever would only block the outbox.
 */
export const shouldRetry = (status: number): boolean => status == 0 || status == 408 || status == 429 || status >= 500;

/** Delay before retry number `n` (0-based): exponential, capped, with jitter in [½, 1] of the step so tabs and visitors spread out. */
export const backoff = (n: number): number =>
  Math.min(BACKOFF_CAP / 2, (BACKOFF_BASE / 2) * 2 ** n) * (1 + Math.random());

/**
 * The delay in ms a reply asks for: a 429's `Retry-After` in seconds, the form the collector (and the rate
 * limiters in front of collectors) send; 0 when absent or unreadable (an HTTP date reads as 0), and the backoff applies.
 */
export const retryAfter = (r: Reply): number => (r.status == 429 && +r.headers!.get('Retry-After')! * 1000) || 0;
