// The npm entry: init() then the same calls as the tag's parcours('name', …), as named exports.
import { guard } from './guard.ts';
import type { Options } from './options.ts';
import { start } from './start.ts';
import { run } from './tracker.ts';

export type { Options } from './options.ts';

let started = false;
const queue: Array<[string, unknown[]]> = [];
const call = (name: string, args: unknown[]): unknown => (started ? run(name, ...args) : void queue.push([name, args]));

/**
 * Starts tracking with the tag's options, camelCased; calls made before it are replayed. A second call is ignored.
 * @example init({ site: 'shop', endpoint: 'https://collector.example.com' })
 */
export const init = guard((options: Options): void => {
  if (started || !options?.site) return;
  started = true;
  start(options, location.origin, () => {
    for (const [name, args] of queue.splice(0)) run(name, ...args);
  });
});

/**
 * Sends any event; `props.stage` overrides its stage. GA4 and Segment ecommerce names go through `cart()`.
 * @example track('quote_request', { plan: 'team', stage: 'consideration' })
 */
export const track = (type: string, props?: Record<string, unknown>): void => void call('track', [type, props]);

/**
 * Sends a page view (and the previous page's `page_leave`), for SPAs that route by hand.
 * @example page({ title: 'Cart' })
 */
export const page = (props?: { title?: string; stage?: string }): void => void call('page', [props]);

/**
 * Sets the stage of this page's events (until the next page).
 * @example stage('decision')
 */
export const stage = (name: string): void => void call('stage', [name]);

/**
 * Sends a cart step: `add`, `remove`, `view`, `checkout`, `payment`, `purchase` (or the GA4 / Segment name).
 * @example cart('add', { items: [{ item_id: 'sku-42', price: 12.5, quantity: 1 }], currency: 'EUR' })
 */
export const cart = (action: string, payload?: Record<string, unknown>): void => void call('cart', [action, payload]);

/**
 * Sends a satisfaction score tagged with the page's stage: `nps` 0–10, `csat` 1–5, `ces` 1–7, whole numbers (any
 * other call is ignored), with the id of the survey that asked. Scores only: never text.
 * @example feedback('csat', 4, { survey: 'post-purchase' })
 */
export const feedback = (kind: 'nps' | 'csat' | 'ces', score: number, options?: { survey?: string }): void =>
  void call('feedback', [kind, score, options]);

/**
 * Sets an opaque customer reference sent with cart events (at most 64 characters; one that looks like an email address
 * or a phone number is refused), or forgets it (`null`).
 * @example identify('c_10042')
 */
export const identify = (ref: string | null): void => void call('identify', [ref]);

/**
 * Records the visitor's choice: `false` stops sending, empties the outbox and forgets the ids; `true` resumes.
 * @example consent(false)
 */
export const consent = (granted: boolean): void => void call('consent', [granted]);

/**
 * Sends what is queued now. Resolves `true` when the collector acknowledged all of it, `false` if the
 * try failed (the events are kept and retried) or before `init()`.
 * @example await flush()
 */
export const flush = (): Promise<boolean> => Promise.resolve(started ? (run('flush') as Promise<boolean>) : false);
