// The protocol's stage tables in the script's form; names.test.ts proves them equal to @parcours/protocol's.

/** The default ordered journey. */
export const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];

/** GA4 ecommerce event types in funnel order (protocol CART_EVENTS). */
export const CART_EVENTS = [
  'view_item',
  'add_to_cart',
  'remove_from_cart',
  'view_cart',
  'begin_checkout',
  'add_payment_info',
  'purchase',
];

/** The stage an event type carries by itself (protocol EVENT_DEFAULT_STAGE), or undefined. */
export const eventStage = (type: string): string | undefined =>
  type == 'view_item' ? 'consideration' : CART_EVENTS.includes(type) ? 'decision' : undefined;

// Protocol PATH_HEURISTICS as one expression: the n-th group that matches names the n-th default stage.
const HEURISTICS =
  /^\/(?:(blog|guides?)|(products?|pricing|compare|reviews)|(cart|basket|checkout)|(account|orders|support)|(refer|invite))(?:\/|$)/;

/** The built-in path heuristic's stage for `path`, or undefined. */
export function pathStage(path: string): string | undefined {
  const match = HEURISTICS.exec(path);
  return match ? STAGES[match.slice(1).findIndex((group) => group)] : undefined;
}
