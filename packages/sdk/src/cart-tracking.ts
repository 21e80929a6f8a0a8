// Carts: the fields of cart events from GA4-style payloads, and the declarative cart buttons.
import type { Item, WireEvent } from '@parcours/protocol';
import { on } from './guard.ts';

type Loose = Record<string, any>;
export type CartFields = Pick<WireEvent, 'items' | 'value' | 'currency' | 'transaction_id'>;

const num = (v: unknown): number | undefined => (v === '' || v == null || isNaN(v as number) ? undefined : +v);
const str = (v: unknown): string | undefined => (v == null ? undefined : '' + v);

/** GA4 item fields: five texts, then two numbers. */
const ITEM_FIELDS = 'item_id item_name item_category item_variant item_brand price quantity'.split(' ');

/** One GA4 item, only its GA4 fields; undefined when it has neither id nor name (the collector would refuse the event). */
function item(i: Loose): Item | undefined {
  const it: Loose = {};
  ITEM_FIELDS.map((k, n) => (it[k] = (n > 4 ? num : str)(i[k])));
  return it.item_id || it.item_name ? it : undefined;
}

/**
 * The cart fields of a GA4 payload (`items`, `value`, `currency`, `transaction_id`); numbers given as
 * strings become numbers, a currency that is not three letters (ISO 4217) is left out; the collector
 * upper-cases it. A cart's value is computed by the collector from its items.
 */
export function cartFields(p: Loose): CartFields {
  const items = ((p.items || []) as Loose[]).map(item).filter(Boolean) as Item[];
  const currency = str(p.currency);
  return {
    items: items[0] ? items : undefined,
    value: num(p.value),
    currency: /^[a-z]{3}$/i.test(currency!) ? currency : undefined,
    transaction_id: str(p.transaction_id),
  };
}

/**
 * Sends `cart(action, payload)` for clicks on `[data-parcours-cart]` buttons: their data- attributes,
 * snake_cased (`data-item-id` is `item_id`), are both the item and the payload (`data-value`, `data-currency`, …).
 */
export function watchCartButtons(cart: (action: string, payload: Loose) => void): void {
  on(document, 'click', (e: Event) => {
    const d = ((e.target as Element).closest('[data-parcours-cart]') as HTMLElement | null)?.dataset;
    const p: Loose = {};
    for (const k in d) p[k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())] = d[k];
    if (d) cart(d.parcoursCart!, { ...p, items: [p] });
  });
}
