// The protocol's stage and ecommerce tables in the script's compact form; names.test.ts proves them equal to @parcours/protocol's.

/** The default ordered journey. */
export const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];

/**
 * Three lists of seven names in one, in GA4 funnel order: the GA4 ecommerce event types (protocol CART_EVENTS),
 * the `cart()` actions (protocol CART_ACTIONS), the Segment Ecommerce v2 names (protocol SEGMENT_ALIASES).
 */
const NAMES = (
  'view_item,add_to_cart,remove_from_cart,view_cart,begin_checkout,add_payment_info,purchase,' +
  'view_item,add,remove,view,checkout,payment,purchase,' +
  'Product Viewed,Product Added,Product Removed,Cart Viewed,Checkout Started,Payment Info Entered,Order Completed'
).split(',');

/** GA4 ecommerce event types in funnel order. */
export const CART_EVENTS = NAMES.slice(0, 7);

/** The GA4 event type for a `cart()` action, a GA4 name or a Segment name; undefined for anything else (-1 % 7 is -1). */
export const cartType = (name: string): string | undefined => CART_EVENTS[NAMES.indexOf(name) % 7];

/** The stage an event type carries by itself (protocol EVENT_DEFAULT_STAGE, rule 4). */
// (STAGES[9] is undefined: not a cart event.)
export const eventStage = (type: string): string | undefined =>
  STAGES[CART_EVENTS.includes(type) ? (type == 'view_item' ? 1 : 2) : 9];

// Protocol PATH_HEURISTICS as one expression: the n-th group that matches names the n-th default stage.
const HEURISTICS = /^\/(?:(blog|guides?)|(products?|pricing|compare|reviews)|(cart|basket|checkout)|(account|orders|support)|(refer|invite))(?:\/|$)/;

/** The built-in path heuristic's stage for `path` (rule 5), or undefined. */
export const pathStage = (path: string): string | undefined => STAGES[HEURISTICS.exec(path)?.findIndex((g, i) => i && g)! - 1];
