// Deterministic shop traffic for the report-latency bench: visitors, sessions and journeys of realistic shape.

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
const DAY = 86_400_000;

/** Seeded PRNG (mulberry32): the same seed gives the same history. */
export function createRandom(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pages of each stage: a blog, a catalogue of 300 products, cart and checkout, account, referral. */
const PAGES = [
  [...Array.from({ length: 80 }, (_, i) => `/blog/post-${i}`), ...Array.from({ length: 12 }, (_, i) => `/guides/guide-${i}`), '/'],
  [...Array.from({ length: 300 }, (_, i) => `/products/p-${i}`), '/pricing', '/compare', '/reviews'],
  ['/cart', '/checkout', '/checkout/payment'],
  ['/account', '/orders', '/support'],
  ['/refer', '/invite'],
];
const FIELDS = ['email', 'name', 'address', 'zip', 'card', 'phone'];

/**
 * Yields events (stored-row shape, `data` as the wire JSON) until `total` events, spread over
 * the 30 days before `now`: visitors come back in 1-4 sessions; a session walks pages forward
 * (and sometimes back) through the stages, reads products, adds to cart, checks out with a
 * form, pays or leaves; page_leave carries visible time; customers come back to their account.
 */
export function* shopTraffic(total, now, seed = 42) {
  const rnd = createRandom(seed);
  const pick = (list) => list[Math.floor(rnd() * list.length)];
  // Visible time: log-normal-ish around 20 s.
  const visible = () => Math.round(Math.exp(Math.log(20_000) + (rnd() + rnd() + rnd() - 1.5) * 2));
  let emitted = 0;
  let n = 0;
  while (emitted < total) {
    const visitor = `v-${(++n).toString(36)}-${Math.floor(rnd() * 1e9).toString(36)}`;
    let t = now - 30 * DAY + Math.floor(rnd() * 29 * DAY);
    const sessions = 1 + Math.floor(-Math.log(1 - rnd()) * 0.8);
    let customer = false;
    let cart = [];
    for (let s = 0; s < sessions && emitted < total; s++) {
      const session = `${visitor}-s${s}`;
      const ev = function* (type, stage, path, extra = {}) {
        t += 1000 + Math.floor(rnd() * 20_000);
        const e = { id: `${session}-${t.toString(36)}-${Math.floor(rnd() * 1e6).toString(36)}`, type, ts: t, stage: STAGES[stage], visitor, session, url: `https://shop.example${path}`, ...extra };
        emitted++;
        yield { e, stage, path };
      };
      // Where the visit starts: blog from search, a product from an ad, the account for customers.
      let stage = customer && rnd() < 0.5 ? 3 : rnd() < 0.55 ? 0 : 1;
      const pages = 1 + Math.floor(-Math.log(1 - rnd()) * 3);
      for (let p = 0; p < pages && emitted < total; p++) {
        const path = pick(PAGES[stage]);
        yield* ev('page_view', stage, path, { title: path.slice(1) || 'Home', referrer: p === 0 ? 'https://search.example/' : undefined });
        if (stage === 0 && rnd() < 0.04) {
          yield* ev('form_start', stage, path, { form: 'newsletter' });
          yield* rnd() < 0.6 ? ev('form_submit', stage, path, { form: 'newsletter', duration_ms: 8000 }) : ev('form_abandon', stage, path, { form: 'newsletter', last_field: 'email', fields_touched: 1, duration_ms: 5000 });
        }
        if (stage === 1 && path.startsWith('/products/')) {
          const item = { item_id: path.slice(10), price: 5 + (Number(path.slice(12)) % 40) * 2.5, quantity: 1 };
          if (rnd() < 0.7) yield* ev('view_item', stage, path, { items: [item], currency: 'EUR' });
          if (rnd() < 0.18) {
            cart.push(item);
            yield* ev('add_to_cart', 2, path, { items: [item], value: item.price, currency: 'EUR' });
          }
        }
        if (stage === 2 && path === '/cart' && cart.length) {
          yield* ev('view_cart', 2, path, { items: cart, currency: 'EUR' });
          if (rnd() < 0.15) yield* ev('remove_from_cart', 2, path, { items: [cart.pop()], currency: 'EUR' });
        }
        if (stage === 2 && path.startsWith('/checkout') && cart.length) {
          const value = cart.reduce((v, i) => v + i.price, 0);
          yield* ev('begin_checkout', 2, path, { items: cart, value, currency: 'EUR' });
          yield* ev('form_start', 2, path, { form: 'checkout' });
          if (rnd() < 0.65) {
            yield* ev('form_submit', 2, path, { form: 'checkout', duration_ms: 40_000 });
            yield* ev('add_payment_info', 2, '/checkout/payment', { value, currency: 'EUR' });
            if (rnd() < 0.8) {
              yield* ev('purchase', 2, '/checkout/payment', { items: cart, value, currency: 'EUR', transaction_id: `T-${visitor}-${s}` });
              customer = true;
              cart = [];
            }
          } else {
            yield* ev('form_abandon', 2, path, { form: 'checkout', last_field: pick(FIELDS), fields_touched: 1 + Math.floor(rnd() * 5), duration_ms: 25_000 });
          }
        }
        if (rnd() < 0.85) yield* ev('page_leave', stage, path, { duration_ms: visible(), scroll_pct: Math.floor(rnd() * 100) });
        // Next page: mostly the same stage or the next one, sometimes back.
        const r = rnd();
        if (customer && stage === 2) stage = rnd() < 0.2 ? 4 : 3;
        else if (r < 0.35 && stage < 2) stage++;
        else if (r < 0.45 && stage === 2 && !cart.length) stage = 1;
        else if (r < 0.5 && stage > 0) stage--;
        else if (r < 0.6 && cart.length) stage = 2;
      }
      t += (0.5 + rnd() * 5) * DAY;
      if (t > now - 60_000) break;
    }
  }
}

/** A generated event as the row `events` stores (no clock skew: time = ts). */
export function toRow({ e, stage, path }) {
  return [e.id, e.type, e.stage, stage, e.visitor, e.session, e.ts, e.ts, e.ts + 5000, e.ts + 5000, path, e.form ?? null, e.last_field ?? null, e.duration_ms ?? null, e.value ?? null, e.currency ?? null, JSON.stringify(e)];
}

export const ROW_COLUMNS = 'id, type, stage, stage_index, visitor, session, time, ts, sent_at, received_at, path, form, last_field, duration_ms, value, currency, data';
