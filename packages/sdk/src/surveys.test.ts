import type { Survey } from '@parcours/protocol';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { SURVEY_KEY } from './keys.ts';
import { sampled, watchSurveys } from './surveys.ts';

const survey = (id: string, trigger: Survey['trigger'], sample_rate = 1): Survey => ({
  id,
  kind: 'csat',
  question: { en: 'Satisfied?' },
  trigger,
  sample_rate,
  cooldown_days: 30,
});

/** The survey module requests made so far (script elements the feature added). */
const loads = () => [...document.head.querySelectorAll('script')].map((s) => s.src);
const event = (type: string, visitor = 'v1', stage = 'retention') =>
  dispatchEvent(new CustomEvent('parcours:event', { detail: { type, visitor, stage, url: location.href } }));
/** Lets the surveys' read (a fetch, its JSON) and any zero delay run out. */
const settle = () => new Promise((r) => setTimeout(r, 5));

describe('the survey feature', () => {
  let surveys: Survey[];
  beforeEach(() => {
    localStorage.clear();
    document.head.innerHTML = '';
    (window as unknown as { happyDOM: { setURL(u: string): void } }).happyDOM.setURL(
      'https://shop.example/account/orders',
    );
    vi.stubGlobal(
      'fetch',
      vi.fn(async () => new Response(JSON.stringify({ surveys }))),
    );
  });
  afterEach(() => {
    vi.useRealTimers();
    vi.unstubAllGlobals();
  });

  it('loads the module only when a survey is due: stage and path on the page view, after its event, after its delay', async () => {
    surveys = [
      survey('wrong-stage', { stage: 'decision' }),
      survey('wrong-path', { path: '/checkout/*' }),
      survey('after-purchase', { path: '/account/*', after: 'purchase', delay_s: 3 }),
    ];
    watchSurveys('https://c.example', 'shop', () => {});
    event('page_view');
    await vi.waitFor(() => expect(fetch).toHaveBeenCalledWith('https://c.example/v1/sites/shop/surveys'));
    await settle();
    expect(loads()).toEqual([]);
    vi.useFakeTimers({ toFake: ['setTimeout'] });
    event('purchase');
    vi.advanceTimersByTime(2999);
    expect(loads()).toEqual([]);
    vi.advanceTimersByTime(1);
    expect(loads()).toEqual(['https://c.example/parcours-survey.js']);
    // The cooldown starts as the module loads, for every tab of the origin.
    expect(+localStorage.getItem(SURVEY_KEY)!).toBeGreaterThan(Date.now() + 29 * 864e5);
  });

  it('reads nothing before the page has sent its page view (Do Not Track, consent withdrawn: none is sent)', async () => {
    surveys = [survey('any', {})];
    watchSurveys('https://c.example', 'shop', () => {});
    event('form_start');
    await settle();
    expect(fetch).not.toHaveBeenCalled();
    expect(loads()).toEqual([]);
  });

  it('asks nothing during a cooldown, not even the list of surveys', async () => {
    surveys = [survey('any', {})];
    localStorage.setItem(SURVEY_KEY, String(Date.now() + 60_000));
    watchSurveys('https://c.example', 'shop', () => {});
    event('page_view');
    await settle();
    expect(fetch).not.toHaveBeenCalled();
    expect(loads()).toEqual([]);
  });

  it('samples visitors by a stable hash: the same visitor gets the same answer, about the rate of them are asked', () => {
    const visitors = Array.from({ length: 2000 }, (_, i) => `0193a1b2-${i}`);
    const asked = visitors.filter((v) => sampled(v, 'nps', 0.2));
    expect(asked.length).toBeGreaterThan(340);
    expect(asked.length).toBeLessThan(460);
    expect(visitors.filter((v) => sampled(v, 'nps', 0.2))).toEqual(asked);
    // Another survey samples other visitors.
    expect(visitors.filter((v) => sampled(v, 'csat', 0.2))).not.toEqual(asked);
    expect(visitors.every((v) => sampled(v, 'nps', 1))).toBe(true);
  });
});
