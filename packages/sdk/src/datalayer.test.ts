import { afterEach, describe, expect, it } from 'vitest';
import { bridgeDataLayer } from './datalayer.ts';

describe('GA4 dataLayer bridge', () => {
  // The page's own dataLayer, as the bridge reads it: a fresh one for each test.
  const w = window as unknown as Record<string, any>;
  afterEach(() => delete w.dataLayer);

  it('turns earlier and later ecommerce pushes and gtag calls into cart events, and ignores the rest', () => {
    w.dataLayer = [{ event: 'view_item', ecommerce: { items: [{ item_id: 'a' }] } }, { event: 'gtm.js' }];
    const calls: unknown[] = [];
    bridgeDataLayer((_, type, payload) => calls.push([type, payload]));
    function gtag(..._args: unknown[]) {
      // eslint-disable-next-line prefer-rest-params
      w.dataLayer.push(arguments);
    }
    w.dataLayer.push({ ecommerce: null });
    w.dataLayer.push({
      event: 'add_to_cart',
      ecommerce: { currency: 'EUR', value: 5, items: [{ item_id: 'b', price: 5 }] },
    });
    gtag('event', 'purchase', { transaction_id: 'T1', value: 5, currency: 'EUR', items: [{ item_id: 'b' }] });
    gtag('event', 'login', { method: 'x' });
    gtag('config', 'G-XXXX');
    expect(calls).toEqual([
      ['view_item', { items: [{ item_id: 'a' }] }],
      ['add_to_cart', { currency: 'EUR', value: 5, items: [{ item_id: 'b', price: 5 }] }],
      ['purchase', { transaction_id: 'T1', value: 5, currency: 'EUR', items: [{ item_id: 'b' }] }],
    ]);
    expect(w.dataLayer).toHaveLength(7);
  });

  it('never lets a malformed push break the page', () => {
    bridgeDataLayer(() => {
      throw new Error('boom');
    });
    expect(() =>
      w.dataLayer.push(
        null,
        { event: 'purchase', ecommerce: {} },
        {
          get event() {
            throw new Error('x');
          },
        },
      ),
    ).not.toThrow();
    expect(w.dataLayer).toHaveLength(3);
  });
});
