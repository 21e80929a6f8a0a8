// Realistic ingestion traffic: journeys of shop visitors cut into batches as the script's outbox would send them.
import type { WireEvent } from '@parcours/protocol';
import { shopEvents } from '../lib/shop-traffic.ts';

export interface WireBatch {
  /** The request body (`{ v, site, sent_at, events }`). */
  body: string;
  events: number;
  /** Wire events, for the SQLite baseline. */
  list: WireEvent[];
  /** The sender's address as Cloudflare would report it: one per visitor, so the per-client rate limit sees many clients. */
  address: string;
}

/** A documentation-range address (RFC 5737) derived from a visitor id: only hashed by the collector, never contacted. */
export function addressOf(visitor: string): string {
  let h = 0;
  for (const ch of visitor) h = (Math.imul(h, 31) + ch.charCodeAt(0)) >>> 0;
  return `203.0.${(h >>> 8) & 255}.${h & 255}`;
}

/**
 * `total` events of generated shop journeys (`shopEvents`, seeded: the report bench's traffic), cut in order
 * into batches of `batchSize`: a visitor's events arrive together, as the script's outbox sends them, a batch
 * holding one or a few visitors.
 */
export function makeBatches(
  site: string,
  total: number,
  batchSize: number,
  seed: number,
  now = Date.now(),
): WireBatch[] {
  const batches: WireBatch[] = [];
  let list: WireEvent[] = [];
  const push = () => {
    if (!list.length) return;
    batches.push({
      body: JSON.stringify({ v: 1, site, sent_at: now, events: list }),
      events: list.length,
      list,
      address: addressOf(list[0]!.visitor),
    });
    list = [];
  };
  for (const e of shopEvents(total, seed, now)) {
    list.push(e);
    if (list.length === batchSize) push();
  }
  push();
  return batches;
}
