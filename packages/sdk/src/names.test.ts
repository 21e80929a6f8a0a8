import {
  CART_ACTIONS,
  CART_EVENTS,
  DEFAULT_STAGES,
  EVENT_DEFAULT_STAGE,
  PATH_HEURISTICS,
  SEGMENT_ALIASES,
} from '@parcours/protocol';
import { describe, expect, it } from 'vitest';
import { cartType } from './cart-names.ts';
import { CART_EVENTS as SDK_CART_EVENTS, eventStage, pathStage, STAGES } from './names.ts';

describe('the compact tables', () => {
  it('hold the protocol default stages and GA4 cart events in order', () => {
    expect(STAGES).toEqual([...DEFAULT_STAGES]);
    expect(SDK_CART_EVENTS).toEqual([...CART_EVENTS]);
  });

  it('map every cart() action, Segment name and GA4 name as the protocol does, and nothing else', () => {
    for (const [k, v] of Object.entries(CART_ACTIONS)) expect(cartType(k)).toBe(v);
    for (const [k, v] of Object.entries(SEGMENT_ALIASES)) expect(cartType(k)).toBe(v);
    for (const t of CART_EVENTS) expect(cartType(t)).toBe(t);
    for (const t of ['newsletter_signup', 'page_view', 'Product', '', 'constructor'])
      expect(cartType(t)).toBeUndefined();
  });

  it('give each event type the protocol default stage', () => {
    for (const t of [...CART_EVENTS, 'page_view', 'form_start', 'quote_request'])
      expect(eventStage(t)).toBe(EVENT_DEFAULT_STAGE[t]);
  });

  it('give each path the protocol heuristic stage', () => {
    const paths = [
      '/blog',
      '/blog/post',
      '/guide/x',
      '/guides',
      '/product/mug',
      '/products',
      '/pricing',
      '/compare/a',
      '/reviews',
      '/cart',
      '/basket/',
      '/checkout/pay',
      '/account',
      '/orders/1',
      '/support',
      '/refer',
      '/invite/x',
      '/',
      '/blogger',
      '/p/mug',
      '/about',
    ];
    for (const p of paths) expect(pathStage(p), p).toBe(PATH_HEURISTICS.find(([re]) => re.test(p))?.[1]);
  });
});
