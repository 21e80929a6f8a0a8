import { DEFAULT_STAGES, parseBatch } from '@parcours/protocol';
import { describe, expect, it } from 'vitest';
import { cartFields, watchCartButtons } from './cart-tracking.ts';

describe('cartFields', () => {
  it('keeps GA4 item fields, turns numeric strings into numbers and text into strings', () => {
    expect(
      cartFields({
        items: [{ item_id: 42, item_name: 'Mug', item_category: 'Kitchen', price: '12.5', quantity: '2', extra: 'x' }, { price: 3 }],
        value: '25',
        currency: 'eur',
        transaction_id: 1001,
      }),
    ).toEqual({
      items: [{ item_id: '42', item_name: 'Mug', item_category: 'Kitchen', price: 12.5, quantity: 2 }],
      value: 25,
      currency: 'eur',
      transaction_id: '1001',
    });
  });

  it('leaves out a currency that is not three letters (ISO 4217) and a value that is not a number', () => {
    expect(cartFields({ value: 'lots', currency: 'euros' })).toEqual({});
  });

  it('makes events the collector accepts', () => {
    const ev = { id: 'c1', type: 'add_to_cart', ts: Date.now(), stage: 'decision', visitor: 'v', session: 's', url: 'https://a.example/', ...cartFields({ items: [{ item_id: 'sku', price: '1' }], currency: 'usd' }) };
    const r = parseBatch({ v: 1, site: 'shop', sent_at: Date.now(), events: [ev] }, { stages: DEFAULT_STAGES });
    expect(r.ok && r.rejected).toEqual([]);
  });
});

describe('declarative cart buttons', () => {
  it('send the action and the item of their data- attributes when clicked', () => {
    const calls: unknown[] = [];
    watchCartButtons((action, payload) => calls.push([action, cartFields(payload)]));
    document.body.innerHTML =
      '<button data-parcours-cart="add" data-item-id="sku-42" data-item-name="Mug" data-item-category="Kitchen" data-price="12.5" data-currency="EUR" data-quantity="2"><span>Add</span></button><button>Other</button>';
    document.querySelector('span')!.click();
    document.querySelectorAll('button')[1]!.click();
    expect(calls).toEqual([['add', { items: [{ item_id: 'sku-42', item_name: 'Mug', item_category: 'Kitchen', price: 12.5, quantity: 2 }], currency: 'EUR' }]]);
  });
});
