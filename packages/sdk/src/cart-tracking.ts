// Carts: the fields of cart events from GA4-style payloads, and the declarative cart buttons.
import type { WireEvent } from '@parcours/protocol';
import { on } from './guard.ts';

type Loose = Record<string, any>;

/**
 * The cart fields of a GA4 payload (`items`, `value`, `currency`, `transaction_id`), as given: the
 * collector reads them as GA4 does (`"12.50"` is 12.5, what it cannot read is left out), so the script
 * carries no copy of those rules.
 */
export const cartFields = (p: Loose): Pick<WireEvent, 'items' | 'value' | 'currency' | 'transaction_id'> => ({
  items: p.items,
  value: p.value,
  currency: p.currency,
  transaction_id: p.transaction_id,
});

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
