import { DEFAULT_STAGES, parseBatch, type Batch, type WireEvent } from '@parcours/protocol';
import { VALID_EVENTS } from '@parcours/protocol/fixtures';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { store } from './local-store.ts';
import { configure } from './options.ts';
import { empty, put, waiting } from './outbox.ts';
import { beaconNow, flush, online, SEND_DELAY, soon } from './sender.ts';

/** A collector stand-in: answers each request with the next scripted status (then 200), recording every body. */
function fakeCollector(statuses: Array<number | 'network' | [number, string]> = []) {
  const bodies: Batch[] = [];
  const fetch = vi.fn(async (_url: string, init: RequestInit) => {
    const s = statuses.shift() ?? 200;
    if (s === 'network') throw new TypeError('Failed to fetch');
    bodies.push(JSON.parse(init.body as string));
    const [status, retryAfter] = Array.isArray(s) ? s : [s, ''];
    return new Response(status === 200 ? '{"accepted":1,"duplicates":0,"rejected":[]}' : '{"error":"x"}', {
      status,
      headers: retryAfter ? { 'Retry-After': retryAfter } : {},
    });
  });
  vi.stubGlobal('fetch', fetch);
  const ids = () => bodies.flatMap((b) => b.events.map((e) => e.id));
  return { fetch, bodies, ids };
}

let n = 0;
const queue = (count = 1): string[] =>
  Array.from({ length: count }, () => {
    const e: WireEvent = { ...VALID_EVENTS[0]!, id: `s-${++n}`, ts: Date.now() };
    put(e);
    return e.id;
  });
const pending = async () => (await waiting())[0].map((e) => e.id).sort();
/** Lets IndexedDB (setImmediate, not faked) and promises run, without moving the fake clock. */
const idle = async () => {
  for (let i = 0; i < 30; i++)
    await new Promise<void>((r) => (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(r));
};
/** Moves the fake clock, then lets what the timers started run. */
const advance = async (ms: number) => {
  await vi.advanceTimersByTimeAsync(ms);
  await idle();
};

describe('sender', () => {
  beforeEach(async () => {
    await idle();
    await empty();
    configure({ site: 'shop' }, 'https://collector.example');
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
    vi.restoreAllMocks();
  });

  it('sends queued events a moment after they are queued, in a batch the collector accepts, and forgets them once acknowledged', async () => {
    const c = fakeCollector();
    const ids = queue(3);
    soon();
    await advance(SEND_DELAY - 10);
    expect(c.fetch).not.toHaveBeenCalled();
    await advance(20);
    expect(c.fetch).toHaveBeenCalledTimes(1);
    const [url, init] = c.fetch.mock.calls[0]!;
    expect(url).toBe('https://collector.example/v1/events');
    expect(init).toMatchObject({ method: 'POST', keepalive: true });
    // No Content-Type: fetch sends a string as text/plain, a simple request without a CORS preflight.
    expect(new Request(url, init).headers.get('content-type')).toMatch(/^text\/plain/);
    const parsed = parseBatch(c.bodies[0], { stages: DEFAULT_STAGES });
    expect(parsed.ok && parsed.events.map((e) => e.event.id)).toEqual(ids);
    expect(await pending()).toEqual([]);
  });

  it('sends a steady stream of events a moment after its first one, not once it stops', async () => {
    const c = fakeCollector();
    for (let i = 0; i < 6; i++) {
      queue(1);
      soon();
      await advance(400);
    }
    // 2.4 s of events, one every 400 ms: the first batch left 1 s after the first event, the next 1 s after the next one.
    expect(c.fetch).toHaveBeenCalledTimes(2);
    expect(c.bodies[0]!.events).toHaveLength(3);
  });

  it('splits a backlog into requests of at most 50 events', async () => {
    const c = fakeCollector();
    const ids = queue(120);
    expect(await flush()).toBe(true);
    expect(c.bodies.map((b) => b.events.length)).toEqual([50, 50, 20]);
    expect(c.ids().sort()).toEqual(ids.sort());
  });

  it('keeps the events on 5xx and network errors, retries with growing delays, and delivers each once', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.5); // jitter factor 0.75: waits of 750, 1500, 3000 ms
    const c = fakeCollector([503, 'network', 500]);
    const ids = queue(2);
    expect(await flush()).toBe(false);
    expect(await pending()).toEqual(ids.sort());
    await advance(740);
    expect(c.fetch).toHaveBeenCalledTimes(1);
    await advance(20);
    expect(c.fetch).toHaveBeenCalledTimes(2); // the network error
    await advance(1470);
    expect(c.fetch).toHaveBeenCalledTimes(2);
    await advance(40);
    expect(c.fetch).toHaveBeenCalledTimes(3); // the 500
    await advance(3010);
    expect(await pending()).toEqual([]);
    expect(c.fetch).toHaveBeenCalledTimes(4);
    expect(c.bodies.at(-1)!.events.map((e) => e.id)).toEqual(ids);
  });

  it('waits as long as a 429 says in Retry-After', async () => {
    const c = fakeCollector([[429, '10']]);
    queue(1);
    expect(await flush()).toBe(false);
    await advance(9_900);
    expect(c.fetch).toHaveBeenCalledTimes(1);
    await advance(200);
    expect(c.fetch).toHaveBeenCalledTimes(2);
    expect(await pending()).toEqual([]);
  });

  it('holds an event queued during a backoff until the backoff ends', async () => {
    const c = fakeCollector([[429, '10']]);
    queue(1);
    expect(await flush()).toBe(false);
    queue(1);
    soon();
    await advance(9_900);
    expect(c.fetch).toHaveBeenCalledTimes(1);
    await advance(200);
    expect(c.fetch).toHaveBeenCalledTimes(2);
    expect(c.bodies[1]!.events).toHaveLength(2);
    expect(await pending()).toEqual([]);
  });

  it('sends an event a moment after it is queued once a backoff ended with nothing left to send', async () => {
    const c = fakeCollector([[429, '10']]);
    queue(1);
    expect(await flush()).toBe(false);
    // Another tab had it acknowledged meanwhile.
    await empty();
    await advance(10_100);
    expect(c.fetch).toHaveBeenCalledTimes(1);
    const ids = queue(1);
    soon();
    await advance(SEND_DELAY + 10);
    expect(c.fetch).toHaveBeenCalledTimes(2);
    expect(c.bodies[1]!.events.map((e) => e.id)).toEqual(ids);
  });

  it('sends an event a moment after it is queued once consent, withdrawn during a backoff, is given again', async () => {
    const c = fakeCollector([500]);
    queue(1);
    expect(await flush()).toBe(false);
    store('pco', '0');
    await empty();
    await advance(1_000);
    store('pco', '1');
    const ids = queue(1);
    soon();
    await advance(SEND_DELAY + 10);
    expect(c.fetch).toHaveBeenCalledTimes(2);
    expect(c.bodies[1]!.events.map((e) => e.id)).toEqual(ids);
  });

  it('backs off from the first step after a 429 that was waited out as its Retry-After says', async () => {
    vi.spyOn(Math, 'random').mockReturnValue(0.999);
    const c = fakeCollector([[429, '10'], 500]);
    queue(1);
    expect(await flush()).toBe(false);
    await advance(10_010);
    expect(c.fetch).toHaveBeenCalledTimes(2);
    await advance(1_010);
    expect(c.fetch).toHaveBeenCalledTimes(3);
    expect(await pending()).toEqual([]);
  });

  it('drops a batch a 4xx refused and never sends it again', async () => {
    const c = fakeCollector([400, 403]);
    const first = queue(1);
    expect(await flush()).toBe(true);
    const second = queue(1);
    expect(await flush()).toBe(true);
    expect(await pending()).toEqual([]);
    await advance(600_000);
    expect(c.ids()).toEqual([...first, ...second]);
  });

  it('sends again at once when the browser comes back online, whatever the backoff', async () => {
    const c = fakeCollector(['network', 'network', 'network']);
    const ids = queue(1);
    await flush();
    await advance(1_000);
    await advance(2_000);
    expect(c.fetch).toHaveBeenCalledTimes(3);
    online();
    await idle();
    expect(await pending()).toEqual([]);
    expect(c.fetch).toHaveBeenCalledTimes(4);
    expect(c.bodies.at(-1)!.events.map((e) => e.id)).toEqual(ids);
  });

  it('reports events the outbox dropped in the next batch, once', async () => {
    const c = fakeCollector();
    put({ ...VALID_EVENTS[0]!, id: 'too-old', ts: Date.now() - 8 * 864e5 });
    queue(1);
    await flush();
    queue(1);
    await flush();
    expect(c.bodies.map((b) => b.dropped)).toEqual([1, 0]);
    expect(c.ids()).not.toContain('too-old');
  });
  it('on hide, sends the waiting events by keepalive fetch and lets them go once the collector acknowledges them', async () => {
    const c = fakeCollector();
    const sendBeacon = vi.fn(() => true);
    vi.stubGlobal('navigator', Object.assign(Object.create(navigator), { sendBeacon }));
    const ids = queue(2);
    beaconNow();
    await idle();
    expect(c.fetch.mock.calls[0]![1]).toMatchObject({ method: 'POST', keepalive: true });
    expect(c.ids().sort()).toEqual(ids.sort());
    expect(sendBeacon).not.toHaveBeenCalled();
    expect(await pending()).toEqual([]);
  });

  it('on hide, falls back to a beacon when the keepalive fetch fails, and keeps the events until acknowledged', async () => {
    fakeCollector(['network']);
    const sendBeacon = vi.fn((_url: string, _body: string) => true);
    vi.stubGlobal('navigator', Object.assign(Object.create(navigator), { sendBeacon }));
    const ids = queue(2);
    beaconNow();
    await idle();
    expect(sendBeacon).toHaveBeenCalledTimes(1);
    const parsed = parseBatch(JSON.parse(sendBeacon.mock.calls[0]![1]), { stages: DEFAULT_STAGES });
    expect(parsed.ok && parsed.events.map((e) => e.event.id).sort()).toEqual(ids.sort());
    expect(await pending()).toEqual(ids.sort());
  });

  it('on hide, sends only what fits beside the requests in flight in 64 KiB, newest first, and drops nothing', async () => {
    const bodies: string[] = [];
    // No request is answered until the end: they stay in flight, as a slow network keeps them.
    const answers: Array<(r: Response) => void> = [];
    vi.stubGlobal(
      'fetch',
      vi.fn((_url: string, init: RequestInit) => {
        bodies.push(init.body as string);
        return new Promise((r) => answers.push(r));
      }),
    );
    const pad = 'x'.repeat(2000);
    const large = Array.from({ length: 40 }, (_, i) => {
      const e: WireEvent = { ...VALID_EVENTS[0]!, id: `large-${i}`, ts: Date.now() + i, props: { pad } };
      put(e);
      return e.id;
    });
    void flush();
    // Forty 2 KB writes and the read before the send take IndexedDB a while.
    for (let i = 0; i < 20 && !bodies.length; i++) await idle();
    expect(bodies).toHaveLength(1);
    // Hidden (another tab shown), then closed from the tab switcher: two hide requests beside the batch.
    beaconNow();
    put({ ...VALID_EVENTS[0]!, id: 'leave', ts: Date.now() + 100, type: 'page_leave' });
    beaconNow();
    await idle();
    const bytes = (body: string) => new Blob([body]).size;
    expect(bodies.length).toBeGreaterThanOrEqual(2);
    expect(bodies.reduce((sum, body) => sum + bytes(body), 0)).toBeLessThanOrEqual(64 * 1024);
    const hides = bodies.slice(1).map((body) => (JSON.parse(body) as Batch).events.map((e) => e.id));
    expect(hides[0]![0]).toBe(large.at(-1));
    expect(hides.at(-1)![0]).toBe('leave');
    // What did not fit is not counted as dropped: it waits in the outbox for a later batch.
    expect(bodies.map((body) => (JSON.parse(body) as Batch).dropped ?? 0)).toEqual(bodies.map(() => 0));
    // Then the network answers: the batch and the hide requests are acknowledged, and the rest is sent.
    fakeCollector();
    for (const answer of answers) answer(new Response('{}'));
    expect(await flush()).toBe(true);
    expect(await pending()).toEqual([]);
  });

  it('sends nothing, on hide or by a retry, while consent is withdrawn (in any tab)', async () => {
    const c = fakeCollector([503]);
    queue(2);
    expect(await flush()).toBe(false);
    localStorage.setItem('pco', '0');
    try {
      beaconNow();
      await advance(300_000);
      expect(c.bodies).toHaveLength(1);
    } finally {
      localStorage.setItem('pco', '1');
    }
  });

  it('sends nothing while Do Not Track is on, and keeps the events', async () => {
    const c = fakeCollector();
    const ids = queue(1);
    Object.defineProperty(navigator, 'doNotTrack', { value: '1', configurable: true });
    try {
      expect(await flush()).toBe(false);
      beaconNow();
      await idle();
    } finally {
      Object.defineProperty(navigator, 'doNotTrack', { value: null, configurable: true });
    }
    expect(c.bodies).toEqual([]);
    expect(await pending()).toEqual(ids);
  });

  it('sends without the lock where the browser refuses Web Locks (a sandboxed document)', async () => {
    const c = fakeCollector();
    const locks = { request: () => Promise.reject(new DOMException('denied', 'SecurityError')) };
    vi.stubGlobal('navigator', Object.defineProperty(Object.create(navigator), 'locks', { value: locks }));
    const ids = queue(1);
    expect(await flush()).toBe(true);
    expect(c.ids()).toEqual(ids);
  });
});
