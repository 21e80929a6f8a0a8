// The tracker: builds each event (ids, stage, clean url), puts it in the outbox, and runs the public calls.
import type { WireEvent } from '@parcours/protocol';
// Imports in the order that compresses the tag best (scripts/size.mjs; the order sets the modules' order in the IIFE).
import { empty, put } from './outbox.ts';
import { guard } from './guard.ts';
import { cleanUrl } from './url-clean.ts';
import { cartType } from './cart-names.ts';
import { customerRef, identify } from './customer.ts';
import type { Config } from './options.ts';
import { resolveStage } from './stage-rules.ts';
import { optedOut, withdrawn } from './privacy.ts';
import { store } from './local-store.ts';
import { ids, uuid } from './ids.ts';
import { flush, soon } from './sender.ts';

type Loose = Record<string, any>;

let c: Config;
// The page being shown: its cleaned URL and its path for stage rules, fixed when it is shown, and its stage() declaration.
let here: [string?, string?, string?] = [];

/**
 * Sets the configuration every event is built with and what `page()` does (the lifecycle's route change), and
 * fixes the page being shown: calls queued before the script started, and what dataLayer already holds, run
 * before the first page view and need its URL.
 */
export const setConfig = (config: Config, page: (props?: Loose) => void): void => {
  c = config;
  calls.page = page;
  newPage(1);
};

/** Whether nothing may be sent: Do Not Track / GPC (unless `respectDnt` is `off`) or consent withdrawn. */
const off = () => (c.respectDnt != 'off' && optedOut()) || withdrawn();

/**
 * A page is shown (first or SPA route): fixes its URL and path for its events and, unless `keep`, forgets the
 * previous page's stage declaration (the first page view keeps a `stage()` queued before the script loaded).
 * Answers the page's cleaned URL.
 */
export function newPage(keep?: unknown): string {
  return (here = [cleanUrl(location.href, c.keepParams), location.pathname, keep ? here[2] : ''])[0]!;
}

/**
 * Queues an event of `type` with its extra fields; `stage` is the explicit stage (rule 1). Every
 * queued event is announced as `window` CustomEvent `parcours:event` (detail: the event).
 */
export const emit = (type: string, fields?: Loose, stage?: string): void => {
  if (off()) return;
  const now = Date.now();
  const [visitor, session] = ids(now);
  // Through JSON once: what it cannot hold (functions, symbols) is gone, what it refuses (cycles, bigint) throws here,
  // inside the call's guard, instead of in every later send; and IndexedDB can store the copy. The extra fields come
  // first, so that no payload key can replace an event's own fields; the collector keeps only the fields it knows.
  const e: WireEvent = JSON.parse(
    JSON.stringify({
      ...fields,
      id: uuid(),
      type,
      ts: now,
      stage: resolveStage(
        type,
        here[1]!,
        c.stages,
        stage,
        here[2] || document.querySelector<HTMLMetaElement>('meta[name="parcours:stage"]')?.content,
        (window as Loose).parcoursConfig?.rules,
        FEATURE_CARTS && store('pcc'), // '1' once purchased
      ),
      visitor,
      session,
      url: here[0]!,
    }),
  );
  if (FEATURE_CARTS && type == 'purchase') store('pcc', '1');
  put(e);
  soon();
  dispatchEvent(new CustomEvent('parcours:event', { detail: e }));
};

/**
 * `track(name, props)`. With the carts feature, a GA4 or Segment ecommerce name is a cart step: its payload goes as it
 * is (the collector reads its cart fields as GA4 does and leaves the rest), with the customer reference. Other events,
 * and every event without the carts feature, keep their props (the collector keeps primitives; see emit).
 */
function track(name: string, p: Loose): void {
  const { stage, ...props } = p;
  const cartEvent = FEATURE_CARTS && cartType(name);
  if (cartEvent) emit(cartEvent, { ...p, customer: customerRef() }, stage);
  else emit(name, { props }, stage);
}

const calls: Record<string, (a: any, p: Loose) => unknown> = {
  track,
  stage: (a) => (here[2] = a),
  // Nothing is queued while tracking is off, so a flush then has nothing to send.
  flush,
  consent(a) {
    // store() answers what it wrote: withdrawn when that is '0'.
    if (store('pco', a === false ? '0' : '1') == '0') {
      store('pcs', ''); // forget the visitor: consent given again starts a new one
      if (FEATURE_CARTS) identify(null);
      return empty();
    }
  },
};
if (FEATURE_CARTS) {
  // `cart('add', payload)` is `track('add_to_cart', payload)`; an action it does not know is a custom event.
  calls.cart = track;
  calls.identify = identify;
}

/** Runs a public call by name with its arguments, as `window.parcours(name, …)` (`track`, `page`, `stage`, `cart`, `identify`, `consent`, `flush`); unknown names, and calls to a feature
 * this variant lacks, are ignored; nothing throws. */
export const run = guard((name: string, a?: any, p?: any): unknown => calls[name]!(a, p || {}));
