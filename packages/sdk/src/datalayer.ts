// Opt-in GA4 bridge: turns dataLayer ecommerce pushes and gtag('event', …) calls into Parcours cart events.
import { CART_EVENTS } from './names.ts';
import { after, guard } from './guard.ts';

type Loose = Record<string, any>;

/**
 * Reads what `dataLayer` already holds, then every later push: `{ event: 'add_to_cart', ecommerce: {…} }`
 * (GTM style) and `gtag('event', 'add_to_cart', {…})` (its `arguments` object). Only GA4 ecommerce names count,
 * each as the public call `cart(type, payload)` through `run` (the tracker's run).
 */
export function bridgeDataLayer(run: (call: 'cart', type: string, payload: Loose) => void): void {
  const w = window as Loose;
  const dl: Loose[] = (w.dataLayer = w.dataLayer || []);
  const read = guard((x: Loose) => {
    // A null or primitive push throws here, inside the guard: nothing to bridge.
    const [, name, payload] = (x[0] == 'event' ? x : [undefined, x.event, x.ecommerce]) as any[];
    if (CART_EVENTS.includes(name) && payload) run('cart', name, payload);
  });
  dl.map(read);
  after(dl, 'push', (_, a) => a.map(read));
}
