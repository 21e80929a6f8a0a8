// Hostile input against POST /v1/events: generated payloads (fast-check) and the hand-written cases of issue 7.
// Full run: `HOSTILE_RUNS=10000 pnpm --filter @parcours/collector run test:hostile` (the default run is a fast slice).
import { env } from 'cloudflare:workers';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DEFAULT_STAGES,
  MAX_BODY_BYTES,
  MAX_ITEM_TEXT_LENGTH,
  MAX_TS,
  MIN_TS,
  type BatchReply,
} from '@parcours/protocol';
import { VALID_EVENTS } from '@parcours/protocol/fixtures';
import { call, freshEvents, registerSite } from '../../test/helpers.ts';
import { pathTextSql } from '../db/insert-sql.ts';
import { TABLE } from '../db/schema.ts';
import { siteDatabases, siteDb } from '../../test/site-rows.ts';

const RUNS = Math.max(40, Number((env as unknown as { HOSTILE_RUNS?: string }).HOSTILE_RUNS ?? 300));
/** Generous time for a generated run: about 25 ms a request here, 100 ms allowed. */
const GENERATED_TIMEOUT = Math.max(60_000, RUNS * 100);

/** Every code the README documents, by status. */
const DOCUMENTED: Record<number, string[]> = {
  400: ['invalid-json', 'invalid-batch', 'unsupported-version', 'invalid-site', 'invalid-sent-at', 'too-many-events'],
  403: ['forbidden'],
  413: ['payload-too-large'],
  415: ['unsupported-media-type'],
  429: ['rate-limited', 'quota-exceeded'],
};
const EVENT_ERRORS = new Set([
  'invalid-event',
  'invalid-id',
  'invalid-type',
  'invalid-ts',
  'invalid-stage',
  'unknown-stage',
  'invalid-visitor',
  'invalid-session',
  'invalid-url',
  'invalid-number',
  'invalid-amount',
  'duplicate-in-batch',
  'storage-failed',
]);

const statuses = new Map<number, number>();
let requests = 0;
let acceptedTotal = 0;
let address = 0;

/** Posts a raw body as a client would; each request from its own address so the flood limit stays out of the way. */
async function send(body: BodyInit, headers: Record<string, string> = {}) {
  address++;
  const res = await call('/v1/events', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'cf-connecting-ip': `198.18.${(address >> 8) & 255}.${address & 255}`,
      ...headers,
    },
    body,
  });
  requests++;
  statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
  const json = (await res.json()) as BatchReply & { error?: string };
  expect(res.status, JSON.stringify(json)).toBeLessThan(500);
  if (res.status === 200) {
    for (const r of json.rejected) expect(EVENT_ERRORS.has(r.error), r.error).toBe(true);
    acceptedTotal += json.accepted;
  } else {
    expect(DOCUMENTED[res.status], `status ${res.status}`).toBeDefined();
    expect(DOCUMENTED[res.status]).toContain(json.error);
  }
  return { status: res.status, json };
}

/** An object with these own keys, `__proto__` included (a literal would set the prototype instead). */
function own(entries: Array<[string, unknown]>): Record<string, unknown> {
  const o: Record<string, unknown> = {};
  for (const [k, v] of entries)
    Object.defineProperty(o, k, { value: v, enumerable: true, writable: true, configurable: true });
  return o;
}

const NASTY_STRINGS = [
  `'; DROP TABLE ${TABLE.events}; --`,
  '" OR 1=1 --',
  `Robert'); DELETE FROM ${TABLE.sites}; --`,
  '\\',
  '%00',
  '\u0000',
  '\uD800',
  '\uDFFF',
  'a\uD83Dz',
  '😀'.repeat(200),
  'x'.repeat(70_000),
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'NaN',
  '1e400',
  '',
  ' ',
  '\n\r\t',
  '../../etc/passwd',
  'javascript:alert(1)',
  'http://',
  'https://[::1',
  'https://a.example/' + 'p/'.repeat(3000),
];
const NASTY_NUMBERS = [
  NaN,
  Infinity,
  -Infinity,
  1e308,
  -1e308,
  2 ** 63,
  Number.MAX_SAFE_INTEGER + 2,
  -0,
  1e-320,
  0,
  -1,
  MIN_TS - 1,
  MAX_TS + 1,
  4.5,
];
const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'id',
  'type',
  'ts',
  'stage',
  'visitor',
  'session',
  'url',
  'items',
  'props',
  'value',
  'currency',
  'form',
  'last_field',
  'duration_ms',
  'toString',
];

const hostileString = fc.oneof(
  fc.constantFrom(...NASTY_STRINGS),
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.string({ maxLength: 20 }),
);
const hostileNumber = fc.oneof(fc.constantFrom(...NASTY_NUMBERS), fc.double(), fc.integer());
const hostileKey = fc.oneof(fc.constantFrom(...KEYS), fc.string({ unit: 'binary', maxLength: 12 }));
const { value: hostileValue } = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    hostileString,
    hostileNumber,
    fc.boolean(),
    fc.constant(null),
    fc.array(tie('value'), { maxLength: 4 }),
    fc.array(fc.tuple(hostileKey, tie('value')), { maxLength: 4 }).map(own),
  ),
}));

/** A fixture event with some fields replaced, removed or added by hostile values. */
const hostileEvent = fc.oneof(
  fc
    .tuple(
      fc.constantFrom(...VALID_EVENTS),
      fc.array(fc.tuple(hostileKey, hostileValue), { minLength: 1, maxLength: 4 }),
      fc.uuid(),
      fc.uuid(),
    )
    // A visitor per event, as in real traffic: one visitor holding every generated event would only measure re-derivation.
    .map(([base, changes, id, visitor]) =>
      own([
        ...Object.entries({ ...base, id, visitor: `h-${visitor.slice(0, 13)}`, ts: Date.now() - 5000 }),
        ...changes,
      ]),
    ),
  hostileValue,
);

// Sites of this file: their stored rows are checked against the schema at the end.
const sites: string[] = [];
/** Each site's ingest key: the hand-written cases post as a server would, without Origin. */
const keys = new Map<string, string>();
async function site(): Promise<string> {
  const { id, ingestKey } = await registerSite({ origins: ['https://shop.example'] });
  sites.push(id);
  keys.set(id, ingestKey);
  return id;
}
/** The header of a server sending to `id`. */
const asServer = (id: string) => ({ 'x-parcours-key': keys.get(id)! });

describe('hostile input, generated', () => {
  it(
    `keeps every valid event of ${Math.round(RUNS / 2)} mixed batches and never answers 5xx`,
    async () => {
      const id = await site();
      await fc.assert(
        fc.asyncProperty(
          fc.array(hostileEvent, { minLength: 1, maxLength: 12 }),
          fc.integer({ min: 0, max: 8 }),
          async (bad, nGood) => {
            const good = freshEvents(nGood);
            const events: unknown[] = [...bad];
            const goodAt: number[] = [];
            for (const g of good) {
              const at = Math.floor(Math.random() * (events.length + 1));
              events.splice(at, 0, g);
            }
            for (const [i, e] of events.entries()) if (good.includes(e as never)) goodAt.push(i);
            const { status, json } = await send(JSON.stringify({ v: 1, site: id, sent_at: Date.now(), events }), {
              origin: 'https://shop.example',
            });
            expect(status).toBe(200);
            expect(json.accepted + json.duplicates + json.rejected.length).toBe(events.length);
            const rejectedAt = new Set(json.rejected.map((r) => r.index));
            for (const i of goodAt) expect(rejectedAt.has(i)).toBe(false);
            if (good.length) {
              const ids = good.map((g) => g.id);
              const stored = await siteDb(id)
                .prepare(
                  `SELECT count(*) AS n FROM ${TABLE.events} WHERE site = ? AND id IN (${ids.map(() => '?').join(',')})`,
                )
                .bind(id, ...ids)
                .first<{ n: number }>();
              expect(stored!.n).toBe(good.length);
            }
          },
        ),
        { numRuns: Math.round(RUNS / 2) },
      );
    },
    GENERATED_TIMEOUT,
  );

  it(
    `answers only documented codes to ${Math.round(RUNS / 4)} batches with hostile envelopes`,
    async () => {
      const id = await site();
      const envelope = fc.array(
        fc.tuple(
          fc.constantFrom('v', 'site', 'sent_at', 'events', 'dropped', '__proto__', 'constructor'),
          hostileValue,
        ),
        { minLength: 1, maxLength: 3 },
      );
      await fc.assert(
        fc.asyncProperty(
          envelope,
          fc.constantFrom(undefined, 'key', 'wrong-key', 'https://shop.example', 'https://evil.example', 'null'),
          async (changes, sender) => {
            const body = own([
              ...Object.entries({ v: 1, site: id, sent_at: Date.now(), events: freshEvents(2) }),
              ...changes,
            ]);
            const headers: Record<string, string> =
              sender === 'key'
                ? asServer(id)
                : sender === 'wrong-key'
                  ? { 'x-parcours-key': 'x'.repeat(43) }
                  : sender
                    ? { origin: sender }
                    : {};
            await send(JSON.stringify(body), headers);
          },
        ),
        { numRuns: Math.round(RUNS / 4) },
      );
    },
    GENERATED_TIMEOUT,
  );

  it(
    `answers only documented codes to ${Math.round(RUNS / 4)} arbitrary bodies and content types`,
    async () => {
      const body = fc.oneof(
        fc.jsonValue().map((v) => JSON.stringify(v) ?? ''),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }),
      );
      const type = fc.constantFrom(
        'application/json',
        'text/plain;charset=UTF-8',
        'text/html',
        'application/x-www-form-urlencoded',
        'APPLICATION/JSON; charset=latin1',
        '',
      );
      await fc.assert(
        fc.asyncProperty(body, type, async (b, t) => void (await send(b, { 'content-type': t }))),
        { numRuns: Math.round(RUNS / 4) },
      );
    },
    GENERATED_TIMEOUT,
  );
});

describe('hostile input, hand-written', () => {
  const batch = (id: string, events: unknown[], extra: Record<string, unknown> = {}) =>
    JSON.stringify({ v: 1, site: id, sent_at: Date.now(), events, ...extra });

  it('refuses bodies over the limit, with and without Content-Length', async () => {
    const id = await site();
    const big = batch(id, freshEvents(1), { pad: 'x'.repeat(MAX_BODY_BYTES) });
    expect((await send(big, asServer(id))).status).toBe(413);
    const bytes = new TextEncoder().encode(big);
    const stream = new ReadableStream({
      pull: (c) => {
        c.enqueue(bytes);
        c.close();
      },
    });
    expect((await send(stream, asServer(id))).status).toBe(413);
  });

  it('answers deep nesting with 400 or by dropping the nested props, never 5xx', async () => {
    const id = await site();
    const deep = '['.repeat(400_000) + ']'.repeat(400_000);
    expect((await send(deep, asServer(id))).json).toMatchObject({ error: 'invalid-batch' });
    const deepObject = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    expect((await send(deepObject, asServer(id))).status).toBe(400);
    const [e] = freshEvents(1);
    const nestedProps = JSON.stringify({
      v: 1,
      site: id,
      sent_at: Date.now(),
      events: [{ ...e, props: { plan: 'pro' } }],
    }).replace('"plan":"pro"', `"plan":"pro","deep":${'{"a":'.repeat(5000)}1${'}'.repeat(5000)}`);
    const { json } = await send(nestedProps, asServer(id));
    expect(json.accepted).toBe(1);
    const row = await siteDb(id)
      .prepare(`SELECT data FROM ${TABLE.events} WHERE id = ?`)
      .bind(e!.id)
      .first<{ data: string }>();
    expect(JSON.parse(row!.data).props).toEqual({ plan: 'pro' });
  });

  it('strips invalid UTF-16 surrogates and NUL from stored text', async () => {
    const id = await site();
    const [e] = freshEvents(1);
    const body = batch(id, [{ ...e, title: 'X' }]).replace('"title":"X"', '"title":"a\\ud800b\\udfffc\\u0000d"');
    expect((await send(body, asServer(id))).json.accepted).toBe(1);
    const row = await siteDb(id)
      .prepare(`SELECT data FROM ${TABLE.events} WHERE id = ?`)
      .bind(e!.id)
      .first<{ data: string }>();
    expect(JSON.parse(row!.data).title).toBe('abcd');
  });

  it('strips control and format characters (bidi overrides, zero-width spaces, ESC) from every stored text', async () => {
    const id = await site();
    const [e] = freshEvents(1);
    const dirty = 'check\u202Eout\u200B\u001B[2J\u2067\u00AD';
    const { json } = await send(
      batch(id, [
        {
          ...e,
          title: dirty,
          form: dirty,
          last_field: dirty,
          url: `https://shop.example/${dirty}`,
          props: { [dirty]: dirty },
        },
      ]),
      asServer(id),
    );
    expect(json.accepted).toBe(1);
    const row = await siteDb(id)
      .prepare(`SELECT form, last_field, ${pathTextSql('path_id')} AS path, data FROM ${TABLE.events} WHERE id = ?`)
      .bind(e!.id)
      .first<{ form: string; last_field: string; path: string; data: string }>();
    expect(row).toMatchObject({ form: 'checkout[2J', last_field: 'checkout[2J', path: '/checkout[2J' });
    expect(JSON.parse(row!.data)).toMatchObject({ title: 'checkout[2J', props: { 'checkout[2J': 'checkout[2J' } });
  });

  it('drops __proto__ and constructor keys at every level without polluting prototypes', async () => {
    const id = await site();
    const [e] = freshEvents(1);
    const text = batch(id, [{ ...e, props: { ok: 1 } }], { x: 1 })
      .replace('"x":1', '"__proto__":{"polluted":true},"constructor":{"prototype":{"polluted":true}}')
      .replace('"ok":1', '"ok":1,"__proto__":{"polluted":true},"constructor":"c"')
      .replace('"visitor"', '"__proto__":{"polluted":true},"visitor"');
    const { json } = await send(text, asServer(id));
    expect(json.accepted).toBe(1);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    const row = await siteDb(id)
      .prepare(`SELECT data FROM ${TABLE.events} WHERE id = ?`)
      .bind(e!.id)
      .first<{ data: string }>();
    expect(row!.data).not.toContain('polluted');
    expect(JSON.parse(row!.data).props).toEqual({ ok: 1 });
  });

  it('rejects numbers sent as strings, NaN, infinite and huge numbers one event at a time, but reads cart amounts as GA4 does', async () => {
    const id = await site();
    const [a, b, c, d, ok] = freshEvents(5);
    const events = [
      { ...a, ts: String(a!.ts) },
      { ...b, scroll_pct: '50' },
      { ...c, value: '12.5' },
      // biome-ignore lint/correctness/noPrecisionLoss: 1e400 is Infinity on purpose, a number JSON cannot carry
      { ...d, duration_ms: 1e400 },
      ok,
    ];
    const { json } = await send(batch(id, events).replace('"duration_ms":null', '"duration_ms":1e400'), asServer(id));
    expect(json.rejected).toEqual([
      { index: 0, error: 'invalid-ts' },
      { index: 1, error: 'invalid-number' },
      { index: 3, error: 'invalid-number' },
    ]);
    expect(json.accepted).toBe(2);
    const row = await siteDb(id)
      .prepare(`SELECT data FROM ${TABLE.events} WHERE id = ?`)
      .bind(c!.id)
      .first<{ data: string }>();
    expect(JSON.parse(row!.data).value).toBe(12.5);
    // NaN is not JSON at all.
    expect((await send(batch(id, [ok]).replace(/"ts":\d+/, '"ts":NaN'), asServer(id))).json).toEqual({
      error: 'invalid-json',
      message: 'the body is not JSON',
    });
  });

  it('keeps timestamps years off the receive time, clamped into the last 30 days, raw ts kept', async () => {
    const id = await site();
    const [past, future] = freshEvents(2);
    past!.ts = Date.now() - 10 * 365 * 864e5;
    future!.ts = Date.now() + 50 * 365 * 864e5;
    expect((await send(batch(id, [past, future]), asServer(id))).json.accepted).toBe(2);
    const { results } = await siteDb(id)
      .prepare(`SELECT ts, time, received_at FROM ${TABLE.events} WHERE id IN (?, ?)`)
      .bind(past!.id, future!.id)
      .all<{ ts: number; time: number; received_at: number }>();
    for (const r of results) {
      expect(r.time).toBeLessThanOrEqual(r.received_at);
      expect(r.time).toBeGreaterThanOrEqual(r.received_at - 30 * 864e5);
    }
    expect(results.map((r) => r.ts).sort()).toEqual([past!.ts, future!.ts].sort());
  });

  it('stores SQL metacharacters verbatim in text and rejects them in ids and names', async () => {
    const id = await site();
    const [a, b] = freshEvents(2);
    const sql = `'); DROP TABLE ${TABLE.events}; --"`;
    const { json } = await send(
      batch(id, [
        { ...a, form: sql, last_field: sql, title: sql, props: { q: sql } },
        { ...b, visitor: sql },
      ]),
      asServer(id),
    );
    expect(json).toMatchObject({ accepted: 1, rejected: [{ index: 1, error: 'invalid-visitor' }] });
    const row = await siteDb(id)
      .prepare(`SELECT form, last_field, data FROM ${TABLE.events} WHERE id = ?`)
      .bind(a!.id)
      .first<{ form: string; last_field: string; data: string }>();
    expect(row).toMatchObject({ form: sql, last_field: sql });
    expect(JSON.parse(row!.data).props.q).toBe(sql);
    for (const db of siteDatabases(id))
      expect(
        (await db
          .prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = '${TABLE.events}'`)
          .first<{ n: number }>())!.n,
      ).toBe(1);
  });

  it('cuts very long strings to the documented lengths', async () => {
    const id = await site();
    const [e] = freshEvents(1);
    const { json } = await send(
      batch(id, [
        { ...e, title: 't'.repeat(500_000), form: 'f'.repeat(10_000), url: `https://shop.example/${'p'.repeat(5000)}` },
      ]),
      asServer(id),
    );
    expect(json.accepted).toBe(1);
    const row = await siteDb(id)
      .prepare(`SELECT form, ${pathTextSql('path_id')} AS path, data FROM ${TABLE.events} WHERE id = ?`)
      .bind(e!.id)
      .first<{ form: string; path: string; data: string }>();
    expect(row!.form.length).toBe(MAX_ITEM_TEXT_LENGTH);
    expect(JSON.parse(row!.data).title.length).toBe(256);
    expect(JSON.parse(row!.data).url.length).toBe(2048);
  });

  it('refuses a batch one event over the limit and stores all of a batch at the limit (needing far more than 100 bound parameters)', async () => {
    const id = await site();
    expect((await send(batch(id, freshEvents(501)), asServer(id))).json).toEqual({
      error: 'too-many-events',
      message: 'a batch holds at most 500 events',
    });
    expect((await send(batch(id, freshEvents(500)), asServer(id))).json).toEqual({
      accepted: 500,
      duplicates: 0,
      rejected: [],
    });
  });
});

// Whatever was sent, every stored row must be one the schema and the reports can trust.
afterAll(async () => {
  // Every row of every database these sites' rows may be in (D1, and each site's shard in the sharded layout).
  const results: Record<string, unknown>[] = [];
  for (const db of new Set(sites.flatMap(siteDatabases)))
    results.push(
      ...(
        await db
          .prepare(`SELECT *, ${pathTextSql('path_id')} AS path FROM ${TABLE.events}`)
          .all<Record<string, unknown>>()
      ).results,
    );
  expect(results.length).toBeGreaterThan(0);
  const NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/;
  const lone = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;
  const forbidden = new Set(['__proto__', 'constructor', 'prototype']);
  // Control and format characters (ZWJ and ZWNJ excepted: see cleanText).
  const controls = /(?![\u200C\u200D])[\p{Cc}\p{Cf}]/u;
  const checkText = (v: unknown): void => {
    if (typeof v === 'string') {
      expect(lone.test(v)).toBe(false);
      expect(controls.test(v), JSON.stringify(v)).toBe(false);
    } else if (Array.isArray(v)) v.forEach(checkText);
    else if (v && typeof v === 'object')
      for (const [k, x] of Object.entries(v)) {
        expect(forbidden.has(k)).toBe(false);
        expect(controls.test(k), JSON.stringify(k)).toBe(false);
        checkText(x);
      }
  };
  for (const r of results) {
    expect(sites).toContain(r.site);
    for (const k of ['id', 'visitor', 'session', 'stage']) expect(String(r[k])).toMatch(NAME);
    expect(r.type).toMatch(/^[A-Za-z][A-Za-z0-9_ .:-]{0,63}$/);
    expect(r.stage_index).toBe(DEFAULT_STAGES.indexOf(r.stage as never));
    expect(Number.isInteger(r.time) && Number.isInteger(r.ts) && Number.isInteger(r.received_at)).toBe(true);
    expect(r.time as number).toBeLessThanOrEqual(r.received_at as number);
    expect(r.time as number).toBeGreaterThanOrEqual((r.received_at as number) - 30 * 864e5);
    expect(r.ts as number).toBeGreaterThanOrEqual(MIN_TS);
    expect(r.ts as number).toBeLessThanOrEqual(MAX_TS);
    expect(String(r.path).startsWith('/')).toBe(true);
    expect(r.value === null || (Number.isFinite(r.value) && (r.value as number) >= 0)).toBe(true);
    expect(r.currency === null || /^[A-Z]{3}$/.test(String(r.currency))).toBe(true);
    const data = JSON.parse(String(r.data));
    expect(data.id).toBe(r.id);
    expect(data.visitor).toBe(r.visitor);
    checkText(data);
  }
  // Every event a reply counted as accepted is stored, and nothing else.
  expect(results.length).toBe(acceptedTotal);
  console.log(
    `hostile suite: ${requests} requests, ${results.length} rows stored and checked, statuses ${JSON.stringify(Object.fromEntries([...statuses].sort()))}`,
  );
}, GENERATED_TIMEOUT);
