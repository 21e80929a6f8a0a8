// Scripted visitors in any engine: a visitor is a browser profile (reopen it to "come back"); every event the script
// queues and every error thrown in its pages is recorded in the page's own storage, for the test to read afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launch, type Browser, type Engine, type LaunchOptions, type Tab } from './engines.ts';

export { ENGINES, type Engine, type Tab } from './engines.ts';

const EVENTS_PREFIX = '__e2e_events:';
const ERRORS_PREFIX = '__e2e_errors:';

/**
 * Put first in every test page's `<head>` by the static server (so in every engine, before the script): records each
 * `parcours:event` the script dispatches, and every error thrown or promise rejected in the page, in the page's own
 * localStorage, written synchronously so that a closing tab's last events survive. Events go in chunks of 100 keys, so
 * 5,000 events do not rewrite one growing array 5,000 times. `window.__e2eRecorded` holds this document's events,
 * `window.__e2eRestored` counts its restores from the back/forward cache.
 */
export const RECORDER = `<script>(() => {
  const doc = Date.now() + '-' + Math.random().toString(36).slice(2);
  const seen = (window.__e2eRecorded = []);
  let chunk = [], n = 0;
  const errors = [];
  // A page may give arrays a toJSON (Prototype.js does) that would write them as strings: set it aside meanwhile.
  const save = (k, v) => {
    const pageToJson = Array.prototype.toJSON;
    try { delete Array.prototype.toJSON; localStorage.setItem(k, JSON.stringify(v)); } catch {}
    if (pageToJson) Array.prototype.toJSON = pageToJson;
  };
  addEventListener('parcours:event', (e) => {
    seen.push(e.detail);
    chunk.push(e.detail);
    save(${JSON.stringify(EVENTS_PREFIX)} + doc + ':' + n, chunk);
    if (chunk.length === 100) { chunk = []; n++; }
  });
  const note = (kind, what) => { errors.push(kind + ': ' + String(what).slice(0, 300)); save(${JSON.stringify(ERRORS_PREFIX)} + doc, errors); };
  addEventListener('error', (e) => note('error', e.message));
  addEventListener('unhandledrejection', (e) => note('unhandledrejection', e.reason && (e.reason.stack || e.reason)));
  addEventListener('pageshow', (e) => { if (e.persisted) window.__e2eRestored = (window.__e2eRestored || 0) + 1; });
})();</script>`;

export interface Visitor {
  engine: Engine;
  /** The browser, while open. */
  browser: Browser;
  newTab(): Promise<Tab>;
  /** Closes the browser (every tab), keeping the profile where the engine can (`browser.persistent`). */
  close(): Promise<void>;
  /**
   * The same person coming back later: relaunches the browser on the profile; where the engine's automation cannot keep a
   * profile (WebKit), every tab is closed and the same browser session goes on, which keeps its storage just the same.
   */
  reopen(): Promise<void>;
  /** Closes and deletes the profile. */
  dispose(): Promise<void>;
}

/** A new visitor in `engine`: a fresh profile, opened. */
export async function newVisitor(engine: Engine, opts: Omit<LaunchOptions, 'profile'> = {}): Promise<Visitor> {
  const profile = mkdtempSync(join(tmpdir(), `parcours-${engine}-`));
  let browser: Browser | undefined = await launch(engine, { ...opts, profile });
  const tabs = new Set<Tab>();
  const v: Visitor = {
    engine,
    get browser() {
      if (!browser) throw new Error('visitor browser is closed');
      return browser;
    },
    async newTab() {
      const tab = await v.browser.newTab();
      const close = tab.close.bind(tab);
      tab.close = async () => {
        tabs.delete(tab);
        await close();
      };
      tabs.add(tab);
      return tab;
    },
    async close() {
      const b = browser;
      browser = undefined;
      tabs.clear();
      if (b) await b.close();
    },
    async reopen() {
      if (browser && !browser.persistent) {
        for (const t of [...tabs]) await t.close();
        return;
      }
      await v.close();
      browser = await launch(engine, { ...opts, profile });
    },
    async dispose() {
      await v.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  return v;
}

/** Reads a same-origin page that runs no tracking (a 404 of the static server), whose storage is the site's. */
async function readStorage<T>(v: Visitor, origin: string, fn: (prefixes: [string, string]) => T): Promise<Awaited<T>> {
  const tab = await v.newTab();
  try {
    await tab.goto(`${origin}/__e2e-read-records.txt`);
    return await tab.evaluate(fn, [EVENTS_PREFIX, ERRORS_PREFIX] as [string, string]);
  } finally {
    await tab.close();
  }
}

/** Every event the script queued in this visitor's pages on `origin`. */
export function recordedEvents(v: Visitor, origin: string): Promise<Array<Record<string, unknown>>> {
  return readStorage(v, origin, ([events]) => {
    const out: unknown[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i)!;
      if (k.startsWith(events)) out.push(...(JSON.parse(localStorage.getItem(k)!) as unknown[]));
    }
    return out as Array<Record<string, unknown>>;
  });
}

/** Every error thrown or promise rejection left unhandled in this visitor's pages on `origin`. */
export function pageErrors(v: Visitor, origin: string): Promise<string[]> {
  return readStorage(v, origin, ([, errors]) => {
    const out: string[] = [];
    for (let i = 0; i < localStorage.length; i++) {
      const k = localStorage.key(i)!;
      if (k.startsWith(errors)) out.push(...(JSON.parse(localStorage.getItem(k)!) as string[]));
    }
    return out;
  });
}

type ParcoursWindow = {
  parcours?: ((name: string, ...a: unknown[]) => unknown) & { l?: number };
  __e2eRecorded?: Array<{ type: string }>;
};

/** Leaves the site the way a person does: to another site, so the page is hidden for good (pagehide, beacon). */
export async function leaveSite(tab: Tab): Promise<void> {
  await tab.goto('about:blank');
}

/** Waits until this document's script has queued `count` events of `type` (the page view: the script has started). */
export async function tracked(tab: Tab, type: string, count = 1, timeoutMs = 15_000): Promise<void> {
  await tab.waitFor(
    ([t, n]) => ((window as unknown as ParcoursWindow).__e2eRecorded ?? []).filter((e) => e.type === t).length >= n,
    [type, count] as [string, number],
    timeoutMs,
  );
}

/** Opens `url` in `tab` and waits for the script's page view. */
export async function visit(tab: Tab, url: string): Promise<void> {
  await tab.goto(url);
  await tracked(tab, 'page_view');
}

/** Clicks a link (a real navigation) and waits for the next page (its URL matching `next`, when given) and its page view. */
export async function follow(tab: Tab, selector: string, next: RegExp | string = ''): Promise<void> {
  const before = await tab.url();
  await tab.click(selector);
  await tab.waitFor(
    ([prev, want]) =>
      location.href !== prev && new RegExp(want).test(location.href) && document.readyState === 'complete',
    [before, typeof next === 'string' ? next : next.source] as [string, string],
  );
  await tracked(tab, 'page_view');
}
