// Known, deterministic journeys for the dashboard tests: visitors moving through the five stages, posted through POST /v1/events.
import type { WireEvent } from '@parcours/protocol';

const DAY = 86_400_000;
const MIN = 60_000;
/** A desktop browser: the collector counts, but does not store, what a crawler or headless browser sends. */
const BROWSER_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/140.0.0.0 Safari/537.36';

/** A small seeded PRNG (mulberry32): the same seed gives the same journeys on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export interface JourneyOptions {
  /** Origin of the page URLs; default `https://shop.example`. */
  origin?: string;
  /** How many visitors; default 40. */
  visitors?: number;
  /** Visitors start between `fromDaysAgo` and `toDaysAgo` days before `now`. */
  fromDaysAgo: number;
  toDaysAgo: number;
  seed: number;
  now?: number;
}

/**
 * Events of `visitors` journeys: a blog landing, most go on to a product page, some add to
 * cart, check out (filling the checkout form, some abandoning it at a field), buy or leave the
 * cart; some go back to comparing, some buyers come back to their account and buy again.
 */
export function journeys(opts: JourneyOptions): WireEvent[] {
  const rnd = random(opts.seed);
  const origin = opts.origin ?? 'https://shop.example';
  const now = opts.now ?? Date.now();
  const out: WireEvent[] = [];
  let n = 0;
  const pick = <T>(xs: T[]): T => xs[Math.floor(rnd() * xs.length)] as T;
  const posts = ['/blog/choosing-a-mug', '/blog/coffee-rituals', '/guide/gift-ideas'];
  const products = ['/product/mug', '/product/teapot', '/pricing'];
  for (let v = 0; v < (opts.visitors ?? 40); v++) {
    const visitor = `v-${opts.seed}-${v}`;
    let session = `${visitor}-s1`;
    let t = now - (opts.fromDaysAgo - rnd() * (opts.fromDaysAgo - opts.toDaysAgo)) * DAY;
    const ev = (type: string, stage: string, path: string, extra: Partial<WireEvent> = {}): void => {
      out.push({ id: `${visitor}-${n++}`, type, ts: Math.round(t), stage, visitor, session, url: `${origin}${path}`, ...extra });
      t += (0.5 + rnd() * 3) * MIN;
    };
    const view = (stage: string, path: string, leave = true): void => {
      ev('page_view', stage, path, { title: path });
      if (leave) ev('page_leave', stage, path, { duration_ms: Math.round(5_000 + rnd() * 120_000), scroll_pct: Math.round(rnd() * 100) });
    };
    view('awareness', pick(posts));
    if (rnd() < 0.3) continue; // bounced on the blog
    const product = pick(products);
    view('consideration', product, false);
    ev('view_item', 'consideration', product, { items: [{ item_id: product, price: 12.5, quantity: 1 }], value: 12.5, currency: 'EUR' });
    ev('page_leave', 'consideration', product, { duration_ms: Math.round(20_000 + rnd() * 200_000) });
    if (rnd() < 0.15) {
      view('consideration', '/contact', false);
      ev('form_start', 'consideration', '/contact', { form: 'contact' });
      ev('form_abandon', 'consideration', '/contact', { form: 'contact', last_field: pick(['email', 'message']), fields_touched: 1, duration_ms: 9000 });
      continue;
    }
    if (rnd() < 0.35) continue; // left while comparing
    const qty = 1 + Math.floor(rnd() * 3);
    const price = product === '/product/teapot' ? 39 : 12.5;
    ev('add_to_cart', 'decision', product, { items: [{ item_id: product, price, quantity: qty }], value: price * qty, currency: 'EUR' });
    view('decision', '/cart', false);
    if (rnd() < 0.25) continue; // cart abandoned on /cart
    if (rnd() < 0.2) {
      // Back to comparing before deciding: a backward move, then forward again.
      view('consideration', '/compare');
      view('decision', '/cart', false);
    }
    ev('begin_checkout', 'decision', '/checkout', { items: [{ item_id: product, price, quantity: qty }], value: price * qty, currency: 'EUR' });
    view('decision', '/checkout', false);
    ev('form_start', 'decision', '/checkout', { form: 'checkout' });
    if (rnd() < 0.3) {
      ev('form_abandon', 'decision', '/checkout', { form: 'checkout', last_field: pick(['phone', 'phone', 'card-number', 'postcode']), fields_touched: 3, duration_ms: 40_000 });
      continue; // checkout abandoned
    }
    ev('form_submit', 'decision', '/checkout', { form: 'checkout', duration_ms: 60_000 });
    ev('purchase', 'decision', '/checkout/done', { items: [{ item_id: product, price, quantity: qty }], value: price * qty, currency: 'EUR', transaction_id: `${visitor}-t1` });
    if (rnd() < 0.4) {
      t += (1 + rnd() * 2) * DAY;
      session = `${visitor}-s2`;
      view('retention', '/account/orders');
      if (rnd() < 0.5) {
        ev('add_to_cart', 'decision', '/product/mug', { items: [{ item_id: 'mug', price: 12.5, quantity: 1 }], value: 12.5, currency: 'EUR' });
        ev('purchase', 'decision', '/checkout/done', { items: [{ item_id: 'mug', price: 12.5, quantity: 1 }], value: 12.5, currency: 'EUR', transaction_id: `${visitor}-t2` });
      }
      if (rnd() < 0.3) view('advocacy', '/refer');
    }
  }
  // Nothing in the future: a journey started near `now` stops where the clock is.
  return out.filter((e) => e.ts < now);
}

/** Posts events to the collector as a browser would, in batches; throws unless every event is stored. */
export async function postEvents(url: string, site: string, events: WireEvent[], origin = 'https://shop.example'): Promise<void> {
  for (let i = 0; i < events.length; i += 400) {
    const chunk = events.slice(i, i + 400);
    const res = await fetch(`${url}/v1/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', origin, 'user-agent': BROWSER_UA },
      body: JSON.stringify({ v: 1, site, sent_at: Date.now(), events: chunk }),
    });
    const reply = (await res.json()) as { accepted?: number; duplicates?: number; rejected?: unknown[]; filtered?: number };
    if (res.status !== 200 || (reply.accepted ?? 0) + (reply.duplicates ?? 0) !== chunk.length) {
      throw new Error(`posting events: ${res.status} ${JSON.stringify(reply).slice(0, 500)}`);
    }
  }
}
