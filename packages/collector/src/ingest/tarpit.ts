// A sender that goes on posting large bodies after a refusal pays in time, not in the collector's CPU: its next answers
// are held (a timer: no CPU) before it is judged, the body unread meanwhile. Receiving a 750 KB body costs about 9 ms of
// CPU whatever the worker does with it (under `wrangler dev` its proxy copies it in full even when the worker never
// reads it), so the only saving is receiving fewer: a client that loops on 429 without waiting sends one body per
// connection every HOLD_MS instead of dozens a second. Memory only, keyed by a hash of the client, never stored.

/** How long a held answer waits before the request is judged. */
export const HOLD_MS = 2_000;
/** Answers held at once per client; past that, its answers come at once (memory stays bounded). */
export const MAX_HELD_PER_CLIENT = 4;
/** Answers held at once in this isolate, all clients together. */
export const MAX_HELD = 1_000;

/**
 * Per client key, when each of its held answers is released (ms). A request whose client hangs up is cancelled by
 * the runtime mid-wait, so nothing runs when it ends: a hold counts until its release time, never longer.
 */
const held = new Map<string, number[]>();
let heldCount = 0;

/** Forgets the holds released by `now`, and counts those left. */
function forgetReleased(now: number): void {
  heldCount = 0;
  for (const [key, releases] of held) {
    const left = releases.filter((at) => at > now);
    if (left.length) held.set(key, left);
    else held.delete(key);
    heldCount += left.length;
  }
}

/**
 * Waits HOLD_MS before the caller goes on, when the client (`key`, a hash) and the isolate have room for one more
 * held answer; else resolves at once. Answers whether it held.
 */
export async function holdClient(key: string, now = Date.now()): Promise<boolean> {
  forgetReleased(now);
  const releases = held.get(key) ?? [];
  if (releases.length >= MAX_HELD_PER_CLIENT || heldCount >= MAX_HELD) return false;
  releases.push(now + HOLD_MS);
  held.set(key, releases);
  heldCount++;
  await new Promise((resolve) => setTimeout(resolve, HOLD_MS));
  return true;
}
