// Concurrent clients posting batches to the collector's `POST /v1/events`, counting what it stored.
import type { WireBatch } from './traffic.ts';

export interface LoadResult {
  events: number;
  requests: number;
  seconds: number;
  eventsPerSecond: number;
  /** Events the collector answered as newly stored. */
  accepted: number;
  statuses: Record<string, number>;
  /** Request latency (ms) median and p95. */
  latencies: number[];
}

// A browser's User-Agent: a Node client would be counted as a bot and not stored.
const USER_AGENT =
  'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';

/** One `POST /v1/events` as a browser on the shop sends it, from `address` as Cloudflare would report it. */
export function postBody(url: string, body: string, address: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${url}/v1/events`, {
    method: 'POST',
    signal,
    headers: {
      'content-type': 'application/json',
      'user-agent': USER_AGENT,
      origin: 'https://shop.example',
      'cf-connecting-ip': address,
    },
    body,
  });
}

/** The visitors of a batch. */
const visitorsOf = (b: WireBatch) => new Set(b.list.map((e) => e.visitor));

/**
 * Posts every batch with `clients` concurrent senders (each sends its next batch when the previous is answered).
 * A visitor's batches go one after another, never two at once, as its browser's outbox sends them (one batch in
 * flight, Web Locks across tabs): a sender takes the first waiting batch none of whose visitors is in flight.
 */
export async function postAll(
  url: string,
  batches: WireBatch[],
  clients: number,
  /** Called as each batch's request starts (performance.now()): the queue bench times events from there. */
  onSend?: (batch: WireBatch, at: number) => void,
): Promise<LoadResult> {
  const waiting = batches.map((b) => ({ b, visitors: visitorsOf(b) }));
  const inFlight = new Set<string>();
  let wake: Array<() => void> = [];
  let accepted = 0;
  const statuses: Record<string, number> = {};
  const latencies: number[] = [];
  const start = performance.now();
  const take = async (): Promise<{ b: WireBatch; visitors: Set<string> } | undefined> => {
    for (;;) {
      if (!waiting.length) return undefined;
      const i = waiting.findIndex((w) => ![...w.visitors].some((v) => inFlight.has(v)));
      if (i >= 0) {
        const item = waiting.splice(i, 1)[0]!;
        // Marked here, before any await: no other sender can take one of these visitors meanwhile.
        for (const v of item.visitors) inFlight.add(v);
        return item;
      }
      await new Promise<void>((resolve) => wake.push(resolve));
    }
  };
  const worker = async () => {
    for (let item = await take(); item; item = await take()) {
      const { b, visitors } = item;
      const t = performance.now();
      onSend?.(b, t);
      try {
        const res = await postBody(url, b.body, b.address);
        const text = await res.text();
        statuses[res.status] = (statuses[res.status] ?? 0) + 1;
        if (res.status === 200) accepted += (JSON.parse(text) as { accepted: number }).accepted;
      } catch {
        statuses.network = (statuses.network ?? 0) + 1;
      }
      latencies.push(performance.now() - t);
      for (const v of visitors) inFlight.delete(v);
      const woken = wake;
      wake = [];
      for (const w of woken) w();
    }
  };
  await Promise.all(Array.from({ length: clients }, worker));
  const seconds = (performance.now() - start) / 1000;
  const events = batches.reduce((s, b) => s + b.events, 0);
  return {
    events,
    requests: batches.length,
    seconds,
    eventsPerSecond: accepted / seconds,
    accepted,
    statuses,
    latencies,
  };
}
