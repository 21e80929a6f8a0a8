import { describe, expect, it } from 'vitest';
import { call } from '../../test/helpers.ts';

describe('tag variants by another name', () => {
  it.each([
    ['parcours.carts.forms.js', 'parcours.forms.carts.js'],
    ['parcours.survey.friction.carts.forms.js', 'parcours.js'],
    ['parcours.forms.forms.js', 'parcours.forms.js'],
    ['parcours.core.carts.js', 'parcours.carts.js'],
  ])('redirects %s to %s, permanently', async (asked, built) => {
    const res = await call(`/${asked}?v=2`, { redirect: 'manual' });
    expect(res.status).toBe(301);
    expect(res.headers.get('location')).toBe(`http://collector.test/${built}`);
    expect(res.headers.get('cache-control')).toBe('public, max-age=86400');
  });

  it('answers a name with an unknown feature 404, saying which features exist', async () => {
    const res = await call('/parcours.outbound.js');
    expect(res.status).toBe(404);
    expect(await res.json()).toEqual({
      error: 'not-found',
      message:
        'no tag named parcours.outbound.js: a variant names what it adds to the core among forms, carts, friction, survey (parcours.core.js has none, parcours.js all)',
    });
  });
});
