// The protocol's stage and ecommerce tables in the script's compact form; names.test.ts proves them equal to @parcours/protocol's.

/** The default ordered journey. */
export const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];

/** GA4 ecommerce event types in funnel order (protocol CART_EVENTS). */
export const CART_EVENTS = 'view_item add_to_cart remove_from_cart view_cart begin_checkout add_payment_info purchase'.split(' ');
// Same order: the cart() action names (protocol CART_ACTIONS) and the Segment Ecommerce v2 names (protocol SEGMENT_ALIASES).
const ACTIONS = 'view_item add remove view checkout payment purchase'.split(' ');
const SEGMENT = 'Product Viewed,Product Added,Product Removed,Cart Viewed,Checkout Started,Payment Info Entered,Order Completed'.split(',');

/** The GA4 event type for a `cart()` action, a GA4 name or a Segment name; undefined for anything else. */
export const cartType = (name: string): string | undefined =>
  CART_EVENTS[[ACTIONS, SEGMENT, CART_EVENTS].map((l) => l.indexOf(name)).find((i) => i >= 0)!];

/** The stage an event type carries by itself (protocol EVENT_DEFAULT_STAGE, rule 4). */
export const eventStage = (type: string): string | undefined =>
  CART_EVENTS.includes(type) ? STAGES[type === 'view_item' ? 1 : 2] : undefined;

// Protocol PATH_HEURISTICS as one expression: the n-th group that matches names the n-th default stage.
const HEURISTICS = /^\/(?:(blog|guides?)|(products?|pricing|compare|reviews)|(cart|basket|checkout)|(account|orders|support)|(refer|invite))(?:\/|$)/;

/** The built-in path heuristic's stage for `path` (rule 5), or undefined. */
export const pathStage = (path: string): string | undefined => {
  const m = HEURISTICS.exec(path);
  return m ? STAGES[m.findIndex((g, i) => i && g)! - 1] : undefined;
};
