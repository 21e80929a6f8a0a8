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
 * Posts the journeys in order, a journey's events in one batch wherever they fit (the collector re-derives
 * a visitor once per batch), each batch with the user agent of its first visitor; waits out 429s and 5xx.
 * Throws on any other refusal; rejected and filtered events are counted, not thrown.
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
  let batch: WireEvent[] = [];
  let bytes = 0;
  let userAgent = '';
  const flush = async (): Promise<void> => {
    if (!batch.length) return;
    const reply = await post(
      url,
      JSON.stringify({ v: 1, site, sent_at: Date.now(), events: batch }),
      origin,
      userAgent,
    );
    totals.batches++;
    totals.events += batch.length;
    totals.accepted += reply.accepted;
    totals.duplicates += reply.duplicates;
    totals.rejected += reply.rejected.length;
    totals.filtered += reply.filtered ?? 0;
    onProgress?.(totals);
    batch = [];
    bytes = 0;
  };
  for (const j of journeys) {
    totals.visitors++;
    const sized = j.events.map((e) => ({ e, size: JSON.stringify(e).length + 1 }));
    const size = sized.reduce((sum, s) => sum + s.size, 0);
    // Start a new batch rather than split a journey that would fit in one.
    if (batch.length + j.events.length > BATCH_EVENTS || bytes + size > BATCH_BYTES) await flush();
    if (!batch.length) userAgent = j.userAgent;
    for (const s of sized) {
      if (batch.length >= BATCH_EVENTS || bytes + s.size > BATCH_BYTES) await flush();
      batch.push(s.e);
      bytes += s.size;
    }
  }
  await flush();
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

async function post(url: string, body: string, origin: string, userAgent: string): Promise<BatchReply> {
  for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
    let res: Response;
    try {
      res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, 'user-agent': userAgent },
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
