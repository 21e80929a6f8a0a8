// Journey stages and the event types the product knows: names and defaults shared by script and collector.

/** The default ordered journey, used when a site declares no list of its own. */
export const DEFAULT_STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'] as const;

export const PAGE_VIEW = 'page_view';
export const PAGE_LEAVE = 'page_leave';
export const FORM_START = 'form_start';
export const FORM_SUBMIT = 'form_submit';
export const FORM_ABANDON = 'form_abandon';

/** Friction signals (docs/PROTOCOL.md "Events"): they carry `target`, `clicks`, `error`, `form` and `field` as they apply. */
export const FRICTION_EVENTS = ['rage_click', 'dead_click', 'error_click', 'quick_back', 'field_error'] as const;

/** GA4 recommended ecommerce event names, in funnel order. */
export const CART_EVENTS = [
  'view_item',
  'add_to_cart',
  'remove_from_cart',
  'view_cart',
  'begin_checkout',
  'add_payment_info',
  'purchase',
] as const;

export type CartEventType = (typeof CART_EVENTS)[number];

/** `cart(action)` names mapped to GA4 event types. */
export const CART_ACTIONS: Record<string, CartEventType> = {
  view_item: 'view_item',
  add: 'add_to_cart',
  remove: 'remove_from_cart',
  view: 'view_cart',
  checkout: 'begin_checkout',
  payment: 'add_payment_info',
  purchase: 'purchase',
};

/** Segment Ecommerce v2 spec names accepted as aliases of the GA4 names. */
export const SEGMENT_ALIASES: Record<string, CartEventType> = {
  'Product Viewed': 'view_item',
  'Product Added': 'add_to_cart',
  'Product Removed': 'remove_from_cart',
  'Cart Viewed': 'view_cart',
  'Checkout Started': 'begin_checkout',
  'Payment Info Entered': 'add_payment_info',
  'Order Completed': 'purchase',
};

/**
 * The stage an event type carries by itself, as a stage *name*: `decision` for a
 * commerce act (rule 2 of the stage order: over page declarations and URL rules,
 * only an explicit stage overrides it), `consideration` for `view_item` (rule 5,
 * after them). A site with its own list that lacks them falls through to the next rule.
 */
export const EVENT_DEFAULT_STAGE: Record<string, string> = {
  view_item: 'consideration',
  add_to_cart: 'decision',
  remove_from_cart: 'decision',
  view_cart: 'decision',
  begin_checkout: 'decision',
  add_payment_info: 'decision',
  purchase: 'decision',
};

/** Built-in path heuristics (rule 6): first path segment prefix → stage. */
export const PATH_HEURISTICS: ReadonlyArray<readonly [RegExp, string]> = [
  [/^\/(blog|guides?)(\/|$)/, 'awareness'],
  [/^\/(products?|pricing|compare|reviews)(\/|$)/, 'consideration'],
  [/^\/(cart|basket|checkout)(\/|$)/, 'decision'],
  [/^\/(account|orders|support)(\/|$)/, 'retention'],
  [/^\/(refer|invite)(\/|$)/, 'advocacy'],
];
