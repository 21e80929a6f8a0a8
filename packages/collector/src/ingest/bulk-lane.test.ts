// A site's large batches are stored one at a time, one more waiting: past that, 429; a tag's small batches never wait.
import { describe, expect, it, vi } from 'vitest';
import { call, freshEvents, registerSite } from '../../test/helpers.ts';
import { ORIGIN } from '../../test/test-support.ts';
import { enterLane, LANE_BYTES_PER_SECOND, LANE_PLACES, PLACE_MS } from './bulk-lane.ts';
import { ALWAYS_READ_BYTES } from './refusals.ts';
import { storedEvents } from '../../test/site-rows.ts';

const headers = (address: string) => ({
  'content-type': 'application/json',
  origin: ORIGIN,
  'cf-connecting-ip': address,
});
const batch = (site: string, events: unknown[]) => JSON.stringify({ v: 1, site, sent_at: Date.now(), events });
/** `count` events with 1,500-character paths: 60 of them make about 95 KB, 450 about 720 KB. */
const largeBatch = (site: string, count = 60) =>
  batch(
    site,
    freshEvents(count).map((e) => ({ ...e, url: `${ORIGIN}/${'p'.repeat(1_500)}` })),
  );

/** A large batch sent up to its last bytes and held there (a slow upload): it holds its place until `finish()`. */
function heldUpload(site: string, address: string) {
  const body = largeBatch(site);
  const { readable, writable } = new TransformStream<Uint8Array, Uint8Array>();
  const writer = writable.getWriter();
  const bytes = new TextEncoder().encode(body);
  void writer.write(bytes.subarray(0, bytes.length - 10));
  const answer = call('/v1/events', {
    method: 'POST',
    headers: headers(address),
    body: readable,
    duplex: 'half',
  } as RequestInit);
  return {
    answer,
    finish: async () => {
      await writer.write(bytes.subarray(bytes.length - 10));
      await writer.close();
      return answer;
    },
  };
}

/**
 * Large bodies that are not JSON past their start (read, they are 400 invalid-json), each from its own address,
 * until one is refused from its start: once the held uploads have taken their places (the worker reads them as they
 * come: a few tries at most). Answers that refusal (or the last answer).
 */
async function refusedOnceFull(site: string): Promise<Response> {
  const garbage = `{"v":1,"site":"${site}","events":[${'x'.repeat(ALWAYS_READ_BYTES + 1)}`;
  let res: Response | undefined;
  for (let attempt = 0; attempt < 50 && res?.status !== 429; attempt++) {
    res = await call('/v1/events', { method: 'POST', headers: headers(`198.51.100.${attempt}`), body: garbage });
    if (res.status !== 429) expect(res.status).toBe(400);
  }
  return res!;
}

describe("a site's lane of large batches", () => {
  it('refuses a large batch 429 rate-limited while LANE_PLACES are held, unread; stores the small ones meanwhile', async () => {
    const { id } = await registerSite();
    expect(largeBatch(id).length).toBeGreaterThan(ALWAYS_READ_BYTES);
    const held = Array.from({ length: LANE_PLACES }, (_, i) => heldUpload(id, `203.0.113.${70 + i}`));

    const refused = await refusedOnceFull(id);
    expect(refused.status).toBe(429);
    expect(await refused.json()).toEqual({ error: 'rate-limited' });
    expect(refused.headers.get('retry-after')).toBe('10');

    // A tag's batch of the same site meanwhile: stored at once.
    const small = await call('/v1/events', {
      method: 'POST',
      headers: headers('203.0.113.90'),
      body: batch(id, freshEvents(5)),
    });
    expect(small.status).toBe(200);
    expect(await small.json()).toMatchObject({ accepted: 5 });
    expect(await storedEvents(id)).toBe(5);

    // The held batches, once sent to the end, are stored, each whole; then the lane takes new ones.
    for (const h of held) {
      const res = await h.finish();
      expect(res.status).toBe(200);
      expect(await res.json()).toMatchObject({ accepted: 60 });
    }
    const next = await call('/v1/events', { method: 'POST', headers: headers('203.0.113.91'), body: largeBatch(id) });
    expect(next.status).toBe(200);
    expect(await storedEvents(id)).toBe(5 + 60 * LANE_PLACES + 60);
  });

  it('lets a batch read whole store while an earlier upload of the site is still coming in', async () => {
    const { id } = await registerSite();
    const slow = heldUpload(id, '203.0.113.85');
    const res = await call('/v1/events', { method: 'POST', headers: headers('203.0.113.86'), body: largeBatch(id) });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 60 });
    expect((await slow.finish()).status).toBe(200);
    expect(await storedEvents(id)).toBe(120);
  });

  it("paces a site: the next large batch starts once the last one's bytes at LANE_BYTES_PER_SECOND have passed", async () => {
    const { id } = await registerSite();
    // About 720 KB: 1.4 s at that pace, several times what storing it takes here.
    const body = largeBatch(id, 450);
    const start = Date.now();
    expect((await call('/v1/events', { method: 'POST', headers: headers('203.0.113.87'), body })).status).toBe(200);
    const next = await call('/v1/events', { method: 'POST', headers: headers('203.0.113.88'), body: largeBatch(id) });
    expect(next.status).toBe(200);
    // A floor the lane enforces (the clock moves on across waits), not a speed claim.
    expect(Date.now() - start).toBeGreaterThanOrEqual(Math.floor((body.length * 1000) / LANE_BYTES_PER_SECOND));
  });

  it("is the site's own: another site's large batch is stored while one site's lane is full", async () => {
    const full = await registerSite();
    const other = await registerSite();
    const held = Array.from({ length: LANE_PLACES }, (_, i) => heldUpload(full.id, `203.0.113.${80 + i}`));
    expect((await refusedOnceFull(full.id)).status).toBe(429);
    const res = await call('/v1/events', {
      method: 'POST',
      headers: headers('203.0.113.92'),
      body: largeBatch(other.id),
    });
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ accepted: 60 });
    for (const h of held) expect((await h.finish()).status).toBe(200);
  });
});

describe('a place a request never leaves', () => {
  it("is dropped after PLACE_MS with its turn: a cancelled request does not close its site's lane for good", async () => {
    vi.useFakeTimers({ toFake: ['Date', 'setTimeout'] });
    try {
      const site = `lane-${crypto.randomUUID().slice(0, 8)}`;
      // Two requests take the places and are cancelled (their client hung up): neither ever runs leave().
      const first = enterLane(site);
      enterLane(site);
      void first.turn(1_000);
      expect(() => enterLane(site)).toThrow();
      vi.advanceTimersByTime(PLACE_MS + 1);
      // Their places are gone: a new batch takes one, and its turn is not held by the cancelled one's.
      const next = enterLane(site);
      let stored = false;
      const turn = next.turn(1_000).then(() => (stored = true));
      await vi.advanceTimersByTimeAsync(50);
      await turn;
      expect(stored).toBe(true);
      next.leave();
      // Leaving a place already dropped frees no one else's: the lane holds exactly what it should.
      first.leave();
      enterLane(site);
      enterLane(site);
      expect(() => enterLane(site)).toThrow();
    } finally {
      vi.useRealTimers();
    }
  });
});
