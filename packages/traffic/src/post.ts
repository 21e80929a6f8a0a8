// Posts synthetic journeys through the real `POST /v1/events`, in batches within the collector's limits, as browsers would.
import type { BatchReply, WireEvent } from '@parcours/protocol';
import { generateJourneys, type Journey, type TrafficOptions } from './journeys.ts';

/** The collector refuses more than 500 events or 1 MB per batch; stay well under both. */
const BATCH_EVENTS = 400;
const BATCH_BYTES = 800_000;

/** What was sent and what the collector answered, summed over the batches. */
export interface PostTotals {
  visitors: number;
  events: number;
  accepted: number;
  duplicates: number;
  rejected: number;
  /** Counted but not stored: the collector took the sender for a bot. */
  filtered: number;
  batches: number;
}

export interface PostOptions {
  /** The collector's base URL, e.g. `http://127.0.0.1:8787`. */
  url: string;
  site: string;
  /** The `Origin` header: one of the site's origins. */
  origin: string;
  journeys: Iterable<Journey>;
  /** Called after each batch with the totals so far. */
  onProgress?: (totals: PostTotals) => void;
}

/**
 * A local `wrangler dev` (Miniflare) takes a request's `cf` object from this header: the collector then reads the
 * country from `request.cf.country` as it would at the edge. Anywhere else it is an ordinary header nobody reads.
 */
const LOCAL_CF_HEADER = 'MF-CF-Blob';

/** The events waiting to be sent from one browser in one country: the collector reads both from the request. */
interface Pending {
  userAgent: string;
  country: string | null;
  events: WireEvent[];
  bytes: number;
}

/**
 * Posts the journeys, a journey's events in one batch wherever they fit (the collector re-derives a visitor once per
 * batch) and in order; each batch carries the journeys of one browser and country, with its user agent and (for a
 * local collector) its country. Waits out 429s and 5xx. Throws on any other refusal; rejected and filtered events are
 * counted, not thrown.
 */
export async function postJourneys({ url, site, origin, journeys, onProgress }: PostOptions): Promise<PostTotals> {
  const totals: PostTotals = {
    visitors: 0,
    events: 0,
    accepted: 0,
    duplicates: 0,
    rejected: 0,
    filtered: 0,
    batches: 0,
  };
  const pending = new Map<string, Pending>();
  const flush = async (batch: Pending): Promise<void> => {
    if (!batch.events.length) return;
    const reply = await post(url, JSON.stringify({ v: 1, site, sent_at: Date.now(), events: batch.events }), {
      origin,
      'user-agent': batch.userAgent,
      [LOCAL_CF_HEADER]: JSON.stringify(batch.country ? { country: batch.country } : {}),
    });
    totals.batches++;
    totals.events += batch.events.length;
    totals.accepted += reply.accepted;
    totals.duplicates += reply.duplicates;
    totals.rejected += reply.rejected.length;
    totals.filtered += reply.filtered ?? 0;
    onProgress?.(totals);
    batch.events = [];
    batch.bytes = 0;
  };
  for (const j of journeys) {
    totals.visitors++;
    const client = `${j.country ?? ''} ${j.userAgent}`;
    let batch = pending.get(client);
    if (!batch) {
      batch = { userAgent: j.userAgent, country: j.country, events: [], bytes: 0 };
      pending.set(client, batch);
    }
    const sized = j.events.map((e) => ({ e, size: JSON.stringify(e).length + 1 }));
    const size = sized.reduce((sum, s) => sum + s.size, 0);
    // Start a new batch rather than split a journey that would fit in one.
    if (batch.events.length + j.events.length > BATCH_EVENTS || batch.bytes + size > BATCH_BYTES) await flush(batch);
    for (const s of sized) {
      if (batch.events.length >= BATCH_EVENTS || batch.bytes + s.size > BATCH_BYTES) await flush(batch);
      batch.events.push(s.e);
      batch.bytes += s.size;
    }
  }
  for (const batch of pending.values()) await flush(batch);
  return totals;
}

/**
 * Generates the example shop's history (`generateJourneys`) and posts it: what `pnpm dev` and `scripts/seed.mjs` do.
 * @example await seedSite({ url: 'http://127.0.0.1:8787', site: 'demo', origin: 'http://127.0.0.1:8788', visitors: 3000 });
 */
export function seedSite(
  opts: Omit<PostOptions, 'journeys'> & Pick<TrafficOptions, 'visitors' | 'seed' | 'now'>,
): Promise<PostTotals> {
  const { url, site, origin, onProgress, ...traffic } = opts;
  return postJourneys({ url, site, origin, onProgress, journeys: generateJourneys({ origin, ...traffic }) });
}

/** Tries per batch while the collector answers 429 or 5xx, or cannot be reached, before giving up. */
const ATTEMPTS = 20;

async function post(url: string, body: string, headers: Record<string, string>): Promise<BatchReply> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body,
      });
    } catch {
      await sleep(500 * (attempt + 1));
      continue;
    }
    if (res.status === 200) return (await res.json()) as BatchReply;
    if (res.status === 429 || res.status >= 500) {
      const wait = Number(res.headers.get('retry-after') ?? '1') * 1000;
      await res.body?.cancel();
      await sleep(Math.min(wait, 10_000));
      continue;
    }
    throw new Error(`posting events refused: ${res.status} ${await res.text()}`);
  }
  throw new Error(`posting events gave up after ${ATTEMPTS} attempts`);
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
