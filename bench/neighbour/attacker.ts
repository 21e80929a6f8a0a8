// The attack of the noisy-neighbour bench, run in a worker thread of its own: building and posting its bodies (up to
// 1 MB each, six senders) never holds up the event loop that times the quiet site's requests, as a real attacker's
// machine would not; it still shares the machine's cores with the collector, as the bench's design wants.
import { parentPort, workerData } from 'node:worker_threads';
import type { WireEvent } from '@parcours/protocol';
import { postBody } from '../ingest/load-client.ts';

export const ATTACKED = 'attacked';

/** What the attack thread is given: where to post, the site its bodies name, and a phase number for fresh ids. */
export interface AttackOrder {
  url: string;
  site: string;
  phase: number;
}

/** What it answers once told to stop: the answers by status, and the events it sent. */
export interface AttackReport {
  statuses: Record<string, number>;
  events: number;
}

/** One `POST /v1/events` from `ip`, timed; a network error is status 0. */
export async function post(url: string, body: string, ip: string): Promise<{ status: number; ms: number }> {
  const t = performance.now();
  try {
    const res = await postBody(url, body, ip);
    await res.arrayBuffer();
    return { status: res.status, ms: performance.now() - t };
  } catch {
    return { status: 0, ms: performance.now() - t };
  }
}

let phase = 0;
const batchBody = (site: string, events: WireEvent[]) => JSON.stringify({ v: 1, site, sent_at: Date.now(), events });

let attackCounter = 0;

/** A batch of `count` page views for the attacked site, a minute old; `shape` gives each one's stage, visitor and path. */
function pageViewBatch(
  kind: string,
  count: number,
  shape: (i: number, n: string) => { stage: string; visitor: string; path: string },
): string {
  const now = Date.now();
  const n = `${phase}-${++attackCounter}`;
  const events = Array.from({ length: count }, (_, i) => {
    const { stage, visitor, path } = shape(i, n);
    return {
      id: `${kind}-${n}-${i}`,
      type: 'page_view',
      ts: now - 60_000 + i,
      stage,
      visitor,
      session: visitor,
      url: `https://shop.example/${path}`,
    };
  });
  return batchBody(ATTACKED, events);
}

/** 500 page views of one visitor alternating awareness and decision: each one a stage move (the quadratic case). */
const heavyVisitorBatch = () =>
  pageViewBatch('heavy', 500, (i) => ({
    stage: i % 2 ? 'decision' : 'awareness',
    visitor: 'heavy-visitor',
    path: i % 2 ? 'checkout' : 'blog',
  }));

/** 400 page views, each with its own 1,700-character path, of a new visitor per batch. */
const pathFloodBatch = () =>
  pageViewBatch('flood', 400, (i, n) => ({
    stage: 'awareness',
    visitor: `flood-${n}`,
    path: `${n}-${i}-`.padEnd(1700, 'p'),
  }));

/** 8 cart events of one visitor, each with 100 items of long texts (a batch of about 750 KB, under the 1 MB body limit). */
function fatCartBatch(): string {
  const now = Date.now();
  const n = `${phase}-${++attackCounter}`;
  const long = (c: string, i: number) => `${c}${i}`.padEnd(300, c);
  const items = Array.from({ length: 100 }, (_, i) => ({
    item_id: long('i', i),
    item_name: long('n', i),
    item_category: long('c', i),
    price: 1,
    quantity: 1,
  }));
  const events = Array.from({ length: 8 }, (_, i) => ({
    id: `cart-${n}-${i}`,
    type: 'add_to_cart',
    ts: now - 60_000 + i,
    stage: 'decision',
    visitor: 'fat-cart-visitor',
    session: 'fat-cart-session',
    url: 'https://shop.example/p/mug',
    items,
    value: 100,
    currency: 'EUR',
  }));
  return batchBody(ATTACKED, events);
}

/**
 * The attack until `done()`: two senders of each kind, each posting again as soon as it is answered, 429 or not (an
 * attacker ignores Retry-After). Path-flood senders use addresses of one IPv6 /64, the others one address each.
 */
async function attack(
  url: string,
  site: string,
  done: () => boolean,
  statuses: Record<string, number>,
): Promise<number> {
  let events = 0;
  const kinds: Array<[() => string, number, (i: number) => string]> = [
    [heavyVisitorBatch, 500, () => '203.0.113.7'],
    [pathFloodBatch, 400, (i) => `2001:db8:7:7::${(i % 65_000).toString(16)}`],
    [fatCartBatch, 8, () => '203.0.113.9'],
  ];
  let sent = 0;
  const sender = async ([make, size, ip]: (typeof kinds)[number]) => {
    while (!done()) {
      const body = site === ATTACKED ? make() : make().replace(`"site":"${ATTACKED}"`, `"site":"${site}"`);
      const { status } = await post(url, body, ip(++sent));
      statuses[status] = (statuses[status] ?? 0) + 1;
      events += size;
    }
  };
  await Promise.all([...kinds, ...kinds].map(sender));
  return events;
}

// The thread's entry: attacks until the main thread posts 'stop', then answers its AttackReport.
if (parentPort && (workerData as { attack?: AttackOrder } | null)?.attack) {
  const order = (workerData as { attack: AttackOrder }).attack;
  const port = parentPort;
  phase = order.phase;
  let stopped = false;
  port.once('message', () => {
    stopped = true;
  });
  const report: AttackReport = { statuses: {}, events: 0 };
  report.events = await attack(order.url, order.site, () => stopped, report.statuses);
  port.postMessage(report);
}
