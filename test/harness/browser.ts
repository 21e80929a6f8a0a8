// Real Chromium for the journeys: a visitor is a persistent profile (reopen it to "come back"), every queued event is recorded.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
/** Flags for headless Chromium on these machines (TOOLCHAIN.md): no sandbox as root, no background traffic. */
export const CHROMIUM_ARGS = ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
// Headless Chromium says "HeadlessChrome" and the collector rightly drops bots: the scripted visitors present as a desktop Chrome.
export const VISITOR_UA = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/142.0.0.0 Safari/537.36';
const RECORD_PREFIX = '__e2e_parcours:';

/**
 * Records each `parcours:event` the script dispatches in the page's own localStorage, one key per document, written
 * synchronously: it survives tab closes and pagehide, where a message to the test process could be lost.
 */
const RECORDER = `(() => {
  const key = ${JSON.stringify(RECORD_PREFIX)} + Date.now() + '-' + Math.random().toString(36).slice(2);
  const seen = [];
  window.__e2eRecorded = seen;
  addEventListener('parcours:event', (e) => {
    try { seen.push(e.detail); localStorage.setItem(key, JSON.stringify(seen)); } catch {}
  });
})();`;

/** Headless Chromium on the profile folder `dir` (kept: reopen it to be the same person), 1280×900. */
export function launchProfile(dir: string, opts: { args?: string[]; userAgent?: string } = {}): Promise<BrowserContext> {
  return chromium.launchPersistentContext(dir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: [...CHROMIUM_ARGS, ...(opts.args ?? [])],
    userAgent: opts.userAgent,
    viewport: { width: 1280, height: 900 },
  });
}

/** Chromium on `dir` presenting as a desktop Chrome, so the collector does not drop it as a bot. */
export const launchAsVisitor = (dir: string): Promise<BrowserContext> =>
  // The switch, not only the context option: beacons sent while a page unloads carry the browser-wide User-Agent.
  launchProfile(dir, { args: [`--user-agent=${VISITOR_UA}`], userAgent: VISITOR_UA });

export interface Visitor {
  /** The browser profile: reopening it is the same person coming back (same localStorage and IndexedDB). */
  profile: string;
  context: BrowserContext;
  /** Opens the browser on the profile (again). */
  open(): Promise<BrowserContext>;
  /** Closes the browser (every tab), keeping the profile. */
  close(): Promise<void>;
  /** Closes and deletes the profile. */
  dispose(): Promise<void>;
}

/** A new visitor: a fresh Chromium profile, opened. */
export async function newVisitor(): Promise<Visitor> {
  const profile = mkdtempSync(join(tmpdir(), 'parcours-visitor-'));
  let context: BrowserContext | undefined;
  const v: Visitor = {
    profile,
    get context() {
      if (!context) throw new Error('visitor browser is closed');
      return context;
    },
    async open() {
      context = await launchAsVisitor(profile);
      await context.addInitScript(RECORDER);
      return context;
    },
    async close() {
      const c = context;
      context = undefined;
      if (c) await c.close();
    },
    async dispose() {
      await v.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
  await v.open();
  return v;
}

/** Every event the script queued in this visitor's pages on `origin` (read from the profile's localStorage). */
export async function recordedEvents(v: Visitor, origin: string): Promise<Array<Record<string, unknown>>> {
  const page = await v.context.newPage();
  try {
    // A page of the same origin that runs no tracking: a 404 of the static server.
    await page.goto(`${origin}/__e2e-read-records.txt`);
    return await page.evaluate((prefix) => {
      const out: unknown[] = [];
      for (let i = 0; i < localStorage.length; i++) {
        const k = localStorage.key(i)!;
        if (k.startsWith(prefix)) out.push(...(JSON.parse(localStorage.getItem(k)!) as unknown[]));
      }
      return out as Array<Record<string, unknown>>;
    }, RECORD_PREFIX);
  } finally {
    await page.close();
  }
}

/** Waits until the script has sent everything it queued (its outbox in IndexedDB is empty), or throws after `timeoutMs`. */
export async function waitForOutboxEmpty(page: Page, timeoutMs = 20_000): Promise<void> {
  await page.waitForFunction(() => (window as unknown as { parcours?: unknown }).parcours !== undefined, undefined, { timeout: timeoutMs });
  const done = await page.evaluate(
    (ms) =>
      Promise.race([
        (window as unknown as { parcours: (name: string) => Promise<boolean> }).parcours('flush'),
        new Promise<boolean>((r) => setTimeout(() => r(false), ms)),
      ]),
    timeoutMs,
  );
  if (!done) throw new Error('the script did not deliver its outbox in time');
}

/** Leaves the site the way a person does: to another site, so the page is hidden for good (pagehide, beacon). */
export async function leaveSite(page: Page): Promise<void> {
  await page.goto('about:blank');
}

/** Types into a field key by key, as a person does (input events per key). */
export async function typeInto(page: Page, selector: string, text: string): Promise<void> {
  await page.click(selector);
  await page.keyboard.type(text, { delay: 5 });
}

/** Waits until this document's script has queued `count` events of `type` (the page view: the script has started). */
export async function tracked(page: Page, type: string, count = 1, timeoutMs = 15_000): Promise<void> {
  await page.waitForFunction(
    ([t, n]) => ((window as unknown as { __e2eRecorded?: Array<{ type: string }> }).__e2eRecorded ?? []).filter((e) => e.type === t).length >= (n as number),
    [type, count] as const,
    { timeout: timeoutMs },
  );
}

/** Opens `url` in `page` and waits for the script's page view. */
export async function visit(page: Page, url: string): Promise<void> {
  await page.goto(url);
  await tracked(page, 'page_view');
}

/** Clicks a link (a real navigation) and waits for the next page's page view. */
export async function follow(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForEvent('framenavigated', { predicate: (f) => f === page.mainFrame() }), page.click(selector)]);
  await page.waitForLoadState('load');
  await tracked(page, 'page_view');
}
