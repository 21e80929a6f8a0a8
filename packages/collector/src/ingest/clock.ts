// Event time on the collector's clock: the client's clock offset, measured when its batch arrived, taken out of `ts`.

/** How far back a corrected event time may lie: an offline outbox delivers days late, not months. */
const MAX_EVENT_AGE_MS = 30 * 24 * 3600 * 1000;

/**
 * `ts + (receivedAt - sentAt)`, clamped into `[receivedAt - MAX_EVENT_AGE_MS, receivedAt]`:
 * an event cannot have happened after its batch arrived, and a time months back is a broken clock
 * (the raw `ts` and `sent_at` are stored beside it, so nothing is lost by clamping).
 */
export function correctTime(ts: number, sentAt: number, receivedAt: number): number {
  const time = ts + (receivedAt - sentAt);
  return Math.min(receivedAt, Math.max(receivedAt - MAX_EVENT_AGE_MS, time));
}
