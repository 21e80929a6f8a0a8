// The tracker: builds each event (ids, stage, clean url), puts it in the outbox, and runs the public calls.
import type { WireEvent } from '@parcours/protocol';
import { cartType } from './cart-names.ts';
import { customerRef, identify } from './customer.ts';
import { guard } from './guard.ts';
import { ids, uuid } from './ids.ts';
import { toJson } from './json.ts';
import { CONSENT_KEY, IDS_KEY, PURCHASED_KEY } from './keys.ts';
import { store } from './local-store.ts';
import { config } from './options.ts';
import { empty, put } from './outbox.ts';
import { off } from './privacy.ts';
import { flush, soon } from './sender.ts';
import { resolveStage } from './stage-rules.ts';
import { cleanUrl } from './url-clean.ts';

type Loose = Record<string, any>;

// The page being shown, fixed when it is shown: its cleaned URL, its path (for stage rules) and its stage() declaration.
let pageUrl: string;
let pagePath: string;
let declaredStage: string | undefined;

/**
 * Sets what `page()` does (the lifecycle's route change), and fixes the page being shown (with the page's `config`):
 * calls queued before the script started, and what dataLayer already holds, run before the first page view and need
 * its URL.
 */
export const setPage = (page: (props?: Loose) => void): void => {
  calls.page = page;
  newPage(true);
};

/**
 * A page is shown (first or SPA route): fixes its URL and path for its events and, unless `keepStage`, forgets the
 * previous page's stage declaration (the first page view keeps a `stage()` queued before the script loaded).
 * Answers the page's cleaned URL.
 */
export function newPage(keepStage?: boolean): string {
  pagePath = location.pathname;
  if (!keepStage) declaredStage = undefined;
  return (pageUrl = cleanUrl(location.href, config.keepParams));
}

/**
 * Queues an event of `type` with its extra fields; `stage` is the explicit stage (rule 1), `url` the page's own
 * unless given (a quick back is about the page left). Every queued event is announced as `window` CustomEvent
 * `parcours:event` (detail: the event). Answers whether it was queued: not while tracking is off.
 */
let lastTs = 0;
// This page's view was withheld (tracking off when it was shown): consent given on the page sends it (see `consent`).
let viewWithheld = false;

export const emit = (type: string, fields?: Loose, stage?: string, url = pageUrl): boolean => {
  const withheld = off();
  if (type == 'page_view') viewWithheld = withheld;
  if (withheld) return false;
  // Each event of this page a millisecond after the one before at least: the collector orders a visitor's events by
  // time and breaks ties by id, so two events of one millisecond (a click right on a route change) would swap at random.
  const now = (lastTs = Math.max(Date.now(), lastTs + 1));
  const [visitor, session] = ids(now);
  // Through JSON once: what it cannot hold (functions, symbols) is gone, what it refuses (cycles, bigint) throws here,
  // inside the call's guard, instead of in every later send; and IndexedDB can store the copy. The extra fields come
  // first, so that no payload key can replace an event's own fields; the collector keeps only the fields it knows.
  const event: WireEvent = JSON.parse(
    toJson({
      ...fields,
      id: uuid(),
      type,
      ts: now,
      stage: resolveStage(
        type,
        pagePath,
        config.stages,
        stage,
        declaredStage || document.querySelector<HTMLMetaElement>('meta[name="parcours:stage"]')?.content,
        (window as Loose).parcoursConfig?.rules,
        FEATURE_CARTS && store(PURCHASED_KEY) == '1',
      ),
      visitor,
      session,
      url,
    }),
  );
  if (FEATURE_CARTS && type == 'purchase') store(PURCHASED_KEY, '1');
  put(event);
  soon();
  dispatchEvent(new CustomEvent('parcours:event', { detail: event }));
  return true;
};

/**
 * `track(name, props)`. With the carts feature, a GA4 or Segment ecommerce name (or `refund`) is a cart step: its payload goes as it
 * is (the collector reads its cart fields as GA4 does and leaves the rest), with the customer reference. Other events,
 * and every event without the carts feature, keep their props (the collector keeps primitives; see emit).
 */
function track(name: string, payload: Loose): void {
  const { stage, ...props } = payload;
  // A refund (GA4's `refund`) carries its amounts as a cart step does; it is no step of the funnel (no stage of its own).
  const cartEvent = FEATURE_CARTS && (name === 'refund' ? name : cartType(name));
  if (cartEvent) emit(cartEvent, { ...payload, customer: customerRef() }, stage);
  else emit(name, { props }, stage);
}

/**
 * The highest score of each feedback kind (protocol FEEDBACK_SCALES: nps 0–10, csat 1–5, ces 1–7); every scale but
 * NPS's starts at 1. An unknown kind (`toString` included) has no number here, and `score <= undefined` is false.
 */
const TOP_SCORES: Loose = { nps: 10, csat: 5, ces: 7 };

// The public calls by name: each takes the call's first argument and its second (an object, `{}` when absent), and
// `feedback` the second and third as given.
const calls: Record<string, (arg: any, payload: Loose, second?: any, third?: any) => unknown> = {
  track,
  stage: (name) => (declaredStage = name),
  // Nothing is queued while tracking is off, so a flush then has nothing to send.
  flush,
  consent(granted) {
    store(CONSENT_KEY, granted === false ? '0' : '1');
    if (granted === false) {
      store(IDS_KEY, ''); // forget the visitor: consent given again starts a new one
      if (FEATURE_CARTS) identify(null);
      // The page's view is closed, unsent: given again on this page, it is sent anew for the new visitor, with no
      // page_leave of the forgotten visitor's view.
      calls.page!(undefined, {});
      return empty();
    }
    // Given on a page whose view was withheld (a consent banner's "accept" on the landing page): the view is sent
    // now, with the page's own referrer and click id, so the visit keeps its landing and its source.
    if (viewWithheld) calls.page!(undefined, {});
  },
};
// `feedback(kind, score, { survey })` belongs to the survey feature (satisfaction, with or without Parcours' own
// surveys): a whole score on its kind's scale, else ignored. Never text: only the kind, the score and the survey's id
// are sent. `score === (score | 0)`: an integer (not "5", not 4.5).
if (FEATURE_SURVEY)
  calls.feedback = (kind, _, score, options) => {
    if (score === (score | 0) && score >= +(kind != 'nps') && score <= TOP_SCORES[kind])
      emit('feedback', { kind, score, survey: options?.survey });
  };
if (FEATURE_CARTS) {
  // `cart('add', payload)` is `track('add_to_cart', payload)`; an action it does not know is a custom event.
  calls.cart = track;
  calls.identify = identify;
}

/** Runs a public call by name with its arguments, as `window.parcours(name, …)` (`track`, `page`, `stage`, `cart`,
 * `feedback`, `identify`, `consent`, `flush`); unknown names, and calls to a feature this variant lacks, are ignored;
 * nothing throws. */
export const run = guard((name: string, arg?: any, payload?: any, third?: any): unknown =>
  calls[name]!(arg, payload || {}, payload, third),
);
