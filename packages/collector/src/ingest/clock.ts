// Event time on the collector's clock: the client's clock offset, measured when its batch arrived, taken out of `ts`.

/** How far back a corrected event time may lie: an offline outbox delivers days late, not months. */
const MAX_EVENT_AGE_MS = 30 * 24 * 3600 * 1000;

/**
 * Offsets below this are travel time, not a wrong clock: left uncorrected. Correcting them shifted each batch by its
 * own network delay, so two batches of one visitor sent 80 ms apart could swap order (WebKit, in the journey tests:
 * a purchase placed after the page that followed it). Clocks wrong by minutes or hours are still corrected.
 */
const CLOCK_TOLERANCE_MS = 10_000;

/**
 * `ts + (receivedAt - sentAt)` unless that offset is positive and under CLOCK_TOLERANCE_MS (then `ts`), clamped into
 * `[receivedAt - MAX_EVENT_AGE_MS, receivedAt]`: an event cannot have happened after its batch arrived, and a time
 * months back is a broken clock (the raw `ts` and `sent_at` are stored beside it, so nothing is lost by clamping).
 */
export function correctTime(ts: number, sentAt: number, receivedAt: number): number {
  const offset = receivedAt - sentAt;
  // Travel time only makes the offset positive: a negative one is always a fast clock, corrected.
  const time = offset >= 0 && offset < CLOCK_TOLERANCE_MS ? ts : ts + offset;
  return Math.min(receivedAt, Math.max(receivedAt - MAX_EVENT_AGE_MS, time));
}
