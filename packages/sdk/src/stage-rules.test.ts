import { DEFAULT_STAGES } from '@parcours/protocol';
import { describe, expect, it } from 'vitest';
import { globToRegExp, resolveStage } from './stage-rules.ts';

const S = [...DEFAULT_STAGES];
const rules = { '/blog/*': 'awareness', '/checkout/**': 'decision', '/p/*': 'consideration' };

describe('resolveStage', () => {
  it('takes the explicit stage first, then decision for a commerce act, then the page declaration', () => {
    expect(resolveStage('add_to_cart', '/blog/x', S, 'advocacy', 'retention', rules)).toBe('advocacy');
    expect(resolveStage('add_to_cart', '/blog/x', S, undefined, 'retention', rules)).toBe('decision');
    expect(resolveStage('quote_request', '/blog/x', S, undefined, 'retention', rules)).toBe('retention');
    expect(resolveStage('view_item', '/blog/x', S, undefined, 'retention', rules)).toBe('retention');
  });

  it('keeps every commerce act at decision over page declarations and URL rules', () => {
    const books = { '/books/*': 'consideration' };
    for (const t of [
      'add_to_cart',
      'remove_from_cart',
      'view_cart',
      'begin_checkout',
      'add_payment_info',
      'purchase',
    ]) {
      expect(resolveStage(t, '/books/dune', S, undefined, undefined, books), t).toBe('decision');
      expect(resolveStage(t, '/books/dune', S, undefined, 'awareness', books), t).toBe('decision');
    }
  });

  it('then the URL rules, first match, before view_item and the heuristics', () => {
    expect(resolveStage('view_item', '/blog/x', S, undefined, undefined, rules)).toBe('awareness');
    expect(resolveStage('page_view', '/checkout/pay/confirm', S, undefined, undefined, rules)).toBe('decision');
    expect(
      resolveStage('page_view', '/p/mug', S, undefined, undefined, { '/p/*': 'consideration', '/p/mug': 'decision' }),
    ).toBe('consideration');
  });

  it('then view_item as consideration, then the path heuristics, then the first stage', () => {
    expect(resolveStage('add_to_cart', '/about', S)).toBe('decision');
    expect(resolveStage('view_item', '/cart', S)).toBe('consideration');
    expect(resolveStage('form_start', '/pricing', S)).toBe('consideration');
    expect(resolveStage('page_view', '/account/orders', S)).toBe('retention');
    expect(resolveStage('quote_request', '/about', S)).toBe('awareness');
  });

  it('skips a stage that is not in a custom list and falls back to its first stage', () => {
    const own = ['discovery', 'reflection', 'decision'];
    expect(resolveStage('page_view', '/blog/x', own, 'awareness', 'nirvana')).toBe('discovery');
    expect(resolveStage('add_to_cart', '/about', own)).toBe('decision');
    // Without a stage named decision, a commerce act takes the page's stage like any event.
    expect(resolveStage('add_to_cart', '/x', ['look', 'buy'], undefined, 'look')).toBe('look');
    expect(resolveStage('add_to_cart', '/x', ['look', 'buy'], undefined, undefined, { '/x': 'buy' })).toBe('buy');
    expect(resolveStage('page_view', '/x', own, undefined, undefined, { '/x': 'reflection' })).toBe('reflection');
    expect(resolveStage('page_view', '/pricing', ['a', 'b'])).toBe('a');
  });

  it('tags a customer retention where rules 3-5 would go before decision, not on explicit or declared stages', () => {
    expect(resolveStage('page_view', '/blog/x', S, undefined, undefined, rules, true)).toBe('retention');
    expect(resolveStage('view_item', '/p/mug', S, undefined, undefined, undefined, true)).toBe('retention');
    expect(resolveStage('add_to_cart', '/p/mug', S, undefined, undefined, undefined, true)).toBe('decision');
    expect(resolveStage('page_view', '/refer', S, undefined, undefined, undefined, true)).toBe('advocacy');
    expect(resolveStage('page_view', '/blog', S, 'awareness', undefined, undefined, true)).toBe('awareness');
    expect(resolveStage('page_view', '/blog', ['a', 'b'], undefined, undefined, undefined, true)).toBe('a');
  });
});

describe('globToRegExp', () => {
  it('matches one segment with * and any depth with **, literally otherwise', () => {
    expect(globToRegExp('/blog/*').test('/blog/post')).toBe(true);
    expect(globToRegExp('/blog/*').test('/blog/a/b')).toBe(false);
    expect(globToRegExp('/blog/**').test('/blog/a/b')).toBe(true);
    expect(globToRegExp('/a.b').test('/axb')).toBe(false);
    expect(globToRegExp('/p/*/reviews').test('/p/mug/reviews')).toBe(true);
  });

  it('matches a path as the browser gives it (percent-encoded), the glob written as read or encoded', () => {
    // location.pathname of /produits/café crème/tasse
    const path = '/produits/caf%C3%A9%20cr%C3%A8me/tasse';
    expect(globToRegExp('/produits/café crème/*').test(path)).toBe(true);
    expect(globToRegExp('/produits/caf%C3%A9%20cr%C3%A8me/*').test(path)).toBe(true);
    expect(globToRegExp('/produits/**').test(path)).toBe(true);
    expect(globToRegExp('/produits/thé/*').test(path)).toBe(false);
    // Whatever the page's origin (a sandboxed frame's is opaque), and a leading ** still matches from the root.
    expect(globToRegExp('**/tasse').test(path)).toBe(true);
    expect(globToRegExp('**/checkout').test('/checkout')).toBe(true);
  });
});
