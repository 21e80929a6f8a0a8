// Carts: the declarative cart buttons. A cart payload (GA4 style) goes to the collector as given: it reads its
// cart fields as GA4 does (`"12.50"` is 12.5, what it cannot read is left out), so the script carries no copy of those rules.
import { on } from './guard.ts';

type Loose = Record<string, any>;

/**
 * Runs the public call `cart(action, payload)` (`run`: the tracker's run) for clicks on `[data-parcours-cart]` buttons: their data- attributes,
 * snake_cased (`data-item-id` is `item_id`), are both the item and the payload (`data-value`, `data-currency`, …).
 */
export function watchCartButtons(run: (call: 'cart', action: string, payload: Loose) => void): void {
  on('click', (e: Event) => {
    // The element clicked or the nearest around it with the attribute, through shadow roots (web components: e.target
    // here is the component's host; a button inside one, or one that is a component, is a cart button).
    const data = (e.composedPath().find((node: any) => node.dataset?.parcoursCart) as HTMLElement | undefined)?.dataset;
    const item: Loose = {};
    for (const name in data) item[name.replace(/[A-Z]/g, '_$&').toLowerCase()] = data[name];
    if (data) run('cart', data.parcoursCart!, { ...item, items: [item] });
  });
}
