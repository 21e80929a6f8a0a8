import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { watchForms } from './form-tracking.ts';
import {
  DEAD_MS,
  describeError,
  FRICTION_PER_MINUTE,
  QUICK_BACK_MS,
  RAGE_MS,
  targetName,
  watchFriction,
} from './friction.ts';

type Sent = { type: string; fields: Record<string, any>; stage?: string; url?: string };
const sent: Sent[] = [];
const emit = (type: string, fields: Record<string, any>, stage?: string, url?: string) =>
  void sent.push({ type, fields, stage, url });
// One watcher for the file, as the script has one per page; forms too, for the per-field figures.
const abandonForms = watchForms((type, fields) => void sent.push({ type, fields }));
watchFriction(emit, true);

// happy-dom's PageTransitionEvent has no `persisted`: a page going into (and back from) the back/forward cache.
const cached = (type: string) => dispatchEvent(Object.defineProperty(new Event(type), 'persisted', { value: true }));
// A page view, as the tracker announces it.
const view = (url: string, stage = 'consideration') =>
  dispatchEvent(new CustomEvent('parcours:event', { detail: { type: 'page_view', url, stage, ts: Date.now() } }));
const of = (type: string) => sent.filter((s) => s.type == type);
const click = (el: Element, x = 10, y = 10) =>
  el.dispatchEvent(new MouseEvent('click', { bubbles: true, clientX: x, clientY: y }));

describe('friction', () => {
  // One fake clock for the file: the watcher's times must never go back.
  beforeAll(() => vi.useFakeTimers());
  afterAll(() => vi.useRealTimers());
  beforeEach(() => {
    // A new minute: the per-minute counts start again, and every watch of the previous test is over.
    vi.advanceTimersByTime(61_000);
    sent.length = 0;
  });
  afterEach(() => abandonForms());

  it('names a target by data-parcours-name, id, name, else tag and two classes, cut at 80, never by its text', () => {
    document.body.innerHTML =
      '<button data-parcours-name="buy" id="b1">Buy now</button><a id="home">Home</a><input name="coupon">' +
      '<button class="btn primary large">Secret text</button><div class="' +
      'x'.repeat(100) +
      '"></div>';
    const [named, byId, byName, byPath, long] = document.body.children;
    expect([named, byId, byName, byPath].map((el) => targetName(el!))).toEqual([
      'buy',
      'home',
      'coupon',
      'button.btn.primary',
    ]);
    expect(targetName(long!)).toHaveLength(80);
  });

  it('describes an error by its name, script file and line, never its message', () => {
    const error = new TypeError('card 4242 4242 declined at checkout.js:99:1');
    expect(
      describeError(
        new ErrorEvent('error', { error, filename: 'https://shop.example/js/app.js?v=3', lineno: 12 }) as never,
      ),
    ).toBe('TypeError app.js:12');
    error.stack =
      'TypeError: card 4242 4242 declined at checkout.js:99:1\n    at pay (https://shop.example/js/cart.js:31:7)\n    at x (https://shop.example/js/app.js:1:1)';
    expect(describeError({ type: 'unhandledrejection', reason: error } as never)).toBe('TypeError cart.js:31');
    // An inline script's file is the page's URL: its query (colons and all) never leaves the page, in either form.
    const secret = 'token=9f8e:abc&q=order:1234';
    expect(
      describeError(
        new ErrorEvent('error', { error, filename: `https://shop.example/reset?${secret}#x:1`, lineno: 12 }) as never,
      ),
    ).toBe('TypeError reset:12');
    error.stack = `TypeError: x\n    at https://shop.example/reset?${secret}:12:5\n    at f (https://shop.example/a.js?v=1:2:3)`;
    expect(describeError({ type: 'unhandledrejection', reason: error } as never)).toBe('TypeError reset:12');
    expect(describeError({ type: 'unhandledrejection', reason: 'my password is hunter2' } as never)).toBe('Error');
  });

  it('sends a rage click for 3 clicks within a second and 30 px, with how many, once the series is over', () => {
    document.body.innerHTML = '<button class="buy">Buy</button><p>text</p>';
    const button = document.querySelector('button')!;
    for (let i = 0; i < 5; i++) click(button, 10 + i * 5, 10);
    // Far away: a new series, which ends the first.
    click(document.querySelector('p')!, 300, 300);
    expect(of('rage_click')).toEqual([{ type: 'rage_click', fields: { target: 'button.buy', clicks: 5 } }]);
    click(button, 10, 10);
    click(button, 10, 10);
    vi.advanceTimersByTime(RAGE_MS);
    expect(of('rage_click')).toHaveLength(1);
  });

  it('sends at most FRICTION_PER_MINUTE events of a kind a minute, whatever the page fires', () => {
    document.body.innerHTML = '<button>x</button>';
    const button = document.querySelector('button')!;
    // Series of 3 clicks, each far from the last: 3,333 rage clicks, and one dead click watched at a time.
    for (let i = 0; i < 10_000; i++) click(button, (Math.floor(i / 3) % 2) * 500, 0);
    vi.advanceTimersByTime(DEAD_MS + RAGE_MS);
    expect(of('rage_click')).toHaveLength(FRICTION_PER_MINUTE);
    expect(of('dead_click')).toHaveLength(1);
    vi.advanceTimersByTime(61_000);
    for (let i = 0; i < 3; i++) click(button, 0, 0);
    vi.advanceTimersByTime(RAGE_MS);
    expect(of('rage_click')).toHaveLength(FRICTION_PER_MINUTE + 1);
  });

  it('sends a dead click for an actionable element after which nothing changes, not when the DOM changes or the page scrolls', async () => {
    document.body.innerHTML =
      '<button id="dead">Apply</button><button id="live">Open</button><span id="plain">text</span><div id="scroller" role="button">go</div>';
    document.getElementById('live')!.addEventListener('click', () => document.body.append(document.createElement('p')));
    click(document.getElementById('dead')!);
    await vi.advanceTimersByTimeAsync(DEAD_MS);
    click(document.getElementById('live')!);
    await vi.advanceTimersByTimeAsync(DEAD_MS);
    click(document.getElementById('plain')!);
    await vi.advanceTimersByTimeAsync(DEAD_MS);
    click(document.getElementById('scroller')!);
    dispatchEvent(new Event('scroll'));
    await vi.advanceTimersByTimeAsync(DEAD_MS);
    // A link opening a tab: the page is hidden meanwhile.
    click(document.getElementById('dead')!);
    dispatchEvent(new Event('visibilitychange'));
    await vi.advanceTimersByTimeAsync(DEAD_MS);
    expect(of('dead_click').map((s) => s.fields)).toEqual([{ target: 'dead' }]);
  });

  it('sends an error click for an uncaught error or rejection within a second of a click, once per click', () => {
    document.body.innerHTML = '<button id="pay">Pay</button>';
    const error = new TypeError('x');
    dispatchEvent(new ErrorEvent('error', { error, filename: 'https://a.example/app.js', lineno: 3 }));
    click(document.getElementById('pay')!);
    dispatchEvent(new ErrorEvent('error', { error, filename: 'https://a.example/app.js', lineno: 3 }));
    dispatchEvent(new ErrorEvent('error', { error, filename: 'https://a.example/app.js', lineno: 4 }));
    click(document.getElementById('pay')!);
    vi.advanceTimersByTime(1_100);
    dispatchEvent(new ErrorEvent('error', { error, filename: 'https://a.example/app.js', lineno: 5 }));
    expect(of('error_click').map((s) => s.fields)).toEqual([{ target: 'pay', error: 'TypeError app.js:3' }]);
  });

  it('sends a field error on invalid, or on aria-invalid="true" set after input, and counts it in the form\'s fields', async () => {
    document.body.innerHTML = '<form id="checkout"><input name="coupon"><input name="email"></form><input id="loose">';
    const [coupon, email] = document.querySelectorAll('form input');
    // Set before any input (a page's initial markup): not an error of the visitor.
    email!.setAttribute('aria-invalid', 'true');
    email!.setAttribute('aria-invalid', 'false');
    coupon!.dispatchEvent(new FocusEvent('focusin', { bubbles: true }));
    vi.advanceTimersByTime(1200);
    coupon!.dispatchEvent(new Event('input', { bubbles: true }));
    coupon!.dispatchEvent(new Event('invalid'));
    coupon!.setAttribute('aria-invalid', 'true');
    await vi.advanceTimersByTimeAsync(0);
    coupon!.setAttribute('aria-invalid', 'true');
    email!.dispatchEvent(new FocusEvent('focusin', { bubbles: true }));
    coupon!.dispatchEvent(new FocusEvent('focusin', { bubbles: true }));
    await vi.advanceTimersByTimeAsync(0);
    expect(of('field_error').map((s) => s.fields)).toEqual([
      { form: 'checkout', field: 'coupon' },
      { form: 'checkout', field: 'coupon' },
    ]);
    abandonForms();
    expect(of('form_abandon')[0]!.fields.fields).toEqual([
      { field: 'coupon', hesitation_ms: 1200, refocuses: 1, errors: 2 },
      { field: 'email', hesitation_ms: undefined, refocuses: 0, errors: 0 },
    ]);
  });

  // A back through history, as the browser does it: the address changes, the history keeps its length, popstate.
  const back = (path: string) => {
    history.replaceState(null, '', path);
    dispatchEvent(new PopStateEvent('popstate'));
  };

  it('sends a quick back for a single-page route left by history within 5 s, with its url and stage', () => {
    history.replaceState(null, '', '/p/mug');
    view('https://shop.example/p/mug');
    vi.advanceTimersByTime(1500);
    back('/');
    view('https://shop.example/', 'awareness');
    vi.advanceTimersByTime(QUICK_BACK_MS);
    back('/p/mug');
    expect(of('quick_back')).toEqual([
      { type: 'quick_back', fields: { duration_ms: 1500 }, stage: 'consideration', url: 'https://shop.example/p/mug' },
    ]);
  });

  it('sends no quick back for a link to a fragment, which fires popstate too (a new history entry), nor for one to where the page is', () => {
    view('https://shop.example/guide');
    vi.advanceTimersByTime(500);
    // An in-page link (`#reviews`) or a hash router's: the browser adds a history entry, then fires popstate.
    location.hash = '#reviews';
    dispatchEvent(new PopStateEvent('popstate'));
    view('https://shop.example/guide');
    vi.advanceTimersByTime(500);
    // The same link again: no new entry, no new address, and Chromium and WebKit fire popstate all the same.
    dispatchEvent(new PopStateEvent('popstate'));
    vi.advanceTimersByTime(500);
    back('/guide');
    expect(of('quick_back')).toEqual([
      { type: 'quick_back', fields: { duration_ms: 1000 }, stage: 'consideration', url: 'https://shop.example/guide' },
    ]);
  });

  it('sends a quick back when the previous page comes back from the back/forward cache within 5 s of the last page view', () => {
    view('https://shop.example/');
    view('https://shop.example/p/bounce');
    vi.advanceTimersByTime(2000);
    cached('pagehide');
    cached('pageshow');
    view('https://shop.example/');
    view('https://shop.example/p/read');
    vi.advanceTimersByTime(QUICK_BACK_MS + 1);
    cached('pageshow');
    // Back from another site to this very page: no quick back.
    view(location.href);
    vi.advanceTimersByTime(1000);
    cached('pageshow');
    expect(of('quick_back')).toEqual([
      {
        type: 'quick_back',
        fields: { duration_ms: 2000 },
        stage: 'consideration',
        url: 'https://shop.example/p/bounce',
      },
    ]);
  });
});
