// The carts feature's names: cart() actions and Segment Ecommerce names mapped to GA4 event types (protocol
// CART_ACTIONS, SEGMENT_ALIASES; names.test.ts proves them equal).
import { CART_EVENTS } from './names.ts';

/** `cart()` actions, in the order of CART_EVENTS. */
const CART_ACTIONS = ['view_item', 'add', 'remove', 'view', 'checkout', 'payment', 'purchase'];
/** Segment Ecommerce v2 names, in the order of CART_EVENTS. */
const SEGMENT_NAMES = [
  'Product Viewed',
  'Product Added',
  'Product Removed',
  'Cart Viewed',
  'Checkout Started',
  'Payment Info Entered',
  'Order Completed',
];

/** The GA4 event type for a `cart()` action, a GA4 name or a Segment name; undefined for anything else. */
export function cartType(name: string): string | undefined {
  for (const names of [CART_EVENTS, CART_ACTIONS, SEGMENT_NAMES]) {
    const i = names.indexOf(name);
    if (i >= 0) return CART_EVENTS[i];
  }
}
