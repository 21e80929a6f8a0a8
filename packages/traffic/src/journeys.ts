// The one journey model of synthetic traffic: seeded shop visitors walking the stages, as wire events.
import type { FieldStats, Item, WireEvent } from '@parcours/protocol';
import { type Catalogue, type Product, SHOP_CATALOGUE } from './catalogue.ts';
import { type Arrival, visitArrival, visitorClient } from './audience.ts';
import { createRandom, type Random } from './random.ts';

const DAY = 86_400_000;
const HOUR = 3_600_000;
const MIN = 60_000;

/** One synthetic visitor: their browser, their country (null: unknown) and their events in time order. */
export interface Journey {
  visitor: string;
  userAgent: string;
  country: string | null;
  events: WireEvent[];
}

export interface TrafficOptions {
  /** PRNG seed: the same seed, `now` and options give the same traffic; default 42. */
  seed?: number;
  /** The clock the window counts back from; default `Date.now()`. No event lies at or after it. */
  now?: number;
  /** Origin of the page URLs; default `https://shop.example`. */
  origin?: string;
  /** How many visitors; default 3000, or no bound when `events` is given. */
  visitors?: number;
  /** Stop after this many events in all, the last journey cut short; default no bound. */
  events?: number;
  /** First visits fall between `fromDaysAgo` (default 29) and `toDaysAgo` (default 1) days before `now`; returns come hours to days later. */
  fromDaysAgo?: number;
  toDaysAgo?: number;
  /** The shop visitors walk; default the example shop's pages (`SHOP_CATALOGUE`). */
  catalogue?: Catalogue;
}

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
// Same rules as the example shop's `window.parcoursConfig` and the script's heuristics: generated traffic looks like the shop's own.
const PAGE_STAGE: Array<[RegExp, string]> = [
  [/^\/$/, 'awareness'],
  [/^\/blog\//, 'awareness'],
  [/^\/products\//, 'consideration'],
  [/^\/(quote|newsletter)$/, 'consideration'],
  [/^\/cart$/, 'decision'],
  [/^\/checkout\//, 'decision'],
  [/^\/account\//, 'retention'],
];
interface Form {
  name: string;
  fields: string[];
  /** Where people stop, per field: in checkouts the email (privacy worries) and the card number (price shock) stand out. */
  quit: Record<string, number>;
  submitRate: number;
}
const CHECKOUT: Form = {
  name: 'checkout',
  fields: ['name', 'email', 'address', 'postcode', 'city', 'card', 'expiry', 'cvc'],
  quit: { name: 0.06, email: 0.12, address: 0.05, postcode: 0.02, city: 0.02, card: 0.14, expiry: 0.03, cvc: 0.04 },
  submitRate: 0.62,
};
const QUOTE: Form = {
  name: 'quote',
  fields: ['contact', 'company', 'email', 'phone', 'team_size', 'message'],
  quit: { contact: 0.05, company: 0.08, email: 0.1, phone: 0.22, team_size: 0.03, message: 0.12 },
  submitRate: 0.4,
};
const NEWSLETTER: Form = {
  name: 'newsletter',
  fields: ['first_name', 'email', 'consent'],
  quit: { first_name: 0.08, email: 0.18, consent: 0.1 },
  submitRate: 0.55,
};
/** How a field of the shop's forms feels: hesitation before typing (ms), the chance to come back to it, to fail it. */
const FIELD_FEEL: Record<string, { hesitation: [number, number]; refocus: number; error: number }> = {
  email: { hesitation: [800, 4_000], refocus: 0.3, error: 0.08 },
  card: { hesitation: [4_000, 16_000], refocus: 0.2, error: 0.15 },
  postcode: { hesitation: [500, 2_000], refocus: 0.05, error: 0.12 },
  phone: { hesitation: [3_000, 12_000], refocus: 0.15, error: 0.1 },
  message: { hesitation: [5_000, 20_000], refocus: 0.1, error: 0 },
};
const PLAIN_FIELD = { hesitation: [300, 2_000] as [number, number], refocus: 0.04, error: 0.01 };

/**
 * Synthetic visitors one by one, lazily: readers who leave from the blog, comparers who go back to reading,
 * buyers, forms and carts abandoned, customers who come back to their account, share and buy again.
 * Deterministic for given options (`now` included).
 * @example for (const j of journeys({ seed: 7, visitors: 50, fromDaysAgo: 6, toDaysAgo: 1 })) send(j.events);
 */
export function* journeys(opts: TrafficOptions = {}): Generator<Journey> {
  const rnd = createRandom(opts.seed ?? 42);
  const now = opts.now ?? Date.now();
  const catalogue = opts.catalogue ?? SHOP_CATALOGUE;
  const productAt = new Map(catalogue.products.map((p) => [p.path, p]));
  // Countries, campaigns, per-field figures and friction signals draw from a stream of their own, so that the journeys
  // themselves (pages, carts, times) stay those the same seed always gave.
  const extra = createRandom((opts.seed ?? 42) ^ 0x5eed);
  const walk: Walk = { origin: opts.origin ?? 'https://shop.example', catalogue, productAt, now, extra };
  const from = opts.fromDaysAgo ?? 29;
  const to = opts.toDaysAgo ?? 1;
  const visitors = opts.visitors ?? (opts.events === undefined ? 3000 : Infinity);
  let left = opts.events ?? Infinity;
  for (let v = 0; v < visitors && left > 0; v++) {
    const start = now - Math.floor((to + rnd.next() * (from - to)) * DAY);
    const j = visitorJourney(rnd, walk, start);
    if (j.events.length > left) j.events.length = left;
    left -= j.events.length;
    yield j;
  }
}

/** All the journeys of `journeys(opts)` at once. */
export function generateJourneys(opts: TrafficOptions = {}): Journey[] {
  return [...journeys(opts)];
}

interface Walk {
  origin: string;
  catalogue: Catalogue;
  /** The catalogue's products by page path. */
  productAt: Map<string, Product>;
  now: number;
  extra: Random;
}

/** One visitor's sessions from `start` on, cut at `now` (events from the future never happened). */
function visitorJourney(rnd: Random, { origin, catalogue, productAt, now, extra }: Walk, start: number): Journey {
  const visitor = rnd.uuid();
  const { userAgent, country } = visitorClient(rnd.next(), extra);
  const { products, posts, titles } = catalogue;
  const events: WireEvent[] = [];
  const cart = new Map<Product, number>();
  let customer = false;
  let t = start;
  const sessions = rnd.chance(0.35) ? rnd.int(2, 4) : 1;

  for (let s = 0; s < sessions && t < now - MIN * 30; s++) {
    const session = rnd.uuid();
    let arrival: Arrival | null = visitArrival(rnd.next(), extra);
    let page = { path: '', stage: '' };
    // Customers are in retention wherever they read or compare.
    const stageOf = (path: string): string => {
      const stage = PAGE_STAGE.find(([re]) => re.test(path))?.[1] ?? 'awareness';
      return customer && STAGES.indexOf(stage) < 2 ? 'retention' : stage;
    };
    /** Adds an event a moment later; `draw` times it (`extra` for the events the journey's own stream never had). */
    const emit = (type: string, fields: Partial<WireEvent> = {}, draw: Random = rnd): void => {
      t += draw.int(400, 4000);
      events.push({
        id: draw.uuid(),
        type,
        ts: t,
        stage: page.stage,
        visitor,
        session,
        url: origin + page.path,
        ...fields,
      });
    };
    const leave = (): void => {
      if (!page.path) return;
      const stay = rnd.int(4_000, 150_000);
      t += stay;
      emit('page_leave', { duration_ms: stay, scroll_pct: rnd.int(10, 100) });
    };
    const view = (path: string, stage = stageOf(path)): void => {
      const prev = page.path;
      leave();
      page = { path, stage };
      const title = titles[path] ?? productAt.get(path)?.name ?? 'Kettle & Crema';
      if (arrival) {
        const { referrer, query, clickId } = arrival;
        emit('page_view', { title, referrer, url: origin + path + query, ...(clickId ? { click_id: clickId } : {}) });
        arrival = null;
      } else emit('page_view', { title, referrer: prev ? origin + prev : '' });
    };
    const cartPayload = (lines: Array<[Product, number]>): { items: Item[]; value: number; currency: string } => ({
      items: lines.map(([p, quantity]) => ({ item_id: p.id, item_name: p.name, price: p.price, quantity })),
      value: Math.round(lines.reduce((sum, [p, q]) => sum + p.price * q, 0) * 100) / 100,
      currency: 'EUR',
    });
    /** Fills a form field by field; true when submitted. */
    const fillForm = (form: Form): boolean => {
      const started = t;
      emit('form_start', { form: form.name });
      let touched = 0;
      const fields: FieldStats[] = [];
      for (const field of form.fields) {
        touched++;
        t += rnd.int(2_000, 12_000);
        const quits = rnd.chance((form.quit[field] ?? 0) * (1 - form.submitRate) * 3);
        fields.push(fieldStats(field, quits));
        for (let e = 0; e < fields[fields.length - 1]!.errors; e++)
          emit('field_error', { form: form.name, field }, extra);
        if (quits) {
          emit('form_abandon', {
            form: form.name,
            last_field: field,
            fields_touched: touched,
            duration_ms: t - started,
            fields,
          });
          return false;
        }
      }
      emit('form_submit', { form: form.name, duration_ms: t - started, fields });
      return true;
    };
    /** A field's figures: how long people wait before typing, whether they come back or fail; one who quits there may never type. */
    const fieldStats = (field: string, quits: boolean): FieldStats => {
      const feel = FIELD_FEEL[field] ?? PLAIN_FIELD;
      const typed = !quits || extra.chance(0.5);
      return {
        field,
        ...(typed ? { hesitation_ms: extra.int(...feel.hesitation) } : {}),
        refocuses: extra.chance(feel.refocus) ? extra.int(1, 3) : 0,
        errors: typed && extra.chance(feel.error) ? 1 : 0,
      };
    };
    const anyProduct = (): string => rnd.pick(products).path;
    /**
     * The shop's surveys (scripts/dev.mjs): shown, then answered with a score from `scores` or dismissed. A visitor
     * who met a form's friction (abandoned one this visit) scores from the bottom half.
     */
    const survey = (kind: 'nps' | 'csat', id: string, scores: number[]): void => {
      emit('survey_shown', { kind, survey: id });
      if (!rnd.chance(0.6)) return void emit('survey_dismissed', { kind, survey: id });
      const hurt = events.some((e) => e.session === session && e.type === 'form_abandon');
      emit('feedback', { kind, survey: id, score: rnd.pick(hurt ? scores.slice(scores.length >> 1) : scores) });
    };

    // Entry page: content brings most people in, ads bring some straight to a product, customers come back to their account.
    const entry =
      customer && rnd.chance(0.5)
        ? '/account/'
        : rnd.pick([rnd.pick(posts), rnd.pick(posts), rnd.pick(posts), '/', '/', anyProduct(), '/products/']);
    view(entry);
    for (let steps = 0; steps < 14; steps++) {
      const path = page.path;
      if (path.startsWith('/blog/') || path === '/') {
        if (rnd.chance(customer ? 0.3 : 0.5)) break;
        if (rnd.chance(0.15)) {
          view('/newsletter');
          if (rnd.chance(0.75) && fillForm(NEWSLETTER)) emit('newsletter_signup', { stage: 'consideration' });
          if (rnd.chance(0.5)) break;
          view('/products/');
        } else view(rnd.chance(0.4) ? '/products/' : anyProduct());
      } else if (path === '/products/') {
        if (rnd.chance(0.2)) break;
        view(anyProduct());
      } else if (path.startsWith('/products/')) {
        // The shop's traps: a photo that looks clickable and is not, a gallery button that reacts too slowly.
        if (extra.chance(0.06)) emit('dead_click', { target: 'img.product-photo' }, extra);
        if (extra.chance(0.03)) emit('rage_click', { target: 'gallery-next', clicks: extra.int(3, 7) }, extra);
        const r = rnd.next();
        const p = productAt.get(path);
        if (r < 0.38 && p) {
          const qty = rnd.chance(0.2) ? 2 : 1;
          cart.set(p, (cart.get(p) ?? 0) + qty);
          emit('add_to_cart', { stage: 'decision', ...cartPayload([[p, qty]]) });
          if (rnd.chance(0.55)) view('/cart');
          else if (rnd.chance(0.5))
            view(anyProduct()); // from deciding back to comparing: a backward move
          else break;
        } else if (r < 0.58) view(anyProduct());
        else if (r < 0.64) {
          view('/quote');
          if (rnd.chance(0.7) && fillForm(QUOTE)) emit('quote_request', { stage: 'consideration' });
          break;
        } else if (r < 0.69) {
          // Back to reading, a backward move; some within seconds, the page not what they hoped.
          if (extra.chance(0.4)) emit('quick_back', { duration_ms: extra.int(1_500, 4_800) }, extra);
          view(rnd.pick(posts));
        } else if (r < 0.75 && cart.size) view('/cart');
        else break;
      } else if (path === '/cart') {
        const lines = [...cart.entries()];
        if (!lines.length) {
          view('/products/');
          continue;
        }
        emit('view_cart', cartPayload(lines));
        const first = lines[0];
        if (first && lines.length > 1 && rnd.chance(0.15)) {
          cart.delete(first[0]);
          emit('remove_from_cart', cartPayload([first]));
        }
        if (rnd.chance(0.62)) view('/checkout/');
        else if (rnd.chance(0.3)) view(anyProduct());
        else break;
      } else if (path === '/checkout/') {
        const lines = [...cart.entries()];
        if (!lines.length) break;
        emit('begin_checkout', cartPayload(lines));
        // The coupon button's script fails for some.
        if (extra.chance(0.04))
          emit('error_click', { target: 'apply-coupon', error: 'TypeError checkout.js:88' }, extra);
        if (!rnd.chance(0.9)) break;
        if (!fillForm(CHECKOUT)) {
          if (rnd.chance(0.4)) view('/cart');
          break;
        }
        emit('add_payment_info', cartPayload(lines));
        view('/checkout/confirmation', 'decision');
        emit('purchase', { ...cartPayload(lines), transaction_id: `ord-${rnd.uuid().slice(0, 13)}` });
        cart.clear();
        customer = true;
        survey('csat', 'post-purchase', [5, 5, 5, 4, 4, 4, 3, 2, 1]);
        if (rnd.chance(0.3)) view('/account/');
        break;
      } else if (path === '/account/') {
        // The NPS of the account pages: at most once a month, so not on every visit.
        if (rnd.chance(0.3)) survey('nps', 'nps-account', [10, 10, 9, 9, 9, 8, 8, 7, 6, 5, 3, 0]);
        if (rnd.chance(0.25)) emit('referral_share', { stage: 'advocacy' });
        if (rnd.chance(0.45)) view(rnd.chance(0.5) ? '/products/' : anyProduct());
        else break;
      } else break;
    }
    leave();
    // The next visit: hours to days later.
    t += rnd.chance(0.5) ? rnd.int(2, 20) * HOUR : rnd.int(1, 6) * DAY;
  }
  return { visitor, userAgent, country, events: events.filter((e) => e.ts < now) };
}
