// Friction reasons: each rank explained from the page's own numbers.
import { describe, expect, test } from 'vitest';
import type { FrictionPage } from '../types.ts';
import { frictionReason, largestLosses, siteExitRate } from './friction-reasons.ts';

const STAGES = ['awareness', 'consideration', 'decision', 'retention', 'advocacy'];
const page = (p: Partial<FrictionPage>): FrictionPage => ({
  path: '/x',
  stage: 'awareness',
  views: 100,
  visitors: 90,
  exits: 0,
  exit_rate: 0,
  form_abandons: 0,
  cart_abandons: 0,
  rage_clicks: 0,
  dead_clicks: 0,
  error_clicks: 0,
  quick_backs: 0,
  field_errors: 0,
  score: 0,
  targets: [],
  ...p,
});

describe('frictionReason', () => {
  test('names friction signals with their count and top target, weighted as in the score', () => {
    const r = frictionReason(
      page({
        exits: 1,
        exit_rate: 0.01,
        rage_clicks: 4,
        dead_clicks: 1,
        quick_backs: 2,
        targets: [
          { kind: 'rage_click', target: 'compare', count: 4 },
          { kind: 'dead_click', target: 'compare', count: 1 },
        ],
      }),
      { siteExitRate: 0.2, stages: STAGES },
    );
    expect(r).toBe('4 rage clicks on compare; 2 quick backs; 1 exit (1% of views); 1 dead click on compare');
  });

  test('names the largest loss first, with its count', () => {
    const r = frictionReason(
      page({ stage: 'decision', exits: 10, exit_rate: 0.1, form_abandons: 3, cart_abandons: 27 }),
      { siteExitRate: 0.2, stages: STAGES },
    );
    expect(r).toBe('27 carts abandoned here; 10 exits (10% of views); 3 form abandons; late in the journey (decision)');
  });

  test('calls an exit rate high at 50% or more, and compares it with the site when it is 1.5 times the site rate', () => {
    expect(frictionReason(page({ exits: 62, exit_rate: 0.62 }), { siteExitRate: 0.5, stages: STAGES })).toBe(
      'High exit rate 62%',
    );
    expect(frictionReason(page({ exits: 45, exit_rate: 0.45 }), { siteExitRate: 0.2, stages: STAGES })).toBe(
      'High exit rate 45% (all pages: 20%)',
    );
    expect(frictionReason(page({ exits: 25, exit_rate: 0.25 }), { siteExitRate: 0.2, stages: STAGES })).toBe(
      '25 exits (25% of views)',
    );
  });

  test('says one form abandon in the singular and flags pages seen only a few times', () => {
    expect(frictionReason(page({ views: 3, form_abandons: 1 }), { siteExitRate: 0, stages: STAGES })).toBe(
      '1 form abandon; few views (3)',
    );
  });

  test('says so when a page lost nobody', () => {
    expect(frictionReason(page({}), { siteExitRate: 0.3, stages: STAGES })).toBe('no exits or abandons recorded');
  });
});

describe('the page with the most of a loss', () => {
  test('is told so, and only that page', () => {
    const pages = [
      page({ path: '/a', exits: 256, exit_rate: 0.4 }),
      page({ path: '/b', exits: 30, exit_rate: 0.3, form_abandons: 31 }),
    ];
    const ctx = { siteExitRate: 0.35, stages: STAGES, most: largestLosses(pages) };
    expect(frictionReason(pages[0]!, ctx)).toBe('256 exits (40% of views), the most of any page');
    expect(frictionReason(pages[1]!, ctx)).toBe('31 form abandons, the most of any page; 30 exits (30% of views)');
  });
});

describe('siteExitRate', () => {
  test('is all exits over all views, not the mean of the page rates', () => {
    expect(siteExitRate([page({ views: 90, exits: 9 }), page({ views: 10, exits: 10 })])).toBeCloseTo(0.19);
    expect(siteExitRate([])).toBe(0);
  });
});
