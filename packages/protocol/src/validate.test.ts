import { describe, expect, it } from 'vitest';
import {
  CLICK_ID_PARAMS,
  DEFAULT_STAGES,
  MAX_ITEM_TEXT_LENGTH,
  OUTBOX_CAP,
  parseBatch,
  cleanText,
  isStageList,
  type WireEvent,
} from './index.ts';
import { INVALID_BATCHES, INVALID_EVENTS, VALID_BATCH, VALID_EVENTS } from './fixtures.ts';

const stages = DEFAULT_STAGES;

describe('parseBatch', () => {
  it('accepts every valid fixture event unchanged', () => {
    const r = parseBatch(structuredClone(VALID_BATCH), { stages });
    if (!r.ok) throw new Error(r.error);
    expect(r.rejected).toEqual([]);
    expect(r.events.map((e) => e.event)).toEqual(
      VALID_EVENTS.map((e) => (e.items ? { ...e, items: e.items.map((i) => ({ quantity: 1, ...i })) } : e)),
    );
  });

  for (const { name, body, error } of INVALID_BATCHES) {
    it(`refuses a whole batch when ${name} (${error})`, () => {
      expect(parseBatch(body, { stages })).toEqual({ ok: false, error });
    });
  }

  for (const { name, event, error } of INVALID_EVENTS) {
    it(`rejects one event when ${name} (${error}) and keeps the valid ones`, () => {
      const r = parseBatch({ ...VALID_BATCH, events: [VALID_EVENTS[0], event, VALID_EVENTS[2]] }, { stages });
      if (!r.ok) throw new Error(r.error);
      expect(r.rejected).toEqual([{ index: 1, error }]);
      expect(r.events.map((e) => e.index)).toEqual([0, 2]);
    });
  }

  it('reads cart fields the way GA4 does: numbers in strings, ids as text, and leaves out what it cannot read, keeping the event', () => {
    const raw = {
      ...VALID_EVENTS[1],
      items: [
        { item_id: 42, item_name: 'Mug', price: '12.50', quantity: '2', item_brand: { no: 1 }, extra: 'x' },
        { price: 3 },
        'not an item',
        { item_name: 'Filter', price: 'free' },
        { item_id: 'y', price: '0x10', quantity: ' 3 ' },
        { item_id: '   ', item_name: ' Kettle ' },
      ],
      value: '25',
      currency: 'eur',
      transaction_id: 1001,
    };
    const r = parseBatch(
      {
        ...VALID_BATCH,
        events: [raw, { ...VALID_EVENTS[1], id: 'lenient-2', items: 'mug', value: 'lots', currency: 'euros' }],
      },
      { stages },
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.rejected).toEqual([]);
    const [a, b] = r.events.map((e) => e.event);
    expect(a).toMatchObject({
      items: [
        { item_id: '42', item_name: 'Mug', price: 12.5, quantity: 2 },
        { item_name: 'Filter', quantity: 1 },
        { item_id: 'y', quantity: 3 },
        { item_name: 'Kettle', quantity: 1 },
      ],
      value: 25,
      currency: 'EUR',
      transaction_id: '1001',
    });
    expect(a!.items![0]).not.toHaveProperty('item_brand');
    expect(b).not.toHaveProperty('items');
    expect(b).not.toHaveProperty('value');
    expect(b).not.toHaveProperty('currency');
  });

  it('keeps an opaque customer reference on cart events only, and leaves out one that looks like contact data', () => {
    const cart = (id: string, customer: unknown, type = 'add_to_cart') => ({ ...VALID_EVENTS[1], id, type, customer });
    const r = parseBatch(
      {
        ...VALID_BATCH,
        events: [
          cart('c1', 'c_1234567'),
          cart('c2', 'ada@example.com', 'purchase'),
          cart('c3', '+33 6 12 34 56 78'),
          cart('c4', '(555) 123-4567'),
          cart('c5', 'x'.repeat(65)),
          cart('c6', 'cust-42', 'page_view'),
          cart('c7', 'cust-42', 'purchase'),
          cart('c8', 1234),
        ],
      },
      { stages },
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.rejected).toEqual([]);
    expect(r.events.map((e) => e.event.customer)).toEqual([
      'c_1234567',
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
      'cust-42',
      '1234',
    ]);
  });

  it('accepts amounts of 0 and up, and a refund with a positive value; rejects negative amounts and partial quantities', () => {
    const refund = { ...VALID_EVENTS[5], id: 'refund-1', type: 'refund', value: '25', items: undefined };
    const free = { ...VALID_EVENTS[1], id: 'free-1', items: [{ item_id: 'gift', price: 0, quantity: '3' }], value: 0 };
    const r = parseBatch(
      {
        ...VALID_BATCH,
        events: [
          refund,
          free,
          { ...refund, id: 'refund-2', value: -25 },
          { ...free, id: 'free-2', items: [{ item_id: 'gift', quantity: 2.5 }] },
        ],
      },
      { stages },
    );
    if (!r.ok) throw new Error(r.error);
    expect(r.rejected).toEqual([
      { index: 2, error: 'invalid-amount' },
      { index: 3, error: 'invalid-amount' },
    ]);
    expect(r.events.map((e) => e.event)).toMatchObject([
      { type: 'refund', value: 25 },
      { items: [{ item_id: 'gift', price: 0, quantity: 3 }], value: 0 },
    ]);
  });

  it('keeps friction events with their target, clicks, error and field, cut to their limits', () => {
    const base = { ...VALID_EVENTS[0], title: undefined, referrer: undefined };
    const events = [
      { ...base, id: 'f1', type: 'rage_click', target: 'button.buy', clicks: 7 },
      { ...base, id: 'f2', type: 'dead_click', target: 'x'.repeat(200) },
      { ...base, id: 'f3', type: 'error_click', target: 'checkout', error: 'TypeError app.js:12' },
      { ...base, id: 'f4', type: 'quick_back', duration_ms: 1800 },
      { ...base, id: 'f5', type: 'field_error', form: 'checkout', field: 'coupon' },
    ];
    const r = parseBatch({ ...VALID_BATCH, events }, { stages });
    if (!r.ok) throw new Error(r.error);
    expect(r.rejected).toEqual([]);
    const [rage, dead, error, back, field] = r.events.map((e) => e.event);
    expect(rage).toMatchObject({ type: 'rage_click', target: 'button.buy', clicks: 7 });
    expect(dead!.target).toHaveLength(80);
    expect(error).toMatchObject({ target: 'checkout', error: 'TypeError app.js:12' });
    expect(back).toMatchObject({ type: 'quick_back', duration_ms: 1800 });
    expect(field).toMatchObject({ form: 'checkout', field: 'coupon' });
    const bad = parseBatch(
      { ...VALID_BATCH, events: [{ ...base, id: 'f6', type: 'rage_click', clicks: 'many' }] },
      { stages },
    );
    expect(bad.ok && bad.rejected).toEqual([{ index: 0, error: 'invalid-number' }]);
  });

  it('keeps at most 20 per-field entries on form events, leaving out those without a field name', () => {
    const fields = [
      { field: 'email', hesitation_ms: 1200.4, refocuses: 2, errors: 1 },
      { field: 'coupon' },
      { hesitation_ms: 5 },
      'zip',
      ...Array.from({ length: 30 }, (_, i) => ({ field: `f${i}`, refocuses: 0, errors: 0 })),
    ];
    const r = parseBatch({ ...VALID_BATCH, events: [{ ...VALID_EVENTS[3], fields }] }, { stages });
    if (!r.ok) throw new Error(r.error);
    const kept = r.events[0]!.event.fields!;
    expect(kept.slice(0, 2)).toEqual([
      { field: 'email', hesitation_ms: 1200, refocuses: 2, errors: 1 },
      { field: 'coupon', refocuses: 0, errors: 0 },
    ]);
    expect(kept).toHaveLength(18);
  });

  it('gives an event sent without a stage the stage its type or path says, as a server-side sender may send it', () => {
    const stageOf = (type: string, path: string, list: readonly string[] = stages) => {
      const { stage: _, ...event } = {
        ...VALID_EVENTS[0]!,
        id: `e-${type}`,
        type,
        url: `https://shop.example${path}?q=1`,
        ...(type === 'refund' ? { value: 5, currency: 'EUR' } : {}),
      };
      const r = parseBatch({ v: 1, site: 'shop', sent_at: event.ts, events: [event] }, { stages: list });
      if (!r.ok) throw new Error(r.error);
      expect(r.rejected, `${type} ${path}`).toEqual([]);
      return r.events[0]!.event.stage;
    };
    expect(stageOf('purchase', '/thanks')).toBe('decision');
    expect(stageOf('add_to_cart', '/blog/gift-guide')).toBe('decision');
    expect(stageOf('view_item', '/')).toBe('consideration');
    expect(stageOf('page_view', '/blog/brewing')).toBe('awareness');
    expect(stageOf('refund', '/orders/1042')).toBe('retention');
    expect(stageOf('quote_request', '/about')).toBe('awareness');
    // A site's own list: names it lacks are skipped, down to its first stage.
    const own = ['discovery', 'reflection', 'decision'];
    expect(stageOf('add_to_cart', '/p/mug', own)).toBe('decision');
    expect(stageOf('page_view', '/blog/brewing', own)).toBe('discovery');
    expect(stageOf('add_to_cart', '/p/mug', ['look', 'buy'])).toBe('look');
  });

  it('rejects a second event with the same id in one batch', () => {
    const r = parseBatch({ ...VALID_BATCH, events: [VALID_EVENTS[0], VALID_EVENTS[0]] });
    expect(r.ok && r.rejected).toEqual([{ index: 1, error: 'duplicate-in-batch' }]);
  });

  it('drops unknown fields and prototype keys, keeps primitive props', () => {
    const raw = JSON.parse(
      '{"id":"e1x","type":"signup","ts":1763899990000,"stage":"awareness","visitor":"v1","session":"s1","url":"https://a.example/","ip":"1.2.3.4","props":{"__proto__":{"admin":true},"constructor":1,"plan":"pro","nested":{"a":1},"n":2}}',
    );
    const r = parseBatch({ ...VALID_BATCH, events: [raw] });
    if (!r.ok) throw new Error(r.error);
    const ev = r.events[0]!.event as WireEvent & { ip?: string };
    expect(ev.ip).toBeUndefined();
    expect(ev.props).toEqual({ plan: 'pro', n: 2 });
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it('cuts long text and strips lone surrogates', () => {
    const r = parseBatch({ ...VALID_BATCH, events: [{ ...VALID_EVENTS[0], title: 'a\uD800b' + 'x'.repeat(1000) }] });
    if (!r.ok) throw new Error(r.error);
    const title = r.events[0]!.event.title!;
    expect(title.length).toBe(256);
    expect(title.startsWith('abx')).toBe(true);
    expect(cleanText('😀😀', 3)).toBe('😀');
  });

  it('cuts item texts and form and field names to MAX_ITEM_TEXT_LENGTH, keeping the event', () => {
    const long = (c: string) => c.repeat(5000);
    const item = {
      item_id: long('i'),
      item_name: long('n'),
      item_category: long('c'),
      item_variant: long('v'),
      item_brand: long('b'),
    };
    const fields = [{ field: long('f'), hesitation_ms: 10 }];
    const r = parseBatch(
      {
        ...VALID_BATCH,
        events: [
          { ...VALID_EVENTS[1], id: 'i1', type: 'add_to_cart', items: [item], transaction_id: long('t') },
          { ...VALID_EVENTS[0], id: 'i2', type: 'form_abandon', form: long('F'), last_field: long('L'), fields },
          { ...VALID_EVENTS[0], id: 'i3', type: 'field_error', form: long('F'), field: long('x') },
          { ...VALID_EVENTS[0], id: 'i4', title: long('T') },
        ],
      },
      { stages },
    );
    if (!r.ok) throw new Error(r.error);
    const [cart, abandon, error, view] = r.events.map((e) => e.event);
    expect(r.rejected).toEqual([]);
    expect(cart!.items).toEqual([
      {
        item_id: 'i'.repeat(100),
        item_name: 'n'.repeat(100),
        item_category: 'c'.repeat(100),
        item_variant: 'v'.repeat(100),
        item_brand: 'b'.repeat(100),
        quantity: 1,
      },
    ]);
    expect(MAX_ITEM_TEXT_LENGTH).toBe(100);
    expect(cart!.transaction_id).toBe('t'.repeat(128));
    expect([abandon!.form, abandon!.last_field, abandon!.fields![0]!.field]).toEqual(
      ['F', 'L', 'f'].map((c) => c.repeat(100)),
    );
    expect([error!.form, error!.field]).toEqual(['F'.repeat(100), 'x'.repeat(100)]);
    expect(view!.title).toBe('T'.repeat(256)); // a title is prose, not a name: 256
  });

  it("keeps a page view's click-id parameter name and drops any other value, or one on another event, keeping the event", () => {
    const events = [
      ...CLICK_ID_PARAMS.map((click_id, i) => ({ ...VALID_EVENTS[0], id: `click-${i}`, click_id })),
      { ...VALID_EVENTS[0], id: 'click-value', click_id: 'Cj0KCQiA-value' },
      { ...VALID_EVENTS[0], id: 'click-proto', click_id: '__proto__' },
      { ...VALID_EVENTS[0], id: 'click-number', click_id: 1 },
      { ...VALID_EVENTS[2], id: 'click-form', click_id: 'gclid' },
    ];
    const r = parseBatch({ ...VALID_BATCH, events }, { stages });
    if (!r.ok) throw new Error(r.error);
    expect(r.rejected).toEqual([]);
    expect(r.events.map((e) => e.event.click_id)).toEqual([
      ...CLICK_ID_PARAMS,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect(CLICK_ID_PARAMS).toEqual(['gclid', 'gbraid', 'wbraid', 'msclkid', 'fbclid', 'ttclid', 'li_fat_id']);
  });

  it('removes control and format characters from every text it stores, prop keys included, and keeps ZWJ and ZWNJ', () => {
    const dirty = 'a\u202Eb\u200Bc\u001B[31md\u0000e\tf\ng\u2066h\uFEFFi\u00ADj\u0085k\uD800l';
    const raw = JSON.parse(
      JSON.stringify({
        ...VALID_EVENTS[1],
        title: dirty,
        referrer: `https://r.example/${dirty}`,
        form: dirty,
        last_field: dirty,
        url: `https://shop.example/${dirty}`,
        items: [{ item_id: dirty, item_name: `\u200B ${dirty} \u200B`, price: 1 }],
        transaction_id: dirty,
        props: { [`k\u202E${dirty}`]: dirty, ['__pro\u200Bto__']: 'x', ['\u200B']: 'y' },
      }),
    );
    const r = parseBatch({ ...VALID_BATCH, events: [raw] }, { stages });
    if (!r.ok) throw new Error(r.error);
    const clean = 'abc[31mdefghijkl';
    expect(r.events[0]!.event).toMatchObject({
      title: clean,
      referrer: `https://r.example/${clean}`,
      form: clean,
      last_field: clean,
      url: `https://shop.example/${clean}`,
      items: [{ item_id: clean, item_name: clean }],
      transaction_id: clean,
    });
    expect(r.events[0]!.event.props).toEqual({ [`k${clean}`]: clean });
    expect(JSON.stringify(r.events[0]!.event)).not.toMatch(/[\p{Cc}\p{Cf}]/u);
    expect(cleanText('👨\u200D👩\u200D👧 خانه\u200Cها', 100)).toBe('👨\u200D👩\u200D👧 خانه\u200Cها');
  });

  it('reports dropped counts from the outbox', () => {
    const r = parseBatch({ ...VALID_BATCH, dropped: 7 });
    expect(r.ok && r.dropped).toBe(7);
  });

  it('clamps a dropped count to what the outbox can drop, and reads a bad one as 0, keeping the events', () => {
    for (const [sent, read] of [
      [1e9, OUTBOX_CAP],
      [OUTBOX_CAP + 1, OUTBOX_CAP],
      [OUTBOX_CAP, OUTBOX_CAP],
      [2.6, 3],
      [-5, 0],
      ['9', 0],
      [null, 0],
    ] as const) {
      const r = parseBatch({ ...VALID_BATCH, dropped: sent });
      expect(r.ok && r.dropped, String(sent)).toBe(read);
      expect(r.ok && r.events.length).toBe(VALID_BATCH.events.length);
    }
  });
});

describe('isStageList', () => {
  it('accepts ordered distinct names and refuses empty, duplicate or odd lists', () => {
    expect(isStageList(['discovery', 'reflection', 'decision'])).toBe(true);
    expect(isStageList([])).toBe(false);
    expect(isStageList(['a', 'a'])).toBe(false);
    expect(isStageList(['a b'])).toBe(false);
    expect(isStageList(Array.from({ length: 21 }, (_, i) => `s${i}`))).toBe(false);
  });
});

describe('feedback', () => {
  const feedback = { ...VALID_EVENTS[7]! };
  const parse = (events: unknown[]) => {
    const r = parseBatch({ ...VALID_BATCH, events }, { stages });
    if (!r.ok) throw new Error(r.error);
    return r;
  };

  it('keeps every whole score of each scale, ends included, and no other', () => {
    const scores = Array.from({ length: 14 }, (_, i) => i - 1);
    for (const [kind, [min, max]] of Object.entries({ nps: [0, 10], csat: [1, 5], ces: [1, 7] })) {
      const r = parse(scores.map((score) => ({ ...feedback, id: `${kind}-${score}`, kind, score })));
      expect(r.events.map((e) => e.event.score)).toEqual(scores.filter((s) => s >= min! && s <= max!));
      expect(r.rejected.every((x) => x.error === 'invalid-feedback')).toBe(true);
    }
  });

  it('keeps a feedback without a survey (a site asking with its own UI), and a shown or dismissed survey without a score', () => {
    const r = parse([
      { ...feedback, id: 'a', survey: undefined },
      { ...feedback, id: 'b', type: 'survey_shown', score: undefined },
      { ...feedback, id: 'c', type: 'survey_dismissed', score: 3 },
    ]);
    expect(r.rejected).toEqual([]);
    expect(r.events.map((e) => [e.event.type, e.event.kind, e.event.score, e.event.survey])).toEqual([
      ['feedback', 'csat', 4, undefined],
      ['survey_shown', 'csat', undefined, 'post-purchase'],
      ['survey_dismissed', 'csat', undefined, 'post-purchase'],
    ]);
  });

  it('drops kind, score and survey from events that are not about a survey', () => {
    const r = parse([{ ...VALID_EVENTS[0], kind: 'nps', score: 3, survey: 'x' }]);
    expect(r.events[0]!.event).toEqual(VALID_EVENTS[0]);
  });
});
