// Delivery policy: when to send, what to keep after each reply, and the send when the page goes away.
import type { WireEvent } from '@parcours/protocol';
import { pack } from './batch.ts';
import { config } from './options.ts';
import { release, save, waiting } from './outbox.ts';
import { backoff, retryAfter, shouldRetry } from './retry-policy.ts';
import { post, type Reply } from './transport.ts';

/** Delay between queuing an event and sending it, ms: lets a burst travel in one request. */
export const SEND_DELAY = 1000;

// Failed tries in a row (the backoff's step; a 429 waited out as its Retry-After says is not counted).
let fails = 0;
// The next send (after SEND_DELAY, or a retry), while it is pending: events queued meanwhile go with it.
let timer: ReturnType<typeof setTimeout> | undefined;
// The send under way: a page has one request in flight at most.
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

/**
 * One request: the newest of `list` that fit a batch, and the count of `lost` events; what the collector acknowledged
 * (stored, duplicates, or rejected one by one) or refused for good (4xx) leaves the outbox. Answers the reply.
 */
async function send(list: WireEvent[], lost: number): Promise<Reply> {
  const [body, ids] = pack(config.site, list, lost);
  const reply = await post(eventsUrl(), body);
  if (!shouldRetry(reply.status)) release(ids, lost);
  return reply;
}

async function drain(): Promise<boolean> {
  for (;;) {
    const [list, lost] = waiting();
    if (!list[0] && !lost) return true;
    const reply = await send(list, lost);
    if (shouldRetry(reply.status)) {
      schedule(retryAfter(reply) || backoff(fails++));
      return false;
    }
    fails = 0;
  }
}

/**
 * Sends this page's waiting events now, ignoring backoff, one request at a time. Resolves `true` once everything
 * waiting was acknowledged or refused for good, `false` if a try failed (kept, retried later). Each page sends its own
 * events: no lock between the tabs of a site, so none waits behind another (or behind one frozen in the back/forward
 * cache), and an event one tab adopted while another sends it too is stored once by the collector.
 */
export const flush = (): Promise<boolean> =>
  (busy ||= drain()
    .catch(() => false)
    .finally(() => (busy = undefined)));

/**
 * The page is shown again from the back/forward cache: the send it had under way when it was frozen may never settle
 * (seen in Firefox), and would hold every later send of the page; it is forgotten. Its events are still in the outbox
 * and go with the next send (if the old request settles after all, it lets go of what it delivered).
 */
export const pageShown = (): void => void (busy = undefined);

/** Back online: forget the backoff and send at once. */
export function online(): void {
  fails = 0;
  flush();
}

/**
 * The page is being hidden (perhaps for good): saves this tab's waiting events (see outbox `save`) and sends them now
 * by a keepalive fetch, which outlives the page and, when the page lives on (a tab put in the background, a page kept
 * in the back/forward cache), brings an acknowledgement that lets them go. With a send of the page's under way, the
 * newest events (the `page_leave` just queued) go in one more request, without the drop count that send reports: a
 * page going away may have two requests in flight, never more. Unacknowledged, the events wait in the outbox and its
 * localStorage copy for a retry or the next page. (Consent withdrawn leaves nothing in this tab's memory to send.)
 */
export function pageHidden(): void {
  const [events] = waiting();
  save(events);
  if (!busy) flush();
  else if (events[0]) send(events, 0);
}
