// Large batches (bodies over ALWAYS_READ_BYTES) of one site are stored one at a time in this isolate, and only one more
// waits its turn; past that, `429 rate-limited`. The database runs one statement at a time for every site: a sender of
// big batches (a flood, a bulk import) then keeps at most one large transaction of its site queued in front of other
// sites' statements, not one per connection it opens; and they start no faster than LANE_BYTES_PER_SECOND allows, so
// its site's storage work takes a bounded share of the database's time. A tag's batches (a few kilobytes) never take a
// place here.
import { fail } from '../errors.ts';

/** Large batches of one site in this isolate at once: the one being stored and the one waiting for it. */
export const LANE_PLACES = 2;
/** Retry-After of the refusal when a site's lane is full: the rate limiter's period, as for any flood. */
const RETRY_AFTER_SECONDS = 10;
/**
 * The pace of a site's large batches in this isolate: the next one starts once the last one's bytes at this rate have
 * passed since it started. 512 KB/s is 44 GB a day, far past any daily quota: it spreads a flood over time, never
 * bounds what a site may store.
 */
export const LANE_BYTES_PER_SECOND = 512 * 1024;
/** How often a waiting batch looks whether its turn has come (ms): timers only, no promise shared between requests. */
const POLL_MS = 5;

/**
 * Per site: the places taken, the tickets of the batches read and waiting to store (first the one storing), and when
 * the next may start (ms). A lane is forgotten when its last batch leaves after that time (else kept: one a site).
 */
const lanes = new Map<string, { places: number; turns: number[]; nextStart: number }>();
let lastTicket = 0;

/**
 * A place in a site's lane, taken as soon as a large body names its site. `turn()`, once the body is read, resolves
 * when this batch may store: in the order batches were read, so an upload still coming in holds no one back;
 * `leave()` once the request is answered.
 */
export interface LanePlace {
  site: string;
  /** Resolves when this batch of `bytes` may store. */
  turn(bytes: number): Promise<void>;
  leave(): void;
}

/** Takes a place in the site's lane, or refuses `429 rate-limited` when LANE_PLACES batches already hold one. */
export function enterLane(site: string): LanePlace {
  const lane = lanes.get(site) ?? { places: 0, turns: [], nextStart: 0 };
  if (lane.places >= LANE_PLACES) fail(429, 'rate-limited', { 'retry-after': String(RETRY_AFTER_SECONDS) });
  lane.places++;
  lanes.set(site, lane);
  let ticket: number | null = null;
  let left = false;
  return {
    site,
    async turn(bytes) {
      ticket ??= ++lastTicket;
      if (!lane.turns.includes(ticket)) lane.turns.push(ticket);
      while (lane.turns[0] !== ticket || Date.now() < lane.nextStart)
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
      lane.nextStart = Date.now() + (bytes * 1000) / LANE_BYTES_PER_SECOND;
    },
    leave() {
      if (left) return;
      left = true;
      if (ticket !== null && lane.turns.includes(ticket)) lane.turns.splice(lane.turns.indexOf(ticket), 1);
      if (--lane.places === 0 && lane.nextStart <= Date.now() && lanes.get(site) === lane) lanes.delete(site);
    },
  };
}
