// Seeds a site with a realistic, deterministic history of synthetic visitors, posted through the real `POST /v1/events`.
// Usage: `pnpm exec node scripts/seed.mjs --url http://127.0.0.1:8787 --site demo --origin http://127.0.0.1:8788 [--visitors 3000] [--seed 42]`
import { pathToFileURL } from 'node:url';

const DAY = 86_400_000;
const MIN = 60_000;
/** The collector refuses more than 500 events or 1 MB per batch; stay well under both. */
const BATCH_EVENTS = 400;
const BATCH_BYTES = 800_000;

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
const PRODUCTS = [
  { path: '/products/grinder', id: 'sku-grinder', name: 'Conical burr grinder', price: 129, title: 'Conical burr grinder' },
  { path: '/products/kettle', id: 'sku-kettle', name: 'Gooseneck kettle', price: 59, title: 'Gooseneck kettle' },
  { path: '/products/mug', id: 'sku-mug', name: 'Stoneware mug', price: 12.5, title: 'Stoneware mug' },
  { path: '/products/beans', id: 'sku-beans', name: 'Ethiopia Guji beans, 250 g', price: 16, title: 'Ethiopia Guji beans, 250 g' },
];
// Same rules as the shop's `window.parcoursConfig` (examples/shop): the seeded history looks like the shop's own traffic.
const PAGE_STAGE = [
  [/^\/$/, 'awareness'],
  [/^\/blog\//, 'awareness'],
  [/^\/products\//, 'consideration'],
  [/^\/(quote|newsletter)$/, 'consideration'],
  [/^\/cart$/, 'decision'],
  [/^\/checkout\//, 'decision'],
  [/^\/account\//, 'retention'],
];
const TITLES = {
  '/': 'Coffee gear for slow mornings',
  '/blog/brewing-guide': 'The five-minute pour-over',
  '/products/': 'Shop',
  '/cart': 'Your cart',
  '/checkout/': 'Checkout',
  '/checkout/confirmation': 'Thank you',
  '/account/': 'Your account',
  '/newsletter': 'Newsletter',
  '/quote': 'Coffee for offices',
};
const CHECKOUT_FIELDS = ['name', 'email', 'address', 'postcode', 'city', 'card', 'expiry', 'cvc'];
// Where people stop in a checkout form: the email (privacy worries) and the card number (price shock) stand out.
const CHECKOUT_QUIT = { name: 0.06, email: 0.12, address: 0.05, postcode: 0.02, city: 0.02, card: 0.14, expiry: 0.03, cvc: 0.04 };
const QUOTE_FIELDS = ['contact', 'company', 'email', 'phone', 'team_size', 'message'];
const QUOTE_QUIT = { contact: 0.05, company: 0.08, email: 0.1, phone: 0.22, team_size: 0.03, message: 0.12 };
const NEWSLETTER_FIELDS = ['first_name', 'email', 'consent'];
const NEWSLETTER_QUIT = { first_name: 0.08, email: 0.18, consent: 0.1 };
const USER_AGENTS = [
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36',
  'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15',
  'Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1',
  'Mozilla/5.0 (X11; Linux x86_64; rv:144.0) Gecko/20100101 Firefox/144.0',
];

/** mulberry32: a tiny seeded PRNG, so a seed always gives the same history. */
export function createRandom(seed) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    next,
    chance: (p) => next() < p,
    int: (lo, hi) => lo + Math.floor(next() * (hi - lo + 1)),
    pick: (list) => list[Math.floor(next() * list.length)],
    uuid: () => {
      const h = Array.from({ length: 32 }, () => Math.floor(next() * 16).toString(16));
      h[12] = '4';
      h[16] = ((parseInt(h[16], 16) & 3) | 8).toString(16);
      return `${h.slice(0, 8).join('')}-${h.slice(8, 12).join('')}-${h.slice(12, 16).join('')}-${h.slice(16, 20).join('')}-${h.slice(20).join('')}`;
    },
  };
}

/**
 * Generates the events of `visitors` synthetic visitors (default 3000) whose journeys follow the stages, over the 30 days
 * before `now`: readers who leave from the blog, comparers, buyers, forms and carts abandoned, returning customers.
 * Deterministic for a given `seed` and `now`. Returns one list of wire events per visitor (in event-time order).
 */
export function generateJourneys({ origin, visitors = 3000, seed = 42, now = Date.now() }) {
  const rnd = createRandom(seed);
  const out = [];
  for (let v = 0; v < visitors; v++) out.push(visitorJourney(rnd, origin, now));
  return out;
}

function visitorJourney(rnd, origin, now) {
  const visitor = rnd.uuid();
  const ua = rnd.pick(USER_AGENTS);
  const events = [];
  let customer = false;
  const cart = new Map();
  // First visits spread over the month; the whole journey must end before now (events from the future are clamped).
  let t = now - Math.floor((1 + rnd.next() * 28) * DAY);
  const sessions = rnd.chance(0.35) ? rnd.int(2, 4) : 1;

  for (let s = 0; s < sessions && t < now - MIN * 30; s++) {
    const session = rnd.uuid();
    let referrer = rnd.pick(['https://www.google.com/', 'https://news.ycombinator.com/', 'https://www.instagram.com/', '']);
    let page = null;
    const stageOf = (path) => {
      const rule = PAGE_STAGE.find(([re]) => re.test(path));
      const stage = rule ? rule[1] : 'awareness';
      return customer && STAGES.indexOf(stage) < 2 ? 'retention' : stage;
    };
    const emit = (type, fields = {}) => {
      t += rnd.int(400, 4000);
      const e = { id: rnd.uuid(), type, ts: t, stage: fields.stage ?? page.stage, visitor, session, url: origin + page.path, ...fields };
      events.push(e);
      return e;
    };
    const leave = () => {
      if (!page) return;
      const stay = rnd.int(4_000, 150_000);
      t += stay;
      emit('page_leave', { duration_ms: stay, scroll_pct: rnd.int(10, 100) });
    };
    const view = (path, stage) => {
      const prev = page;
      leave();
      page = { path, stage: stage ?? stageOf(path) };
      emit('page_view', { title: TITLES[path] ?? PRODUCTS.find((p) => p.path === path)?.title ?? 'Kettle & Crema', referrer: prev ? origin + prev.path : referrer });
      referrer = '';
    };
    const cartPayload = (lines) => {
      const items = lines.map(([p, qty]) => ({ item_id: p.id, item_name: p.name, price: p.price, quantity: qty }));
      return { items, value: Math.round(lines.reduce((sum, [p, q]) => sum + p.price * q, 0) * 100) / 100, currency: 'EUR' };
    };
    /** Fills a form field by field; returns true when submitted. */
    const fillForm = (form, fields, quit, submitRate) => {
      const started = t;
      emit('form_start', { form });
      let touched = 0;
      for (const field of fields) {
        touched++;
        t += rnd.int(2_000, 12_000);
        if (rnd.chance(quit[field] * (1 - submitRate) * 3)) {
          emit('form_abandon', { form, last_field: field, fields_touched: touched, duration_ms: t - started });
          return false;
        }
      }
      emit('form_submit', { form, duration_ms: t - started });
      return true;
    };

    // Entry page: content brings most people in, ads bring some straight to a product, customers come back to their account.
    const entry = customer && rnd.chance(0.5) ? '/account/' : rnd.pick(['/blog/brewing-guide', '/blog/brewing-guide', '/blog/brewing-guide', '/', '/', rnd.pick(PRODUCTS).path, '/products/']);
    view(entry);
    let steps = 0;
    walk: while (steps++ < 14) {
      const path = page.path;
      if (path.startsWith('/blog/') || path === '/') {
        if (rnd.chance(customer ? 0.3 : 0.5)) break walk;
        if (rnd.chance(0.15)) {
          view('/newsletter');
          if (rnd.chance(0.75) && fillForm('newsletter', NEWSLETTER_FIELDS, NEWSLETTER_QUIT, 0.55)) emit('newsletter_signup', { stage: 'consideration' });
          if (rnd.chance(0.5)) break walk;
          view('/products/');
        } else view(rnd.chance(0.4) ? '/products/' : rnd.pick(PRODUCTS).path);
      } else if (path === '/products/') {
        if (rnd.chance(0.2)) break walk;
        view(rnd.pick(PRODUCTS).path);
      } else if (path.startsWith('/products/')) {
        const r = rnd.next();
        if (r < 0.38) {
          const p = PRODUCTS.find((x) => x.path === path);
          const qty = rnd.chance(0.2) ? 2 : 1;
          cart.set(p, (cart.get(p) ?? 0) + qty);
          emit('add_to_cart', { stage: 'decision', ...cartPayload([[p, qty]]) });
          if (rnd.chance(0.55)) view('/cart');
          else if (rnd.chance(0.5)) view(rnd.pick(PRODUCTS).path);
          else break walk;
        } else if (r < 0.58) view(rnd.pick(PRODUCTS).path);
        else if (r < 0.64) {
          view('/quote');
          if (rnd.chance(0.7) && fillForm('quote', QUOTE_FIELDS, QUOTE_QUIT, 0.4)) emit('quote_request', { stage: 'consideration' });
          break walk;
        } else if (r < 0.69) view('/blog/brewing-guide'); // back to reading: a backward move
        else if (r < 0.75 && cart.size) view('/cart');
        else break walk;
      } else if (path === '/cart') {
        const lines = [...cart.entries()];
        if (!lines.length) {
          view('/products/');
          continue;
        }
        emit('view_cart', cartPayload(lines));
        if (lines.length > 1 && rnd.chance(0.15)) {
          const [p, q] = lines[0];
          cart.delete(p);
          emit('remove_from_cart', cartPayload([[p, q]]));
        }
        if (rnd.chance(0.62)) view('/checkout/');
        else if (rnd.chance(0.3)) view(rnd.pick(PRODUCTS).path);
        else break walk;
      } else if (path === '/checkout/') {
        const lines = [...cart.entries()];
        if (!lines.length) break walk;
        emit('begin_checkout', cartPayload(lines));
        if (!rnd.chance(0.9)) break walk;
        if (!fillForm('checkout', CHECKOUT_FIELDS, CHECKOUT_QUIT, 0.62)) {
          if (rnd.chance(0.4)) view('/cart');
          break walk;
        }
        emit('add_payment_info', cartPayload(lines));
        view('/checkout/confirmation', 'decision');
        emit('purchase', { ...cartPayload(lines), transaction_id: `ord-${rnd.uuid().slice(0, 13)}` });
        cart.clear();
        customer = true;
        if (rnd.chance(0.3)) view('/account/');
        break walk;
      } else if (path === '/account/') {
        if (rnd.chance(0.25)) emit('referral_share', { stage: 'advocacy' });
        if (rnd.chance(0.45)) view(rnd.chance(0.5) ? '/products/' : rnd.pick(PRODUCTS).path);
        else break walk;
      } else break walk;
    }
    leave();
    // The next visit: hours to days later.
    t += rnd.chance(0.5) ? rnd.int(2, 20) * 3_600_000 : rnd.int(1, 6) * DAY;
  }
  // Events of a visit cut by "now" never happened yet.
  return { visitor, userAgent: ua, events: events.filter((e) => e.ts < now) };
}

/**
 * Posts the generated journeys to `url` as site `site` with the shop's `origin`, in batches within the collector's limits,
 * waiting out 429s. Returns what was sent and what the collector answered.
 */
export async function seed({ url, site, origin, visitors = 3000, seed: seedValue = 42, now = Date.now(), onProgress }) {
  const journeys = generateJourneys({ origin, visitors, seed: seedValue, now });
  const totals = { visitors: journeys.length, events: 0, accepted: 0, duplicates: 0, rejected: 0, batches: 0 };
  // One visitor's events stay in one batch where they fit: the collector re-derives a visitor once per batch.
  let batch = [];
  let bytes = 0;
  let ua = USER_AGENTS[0];
  const flush = async () => {
    if (!batch.length) return;
    const reply = await post(url, { v: 1, site, sent_at: Date.now(), events: batch }, origin, ua);
    totals.batches++;
    totals.events += batch.length;
    totals.accepted += reply.accepted;
    totals.duplicates += reply.duplicates;
    totals.rejected += reply.rejected.length;
    onProgress?.(totals);
    batch = [];
    bytes = 0;
  };
  for (const j of journeys) {
    for (const e of j.events) {
      const size = JSON.stringify(e).length + 1;
      if (batch.length >= BATCH_EVENTS || bytes + size > BATCH_BYTES) await flush();
      batch.push(e);
      bytes += size;
    }
    ua = j.userAgent;
  }
  await flush();
  return totals;
}

async function post(url, body, origin, userAgent) {
  for (let attempt = 0; attempt < 20; attempt++) {
    let res;
    try {
      res = await fetch(`${url}/v1/events`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', origin, 'user-agent': userAgent },
        body: JSON.stringify(body),
      });
    } catch {
      await sleep(500 * (attempt + 1));
      continue;
    }
    if (res.status === 200) return res.json();
    if (res.status === 429 || res.status >= 500) {
      const wait = Number(res.headers.get('retry-after') ?? '1') * 1000;
      await res.body?.cancel();
      await sleep(Math.min(wait, 10_000));
      continue;
    }
    throw new Error(`seeding refused: ${res.status} ${await res.text()}`);
  }
  throw new Error('seeding gave up after 20 attempts');
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function arg(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const started = Date.now();
  const totals = await seed({
    url: arg('url', 'http://127.0.0.1:8787'),
    site: arg('site', 'demo'),
    origin: arg('origin', 'http://127.0.0.1:8788'),
    visitors: Number(arg('visitors', '3000')),
    seed: Number(arg('seed', '42')),
  });
  console.log(`seeded ${totals.visitors} visitors, ${totals.accepted} events stored (${totals.duplicates} already there, ${totals.rejected} rejected) in ${totals.batches} batches, ${((Date.now() - started) / 1000).toFixed(1)} s`);
}
