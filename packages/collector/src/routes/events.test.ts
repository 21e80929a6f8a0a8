import { env } from 'cloudflare:workers';
import { describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES, type BatchReply } from '@parcours/protocol';
import { INVALID_BATCHES, INVALID_EVENTS } from '@parcours/protocol/fixtures';
import { call, freshEvents, postEvents, registerSite } from '../../test/helpers.ts';
import { get, report, rowsNaming, send, wire } from '../../test/test-support.ts';
import { type EventRow, pathTextSql } from '../db/insert-sql.ts';
import { siteDb } from '../../test/site-rows.ts';
import { TABLE } from '../db/schema.ts';

interface Row extends EventRow {
  received_at: number;
}

async function rows(site: string): Promise<Row[]> {
  const { results } = await siteDb(site)
    .prepare(`SELECT *, ${pathTextSql('path_id')} AS path FROM ${TABLE.events} WHERE site = ? ORDER BY seq`)
    .bind(site)
    .all<Row>();
  return results;
}

const now = () => Date.now();

describe('POST /v1/events', () => {
  it('stores a valid batch once, with path, stage index and report columns extracted', async () => {
    const { id } = await registerSite();
    const events = freshEvents();
    const res = await postEvents({ v: 1, site: id, sent_at: now(), events });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ accepted: events.length, duplicates: 0, rejected: [] });
    const stored = await rows(id);
    expect(stored.map((r) => r.id)).toEqual(events.map((e) => e.id));
    const abandon = stored.find((r) => r.type === 'form_abandon')!;
    expect(abandon).toMatchObject({
      path: '/checkout',
      stage: 'decision',
      stage_index: 2,
      form: 'checkout',
      last_field: 'email',
      duration_ms: 1000,
    });
    const cart = stored.find((r) => r.type === 'add_to_cart')!;
    expect(cart).toMatchObject({ path: '/p/mug', value: 12.5, currency: 'EUR', stage_index: 2 });
    expect(JSON.parse(cart.data).items).toEqual([{ item_id: 'sku-42', item_name: 'Mug', price: 12.5, quantity: 1 }]);
    expect(stored.find((r) => r.type === 'quote_request')!.path).toBe('/quote');
    const feedback = stored.find((r) => r.type === 'feedback')!;
    expect(feedback).toMatchObject({ path: '/checkout/done', stage_index: 2 });
    expect(JSON.parse(feedback.data)).toMatchObject({ kind: 'csat', score: 4, survey: 'post-purchase' });
  });

  it('gives events a server-side sender sent without a stage the stage of their type or path, and funnels count them', async () => {
    const { id, ingestKey, token } = await registerSite();
    const t = now() - 60_000;
    const event = (n: number, type: string, path: string, extra = {}) => ({
      id: crypto.randomUUID(),
      type,
      ts: t + n * 1000,
      visitor: 'v-backend',
      session: 's-backend',
      url: `https://shop.example${path}`,
      ...extra,
    });
    const events = [
      event(0, 'page_view', '/blog/brewing'),
      event(1, 'purchase', '/thanks', { value: 30, currency: 'EUR', transaction_id: 'T-1', items: [] }),
      event(2, 'page_view', '/orders/1042'),
    ];
    // No Origin: the backend proves itself with the site's ingest key.
    const res = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-parcours-key': ingestKey },
      body: JSON.stringify({ v: 1, site: id, sent_at: now(), events }),
    });
    expect(await res.json()).toEqual({ accepted: 3, duplicates: 0, rejected: [] });
    expect((await rows(id)).map((r) => [r.type, r.stage])).toEqual([
      ['page_view', 'awareness'],
      ['purchase', 'decision'],
      ['page_view', 'retention'],
    ]);
    const funnel = await report<{ stages: Array<{ stage: string; visitors: number }> }>({ id, token }, 'funnel');
    expect(funnel.stages.map((s) => s.visitors)).toEqual([1, 0, 1, 1, 0]);
  });

  it('counts a resent batch as duplicates and keeps one row per event', async () => {
    const { id } = await registerSite();
    const batch = { v: 1, site: id, sent_at: now(), events: freshEvents() };
    await postEvents(batch);
    const again = await postEvents(batch);
    expect(await again.json()).toEqual({ accepted: 0, duplicates: batch.events.length, rejected: [] });
    const half = { ...batch, events: [...batch.events.slice(0, 3), ...freshEvents(2)] };
    expect(await (await postEvents(half)).json()).toEqual({ accepted: 2, duplicates: 3, rejected: [] });
    expect((await rows(id)).length).toBe(batch.events.length + 2);
  });

  it('keeps the valid events of a partial batch and lists each rejected one by index with its code', async () => {
    const { id } = await registerSite();
    const good = freshEvents(3);
    const bad = INVALID_EVENTS.map((f) => f.event);
    const events = [good[0], ...bad, good[1], good[2]];
    const res = await postEvents({ v: 1, site: id, sent_at: now(), events });
    const reply = (await res.json()) as BatchReply;
    expect(reply.accepted).toBe(3);
    expect(reply.rejected).toEqual(INVALID_EVENTS.map((f, i) => ({ index: i + 1, error: f.error })));
    expect((await rows(id)).map((r) => r.id)).toEqual(good.map((e) => e.id));
  });

  for (const { name, body, error } of INVALID_BATCHES) {
    it(`refuses a whole batch when ${name}: 400 ${error}, nothing stored`, async () => {
      const { id } = await registerSite();
      const b = body as Record<string, unknown>;
      // Point the fixture at this test's site unless the site itself is what is wrong.
      const sent = !Array.isArray(body) && b.site === 'shop' ? { ...b, site: id } : body;
      const res = await postEvents(sent);
      expect(res.status).toBe(400);
      // The code for programs, and a sentence saying what a batch must be for the person sending it by hand.
      expect(await res.json()).toEqual({
        error,
        message: expect.stringMatching(/^(the body|v|site|sent_at|a batch) /),
      });
      expect(await rows(id)).toEqual([]);
    });
  }

  it('answers 400 invalid-json for a body that is not JSON or not UTF-8', async () => {
    for (const body of ['{"v":1,', '', new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])]) {
      const res = await call('/v1/events', { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({
        error: 'invalid-json',
        message: expect.stringMatching(/^the body is not (JSON|UTF-8 text)$/),
      });
    }
  });

  it('accepts the text/plain body of a beacon', async () => {
    const { id } = await registerSite();
    const events = freshEvents(2);
    const res = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' },
      body: JSON.stringify({ v: 1, site: id, sent_at: now(), events }),
    });
    expect(await res.json()).toEqual({ accepted: 2, duplicates: 0, rejected: [] });
    expect(res.headers.get('access-control-allow-origin')).toBe('https://shop.example');
  });

  it('reads a body sent with no content type as JSON', async () => {
    const { id, ingestKey } = await registerSite();
    const res = await call('/v1/events', {
      method: 'POST',
      headers: { 'x-parcours-key': ingestKey },
      body: new TextEncoder().encode(JSON.stringify({ v: 1, site: id, sent_at: now(), events: freshEvents(1) })),
    });
    expect(await res.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
  });

  it('refuses other content types with 415', async () => {
    const { id } = await registerSite();
    for (const type of ['application/x-www-form-urlencoded', 'multipart/form-data; boundary=x', 'application/xml']) {
      const res = await postEvents(
        { v: 1, site: id, sent_at: now(), events: freshEvents(1) },
        { 'content-type': type },
      );
      expect(res.status).toBe(415);
      expect(await res.json()).toEqual({
        error: 'unsupported-media-type',
        message: 'the content type is application/json or text/plain',
      });
    }
    expect(await rows(id)).toEqual([]);
  });

  it('refuses a body over the limit with 413 and stores nothing, with or without Content-Length', async () => {
    const { id } = await registerSite();
    const events = freshEvents(1);
    // Valid JSON, one byte over the limit: padding in an ignored field.
    const head = JSON.stringify({ v: 1, site: id, sent_at: now(), events, pad: '' });
    const big = head.replace('"pad":""', `"pad":"${'x'.repeat(MAX_BODY_BYTES - head.length + 1)}"`);
    expect(new TextEncoder().encode(big).byteLength).toBe(MAX_BODY_BYTES + 1);

    const withLength = await postEvents(big);
    expect(withLength.status).toBe(413);
    expect(await withLength.json()).toEqual({
      error: 'payload-too-large',
      message: 'the body is at most 1000000 bytes',
    });

    // Chunked: no Content-Length, the body is a stream of 64 KiB pieces.
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream<Uint8Array>({
      start(ctl) {
        for (let i = 0; i < bytes.length; i += 65_536) ctl.enqueue(bytes.slice(i, i + 65_536));
        ctl.close();
      },
    });
    // From the site's origin: a sender the site refuses is refused from the body's first kilobyte (403).
    const chunked = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin: 'https://shop.example' },
      body: stream,
    });
    expect(chunked.status).toBe(413);

    // A Content-Length that lies (says small, sends big) is bounded by what is read.
    const lying = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'content-length': '100' },
      body: new ReadableStream({
        start: (ctl) => {
          ctl.enqueue(bytes);
          ctl.close();
        },
      }),
    });
    expect(lying.status).toBe(413);
    expect(await rows(id)).toEqual([]);

    // Exactly at the limit is fine.
    const fits = big.replace('x"', '"');
    expect((await postEvents(fits)).status).toBe(200);
    expect((await rows(id)).length).toBe(1);
  });

  it('answers an unknown site and a disallowed origin with the same 403 forbidden, without CORS headers, and stores nothing', async () => {
    const { id, ingestKey } = await registerSite({ origins: ['https://shop.example'] });
    const batch = { v: 1, site: id, sent_at: now(), events: freshEvents(1) };
    const unknown = await postEvents({ ...batch, site: 'nobody-here' }, { origin: 'https://evil.example' });
    const otherOrigin = await postEvents(batch, { origin: 'https://evil.example' });
    const unknownFromServer = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ ...batch, site: 'nobody-here' }),
    });
    for (const res of [unknown, otherOrigin, unknownFromServer]) {
      expect(res.status).toBe(403);
      expect(await res.json()).toEqual({ error: 'forbidden' });
      expect([...res.headers.keys()].filter((k) => k.startsWith('access-control-'))).toEqual([]);
    }
    expect(await rows(id)).toEqual([]);
    const server = await call('/v1/events', {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-parcours-key': ingestKey },
      body: JSON.stringify(batch),
    });
    expect(await server.json()).toEqual({ accepted: 1, duplicates: 0, rejected: [] });
    const any = await registerSite({ origins: ['*'] });
    const fromAnywhere = await postEvents({ ...batch, site: any.id }, { origin: 'https://anything.example' });
    expect(fromAnywhere.status).toBe(200);
  });

  it('answers a preflight with the site origin, POST, content-type and a max age; refuses other origins', async () => {
    const { id } = await registerSite({ origins: ['https://pre.example'] });
    const pre = (origin: string, q = '') =>
      call(`/v1/events${q}`, {
        method: 'OPTIONS',
        headers: { origin, 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
      });
    for (const q of ['', `?site=${id}`]) {
      const ok = await pre('https://pre.example', q);
      expect(ok.status).toBe(204);
      expect(ok.headers.get('access-control-allow-origin')).toBe('https://pre.example');
      expect(ok.headers.get('access-control-allow-methods')).toBe('POST');
      expect(ok.headers.get('access-control-allow-headers')).toBe('content-type');
      expect(Number(ok.headers.get('access-control-max-age'))).toBeGreaterThan(0);
    }
    const no = await pre('https://evil.example', `?site=${id}`);
    expect(no.headers.get('access-control-allow-origin')).toBeNull();
    const elsewhere = await registerSite({ origins: ['https://other.example'] });
    expect(
      (await pre('https://pre.example', `?site=${elsewhere.id}`)).headers.get('access-control-allow-origin'),
    ).toBeNull();
  });

  it('corrects client clock skew from sent_at and the receive time, and keeps the raw values', async () => {
    const { id } = await registerSite();
    const skew = 3 * 3600_000; // the client clock is three hours fast
    const before = now();
    const sentAt = before + skew;
    const [a, b] = freshEvents(2);
    a!.ts = sentAt - 60_000; // a minute before sending, on the client clock
    b!.ts = sentAt - 1000;
    await postEvents({ v: 1, site: id, sent_at: sentAt, events: [a, b] });
    const after = now();
    const [ra, rb] = await rows(id);
    expect(ra!.ts).toBe(a!.ts);
    expect(ra!.sent_at).toBe(sentAt);
    expect(ra!.received_at).toBeGreaterThanOrEqual(before);
    expect(ra!.received_at).toBeLessThanOrEqual(after);
    expect(ra!.time).toBe(ra!.received_at - 60_000);
    expect(rb!.time - ra!.time).toBe(59_000);
  });

  it('takes an offset of a few seconds for travel time, not skew: two batches keep their order whatever their delays', async () => {
    const { id } = await registerSite();
    const sentAt = now();
    const [first, second] = freshEvents(2);
    first!.ts = sentAt - 300;
    second!.ts = sentAt - 220; // 80 ms later on the client
    // The first batch says it left 1.2 s ago (a slow network), the second 20 ms ago.
    await postEvents({ v: 1, site: id, sent_at: sentAt - 1200, events: [{ ...first!, ts: first!.ts - 1200 }] });
    await postEvents({ v: 1, site: id, sent_at: sentAt - 20, events: [{ ...second!, ts: second!.ts - 20 }] });
    const [a, b] = (await rows(id)).sort((x, y) => x.ts - y.ts);
    expect(a!.time).toBe(a!.ts);
    expect(b!.time).toBe(b!.ts);
    expect(a!.time).toBeLessThan(b!.time);
  });

  it('corrects a clock a few seconds fast (a negative offset is never travel time), keeping the events apart', async () => {
    const { id } = await registerSite();
    const before = now();
    const sentAt = before + 5_000; // the client clock is five seconds fast
    const [a, b] = freshEvents(2);
    a!.ts = sentAt - 900;
    b!.ts = sentAt - 100;
    await postEvents({ v: 1, site: id, sent_at: sentAt, events: [a, b] });
    const [ra, rb] = (await rows(id)).sort((x, y) => x.ts - y.ts);
    expect(rb!.time - ra!.time).toBe(800);
    expect(rb!.time).toBeLessThanOrEqual(rb!.received_at);
  });

  it('clamps a corrected time in the future to the receive time and one months back to 30 days, keeping the raw ts', async () => {
    const { id } = await registerSite();
    const sentAt = now();
    const [future, ancient, late] = freshEvents(3);
    future!.ts = sentAt + 7 * 864e5;
    ancient!.ts = sentAt - 400 * 864e5;
    late!.ts = sentAt - 5 * 864e5; // an outbox delivering five days late: kept as is
    await postEvents({ v: 1, site: id, sent_at: sentAt, events: [future, ancient, late] });
    const byId = new Map((await rows(id)).map((r) => [r.id, r]));
    const f = byId.get(future!.id)!;
    expect(f.time).toBe(f.received_at);
    expect(f.ts).toBe(future!.ts);
    const o = byId.get(ancient!.id)!;
    expect(o.time).toBe(o.received_at - 30 * 864e5);
    expect(o.ts).toBe(ancient!.ts);
    const l = byId.get(late!.id)!;
    // Sent a moment ago by a right clock: no correction, the event keeps its time.
    expect(l.time).toBe(late!.ts);
  });

  it('stores all 500 events of a full batch (many statements under the bound-parameter limit)', async () => {
    const { id } = await registerSite();
    const events = freshEvents(500);
    const res = await postEvents({ v: 1, site: id, sent_at: now(), events });
    expect(await res.json()).toEqual({ accepted: 500, duplicates: 0, rejected: [] });
    expect((await rows(id)).length).toBe(500);
    const again = await postEvents({ v: 1, site: id, sent_at: now(), events });
    expect(await again.json()).toEqual({ accepted: 0, duplicates: 500, rejected: [] });
  });

  it('answers 405 for other methods', async () => {
    expect((await call('/v1/events')).status).toBe(405);
  });

  it('stores no IP address: the client address sent by the edge appears nowhere in the row', async () => {
    const { id } = await registerSite();
    await postEvents(
      { v: 1, site: id, sent_at: now(), events: freshEvents(2) },
      { 'cf-connecting-ip': '203.0.113.77' },
    );
    const stored = await rows(id);
    expect(stored.length).toBe(2);
    expect(JSON.stringify(stored)).not.toContain('203.0.113.77');
  });
});

describe('paths', () => {
  it('stores a path once per site, whatever number of events, page views and rollups name it, and reports answer its text', async () => {
    const [one, two] = [await registerSite(), await registerSite()];
    const long = `/p/${'x'.repeat(1700)}`;
    const views = (visitor: string, paths: string[], at: number) =>
      paths.map((path, i) =>
        wire({ type: 'page_view', ts: at + i * 1000, stage: 'awareness', visitor, session: visitor, path }),
      );
    const at = Date.now() - 600_000;
    expect((await send(one.id, views('a', [long, long, '/short'], at))).accepted).toBe(3);
    expect((await send(one.id, views('b', [long], at + 60_000))).accepted).toBe(1);
    expect((await send(two.id, views('c', [long], at))).accepted).toBe(1);

    // The text in one row of one table per site: events, page views, transitions and page_days hold its id.
    expect(await rowsNaming(one.id, long)).toEqual({ paths: 1 });
    expect(await rowsNaming(two.id, long)).toEqual({ paths: 1 });
    expect(await rowsNaming(one.id, '/short')).toEqual({ paths: 1 });

    // Pages by friction score (the short path is an exit): each path with its views.
    const friction = await report(one, 'friction');
    const pages = new Map(friction.pages.map((p: { path: string; views: number }) => [p.path, p.views]));
    expect(pages).toEqual(
      new Map([
        [long, 3],
        ['/short', 1],
      ]),
    );
    // The export answers each event as received.
    const exported = await (await get(one, 'events')).text();
    expect(exported.split('\n').filter((line) => line.includes(long.slice(3)))).toHaveLength(3);
  });

  it('stores a path of at most 2,048 characters once encoded, cut where a character ends', async () => {
    const site = await registerSite();
    // The url is cut to 2,048 characters, but its path of é encodes each to 6: over 12,000 characters.
    const view = wire({ type: 'page_view', ts: Date.now() - 60_000, stage: 'awareness', visitor: 'a', session: 'a' });
    view.url = `${view.url}${'é'.repeat(3_000)}`;
    expect((await send(site.id, [view])).accepted).toBe(1);
    const friction = await report(site, 'friction');
    const [page] = friction.pages as Array<{ path: string }>;
    expect(page!.path.length).toBeLessThanOrEqual(2048);
    expect(page!.path.length).toBeGreaterThan(2048 - 6);
    expect(decodeURIComponent(page!.path)).toMatch(/^\/é+$/);
  });
});
