// Simulated browsers: each a visitor sending its journey's events as the tag's outbox does (batches of up to 50, one in
// flight, the same batch with the same ids sent again when a request fails or times out), many side by side, for a
// bounded time.
import type { WireEvent } from '@parcours/protocol';
import type { Journey } from '@parcours/traffic';
import { postBody } from '../ingest/load-client.ts';
import { addressOf } from '../ingest/traffic.ts';

/** The tag's largest batch. */
export const TAG_BATCH = 50;
/** A request unanswered this long is abandoned and its batch sent again. */
const REQUEST_TIMEOUT_MS = 10_000;
/** Wait before a resend: doubling from the first to the last. */
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 4_000;
/** After the sending time, how long a browser keeps resending a batch the collector has not taken yet. */
const DRAIN_MS = 120_000;

/** A visitor and the site whose page it browses. */
export interface Visit {
  site: string;
  journey: Journey;
}

/** A batch the collector answered 200: its events are offered to storage. */
interface SentBatch {
  site: string;
  ids: string[];
  /** performance.now() of its first send, and of the 200 answer. */
  firstSentAt: number;
  answeredAt: number;
  attempts: number;
}

export interface BrowsersResult {
  /** Batches answered 200. */
  batches: SentBatch[];
  /** Batches still unanswered when the drain ended (a browser would keep them in its outbox): none expected. */
  unsent: number;
  /** Batches refused for good (a 4xx other than 429): dropped as the outbox drops them; none expected. */
  refused: Record<string, number>;
  /** Resends by cause: `timeout`, `network`, or the status answered. */
  resends: Record<string, number>;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * `browsers` visitors at a time, each taken from `visits` when the previous one is done, sending its journey in
 * batches of up to 50 one after another; no new batch starts after `seconds`, and a batch started keeps being
 * resent until answered (at most two minutes more).
 */
export async function runBrowsers(opts: {
  url: string;
  browsers: number;
  seconds: number;
  visits: Iterator<Visit>;
}): Promise<BrowsersResult> {
  const result: BrowsersResult = { batches: [], unsent: 0, refused: {}, resends: {} };
  const deadline = performance.now() + opts.seconds * 1000;
  const drainEnd = deadline + DRAIN_MS;

  const deliver = async (site: string, events: WireEvent[], address: string) => {
    const firstSentAt = performance.now();
    let backoff = FIRST_BACKOFF_MS;
    for (let attempts = 1; performance.now() < drainEnd; attempts++) {
      // The outbox's batch as stored: the same events and ids on every attempt, stamped when sent.
      const body = JSON.stringify({ v: 1, site, sent_at: Date.now(), events });
      let cause: string;
      let wait = backoff;
      try {
        const res = await postBody(opts.url, body, address, AbortSignal.timeout(REQUEST_TIMEOUT_MS));
        await res.text();
        if (res.status === 200) {
          const answeredAt = performance.now();
          result.batches.push({ site, ids: events.map((e) => e.id), firstSentAt, answeredAt, attempts });
          return;
        }
        if (res.status >= 400 && res.status < 500 && res.status !== 429) {
          result.refused[res.status] = (result.refused[res.status] ?? 0) + 1;
          return;
        }
        cause = String(res.status);
        wait = Math.max(wait, Number(res.headers.get('retry-after') ?? 0) * 1000);
      } catch (e) {
        cause = (e as Error).name === 'TimeoutError' ? 'timeout' : 'network';
      }
      result.resends[cause] = (result.resends[cause] ?? 0) + 1;
      await sleep(wait);
      backoff = Math.min(MAX_BACKOFF_MS, backoff * 2);
    }
    result.unsent++;
  };

  const browse = async () => {
    while (performance.now() < deadline) {
      const next = opts.visits.next();
      if (next.done) return;
      const { site, journey } = next.value;
      const address = addressOf(journey.visitor);
      for (let i = 0; i < journey.events.length && performance.now() < deadline; i += TAG_BATCH)
        await deliver(site, journey.events.slice(i, i + TAG_BATCH), address);
    }
  };
  await Promise.all(Array.from({ length: opts.browsers }, browse));
  return result;
}
