// Carts: the fields of cart events from GA4-style payloads, and the declarative cart buttons.
import type { Item, WireEvent } from '@parcours/protocol';
import { on } from './guard.ts';

type Loose = Record<string, any>;
export type CartFields = Pick<WireEvent, 'items' | 'value' | 'currency' | 'transaction_id'>;

const num = (v: unknown): number | undefined => (v === '' || v == null || isNaN(+v!) ? undefined : +v!);
const str = (v: unknown): string | undefined => (v == null ? undefined : '' + v);

/** GA4 item fields; a cart button's dataset spells them camelCased (`data-item-id` is `itemId`). */
const ITEM_FIELDS = ['item_id', 'item_name', 'item_category', 'item_variant', 'item_brand', 'price', 'quantity'];

/** One GA4 item from GA4 fields or a button's dataset; undefined when it has neither id nor name. */
function item(i: Loose): Item | undefined {
  const it: Loose = {};
  ITEM_FIELDS.map((k, n) => {
    const v = i[k] ?? i[k.replace(/_(.)/, (_, c: string) => c.toUpperCase())];
    // The last two fields (price, quantity) are numbers, the others strings.
    it[k] = v == null ? v : n > 4 ? num(v) : '' + v;
  });
  return it.item_id || it.item_name ? it : undefined;
}

/**
 * The cart fields of a GA4 payload (`items`, `value`, `currency`, `transaction_id`); numbers given as
 * strings become numbers, a currency that is not ISO 4217 is left out. A cart's value is computed by the collector from its items.
 */
export function cartFields(p: Loose): CartFields {
  const items = ((p.items || []) as Loose[]).map(item).filter(Boolean) as Item[];
  const currency = ('' + (p.currency || '')).toUpperCase();
  return {
    items: items[0] ? items : undefined,
    value: num(p.value),
    currency: /^[A-Z]{3}$/.test(currency) ? currency : undefined,
    transaction_id: str(p.transaction_id),
  };
}

/** Sends `cart(action, payload)` for clicks on `[data-parcours-cart]` buttons, the item read from their data- attributes. */
export function watchCartButtons(cart: (action: string, payload: Loose) => void): void {
  on(document, 'click', (e: Event) => {
    const d = ((e.target as Element).closest('[data-parcours-cart]') as HTMLElement | null)?.dataset;
    if (d) cart(d.parcoursCart!, { items: [d], value: d.value, currency: d.currency, transaction_id: d.transactionId });
  });
}
