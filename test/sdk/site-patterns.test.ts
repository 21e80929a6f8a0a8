// The built tag on patterns of real sites the test pages lack, in every engine: consent banners, consent withdrawn in
// another tab, Do Not Track turned on between pages, a sandboxed document, a search results page that echoes the search
// in its title, and a form sent the jQuery Validate way.
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import {
  ENGINES,
  follow,
  leaveSite,
  newVisitor,
  pageErrors,
  recordedEvents,
  tracked,
  type Engine,
  type Tab,
  type Visitor,
} from '../harness/browser.ts';
import { exportEvents } from '../harness/collector.ts';
import {
  expectDeliveredOnce,
  flushed,
  load,
  openInlineSite,
  TAG,
  track,
  type InlinePage,
  type SdkSite,
} from './support.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const SECRET = 'SECRET-SEARCH-4711';
const call = (tab: Tab, ...args: unknown[]) =>
  tab.evaluate((a) => void (window as unknown as { parcours(...a: unknown[]): unknown }).parcours(...a), args);
const page = (title: string, head = '', body = title): InlinePage => ({
  html: `<!doctype html><html><head><meta charset="utf-8"><title>${title}</title>${head}${TAG}</head><body>${body}</body></html>`,
});

const PAGES: Record<string, InlinePage> = {
  '/a.html': page('A'),
  '/b.html': page('B'),
  // A consent banner's site: tracking is off until the visitor accepts.
  '/landing.html': page(
    'Landing',
    `<script>window.parcours=window.parcours||function(){(parcours.q=parcours.q||[]).push(arguments)};parcours('consent', false)</script>`,
    '<a id="next" href="/next.html">next</a>',
  ),
  '/next.html': page('Next'),
  // Do Not Track turned on before the tag reads it.
  '/dnt.html': page(
    'DNT',
    `<script>Object.defineProperty(Navigator.prototype, 'doNotTrack', { get: () => '1' })</script>`,
  ),
  '/search-form.html': page(
    'Search',
    '',
    '<form action="/search"><input id="q" name="q"><button id="go">Search</button></form>',
  ),
  // Server-rendered search results echo the search in their title.
  '/search': {
    html: `<!doctype html><html><head><meta charset="utf-8"><script>document.title = 'Results for ' + new URLSearchParams(location.search).get('q')</script>${TAG}</head><body>results</body></html>`,
  },
  // jQuery Validate's way: the submit event prevented, the fields checked, then the form sent by code.
  '/contact.html': page(
    'Contact',
    '',
    `<form id="contact" action="/thanks"><input id="email" name="email"><button id="send">Send</button></form>
<script>document.getElementById('contact').addEventListener('submit', function (e) {
  e.preventDefault(); var form = this; setTimeout(function () { HTMLFormElement.prototype.submit.call(form); }, 50);
});</script>`,
  ),
  '/thanks': page('Thanks'),
  // An opaque origin: no storage, and no Web Locks.
  '/sandboxed.html': { ...page('Sandboxed'), headers: { 'content-security-policy': 'sandbox allow-scripts' } },
};

/** The types of the events in event requests the proxy saw from the `from`th on. */
const sentTypes = (s: SdkSite, from: number) =>
  s.proxy.requests.slice(from).flatMap((r) => {
    try {
      return (JSON.parse(r.body) as { events: Array<{ type: string }> }).events.map((e) => e.type);
    } catch {
      return [];
    }
  });

for (const engine of ENGINES) describe(`${engine}: patterns of real sites`, () => suite(engine));

function suite(engine: Engine) {
  let s: SdkSite;
  const visitors: Visitor[] = [];
  async function person(): Promise<Visitor> {
    const v = await newVisitor(engine);
    visitors.push(v);
    return v;
  }

  beforeAll(async () => {
    s = await openInlineSite('patterns', PAGES);
  });
  afterAll(async () => {
    for (const v of visitors) await v.dispose();
    await s?.stop();
  });

  test('consent withdrawn in one tab: what another tab held is never sent, even once consent is given again', async () => {
    const v = await person();
    const a = await v.newTab();
    await load(a, s, '/a.html');
    const b = await v.newTab();
    await load(b, s, '/b.html');
    await flushed(a);
    // The collector has a bad minute: tab B's next event waits (outbox, B's memory).
    s.proxy.fault({ status: 503 });
    await track(b, 'before_withdrawal');
    await sleep(1500);
    await call(a, 'consent', false);
    s.proxy.clear();
    const from = s.proxy.requests.length;
    // Tab B is left (its hide request), then consent is given again and the visitor browses on.
    await leaveSite(b);
    await sleep(1500);
    await call(a, 'consent', true);
    await load(a, s, '/b.html');
    await flushed(a);
    await leaveSite(a);
    await sleep(1500);
    expect(await pageErrors(v, s.origin)).toEqual([]);
    await v.close();
    expect(sentTypes(s, from)).not.toContain('before_withdrawal');
    expect((await exportEvents(s.collector, s.site, s.token)).map((e) => e.type)).not.toContain('before_withdrawal');
  });

  test('consent given on the landing page sends its view with its source, and no page_leave without a view', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s, '/landing.html?utm_source=news&utm_medium=cpc&gclid=abc');
    await sleep(300);
    await call(tab, 'consent', true);
    await tracked(tab, 'page_view');
    await follow(tab, '#next', '/next.html');
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await recordedEvents(v, s.origin);
    expect(await pageErrors(v, s.origin)).toEqual([]);
    await v.close();
    // Recorded page by page, in no set order: in the order they happened.
    const pages = recorded
      .filter((e) => e.type === 'page_view' || e.type === 'page_leave')
      .sort((a, b) => Number(a.ts) - Number(b.ts));
    expect(pages.map((e) => [e.type, new URL(String(e.url)).pathname])).toEqual([
      ['page_view', '/landing.html'],
      ['page_leave', '/landing.html'],
      ['page_view', '/next.html'],
      ['page_leave', '/next.html'],
    ]);
    // The landing keeps what makes its source: its campaign, the ad click, and no referrer of its own site.
    expect(pages[0]).toMatchObject({
      url: `${s.origin}/landing.html?utm_source=news&utm_medium=cpc`,
      click_id: 'gclid',
    });
    expect(pages[0]!.referrer).toBeUndefined();
    await expectDeliveredOnce(s, recorded);
  });

  test('a page with Do Not Track on sends nothing, not even what earlier pages left waiting', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s, '/a.html');
    await flushed(tab);
    s.proxy.fault({ status: 500 });
    await track(tab, 'before_dnt');
    await sleep(1500);
    await load(tab, s, '/dnt.html');
    s.proxy.clear();
    const from = s.proxy.requests.length;
    await sleep(2500);
    await leaveSite(tab);
    await sleep(1500);
    expect(await pageErrors(v, s.origin)).toEqual([]);
    await v.close();
    expect(sentTypes(s, from)).toEqual([]);
  });

  test('a search typed on the site is not sent in the title of its results page', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s, '/search-form.html');
    await tab.type('#q', SECRET);
    await follow(tab, '#go', '/search');
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await recordedEvents(v, s.origin);
    await v.close();
    const results = recorded.find((e) => e.type === 'page_view' && String(e.url).endsWith('/search'));
    expect(results).toBeDefined();
    expect(results!.title).toBeUndefined();
    // Pages whose address lost nothing keep their title.
    expect(recorded.find((e) => e.type === 'page_view' && String(e.url).endsWith('/search-form.html'))!.title).toBe(
      'Search',
    );
    await expectDeliveredOnce(s, recorded, [SECRET]);
  });

  test('a form sent the jQuery Validate way (submit prevented, then form.submit()) is one submission', async () => {
    const v = await person();
    const tab = await v.newTab();
    await load(tab, s, '/contact.html');
    await tab.type('#email', 'ada@example.com');
    await follow(tab, '#send', '/thanks');
    await flushed(tab);
    await leaveSite(tab);
    const recorded = await recordedEvents(v, s.origin);
    await v.close();
    expect(recorded.filter((e) => e.type === 'form_submit').map((e) => e.form)).toEqual(['contact']);
    await expectDeliveredOnce(s, recorded);
  });

  test('a sandboxed document (no storage, no Web Locks) sends while it is shown', async () => {
    const any = await openInlineSite('sandboxed', PAGES, ['*']);
    try {
      const v = await person();
      const tab = await v.newTab();
      await load(tab, any, '/sandboxed.html');
      await track(tab, 'in_sandbox');
      // Before the page is hidden: a crash or a killed tab would lose what only the hide request carries.
      await expect
        .poll(() => any.proxy.requests.some((r) => r.outcome === 200 && r.body.includes('"in_sandbox"')), {
          timeout: 10_000,
        })
        .toBe(true);
      await v.close();
    } finally {
      await any.stop();
    }
  });
}
