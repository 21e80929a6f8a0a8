// Delivery policy: when to send, one tab at a time, what to keep after each reply, and the beacon when the page goes away.
import { pack } from './batch.ts';
import { config } from './options.ts';
import { live, release, save, waiting } from './outbox.ts';
import { off } from './privacy.ts';
import { backoff, retryAfter, shouldRetry } from './retry-policy.ts';
import { SDK_BATCH_BYTES } from '@parcours/protocol';
import { beacon, keepaliveBytes, post } from './transport.ts';

/** A page's keepalive data in flight, less a margin: past 64 KiB the browser refuses the request, beacon included. */
const KEEPALIVE_BYTES = 64_000;

/** Delay between queuing an event and sending it, ms: lets a burst travel in one request. */
export const SEND_DELAY = 1000;

// Failed tries in a row (the backoff's step; a 429 waited out as its Retry-After says is not counted).
let fails = 0;
// The next send (after SEND_DELAY, or a retry), while it is pending: events queued meanwhile go with it.
let timer: ReturnType<typeof setTimeout> | undefined;
let busy: Promise<boolean> | undefined;

/** Where batches go: `{endpoint}/v1/events`. */
const eventsUrl = () => config.endpoint + '/v1/events';

const schedule = (ms: number) => {
  clearTimeout(timer);
  timer = setTimeout(() => {
    timer = undefined;
    flush();
  }, ms);
};

/**
 * Sends soon: SEND_DELAY after the first event of a burst (not after the last: a steady stream of events
 * must not hold them back), or with the retry already scheduled. One timer a burst, not one per event.
 */
export const soon = (): void => void (timer || schedule(SEND_DELAY));

async function drain(): Promise<boolean> {
  for (;;) {
    const [list, lost] = await waiting();
    if (!list[0] && !lost) return true;
    // Checked after the read: nothing leaves, not even what was read before consent was withdrawn.
    if (off()) return false;
    const [body, ids] = pack(config.site, list, lost);
    const reply = await post(eventsUrl(), body);
    if (shouldRetry(reply.status)) {
      schedule(retryAfter(reply) || backoff(fails++));
      return false;
    }
    // Acknowledged (stored, duplicates, or rejected one by one) or refused for good (4xx): it leaves the outbox.
    fails = 0;
    await release(ids, lost);
  }
}

/**
 * Sends now, ignoring backoff, one tab at a time (Web Locks where available; where the browser refuses them, as in a
 * sandboxed document, without). Resolves `true` once
 * everything waiting was acknowledged or refused for good, `false` if a try failed (kept, retried later).
 */
export const flush = (): Promise<boolean> =>
  (busy ||= (navigator.locks ? underLock().catch((e) => e.name != 'AbortError' && drain()) : drain())
    .catch(() => false)
    .finally(() => (busy = undefined)));

// Ends this tab's wait for the send lock, or its hold of it (see `hidden`).
let letGo = () => {};

/** Drains under the origin's send lock. `letGo` cancels the request while it waits, or ends the hold once granted. */
const underLock = (): Promise<boolean> => {
  const waiting = new AbortController();
  letGo = () => waiting.abort();
  return navigator.locks.request('parcours', { signal: waiting.signal }, () =>
    Promise.race([drain(), new Promise<boolean>((r) => (letGo = () => r(false)))]),
  );
};

/**
 * The page is hidden for good (pagehide): lets go of the send lock now, or of its place in the lock's queue. A page
 * frozen in the back/forward cache in the middle of a send would otherwise hold it (seen in Firefox); one frozen while
 * waiting is granted the lock later and never runs (seen in Chromium, whose cache keeps such a page). Either way every
 * other tab of the site would wait behind it. The send goes on if the page is shown again; the collector stores each id
 * once either way.
 */
export const hidden = (): void => letGo();

/** Back online: forget the backoff and send at once. */
export function online(): void {
  fails = 0;
  flush();
}

/**
 * The page is being hidden (perhaps for good): saves this tab's waiting events (see outbox `save`) and sends them,
 * newest first (the oldest had their chance and are safe in IndexedDB), by a keepalive fetch, which outlives the
 * page and, when the page lives on (a tab put in the background, a page kept in the back/forward cache), brings an
 * acknowledgement that lets them go. A network error falls back to a beacon while the page is still alive to see it;
 * a closing tab no longer runs that fallback, and its events wait in the outbox and its localStorage copy for the next
 * page. Unacknowledged, they stay in the outbox: the collector stores each id once, so a page hidden twice may send an
 * event twice, never store it twice. While tracking is off nothing is sent nor saved.
 */
export function beaconNow(): void {
  if (off()) return;
  const events = live();
  save(events);
  if (events[0]) {
    // Only what fits beside the requests in flight (a batch, an earlier hide's request) in the page's 64 KiB of keepalive
    // data: a larger request is refused, beacon included, and the closing page's newest events would wait for a next
    // visit. The older ones are in the outbox already.
    const [body, ids] = pack(
      config.site,
      events.reverse(),
      0,
      Math.min(SDK_BATCH_BYTES, KEEPALIVE_BYTES - keepaliveBytes),
    );
    const url = eventsUrl();
    if (ids[0])
      post(url, body).then(
        (reply) => void (reply.status ? shouldRetry(reply.status) || release(ids) : beacon(url, body)),
      );
  }
}
