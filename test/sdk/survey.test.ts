// Surveys run by Parcours, in every engine, with the built script and survey module against the real collector: asked
// only when due, once per cooldown across tabs, usable by keyboard alone, out of the way of a field being typed in, and
// exactly one `feedback` per answer (none when dismissed), which the satisfaction report then counts.
import type { AxeResults } from 'axe-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { SatisfactionReport, Survey } from '../../packages/protocol/src/index.ts';
import {
  ENGINES,
  leaveSite,
  newVisitor,
  pageErrors,
  recordedEvents,
  tracked,
  type Tab,
  type Visitor,
} from '../harness/browser.ts';
import { addSurvey, SHOP_SURVEYS } from '../../scripts/collector-process.mjs';
import { report, sharedCollector } from '../harness/collector.ts';
import { serveShop } from '../harness/static-server.ts';
import { expectDeliveredOnce, flushed, openSdkSite, type SdkSite } from './support.ts';

const NPS: Survey = {
  id: 'nps-retention',
  kind: 'nps',
  question: { en: 'How likely are you to recommend us?', fr: 'Nous recommanderiez-vous ?' },
  trigger: { stage: 'retention', path: '/survey.html', delay_s: 1 },
  sample_rate: 1,
  cooldown_days: 30,
};
const CSAT: Survey = {
  id: 'csat-purchase',
  kind: 'csat',
  question: { en: 'Were you satisfied with your purchase?' },
  trigger: { after: 'purchase' },
  sample_rate: 1,
  cooldown_days: 30,
};

/** What the test reads of the survey on the page: none, or its question, scores, focus and box. */
type Shown = {
  question: string;
  scores: string[];
  visible: boolean;
  focused: string | null;
  box: { top: number; bottom: number; left: number; right: number };
} | null;

const shown = (tab: Tab) =>
  tab.evaluate((): Shown => {
    const host = document.querySelector('parcours-survey');
    const root = host?.shadowRoot;
    const dialog = root?.querySelector('section');
    if (!host || !root || !dialog || dialog.hidden) return null;
    const buttons = [...root.querySelectorAll<HTMLButtonElement>('.scores button')];
    const active = document.activeElement === host ? (root.activeElement as HTMLElement | null) : null;
    const r = host.getBoundingClientRect();
    return {
      question: root.querySelector('p')!.textContent!,
      scores: buttons.map((b) => b.textContent!),
      visible: buttons.every((b) => b.offsetWidth > 0 && getComputedStyle(b).visibility === 'visible'),
      focused: active ? (active.tagName === 'SECTION' ? 'dialog' : active.textContent) : null,
      box: { top: r.top, bottom: r.bottom, left: r.left, right: r.right },
    };
  });

const waitShown = (tab: Tab) =>
  tab.waitFor(() => !!document.querySelector('parcours-survey')?.shadowRoot?.querySelector('section:not([hidden])'));

/** axe-core, the accessibility rules engine, as a script to run in the page. */
const AXE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

/**
 * What axe-core finds wrong in the survey dialog (its shadow tree included), every rule it runs by default; and the
 * rules it checked and passed there (so the check is known to have seen the dialog's buttons and name).
 */
async function axeCheck(tab: Tab): Promise<{ violations: string[]; passes: string[] }> {
  // Run as a classic script of the page, as a site would load it.
  await tab.evaluate((src) => {
    const script = document.createElement('script');
    script.textContent = src;
    document.head.append(script);
  }, AXE);
  return tab.evaluate(async () => {
    const { axe } = window as unknown as { axe: { run(context: unknown): Promise<AxeResults> } };
    const { violations, passes } = await axe.run({ include: [['parcours-survey']] });
    return { violations: violations.map((v) => `${v.id} (${v.nodes.length})`), passes: passes.map((p) => p.id) };
  });
}

/** Clicks the score `n` of the survey shown, as a pointer does. */
const answer = (tab: Tab, n: string) =>
  tab.evaluate(
    (score) =>
      [...document.querySelector('parcours-survey')!.shadowRoot!.querySelectorAll<HTMLButtonElement>('.scores button')]
        .find((b) => b.textContent === score)!
        .click(),
    n,
  );

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Where every element of the page's own (the survey's apart) is drawn, as "TAG x,y,width,height", and the page's
 * scrollable height (a question in the flow at the end of the page would move nothing else, but make the page longer).
 */
const layout = (tab: Tab) =>
  tab.evaluate(() => [
    `height ${document.documentElement.scrollHeight}`,
    ...[...document.body.querySelectorAll('*')]
      .filter((e) => !e.closest('parcours-survey'))
      .map((e) => {
        const r = e.getBoundingClientRect();
        return `${e.tagName} ${r.x},${r.y},${r.width},${r.height}`;
      }),
  ]);

for (const engine of ENGINES) {
  describe(`${engine}: surveys`, () => {
    let s: SdkSite;
    const visitors: Visitor[] = [];
    const visitor = async (opts: { reducedMotion?: boolean } = {}) => {
      const v = await newVisitor(engine, opts);
      visitors.push(v);
      return v;
    };

    beforeAll(async () => {
      s = await openSdkSite('survey');
      const { url, adminToken } = sharedCollector();
      for (const survey of [NPS, CSAT]) await addSurvey(url, adminToken, s.site, survey);
    });
    afterAll(async () => {
      for (const v of visitors) await v.dispose();
      await s?.stop();
    });

    test('asks only where due, by keyboard alone, in the page language; one feedback; once per cooldown across tabs', async () => {
      const v = await visitor();
      const tab = await v.newTab();
      // Not due: another page, before any purchase.
      await tab.goto(`${s.origin}/`);
      await tracked(tab, 'page_view');
      await sleep(2000);
      expect(await shown(tab)).toBeNull();

      await tab.goto(`${s.origin}/survey.html`);
      await tracked(tab, 'page_view');
      const before = await layout(tab);
      await waitShown(tab);
      // No layout shift: every box of the page's own is where it was before the question came.
      expect(await layout(tab)).toEqual(before);
      const survey = (await shown(tab))!;
      // fr-CA reads the French question; the page's global button and dialog styles do not reach it.
      expect(survey).toMatchObject({ question: 'Nous recommanderiez-vous ?', visible: true, focused: 'dialog' });
      expect(survey.scores).toEqual(['0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '10']);
      const axe = await axeCheck(tab);
      expect(axe.violations).toEqual([]);
      expect(axe.passes).toEqual(expect.arrayContaining(['button-name', 'aria-dialog-name']));
      await tab.press('Tab');
      expect((await shown(tab))!.focused).toBe('0');
      for (let i = 0; i < 9; i++) await tab.press('ArrowRight');
      expect((await shown(tab))!.focused).toBe('9');
      await tab.press('Enter');
      await tracked(tab, 'feedback');
      // Answered: the dialog is gone and focus is back on the page, not left inside it.
      expect(await shown(tab)).toBeNull();
      expect(await tab.evaluate(() => document.activeElement?.tagName)).not.toBe('PARCOURS-SURVEY');
      await flushed(tab);

      // A second tab of the same visitor, and the same page again: in the cooldown, nothing is asked.
      const other = await v.newTab();
      await other.goto(`${s.origin}/survey.html`);
      await tracked(other, 'page_view');
      await sleep(2500);
      expect(await shown(other)).toBeNull();
      await other.close();
      await leaveSite(tab);

      const recorded = await recordedEvents(v, s.origin);
      expect(await pageErrors(v, s.origin)).toEqual([]);
      const about = [...recorded]
        .sort((a, b) => Number(a.ts) - Number(b.ts))
        .filter((e) => String(e.type).startsWith('survey_') || e.type === 'feedback');
      expect(about.map((e) => [e.type, e.kind, e.score, e.survey, e.stage])).toEqual([
        ['survey_shown', 'nps', undefined, 'nps-retention', 'retention'],
        ['feedback', 'nps', 9, 'nps-retention', 'retention'],
      ]);
      await v.close();
      await expectDeliveredOnce(s, recorded);
    });

    test('two tabs due at the same moment: one asks, the other finds the cooldown', async () => {
      const v = await visitor();
      const [a, b] = [await v.newTab(), await v.newTab()];
      await Promise.all([a.goto(`${s.origin}/survey.html`), b.goto(`${s.origin}/survey.html`)]);
      await Promise.all([tracked(a, 'page_view'), tracked(b, 'page_view')]);
      await sleep(4000);
      const asked = [await shown(a), await shown(b)].filter(Boolean);
      expect(asked).toHaveLength(1);
      await leaveSite(a);
      await leaveSite(b);
      const recorded = await recordedEvents(v, s.origin);
      expect(recorded.filter((e) => e.type === 'survey_shown')).toHaveLength(1);
      await v.close();
    });

    test('dismissed with Escape: survey_dismissed, no feedback, focus back where it was', async () => {
      const v = await visitor();
      const tab = await v.newTab();
      await tab.goto(`${s.origin}/survey.html`);
      await tab.evaluate(() => document.getElementById('first')!.focus());
      await waitShown(tab);
      expect((await shown(tab))!.focused).toBe('dialog');
      await tab.press('Escape');
      await tracked(tab, 'survey_dismissed');
      expect(await shown(tab)).toBeNull();
      expect(await tab.evaluate(() => document.activeElement?.id)).toBe('first');
      await flushed(tab);
      await leaveSite(tab);
      const recorded = await recordedEvents(v, s.origin);
      expect(recorded.filter((e) => e.type === 'feedback')).toEqual([]);
      expect(recorded.filter((e) => e.type === 'survey_dismissed')).toHaveLength(1);
      await v.close();
      await expectDeliveredOnce(s, recorded);
    });

    test('appears without motion for a visitor who asked for reduced motion, with its short fade-in otherwise', async () => {
      const animation = async (reducedMotion: boolean) => {
        const v = await visitor({ reducedMotion });
        const tab = await v.newTab();
        await tab.goto(`${s.origin}/survey.html`);
        await waitShown(tab);
        const seen = await tab.evaluate(() => ({
          // The emulation took: the page itself sees the preference the visitor set.
          reduce: matchMedia('(prefers-reduced-motion: reduce)').matches,
          name: getComputedStyle(document.querySelector('parcours-survey')!.shadowRoot!.querySelector('section')!)
            .animationName,
        }));
        await leaveSite(tab);
        await v.close();
        return seen;
      };
      expect(await animation(true)).toEqual({ reduce: true, name: 'none' });
      expect(await animation(false)).toEqual({ reduce: false, name: 'in' });
    });

    test('never covers a field being typed in, nor takes its focus; the question is announced instead', async () => {
      const v = await visitor();
      const tab = await v.newTab();
      await tab.goto(`${s.origin}/survey.html`);
      await tab.type('#note', 'hello');
      await waitShown(tab);
      await tab.type('#note', ' there');
      const survey = (await shown(tab))!;
      expect(survey.focused).toBeNull();
      const field = await tab.evaluate(() => {
        const r = document.getElementById('note')!.getBoundingClientRect();
        return { top: r.top, bottom: r.bottom, left: r.left, right: r.right, focused: document.activeElement?.id };
      });
      expect(field.focused).toBe('note');
      const b = survey.box;
      expect(field.bottom <= b.top || b.bottom <= field.top || field.right <= b.left || b.right <= field.left).toBe(
        true,
      );
      expect(
        await tab.evaluate(
          () => document.querySelector('parcours-survey')!.shadowRoot!.querySelector('[role=status]')!.textContent,
        ),
      ).toBe('Nous recommanderiez-vous ?');
      await leaveSite(tab);
      await v.close();
    });

    test('asks the CSAT after a purchase; the answer reaches the satisfaction report at the stage it was given', async () => {
      const v = await visitor();
      const tab = await v.newTab();
      await tab.goto(`${s.origin}/checkout/done`);
      await tracked(tab, 'page_view');
      await sleep(1500);
      expect(await shown(tab)).toBeNull();
      await tab.evaluate(() =>
        (window as unknown as { parcours(...a: unknown[]): void }).parcours('cart', 'purchase', {
          transaction_id: 'T-survey',
          value: 12,
          currency: 'EUR',
          items: [{ item_id: 'mug', price: 12, quantity: 1 }],
        }),
      );
      await waitShown(tab);
      expect((await shown(tab))!.scores).toEqual(['1', '2', '3', '4', '5']);
      await tab.evaluate(() =>
        [
          ...document
            .querySelector('parcours-survey')!
            .shadowRoot!.querySelectorAll<HTMLButtonElement>('.scores button'),
        ]
          .find((b) => b.textContent === '4')!
          .click(),
      );
      await tracked(tab, 'feedback');
      await flushed(tab);
      await leaveSite(tab);
      const recorded = await recordedEvents(v, s.origin);
      expect(recorded.filter((e) => e.type === 'feedback').map((e) => [e.kind, e.score, e.survey, e.stage])).toEqual([
        ['csat', 4, 'csat-purchase', 'decision'],
      ]);
      await v.close();
      await expectDeliveredOnce(s, recorded);
      const r = await report<SatisfactionReport>(s.collector, s.site, s.token, 'satisfaction');
      expect(r.stages.find((x) => x.stage === 'decision')).toMatchObject({ csat: 100, responses: 1 });
      expect(r.stages.find((x) => x.stage === 'retention')).toMatchObject({ nps: 100, responses: 1 });
      // Shown three times (NPS answered, NPS dismissed, CSAT answered; the field test's visitor sent nothing yet).
      expect(r.overall.response_rate).toBeGreaterThan(0);
    });
  });

  describe(`${engine}: the example shop asks how it went`, () => {
    let shop: SdkSite;
    const visitors: Visitor[] = [];
    beforeAll(async () => {
      shop = await openSdkSite('shopsurvey', serveShop);
      const { url, adminToken } = sharedCollector();
      for (const survey of SHOP_SURVEYS) await addSurvey(url, adminToken, shop.site, survey);
    });
    afterAll(async () => {
      for (const v of visitors) await v.dispose();
      await shop?.stop();
    });

    test('a buyer answers the CSAT, then the NPS on their account: each at its stage in the satisfaction report', async () => {
      const v = await newVisitor(engine);
      visitors.push(v);
      const tab = await v.newTab();
      await tab.goto(`${shop.origin}/products/mug`);
      await tracked(tab, 'page_view');
      await tab.click('#add-to-cart');
      await tracked(tab, 'add_to_cart');
      await tab.goto(`${shop.origin}/checkout/`);
      await tracked(tab, 'page_view');
      for (const [name, value] of Object.entries({
        name: 'Ada',
        email: 'ada@example.com',
        address: '1 Main St',
        postcode: '75001',
        city: 'Paris',
        card: '4242424242424242',
        expiry: '12/30',
        cvc: '123',
      }))
        await tab.type(`#checkout input[name=${name}]`, value);
      await tab.click('#pay');
      await tab.waitFor(() => location.pathname.startsWith('/checkout/confirmation'));
      await tracked(tab, 'purchase');
      await waitShown(tab);
      expect((await shown(tab))!.question).toBe('How satisfied are you with your order?');
      await answer(tab, '4');
      await tracked(tab, 'feedback');
      await tab.goto(`${shop.origin}/account/`);
      await tracked(tab, 'page_view');
      await waitShown(tab);
      expect((await shown(tab))!.scores).toHaveLength(11);
      await answer(tab, '9');
      await tracked(tab, 'feedback');
      await flushed(tab);
      await leaveSite(tab);
      // In the order they happened: the recorder's storage keys come back in no set order.
      const recorded = (await recordedEvents(v, shop.origin)).sort((a, b) => Number(a.ts) - Number(b.ts));
      expect(recorded.filter((e) => e.type === 'feedback').map((e) => [e.kind, e.score, e.survey, e.stage])).toEqual([
        ['csat', 4, 'post-purchase', 'decision'],
        ['nps', 9, 'nps-account', 'retention'],
      ]);
      await v.close();
      await expectDeliveredOnce(shop, recorded, ['ada@example.com', '4242424242424242']);
      const r = await report<SatisfactionReport>(shop.collector, shop.site, shop.token, 'satisfaction');
      expect(r.stages.filter((x) => x.responses > 0)).toEqual([
        { stage: 'decision', nps: null, csat: 100, ces: null, responses: 1 },
        { stage: 'retention', nps: 100, csat: null, ces: null, responses: 1 },
      ]);
      expect(r.overall).toMatchObject({ responses: 2, response_rate: 1 });
    });
  });
}
