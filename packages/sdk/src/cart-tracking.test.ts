import { DEFAULT_STAGES, parseBatch, type WireEvent } from '@parcours/protocol';
import { describe, expect, it } from 'vitest';
import { watchCartButtons } from './cart-tracking.ts';

/** What the collector stores of an add_to_cart event carrying `fields`. */
function stored(fields: object): WireEvent {
  const ev = {
    id: 'c1',
    type: 'add_to_cart',
    ts: Date.now(),
    stage: 'decision',
    visitor: 'v',
    session: 's',
    url: 'https://a.example/',
    ...fields,
  };
  const r = parseBatch(JSON.parse(JSON.stringify({ v: 1, site: 'shop', sent_at: Date.now(), events: [ev] })), {
    stages: DEFAULT_STAGES,
  });
  if (!r.ok || r.rejected.length) throw new Error(JSON.stringify(r));
  return r.events[0]!.event;
}

describe('declarative cart buttons', () => {
  it('send the action and the item of their data- attributes when clicked, which the collector reads as numbers and text', () => {
    const calls: Array<[string, Record<string, unknown>]> = [];
    watchCartButtons((_, action, payload) => calls.push([action, payload]));
    document.body.innerHTML =
      '<button data-parcours-cart="add" data-item-id="sku-42" data-item-name="Mug" data-item-category="Kitchen" data-price="12.5" data-currency="EUR" data-quantity="2"><span>Add</span></button><button>Other</button>';
    document.querySelector('span')!.click();
    document.querySelectorAll('button')[1]!.click();
    expect(calls.map(([a]) => a)).toEqual(['add']);
    expect(stored(calls[0]![1])).toMatchObject({
      items: [{ item_id: 'sku-42', item_name: 'Mug', item_category: 'Kitchen', price: 12.5, quantity: 2 }],
      currency: 'EUR',
    });
  });
});
