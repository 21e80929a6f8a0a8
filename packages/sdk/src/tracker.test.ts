import type { WireEvent } from '@parcours/protocol';
import { beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { cart, consent, feedback, flush, identify, init, page, stage, track } from './index.ts';
import { waiting } from './outbox.ts';
import { run } from './tracker.ts';

const events: WireEvent[] = [];
let replayed: WireEvent[] = [];
addEventListener('parcours:event', (e) => events.push((e as CustomEvent<WireEvent>).detail));
const last = () => events.at(-1)!;
const types = () => events.map((e) => e.type);

describe('the tracker through the npm API', () => {
  beforeAll(() => {
    vi.stubGlobal('fetch', async () => new Response('{"accepted":0,"duplicates":0,"rejected":[]}'));
    (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL(
      'https://shop.example/blog/post?q=my+secret&utm_source=news#top',
    );
    document.title = 'Post';
    // Calls made before init() are replayed before the first page view.
    stage('consideration');
    track('early_event', { a: 1 });
    init({ site: 'shop', endpoint: 'https://collector.example/', keepParams: 'ref' });
    replayed = [...events];
  });
  beforeEach(() => {
    events.length = 0;
  });

  it("sends calls queued before it started ahead of the first page view, with the page's url and declared stage", () => {
    expect(replayed.map((e) => [e.type, e.url, e.stage])).toEqual([
      ['early_event', 'https://shop.example/blog/post?utm_source=news', 'consideration'],
      ['page_view', 'https://shop.example/blog/post?utm_source=news', 'consideration'],
    ]);
  });

  it('sends the first page view with a clean url, the declared stage and ids that stay the same', () => {
    init({ site: 'other' }); // a second init is ignored
    track('ping');
    const [e] = events;
    expect(e).toMatchObject({
      type: 'ping',
      stage: 'consideration',
      url: 'https://shop.example/blog/post?utm_source=news',
    });
    expect(e!.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(localStorage.getItem('pcs')!.split(' ').slice(0, 2)).toEqual([e!.visitor, e!.session]);
  });

  it('tracks SPA routes as page views, leaving the previous page first, and ignores same-route replaceState', () => {
    history.pushState({}, '', '/pricing?plan=pro');
    history.replaceState({ scrolled: 1 }, '', '/pricing?plan=team');
    expect(types()).toEqual(['page_leave', 'page_view']);
    expect(events[0]).toMatchObject({ url: 'https://shop.example/blog/post?utm_source=news', stage: 'consideration' });
    expect(events[0]!.duration_ms).toBeGreaterThanOrEqual(0);
    expect(events[0]!.scroll_pct).toBeGreaterThanOrEqual(0);
    expect(events[1]).toMatchObject({
      url: 'https://shop.example/pricing',
      stage: 'consideration',
      referrer: 'https://shop.example/blog/post?utm_source=news',
    });
    location.hash = '#faq';
    window.dispatchEvent(new HashChangeEvent('hashchange'));
    expect(types()).toEqual(['page_leave', 'page_view', 'page_leave', 'page_view']);
  });

  it('gives events queued in the same millisecond increasing times, in the order they were made', () => {
    const now = vi.spyOn(Date, 'now').mockReturnValue(Date.UTC(2026, 11, 7));
    try {
      track('first');
      track('second');
      track('third');
    } finally {
      now.mockRestore();
    }
    const ts = events.map((e) => e.ts);
    expect(ts).toHaveLength(3);
    expect(ts[1]! - ts[0]!).toBe(1);
    expect(ts[2]! - ts[1]!).toBe(1);
  });

  it('resolves stages: explicit, commerce acts, page declaration, URL rules, view_item, heuristics', () => {
    history.pushState({}, '', '/guides/start');
    track('quote_request', { stage: 'decision', plan: 'team', nested: { no: 1 } });
    expect(last()).toMatchObject({ stage: 'decision', props: { plan: 'team' } });
    track('newsletter_signup');
    expect(last().stage).toBe('awareness');
    (window as unknown as { parcoursConfig: unknown }).parcoursConfig = { rules: { '/guides/*': 'consideration' } };
    track('newsletter_signup');
    expect(last().stage).toBe('consideration');
    cart('add', { items: [{ item_id: 'sku-1', price: 2 }], currency: 'EUR' });
    // A commerce act is decision over page declarations and URL rules; only an explicit stage overrides it.
    expect(last()).toMatchObject({ type: 'add_to_cart', stage: 'decision' });
    cart('add', { items: [{ item_id: 'sku-1', price: 2 }], stage: 'consideration' });
    expect(last()).toMatchObject({ type: 'add_to_cart', stage: 'consideration' });
    cart('view_item', { items: [{ item_id: 'sku-1' }] });
    expect(last()).toMatchObject({ type: 'view_item', stage: 'consideration' });
    delete (window as unknown as { parcoursConfig?: unknown }).parcoursConfig;
    cart('add', { items: [{ item_id: 'sku-1', price: 2 }] });
    expect(last()).toMatchObject({ type: 'add_to_cart', stage: 'decision', items: [{ item_id: 'sku-1', price: 2 }] });
    stage('retention');
    track('x');
    expect(last().stage).toBe('retention');
    page();
    track('x');
    expect(last().stage).toBe('awareness');
  });

  it('reads the page declaration from <meta name="parcours:stage">', () => {
    document.head.innerHTML = '<meta name="parcours:stage" content="decision">';
    track('x');
    expect(last().stage).toBe('decision');
    document.head.innerHTML = '';
  });

  it('accepts Segment names and, after a purchase, tags early stages retention', () => {
    history.pushState({}, '', '/blog/after');
    track('Order Completed', {
      transaction_id: 'T9',
      value: 10,
      currency: 'EUR',
      items: [{ item_id: 'a', price: 10 }],
    });
    expect(last()).toMatchObject({ type: 'purchase', stage: 'decision', transaction_id: 'T9' });
    track('read');
    expect(last().stage).toBe('retention');
  });

  it('sends a refund with its amounts as fields, as GA4 does, taking the page stage', () => {
    history.pushState({}, '', '/account/orders');
    track('refund', { transaction_id: 'T9', value: 10, currency: 'EUR' });
    expect(last()).toMatchObject({
      type: 'refund',
      transaction_id: 'T9',
      value: 10,
      currency: 'EUR',
      stage: 'retention',
    });
    expect(last()).not.toHaveProperty('props');
  });

  it('sends the customer reference with cart events only, refuses contact data, and forgets it on identify(null)', () => {
    identify('c_10042');
    cart('add', { items: [{ item_id: 'a' }], customer: 'spoofed' });
    expect(last()).toMatchObject({ type: 'add_to_cart', customer: 'c_10042' });
    track('quote_request');
    expect(last()).not.toHaveProperty('customer');
    identify('ada@example.com');
    identify('+44 20 7946 0958');
    identify('x'.repeat(65));
    cart('view', {});
    expect(last()).toMatchObject({ type: 'view_cart', customer: 'c_10042' });
    identify(null);
    cart('view', {});
    expect(last()).not.toHaveProperty('customer');
  });

  it("sends a feedback score with its kind, survey and the page's stage, and ignores any score off its scale", () => {
    history.pushState({}, '', '/account');
    events.length = 0;
    feedback('nps', 0, { survey: 'nps-account' });
    expect(last()).toMatchObject({
      type: 'feedback',
      kind: 'nps',
      score: 0,
      survey: 'nps-account',
      stage: 'retention',
    });
    // As the tag's window.parcours('feedback', kind, score, options) runs it.
    run('feedback', 'csat', 5);
    run('feedback', 'ces', 7, null);
    expect(events.slice(1).map((e) => [e.kind, e.score, e.survey])).toEqual([
      ['csat', 5, undefined],
      ['ces', 7, undefined],
    ]);
    events.length = 0;
    const bad: unknown[][] = [
      ['nps', 11],
      ['nps', -1],
      ['csat', 0],
      ['csat', 6],
      ['csat', 4.5],
      ['csat', '5'],
      ['ces', 8],
      ['ces', null],
      ['ces'],
      ['toString', 1],
      ['NPS', 5],
      [undefined, 5],
      ['nps', Number.NaN],
      ['nps', Infinity],
    ];
    expect(() => {
      for (const args of bad) run('feedback', ...args);
      feedback('nps', { valueOf: () => 5 } as never);
    }).not.toThrow();
    expect(events).toEqual([]);
  });

  it('sends nothing under Global Privacy Control', () => {
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: true, configurable: true });
    track('x');
    expect(events).toEqual([]);
    Object.defineProperty(navigator, 'globalPrivacyControl', { value: false, configurable: true });
    track('x');
    expect(events).toHaveLength(1);
  });

  it('stops, empties the outbox and forgets the visitor when consent is withdrawn, until it is given again', async () => {
    track('before');
    consent(false);
    await new Promise((r) => setTimeout(r, 20));
    track('during');
    expect(types()).toEqual(['before']);
    expect((await waiting())[0]).toEqual([]);
    consent(true);
    track('after');
    // Given again, the page's view is sent anew, for the new visitor.
    expect(types()).toEqual(['before', 'page_view', 'after']);
    expect(events[1]!.visitor).not.toBe(events[0]!.visitor);
    expect(events[2]!.visitor).toBe(events[1]!.visitor);
  });

  it('forgets what this tab holds when another tab withdraws consent: none of it is sent, even once given again', async () => {
    const bodies: string[] = [];
    vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
      bodies.push(init.body as string);
      return new Response('{"error":"x"}', { status: 503 });
    });
    try {
      track('held_here');
      await flush();
      // Another tab withdraws consent (this page is told by a storage event), then the visitor gives it again there.
      const otherTab = (value: string) => {
        localStorage.setItem('pco', value);
        dispatchEvent(new StorageEvent('storage', { key: 'pco', newValue: value }));
      };
      otherTab('0');
      otherTab('1');
      bodies.length = 0;
      vi.stubGlobal('fetch', async (_url: string, init: RequestInit) => {
        bodies.push(init.body as string);
        return new Response('{"accepted":0,"duplicates":0,"rejected":[]}');
      });
      await flush();
      expect(bodies.join()).not.toContain('held_here');
      expect((await waiting())[0].map((e) => e.type)).not.toContain('held_here');
    } finally {
      vi.stubGlobal('fetch', async () => new Response('{"accepted":0,"duplicates":0,"rejected":[]}'));
    }
  });

  it('sends the page view withheld while consent was withdrawn once consent is given on that page, once', () => {
    consent(false);
    page({ title: 'Landing' });
    expect(events).toEqual([]);
    consent(true);
    consent(true);
    // The page view now, and no page_leave of a view never sent before it.
    expect(types()).toEqual(['page_view']);
    page();
    expect(types()).toEqual(['page_view', 'page_leave', 'page_view']);
  });

  it('leaves out the title of a page whose address holds what the URL rule removes: it may echo it', () => {
    const setURL = (url: string) =>
      (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL(url);
    const was = location.href;
    const titles: Array<string | undefined> = [];
    try {
      for (const [url, title] of [
        ['https://shop.example/search?q=Blue+Mugs', 'Results for blue mugs - Shop'],
        ['https://shop.example/#/search?q=teapot', 'Teapot: 3 results'],
        ['https://shop.example/mug?gclid=abc123', 'Mug - Shop'],
        ['https://shop.example/mug?utm_source=news#reviews', 'Mug - Shop'],
      ]) {
        setURL(url!);
        document.title = title!;
        page();
        titles.push(last().title as string | undefined);
      }
    } finally {
      setURL(was);
      document.title = 'Post';
    }
    expect(titles).toEqual([undefined, undefined, undefined, 'Mug - Shop']);
  });

  it('writes the last activity once a second at most, and opens a new session after 30 idle minutes', () => {
    track('before');
    // Two seconds after the last event (events get increasing times, so not before the last one).
    const start = last().ts + 2000;
    events.length = 0;
    const now = vi.spyOn(Date, 'now');
    const activity = () => Number(localStorage.getItem('pcs')!.split(' ')[2]);
    try {
      now.mockReturnValue(start);
      track('a');
      expect(activity()).toBe(start);
      const written = activity();
      now.mockReturnValue(start + 500);
      track('b');
      expect(activity()).toBe(written);
      now.mockReturnValue(start + 1500);
      track('c');
      expect(activity()).toBeGreaterThanOrEqual(start + 1500);
      now.mockReturnValue(activity() + 30 * 60_000 - 1);
      track('d');
      now.mockReturnValue(activity() + 30 * 60_000);
      track('e');
    } finally {
      now.mockRestore();
    }
    const sessions = events.map((e) => e.session);
    expect(new Set(sessions.slice(0, 4)).size).toBe(1);
    expect(sessions[4]).not.toBe(sessions[0]);
  });

  it("sees another tab's consent and visitor at its next event", () => {
    track('first');
    // Another tab withdraws consent, then gives it back with a new visitor (and this page is told: a storage event).
    const otherTab = (key: string, value: string) => {
      localStorage.setItem(key, value);
      dispatchEvent(new StorageEvent('storage', { key, newValue: value }));
    };
    otherTab('pco', '0');
    track('withdrawn');
    otherTab('pco', '1');
    otherTab('pcs', `v-other s-other ${last().ts}`);
    track('given');
    expect(types()).toEqual(['first', 'given']);
    expect([events[1]!.visitor, events[1]!.session]).toEqual(['v-other', 's-other']);
  });

  it('never throws into the page, whatever it is called with', () => {
    expect(() => {
      track(undefined as never, null as never);
      cart('add', 'nonsense' as never);
      (window as unknown as { parcours?: unknown }).parcours;
      track('big', { n: 10n } as never);
    }).not.toThrow();
  });
});
