// Batches both packages test against: what the script must produce and what the collector must accept or refuse.
import type { Batch, BatchError, EventError, WireEvent } from './wire.ts';

const T = 1_763_899_990_000;

/** A valid event of each kind, as the script sends them. */
export const VALID_EVENTS: WireEvent[] = [
  {
    id: '0193a1b2-0000-7000-8000-000000000001',
    type: 'page_view',
    ts: T,
    stage: 'consideration',
    visitor: 'v-fixture-1',
    session: 's-fixture-1',
    url: 'https://shop.example/p/mug',
    title: 'Mug',
    referrer: 'https://search.example/',
  },
  {
    id: '0193a1b2-0000-7000-8000-000000000002',
    type: 'add_to_cart',
    ts: T + 1000,
    stage: 'decision',
    visitor: 'v-fixture-1',
    session: 's-fixture-1',
    url: 'https://shop.example/p/mug',
    items: [{ item_id: 'sku-42', item_name: 'Mug', price: 12.5, quantity: 1 }],
    value: 12.5,
    currency: 'EUR',
  },
  {
    id: '0193a1b2-0000-7000-8000-000000000003',
    type: 'form_start',
    ts: T + 2000,
    stage: 'decision',
    visitor: 'v-fixture-1',
    session: 's-fixture-1',
    url: 'https://shop.example/checkout',
    form: 'checkout',
  },
  {
    id: '0193a1b2-0000-7000-8000-000000000004',
    type: 'form_abandon',
    ts: T + 3000,
    stage: 'decision',
    visitor: 'v-fixture-1',
    session: 's-fixture-1',
    url: 'https://shop.example/checkout',
    form: 'checkout',
    last_field: 'email',
    fields_touched: 2,
    duration_ms: 1000,
  },
  {
    id: '0193a1b2-0000-7000-8000-000000000005',
    type: 'page_leave',
    ts: T + 4000,
    stage: 'decision',
    visitor: 'v-fixture-1',
    session: 's-fixture-1',
    url: 'https://shop.example/checkout',
    duration_ms: 2000,
    scroll_pct: 80,
  },
  {
    id: '0193a1b2-0000-7000-8000-000000000006',
    type: 'purchase',
    ts: T + 5000,
    stage: 'decision',
    visitor: 'v-fixture-1',
    session: 's-fixture-1',
    url: 'https://shop.example/checkout/done',
    items: [{ item_id: 'sku-42', price: 12.5, quantity: 2 }],
    value: 25,
    currency: 'EUR',
    transaction_id: 'T-1001',
  },
  {
    id: '0193a1b2-0000-7000-8000-000000000007',
    type: 'quote_request',
    ts: T + 6000,
    stage: 'consideration',
    visitor: 'v-fixture-1',
    session: 's-fixture-1',
    url: 'https://shop.example/quote?utm_source=news',
    props: { plan: 'team', seats: 12 },
  },
];

export const VALID_BATCH: Batch = { v: 1, site: 'shop', sent_at: T + 10_000, events: VALID_EVENTS };

/** Envelopes the collector refuses whole, with the code it answers. */
export const INVALID_BATCHES: Array<{ name: string; body: unknown; error: BatchError }> = [
  { name: 'not an object', body: [VALID_BATCH], error: 'invalid-batch' },
  { name: 'events missing', body: { v: 1, site: 'shop', sent_at: T }, error: 'invalid-batch' },
  { name: 'events not an array', body: { v: 1, site: 'shop', sent_at: T, events: {} }, error: 'invalid-batch' },
  { name: 'unknown version', body: { ...VALID_BATCH, v: 2 }, error: 'unsupported-version' },
  { name: 'site missing', body: { v: 1, sent_at: T, events: [] }, error: 'invalid-site' },
  { name: 'site with SQL in it', body: { ...VALID_BATCH, site: "shop'; DROP TABLE events;--" }, error: 'invalid-site' },
  { name: 'sent_at as a string', body: { ...VALID_BATCH, sent_at: String(T) }, error: 'invalid-sent-at' },
  {
    name: 'too many events',
    body: { ...VALID_BATCH, events: Array.from({ length: 501 }, () => VALID_EVENTS[0]) },
    error: 'too-many-events',
  },
];

/** Events the collector refuses one by one (kept out of an otherwise valid batch), with their code. */
export const INVALID_EVENTS: Array<{ name: string; event: unknown; error: EventError }> = [
  { name: 'not an object', event: 'page_view', error: 'invalid-event' },
  { name: 'id missing', event: { ...VALID_EVENTS[0], id: undefined }, error: 'invalid-id' },
  { name: 'id too long', event: { ...VALID_EVENTS[0], id: 'x'.repeat(65) }, error: 'invalid-id' },
  { name: 'type with markup', event: { ...VALID_EVENTS[0], type: '<script>' }, error: 'invalid-type' },
  { name: 'ts as a string', event: { ...VALID_EVENTS[0], ts: String(T) }, error: 'invalid-ts' },
  { name: 'ts NaN-like', event: { ...VALID_EVENTS[0], ts: null }, error: 'invalid-ts' },
  { name: 'ts a century off', event: { ...VALID_EVENTS[0], ts: T * 100 }, error: 'invalid-ts' },
  { name: 'stage missing', event: { ...VALID_EVENTS[0], stage: '' }, error: 'invalid-stage' },
  { name: 'stage not in the site list', event: { ...VALID_EVENTS[0], stage: 'nirvana' }, error: 'unknown-stage' },
  { name: 'visitor an object', event: { ...VALID_EVENTS[0], visitor: { id: 1 } }, error: 'invalid-visitor' },
  { name: 'url not http', event: { ...VALID_EVENTS[0], url: 'javascript:alert(1)' }, error: 'invalid-url' },
  { name: 'duration as a string', event: { ...VALID_EVENTS[0], duration_ms: '1200' }, error: 'invalid-number' },
  { name: 'negative value', event: { ...VALID_EVENTS[5], value: -25 }, error: 'invalid-amount' },
  { name: 'negative value as a string', event: { ...VALID_EVENTS[5], value: '-25' }, error: 'invalid-amount' },
  {
    name: 'negative price',
    event: { ...VALID_EVENTS[1], items: [{ item_id: 'sku-42', price: -12.5, quantity: 1 }] },
    error: 'invalid-amount',
  },
  {
    name: 'fractional quantity',
    event: { ...VALID_EVENTS[1], items: [{ item_id: 'sku-42', price: 12.5, quantity: 1.5 }] },
    error: 'invalid-amount',
  },
  {
    name: 'zero quantity',
    event: { ...VALID_EVENTS[1], items: [{ item_id: 'sku-42', price: 12.5, quantity: 0 }] },
    error: 'invalid-amount',
  },
  {
    name: 'refund without a value',
    event: { ...VALID_EVENTS[5], type: 'refund', value: undefined },
    error: 'invalid-amount',
  },
  { name: 'refund of 0', event: { ...VALID_EVENTS[5], type: 'refund', value: 0 }, error: 'invalid-amount' },
];
