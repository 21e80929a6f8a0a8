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
 * A place not left within this time (ms) is dropped, and its turn with it: the runtime cancels a request whose client
 * hangs up, so that request's `leave()` never runs; and an upload stalled after its first kilobyte holds its place no
 * longer than this. A batch still being stored when its place is dropped is stored all the same.
 */
export const PLACE_MS = 60_000;

/**
 * Per site: its places (id to the time it is dropped), the places whose body is read, in turn order (first the one
 * storing), and when the next may start (ms). A lane is forgotten when its last place leaves after that time.
 */
interface Lane {
  places: Map<number, number>;
  turns: number[];
  nextStart: number;
}
const lanes = new Map<string, Lane>();
let lastPlace = 0;

/** Drops the lane's places past their time, and their turns. */
function dropExpired(lane: Lane, now: number): void {
  for (const [id, until] of lane.places)
    if (until <= now) {
      lane.places.delete(id);
      if (lane.turns.includes(id)) lane.turns.splice(lane.turns.indexOf(id), 1);
    }
}

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
  const lane: Lane = lanes.get(site) ?? { places: new Map(), turns: [], nextStart: 0 };
  dropExpired(lane, Date.now());
  if (lane.places.size >= LANE_PLACES) fail(429, 'rate-limited', { 'retry-after': String(RETRY_AFTER_SECONDS) });
  const id = ++lastPlace;
  lane.places.set(id, Date.now() + PLACE_MS);
  lanes.set(site, lane);
  return {
    site,
    async turn(bytes) {
      if (lane.places.has(id) && !lane.turns.includes(id)) lane.turns.push(id);
      while (lane.places.has(id) && (lane.turns[0] !== id || Date.now() < lane.nextStart)) {
        await new Promise((resolve) => setTimeout(resolve, POLL_MS));
        dropExpired(lane, Date.now());
      }
      lane.nextStart = Date.now() + (bytes * 1000) / LANE_BYTES_PER_SECOND;
    },
    leave() {
      // Left already, or dropped past its time (another request may hold a place by now: it is not this one's).
      if (!lane.places.delete(id)) return;
      if (lane.turns.includes(id)) lane.turns.splice(lane.turns.indexOf(id), 1);
      if (lane.places.size === 0 && lane.nextStart <= Date.now() && lanes.get(site) === lane) lanes.delete(site);
    },
  };
}
