// Web components: forms and cart buttons inside a shadow root, where the page (and the script's listeners on window)
// sees input and clicks as events of the component's host, and never sees a submit. The built script in Chromium
// against the real collector.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { leaveSite, newVisitor, pageErrors, recordedEvents, type Visitor } from '../harness/browser.ts';
import { expectDeliveredOnce, flushed, load, openSdkSite, type SdkSite } from './support.ts';

describe('chromium: forms and cart buttons inside web components', () => {
  let s: SdkSite;
  let v: Visitor | undefined;

  beforeAll(async () => {
    s = await openSdkSite('webcomp');
  });
  afterAll(async () => {
    await v?.dispose();
    await s?.stop();
  });

  test('forms and cart buttons in shadow roots and form-associated components are tracked as in the page', async () => {
    v = await newVisitor('chromium');
    const tab = await v.newTab();
    await load(tab, s, '/web-components.html');
    // Playwright's selectors reach into open shadow roots, as a person's clicks do.
    await tab.type('#nl-email', 'ada@example.com');
    await tab.click('#nl-go');
    await tab.click('#pc-add span');
    await tab.type('#tf-inner', 'Acme');
    await tab.click('#cb-inner');
    await flushed(tab, s);
    await leaveSite(tab);
    const recorded = await recordedEvents(v, s.origin);
    expect(await pageErrors(v, s.origin)).toEqual([]);
    const stored = await expectDeliveredOnce(s, recorded, ['ada@example.com', 'Acme']);
    const forms = stored.filter((e) => String(e.type).startsWith('form_')).map((e) => [e.type, e.form]);
    // The page's contact form, whose field is a form-associated component, is started and left unsubmitted.
    expect(forms).toEqual([
      ['form_start', 'form-0'],
      ['form_submit', 'form-0'],
      ['form_start', 'contact'],
      ['form_abandon', 'contact'],
    ]);
    expect(stored.find((e) => e.type === 'form_abandon')).toMatchObject({ last_field: 'company', fields_touched: 1 });
    expect(stored.filter((e) => e.type === 'add_to_cart').map((e) => e.items)).toEqual([
      [{ item_id: 'sku-9', price: 7.5, quantity: 1 }],
      [{ item_id: 'sku-3', price: 2, quantity: 1 }],
    ]);
  });
});
